"""Dedup through PostHog's query API, and the max-merge decision for every event.

GitHub's window overlaps from run to run, so each day is fetched up to 15 times; today's bucket is
partial and the oldest is truncated. Asking PostHog what it already holds lets each event be sent
new, resent with the per-field maximum of stored and fetched values (ClickHouse's
ReplacingMergeTree then keeps that row), or skipped. Without that answer, buckets 14 or more days
old are held back so that a truncated edge value never overwrites a complete one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlsplit, urlunsplit

import requests

from gps import __version__
from gps.httputil import response_detail, retry_after
from gps.model import Event, Plan

PAGE_SIZE = 50_000  # the most rows PostHog's query API returns for one query
HOLD_BACK_DAYS = 14
QUERY_ATTEMPTS = 4
MAX_RETRY_AFTER = 60.0

# Every value reaches PostHog through a HogQL placeholder, never through the query text.
STORED_VALUES_QUERY = """
SELECT toString(uuid) AS id,
       max(toInt(properties.count)) AS count,
       max(toInt(properties.uniques)) AS uniques
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

    count: int
    uniques: int


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

    def _post(self, values: dict) -> dict:
        body = {"query": {"kind": "HogQLQuery", "query": STORED_VALUES_QUERY, "values": values},
                "name": "gps: stored traffic values"}
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

    def fetch(self, events: list[Event]) -> dict[str, Stored]:
        """uuid -> stored maxima, for every stored event of these repositories and days."""
        if not events:
            return {}
        since = min(e.timestamp for e in events)
        until = max(e.timestamp for e in events) + timedelta(days=1)
        values = {
            "event_names": sorted({e.event for e in events}),
            "since": since.strftime("%Y-%m-%d %H:%M:%S"),
            "until": until.strftime("%Y-%m-%d %H:%M:%S"),
            "repos": sorted({e.repo for e in events}),
            "after": "",
            "page_size": self.page_size,
        }
        stored: dict[str, Stored] = {}
        while True:
            answer = self._post(values)
            rows = answer.get("results") or []
            for uuid, count, uniques in rows:
                stored[str(uuid)] = Stored(int(count or 0), int(uniques or 0))
            if len(rows) < self.page_size and not answer.get("hasMore"):
                return stored
            values["after"] = str(rows[-1][0])


def plan_events(events: list[Event], stored: dict[str, Stored] | None, today: date) -> Plan:
    """Max-merge with stored values; without them (None), hold back buckets ≥ 14 days old."""
    plan = Plan()
    for event in events:
        if stored is None:
            age = (today - event.timestamp.date()).days
            (plan.held_back if age >= HOLD_BACK_DAYS else plan.new).append(event)
            continue
        known = stored.get(event.uuid)
        count, uniques = event.properties["count"], event.properties["uniques"]
        if known is None:
            plan.new.append(event)
        elif known.count >= count and known.uniques >= uniques:
            plan.skipped.append(event)
        else:
            merged = {**event.properties, "count": max(count, known.count),
                      "uniques": max(uniques, known.uniques)}
            plan.resend.append(replace(event, properties=merged))
    return plan

