"""Human log lines on stderr, with every secret redacted; warnings and errors are kept for the report."""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator, TextIO

REDACTED = "***"


class Log:
    """Writes short lines to stderr (never stdout, so a dry run can be piped) and remembers problems."""

    def __init__(self, stream: TextIO | None = None, secrets: list[str] | tuple[str, ...] = ()):
        self.stream = stream or sys.stderr
        self.secrets = [s for s in secrets if s]
        self.warnings: list[str] = []
        self.errors: list[str] = []

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def _write(self, line: str) -> None:
        self.stream.write(self.redact(line) + "\n")
        self.stream.flush()

    def info(self, message: str) -> None:
        self._write(message)

    def warning(self, message: str) -> None:
        self.warnings.append(self.redact(message))
        self._write(f"warning: {message}")

    def error(self, message: str) -> None:
        self.errors.append(self.redact(message))
        self._write(f"error: {message}")

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A stage of the run; plain logs need no marker (Actions folds it)."""
        yield

    def close(self) -> None:
        """Called once at the end of the run."""
