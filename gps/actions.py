"""Running inside GitHub Actions: masks, log groups, capped annotations, outputs, step summary.

Workflow commands (https://docs.github.com/actions/reference/workflow-commands-for-github-actions)
are plain lines the runner reads from the step's output.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator, Mapping, TextIO

from gps.log import Log

MAX_ANNOTATIONS = 10  # the runner shows at most 10 errors and 10 warnings per step


def in_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def escape(text: str) -> str:
    """Escape a workflow command's message (as the runner's toolkit does)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def add_masks(secrets: list[str], stream: TextIO | None = None) -> None:
    """Ask the runner to mask each secret; must come before any other output."""
    stream = stream or sys.stdout
    for secret in secrets:
        if secret:
            stream.write(f"::add-mask::{escape(secret)}\n")
    stream.flush()


class ActionsLog(Log):
    """A Log whose warnings and errors become annotations (10 of each, then one aggregate)."""

    def __init__(self, stream: TextIO | None = None, secrets: list[str] | tuple[str, ...] = ()):
        super().__init__(stream, secrets)
        self.extra = {"warning": 0, "error": 0}

    def _annotate(self, kind: str, message: str, kept: list[str]) -> None:
        text = self.redact(message)
        kept.append(text)
        if len(kept) <= MAX_ANNOTATIONS:
            self._write(f"::{kind}::{escape(text)}")
        else:
            self.extra[kind] += 1
            self._write(f"{kind}: {text}")

    def warning(self, message: str) -> None:
        self._annotate("warning", message, self.warnings)

    def error(self, message: str) -> None:
        self._annotate("error", message, self.errors)

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._write(f"::group::{escape(title)}")
        try:
            yield
        finally:
            self._write("::endgroup::")

    def close(self) -> None:
        """One aggregate annotation for each kind that went over the cap."""
        for kind, count in self.extra.items():
            if count:
                self._write(f"::{kind}::{count} more {kind}s of this run are in the log "
                            f"(annotations are capped at {MAX_ANNOTATIONS})")


def write_outputs(path: str, values: Mapping[str, str]) -> None:
    """Append `name=value` lines to the file `$GITHUB_OUTPUT` names."""
    with open(path, "a", encoding="utf-8") as stream:
        for name, value in values.items():
            stream.write(f"{name}={value}\n")


def append_summary(path: str, markdown: str) -> None:
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(markdown)
        if not markdown.endswith("\n"):
            stream.write("\n")
