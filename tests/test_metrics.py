"""Referrers, paths, snapshots, stargazers and release downloads, end to end against the fakes."""

import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from conftest import days_ago, make_config, run_in_process, with_dedup

from gps.log import Log
from gps.sync import run_sync

NS = uuid.UUID("45e8f109-f056-4372-9545-9d7b78b20c34")
NOW = datetime.now(timezone.utc)
DAY = NOW.strftime("%Y-%m-%dT00:00:00Z")
COMMON = {"$process_person_profile": False, "$geoip_disable": True, "$ignore_sent_at": True}


def uid(name):
    return str(uuid.uuid5(NS, name))


def run(config):
    return run_in_process(config, NOW)


def stored(posthog, event):
    return {u: r for u, r in posthog.store.final().items() if r["event"] == event}


def props(row):
    return {k: v for k, v in row["properties"].items() if k not in ("$lib", "$lib_version") and
            not k.startswith(("$python", "$os", "$is_server"))}


@pytest.fixture
def busy(github):
    return github.add_repo(
        "octo-user/busy", views=[(days_ago(2), 30, 9)],
        referrers=[("Google", 12, 5), ("news.ycombinator.com", 4, 4)],
        paths=[("/octo-user/busy", "octo-user/busy: a repo", 20, 8)])


def test_referrers_and_paths_are_dated_snapshots(github, posthog, busy):
    config = with_dedup(github, posthog, metrics=("views", "referrers", "paths"))
    result, _ = run(config)
    assert result.exit_code == 0
    refs = stored(posthog, "repository.referrer")
    key = uid(f"octo-user/busy:{DAY}:referrers:Google")
    assert set(refs) == {key, uid(f"octo-user/busy:{DAY}:referrers:news.ycombinator.com")}
    assert refs[key]["distinct_id"] == key
    assert refs[key]["timestamp"].startswith(DAY[:10] + "T00:00:00")
    assert props(refs[key]) == {"repo": "octo-user/busy", "referrer": "Google", "count": 12,
                                "uniques": 5, "window_days": 14, **COMMON}
    [path] = stored(posthog, "repository.path").values()
    assert path["uuid"] == uid(f"octo-user/busy:{DAY}:paths:/octo-user/busy")
    assert props(path)["title"] == "octo-user/busy: a repo" and props(path)["path"] == "/octo-user/busy"
    again, _ = run(config)
    assert again.dedup == "on"
    assert again.plan.to_send == [] and len(again.plan.skipped) == 4  # 1 view day + 3 lists
    busy.referrers[0] = ("Google", 15, 6)  # GitHub's window moved on during the day
    third, _ = run(config)
    assert [e.properties["count"] for e in third.plan.resend] == [15]


def test_zero_view_repositories_cost_no_referrer_or_path_requests(github, posthog):
    github.add_repo("octo-user/quiet")
    result, _ = run(make_config(github, posthog, metrics=("views", "referrers", "paths")))
    assert result.exit_code == 0
    assert github.count(r"/traffic/popular/") == 0
    assert github.count(r"/traffic/views") == 1


def test_snapshot_costs_no_request_and_is_skipped_when_identical(github, posthog):
    repo = github.add_repo("octo-user/busy", forks_count=3, open_issues=2, size_kb=120,
                           language="Rust", topics=["cli", "analytics"],
                           stars=[(days_ago(30), "ana"), (days_ago(3), "bo")])
    without, _ = run(make_config(github, posthog, metrics=("views",)))
    requests_without = github.count()
    github.requests.clear()
    config = with_dedup(github, posthog, metrics=("views", "snapshot"))
    result, _ = run(config)
    assert github.count() == requests_without  # the snapshot comes from the listing
    [row] = stored(posthog, "repository.snapshot").values()
    assert row["uuid"] == uid(f"octo-user/busy:{DAY}:snapshot")
    assert props(row) == {"repo": "octo-user/busy", "stars": 2, "forks": 3, "open_issues": 2,
                          "size_kb": 120, "language": "Rust", "topics": ["cli", "analytics"],
                          "private": False, "fork": False, "archived": False,
                          "pushed_at": "2026-11-30T12:00:00Z", **COMMON}
    again, _ = run(config)
    assert again.dedup == "on"
    assert [e.event for e in again.plan.skipped] == ["repository.snapshot"]
    repo.stars.append((days_ago(0), "cy"))
    third, _ = run(config)
    assert [e.properties["stars"] for e in third.plan.resend] == [3]  # point in time: resent
    assert stored(posthog, "repository.snapshot")[row["uuid"]]["properties"]["stars"] == 3


def stars(n, start_days_ago=400):
    start = NOW - timedelta(days=start_days_ago)
    return [((start + timedelta(hours=3 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"), f"user{i}")
            for i in range(n)]


def test_stargazers_backfill_once_then_only_new_stars(github, posthog):
    repo = github.add_repo("octo-user/popular", stars=stars(250))
    github.add_repo("octo-user/unloved")  # no stars: no request at all
    config = with_dedup(github, posthog, metrics=("stargazers",))
    first, _ = run(config)
    assert first.exit_code == 0
    assert github.count("^/graphql$") == 3  # 250 stars, 100 a page, newest first
    starred = stored(posthog, "repository.starred")
    assert len(starred) == 250
    at, login = repo.stars[7]
    row = starred[uid(f"octo-user/popular:{at}:stargazers:{login}")]
    assert row["timestamp"].replace("+00:00", "Z") == at and props(row)["user"] == login
    github.requests.clear()
    second, _ = run(config)
    assert second.plan.to_send == [] and github.count("^/graphql$") == 1
    repo.stars += [((NOW - timedelta(minutes=5 - i)).strftime("%Y-%m-%dT%H:%M:%SZ"), f"new{i}")
                   for i in range(5)]
    github.requests.clear()
    third, _ = run(config)
    assert github.count("^/graphql$") == 1
    assert sorted(e.properties["user"] for e in third.plan.new) == [f"new{i}" for i in range(5)]
    assert len(stored(posthog, "repository.starred")) == 255


def test_stargazers_without_dedup_read_14_days_unless_backfilled(github, posthog):
    github.add_repo("octo-user/popular", stars=stars(300, start_days_ago=60))
    recent = sum(1 for at, _ in github.repos["octo-user/popular"].stars
                 if at >= (NOW - timedelta(days=14)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    result, _ = run(make_config(github, posthog, metrics=("stargazers",)))
    assert len(result.plan.new) == recent < 300
    assert github.count("^/graphql$") == -(-recent // 100) + (1 if recent % 100 == 0 else 0)
    full, _ = run(make_config(github, posthog, metrics=("stargazers",), backfill="stargazers"))
    assert len(full.plan.new) == 300
    assert len(stored(posthog, "repository.starred")) == 300


def test_release_downloads_are_cumulative_and_max_merged(github, posthog):
    repo = github.add_repo("octo-user/tool", releases=[
        {"tag": "v1.0.0", "assets": {"tool-linux.tar.gz": 40, "tool-mac.zip": 12}},
        {"tag": "v1.1.0-rc1", "prerelease": True, "assets": {"tool-linux.tar.gz": 3}},
        {"tag": "v2.0.0", "draft": True, "assets": {"tool-linux.tar.gz": 0}}])
    config = with_dedup(github, posthog, metrics=("releases",))
    first, _ = run(config)
    rows = stored(posthog, "repository.downloads")
    key = uid(f"octo-user/tool:{DAY}:releases:v1.0.0:tool-linux.tar.gz")
    assert len(rows) == 3 and key in rows  # the draft is not published: no downloads
    assert props(rows[key]) == {"repo": "octo-user/tool", "release": "v1.0.0",
                                "asset": "tool-linux.tar.gz", "downloads": 40,
                                "prerelease": False, **COMMON}
    rc = rows[uid(f"octo-user/tool:{DAY}:releases:v1.1.0-rc1:tool-linux.tar.gz")]
    assert props(rc)["prerelease"] is True
    assert github.count("/releases") == 1
    second, _ = run(config)
    assert second.plan.to_send == []
    repo.releases[0]["assets"]["tool-mac.zip"] = 15
    third, _ = run(config)
    assert [(e.properties["asset"], e.properties["downloads"]) for e in third.plan.resend] == [
        ("tool-mac.zip", 15)]


def test_default_metrics_run_end_to_end(github, posthog, gps, busy):
    run_result = gps(env={"GPS_METRICS": None})
    assert run_result.returncode == 0, run_result.stderr
    events = {r["event"] for r in posthog.store.rows()}
    assert events == {"repository.viewed", "repository.referrer", "repository.path",
                      "repository.snapshot"}


def test_unknown_metric_is_a_configuration_error(github, posthog, gps):
    run_result = gps(env={"GPS_METRICS": "views,forks"})
    assert run_result.returncode == 2
    assert "GPS_METRICS: unknown metric 'forks'" in run_result.stderr


def test_star_change_since_the_last_snapshot(github, posthog):
    repo = github.add_repo("octo-user/busy", stars=stars(4))
    config = with_dedup(github, posthog, metrics=("snapshot",))
    log = Log(stream=io.StringIO())
    run_sync(config, log, out=io.StringIO(), now=NOW - timedelta(days=1))  # yesterday's run
    repo.stars += stars(3, start_days_ago=1)[:3]
    result, _ = run(config)
    assert result.previous_stars == {"octo-user/busy": 4}
    from gps.report import markdown
    assert "| 7 (+3) |" in markdown(result)
