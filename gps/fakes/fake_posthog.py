"""A stand-in for PostHog: the `/batch/` capture endpoint and an events store.

Capture speaks the real format: JSON or gzip bodies `{"api_key","batch":[…]}`, 401 for an unknown
project key, 400 for the whole request when one event is invalid, 413 over the body limit,
200 `{"status": 1}` on success. The store keeps every row as written, like ClickHouse before its
background merges; `final()` is what a ReplacingMergeTree keeps after them (the last write per
event key).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import uuid as uuidlib
from datetime import datetime, timezone

from gps.fakes.base import FakeServer, Reply, Request

BODY_LIMIT = 20 * 1024 * 1024


class EventStore:
    """Rows as PostHog's events table holds them, in SQLite so queries can run against them."""

    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, team_id INTEGER,"
                        " uuid TEXT, event TEXT, distinct_id TEXT, timestamp TEXT, properties TEXT,"
                        " ts TEXT)")  # ts: the timestamp as ClickHouse compares it, UTC
        self.lock = threading.Lock()

    def insert(self, team_id: int, rows: list[dict]) -> None:
        with self.lock, self.db:
            self.db.executemany(
                "INSERT INTO events (team_id, uuid, event, distinct_id, timestamp, properties, ts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(team_id, r["uuid"], r["event"], r["distinct_id"], r["timestamp"],
                  json.dumps(r.get("properties") or {}), _utc(r["timestamp"])) for r in rows])

    def rows(self) -> list[dict]:
        """Every row written, oldest first."""
        with self.lock:
            cur = self.db.execute("SELECT uuid, event, distinct_id, timestamp, properties FROM events "
                                  "ORDER BY seq")
            return [{"uuid": u, "event": e, "distinct_id": d, "timestamp": t,
                     "properties": json.loads(p)} for u, e, d, t, p in cur.fetchall()]

    def final(self) -> dict[str, dict]:
        """uuid -> the row a fully merged ReplacingMergeTree keeps (the last one written)."""
        result: dict[str, dict] = {}
        for row in self.rows():
            result[row["uuid"]] = row
        return result

    def query(self, hogql: str, values: dict) -> tuple[list[list], bool]:
        """Run the HogQL subset gps uses against the rows; return (rows, has_more)."""
        sql, params, limit, offset = translate_hogql(hogql, values)
        with self.lock:
            rows = [list(r) for r in self.db.execute(f"{sql} LIMIT {limit + 1} OFFSET {offset}",
                                                     params).fetchall()]
        return rows[:limit], len(rows) > limit

    def clear(self) -> None:
        with self.lock, self.db:
            self.db.execute("DELETE FROM events")


def _utc(timestamp: str) -> str:
    parsed = datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


class HogQLError(ValueError):
    """The query uses something outside the subset the fake understands (PostHog would say 400)."""


FUNCTIONS = {"toString", "toInt", "max", "min", "count", "sum"}
DEFAULT_LIMIT, MAX_LIMIT = 100, 50_000


def translate_hogql(hogql: str, values: dict) -> tuple[str, list, int, int]:
    """Translate the small HogQL subset gps sends into SQLite, binding `{name}` placeholders.

    Literal strings are refused: every value must arrive through a placeholder.
    """
    if "'" in hogql or '"' in hogql:
        raise HogQLError("literal values in the query text (use placeholders)")
    for name in re.findall(r"\b([A-Za-z_]+)\s*\(", hogql):
        if name not in FUNCTIONS and name.upper() not in ("IN",):
            raise HogQLError(f"unknown function {name}")
    params: list = []
    limit, offset = DEFAULT_LIMIT, 0

    def number(raw: str) -> int:
        return int(values[raw[1:-1]] if raw.startswith("{") else raw)

    match = re.search(r"\bLIMIT\s+(\{\w+\}|\d+)(?:\s+OFFSET\s+(\{\w+\}|\d+))?\s*$", hogql, re.I)
    if match:
        limit = number(match.group(1))
        offset = number(match.group(2)) if match.group(2) else 0
        hogql = hogql[:match.start()]
    limit = min(limit, MAX_LIMIT)

    def placeholder(m: re.Match) -> str:
        name = m.group(1)
        if name not in values:
            raise HogQLError(f"placeholder {{{name}}} has no value")
        value = values[name]
        if isinstance(value, list):
            params.extend(value)
            return "(" + ", ".join("?" for _ in value) + ")" if value else "(NULL)"
        params.append(value)
        return "?"

    sql = re.sub(r"toInt\(properties\.(\w+)\)",
                 r"CAST(json_extract(properties, '$.\1') AS INTEGER)", hogql)
    sql = re.sub(r"properties\.(\w+)", r"json_extract(properties, '$.\1')", sql)
    sql = sql.replace("toString(uuid)", "uuid")
    sql = re.sub(r"\btimestamp\b", "ts", sql)
    sql = re.sub(r"\{(\w+)\}", placeholder, sql)
    return sql, params, limit, offset


def _valid_event(item: object) -> bool:
    if not isinstance(item, dict) or not item.get("event") or item.get("distinct_id") in (None, ""):
        return False
    try:
        uuidlib.UUID(str(item.get("uuid")))
    except ValueError:
        return False
    return isinstance(item.get("properties", {}), dict)


class FakePostHog(FakeServer):
    """PostHog on 127.0.0.1 for one project: `project_key` for capture, `project_id` for queries."""

    def __init__(self, project_key: str = "phc_test", project_id: int = 1,
                 personal_keys: tuple[str, ...] = ("phx_test",), latency: float = 0.0, **server):
        super().__init__(latency, **server)
        self.project_key = project_key
        self.project_id = project_id
        self.personal_keys = set(personal_keys)
        self.store = EventStore()
        self.body_limit = BODY_LIMIT
        self.batches: list[dict] = []  # accepted capture bodies, for inspection
        self.queries: list[dict] = []  # accepted query bodies, for inspection
        self.query_limit = 120  # HogQL queries per hour per key, as PostHog throttles

    def route(self, request: Request) -> Reply:
        if request.method == "POST" and request.path.rstrip("/") in ("/batch", "/capture", "/e"):
            return self._capture(request)
        if request.method == "GET" and request.path == "/_fake/events":  # inspection, not PostHog's
            return Reply(200, list(self.store.final().values()))
        match = re.fullmatch(r"/api/projects/([^/]+)/query/?", request.path)
        if match and request.method == "POST":
            return self._query(request, match.group(1))
        return Reply(404, {"type": "invalid_request", "code": "not_found", "detail": "Not found."})

    def _capture(self, request: Request) -> Reply:
        if len(request.body) > self.body_limit:
            return Reply(413, {"type": "invalid_request", "code": "payload_too_large",
                               "detail": "Request body too large."})
        try:
            body = request.json()
        except ValueError:
            return Reply(400, {"type": "invalid_request", "code": "invalid_payload",
                               "detail": "Malformed request data: invalid JSON."})
        if not isinstance(body, dict) or body.get("api_key") != self.project_key:
            return Reply(401, {"type": "authentication_error", "code": "invalid_api_key",
                               "detail": "Project API key invalid. You can find your project API key "
                                         "in your PostHog project settings."})
        batch = body.get("batch")
        if not isinstance(batch, list) or not all(_valid_event(item) for item in batch):
            return Reply(400, {"type": "invalid_request", "code": "invalid_payload",
                               "detail": "Invalid event in batch."})
        self.store.insert(self.project_id, batch)
        self.batches.append(body)
        return Reply(200, {"status": 1})

    def _query(self, request: Request, project: str) -> Reply:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.personal_keys:
            return Reply(401, {"type": "authentication_error", "code": "authentication_failed",
                               "detail": "Personal API key found in request Authorization header "
                                         "is invalid."})
        if project != str(self.project_id):
            return Reply(404, {"type": "invalid_request", "code": "not_found",
                               "detail": "Not found."})
        if len(self.queries) >= self.query_limit:
            return Reply(429, {"type": "throttled_error", "code": "throttled",
                               "detail": "Request was throttled."}, {"Retry-After": "3600"})
        try:
            query = request.json()["query"]
            assert query["kind"] == "HogQLQuery"
            rows, has_more = self.store.query(query["query"], query.get("values") or {})
        except (ValueError, KeyError, TypeError, AssertionError, sqlite3.Error) as exc:
            return Reply(400, {"type": "validation_error", "code": "query_error",
                               "detail": f"Query could not be run: {exc}"})
        self.queries.append(query)
        return Reply(200, {"results": rows, "columns": [], "hasMore": has_more})
