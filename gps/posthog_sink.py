"""The sink stage: deliver events to PostHog and account for every one of them.

The official client sends in batches with explicit uuids. Its failures reach us only through
`on_error` (the batch is then dropped) or a `None` from `capture`, so we keep a ledger: every event
ends delivered or failed. Whatever the client could not deliver goes once more through a raw
`/batch/` POST that retries transient errors, honours `Retry-After` and splits a batch on 413.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timezone

import requests
from posthog import Posthog

from gps import __version__
from gps.errors import CredentialsError
from gps.httputil import response_detail, retry_after
from gps.model import Delivery, Event

BATCH_SIZE = 100
BACKPRESSURE = 5000  # events queued with the client before waiting for it to drain
RAW_ATTEMPTS = 4
MAX_RETRY_AFTER = 30.0
RETRYABLE = {408, 429, 500, 502, 503, 504}
KEY_REJECTED = {401, 403}

logging.getLogger("posthog").setLevel(logging.CRITICAL)  # we report failures ourselves


class KeyRejected(Exception):
    """PostHog refused the project API key."""


def wire_event(event: Event) -> dict:
    """An event as `/batch/` expects it."""
    return {
        "event": event.event,
        "distinct_id": event.distinct_id,
        "uuid": event.uuid,
        "timestamp": event.timestamp.astimezone(timezone.utc).isoformat(),
        "properties": {**event.properties, "$lib": "gps", "$lib_version": __version__},
    }


class PosthogSink:
    """Delivers events through the posthog client, then through raw capture for what it dropped.

    `open()`, any number of `send(events)`, then `close()` for the verdict; `deliver(events)` does
    all three. Only the events the client failed to deliver are kept in memory.
    """

    def __init__(self, api_key: str, host: str, historical: bool, timeout: float,
                 max_retries: int = 3, backoff: float = 1.0):
        self.api_key = api_key
        self.host = host.rstrip("/")
        self.historical = historical
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self._client: Posthog | None = None
        self._lost: list[dict] = []  # wire events the client did not deliver
        self._lock = threading.Lock()
        self._sent = 0

    # -- the official client ---------------------------------------------------------------------

    def _on_error(self, exc: Exception, batch: list[dict]) -> None:
        with self._lock:
            self._lost.extend(batch)

    def open(self) -> None:
        self._client = Posthog(self.api_key, host=self.host, historical_migration=self.historical,
                               gzip=True, max_retries=self.max_retries, on_error=self._on_error,
                               flush_at=BATCH_SIZE, timeout=self.timeout, capture_mode="v0",
                               disable_geoip=True, enable_exception_autocapture=False)

    def send(self, events: list[Event]) -> None:
        """Queue events with the client (it sends in batches of 100 in the background)."""
        if self._client is None:
            self.open()
        for event in events:
            self._sent += 1
            returned = self._client.capture(event.event, distinct_id=event.distinct_id,
                                            properties=dict(event.properties),
                                            timestamp=event.timestamp, uuid=event.uuid)
            if returned != event.uuid:
                with self._lock:
                    self._lost.append(wire_event(event))
            if self._sent % BACKPRESSURE == 0:
                self._client.flush()  # the client's queue is bounded: never let it overflow

    def close(self) -> Delivery:
        """Flush the client, retry what it lost through raw capture, and return the verdict."""
        if self._client is not None:
            self._client.shutdown()
            self._client = None
        failed: dict[str, str] = {}
        lost, self._lost = self._lost, []
        try:
            for start in range(0, len(lost), BATCH_SIZE):
                self._raw_send(lost[start:start + BATCH_SIZE], failed)
        except KeyRejected as exc:
            raise CredentialsError(f"GPS_POSTHOG_KEY: PostHog rejected the project API key ({exc}); "
                                   f"{self._sent} events not delivered") from None
        repos = {str((item.get("properties") or {}).get("repo")) for item in lost
                 if item.get("uuid") in failed}
        delivery = Delivery(delivered=self._sent - len(failed), failed=failed, failed_repos=repos)
        self._sent = 0
        return delivery

    def deliver(self, events: list[Event]) -> Delivery:
        """Send every event; raise CredentialsError when PostHog rejects the project key."""
        if not events:
            return Delivery()
        self.send(events)
        return self.close()

    # -- raw capture fallback --------------------------------------------------------------------

    def _post(self, batch: list[dict]) -> requests.Response:
        body = {"api_key": self.api_key, "batch": batch, "historical_migration": self.historical,
                "sent_at": datetime.now(timezone.utc).isoformat()}
        return requests.post(f"{self.host}/batch/", data=json.dumps(body, default=str),
                             headers={"Content-Type": "application/json",
                                      "User-Agent": f"gps/{__version__}"},
                             timeout=self.timeout)

    def _raw_send(self, batch: list[dict], failed: dict[str, str]) -> None:
        """POST one batch with retries; split it on 413; record the uuids that still failed."""
        reason, wait = "", 0.0
        for attempt in range(RAW_ATTEMPTS):
            if attempt:
                time.sleep(wait)
            wait = self.backoff * 2 ** attempt
            try:
                response = self._post(batch)
            except requests.exceptions.RequestException as exc:
                reason = f"PostHog capture failed: {_describe(exc)}"
                continue
            if response.status_code == 200:
                return
            reason = f"PostHog capture failed: HTTP {response.status_code} {response_detail(response)}"
            if response.status_code == 413 and len(batch) > 1:
                half = len(batch) // 2
                self._raw_send(batch[:half], failed)
                self._raw_send(batch[half:], failed)
                return
            if response.status_code in KEY_REJECTED:
                raise KeyRejected(f"HTTP {response.status_code} {response_detail(response)}")
            if response.status_code not in RETRYABLE:
                break
            asked = retry_after(response, MAX_RETRY_AFTER)
            if asked is not None:
                wait = max(wait, asked)
        for item in batch:
            failed[item["uuid"]] = reason


def _describe(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    if status is not None:
        return f"HTTP {status} {getattr(exc, 'message', '')}".strip()
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "cannot connect"
    return type(exc).__name__

