"""Orchestration: one run of config -> owner -> repositories -> traffic -> events -> PostHog."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import TextIO

from gps.config import Config
from gps.dedup import QueryFailed, StoredValues, plan_events, query_api_url
from gps.errors import CredentialsError
from gps.events import traffic_events
from gps.github_source import (TRAFFIC_PERMISSION, GitHubSource, TrafficDenied, TrafficFailed,
                               select_repos)
from gps.log import Log
from gps.model import Event, Plan, Repo, RepoResult, SyncResult
from gps.posthog_sink import PosthogSink

STATS = ("views", "clones")


def read_all_traffic(source: GitHubSource, repos: list[Repo], log: Log) -> list[RepoResult]:
    """Traffic for every selected repository; one repository's failure never stops the others."""
    results = []
    for index, repo in enumerate(repos, 1):
        result = RepoResult(repo)
        try:
            result.traffic = source.read_traffic(repo, STATS)
        except TrafficDenied as exc:
            result.status, result.reason = "denied", str(exc)
            log.warning(f"{repo.full_name}: traffic not readable ({exc}); {TRAFFIC_PERMISSION}")
        except TrafficFailed as exc:
            result.status, result.reason = "failed", str(exc)
            log.error(f"{repo.full_name}: reading traffic failed ({exc})")
        else:
            views = result.traffic["views"]
            log.info(f"[{index}/{len(repos)}] {repo.full_name}: {views.count} views, "
                     f"{result.traffic['clones'].count} clones in 14 days")
        results.append(result)
    return results


def build_events(results: list[RepoResult]) -> list[Event]:
    events = []
    for result in results:
        for stat, traffic in sorted(result.traffic.items()):
            events.extend(traffic_events(result.repo.full_name, stat, traffic.days))
    return events


def print_events(events: list[Event], out: TextIO) -> None:
    for event in events:
        out.write(json.dumps(event.as_json(), sort_keys=True) + "\n")
    out.flush()


def dedup_plan(config: Config, events: list[Event], today, result: SyncResult, log: Log) -> Plan:
    """Ask PostHog what it holds (when configured) and decide per event; fall back to hold-back."""
    stored = None
    if config.posthog_id and config.posthog_token:
        api = query_api_url(config.posthog_url, config.posthog_api_url)
        client = StoredValues(api, config.posthog_id, config.posthog_token, config.timeout)
        try:
            stored = client.fetch(events)
            result.dedup = "on"
        except QueryFailed as exc:
            result.dedup, result.dedup_rejected = "failed", exc.rejected
            log.warning(f"dedup: the PostHog query API at {api} failed: {exc}; sending without "
                        f"dedup, holding back buckets 14 or more days old")
        result.dedup_queries = client.queries
    elif config.posthog_id or config.posthog_token:
        missing = "GPS_POSTHOG_TOKEN" if config.posthog_id else "GPS_POSTHOG_ID"
        log.warning(f"dedup is off: {missing} is not set (dedup needs both GPS_POSTHOG_ID and "
                    "GPS_POSTHOG_TOKEN)")
    return plan_events(events, stored, today)


def run_sync(config: Config, log: Log, out: TextIO | None = None,
             now: datetime | None = None) -> SyncResult:
    """One whole run; `now` (UTC) decides which buckets are too old to send without dedup."""
    out = out or sys.stdout
    today = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).date()
    source = GitHubSource(config.github_key, config.github_url, config.timeout)
    started = datetime.now(timezone.utc)
    with log.group("Owner and repositories"):
        owner = source.resolve_owner(config.github_id)
        first_limit = source.rate_limit()
        log.info(f"owner: {owner.login} ({owner.kind.replace('-', ' ')})")
        if owner.public_only:
            log.info(f"{owner.login} is another user: GitHub lists only their public repositories")
        listed = source.list_repos(owner)
        selected, skipped = select_repos(listed, config.allow_forks, config.allow_private,
                                         config.allow_archived)
        log.info(f"repositories: {len(listed)} listed, {len(selected)} selected, "
                 f"{len(skipped)} skipped")
        for repo, reason in skipped:
            log.info(f"  skipped {repo.full_name}: {reason}")

    result = SyncResult(owner=owner, dry_run=config.dry_run, started=started, skipped=skipped)
    with log.group(f"Traffic of {len(selected)} repositories"):
        result.repos = read_all_traffic(source, selected, log)
    result.rate_limit = source.rate_limit()
    if first_limit and result.rate_limit and result.rate_limit[0] <= first_limit[0]:
        result.github_requests = first_limit[0] - result.rate_limit[0] + source.owner_requests
    readable = [r for r in result.repos if r.status != "denied"]
    candidates = len(selected) + sum(1 for _, why in skipped if why.startswith("no push"))
    if candidates and not readable:
        raise CredentialsError(f"GPS_GITHUB_KEY: the token cannot read the traffic of any of the "
                               f"{candidates} repositories of {owner.login}; {TRAFFIC_PERMISSION}")

    result.events = build_events(result.repos)
    with log.group("Dedup"):
        result.plan = dedup_plan(config, result.events, today, result, log)
    if config.dry_run:
        print_events(result.plan.to_send, out)
        log.info(f"dry run: {len(result.plan.to_send)} events printed, nothing sent")
        result.finished = datetime.now(timezone.utc)
        return result
    sink = PosthogSink(config.posthog_key, config.posthog_url, config.posthog_historical,
                       config.timeout)
    with log.group(f"Sending {len(result.plan.to_send)} events to PostHog"):
        result.delivery = sink.deliver(result.plan.to_send)
    result.finished = datetime.now(timezone.utc)
    return result
