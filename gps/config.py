"""Configuration: command-line flag > environment variable > `.env` in the working directory > default.

Every option keeps the original tool's `GPS_*` name and default. An empty value means unset, because
GitHub Actions passes inputs left empty as empty strings. Every problem is a `ConfigError` whose
message names the variable and says what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping
from urllib.parse import urlsplit

from dotenv.parser import parse_stream

from gps.errors import ConfigError

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
LOGIN = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"  # GitHub's rule for user names
LOGIN_RE = re.compile(f"^{LOGIN}$")


def parse_flag(name: str, value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}: {value!r} is not a flag; use one of 1/0, true/false, yes/no, on/off")


def parse_url(name: str, value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if any(ch.isspace() for ch in value):
        raise ConfigError(f"{name}: {value!r} is not a URL: it contains whitespace")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}: {value!r} is not an http(s) URL (expected e.g. https://host)")
    return value.rstrip("/")


def parse_login(name: str, value: str) -> str:
    value = value.strip()
    if not LOGIN_RE.match(value):
        raise ConfigError(
            f"{name}: {value!r} is not a GitHub login (letters, digits and single hyphens, "
            "at most 39 characters)"
        )
    return value


def split_list(value: str) -> list[str]:
    """Items separated by commas or newlines, blanks dropped."""
    return [item.strip() for item in re.split(r"[,\n]", value) if item.strip()]


def parse_logins(name: str, value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(parse_login(name, item) for item in split_list(value)))


METRICS = ("views", "clones", "referrers", "paths", "snapshot", "stargazers", "releases")
REPO_PATTERN_RE = re.compile(f"^({LOGIN})/" + r"([A-Za-z0-9._*?\[\]-]+)$")


def parse_metrics(name: str, value: str) -> tuple[str, ...]:
    chosen = [item.lower() for item in split_list(value)]
    unknown = [item for item in chosen if item not in METRICS]
    if unknown:
        raise ConfigError(f"{name}: unknown metric {', '.join(map(repr, unknown))}; "
                          f"choose from {', '.join(METRICS)}")
    return tuple(m for m in METRICS if m in chosen)


def parse_repo_patterns(name: str, value: str) -> tuple[str, ...]:
    patterns = split_list(value)
    for pattern in patterns:
        if not REPO_PATTERN_RE.match(pattern) or pattern.split("/")[1] in (".", ".."):
            raise ConfigError(f"{name}: {pattern!r} is not owner/name or an owner/glob "
                              "such as owner/* or owner/gps-*")
    return tuple(dict.fromkeys(patterns))


def parse_backfill(name: str, value: str) -> str:
    word = value.strip().lower()
    if word != "stargazers":
        raise ConfigError(f"{name}: {value!r} cannot be backfilled; the only choice is stargazers")
    return word


def parse_positive_int(name: str, value: str) -> int:
    text = value.strip()
    if not text.isdigit() or int(text) <= 0:
        raise ConfigError(f"{name}: {value!r} is not a positive integer")
    return int(text)


def _seconds(name: str, value: str, allow_zero: bool) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not (0 <= seconds if allow_zero else 0 < seconds) or seconds == float("inf"):
        kind = "a number of seconds (0 or more)" if allow_zero else "a positive number of seconds"
        raise ConfigError(f"{name}: {value!r} is not {kind}")
    return seconds


def parse_seconds(name: str, value: str) -> float:
    return _seconds(name, value, allow_zero=False)


def parse_wait(name: str, value: str) -> float:
    return _seconds(name, value, allow_zero=True)


def parse_shard(name: str, value: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ConfigError(f"{name}: {value!r} is not a shard k/n with 1 <= k <= n (e.g. 2/4)")
    return int(match.group(1)), int(match.group(2))


def parse_text(name: str, value: str) -> str:
    return value.strip()


@dataclass(frozen=True)
class Option:
    """One setting: its field on Config, environment variable, flag, parser, default and meaning."""

    field: str
    env: str
    parse: Callable[[str, str], object]
    default: str
    help: str
    secret: bool = False
    empty: object = ""  # the value when unset and without a default

    @property
    def flag(self) -> str:
        return "--" + self.field.replace("_", "-")

    @property
    def is_flag(self) -> bool:
        return self.parse is parse_flag


OPTIONS: tuple[Option, ...] = (
    Option("github_key", "GPS_GITHUB_KEY", parse_text, "",
           "GitHub token that can read traffic (push access / Administration: read). Required.",
           secret=True),
    Option("github_id", "GPS_GITHUB_ID", parse_logins, "",
           "Users or organizations (comma-separated) whose repositories are synced; "
           "empty: the token's own user.", empty=()),
    Option("repositories", "GPS_REPOSITORIES", parse_repo_patterns, "",
           "Exactly these repositories: owner/name or owner/glob entries, comma- or "
           "newline-separated. Named ones are synced whatever the filters say.", empty=()),
    Option("exclude", "GPS_EXCLUDE", parse_repo_patterns, "",
           "owner/glob entries removed from the selection after everything else.", empty=()),
    Option("metrics", "GPS_METRICS", parse_metrics, "views,clones,referrers,paths,snapshot",
           f"What to sync, comma-separated, from: {', '.join(METRICS)}."),
    Option("backfill", "GPS_BACKFILL", parse_backfill, "",
           "stargazers: read the whole star history once (otherwise only new stars)."),
    Option("github_url", "GPS_GITHUB_URL", parse_url, "https://api.github.com",
           "GitHub API base URL (GitHub Enterprise Server: https://HOST/api/v3)."),
    Option("posthog_key", "GPS_POSTHOG_KEY", parse_text, "",
           "PostHog project API key (phc_...). Required unless dry run.", secret=True),
    Option("posthog_url", "GPS_POSTHOG_URL", parse_url, "https://us.i.posthog.com",
           "PostHog capture host."),
    Option("posthog_id", "GPS_POSTHOG_ID", parse_positive_int, "",
           "PostHog project id; with GPS_POSTHOG_TOKEN turns on dedup through the query API.",
           empty=None),
    Option("posthog_token", "GPS_POSTHOG_TOKEN", parse_text, "",
           "PostHog personal API key (phx_..., scope query:read) for dedup.", secret=True),
    Option("posthog_api_url", "GPS_POSTHOG_API_URL", parse_url, "",
           "PostHog query API host; empty: derived from GPS_POSTHOG_URL."),
    Option("posthog_historical", "GPS_POSTHOG_HISTORICAL", parse_flag, "1",
           "Send as historical migration (as the original tool did)."),
    Option("allow_forks", "GPS_ALLOW_FORKS", parse_flag, "0", "Include forked repositories."),
    Option("allow_private", "GPS_ALLOW_PRIVATE", parse_flag, "0", "Include private repositories."),
    Option("allow_archived", "GPS_ALLOW_ARCHIVED", parse_flag, "1", "Include archived repositories."),
    Option("dry_run", "GPS_DRY_RUN", parse_flag, "0",
           "Send nothing; print the events as JSON lines on stdout."),
    Option("timeout", "GPS_TIMEOUT", parse_seconds, "30",
           "Seconds before a GitHub or PostHog request is abandoned (and retried)."),
    Option("concurrency", "GPS_CONCURRENCY", parse_positive_int, "4",
           "Repositories read at once (1: strictly one after another)."),
    Option("max_wait", "GPS_MAX_WAIT", parse_wait, "60",
           "Longest wait, in seconds, for a GitHub rate limit; beyond it the remaining "
           "repositories are deferred to the next run."),
    Option("shard", "GPS_SHARD", parse_shard, "",
           "k/n: sync only shard k of n (a stable hash of each repository's name), for a matrix "
           "of jobs.", empty=None),
    Option("summary_file", "GPS_SUMMARY_FILE", parse_text, "",
           "Also write the Markdown report to this file (e.g. to upload it as an artifact)."),
)


@dataclass(frozen=True)
class Config:
    github_key: str
    github_id: tuple[str, ...]
    repositories: tuple[str, ...]
    exclude: tuple[str, ...]
    metrics: tuple[str, ...]
    backfill: str
    github_url: str
    posthog_key: str
    posthog_url: str
    posthog_id: int | None
    posthog_token: str
    posthog_api_url: str
    posthog_historical: bool
    allow_forks: bool
    allow_private: bool
    allow_archived: bool
    dry_run: bool
    timeout: float
    concurrency: int
    max_wait: float
    shard: tuple[int, int] | None
    summary_file: str

    @classmethod
    def build(cls, **values) -> "Config":
        """A Config from the defaults and these (already parsed) values: for demos and tests."""
        defaults = {o.field: o.parse(o.env, o.default) if o.default else o.empty for o in OPTIONS}
        return cls(**{**defaults, **values})

    @property
    def secrets(self) -> list[str]:
        return [getattr(self, o.field) for o in OPTIONS if o.secret and getattr(self, o.field)]


def read_dotenv(path: Path) -> dict[str, str]:
    """The `KEY=value` pairs of a `.env` file; a line that cannot be parsed is an error naming it."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    with path.open(encoding="utf-8") as stream:
        for binding in parse_stream(stream):
            if binding.error:
                raise ConfigError(f"{path.name} line {binding.original.line}: cannot parse this line "
                                  "(expected KEY=value)")
            if binding.key is not None:
                values[binding.key] = binding.value or ""
    return values


def load_config(flags: Mapping[str, str | None], environ: Mapping[str, str], cwd: Path) -> Config:
    """Resolve every option by precedence, validate it, and check what is required."""
    dotenv = read_dotenv(cwd / ".env")
    values: dict[str, object] = {}
    for option in OPTIONS:
        raw = None
        for source in (flags.get(option.field), environ.get(option.env), dotenv.get(option.env)):
            if source is not None and source.strip() != "":
                raw = source
                break
        if raw is None:
            raw = option.default
        values[option.field] = option.parse(option.env, raw) if raw != "" else option.empty
    config = Config(**values)  # type: ignore[arg-type]
    if not config.github_key:
        raise ConfigError("GPS_GITHUB_KEY: missing; set it to a GitHub token that can read traffic")
    if not config.posthog_key and not config.dry_run:
        raise ConfigError("GPS_POSTHOG_KEY: missing; set it to your PostHog project API key "
                          "(phc_...), or use --dry-run")
    return config


def secret_values(flags: Mapping[str, str | None], environ: Mapping[str, str], cwd: Path) -> list[str]:
    """Every secret value given anywhere, unvalidated: to mask and redact before anything is printed."""
    try:
        dotenv = read_dotenv(cwd / ".env")
    except (ConfigError, OSError, UnicodeDecodeError):
        dotenv = {}
    found = []
    for option in OPTIONS:
        if option.secret:
            for source in (flags.get(option.field), environ.get(option.env), dotenv.get(option.env)):
                if source and source.strip() and source.strip() not in found:
                    found.append(source.strip())
    return found
