"""The GitHub source against the fake GitHub over real HTTP (PyGithub unmodified)."""

import pytest
from conftest import GITHUB_TOKEN

from gps.errors import CredentialsError, GpsError
from gps.github_source import GitHubSource, TrafficDenied, TrafficFailed
from gps.selection import select_repos
from gps.model import Owner, Repo


def source(github, token=GITHUB_TOKEN):
    return GitHubSource(token, github.url, timeout=5)


def test_select_repos_applies_the_three_filters_and_push_access():
    repos = [Repo("o/plain"), Repo("o/fork", fork=True), Repo("o/private", private=True),
             Repo("o/archived", archived=True), Repo("o/readonly", can_push=False),
             Repo("o/unknown", can_push=None)]
    selected, skipped = select_repos(repos, allow_forks=False, allow_private=False,
                                     allow_archived=True)
    assert [r.full_name for r in selected] == ["o/plain", "o/archived", "o/unknown"]
    assert {r.full_name: why for r, why in skipped} == {
        "o/fork": "fork (GPS_ALLOW_FORKS=0)", "o/private": "private (GPS_ALLOW_PRIVATE=0)",
        "o/readonly": "no push access for this token"}
    selected, _ = select_repos(repos, allow_forks=True, allow_private=True, allow_archived=False)
    assert "o/archived" not in [r.full_name for r in selected]
    assert {"o/fork", "o/private"} <= {r.full_name for r in selected}


def test_token_user_lists_its_own_repositories_including_private(github):
    github.add_repo("octo-user/alpha")
    github.add_repo("octo-user/hidden", private=True)
    github.add_repo("someone/else")
    src = source(github)
    repos = src.list_repos(Owner("", "token-user"))
    assert sorted(r.full_name for r in repos) == ["octo-user/alpha", "octo-user/hidden"]
    assert github.count("^/user/repos$") == 1 and github.count() == 1
    assert github.requests[-1].query["affiliation"] == "owner"
    assert src.token_login() == "octo-user"


def test_naming_yourself_still_includes_private_repositories(github):
    github.add_repo("octo-user/hidden", private=True)
    src = source(github)
    owner = src.resolve_owner("OCTO-USER")
    assert owner.kind == "token-user"
    assert src.resolve_owner("octo-user", private_wanted=False).kind == "user"  # 1 request
    assert [r.full_name for r in src.list_repos(owner)] == ["octo-user/hidden"]


def test_organization_lists_all_types(github):
    github.add_org("octo-org")
    github.add_repo("octo-org/public")
    github.add_repo("octo-org/internal", private=True)
    src = source(github)
    owner = src.resolve_owner("octo-org")
    assert owner.kind == "organization"
    assert len(src.list_repos(owner)) == 2
    listing = [r for r in github.requests if r.path == "/orgs/octo-org/repos"]
    assert listing[0].query["type"] == "all"
    assert github.count("^/users/octo-org$") == 1  # one request told org from user


def test_another_user_is_public_only(github):
    github.add_user("stranger")
    github.add_repo("stranger/open")
    github.add_repo("stranger/closed", private=True)
    src = source(github)
    owner = src.resolve_owner("stranger")
    assert owner.kind == "user" and owner.public_only
    assert [r.full_name for r in src.list_repos(owner)] == ["stranger/open"]


def test_more_than_100_repositories_are_read_on_all_pages(github):
    for i in range(250):
        github.add_repo(f"octo-user/repo-{i:03d}")
    src = source(github)
    repos = src.list_repos(Owner("", "token-user"))
    assert len(repos) == 250 and len({r.full_name for r in repos}) == 250
    pages = [r for r in github.requests if r.path == "/user/repos"]
    assert len(pages) == 3
    assert all(p.query["per_page"] == "100" for p in pages)
    assert github.count(r"^/repos/") == 0  # no completion GETs for listed repositories


def test_unknown_owner_and_rejected_token(github):
    with pytest.raises(CredentialsError, match="GPS_GITHUB_ID: no GitHub user or organization"):
        source(github).resolve_owner("nobody-here")
    with pytest.raises(CredentialsError, match="GPS_GITHUB_KEY: GitHub rejected") as caught:
        source(github, token="ghp_wrong").list_repos(Owner("", "token-user"))
    assert "ghp_wrong" not in str(caught.value)


def test_traffic_keeps_githubs_timestamp_strings(github):
    repo = github.add_repo("octo-user/alpha", views=[("2026-11-25T00:00:00Z", 7, 3)],
                           clones=[("2026-11-24T00:00:00Z", 2, 1)], window_uniques={"views": 3})
    traffic = source(github).read_traffic(Repo(repo.full_name))
    assert traffic["views"].days[0].timestamp == "2026-11-25T00:00:00Z"
    assert (traffic["views"].count, traffic["views"].uniques) == (7, 3)
    assert traffic["clones"].days[0].count == 2
    assert github.count(r"/traffic/") == 2 and github.count(r"^/repos/[^/]+/[^/]+$") == 0


def test_traffic_403_is_denied_with_githubs_message(github):
    github.add_repo("octo-user/locked", push=False, denied_message="Resource not accessible by integration")
    with pytest.raises(TrafficDenied, match="Resource not accessible by integration"):
        source(github).read_traffic(Repo("octo-user/locked"))


def test_traffic_5xx_and_bad_json_fail_the_repository(github):
    github.add_repo("octo-user/flaky")
    github.fail(r"/traffic/views", status=502, body={"message": "Bad Gateway"}, times=None)
    with pytest.raises(TrafficFailed, match="views"):
        source(github).read_traffic(Repo("octo-user/flaky"))
    assert github.count(r"/traffic/views") == 4  # first try + 3 retries
    github.clear_faults()
    github.fail(r"/traffic/clones", status=200, raw=b"{not json", times=None)
    with pytest.raises(TrafficFailed, match="clones"):
        source(github).read_traffic(Repo("octo-user/flaky"))


def test_a_short_5xx_outage_is_retried(github):
    github.add_repo("octo-user/flaky", views=[("2026-11-25T00:00:00Z", 1, 1)])
    github.fail(r"/traffic/views", status=503, body={"message": "Service Unavailable"}, times=2)
    traffic = source(github).read_traffic(Repo("octo-user/flaky"))
    assert traffic["views"].count == 1


def test_connection_refused_is_a_clear_error(github):
    url = github.url
    github.stop()
    with pytest.raises(GpsError, match="cannot connect"):
        GitHubSource(GITHUB_TOKEN, url, timeout=2).token_login()


def test_rate_limit_is_read_from_headers(github):
    src = source(github)
    src.token_login()
    remaining, limit = src.rate_limit()
    assert limit == 5000 and remaining == 4999
    assert github.count("/rate_limit") == 0
