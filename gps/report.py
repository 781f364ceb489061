"""The closing lines of a run, for the log."""

from __future__ import annotations

from gps.log import Log
from gps.sync import SyncResult


def log_summary(result: SyncResult, log: Log) -> None:
    synced = sum(1 for r in result.repos if r.status == "synced")
    denied = sum(1 for r in result.repos if r.status == "denied")
    failed_reads = sum(1 for r in result.repos if r.status == "failed")
    log.info(f"repositories: {synced} synced, {len(result.skipped)} skipped, "
             f"{denied} without traffic access, {failed_reads} failed")
    plan = result.plan
    label = "new" if result.dedup == "on" else "to send"
    log.info(f"events: {len(result.events)} fetched: {len(plan.new)} {label}, {len(plan.resend)} "
             f"resent with corrected values, {len(plan.skipped)} skipped as already stored, "
             f"{len(plan.held_back)} held back (dedup {result.dedup})")
    if result.dry_run:
        log.info(f"events: {len(plan.to_send)} would be sent (dry run)")
    else:
        log.info(f"events: {len(result.delivery.delivered)} delivered, "
                 f"{len(result.delivery.failed)} failed")
    if result.rate_limit:
        remaining, limit = result.rate_limit
        log.info(f"GitHub rate limit: {remaining}/{limit} requests left")
    failed = result.failed_repos()
    if result.delivery.failed:
        reasons = sorted(set(result.delivery.failed.values()))
        log.error(f"{len(result.delivery.failed)} events were not delivered "
                  f"({'; '.join(reasons)}); affected repositories: {', '.join(failed)}")
    elif failed:
        log.error(f"{len(failed)} repositories failed: {', '.join(failed)}")
    if result.dedup_rejected:
        log.error("dedup credentials were rejected: fix GPS_POSTHOG_ID / GPS_POSTHOG_TOKEN")
