"""Pure mapping from GitHub statistics to PostHog events, compatible with the original tool.

uuid = uuid5(NAMESPACE, f"{full_name}:{timestamp}:{stat}") with GitHub's own timestamp string, so a
day re-sent by gps (or first sent by the original tool) has the same id and PostHog deduplicates it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Iterable

from gps.model import DailyStat, Event

NAMESPACE = uuid.UUID("45e8f109-f056-4372-9545-9d7b78b20c34")

EVENT_NAMES = {"views": "repository.viewed", "clones": "repository.cloned"}

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


def traffic_events(full_name: str, stat: str, days: Iterable[DailyStat]) -> list[Event]:
    """One event per daily bucket of `views` or `clones` for repository `full_name`."""
    name = EVENT_NAMES[stat]
    events = []
    for day in days:
        event_id = event_uuid(f"{full_name}:{day.timestamp}:{stat}")
        events.append(
            Event(
                uuid=event_id,
                event=name,
                distinct_id=event_id,
                timestamp=parse_timestamp(day.timestamp),
                properties={
                    "repo": full_name,
                    "count": day.count,
                    "uniques": day.uniques,
                    **COMMON_PROPERTIES,
                },
            )
        )
    return events
