"""A stand-in for PostHog: the `/batch/` capture endpoint and an events store.

Capture speaks the real format: JSON or gzip bodies `{"api_key","batch":[…]}`, 401 for an unknown
project key, 400 for the whole request when one event is invalid, 413 over the body limit,
200 `{"status": 1}` on success. The store keeps every row as written, like ClickHouse before its
background merges; `final()` is what a ReplacingMergeTree keeps after them (the last write per
event key).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid as uuidlib

from gps.fakes.base import FakeServer, Reply, Request

BODY_LIMIT = 20 * 1024 * 1024


class EventStore:
    """Rows as PostHog's events table holds them, in SQLite so queries can run against them."""

    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, team_id INTEGER,"
                        " uuid TEXT, event TEXT, distinct_id TEXT, timestamp TEXT, properties TEXT)")
        self.lock = threading.Lock()

    def insert(self, team_id: int, rows: list[dict]) -> None:
        with self.lock, self.db:
            self.db.executemany(
                "INSERT INTO events (team_id, uuid, event, distinct_id, timestamp, properties) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(team_id, r["uuid"], r["event"], r["distinct_id"], r["timestamp"],
                  json.dumps(r.get("properties") or {})) for r in rows])

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

    def clear(self) -> None:
        with self.lock, self.db:
            self.db.execute("DELETE FROM events")


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
                 personal_keys: tuple[str, ...] = ("phx_test",), latency: float = 0.0):
        super().__init__(latency)
        self.project_key = project_key
        self.project_id = project_id
        self.personal_keys = set(personal_keys)
        self.store = EventStore()
        self.body_limit = BODY_LIMIT
        self.batches: list[dict] = []  # accepted capture bodies, for inspection

    def route(self, request: Request) -> Reply:
        if request.method == "POST" and request.path.rstrip("/") in ("/batch", "/capture", "/e"):
            return self._capture(request)
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
