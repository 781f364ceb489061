"""Dedup through PostHog's query API, and the decision for every event.

GitHub's window overlaps from run to run, so each day is fetched up to 15 times; today's bucket is
partial and the oldest is truncated. Asking PostHog what it already holds lets each event be sent
new, resent with the per-field maximum of stored and fetched values (ClickHouse's
ReplacingMergeTree then keeps that row), or skipped. Without that answer, daily buckets 14 or more
days old are held back so that a truncated edge value never overwrites a complete one.

Counts (views, clones, referrers, paths, downloads) are max-merged; a snapshot is skipped when
identical and resent when different; a star never changes. Every value reaches PostHog through a
HogQL placeholder, never through the query text.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit, urlunsplit

import requests

from gps import __version__
from gps.events import EVENT_NAMES
from gps.httputil import response_detail, retry_after
from gps.model import Event, Plan

PAGE_SIZE = 50_000  # the most rows PostHog's query API returns for one query
HOLD_BACK_DAYS = 14
SNAPSHOT_LOOKBACK_DAYS = 3  # how far back the previous snapshot (for star changes) is looked for
QUERY_ATTEMPTS = 4
MAX_RETRY_AFTER = 60.0

DAILY = {EVENT_NAMES["views"], EVENT_NAMES["clones"]}
COUNTS = DAILY | {EVENT_NAMES["referrers"], EVENT_NAMES["paths"]}
DOWNLOADS = {EVENT_NAMES["releases"]}
SNAPSHOT = EVENT_NAMES["snapshot"]
STAR = EVENT_NAMES["stargazers"]
SNAPSHOT_FIELDS = ("stars", "forks", "open_issues", "size_kb", "language", "topics", "private",
                   "fork", "archived", "pushed_at")

STORED_VALUES_QUERY = """
SELECT toString(uuid) AS id,
       max(toInt(properties.count)) AS count,
       max(toInt(properties.uniques)) AS uniques,
       max(toInt(properties.downloads)) AS downloads
FROM events
WHERE event IN {event_names}
  AND timestamp >= {since}
  AND timestamp < {until}
  AND properties.repo IN {repos}
  AND toString(uuid) > {after}
GROUP BY id
ORDER BY id
LIMIT {page_size}
""".strip()

SNAPSHOTS_QUERY = (
    "SELECT toString(uuid) AS id, properties.repo AS repo, timestamp,\n       "
    + ", ".join(f"properties.{name}" for name in SNAPSHOT_FIELDS) + """
FROM events
WHERE event IN {event_names}
  AND timestamp >= {since}
  AND properties.repo IN {repos}
ORDER BY id, timestamp
LIMIT {page_size} OFFSET {offset}""")

NEWEST_STARS_QUERY = """
SELECT properties.repo AS repo, max(timestamp) AS newest
FROM events
WHERE event IN {event_names}
  AND properties.repo IN {repos}
  AND properties.repo > {after}
GROUP BY repo
ORDER BY repo
LIMIT {page_size}
""".strip()


def query_api_url(capture_url: str, override: str = "") -> str:
    """PostHog Cloud serves queries on us./eu.posthog.com, not the i. capture host; others: the same."""
    if override:
        return override.rstrip("/")
    parts = urlsplit(capture_url)
    host = parts.netloc
    for region in ("us", "eu"):
        if host == f"{region}.i.posthog.com":
            host = f"{region}.posthog.com"
    return urlunsplit((parts.scheme, host, parts.path, "", "")).rstrip("/")


@dataclass(frozen=True)
class Stored:
    """The largest values PostHog holds for one uuid (over every row not yet merged)."""

    count: int = 0
    uniques: int = 0
    downloads: int = 0
    snapshots: tuple[dict, ...] = ()  # every stored version of a snapshot


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def parse_stored_time(value) -> datetime:
    """A timestamp as the query API returns it (ISO 8601, or ClickHouse's `YYYY-MM-DD HH:MM:SS`)."""
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00").replace(" ", "T"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def normalize(value):
    """Stored property values come back as JSON text or scalars: compare them as Python values."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def same_snapshot(stored: dict, fetched: dict) -> bool:
    return all(normalize(stored.get(name)) == normalize(fetched.get(name)) for name in SNAPSHOT_FIELDS)


@dataclass
class Answer:
    """What PostHog holds for this run's events."""

    stored: dict[str, Stored] = field(default_factory=dict)
    previous_stars: dict[str, int] = field(default_factory=dict)  # repo -> stars before today


class QueryFailed(Exception):
    """The query API could not answer; `rejected` when it refused the personal key or project."""

    def __init__(self, message: str, rejected: bool = False):
        super().__init__(message)
        self.rejected = rejected


class StoredValues:
    """Reads stored values for a set of events in ⌈events / 50 000⌉ queries (plus one at most)."""

    def __init__(self, api_url: str, project_id: int, token: str, timeout: float,
                 page_size: int = PAGE_SIZE, backoff: float = 1.0):
        self.endpoint = f"{api_url}/api/projects/{project_id}/query/"
        self.token = token
        self.timeout = timeout
        self.page_size = page_size
        self.backoff = backoff
        self.queries = 0

    def _post(self, query: str, values: dict) -> dict:
        body = {"query": {"kind": "HogQLQuery", "query": query, "values": values},
                "name": "gps: stored values"}
        headers = {"Authorization": f"Bearer {self.token}", "User-Agent": f"gps/{__version__}"}
        reason = ""
        for attempt in range(QUERY_ATTEMPTS):
            wait = self.backoff * 2 ** attempt
            try:
                self.queries += 1
                response = requests.post(self.endpoint, json=body, headers=headers,
                                         timeout=self.timeout)
            except requests.exceptions.Timeout:
                reason = "the query timed out"
            except requests.exceptions.RequestException:
                reason = "cannot connect to the PostHog query API"
            else:
                status = response.status_code
                if status == 200:
                    try:
                        return response.json()
                    except ValueError:
                        raise QueryFailed("the query API answered with invalid JSON") from None
                reason = f"HTTP {status} {response_detail(response)}".strip()
                if status in (401, 403, 404):
                    what = ("GPS_POSTHOG_TOKEN or GPS_POSTHOG_ID was rejected"
                            if status != 404 else "GPS_POSTHOG_ID names no project this key can see")
                    raise QueryFailed(f"{what} ({reason})", rejected=True)
                if status != 429 and status < 500:
                    raise QueryFailed(reason)
                asked = retry_after(response, MAX_RETRY_AFTER)
                if asked is not None:
                    wait = max(wait, asked)
            if attempt + 1 < QUERY_ATTEMPTS:
                time.sleep(wait)
        raise QueryFailed(reason)

    def _paged(self, query: str, values: dict, key: int | None):
        """Every row of a query: keyset paging on column `key`, or OFFSET paging when None."""
        values = {**values, "page_size": self.page_size}
        if key is None:
            values["offset"] = 0
        else:
            values["after"] = ""
        while True:
            answer = self._post(query, values)
            rows = answer.get("results") or []
            yield from rows
            if len(rows) < self.page_size and not answer.get("hasMore"):
                return
            if key is None:
                values["offset"] += len(rows)
            else:
                values["after"] = str(rows[-1][key])

    def fetch(self, events: list[Event], today: date | None = None) -> Answer:
        """What PostHog holds for exactly the repositories, event kinds and days of `events`."""
        counted = [e for e in events if e.event in COUNTS | DOWNLOADS]
        snapshots = sorted({e.repo for e in events if e.event == SNAPSHOT})
        day = today or (max(e.timestamp for e in events).date() if events else None)
        window = None
        if counted:
            window = (min(e.timestamp for e in counted),
                      max(e.timestamp for e in counted) + timedelta(days=1))
        return self._fetch(sorted({e.event for e in counted}), sorted({e.repo for e in counted}),
                           window, snapshots, day)

    def fetch_for(self, repos: list[str], metrics: tuple[str, ...], today: date) -> Answer:
        """What PostHog holds for these repositories over the window a run can send, asked before
        their events exist (so events can be decided one repository at a time)."""
        names = sorted(EVENT_NAMES[m] for m in metrics if EVENT_NAMES[m] in COUNTS | DOWNLOADS)
        midnight = datetime(today.year, today.month, today.day, tzinfo=timezone.utc)
        window = (midnight - timedelta(days=HOLD_BACK_DAYS + 1), midnight + timedelta(days=1))
        return self._fetch(names, sorted(repos) if names else [], window,
                           sorted(repos) if "snapshot" in metrics else [], today)

    def _fetch(self, names: list[str], repos: list[str], window, snapshot_repos: list[str],
               day: date | None) -> Answer:
        answer = Answer()
        if names and repos:
            values = {"event_names": names, "since": _stamp(window[0]), "until": _stamp(window[1]),
                      "repos": repos}
            for uuid, count, uniques, downloads in self._paged(STORED_VALUES_QUERY, values, key=0):
                answer.stored[str(uuid)] = Stored(int(count or 0), int(uniques or 0),
                                                  int(downloads or 0))
        if snapshot_repos and day is not None:
            since = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) - timedelta(
                days=SNAPSHOT_LOOKBACK_DAYS)
            values = {"event_names": [SNAPSHOT], "since": _stamp(since), "repos": snapshot_repos}
            versions: dict[str, list[dict]] = {}
            latest_before: dict[str, tuple[datetime, int]] = {}
            for row in self._paged(SNAPSHOTS_QUERY, values, key=None):
                uuid, repo, moment = str(row[0]), row[1], parse_stored_time(row[2])
                props = dict(zip(SNAPSHOT_FIELDS, row[3:]))
                versions.setdefault(uuid, []).append(props)
                if moment.date() < day and (repo not in latest_before or
                                            moment >= latest_before[repo][0]):
                    latest_before[repo] = (moment, int(normalize(props["stars"]) or 0))
            for uuid, stored_versions in versions.items():
                answer.stored[uuid] = Stored(snapshots=tuple(stored_versions))
            answer.previous_stars = {repo: stars for repo, (_, stars) in latest_before.items()}
        return answer

    def newest_stars(self, repos: list[str]) -> dict[str, datetime]:
        """repo -> the `starred_at` of the newest star PostHog holds for it."""
        if not repos:
            return {}
        values = {"event_names": [STAR], "repos": sorted(repos)}
        return {row[0]: parse_stored_time(row[1]) for row in
                self._paged(NEWEST_STARS_QUERY, values, key=0) if row[1] is not None}


def plan_events(events: list[Event], stored: dict[str, Stored] | None, today: date) -> Plan:
    """Decide per event; without stored values (None), hold back daily buckets ≥ 14 days old."""
    plan = Plan()
    for event in events:
        if stored is None:
            age = (today - event.timestamp.date()).days
            too_old = event.event in DAILY and age >= HOLD_BACK_DAYS
            (plan.held_back if too_old else plan.new).append(event)
            continue
        known = stored.get(event.uuid)
        if known is None:
            plan.new.append(event)
        elif event.event == STAR:
            plan.skipped.append(event)  # a star never changes
        elif event.event == SNAPSHOT:
            if known.snapshots and all(same_snapshot(v, event.properties) for v in known.snapshots):
                plan.skipped.append(event)
            else:
                plan.resend.append(event)
        else:
            fields = ("downloads",) if event.event in DOWNLOADS else ("count", "uniques")
            fetched = {name: event.properties[name] for name in fields}
            kept = {name: getattr(known, name) for name in fields}
            if all(kept[name] >= fetched[name] for name in fields):
                plan.skipped.append(event)
            else:
                merged = {name: max(kept[name], fetched[name]) for name in fields}
                plan.resend.append(replace(event, properties={**event.properties, **merged}))
    return plan
