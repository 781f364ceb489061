"""Pure mapping from GitHub statistics to PostHog events, compatible with the original tool.

uuid = uuid5(NAMESPACE, f"{full_name}:{timestamp}:{stat}") with GitHub's own timestamp string, so a
day re-sent by gps (or first sent by the original tool) has the same id and PostHog deduplicates it.
The newer metrics follow the same scheme; the 14-day lists and snapshots are dated by the run's UTC
day (`{day}` = `YYYY-MM-DDT00:00:00Z`), so each day keeps its own copy.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Iterable

from gps.model import Asset, DailyStat, Event, Popular, Repo, Star

NAMESPACE = uuid.UUID("45e8f109-f056-4372-9545-9d7b78b20c34")

EVENT_NAMES = {
    "views": "repository.viewed",
    "clones": "repository.cloned",
    "referrers": "repository.referrer",
    "paths": "repository.path",
    "snapshot": "repository.snapshot",
    "stargazers": "repository.starred",
    "releases": "repository.downloads",
}
WINDOW_DAYS = 14

# Properties every gps event carries: no person profiles, no GeoIP, and the event's own timestamp
# is authoritative (PostHog honours `$ignore_sent_at` only as a JSON boolean).
COMMON_PROPERTIES = {
    "$process_person_profile": False,
    "$geoip_disable": True,
    "$ignore_sent_at": True,
}


def event_uuid(name: str) -> str:
    """The deterministic event id for a uuid name string."""
    return str(uuid.uuid5(NAMESPACE, name))


def parse_timestamp(value: str) -> datetime:
    """GitHub's `2026-11-20T00:00:00Z` as a timezone-aware UTC datetime."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def day_stamp(day: date) -> str:
    """The run's UTC day as GitHub writes timestamps: `2026-12-03T00:00:00Z`."""
    return f"{day.isoformat()}T00:00:00Z"


def _event(metric: str, name: str, timestamp: str, repo: str, **properties) -> Event:
    event_id = event_uuid(name)
    return Event(uuid=event_id, event=EVENT_NAMES[metric], distinct_id=event_id,
                 timestamp=parse_timestamp(timestamp),
                 properties={"repo": repo, **properties, **COMMON_PROPERTIES})


def popular_events(full_name: str, metric: str, entries: Iterable[Popular], day: date) -> list[Event]:
    """Referrers or paths: one event per entry of GitHub's 14-day top 10, dated by the run day."""
    stamp = day_stamp(day)
    events = []
    for entry in entries:
        if metric == "referrers":
            fields = {"referrer": entry.name}
        else:
            fields = {"path": entry.name, "title": entry.title}
        events.append(_event(metric, f"{full_name}:{stamp}:{metric}:{entry.name}", stamp, full_name,
                             **fields, count=entry.count, uniques=entry.uniques,
                             window_days=WINDOW_DAYS))
    return events


def snapshot_event(repo: Repo, day: date) -> Event:
    """The repository's state on the run day, from the listing."""
    stamp = day_stamp(day)
    return _event("snapshot", f"{repo.full_name}:{stamp}:snapshot", stamp, repo.full_name,
                  **snapshot_values(repo))


def snapshot_values(repo: Repo) -> dict:
    return {"stars": repo.stars, "forks": repo.forks, "open_issues": repo.open_issues,
            "size_kb": repo.size_kb, "language": repo.language, "topics": list(repo.topics),
            "private": repo.private, "fork": repo.fork, "archived": repo.archived,
            "pushed_at": repo.pushed_at}


def star_events(full_name: str, stars: Iterable[Star]) -> list[Event]:
    """One event per star, dated when it was given."""
    return [_event("stargazers", f"{full_name}:{star.starred_at}:stargazers:{star.user}",
                   star.starred_at, full_name, user=star.user) for star in stars]


def download_events(full_name: str, assets: Iterable[Asset], day: date) -> list[Event]:
    """Cumulative downloads of every release asset, as counted on the run day."""
    stamp = day_stamp(day)
    return [_event("releases", f"{full_name}:{stamp}:releases:{a.release}:{a.asset}", stamp,
                   full_name, release=a.release, asset=a.asset, downloads=a.downloads,
                   prerelease=a.prerelease) for a in assets]


def traffic_events(full_name: str, stat: str, days: Iterable[DailyStat]) -> list[Event]:
    """One event per daily bucket of `views` or `clones` for repository `full_name`."""
    return [_event(stat, f"{full_name}:{day.timestamp}:{stat}", day.timestamp, full_name,
                   count=day.count, uniques=day.uniques) for day in days]
