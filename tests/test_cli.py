"""End to end: the real `gps` command as a subprocess against the fake GitHub and PostHog."""

import json
import sys
import uuid

from conftest import GITHUB_TOKEN, ROOT, days_ago

NS = uuid.UUID("45e8f109-f056-4372-9545-9d7b78b20c34")
DAYS = [days_ago(back) for back in (5, 4, 3)]


def original_tool_events(github, names):
    """What the original tool stores for these repositories: an independent oracle of the scheme."""
    expected = {}
    for name in names:
        repo = github.repos[name.lower()]
        for stat, event, days in (("views", "repository.viewed", repo.views),
                                  ("clones", "repository.cloned", repo.clones)):
            for ts, count, uniques in days:
                key = str(uuid.uuid5(NS, f"{repo.full_name}:{ts}:{stat}"))
                expected[key] = (event, repo.full_name, count, uniques, ts)
    return expected


def stored_events(posthog):
    return {u: (r["event"], r["properties"]["repo"], r["properties"]["count"],
                r["properties"]["uniques"], r["timestamp"].replace("+00:00", "Z"))
            for u, r in posthog.store.final().items()}


def add_traffic_repo(github, name, scale=1, **kwargs):
    return github.add_repo(name, views=[(d, 10 * scale + i, 3 + i) for i, d in enumerate(DAYS)],
                           clones=[(d, scale + i, 1) for i, d in enumerate(DAYS[1:])], **kwargs)


def test_token_user_run_stores_exactly_what_the_original_would_plus_private(github, posthog, gps):
    add_traffic_repo(github, "octo-user/alpha")
    add_traffic_repo(github, "octo-user/Beta-Repo", scale=2)
    add_traffic_repo(github, "octo-user/secret", private=True)
    add_traffic_repo(github, "octo-user/forked", fork=True)
    add_traffic_repo(github, "octo-user/old", archived=True)
    github.add_repo("octo-user/quiet")  # no traffic at all

    run = gps(env={"GPS_ALLOW_PRIVATE": "1"})
    assert run.returncode == 0, run.stderr
    expected = original_tool_events(github, ["octo-user/alpha", "octo-user/Beta-Repo",
                                             "octo-user/secret", "octo-user/old"])
    assert stored_events(posthog) == expected
    assert len(posthog.store.rows()) == len(expected) == 20
    for row in posthog.store.rows():
        assert row["distinct_id"] == row["uuid"]
        props = row["properties"]
        assert props["$process_person_profile"] is False and props["$geoip_disable"] is True
        assert props["$ignore_sent_at"] is True
    assert "skipped octo-user/forked: fork" in run.stderr
    assert "20 delivered, 0 failed" in run.stderr
    assert run.stdout == ""  # logs go to stderr only

    # a second identical run changes nothing that PostHog keeps
    before = stored_events(posthog)
    again = gps(env={"GPS_ALLOW_PRIVATE": "1"})
    assert again.returncode == 0
    assert stored_events(posthog) == before


def test_private_repositories_are_skipped_by_default(github, posthog, gps):
    add_traffic_repo(github, "octo-user/alpha")
    add_traffic_repo(github, "octo-user/secret", private=True)
    assert gps().returncode == 0
    assert {r[1] for r in stored_events(posthog).values()} == {"octo-user/alpha"}


def test_organization_owner(github, posthog, gps):
    github.add_org("octo-org")
    add_traffic_repo(github, "octo-org/tool")
    add_traffic_repo(github, "octo-org/internal", private=True)
    run = gps(env={"GPS_GITHUB_ID": "octo-org", "GPS_ALLOW_PRIVATE": "true"})
    assert run.returncode == 0, run.stderr
    assert "owner: octo-org (organization)" in run.stderr
    assert stored_events(posthog) == original_tool_events(github, ["octo-org/tool", "octo-org/internal"])


def test_another_user_is_public_only_and_says_so(github, posthog, gps):
    github.add_user("stranger")
    add_traffic_repo(github, "stranger/open")  # our token is a collaborator with push access
    add_traffic_repo(github, "stranger/hidden", private=True)
    run = gps(env={"GPS_GITHUB_ID": "stranger", "GPS_ALLOW_PRIVATE": "1"})
    assert run.returncode == 0, run.stderr
    assert "only their public repositories" in run.stderr
    assert stored_events(posthog) == original_tool_events(github, ["stranger/open"])


def test_token_that_can_read_no_traffic_at_all_is_a_credentials_error(github, posthog, gps):
    github.add_user("stranger")
    add_traffic_repo(github, "stranger/open", push=False)
    add_traffic_repo(github, "stranger/other", push=False)
    run = gps(env={"GPS_GITHUB_ID": "stranger"})
    assert run.returncode == 2
    assert "GPS_GITHUB_KEY: the token cannot read the traffic of any of the 2 selected repositories" in run.stderr
    assert "Administration: read" in run.stderr
    assert posthog.count() == 0


def test_a_403_repository_is_a_warning_and_the_run_goes_on(github, posthog, gps):
    add_traffic_repo(github, "octo-user/alpha")
    locked = add_traffic_repo(github, "octo-user/locked")
    locked.push = False  # listed as pushable, but traffic answers 403 (fine-grained PAT)
    locked.denied_message = "Resource not accessible by personal access token"
    github.repos["octo-user/locked"] = locked
    run = gps()
    # the listing now says push: false, so the repository is skipped up front with its reason
    assert run.returncode == 0, run.stderr
    assert "skipped octo-user/locked: no push access" in run.stderr
    assert stored_events(posthog) == original_tool_events(github, ["octo-user/alpha"])


def test_traffic_403_after_listing_names_repo_message_and_permission(github, posthog, gps):
    add_traffic_repo(github, "octo-user/alpha")
    add_traffic_repo(github, "octo-user/locked")
    github.fail(r"^/repos/octo-user/locked/traffic/", status=403, times=None,
                body={"message": "Resource not accessible by personal access token",
                      "documentation_url": "https://docs.github.com/rest", "status": "403"})
    run = gps()
    assert run.returncode == 0, run.stderr
    warning = [line for line in run.stderr.splitlines() if line.startswith("warning:")][0]
    assert "octo-user/locked" in warning
    assert "Resource not accessible by personal access token" in warning
    assert "Administration: read" in warning
    assert stored_events(posthog) == original_tool_events(github, ["octo-user/alpha"])


def test_a_failing_repository_fails_the_run_but_not_the_others(github, posthog, gps):
    add_traffic_repo(github, "octo-user/alpha")
    add_traffic_repo(github, "octo-user/broken")
    github.fail(r"^/repos/octo-user/broken/traffic/views", status=500, times=None,
                body={"message": "Server Error"})
    run = gps()
    assert run.returncode == 1
    assert "octo-user/broken" in run.stderr and "failed" in run.stderr
    assert stored_events(posthog) == original_tool_events(github, ["octo-user/alpha"])


def test_dry_run_prints_json_lines_and_sends_nothing(github, posthog, gps):
    add_traffic_repo(github, "octo-user/alpha")
    run = gps("--dry-run", env={"GPS_POSTHOG_KEY": None})
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(lines) == 5
    assert {tuple(sorted(e)) for e in lines} == {("distinct_id", "event", "properties", "timestamp", "uuid")}
    assert all(e["timestamp"].endswith("Z") for e in lines)
    expected = original_tool_events(github, ["octo-user/alpha"])
    assert {e["uuid"] for e in lines} == set(expected)
    assert posthog.count() == 0
    assert "dry run" in run.stderr


def test_rejected_github_token(github, posthog, gps):
    run = gps(env={"GPS_GITHUB_KEY": "ghp_not_a_real_token"})
    assert run.returncode == 2
    assert run.stderr.strip() == "gps: error: GPS_GITHUB_KEY: GitHub rejected the token (401 Bad credentials)"
    assert "ghp_not_a_real_token" not in run.output


def test_unknown_owner(github, posthog, gps):
    run = gps(env={"GPS_GITHUB_ID": "no-such-owner"})
    assert run.returncode == 2
    assert "GPS_GITHUB_ID: no GitHub user or organization named 'no-such-owner'" in run.stderr


def test_rejected_posthog_key(github, posthog, gps):
    add_traffic_repo(github, "octo-user/alpha")
    run = gps(env={"GPS_POSTHOG_KEY": "phc_wrong"})
    assert run.returncode == 2
    assert "GPS_POSTHOG_KEY: PostHog rejected the project API key" in run.stderr
    assert "phc_wrong" not in run.output


def test_posthog_failing_then_recovering(github, posthog, gps):
    add_traffic_repo(github, "octo-user/alpha")
    add_traffic_repo(github, "octo-user/beta")
    posthog.fail("^/batch", status=500, body={"detail": "ingestion down"}, times=None)
    run = gps()
    assert run.returncode == 1
    assert "10 events were not delivered" in run.stderr
    assert "octo-user/alpha, octo-user/beta" in run.stderr
    assert posthog.store.rows() == []
    posthog.clear_faults()
    again = gps()
    assert again.returncode == 0
    assert stored_events(posthog) == original_tool_events(github, ["octo-user/alpha", "octo-user/beta"])


def test_config_error_exit_2_one_line(github, posthog, gps):
    run = gps(env={"GPS_ALLOW_FORKS": "maybe"})
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "GPS_ALLOW_FORKS" in run.stderr


def test_flags_override_environment(github, posthog, gps):
    add_traffic_repo(github, "octo-user/secret", private=True)
    run = gps("sync", "--allow-private", "--dry-run", env={"GPS_ALLOW_PRIVATE": "0"})
    assert run.returncode == 0
    assert len(run.stdout.splitlines()) == 5


def test_dotenv_in_working_directory(github, posthog, gps, tmp_path):
    add_traffic_repo(github, "octo-user/alpha")
    (tmp_path / ".env").write_text(f"GPS_GITHUB_KEY={GITHUB_TOKEN}\nGPS_DRY_RUN=yes\n")
    run = gps(env={"GPS_GITHUB_KEY": None})
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.splitlines()) == 5


def test_entry_points_run_the_same_command(github, posthog, gps):
    for cmd in ([sys.executable, "-m", "gps"], [sys.executable, str(ROOT / "entrypoint.py")]):
        run = gps("--version", cmd=cmd)
        assert run.returncode == 0 and run.stdout.startswith("gps ")
        assert "sync" in gps("--help", cmd=cmd).stdout
    run = gps("--dry-run", cmd=[sys.executable, str(ROOT / "entrypoint.py")])
    assert run.returncode == 0


def dedup_env(posthog):
    from conftest import PERSONAL_KEY

    return {"GPS_POSTHOG_ID": str(posthog.project_id), "GPS_POSTHOG_TOKEN": PERSONAL_KEY,
            "GPS_POSTHOG_API_URL": posthog.url}


def test_with_dedup_the_second_run_sends_nothing(github, posthog, gps):
    add_traffic_repo(github, "octo-user/alpha")
    add_traffic_repo(github, "octo-user/beta")
    first = gps(env=dedup_env(posthog))
    assert first.returncode == 0, first.stderr
    assert "10 new, 0 resent" in first.stderr
    batches = posthog.count("^/batch")
    second = gps(env=dedup_env(posthog))
    assert second.returncode == 0
    assert "0 new, 0 resent with corrected values, 10 skipped as already stored" in second.stderr
    assert posthog.count("^/batch") == batches  # not one capture request
    assert len(posthog.store.rows()) == 10


def test_dry_run_with_dedup_prints_only_what_would_be_sent(github, posthog, gps):
    repo = add_traffic_repo(github, "octo-user/alpha")
    assert gps(env=dedup_env(posthog)).returncode == 0
    repo.views[-1] = (repo.views[-1][0], repo.views[-1][1] + 5, repo.views[-1][2])
    run = gps("--dry-run", env=dedup_env(posthog))
    assert run.returncode == 0
    [line] = [json.loads(text) for text in run.stdout.splitlines()]
    assert line["properties"]["count"] == repo.views[-1][1]
    assert len(posthog.queries) == 2


def test_rejected_dedup_credentials_warn_deliver_and_exit_1(github, posthog, gps):
    add_traffic_repo(github, "octo-user/alpha")
    run = gps(env={**dedup_env(posthog), "GPS_POSTHOG_TOKEN": "phx_wrong"})
    assert run.returncode == 1
    assert "GPS_POSTHOG_TOKEN or GPS_POSTHOG_ID was rejected" in run.stderr
    assert "phx_wrong" not in run.output
    assert stored_events(posthog) == original_tool_events(github, ["octo-user/alpha"])
