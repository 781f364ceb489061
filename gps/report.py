"""What a run tells its user: closing log lines, the Markdown report and the Action's outputs."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from gps.log import Log
from gps.model import RepoResult, SyncResult, Traffic

SUMMARY_LIMIT = 1_000_000  # bytes; GitHub shows nothing of a step summary over 1 MiB
PROBLEM_LINES = 50
BLOCKS = "▁▂▃▄▅▆▇█"


def log_summary(result: SyncResult, log: Log) -> None:
    synced = sum(1 for r in result.repos if r.status == "synced")
    denied = sum(1 for r in result.repos if r.status == "denied")
    failed_reads = sum(1 for r in result.repos if r.status == "failed")
    log.info(f"repositories: {synced} synced, {len(result.skipped)} skipped, "
             f"{denied} without traffic access, {failed_reads} failed")
    tally = result.tally
    label = "new" if result.dedup == "on" else "to send"
    log.info(f"events: {tally.fetched} fetched: {tally.new} {label}, {tally.resend} "
             f"resent with corrected values, {tally.skipped} skipped as already stored, "
             f"{tally.held_back} held back (dedup {result.dedup})")
    if result.dry_run:
        log.info(f"events: {tally.to_send} would be sent (dry run)")
    else:
        log.info(f"events: {result.delivery.delivered} delivered, "
                 f"{len(result.delivery.failed)} failed")
    if result.deferred:
        log.info(f"repositories deferred to the next run (rate limit): {len(result.deferred)}")
    if result.terminated:
        log.error(f"stopped by SIGTERM after {len(result.repos)} repositories; "
                  f"{result.delivery.delivered} events delivered, {len(result.delivery.failed)} "
                  "failed; the next run sends the rest")
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


def window_totals(result: SyncResult) -> tuple[int, int]:
    """14-day views and clones over all synced repositories (GitHub's window totals)."""
    views = sum(r.traffic["views"].count for r in result.repos if "views" in r.traffic)
    clones = sum(r.traffic["clones"].count for r in result.repos if "clones" in r.traffic)
    return views, clones


def outputs(result: SyncResult) -> dict[str, str]:
    """The Action's outputs."""
    views, clones = window_totals(result)
    return {
        "events-sent": str(result.delivery.delivered),
        "events-skipped": str(result.tally.skipped),
        "events-held-back": str(result.tally.held_back),
        "events-failed": str(len(result.delivery.failed)),
        "repositories": str(sum(1 for r in result.repos if r.status == "synced")),
        "repositories-deferred": str(len(result.deferred)),
        "views": str(views),
        "clones": str(clones),
    }


def sparkline(result: RepoResult, today) -> str:
    """Daily views over the 15-day window as Unicode blocks (the lowest block for no views)."""
    if result.spark is not None:
        return result.spark
    traffic = result.traffic.get("views")
    if traffic is None:
        return ""
    by_day = {d.timestamp[:10]: d.count for d in traffic.days}
    series = [by_day.get((today - timedelta(days=back)).isoformat(), 0) for back in range(14, -1, -1)]
    peak = max(series)
    if not peak:
        return BLOCKS[0] * len(series)
    return "".join(BLOCKS[0] if v == 0 else BLOCKS[1 + round((v / peak) * 6)] for v in series)


def _status(result: RepoResult) -> str:
    if result.status == "synced":
        return "✅ synced"
    if result.status == "denied":
        return "⚠️ no traffic access"
    return "❌ failed"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _stars(result: RepoResult, previous: dict[str, int]) -> str:
    before = previous.get(result.repo.full_name)
    if before is None or before == result.repo.stars:
        return str(result.repo.stars)
    return f"{result.repo.stars} ({result.repo.stars - before:+d})"


def _row(result: RepoResult, today, previous: dict[str, int]) -> str:
    name = f"[{_cell(result.repo.full_name)}]({result.repo.html_url})" if result.repo.html_url \
        else _cell(result.repo.full_name)
    views, clones = result.traffic.get("views"), result.traffic.get("clones")
    numbers = [str(getattr(traffic, attr)) if traffic else "–"
               for traffic in (views, clones) for attr in ("count", "uniques")]
    return (f"| {name} | {_stars(result, previous)} | {' | '.join(numbers)} | "
            f"{sparkline(result, today)} | {_status(result)} |")


TOP = 10


def keep_row(result: SyncResult, row: RepoResult, today) -> None:
    """Keep one small row per repository for the report: fold its lists into the run's top lists,
    draw its sparkline, and drop the days, lists, stars and assets it no longer needs."""
    for entry in row.referrers or []:
        result.referrer_views[entry.name] = result.referrer_views.get(entry.name, 0) + entry.count
    paths = result.top_paths + [(e.count, e.name, e.title) for e in row.paths or []]
    result.top_paths = sorted(paths, key=lambda p: (-p[0], p[1]))[:TOP]
    row.spark = sparkline(row, today)
    row.traffic = {stat: Traffic(t.stat, t.count, t.uniques) for stat, t in row.traffic.items()}
    row.referrers = row.paths = row.assets = row.stars = None
    result.repos.append(row)


def top_lists(result: SyncResult) -> list[str]:
    """Top referrers (summed over repositories) and top paths of this run's 14-day lists."""
    referrers = result.referrer_views
    paths = result.top_paths
    lines = []
    if referrers:
        lines += ["## Top referrers (14 days, all repositories)", "", "| Referrer | Views |",
                  "|---|--:|"]
        lines += [f"| {_cell(name)} | {count} |" for name, count in
                  sorted(referrers.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]]
        lines.append("")
    if paths:
        lines += ["## Top paths (14 days)", "", "| Path | Title | Views |", "|---|---|--:|"]
        lines += [f"| `{_cell(path)}` | {_cell(title)} | {count} |"
                  for count, path, title in sorted(paths, key=lambda p: (-p[0], p[1]))[:TOP]]
        lines.append("")
    return lines


def problems(result: SyncResult, log: Log | None) -> list[str]:
    lines = [f"{r.repo.full_name}: {'no traffic access' if r.status == 'denied' else 'failed'} — "
             f"{r.reason}" for r in result.repos if r.status != "synced"]
    if result.delivery.failed:
        reasons = Counter(result.delivery.failed.values())
        lines += [f"{n} events not delivered: {why}" for why, n in sorted(reasons.items())]
    if log:  # warnings about the run itself (those about one repository are listed above)
        names = {r.repo.full_name for r in result.repos}
        lines += [w for w in log.warnings if w.split(":", 1)[0] not in names]
    return lines


def markdown(result: SyncResult, log: Log | None = None, limit: int = SUMMARY_LIMIT) -> str:
    """The run's report; rows are cut (and the cut said) to stay under `limit` bytes."""
    finished = result.finished or datetime.now(result.started.tzinfo)
    today = finished.date()
    synced = [r for r in result.repos if r.status == "synced"]
    failed = [r for r in result.repos if r.status == "failed"]
    denied = [r for r in result.repos if r.status == "denied"]
    views, clones = window_totals(result)
    tally = result.tally
    owners = ", ".join(o.login for o in result.owners) or "selected repositories"
    shard = f" (shard {result.shard})" if result.shard else ""
    head = [f"# GitHub traffic → PostHog: {owners}, {today.isoformat()}{shard}", ""]
    if result.dry_run:
        head += ["> [!WARNING]", "> **Dry run**: nothing was sent to PostHog. "
                 f"{tally.to_send} events would have been sent.", ""]
    if result.terminated:
        head += ["> [!CAUTION]", "> **Stopped by SIGTERM** before the end: the next run sends the "
                 "rest.", ""]
    if result.deferred:
        when = result.reset_at.strftime("%Y-%m-%d %H:%M UTC") if result.reset_at else "later"
        head += ["> [!NOTE]", f"> {len(result.deferred)} repositories were deferred to the next "
                 f"run: GitHub's rate limit refills at {when}.", ""]
    skipped = Counter(reason for _, reason in result.skipped)
    skipped_text = ", ".join(f"{n} {why}" for why, n in sorted(skipped.items())) or "none"
    used = f"{result.github_requests}" if result.github_requests is not None else "unknown"
    left = (f"{result.rate_limit[0]}/{result.rate_limit[1]}" if result.rate_limit else "unknown")
    seconds = (finished - result.started).total_seconds()
    head += [
        "| | |", "|---|---|",
        f"| Repositories | {len(synced)} synced, {len(failed)} failed, {len(denied)} without "
        f"traffic access, {len(result.deferred)} deferred, {len(result.skipped)} skipped "
        f"({skipped_text}) |",
        f"| Events | {result.delivery.delivered} sent ({tally.new} new, {tally.resend}"
        f" resent with corrected values), {tally.skipped} skipped as already stored, "
        f"{tally.held_back} held back, {len(result.delivery.failed)} failed |",
        f"| Dedup | {result.dedup} |",
        f"| 14-day totals | {views} views, {clones} clones |",
        f"| GitHub requests | {used} used, {left} left |",
        f"| Duration | {seconds:.1f} s |", "",
    ]
    issues = problems(result, log)
    tail = []
    if issues:
        tail = ["## Problems", ""] + [f"- {_cell(line)}" for line in issues[:PROBLEM_LINES]]
        if len(issues) > PROBLEM_LINES:
            tail.append(f"- … and {len(issues) - PROBLEM_LINES} more (see the log)")
        tail.append("")
    rows = sorted(result.repos, key=lambda r: (-(r.traffic["views"].count if "views" in r.traffic
                                                 else -1), r.repo.full_name.lower()))
    tail = top_lists(result) + tail
    table = ["## Repositories", "",
             "| Repository | Stars | Views | Unique visitors | Clones | Unique cloners | "
             "Daily views | Status |",
             "|---|--:|--:|--:|--:|--:|---|---|"]
    size = sum(len(line.encode()) + 1 for line in head + table + tail) + 200
    shown = 0
    for result_row in rows:
        line = _row(result_row, today, result.previous_stars)
        if size + len(line.encode()) + 1 > limit:
            break
        table.append(line)
        size += len(line.encode()) + 1
        shown += 1
    if shown < len(rows):
        table.append("")
        table.append(f"*{len(rows) - shown} more repositories not shown: GitHub limits a step "
                     f"summary to 1 MiB.*")
    table.append("")
    return "\n".join(head + table + tail)
