"""Which repositories are synced: several owners, names, globs, filters, excludes."""

import io

import pytest
from conftest import make_config

from gps.config import parse_repo_patterns
from gps.errors import ConfigError
from gps.log import Log
from gps.selection import select
from gps.github_source import GitHubSource


@pytest.fixture
def world(github):
    github.add_org("octo-org")
    github.add_user("stranger")
    for name in ("gps-core", "gps-web", "gps-old", "website", "gps-fork"):
        github.add_repo(f"octo-org/{name}", archived=name == "gps-old", fork=name == "gps-fork")
    github.add_repo("octo-org/gps-secret", private=True)
    github.add_repo("octo-user/dotfiles")
    github.add_repo("stranger/shared-private", private=True)  # our token collaborates on it
    return github


def chosen(github, posthog, **settings):
    config = make_config(github, posthog, **settings)
    source = GitHubSource(config.github_key, config.github_url, config.timeout)
    selection = select(source, config, Log(stream=io.StringIO()))
    return ({r.full_name for r in selection.selected},
            {r.full_name: why for r, why in selection.skipped}, selection)


def test_several_owners(world, posthog):
    selected, skipped, selection = chosen(world, posthog, github_id=("octo-org", "octo-user"))
    assert selected == {"octo-org/gps-core", "octo-org/gps-web", "octo-org/gps-old",
                        "octo-org/website", "octo-user/dotfiles"}
    assert skipped["octo-org/gps-fork"].startswith("fork") and skipped["octo-org/gps-secret"].startswith("private")
    assert [o.login for o in selection.owners] == ["octo-org", "octo-user"]


def test_globs_are_matched_against_the_listing_and_filtered(world, posthog):
    selected, skipped, _ = chosen(world, posthog, repositories=("octo-org/gps-*",),
                                  allow_archived=False)
    assert selected == {"octo-org/gps-core", "octo-org/gps-web"}
    assert set(skipped) == {"octo-org/gps-old", "octo-org/gps-fork", "octo-org/gps-secret"}
    assert world.count("^/orgs/octo-org/repos$") == 1


def test_named_repositories_ignore_the_filters_and_may_lie_outside_any_listing(world, posthog):
    selected, _, _ = chosen(world, posthog, repositories=(
        "octo-org/gps-fork", "stranger/shared-private", "octo-org/*"))
    assert {"octo-org/gps-fork", "stranger/shared-private"} <= selected
    assert "octo-org/gps-secret" not in selected  # the glob is still filtered
    assert world.count("^/repos/stranger/shared-private$") == 1
    assert world.count("^/repos/octo-org/gps-fork$") == 1  # named before its owner was listed


def test_a_named_repository_found_in_a_listing_costs_no_request(world, posthog):
    chosen(world, posthog, repositories=("octo-org/*", "octo-org/gps-fork"))
    assert world.count("^/repos/octo-org/gps-fork$") == 0


def test_excludes_come_last(world, posthog):
    selected, skipped, _ = chosen(world, posthog, github_id=("octo-org",),
                                  exclude=("octo-org/gps-w*", "octo-org/WEBSITE"))
    assert selected == {"octo-org/gps-core", "octo-org/gps-old"}
    assert skipped["octo-org/gps-web"] == "excluded (octo-org/gps-w*)"


def test_a_missing_name_is_an_error_naming_it(world, posthog):
    with pytest.raises(ConfigError, match="GPS_REPOSITORIES: no repository 'octo-org/nope'"):
        chosen(world, posthog, repositories=("octo-org/nope",))


def test_missing_name_exits_2(world, posthog, gps):
    run = gps(env={"GPS_REPOSITORIES": "octo-org/gps-core\nocto-org/nope"})
    assert run.returncode == 2
    assert "GPS_REPOSITORIES: no repository 'octo-org/nope'" in run.stderr


@pytest.mark.parametrize("bad", ["nope", "octo-org/", "/name", "octo org/x", "a/b/c", "o/.."])
def test_malformed_entries_are_configuration_errors(bad):
    with pytest.raises(ConfigError, match="GPS_REPOSITORIES"):
        parse_repo_patterns("GPS_REPOSITORIES", bad)


def test_entries_split_on_commas_and_newlines():
    assert parse_repo_patterns("X", "a/b, c/*\n\n d/e-*") == ("a/b", "c/*", "d/e-*")
