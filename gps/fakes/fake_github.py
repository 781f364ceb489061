"""A stand-in for GitHub's REST API: accounts, repository listings and traffic.

Speaks what PyGithub expects: `Authorization: token …` checked on every request (401 "Bad
credentials" otherwise), listings paged by `per_page`/`page` with absolute `Link` headers,
`x-ratelimit-*` headers counting down, 404 and 403 bodies shaped like GitHub's.
"""

from __future__ import annotations

import base64
import math
import re
import time
from dataclasses import dataclass, field

from gps.fakes.base import FakeServer, Reply, Request

DOCS = "https://docs.github.com/rest"
PUSH_DENIED = "Must have push access to repository"


@dataclass
class FakeRepo:
    """One repository of the fake, with its traffic as GitHub would report it."""

    full_name: str
    private: bool = False
    fork: bool = False
    archived: bool = False
    push: bool = True
    views: list[tuple[str, int, int]] = field(default_factory=list)  # (timestamp, count, uniques)
    clones: list[tuple[str, int, int]] = field(default_factory=list)
    window_uniques: dict[str, int] = field(default_factory=dict)  # stat -> 14-day uniques
    denied_message: str = PUSH_DENIED
    referrers: list[tuple[str, int, int]] = field(default_factory=list)  # (referrer, count, uniques)
    paths: list[tuple[str, str, int, int]] = field(default_factory=list)  # (path, title, count, uniques)
    stars: list[tuple[str, str]] = field(default_factory=list)  # (starred_at, login), oldest first
    releases: list[dict] = field(default_factory=list)  # {"tag", "prerelease", "draft", "assets": {name: downloads}}
    hidden_stars: int = 0  # in the star count, but never listed
    forks_count: int = 0
    open_issues: int = 0
    size_kb: int = 1
    language: str | None = "Python"
    topics: list[str] = field(default_factory=list)
    pushed_at: str = "2026-11-30T12:00:00Z"
    id: int = 0

    @property
    def owner(self) -> str:
        return self.full_name.split("/")[0]


def _not_found() -> Reply:
    return Reply(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})


class FakeGitHub(FakeServer):
    """GitHub on 127.0.0.1. Build the world with `add_user`, `add_org` and `add_repo`."""

    def __init__(self, latency: float = 0.0, rate_limit: int = 5000, **server):
        super().__init__(latency, **server)
        self.tokens: dict[str, str] = {}  # token -> login
        self.accounts: dict[str, dict] = {}  # lower login -> {"login", "type"}
        self.repos: dict[str, FakeRepo] = {}  # lower full name -> repo
        self.rate_limit = rate_limit
        self.rate_remaining = rate_limit
        self.rate_reset = int(time.time()) + 3600

    # -- building the world ----------------------------------------------------------------------

    def add_user(self, login: str, token: str | None = None) -> None:
        self.accounts[login.lower()] = {"login": login, "type": "User"}
        if token:
            self.tokens[token] = login

    def add_org(self, login: str) -> None:
        self.accounts[login.lower()] = {"login": login, "type": "Organization"}

    def add_repo(self, full_name: str, **kwargs) -> FakeRepo:
        repo = FakeRepo(full_name, id=len(self.repos) + 1, **kwargs)
        self.repos[full_name.lower()] = repo
        return repo

    # -- wire format -----------------------------------------------------------------------------

    def base_headers(self, request: Request) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(max(self.rate_remaining, 0)),
            "x-ratelimit-reset": str(self.rate_reset),
            "x-ratelimit-used": str(self.rate_limit - max(self.rate_remaining, 0)),
            "x-github-api-version-selected": "2022-11-28",
        }

    def _repo_json(self, repo: FakeRepo) -> dict:
        owner = self.accounts.get(repo.owner.lower(), {"login": repo.owner, "type": "User"})
        name = repo.full_name.split("/")[1]
        return {
            "id": repo.id, "node_id": f"R_{repo.id}", "name": name, "full_name": repo.full_name,
            "owner": {"login": owner["login"], "type": owner["type"],
                      "url": f"{self.url}/users/{owner['login']}"},
            "private": repo.private, "visibility": "private" if repo.private else "public",
            "fork": repo.fork, "archived": repo.archived, "disabled": False,
            "html_url": f"https://github.com/{repo.full_name}",
            "url": f"{self.url}/repos/{repo.full_name}",
            "permissions": {"admin": False, "maintain": False, "push": repo.push, "triage": True,
                            "pull": True},
            "stargazers_count": len(repo.stars) + repo.hidden_stars,
            "watchers_count": len(repo.stars) + repo.hidden_stars,
            "forks_count": repo.forks_count, "open_issues_count": repo.open_issues,
            "size": repo.size_kb, "language": repo.language, "topics": list(repo.topics),
            "pushed_at": repo.pushed_at, "default_branch": "main",
        }

    def _page(self, request: Request, items: list[dict]) -> Reply:
        per_page = min(int(request.query.get("per_page", 30)), 100)
        page = max(int(request.query.get("page", 1)), 1)
        last = max(math.ceil(len(items) / per_page), 1)
        chunk = items[(page - 1) * per_page: page * per_page]
        links = []
        keep = "&".join(f"{k}={v}" for k, v in sorted(request.query.items()) if k != "page")
        base = f"{self.url}{request.path}?{keep}&page=" if keep else f"{self.url}{request.path}?page="
        if page < last:
            links += [f'<{base}{page + 1}>; rel="next"', f'<{base}{last}>; rel="last"']
        if page > 1:
            links += [f'<{base}{page - 1}>; rel="prev"', f'<{base}1>; rel="first"']
        return Reply(200, chunk, {"Link": ", ".join(links)} if links else {})

    def _traffic(self, repo: FakeRepo, stat: str) -> Reply:
        if not repo.push:
            return Reply(403, {"message": repo.denied_message, "documentation_url": DOCS,
                               "status": "403"})
        days = repo.views if stat == "views" else repo.clones
        total = sum(count for _, count, _ in days)
        day_uniques = [u for _, _, u in days]
        uniques = repo.window_uniques.get(stat, max(day_uniques, default=0))
        return Reply(200, {"count": total, "uniques": uniques,
                           stat: [{"timestamp": ts, "count": c, "uniques": u} for ts, c, u in days]})

    def _releases(self, request: Request, repo: FakeRepo) -> Reply:
        items = []
        for number, release in enumerate(reversed(repo.releases), 1):  # newest first, as GitHub
            assets = [{"id": number * 1000 + i, "name": name, "download_count": downloads,
                       "url": f"{self.url}/repos/{repo.full_name}/releases/assets/{number * 1000 + i}",
                       "state": "uploaded"}
                      for i, (name, downloads) in enumerate(release.get("assets", {}).items())]
            items.append({"id": number, "tag_name": release["tag"], "name": release["tag"],
                          "draft": release.get("draft", False),
                          "prerelease": release.get("prerelease", False),
                          "url": f"{self.url}/repos/{repo.full_name}/releases/{number}",
                          "assets": assets})
        return self._page(request, items)

    def _graphql(self, request: Request) -> Reply:
        """The one GraphQL query gps sends: a repository's stargazers, newest first, cursor-paged."""
        body = request.json() or {}
        query, variables = body.get("query", ""), body.get("variables") or {}
        if "stargazers" not in query or "STARRED_AT" not in query:
            return Reply(200, {"errors": [{"message": "the fake knows only the stargazers query"}]})
        repo = self.repos.get(f"{variables.get('owner')}/{variables.get('name')}".lower())
        if repo is None:
            return Reply(200, {"data": {"repository": None}, "errors": [
                {"type": "NOT_FOUND", "path": ["repository"], "message": "Could not resolve to a "
                 f"Repository with the name '{variables.get('owner')}/{variables.get('name')}'."}]})
        first = min(int(variables.get("first") or 100), 100)
        start = int(base64.b64decode(variables["after"]).decode()) if variables.get("after") else 0
        newest_first = list(reversed(repo.stars))
        chunk = newest_first[start:start + first]
        end = start + len(chunk)
        edges = [{"starredAt": at, "node": {"login": login}} for at, login in chunk]
        cursor = base64.b64encode(str(end).encode()).decode()
        return Reply(200, {"data": {"repository": {"stargazers": {
            "totalCount": len(repo.stars) + repo.hidden_stars, "edges": edges,
            "pageInfo": {"hasNextPage": end < len(newest_first), "endCursor": cursor}}}}})

    # -- routes ----------------------------------------------------------------------------------

    def route(self, request: Request) -> Reply:
        auth = request.headers.get("authorization", "")
        token = auth.split(" ", 1)[1] if " " in auth else ""
        login = self.tokens.get(token)
        if login is None:
            return Reply(401, {"message": "Bad credentials", "documentation_url": DOCS,
                               "status": "401"})
        self.rate_remaining -= 1
        if self.rate_remaining < 0:
            return Reply(403, {"message": "API rate limit exceeded for user.",
                               "documentation_url": DOCS}, {"x-ratelimit-remaining": "0"})
        path = request.path.rstrip("/")
        if path == "/graphql" and request.method == "POST":
            return self._graphql(request)
        if path == "/user":
            return Reply(200, {**self.accounts[login.lower()], "id": 1})
        if path == "/rate_limit":
            core = {"limit": self.rate_limit, "remaining": self.rate_remaining,
                    "reset": self.rate_reset, "used": self.rate_limit - self.rate_remaining}
            return Reply(200, {"resources": {"core": core}, "rate": core})
        if path == "/user/repos":
            mine = [r for r in self.repos.values() if r.owner.lower() == login.lower()]
            return self._page(request, [self._repo_json(r) for r in mine])
        match = re.fullmatch(r"/(users|orgs)/([^/]+)(/repos)?", path)
        if match:
            kind, name, repos = match.groups()
            account = self.accounts.get(name.lower())
            if account is None or (kind == "orgs" and account["type"] != "Organization"):
                return _not_found()
            if not repos:
                return Reply(200, {**account, "id": 2})
            owned = [r for r in self.repos.values() if r.owner.lower() == name.lower()]
            if kind == "users":
                owned = [r for r in owned if not r.private]
            return self._page(request, [self._repo_json(r) for r in owned])
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        if match:
            repo = self.repos.get(match.group(1).lower())
            if repo is None:
                return _not_found()
            rest = match.group(2) or ""
            if rest in ("/traffic/views", "/traffic/clones"):
                return self._traffic(repo, rest.rsplit("/", 1)[1])
            if rest.startswith("/traffic/popular/") and not repo.push:
                return Reply(403, {"message": repo.denied_message, "documentation_url": DOCS,
                                   "status": "403"})
            if rest == "/traffic/popular/referrers":
                return Reply(200, [{"referrer": r, "count": c, "uniques": u}
                                   for r, c, u in repo.referrers[:10]])
            if rest == "/traffic/popular/paths":
                return Reply(200, [{"path": p, "title": t, "count": c, "uniques": u}
                                   for p, t, c, u in repo.paths[:10]])
            if rest == "/releases":
                return self._releases(request, repo)
            if rest == "":
                return Reply(200, self._repo_json(repo))
            return _not_found()
        return _not_found()
