"""GitHub's rate limits as one run sees them: the shared budget, and a retry policy that never
sleeps past GPS_MAX_WAIT.

Every worker thread has its own PyGithub client; each reports the rate-limit headers it saw to one
Budget, so the run knows how many requests are left, when they refill, and whether a secondary
limit is in force (the reader then lets one repository through at a time).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from github import GithubRetry
from github.GithubException import RateLimitExceededExceedsMaxWait


class BudgetExhausted(Exception):
    """GitHub's rate limit would make us wait longer than GPS_MAX_WAIT."""

    def __init__(self, reset_at: datetime | None):
        super().__init__("rate limit exhausted")
        self.reset_at = reset_at


class Budget:
    """GitHub's rate-limit budget as all worker clients saw it, and any secondary limit in force."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.remaining: int | None = None
        self.limit: int | None = None
        self.reset: int = 0  # epoch seconds
        self.first: int | None = None  # budget before the run's first request
        self.secondary_until = 0.0  # monotonic time until which a secondary limit holds

    def note(self, remaining: int, limit: int, reset: int) -> None:
        if limit < 0:
            return
        with self.lock:
            if self.first is None:
                self.first = remaining + 1
            if reset > self.reset + 1 and self.remaining is not None and remaining > self.remaining:
                self.first = None  # a new window began: the used count is no longer known
            if self.remaining is None or reset > self.reset + 1 or remaining < self.remaining:
                self.remaining, self.limit, self.reset = remaining, limit, max(reset, self.reset)

    def note_secondary(self, wait: float) -> None:
        with self.lock:
            self.secondary_until = max(self.secondary_until, time.monotonic() + wait + 1)

    @property
    def secondary_active(self) -> bool:
        return time.monotonic() < self.secondary_until

    def reset_at(self) -> datetime | None:
        return datetime.fromtimestamp(self.reset, timezone.utc) if self.reset else None

    def too_low(self, cost: int, max_wait: float) -> bool:
        """True when `cost` requests do not fit and the refill is further away than `max_wait`."""
        with self.lock:
            if self.remaining is None or self.remaining >= cost:
                return False
            return self.reset - time.time() > max_wait

    def used(self) -> int | None:
        with self.lock:
            if self.first is None or self.remaining is None:
                return None
            return max(self.first - self.remaining, 0)


class GpsRetry(GithubRetry):
    """GithubRetry that never sleeps past `max_rate_limit_wait` on a `Retry-After`, retries 429,
    and tells the shared Budget about secondary limits so the run can slow down."""

    budget: Budget | None = None

    def new(self, **kw):
        retry = super().new(**kw)
        retry.budget = self.budget
        return retry

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None):
        if response is not None and response.status in (403, 429):
            header = response.headers.get("Retry-After")
            if header is not None:
                try:
                    wait = float(header)
                except ValueError:
                    wait = self.secondary_rate_wait
                if self.budget is not None:
                    self.budget.note_secondary(wait)
                if self.max_rate_limit_wait is not None and wait > self.max_rate_limit_wait:
                    raise RateLimitExceededExceedsMaxWait(response.status, {
                        "message": f"Retry-After {wait:g}s exceeds GPS_MAX_WAIT"}, response.headers,
                        wait=wait)
        return super().increment(method, url, response, error, _pool, _stacktrace)
