"""Orchestration: one run of config -> selection -> GitHub reads -> events -> dedup -> PostHog.

Repositories are handled in chunks (read -> events -> dedup -> send), so memory holds one chunk's
events and one small row per repository for the report. Within a chunk, up to GPS_CONCURRENCY
repositories are read at once, each thread with its own GitHub client; results and logs keep the
selection's order whatever the completion order.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from typing import Callable, TextIO

from gps.config import Config
from gps.dedup import QueryFailed, StoredValues, plan_events, query_api_url
from gps.errors import CredentialsError, Terminated
from gps.events import download_events, popular_events, snapshot_event, star_events, traffic_events
from gps.github_source import TRAFFIC_PERMISSION, GitHubSource, TrafficDenied, TrafficFailed
from gps.log import Log
from gps.model import Delivery, Event, Plan, Repo, RepoResult, SyncResult
from gps.posthog_sink import PosthogSink
from gps.rate_limit import BudgetExhausted
from gps.report import keep_row
from gps.selection import NO_PUSH, select

STAR_WINDOW_DAYS = 14  # without dedup, each run reads the stars of the last 14 days
CHUNK = 2000  # repositories per dedup query round (their stored values are held meanwhile)


def read_repo(source: GitHubSource, repo: Repo, metrics: tuple[str, ...],
              star_cutoff: datetime | None) -> RepoResult:
    """Everything the chosen metrics need from one repository: one request per endpoint at most."""
    result = RepoResult(repo)
    stats = tuple(m for m in ("views", "clones") if m in metrics)
    if stats:
        result.traffic = source.read_traffic(repo, stats)
    quiet = "views" in result.traffic and result.traffic["views"].count == 0
    if "referrers" in metrics:
        result.referrers = [] if quiet else source.read_popular(repo, "referrers")
    if "paths" in metrics:
        result.paths = [] if quiet else source.read_popular(repo, "paths")
    if "releases" in metrics:
        result.assets = source.read_assets(repo)
    if "stargazers" in metrics:
        result.stars, result.stars_unreachable = (
            ([], 0) if repo.stars == 0 else source.read_stars(repo, star_cutoff))
    return result


def request_cost(repo: Repo, metrics: tuple[str, ...]) -> int:
    """The fewest requests reading this repository can take (to see whether the budget allows it)."""
    cost = sum(1 for m in ("views", "clones", "referrers", "paths", "releases") if m in metrics)
    return cost + (1 if "stargazers" in metrics and repo.stars else 0)


class Reader:
    """Reads repositories concurrently, stops early (deferring whole repositories) when GitHub's
    budget will not refill within GPS_MAX_WAIT, and goes one at a time under a secondary limit."""

    def __init__(self, source: GitHubSource, config: Config, log: Log):
        self.source = source
        self.metrics = config.metrics
        self.max_wait = config.max_wait
        self.log = log
        self.exhausted = threading.Event()
        self.slow_lane = threading.Lock()
        self.pool = ThreadPoolExecutor(config.concurrency) if config.concurrency > 1 else None
        self.done = 0

    def _task(self, repo: Repo, cutoff: datetime | None) -> RepoResult:
        budget = self.source.budget
        if self.exhausted.is_set() or budget.too_low(request_cost(repo, self.metrics), self.max_wait):
            self.exhausted.set()
            return RepoResult(repo, "deferred")
        lane = self.slow_lane if budget.secondary_active else contextlib.nullcontext()
        with lane:
            try:
                return read_repo(self.source, repo, self.metrics, cutoff)
            except TrafficDenied as exc:
                return RepoResult(repo, "denied", str(exc))
            except TrafficFailed as exc:
                return RepoResult(repo, "failed", str(exc))
            except BudgetExhausted:
                self.exhausted.set()
                return RepoResult(repo, "deferred")
            finally:
                self.source.note_budget()

    def read(self, repos: list[Repo], cutoffs: dict[str, datetime | None], total: int):
        """Yield results in the order of `repos` (logging each as its turn comes), at most
        GPS_CONCURRENCY ahead of the one being handed out."""
        tasks = ((repo, cutoffs.get(repo.full_name)) for repo in repos)
        if self.pool is None:
            results = (self._task(*args) for args in tasks)
        else:
            results = self._bounded(tasks)
        for result in results:
            self.done += 1
            self._log(result, total)
            yield result

    def _bounded(self, tasks):
        """Like pool.map, but submitting only a window of tasks, so memory holds a few results."""
        window = []
        for args in tasks:
            window.append(self.pool.submit(self._task, *args))
            if len(window) >= 2 * self.pool._max_workers:
                yield window.pop(0).result()
        for future in window:
            yield future.result()

    def _log(self, result: RepoResult, total: int) -> None:
        name = result.repo.full_name
        if result.status == "denied":
            self.log.warning(f"{name}: traffic not readable ({result.reason}); {TRAFFIC_PERMISSION}")
        elif result.status == "failed":
            self.log.error(f"{name}: reading from GitHub failed ({result.reason})")
        elif result.status == "synced":
            parts = [f"{t.count} {t.stat}" for t in result.traffic.values()]
            if result.stars:
                parts.append(f"{len(result.stars)} new stars")
            if result.stars_unreachable:
                self.log.warning(f"{name}: {result.stars_unreachable} stars could not be read")
            self.log.info(f"[{self.done}/{total}] {name}: {', '.join(parts) or 'read'}")

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def build_events(results: list[RepoResult], metrics: tuple[str, ...], today: date) -> list[Event]:
    events: list[Event] = []
    for result in results:
        if result.status != "synced":
            continue
        name = result.repo.full_name
        for stat, traffic in sorted(result.traffic.items()):
            events.extend(traffic_events(name, stat, traffic.days))
        if result.referrers:
            events.extend(popular_events(name, "referrers", result.referrers, today))
        if result.paths:
            events.extend(popular_events(name, "paths", result.paths, today))
        if "snapshot" in metrics:
            events.append(snapshot_event(result.repo, today))
        if result.stars:
            events.extend(star_events(name, result.stars))
        if result.assets:
            events.extend(download_events(name, result.assets, today))
    return events


def print_events(events: list[Event], out: TextIO) -> None:
    for event in events:
        out.write(json.dumps(event.as_json(), sort_keys=True) + "\n")
    out.flush()


def dedup_client(config: Config, log: Log) -> StoredValues | None:
    if config.posthog_id and config.posthog_token:
        api = query_api_url(config.posthog_url, config.posthog_api_url)
        return StoredValues(api, config.posthog_id, config.posthog_token, config.timeout)
    if config.posthog_id or config.posthog_token:
        missing = "GPS_POSTHOG_TOKEN" if config.posthog_id else "GPS_POSTHOG_ID"
        log.warning(f"dedup is off: {missing} is not set (dedup needs both GPS_POSTHOG_ID and "
                    "GPS_POSTHOG_TOKEN)")
    return None


def query_failed(result: SyncResult, client: StoredValues, exc: QueryFailed, log: Log) -> None:
    result.dedup, result.dedup_rejected = "failed", exc.rejected
    log.warning(f"dedup: the PostHog query API at {client.endpoint} failed: {exc}; sending "
                "without dedup, holding back daily buckets 14 or more days old")


def star_cutoffs(config: Config, client: StoredValues | None, repos: list[Repo], now: datetime,
                 result: SyncResult, log: Log) -> dict[str, datetime | None]:
    """From when on to read each repository's stars (None: its whole history)."""
    with_stars = [r for r in repos if r.stars]
    if "stargazers" not in config.metrics or not with_stars:
        return {}
    if client is not None and result.dedup != "failed":
        try:  # the newest stored star: read only newer ones; none stored: backfill once
            newest = client.newest_stars([r.full_name for r in with_stars])
            return {r.full_name: newest.get(r.full_name) for r in with_stars}
        except QueryFailed as exc:
            query_failed(result, client, exc, log)
    if config.backfill == "stargazers":
        return {r.full_name: None for r in with_stars}
    cutoff = now - timedelta(days=STAR_WINDOW_DAYS)
    return {r.full_name: cutoff for r in with_stars}


def prefetch(client: StoredValues | None, repos: list[Repo], metrics: tuple[str, ...], today: date,
             result: SyncResult, log: Log):
    """What PostHog holds for these repositories (None: dedup off or failed)."""
    if client is None or result.dedup == "failed":
        return None
    try:
        answer = client.fetch_for([r.full_name for r in repos], metrics, today)
    except QueryFailed as exc:
        query_failed(result, client, exc, log)
        return None
    finally:
        result.dedup_queries = client.queries
    result.dedup = "on"
    result.previous_stars.update(answer.previous_stars)
    return answer.stored


def run_sync(config: Config, log: Log, out: TextIO | None = None, now: datetime | None = None,
             observer: Callable[[Plan], None] | None = None) -> SyncResult:
    """One whole run; `now` (UTC) dates the snapshots and decides which buckets are too old.
    `observer`, when given, sees each chunk's plan (the run itself keeps only counts)."""
    out = out or sys.stdout
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    today = now.date()
    source = GitHubSource(config.github_key, config.github_url, config.timeout, config.max_wait)
    started = datetime.now(timezone.utc)
    with log.group("Owners and repositories"):
        selection = select(source, config, log)
        shard = f"{config.shard[0]}/{config.shard[1]}" if config.shard else ""
        log.info(f"repositories: {selection.listed} listed, {len(selection.selected)} selected, "
                 f"{len(selection.skipped)} skipped"
                 + (f", {selection.other_shards} in other shards (this is shard {shard})"
                    if shard else ""))
        for repo, reason in selection.skipped:
            log.info(f"  skipped {repo.full_name}: {reason}")

    result = SyncResult(owners=selection.owners, dry_run=config.dry_run, started=started,
                        skipped=selection.skipped, shard=shard)
    client = dedup_client(config, log)
    sink = None if config.dry_run else PosthogSink(config.posthog_key, config.posthog_url,
                                                  config.posthog_historical, config.timeout)
    reader = Reader(source, config, log)
    selected = selection.selected
    try:
        for start in range(0, len(selected), CHUNK):
            chunk = selected[start:start + CHUNK]
            cutoffs = star_cutoffs(config, client, chunk, now, result, log)
            stored = prefetch(client, chunk, config.metrics, today, result, log)
            with log.group(f"Repositories {start + 1}–{start + len(chunk)} of {len(selected)}"):
                for row in reader.read(chunk, cutoffs, len(selected)):
                    if row.status == "deferred":
                        result.deferred.append(row.repo)
                        continue
                    events = build_events([row], config.metrics, today)
                    plan = plan_events(events, stored, today)
                    result.tally.add(plan, len(events))
                    if observer:
                        observer(plan)
                    if sink is None:
                        print_events(plan.to_send, out)
                    else:
                        sink.send(plan.to_send)
                    keep_row(result, row, today)
            del stored
    except Terminated:
        result.terminated = True
        log.warning("stopped by SIGTERM: delivering what is already queued; the next run sends "
                    "the rest")
    finally:
        reader.close()
        result.delivery = sink.close() if sink else Delivery()
    result.rate_limit = source.rate_limit()
    result.github_requests = source.requests_used()
    if result.deferred:
        result.reset_at = source.budget.reset_at()
        when = result.reset_at.strftime("%H:%M UTC") if result.reset_at else "later"
        log.warning(f"GitHub's rate limit would need a wait over GPS_MAX_WAIT={config.max_wait:g}s: "
                    f"{len(result.deferred)} repositories deferred to the next run (the budget "
                    f"refills at {when}); shard the run (GPS_SHARD) if this recurs")
    if config.dry_run:
        log.info(f"dry run: {result.tally.to_send} events printed, nothing sent")
    readable = [r for r in result.repos if r.status != "denied"]
    candidates = len(selected) + sum(1 for _, why in selection.skipped if why == NO_PUSH)
    if candidates and not readable and not result.deferred and not result.terminated:
        raise CredentialsError(f"GPS_GITHUB_KEY: the token cannot read the traffic of any of the "
                               f"{candidates} selected repositories; {TRAFFIC_PERMISSION}")
    result.finished = datetime.now(timezone.utc)
    return result
