"""Orchestration: one run of config -> selection -> GitHub reads -> events -> dedup -> PostHog."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta, timezone
from typing import TextIO

from gps.config import Config
from gps.dedup import QueryFailed, StoredValues, plan_events, query_api_url
from gps.errors import CredentialsError
from gps.events import download_events, popular_events, snapshot_event, star_events, traffic_events
from gps.github_source import TRAFFIC_PERMISSION, GitHubSource, TrafficDenied, TrafficFailed
from gps.log import Log
from gps.model import Event, Repo, RepoResult, SyncResult
from gps.posthog_sink import PosthogSink
from gps.selection import NO_PUSH, select

STAR_WINDOW_DAYS = 14  # without dedup, each run reads the stars of the last 14 days


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


def read_all(source: GitHubSource, repos: list[Repo], metrics: tuple[str, ...],
             star_cutoffs: dict[str, datetime | None], log: Log) -> list[RepoResult]:
    """Every selected repository; one repository's failure never stops the others."""
    results = []
    for index, repo in enumerate(repos, 1):
        try:
            result = read_repo(source, repo, metrics, star_cutoffs.get(repo.full_name))
        except TrafficDenied as exc:
            result = RepoResult(repo, "denied", str(exc))
            log.warning(f"{repo.full_name}: traffic not readable ({exc}); {TRAFFIC_PERMISSION}")
        except TrafficFailed as exc:
            result = RepoResult(repo, "failed", str(exc))
            log.error(f"{repo.full_name}: reading from GitHub failed ({exc})")
        else:
            parts = [f"{t.count} {t.stat}" for t in result.traffic.values()]
            if result.stars:
                parts.append(f"{len(result.stars)} new stars")
            if result.stars_unreachable:
                log.warning(f"{repo.full_name}: {result.stars_unreachable} stars could not be read")
            log.info(f"[{index}/{len(repos)}] {repo.full_name}: {', '.join(parts) or 'read'}")
        results.append(result)
    return results


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
    if "stargazers" not in config.metrics:
        return {}
    if client is not None and result.dedup != "failed":
        try:  # the newest stored star: read only newer ones; none stored: backfill once
            newest = client.newest_stars([r.full_name for r in repos])
            return {r.full_name: newest.get(r.full_name) for r in repos}
        except QueryFailed as exc:
            query_failed(result, client, exc, log)
    if config.backfill == "stargazers":
        return {r.full_name: None for r in repos}
    cutoff = now - timedelta(days=STAR_WINDOW_DAYS)
    return {r.full_name: cutoff for r in repos}


def run_sync(config: Config, log: Log, out: TextIO | None = None,
             now: datetime | None = None) -> SyncResult:
    """One whole run; `now` (UTC) dates the snapshots and decides which buckets are too old."""
    out = out or sys.stdout
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    today = now.date()
    source = GitHubSource(config.github_key, config.github_url, config.timeout)
    started = datetime.now(timezone.utc)
    with log.group("Owners and repositories"):
        selection = select(source, config, log)
        log.info(f"repositories: {selection.listed} listed, {len(selection.selected)} selected, "
                 f"{len(selection.skipped)} skipped")
        for repo, reason in selection.skipped:
            log.info(f"  skipped {repo.full_name}: {reason}")

    result = SyncResult(owners=selection.owners, dry_run=config.dry_run, started=started,
                        skipped=selection.skipped)
    client = dedup_client(config, log)
    cutoffs = star_cutoffs(config, client, selection.selected, now, result, log)
    with log.group(f"Reading {len(selection.selected)} repositories"):
        result.repos = read_all(source, selection.selected, config.metrics, cutoffs, log)
    result.rate_limit = source.rate_limit()
    result.github_requests = source.requests_used()
    readable = [r for r in result.repos if r.status != "denied"]
    candidates = len(selection.selected) + sum(1 for _, why in selection.skipped if why == NO_PUSH)
    if candidates and not readable:
        raise CredentialsError(f"GPS_GITHUB_KEY: the token cannot read the traffic of any of the "
                               f"{candidates} selected repositories; {TRAFFIC_PERMISSION}")

    result.events = build_events(result.repos, config.metrics, today)
    stored = None
    with log.group("Dedup"):
        if client is not None and result.dedup != "failed":
            try:
                answer = client.fetch(result.events, today)
                stored, result.previous_stars, result.dedup = answer.stored, answer.previous_stars, "on"
            except QueryFailed as exc:
                query_failed(result, client, exc, log)
        result.dedup_queries = client.queries if client else 0
        result.plan = plan_events(result.events, stored, today)
    if config.dry_run:
        print_events(result.plan.to_send, out)
        log.info(f"dry run: {len(result.plan.to_send)} events printed, nothing sent")
    else:
        sink = PosthogSink(config.posthog_key, config.posthog_url, config.posthog_historical,
                           config.timeout)
        with log.group(f"Sending {len(result.plan.to_send)} events to PostHog"):
            result.delivery = sink.deliver(result.plan.to_send)
    result.finished = datetime.now(timezone.utc)
    return result
