"""Dedup through the query API (max-merge) and the hold-back rule, against the fake PostHog.

The fake evaluates the project's real HogQL query against the rows it stores (translated to
SQLite), so these tests fail if the query asks for the wrong thing.
"""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from conftest import PERSONAL_KEY, make_config, run_in_process, with_dedup

from gps.dedup import STORED_VALUES_QUERY, QueryFailed, Stored, StoredValues, plan_events, query_api_url
from gps.events import traffic_events
from gps.model import DailyStat

NS = uuid.UUID("45e8f109-f056-4372-9545-9d7b78b20c34")
START = datetime(2026, 3, 1, tzinfo=timezone.utc)


def day(n):
    return (START + timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def views(repo, *counts, first=0):
    return traffic_events(repo, "views", [DailyStat(day(first + i), c, max(1, c // 2))
                                          for i, c in enumerate(counts)])


def client(posthog, page_size=50_000, token=PERSONAL_KEY, project=None):
    return StoredValues(posthog.url, project or posthog.project_id, token, timeout=2,
                        page_size=page_size, backoff=0.05)


# -- pure decisions --------------------------------------------------------------------------------

@pytest.mark.parametrize("capture,api", [
    ("https://us.i.posthog.com", "https://us.posthog.com"),
    ("https://eu.i.posthog.com", "https://eu.posthog.com"),
    ("https://posthog.example.org", "https://posthog.example.org"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
])
def test_query_api_host_is_derived_from_the_capture_host(capture, api):
    assert query_api_url(capture) == api
    assert query_api_url(capture, "https://override.example/") == "https://override.example"


def test_max_merge_decisions():
    new, same, grown, lower, mixed = views("o/r", 5, 10, 20, 3, 8)
    stored = {same.uuid: Stored(10, 5), grown.uuid: Stored(12, 10), lower.uuid: Stored(9, 9),
              mixed.uuid: Stored(6, 9)}
    plan = plan_events([new, same, grown, lower, mixed], stored, START.date())
    assert plan.new == [new]
    assert plan.skipped == [same, lower]  # stored >= fetched: a truncated edge never lowers
    resent = {e.uuid: (e.properties["count"], e.properties["uniques"]) for e in plan.resend}
    assert resent == {grown.uuid: (20, 10), mixed.uuid: (8, 9)}  # per-field maximum
    assert plan.to_send == plan.new + plan.resend


def test_without_dedup_buckets_14_days_old_are_held_back():
    events = views("o/r", *range(1, 16))  # days 0..14
    plan = plan_events(events, None, (START + timedelta(days=14)).date())
    assert plan.held_back == [events[0]]  # day 0 is 14 days before the run's date
    assert plan.new == events[1:]


# -- the query against the fake ---------------------------------------------------------------------

def test_query_is_scoped_and_takes_values_only_through_placeholders(posthog):
    mine = views("o/mine", 4, 5)
    others = views("o/other", 7) + traffic_events("o/mine", "clones", [DailyStat(day(0), 2, 1)])
    old = views("o/mine", 9, first=-30)
    posthog.store.insert(posthog.project_id, [e.as_json() for e in mine + others + old])
    posthog.store.insert(posthog.project_id, [{"uuid": str(uuid.uuid4()), "event": "$pageview",
                                               "distinct_id": "u", "timestamp": day(0),
                                               "properties": {"repo": "o/mine", "count": 1}}])
    stored = client(posthog).fetch(mine).stored
    assert stored == {e.uuid: Stored(e.properties["count"], e.properties["uniques"]) for e in mine}
    [query] = posthog.queries
    assert query["query"] == STORED_VALUES_QUERY
    for literal in ("o/mine", "repository.viewed", "2026-03", mine[0].uuid):
        assert literal not in query["query"]
    assert query["values"]["repos"] == ["o/mine"]
    assert query["values"]["event_names"] == ["repository.viewed"]


def test_several_unmerged_rows_give_their_maximum(posthog):
    [event] = views("o/r", 10)
    lower = {**event.as_json(), "properties": {**event.properties, "count": 3, "uniques": 9}}
    posthog.store.insert(posthog.project_id, [event.as_json(), lower])
    assert client(posthog).fetch([event]).stored == {event.uuid: Stored(10, 9)}


def test_more_than_one_page_is_read_completely(posthog):
    events = [e for n in range(25) for e in views(f"o/repo-{n}", *range(1, 11))]  # 250 events
    posthog.store.insert(posthog.project_id, [e.as_json() for e in events])
    reader = client(posthog, page_size=100)
    stored = reader.fetch(events).stored
    assert set(stored) == {e.uuid for e in events}
    assert reader.queries == 3 == len(posthog.queries)


def test_query_count_stays_within_the_bound_at_scale(posthog):
    # 100 000 of ours among 60 000 other events: ceil(100 000 / 50 000) = 2 queries (+1 at most)
    events = [e for n in range(10_000) for e in views(f"org/r{n}", *range(1, 11))]
    posthog.store.insert(posthog.project_id, [e.as_json() for e in events])
    noise = [{"uuid": str(uuid.uuid4()), "event": "$pageview", "distinct_id": "u",
              "timestamp": day(n % 10), "properties": {"repo": "org/r1"}} for n in range(60_000)]
    posthog.store.insert(posthog.project_id, noise)
    reader = client(posthog)
    stored = reader.fetch(events).stored
    assert len(stored) == 100_000
    assert reader.queries <= -(-len(events) // 50_000) + 1


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_personal_key(posthog, status):
    if status == 401:
        reader = client(posthog, token="phx_wrong")
    else:
        posthog.fail("/query", status=403, body={"detail": "You do not have permission."})
        reader = client(posthog)
    with pytest.raises(QueryFailed) as caught:
        reader.fetch(views("o/r", 1))
    assert caught.value.rejected and "GPS_POSTHOG_TOKEN" in str(caught.value)
    assert "phx_wrong" not in str(caught.value)


def test_unknown_project_is_rejected(posthog):
    with pytest.raises(QueryFailed, match="GPS_POSTHOG_ID") as caught:
        client(posthog, project=999).fetch(views("o/r", 1))
    assert caught.value.rejected


def test_bad_query_is_not_retried(posthog):
    posthog.fail("/query", status=400, body={"detail": "Syntax error"}, times=None)
    with pytest.raises(QueryFailed, match="Syntax error") as caught:
        client(posthog).fetch(views("o/r", 1))
    assert not caught.value.rejected and posthog.count("/query") == 1


@pytest.mark.parametrize("status,headers", [(429, {"Retry-After": "1"}), (502, {}), (503, {})])
def test_transient_failures_are_retried(posthog, status, headers):
    posthog.fail("/query", status=status, body={"detail": "busy"}, headers=headers, times=2)
    assert client(posthog).fetch(views("o/r", 1)).stored == {}
    assert posthog.count("/query") == 3


def test_persistent_5xx_and_stall_give_up(posthog):
    posthog.fail("/query", status=500, body={"detail": "down"}, times=None)
    with pytest.raises(QueryFailed, match="HTTP 500"):
        client(posthog).fetch(views("o/r", 1))
    posthog.clear_faults()
    posthog.fail("/query", stall=3, times=None)
    with pytest.raises(QueryFailed, match="timed out"):
        client(posthog).fetch(views("o/r", 1))


# -- whole runs --------------------------------------------------------------------------------------

def window(true_values, run_day, partial=0.4, edge=0.25):
    """GitHub's 15 buckets on `run_day`: today partial, the oldest truncated, the rest complete."""
    buckets = []
    for d in range(run_day - 14, run_day + 1):
        value = true_values.get(d)
        if not value:
            continue
        if d == run_day:
            value = max(1, int(value * partial))
        elif d == run_day - 14:
            value = max(1, int(value * edge))
        buckets.append((day(d), value, max(1, value // 3)))
    return buckets


def run(config, now_day):
    return run_in_process(config, START + timedelta(days=now_day, hours=15))


@pytest.mark.parametrize("dedup", [True, False])
def test_a_simulated_fortnight_keeps_every_true_daily_value(github, posthog, dedup):
    true_values = {d: 40 + (d * 7) % 23 for d in range(-20, 40)}
    repo = github.add_repo("octo-user/alpha")
    config = with_dedup(github, posthog) if dedup else make_config(github, posthog)
    first, last = 0, 20
    for run_day in range(first, last + 1):
        repo.views = window(true_values, run_day)
        result, _ = run(config, run_day)
        assert result.exit_code == 0
        assert result.dedup == ("on" if dedup else "off")
    final = {row["timestamp"][:10]: row["properties"]["count"]
             for row in posthog.store.final().values()}
    seen_mid_window = range(first - 13, last)  # every day some run saw neither partial nor truncated
    for d in seen_mid_window:
        assert final[day(d)[:10]] == true_values[d], f"day {d}"
    if dedup:
        # with dedup, unchanged days are never resent: far fewer rows than 21 runs x 15 buckets
        assert len(posthog.store.rows()) < 2 * len(final) + 2


def test_second_run_sends_nothing_and_partial_today_is_corrected(github, posthog):
    repo = github.add_repo("octo-user/alpha", views=[(day(0), 10, 4), (day(1), 3, 1)])
    config = with_dedup(github, posthog)
    first, _ = run(config, 1)
    assert len(first.plan.new) == 2 and first.dedup_queries == 1
    second, _ = run(config, 1)
    assert second.plan.to_send == [] and len(second.plan.skipped) == 2
    assert second.delivery.delivered == 0
    repo.views = [(day(0), 10, 4), (day(1), 12, 5)]  # today's partial bucket completed
    third, _ = run(config, 2)
    assert [e.properties["count"] for e in third.plan.resend] == [12]
    assert len(third.plan.skipped) == 1
    final = {r["timestamp"][:10]: r["properties"]["count"] for r in posthog.store.final().values()}
    assert final == {day(0)[:10]: 10, day(1)[:10]: 12}
    fourth, _ = run(config, 2)
    assert fourth.plan.to_send == []  # resent once only


def test_only_one_dedup_setting_warns_which_is_missing(github, posthog):
    github.add_repo("octo-user/alpha", views=[(day(0), 1, 1)])
    _, log = run(make_config(github, posthog, posthog_id=7), 1)
    assert any("GPS_POSTHOG_TOKEN is not set" in w for w in log.warnings)
    _, log = run(make_config(github, posthog, posthog_token=PERSONAL_KEY), 1)
    assert any("GPS_POSTHOG_ID is not set" in w for w in log.warnings)


def test_query_failure_falls_back_to_hold_back_and_rejection_fails_the_run(github, posthog):
    github.add_repo("octo-user/alpha", views=[(day(0), 5, 2), (day(14), 1, 1)])
    posthog.fail("/query", status=503, body={"detail": "down"}, times=None)
    result, log = run(with_dedup(github, posthog), 14)
    assert result.dedup == "failed" and result.exit_code == 0
    assert [e.timestamp.day for e in result.plan.held_back] == [1]
    assert result.delivery.delivered == 1
    assert any("HTTP 503" in w and "holding back" in w for w in log.warnings)
    posthog.clear_faults()
    result, log = run(with_dedup(github, posthog, posthog_token="phx_wrong"), 14)
    assert result.dedup_rejected and result.exit_code == 1
    assert len(result.plan.held_back) == 1 and result.delivery.delivered == 1
