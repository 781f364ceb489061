"""Inside GitHub Actions: masks first, groups, capped annotations, outputs and the step summary."""

from conftest import GITHUB_TOKEN, PERSONAL_KEY, PROJECT_KEY, days_ago

from gps.actions import escape


def actions_env(tmp_path, **extra):
    (tmp_path / "out").write_text("")
    (tmp_path / "summary.md").write_text("")
    return {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "out"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), **extra}


def without_masks(text):
    return "\n".join(line for line in text.splitlines() if not line.startswith("::add-mask::"))


def test_masks_come_first_then_groups_outputs_and_summary(github, posthog, gps, tmp_path):
    github.add_repo("octo-user/alpha", views=[(days_ago(2), 7, 3)],
                    clones=[(days_ago(2), 2, 1)])
    env = actions_env(tmp_path, GPS_POSTHOG_TOKEN=PERSONAL_KEY)
    run = gps(env=env, secrets_allowed_in=("::add-mask::",))
    assert run.returncode == 0, run.stderr
    first = run.stdout.splitlines()[:3]
    assert sorted(first) == sorted(f"::add-mask::{s}" for s in (GITHUB_TOKEN, PROJECT_KEY, PERSONAL_KEY))
    assert "::group::Owners and repositories" in run.stderr and "::endgroup::" in run.stderr
    outputs = dict(line.split("=", 1) for line in (tmp_path / "out").read_text().splitlines())
    assert outputs["events-sent"] == "2" and outputs["repositories"] == "1"
    assert outputs["views"] == "7" and outputs["clones"] == "2"
    assert set(outputs) >= {"events-sent", "events-skipped", "events-failed", "repositories",
                            "views", "clones"}
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("# GitHub traffic → PostHog: octo-user")
    assert "[octo-user/alpha](https://github.com/octo-user/alpha) | 0 | 7 | 3 | 2 | 1 |" in summary
    for secret in (GITHUB_TOKEN, PROJECT_KEY, PERSONAL_KEY):
        assert secret not in summary and secret not in without_masks(run.output)


def test_annotations_are_capped_at_ten_per_kind(github, posthog, gps, tmp_path):
    github.add_repo("octo-user/fine", views=[(days_ago(2), 1, 1)])
    for i in range(14):
        github.add_repo(f"octo-user/locked-{i:02d}")
    github.fail(r"^/repos/octo-user/locked-\d+/traffic/", status=403, times=None,
                body={"message": "Resource not accessible by personal access token"})
    run = gps(env=actions_env(tmp_path), secrets_allowed_in=("::add-mask::",))
    assert run.returncode == 0, run.stderr
    warnings = [line for line in run.stderr.splitlines() if line.startswith("::warning::")]
    assert len(warnings) == 11
    assert warnings[-1].startswith("::warning::4 more warnings")
    assert run.stderr.count("warning: octo-user/locked-") == 4  # the rest still in the log
    summary = (tmp_path / "summary.md").read_text()
    assert summary.count("no traffic access —") == 14


def test_configuration_error_is_an_error_annotation_and_in_the_summary(github, posthog, gps, tmp_path):
    run = gps(env=actions_env(tmp_path, GPS_ALLOW_FORKS="maybe"), secrets_allowed_in=("::add-mask::",))
    assert run.returncode == 2
    assert "::error::gps: error: GPS_ALLOW_FORKS" in run.stderr
    assert "GPS_ALLOW_FORKS" in (tmp_path / "summary.md").read_text()


def test_summary_file_locally(github, posthog, gps, tmp_path):
    github.add_repo("octo-user/alpha", views=[(days_ago(2), 7, 3)])
    run = gps("--summary", str(tmp_path / "report.md"), "--dry-run")
    assert run.returncode == 0
    report = (tmp_path / "report.md").read_text()
    assert "**Dry run**" in report and "octo-user/alpha" in report
    assert "::" not in run.stderr  # no workflow commands outside Actions


def test_escape_workflow_command_data():
    assert escape("50%\nnext\r") == "50%25%0Anext%0D"
