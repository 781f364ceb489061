"""Reading PostHog's error answers: shared by the capture sink and the query client."""

from __future__ import annotations

import requests


def response_detail(response: requests.Response) -> str:
    """The short reason PostHog gives in an error body (`detail`, `error` or `message`)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("error") or body.get("message") or "")[:200]
    return ""


def retry_after(response: requests.Response, cap: float) -> float | None:
    """Seconds asked for by a `Retry-After` header (capped), or None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    try:
        return min(float(value), cap) if value is not None else None
    except ValueError:
        return None
