"""The source stage: find the owner, list and select its repositories, read their traffic (PyGithub).

Only fields present in list payloads are touched, so PyGithub never fires a completion GET per
repository. Every GitHub failure leaves this module as one of our exceptions with a clear message.
"""

from __future__ import annotations

import math
import threading
from datetime import datetime, timezone

import requests
from github import Auth, Github, GithubException
from github.GithubException import (BadCredentialsException, RateLimitExceededException,
                                    UnknownObjectException)

from gps.errors import CredentialsError, GpsError
from gps.events import parse_timestamp
from gps.model import Asset, DailyStat, Owner, Popular, Repo, Star, Traffic
from gps.rate_limit import Budget, BudgetExhausted, GpsRetry

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
    if isinstance(exc, requests.exceptions.Timeout) or "timed out" in str(exc).lower():
        return "the request timed out, also when retried (GPS_TIMEOUT)"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "cannot connect to the server"
    if isinstance(exc, ValueError):
        return f"the response is not valid JSON ({exc})"
    if isinstance(exc, (KeyError, TypeError, AttributeError)):
        return f"the response is not what GitHub documents ({type(exc).__name__}: {exc})"
    return f"{type(exc).__name__}: {exc}"


GITHUB_ERRORS = (GithubException, requests.exceptions.RequestException, ValueError)


def each_item(paginated):
    """Iterate a PaginatedList page by page without keeping the pages: iterating it directly caches
    every object it ever fetched (a 5 000-repository listing would stay in memory, raw JSON and all).
    Uses PaginatedList's own page-fetching protocol, so the requests are exactly the same."""
    while paginated._couldGrow():
        yield from paginated._fetchNextPage()


def _timestamp(value) -> str | None:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _repo_from_listing(item) -> Repo:
    """Only attributes every listing payload carries, so PyGithub fires no completion GET."""
    permissions = item.permissions
    return Repo(
        full_name=item.full_name,
        private=bool(item.private),
        fork=bool(item.fork),
        archived=bool(item.archived),
        can_push=None if permissions is None else bool(permissions.push or permissions.admin),
        html_url=item.html_url or "",
        stars=int(item.stargazers_count or 0),
        forks=int(item.forks_count or 0),
        open_issues=int(item.open_issues_count or 0),
        size_kb=int(item.size or 0),
        language=item.language,
        topics=tuple(item.topics or ()),
        pushed_at=_timestamp(item.pushed_at),
    )


STARGAZERS_QUERY = """
query($owner: String!, $name: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    stargazers(first: $first, after: $after, orderBy: {field: STARRED_AT, direction: DESC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { starredAt node { login } }
    }
  }
}
""".strip()


class GitHubSource:
    """PyGithub configured for gps: 100 per page, retries with backoff, no eager GETs, no pause
    between requests, and one client per thread (a `Github` object is not thread-safe)."""

    def __init__(self, token: str, base_url: str, timeout: float, max_wait: float = 60.0):
        self.token = token
        self.base_url = base_url
        self.timeout = max(1, math.ceil(timeout))
        self.max_wait = max_wait
        self.budget = Budget()
        self._local = threading.local()

    @property
    def gh(self) -> Github:
        client = getattr(self._local, "gh", None)
        if client is None:
            retry = GpsRetry(total=3, backoff_factor=0.5, max_rate_limit_wait=self.max_wait,
                             secondary_rate_wait=min(60.0, self.max_wait),
                             status_forcelist=list(range(500, 600)) + [429])
            retry.budget = self.budget
            client = Github(auth=Auth.Token(self.token), base_url=self.base_url,
                            timeout=self.timeout, per_page=100, retry=retry,
                            seconds_between_requests=0, lazy=True)
            self._local.gh = client
        return client

    def note_budget(self) -> None:
        """Share this thread's last rate-limit headers with the run."""
        requester = self.gh.requester
        remaining, limit = requester.rate_limiting
        self.budget.note(remaining, limit, requester.rate_limiting_resettime)

    def _fail(self, what: str, exc: Exception) -> GpsError:
        if isinstance(exc, BadCredentialsException):
            return CredentialsError("GPS_GITHUB_KEY: GitHub rejected the token (401 Bad credentials)")
        return GpsError(f"GitHub ({self.base_url}): {what} failed: {describe_github_error(exc)}")

    def token_login(self) -> str:
        """The token's own login (1 request)."""
        try:
            login = self.gh.get_user().login
            self.note_budget()
            return login
        except GITHUB_ERRORS as exc:
            raise self._fail("reading the token's user", exc) from None

    def resolve_owner(self, login: str, private_wanted: bool = True) -> Owner:
        """Tell user from organization in one request. Naming the token's own user lists its
        private repositories too, which takes one more request — only when private ones are wanted."""
        try:
            named = self.gh.get_user(login)
            kind = named.type
            self.note_budget()
            if kind == "Organization":
                return Owner(named.login, "organization")
            if private_wanted and named.login.lower() == self.token_login().lower():
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
            repos = [_repo_from_listing(item) for item in each_item(listing)]
            self.note_budget()
            return repos
        except GITHUB_ERRORS as exc:
            raise self._fail(f"listing the repositories of {owner.login}", exc) from None

    def get_repo(self, full_name: str) -> Repo | None:
        """One named repository (1 request); None when it does not exist or is not visible."""
        try:
            item = self.gh.get_repo(full_name)
            item.complete()
            self.note_budget()
            return _repo_from_listing(item)
        except UnknownObjectException:
            return None
        except GITHUB_ERRORS as exc:
            raise self._fail(f"reading {full_name}", exc) from None

    def _read(self, what: str, call):
        """Run one read of a repository's data, turning failures into TrafficDenied/TrafficFailed."""
        try:
            return call()
        except RateLimitExceededException:
            self.note_budget()
            raise BudgetExhausted(self.budget.reset_at()) from None
        except BadCredentialsException as exc:
            raise self._fail(f"reading {what}", exc) from None
        except GithubException as exc:
            if exc.status == 403:
                raise TrafficDenied(describe_github_error(exc)) from None
            raise TrafficFailed(f"{what}: {describe_github_error(exc)}") from None
        except (requests.exceptions.RequestException, ValueError, KeyError, TypeError,
                AttributeError) as exc:
            raise TrafficFailed(f"{what}: {describe_github_error(exc)}") from None

    def read_traffic(self, repo: Repo, stats: tuple[str, ...] = ("views", "clones")) -> dict[str, Traffic]:
        """Daily traffic for each statistic, GitHub's timestamp strings kept exactly."""
        handle = self.gh.get_repo(repo.full_name)  # lazy: no request

        def read(stat: str) -> Traffic:
            answer = handle.get_views_traffic() if stat == "views" else handle.get_clones_traffic()
            raw = answer.raw_data
            if not isinstance(raw.get(stat), list) or "count" not in raw:
                # PyGithub wraps a body that is not JSON as {"data": text}: never read it as zero
                raise ValueError(f"not GitHub's traffic JSON: {str(raw)[:80]!r}")
            days = tuple(DailyStat(d["timestamp"], int(d["count"]), int(d["uniques"]))
                         for d in raw[stat])
            return Traffic(stat, int(raw["count"]), int(raw.get("uniques", 0)), days)

        return {stat: self._read(stat, lambda: read(stat)) for stat in stats}

    def read_popular(self, repo: Repo, metric: str) -> list[Popular]:
        """GitHub's 14-day top 10 referrers or paths."""
        handle = self.gh.get_repo(repo.full_name)

        def read() -> list[Popular]:
            entries = handle.get_top_referrers() if metric == "referrers" else handle.get_top_paths()
            out = []
            for entry in entries or []:
                raw = entry.raw_data
                name = raw["referrer"] if metric == "referrers" else raw["path"]
                out.append(Popular(name, int(raw["count"]), int(raw["uniques"]),
                                   raw.get("title") or ""))
            return out

        return self._read(metric, read)

    def read_assets(self, repo: Repo) -> list[Asset]:
        """Every asset of every published release with its cumulative download count."""
        handle = self.gh.get_repo(repo.full_name)

        def read() -> list[Asset]:
            assets = []
            for release in each_item(handle.get_releases()):
                if release.draft:
                    continue
                for asset in release.assets:
                    assets.append(Asset(release.tag_name, asset.name, int(asset.download_count),
                                        bool(release.prerelease)))
            return assets

        return self._read("releases", read)

    def read_stars(self, repo: Repo, newer_than: datetime | None) -> tuple[list[Star], int]:
        """Stars newest first (GraphQL), stopping at `newer_than`; (stars, how many unreachable)."""
        owner, name = repo.owner, repo.name
        stars: list[Star] = []
        after = None
        total = 0
        while True:
            variables = {"owner": owner, "name": name, "first": 100, "after": after}
            _, data = self._read("stargazers",
                                 lambda: self.gh.requester.graphql_query(STARGAZERS_QUERY, variables))
            block = ((data.get("data") or {}).get("repository") or {}).get("stargazers") or {}
            total = int(block.get("totalCount") or 0)
            for edge in block.get("edges") or []:
                starred_at = edge["starredAt"]
                if newer_than and parse_timestamp(starred_at) <= newer_than:
                    return stars, 0
                stars.append(Star(starred_at, (edge.get("node") or {}).get("login") or "ghost"))
            page = block.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                break
            after = page.get("endCursor")
        return stars, max(0, total - len(stars)) if newer_than is None else 0

    def requests_used(self) -> int | None:
        """Requests this run spent from the hourly budget, from the rate-limit headers."""
        return self.budget.used()

    def rate_limit(self) -> tuple[int, int] | None:
        """(remaining, limit) as last seen by any client, without spending a request."""
        budget = self.budget
        return None if budget.remaining is None else (budget.remaining, budget.limit)
