"""The source stage: find the owner, list and select its repositories, read their traffic (PyGithub).

Only fields present in list payloads are touched, so PyGithub never fires a completion GET per
repository. Every GitHub failure leaves this module as one of our exceptions with a clear message.
"""

from __future__ import annotations

import math

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import BadCredentialsException, UnknownObjectException

from gps.errors import CredentialsError, GpsError
from gps.model import DailyStat, Owner, Repo, Traffic

TRAFFIC_PERMISSION = (
    "traffic needs push access: a classic token with `repo` scope, or a fine-grained token "
    "or GitHub App with Administration: read on the repository"
)


class TrafficDenied(Exception):
    """GitHub answered 403 for one repository's traffic: a permission problem, not an outage."""


class TrafficFailed(Exception):
    """Reading one repository's traffic failed for another reason (5xx after retries, bad JSON, …)."""


def describe_github_error(exc: Exception) -> str:
    """One line for any failure PyGithub or requests can raise (never includes credentials)."""
    if isinstance(exc, GithubException):
        data = exc.data if isinstance(exc.data, dict) else {}
        message = data.get("message") or (str(exc.data) if exc.data else "") or "no message"
        return f"HTTP {exc.status}: {message}"
    if isinstance(exc, requests.exceptions.RetryError):
        return "the server kept failing after retries (HTTP 5xx)"
    if isinstance(exc, requests.exceptions.Timeout):
        return "the request timed out"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "cannot connect to the server"
    if isinstance(exc, ValueError):
        return f"the response is not valid JSON ({exc})"
    return f"{type(exc).__name__}: {exc}"


GITHUB_ERRORS = (GithubException, requests.exceptions.RequestException, ValueError)


def select_repos(repos: list[Repo], allow_forks: bool, allow_private: bool,
                 allow_archived: bool) -> tuple[list[Repo], list[tuple[Repo, str]]]:
    """Apply the three filters and the push-access check; return (selected, [(skipped, reason)])."""
    selected, skipped = [], []
    for repo in repos:
        if repo.fork and not allow_forks:
            skipped.append((repo, "fork (GPS_ALLOW_FORKS=0)"))
        elif repo.private and not allow_private:
            skipped.append((repo, "private (GPS_ALLOW_PRIVATE=0)"))
        elif repo.archived and not allow_archived:
            skipped.append((repo, "archived (GPS_ALLOW_ARCHIVED=0)"))
        elif repo.can_push is False:
            skipped.append((repo, "no push access for this token"))
        else:
            selected.append(repo)
    return selected, skipped


def _repo_from_listing(item) -> Repo:
    permissions = item.permissions  # present in every authenticated listing payload
    return Repo(
        full_name=item.full_name,
        private=bool(item.private),
        fork=bool(item.fork),
        archived=bool(item.archived),
        can_push=None if permissions is None else bool(permissions.push or permissions.admin),
        html_url=item.html_url or "",
    )


class GitHubSource:
    """A PyGithub client configured for gps: 100 per page, retries with backoff, no eager GETs."""

    def __init__(self, token: str, base_url: str, timeout: float, max_wait: float = 60.0):
        retry = GithubRetry(total=3, backoff_factor=0.5, max_rate_limit_wait=max_wait)
        self.gh = Github(auth=Auth.Token(token), base_url=base_url, timeout=max(1, math.ceil(timeout)), per_page=100,
                         retry=retry, seconds_between_requests=0, lazy=True)
        self.base_url = base_url
        self.owner_requests = 0  # requests resolve_owner made (the listing tells the rest)

    def _fail(self, what: str, exc: Exception) -> GpsError:
        if isinstance(exc, BadCredentialsException):
            return CredentialsError("GPS_GITHUB_KEY: GitHub rejected the token (401 Bad credentials)")
        return GpsError(f"GitHub ({self.base_url}): {what} failed: {describe_github_error(exc)}")

    def resolve_owner(self, login: str) -> Owner:
        """The token's user when `login` is empty; else tell user from organization in one request."""
        try:
            me = self.gh.get_user()
            self.owner_requests = 1
            if not login:
                return Owner(me.login, "token-user")
            named = self.gh.get_user(login)
            if named.type == "Organization":
                return Owner(named.login, "organization")
            self.owner_requests = 2
            if named.login.lower() == me.login.lower():
                return Owner(named.login, "token-user")
            return Owner(named.login, "user")
        except UnknownObjectException:
            raise CredentialsError(f"GPS_GITHUB_ID: no GitHub user or organization named {login!r}")
        except GITHUB_ERRORS as exc:
            raise self._fail("finding the owner", exc) from None

    def list_repos(self, owner: Owner) -> list[Repo]:
        """Every repository of the owner that the listing shows, all pages, 100 per page."""
        try:
            if owner.kind == "token-user":
                listing = self.gh.get_user().get_repos(affiliation="owner")
            elif owner.kind == "organization":
                listing = self.gh.get_organization(owner.login).get_repos(type="all")
            else:
                listing = self.gh.get_user(owner.login).get_repos(type="owner")
            return [_repo_from_listing(item) for item in listing]
        except GITHUB_ERRORS as exc:
            raise self._fail(f"listing the repositories of {owner.login}", exc) from None

    def read_traffic(self, repo: Repo, stats: tuple[str, ...] = ("views", "clones")) -> dict[str, Traffic]:
        """Daily traffic for each statistic, GitHub's timestamp strings kept exactly."""
        handle = self.gh.get_repo(repo.full_name)  # lazy: no request
        result = {}
        for stat in stats:
            try:
                answer = (handle.get_views_traffic() if stat == "views" else handle.get_clones_traffic())
                raw = answer.raw_data
                days = tuple(DailyStat(d["timestamp"], int(d["count"]), int(d["uniques"]))
                             for d in raw.get(stat) or [])
                result[stat] = Traffic(stat, int(raw.get("count", 0)), int(raw.get("uniques", 0)), days)
            except BadCredentialsException as exc:
                raise self._fail("reading traffic", exc) from None
            except GithubException as exc:
                if exc.status == 403:
                    raise TrafficDenied(describe_github_error(exc)) from None
                raise TrafficFailed(f"{stat}: {describe_github_error(exc)}") from None
            except (requests.exceptions.RequestException, ValueError, KeyError, TypeError) as exc:
                raise TrafficFailed(f"{stat}: {describe_github_error(exc)}") from None
        return result

    def rate_limit(self) -> tuple[int, int] | None:
        """(remaining, limit) from the last response's headers, without spending a request."""
        remaining, limit = self.gh.requester.rate_limiting
        return None if limit < 0 else (remaining, limit)
