"""The PostHog sink against the fake PostHog over real HTTP (posthog client unmodified)."""

from datetime import datetime, timedelta, timezone

import pytest
from conftest import PROJECT_KEY

from gps.errors import CredentialsError
from gps.events import traffic_events
from gps.model import DailyStat
from gps.posthog_sink import PosthogSink


def make_events(n, repo="octo-user/alpha"):
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    days = [DailyStat((start + timedelta(days=i)).strftime("%Y-%m-%dT00:00:00Z"), i + 1, 1)
            for i in range(n)]
    return traffic_events(repo, "views", days)


def sink(posthog, key=PROJECT_KEY, historical=True):
    return PosthogSink(key, posthog.url, historical, timeout=3, max_retries=2, backoff=0.05)


def test_delivers_every_event_with_its_uuid_timestamp_and_properties(posthog):
    events = make_events(250)
    delivery = sink(posthog).deliver(events)
    assert delivery.delivered == len(events) and not delivery.failed
    stored = posthog.store.final()
    assert len(posthog.store.rows()) == 250
    for event in events:
        row = stored[event.uuid]
        assert row["event"] == "repository.viewed"
        assert row["distinct_id"] == event.uuid
        assert datetime.fromisoformat(row["timestamp"]) == event.timestamp
        assert row["properties"]["count"] == event.properties["count"]
        assert row["properties"]["$ignore_sent_at"] is True
    # batches as large as the client allows: 250 events, 3 requests, gzip bodies
    assert posthog.count("^/batch") == 3
    assert all(r.headers.get("content-encoding") == "gzip" for r in posthog.requests)
    assert all(b["historical_migration"] is True for b in posthog.batches)


def test_historical_migration_can_be_turned_off(posthog):
    sink(posthog, historical=False).deliver(make_events(2))
    assert posthog.batches[0]["historical_migration"] is False


def test_a_short_503_outage_is_retried_and_stored_once(posthog):
    posthog.fail("^/batch", status=503, body={"detail": "unavailable"}, times=2)
    events = make_events(5)
    delivery = sink(posthog).deliver(events)
    assert not delivery.failed
    assert len(posthog.store.rows()) == 5


def test_client_failure_is_recovered_by_the_raw_fallback(posthog):
    # the client gives up after 1 + 2 tries; the raw path then gets through
    posthog.fail("^/batch", status=500, body={"detail": "boom"}, times=3)
    events = make_events(5)
    delivery = sink(posthog).deliver(events)
    assert not delivery.failed and delivery.delivered == 5
    assert posthog.store.final().keys() == {e.uuid for e in events}
    raw = [r for r in posthog.requests if r.headers.get("user-agent", "").startswith("gps/")]
    assert raw and raw[-1].json()["api_key"] == PROJECT_KEY


def test_persistent_500_counts_every_event_failed(posthog):
    posthog.fail("^/batch", status=500, body={"detail": "boom"}, times=None)
    events = make_events(3)
    delivery = sink(posthog).deliver(events)
    assert set(delivery.failed) == {e.uuid for e in events}
    assert all("HTTP 500" in why for why in delivery.failed.values())
    assert not delivery.delivered and not posthog.store.rows()


def test_413_splits_the_batch(posthog):
    events = make_events(8)
    posthog.body_limit = 1500  # a few events per request at most
    delivery = sink(posthog).deliver(events)
    assert not delivery.failed
    assert posthog.store.final().keys() == {e.uuid for e in events}
    assert posthog.count("^/batch") > 3


def test_400_is_reported_and_not_retried_forever(posthog):
    posthog.fail("^/batch", status=400, body={"detail": "Invalid event in batch."}, times=None)
    delivery = sink(posthog).deliver(make_events(2))
    assert len(delivery.failed) == 2
    assert "Invalid event" in next(iter(delivery.failed.values()))
    assert posthog.count("^/batch") == 2  # one by the client, one by the raw path


def test_429_with_retry_after_is_honoured(posthog):
    posthog.fail("^/batch", status=429, body={"detail": "slow down"}, headers={"Retry-After": "1"},
                 times=4)
    delivery = sink(posthog).deliver(make_events(2))
    assert not delivery.failed


def test_rejected_project_key_is_a_credentials_error(posthog):
    with pytest.raises(CredentialsError, match="GPS_POSTHOG_KEY: PostHog rejected") as caught:
        sink(posthog, key="phc_wrong").deliver(make_events(2))
    assert "phc_wrong" not in str(caught.value)


def test_nothing_to_send_sends_nothing(posthog):
    assert sink(posthog).deliver([]).delivered == 0
    assert posthog.count() == 0
