"""Small data types shared by the pipeline stages (no I/O, no behaviour beyond formatting)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True)
class Repo:
    """One repository as the owner's listing describes it."""

    full_name: str
    private: bool = False
    fork: bool = False
    archived: bool = False
    can_push: bool | None = True  # None: the listing did not say
    html_url: str = ""
    # the snapshot, as the listing gives it (no extra request)
    stars: int = 0
    forks: int = 0
    open_issues: int = 0
    size_kb: int = 0
    language: str | None = None
    topics: tuple[str, ...] = ()
    pushed_at: str | None = None

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]


@dataclass(frozen=True)
class DailyStat:
    """One daily bucket of a traffic statistic; `timestamp` is GitHub's string, byte for byte."""

    timestamp: str
    count: int
    uniques: int


@dataclass(frozen=True)
class Traffic:
    """A 14-day traffic statistic (`views` or `clones`): window totals and daily buckets."""

    stat: str
    count: int
    uniques: int
    days: tuple[DailyStat, ...] = ()


@dataclass(frozen=True)
class Popular:
    """One entry of a 14-day top-10 list: a referrer (title empty) or a path."""

    name: str
    count: int
    uniques: int
    title: str = ""


@dataclass(frozen=True)
class Asset:
    """One release asset and its cumulative downloads."""

    release: str
    asset: str
    downloads: int
    prerelease: bool = False


@dataclass(frozen=True)
class Star:
    """One stargazer: GitHub's `starred_at` string, byte for byte, and the login."""

    starred_at: str
    user: str


@dataclass
class RepoResult:
    """What happened to one selected repository in this run."""

    repo: Repo
    status: str = "synced"  # synced | denied | failed
    reason: str = ""
    traffic: dict[str, Traffic] = field(default_factory=dict)
    referrers: list[Popular] | None = None
    paths: list[Popular] | None = None
    assets: list[Asset] | None = None
    stars: list[Star] | None = None
    stars_unreachable: int = 0
    spark: str | None = None  # daily views as blocks, kept once the days themselves are dropped


@dataclass(frozen=True)
class Event:
    """One PostHog event, ready to capture."""

    uuid: str
    event: str
    distinct_id: str
    timestamp: datetime
    properties: dict[str, Any]

    @property
    def repo(self) -> str:
        return self.properties["repo"]

    def as_json(self) -> dict[str, Any]:
        """The event as printed by a dry run: ISO 8601 UTC timestamp ending in `Z`."""
        ts = self.timestamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "uuid": self.uuid,
            "event": self.event,
            "distinct_id": self.distinct_id,
            "timestamp": ts,
            "properties": self.properties,
        }


@dataclass(frozen=True)
class Owner:
    """Whose repositories are synced and which listing endpoint shows them."""

    login: str
    kind: str  # "token-user" | "user" | "organization"

    @property
    def public_only(self) -> bool:
        return self.kind == "user"


@dataclass
class Plan:
    """What to do with each fetched event."""

    new: list[Event] = field(default_factory=list)  # not stored (or not known: dedup off)
    resend: list[Event] = field(default_factory=list)  # stored lower: resent with maxima
    skipped: list[Event] = field(default_factory=list)  # stored with values >= fetched
    held_back: list[Event] = field(default_factory=list)  # dedup off: too old to overwrite safely

    @property
    def to_send(self) -> list[Event]:
        return self.new + self.resend


@dataclass
class Tally:
    """How many events were fetched and what was decided for them, over the whole run."""

    fetched: int = 0
    new: int = 0
    resend: int = 0
    skipped: int = 0
    held_back: int = 0

    def add(self, plan: Plan, fetched: int) -> None:
        self.fetched += fetched
        self.new += len(plan.new)
        self.resend += len(plan.resend)
        self.skipped += len(plan.skipped)
        self.held_back += len(plan.held_back)

    @property
    def to_send(self) -> int:
        return self.new + self.resend


@dataclass
class Delivery:
    """The ledger's verdict: how many events reached PostHog, and why the others did not."""

    delivered: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # uuid -> reason
    failed_repos: set[str] = field(default_factory=set)


@dataclass
class SyncResult:
    """Everything the report needs to know about one run."""

    owners: list[Owner]
    dry_run: bool
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    finished: datetime | None = None
    skipped: list[tuple[Repo, str]] = field(default_factory=list)
    repos: list[RepoResult] = field(default_factory=list)
    deferred: list[Repo] = field(default_factory=list)  # left for the next run (rate limit)
    reset_at: datetime | None = None  # when GitHub's budget refills, if repositories were deferred
    shard: str = ""  # "k/n" when this run is one shard of several
    tally: Tally = field(default_factory=Tally)
    dedup: str = "off"  # on | off | failed
    dedup_rejected: bool = False  # PostHog refused the personal key or project id
    dedup_queries: int = 0
    delivery: Delivery = field(default_factory=Delivery)
    rate_limit: tuple[int, int] | None = None
    github_requests: int | None = None  # rate-limit budget this run spent
    previous_stars: dict[str, int] = field(default_factory=dict)  # repo -> stars at last snapshot
    terminated: bool = False  # stopped early by SIGTERM
    referrer_views: dict[str, int] = field(default_factory=dict)  # referrer -> views, all repos
    top_paths: list[tuple[int, str, str]] = field(default_factory=list)  # (views, path, title)

    def failed_repos(self) -> list[str]:
        """Repositories that could not be read, or whose events were not all delivered."""
        names = {r.repo.full_name for r in self.repos if r.status == "failed"}
        return sorted(names | self.delivery.failed_repos)

    @property
    def exit_code(self) -> int:
        if self.terminated:
            return 143
        return 1 if self.failed_repos() or self.dedup_rejected else 0
