"""Small data types shared by the pipeline stages (no I/O, no behaviour beyond formatting)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True)
class Repo:
    """One repository as the owner's listing describes it."""

    full_name: str
    private: bool = False
    fork: bool = False
    archived: bool = False
    can_push: bool | None = True  # None: the listing did not say
    html_url: str = ""


@dataclass(frozen=True)
class DailyStat:
    """One daily bucket of a traffic statistic; `timestamp` is GitHub's string, byte for byte."""

    timestamp: str
    count: int
    uniques: int


@dataclass(frozen=True)
class Traffic:
    """A 14-day traffic statistic (`views` or `clones`): window totals and daily buckets."""

    stat: str
    count: int
    uniques: int
    days: tuple[DailyStat, ...] = ()


@dataclass
class RepoResult:
    """What happened to one selected repository in this run."""

    repo: Repo
    status: str = "synced"  # synced | denied | failed
    reason: str = ""
    traffic: dict[str, Traffic] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """One PostHog event, ready to capture."""

    uuid: str
    event: str
    distinct_id: str
    timestamp: datetime
    properties: dict[str, Any]

    @property
    def repo(self) -> str:
        return self.properties["repo"]

    def as_json(self) -> dict[str, Any]:
        """The event as printed by a dry run: ISO 8601 UTC timestamp ending in `Z`."""
        ts = self.timestamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "uuid": self.uuid,
            "event": self.event,
            "distinct_id": self.distinct_id,
            "timestamp": ts,
            "properties": self.properties,
        }
