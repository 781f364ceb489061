"""Concurrency, the minimum of requests, rate-limit budget and shards (counted, never timed)."""

import math

import pytest
from conftest import days_ago, make_config, run_in_process

from gps.selection import in_shard

SECONDARY = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                        "before you try again.", "documentation_url": "https://docs.github.com/rest"}


def populate(github, n, owner="octo-user", views=True):
    for i in range(n):
        traffic = [(days_ago(3), 5 + i % 7, 2)] if views and i % 5 else []
        github.add_repo(f"{owner}/repo-{i:04d}", views=traffic, clones=traffic,
                        referrers=[("Google", 3, 1)], paths=[("/p", "t", 2, 1)])


@pytest.mark.parametrize("metrics", [("views", "clones"), ("views", "clones", "referrers", "paths"),
                                     ("views", "clones", "referrers", "paths", "snapshot"),
                                     ("referrers", "paths"), ("snapshot",)])
def test_requests_are_the_minimum_for_every_metric_combination(github, posthog, metrics):
    populate(github, 230)
    result, _ = run_in_process(make_config(github, posthog, metrics=metrics, concurrency=8))
    assert result.exit_code == 0
    pages = math.ceil(230 / 100)
    quiet = sum(1 for r in github.repos.values() if r.views and r.views[0][1] == 0) + \
        sum(1 for r in github.repos.values() if not r.views)
    per_repo = sum(1 for m in ("views", "clones") if m in metrics) * 230
    if "views" in metrics:  # referrers/paths are skipped for repositories with no views
        per_repo += sum(1 for m in ("referrers", "paths") if m in metrics) * (230 - quiet)
    else:
        per_repo += sum(1 for m in ("referrers", "paths") if m in metrics) * 230
    assert github.count() == pages + per_repo  # owner: 0 requests, the listing names the user
    assert github.count("^/repos/[^/]+/[^/]+$") == 0  # no completion GETs
    events = result.tally.fetched - result.tally.held_back
    assert posthog.count("^/batch") == math.ceil(events / 100)


def test_organization_owner_costs_one_request(github, posthog):
    github.add_org("octo-org")
    populate(github, 120, owner="octo-org")
    run_in_process(make_config(github, posthog, github_id=("octo-org",)))
    assert github.count("^/users/") == 1 and github.count("^/user$") == 0
    assert github.count("^/orgs/octo-org/repos$") == 2


def test_serial_mode_and_deterministic_order(github, posthog):
    populate(github, 40)
    github.latency = 0.01
    serial, serial_log = run_in_process(make_config(github, posthog, concurrency=1))
    assert github.max_in_flight == 1
    github.max_in_flight = 0
    parallel, parallel_log = run_in_process(make_config(github, posthog, concurrency=8))
    assert github.max_in_flight > 1
    lines = [line for line in serial_log.stream.getvalue().splitlines() if line.startswith("[")]
    assert lines == [line for line in parallel_log.stream.getvalue().splitlines()
                     if line.startswith("[")]
    assert [r.repo.full_name for r in serial.repos] == [r.repo.full_name for r in parallel.repos]
    assert len(lines) == 40


def test_secondary_rate_limit_is_waited_out_then_everything_is_delivered(github, posthog):
    populate(github, 12)
    github.fail(r"/traffic/views", status=403, body=SECONDARY, headers={"Retry-After": "1"},
                times=3)
    result, log = run_in_process(make_config(github, posthog, concurrency=4))
    assert result.exit_code == 0 and not result.deferred
    assert all(r.status == "synced" for r in result.repos)
    assert github.count(r"/traffic/views") == 12 + 3
    assert posthog.store.final() and not result.delivery.failed


def test_a_retry_after_beyond_max_wait_is_not_slept_but_deferred(github, posthog):
    populate(github, 6)
    github.fail(r"^/repos/octo-user/repo-0003/traffic/views", status=429,
                body={"message": "slow down"}, headers={"Retry-After": "3600"}, times=None)
    result, log = run_in_process(make_config(github, posthog, concurrency=1, max_wait=5))
    assert [r.full_name for r in result.deferred] == [f"octo-user/repo-{i:04d}" for i in (3, 4, 5)]
    assert len(result.repos) == 3 and result.exit_code == 0
    assert any("deferred to the next run" in w for w in log.warnings)


def test_budget_running_out_defers_whole_repositories_with_the_reset_time(github, posthog):
    populate(github, 30)
    github.rate_remaining = 1 + 2 * 10  # the listing page, then 10 repositories of views + clones
    result, log = run_in_process(make_config(github, posthog, metrics=("views", "clones"),
                                             concurrency=1))
    assert len(result.repos) == 10 and len(result.deferred) == 20
    assert result.reset_at is not None
    assert github.count(r"/traffic/") == 20  # not one request past the budget
    warning = [w for w in log.warnings if "deferred" in w][0]
    assert "20 repositories deferred" in warning and "refills at" in warning
    from gps.report import markdown, outputs
    assert outputs(result)["repositories-deferred"] == "20"
    assert "20 repositories were deferred" in markdown(result)


def test_primary_limit_hit_mid_run_defers_instead_of_sleeping_an_hour(github, posthog):
    populate(github, 8)
    github.rate_remaining = 1 + 2 * 3 + 1  # the budget ends in the middle of the 4th repository
    result, _ = run_in_process(make_config(github, posthog, metrics=("views", "clones"),
                                           concurrency=1, max_wait=2))
    assert len(result.repos) == 3 and len(result.deferred) == 5


def test_shards_partition_the_repositories_exactly():
    names = [f"Org/Repo-{i}" for i in range(500)]
    for n in (1, 2, 3, 7):
        shards = [{name for name in names if in_shard(name, (k, n))} for k in range(1, n + 1)]
        assert set().union(*shards) == set(names)
        assert sum(len(s) for s in shards) == len(names)
        if n > 1:
            assert all(len(s) > len(names) / n / 2 for s in shards)  # roughly balanced
    assert in_shard("Org/Repo-1", (1, 2)) == in_shard("org/repo-1", (1, 2))


def test_a_shard_run_syncs_only_its_share_and_says_which(github, posthog):
    populate(github, 20)
    result, log = run_in_process(make_config(github, posthog, shard=(2, 3)))
    mine = {r.repo.full_name for r in result.repos}
    assert mine == {n for n in (r.full_name for r in github.repos.values()) if in_shard(n, (2, 3))}
    assert "this is shard 2/3" in log.stream.getvalue()
    from gps.report import markdown
    assert "(shard 2/3)" in markdown(result).splitlines()[0]
