"""The pure mapping from GitHub statistics to events: the original tool's scheme, exactly."""

import json
import uuid
from datetime import datetime, timezone

from conftest import FIXTURES

from gps.events import NAMESPACE, event_uuid, parse_timestamp, traffic_events
from gps.model import DailyStat


def test_uuid_vector_from_the_original_tool():
    assert event_uuid("octo-user/alpha:2026-11-25T00:00:00Z:views") == \
        "cd0c1835-f306-5001-b804-e9e282a36846"
    assert NAMESPACE == uuid.UUID("45e8f109-f056-4372-9545-9d7b78b20c34")


def test_views_event_shape():
    [event] = traffic_events("octo-user/alpha", "views", [DailyStat("2026-11-25T00:00:00Z", 9, 4)])
    assert event.uuid == "cd0c1835-f306-5001-b804-e9e282a36846"
    assert event.distinct_id == event.uuid
    assert event.event == "repository.viewed"
    assert event.timestamp == datetime(2026, 11, 25, tzinfo=timezone.utc)
    assert event.timestamp.tzinfo is not None
    assert event.properties == {
        "repo": "octo-user/alpha", "count": 9, "uniques": 4,
        "$process_person_profile": False, "$geoip_disable": True, "$ignore_sent_at": True,
    }
    assert event.properties["$ignore_sent_at"] is True  # a JSON boolean, not "true"


def test_clones_use_their_own_name_and_stat_in_the_uuid():
    [event] = traffic_events("Octo-Org/Beta", "clones", [DailyStat("2026-11-20T00:00:00Z", 3, 2)])
    assert event.event == "repository.cloned"
    # case of the full name is kept, the stat word is part of the name string
    assert event.uuid == str(uuid.uuid5(NAMESPACE, "Octo-Org/Beta:2026-11-20T00:00:00Z:clones"))
    assert event.uuid != event_uuid("octo-org/beta:2026-11-20T00:00:00Z:clones")


def test_githubs_published_views_example_maps_one_event_per_day():
    payload = json.loads((FIXTURES / "traffic-views.json").read_text())
    days = [DailyStat(d["timestamp"], d["count"], d["uniques"]) for d in payload["views"]]
    events = traffic_events("octocat/Hello-World", "views", days)
    assert len(events) == len(payload["views"]) == 15
    assert sum(e.properties["count"] for e in events) == payload["count"]
    assert events[0].uuid == event_uuid("octocat/Hello-World:2016-10-10T00:00:00Z:views")
    assert events[0].as_json()["timestamp"] == "2016-10-10T00:00:00Z"
    assert len({e.uuid for e in events}) == 15


def test_githubs_published_clones_example():
    payload = json.loads((FIXTURES / "traffic-clones.json").read_text())
    days = [DailyStat(d["timestamp"], d["count"], d["uniques"]) for d in payload["clones"]]
    events = traffic_events("octocat/Hello-World", "clones", days)
    assert [e.properties["count"] for e in events] == [d["count"] for d in payload["clones"]]
    assert all(e.event == "repository.cloned" for e in events)


def test_timestamp_string_is_kept_byte_for_byte_in_the_uuid():
    # a non-canonical form must not be normalised before hashing
    [event] = traffic_events("o/r", "views", [DailyStat("2026-11-25T00:00:00.000Z", 1, 1)])
    assert event.uuid == event_uuid("o/r:2026-11-25T00:00:00.000Z:views")
    assert parse_timestamp("2026-11-25T00:00:00.000Z") == datetime(2026, 11, 25, tzinfo=timezone.utc)


def test_dry_run_json_form():
    [event] = traffic_events("o/r", "views", [DailyStat("2026-11-25T00:00:00Z", 1, 1)])
    data = event.as_json()
    assert set(data) == {"uuid", "event", "distinct_id", "timestamp", "properties"}
    assert data["timestamp"].endswith("Z")
