"""Faults injected by the fakes, end to end: every event ends delivered exactly once, or counted as
failed and delivered by a later run; the user is told what happened; no secret leaks."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from conftest import PERSONAL_KEY, days_ago

DAYS = [days_ago(n) for n in (6, 5, 4, 3, 2)]


def add_repos(github, n):
    for i in range(n):
        github.add_repo(f"octo-user/r{i:03d}", views=[(d, 10 + i, 3) for d in DAYS],
                        clones=[(d, 1 + i, 1) for d in DAYS])
    return 2 * len(DAYS) * n


def exact(posthog, github):
    """The store holds every expected event once per key, with the right value."""
    final = posthog.store.final()
    expected = {}
    for repo in github.repos.values():
        for stat, days in (("views", repo.views), ("clones", repo.clones)):
            for ts, count, _ in days:
                expected[(repo.full_name, stat, ts[:10])] = count
    got = {(r["properties"]["repo"], "views" if r["event"] == "repository.viewed" else "clones",
            r["timestamp"][:10]): r["properties"]["count"] for r in final.values()}
    return got == expected


def test_github_stall_past_the_timeout_is_retried(github, posthog, gps):
    add_repos(github, 3)
    github.fail(r"^/repos/octo-user/r001/traffic/views", stall=3, status=200,
                body={"count": 0, "uniques": 0, "views": []}, times=1)
    run = gps(env={"GPS_TIMEOUT": "1"})
    assert run.returncode == 0, run.stderr
    assert github.count(r"^/repos/octo-user/r001/traffic/views") == 2
    assert exact(posthog, github)


def test_github_that_never_answers_fails_that_repository_only(github, posthog, gps):
    add_repos(github, 3)
    github.fail(r"^/repos/octo-user/r002/traffic/clones", stall=3, times=None)
    run = gps(env={"GPS_TIMEOUT": "1"}, timeout=60)
    assert run.returncode == 1
    assert "octo-user/r002" in run.stderr and "timed out" in run.stderr
    stored = {r["properties"]["repo"] for r in posthog.store.rows()}
    assert stored == {"octo-user/r000", "octo-user/r001"}


def test_malformed_json_fails_that_repository_with_a_clear_message(github, posthog, gps):
    add_repos(github, 2)
    github.fail(r"^/repos/octo-user/r000/traffic/views", status=200, raw=b"<html>oops", times=None)
    run = gps()
    assert run.returncode == 1
    assert "octo-user/r000: reading from GitHub failed (views: the response is not valid JSON" in run.stderr
    assert {r["properties"]["repo"] for r in posthog.store.rows()} == {"octo-user/r001"}


def test_connection_refused_is_a_clear_error(github, posthog, gps):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = gps(env={"GPS_GITHUB_URL": f"http://127.0.0.1:{port}"})
    assert run.returncode == 1
    assert run.stderr.strip().startswith("gps: error: GitHub (http://127.0.0.1:")
    assert "cannot connect to the server" in run.stderr


def test_posthog_stall_past_the_timeout_is_retried_and_stored_once(github, posthog, gps):
    total = add_repos(github, 2)
    posthog.fail("^/batch", stall=3, status=503, body={"detail": "slow"}, times=1)
    run = gps(env={"GPS_TIMEOUT": "1"})
    assert run.returncode == 0, run.stderr
    assert len(posthog.store.rows()) == total and exact(posthog, github)


def start(github, posthog, tmp_path, extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GPS_", "GITHUB_"))}
    env.update(GPS_GITHUB_KEY="ghp_SENTINELgithubTOKEN0000000000000000", GPS_GITHUB_URL=github.url,
               GPS_POSTHOG_KEY="phc_SENTINELprojectKEY000000000000000000",
               GPS_POSTHOG_URL=posthog.url, GPS_METRICS="views,clones", GPS_CONCURRENCY="2",
               **(extra or {}))
    return subprocess.Popen([sys.executable, "-m", "gps"], env=env, cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_batches(posthog, n, seconds=30):
    deadline = time.monotonic() + seconds
    while posthog.count("^/batch") < n and time.monotonic() < deadline:
        time.sleep(0.05)


def test_sigterm_flushes_reports_and_the_next_run_converges(github, posthog, gps, tmp_path):
    add_repos(github, 60)
    github.latency = 0.02
    proc = start(github, posthog, tmp_path)
    wait_for_batches(posthog, 2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert "the next run sends the rest" in err
    assert 0 < len(posthog.store.final()) < 600
    github.latency = 0
    again = gps()
    assert again.returncode == 0
    assert exact(posthog, github)


def test_sigkill_mid_run_then_the_next_run_converges(github, posthog, gps, tmp_path):
    add_repos(github, 60)
    github.latency = 0.02
    proc = start(github, posthog, tmp_path)
    wait_for_batches(posthog, 1)
    proc.kill()
    proc.communicate(timeout=30)
    github.latency = 0
    again = gps(env={"GPS_POSTHOG_ID": str(posthog.project_id), "GPS_POSTHOG_TOKEN": PERSONAL_KEY,
                     "GPS_POSTHOG_API_URL": posthog.url})
    assert again.returncode == 0, again.stderr
    assert exact(posthog, github)


@pytest.mark.parametrize("env,setting", [
    ({"GPS_GITHUB_KEY": None}, "GPS_GITHUB_KEY"),
    ({"GPS_GITHUB_KEY": ""}, "GPS_GITHUB_KEY"),
    ({"GPS_POSTHOG_KEY": None}, "GPS_POSTHOG_KEY"),
    ({"GPS_POSTHOG_ID": "twelve"}, "GPS_POSTHOG_ID"),
    ({"GPS_DRY_RUN": "maybe"}, "GPS_DRY_RUN"),
    ({"GPS_GITHUB_URL": "api.github.com"}, "GPS_GITHUB_URL"),
    ({"GPS_POSTHOG_URL": "ftp://eu.i.posthog.com"}, "GPS_POSTHOG_URL"),
    ({"GPS_POSTHOG_API_URL": "https://eu.posthog.com/a b"}, "GPS_POSTHOG_API_URL"),
    ({"GPS_GITHUB_ID": "no_such/owner"}, "GPS_GITHUB_ID"),
    ({"GPS_GITHUB_ID": "nobody-at-all"}, "GPS_GITHUB_ID"),
    ({"GPS_METRICS": "views,likes"}, "GPS_METRICS"),
    ({"GPS_SHARD": "3/2"}, "GPS_SHARD"),
    ({"GPS_SHARD": "0/4"}, "GPS_SHARD"),
])
def test_bad_input_is_one_line_naming_the_setting_exit_2(github, posthog, gps, env, setting):
    github.add_repo("octo-user/alpha", views=[(DAYS[0], 1, 1)])
    run = gps(env=env)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"gps: error: {setting}:"), run.stderr
    assert posthog.count() == 0


def test_malformed_dotenv_line_is_named_with_exit_2(github, posthog, gps, tmp_path):
    (tmp_path / ".env").write_text("GPS_ALLOW_FORKS=1\nexport = = =\n")
    run = gps()
    assert run.returncode == 2 and ".env line 2" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_only_one_dedup_setting_is_a_warning_not_an_error(github, posthog, gps):
    github.add_repo("octo-user/alpha", views=[(DAYS[0], 1, 1)])
    run = gps(env={"GPS_POSTHOG_ID": "7"})
    assert run.returncode == 0
    assert "warning: dedup is off: GPS_POSTHOG_TOKEN is not set" in run.stderr


def test_stars_github_counts_but_cannot_list_are_reported(github, posthog):
    from conftest import make_config, run_in_process

    repo = github.add_repo("octo-user/popular", stars=[(days_ago(3), "ana"), (days_ago(2), "bo")])
    repo.hidden_stars = 3  # counted in totalCount, never listed (e.g. accounts GitHub hides)
    result, log = run_in_process(make_config(github, posthog, metrics=("stargazers",),
                                             backfill="stargazers"))
    assert result.tally.new == 2
    assert any("octo-user/popular: 3 stars could not be read" in w for w in log.warnings)
