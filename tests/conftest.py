"""Fixtures: the fake GitHub and PostHog servers on 127.0.0.1, and a runner for the real `gps` command."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gps.fakes import FakeGitHub, FakePostHog

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Recognisable sentinel secrets: every test output is scanned for them.
GITHUB_TOKEN = "ghp_SENTINELgithubTOKEN0000000000000000"
PROJECT_KEY = "phc_SENTINELprojectKEY000000000000000000"
PERSONAL_KEY = "phx_SENTINELpersonalKEY00000000000000000"
SECRETS = (GITHUB_TOKEN, PROJECT_KEY, PERSONAL_KEY)


def days_ago(n: int) -> str:
    """GitHub's timestamp string for UTC midnight `n` days before now (tests stay valid any day)."""
    midnight = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def github():
    fake = FakeGitHub()
    fake.add_user("octo-user", token=GITHUB_TOKEN)
    with fake:
        yield fake


@pytest.fixture
def posthog():
    with FakePostHog(project_key=PROJECT_KEY, project_id=7, personal_keys=(PERSONAL_KEY,)) as fake:
        yield fake


@pytest.fixture
def gps(github, posthog, tmp_path):
    """Run the real `gps` command as a subprocess against the fakes; check no secret leaks."""

    def run(*args: str, env: dict[str, str] | None = None, cmd: list[str] | None = None,
            timeout: float = 120, secrets_allowed_in: tuple[str, ...] = ()) -> Run:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("GPS_", "GITHUB_"))}
        base.update({
            "GPS_GITHUB_KEY": GITHUB_TOKEN, "GPS_GITHUB_URL": github.url,
            "GPS_POSTHOG_KEY": PROJECT_KEY, "GPS_POSTHOG_URL": posthog.url,
            # the original tool's scope; tests of the other metrics (and the default) set their own
            "GPS_METRICS": "views,clones",
        })
        base.update(env or {})
        base = {k: v for k, v in base.items() if v is not None}
        command = cmd or [sys.executable, "-m", "gps"]
        proc = subprocess.run([*command, *args], env=base, cwd=tmp_path, capture_output=True,
                              text=True, timeout=timeout)
        result = Run(proc.returncode, proc.stdout, proc.stderr)
        scanned = "\n".join(line for line in result.output.splitlines()
                            if not line.startswith(secrets_allowed_in or ("\0",)))
        for secret in SECRETS:
            assert secret not in scanned, "a secret leaked into the output"
        for path in tmp_path.rglob("*"):  # nothing gps wrote (reports, outputs) holds a secret
            if path.is_file() and path.name != ".env":
                text = path.read_text(errors="replace")
                assert not any(secret in text for secret in SECRETS), f"a secret in {path.name}"
        assert "Traceback" not in result.stderr, result.stderr
        return result

    return run


def make_config(github, posthog, **overrides):
    """A Config pointing at the fakes, for in-process runs of the real pipeline."""
    from gps.config import Config

    values = dict(github_key=GITHUB_TOKEN, github_url=github.url, posthog_key=PROJECT_KEY,
                  posthog_url=posthog.url, timeout=5.0, metrics=("views", "clones"))
    return Config.build(**{**values, **overrides})


def with_dedup(github, posthog, **overrides):
    settings = dict(posthog_id=posthog.project_id, posthog_token=PERSONAL_KEY,
                    posthog_api_url=posthog.url)
    return make_config(github, posthog, **{**settings, **overrides})


def run_in_process(config, now=None):
    """The real pipeline in this process; returns (result, the merged plan of all chunks, log)."""
    import io

    from gps.log import Log
    from gps.model import Plan
    from gps.sync import run_sync

    plan = Plan()

    def observe(chunk):
        for name in ("new", "resend", "skipped", "held_back"):
            getattr(plan, name).extend(getattr(chunk, name))

    log = Log(stream=io.StringIO())
    result = run_sync(config, log, out=io.StringIO(), now=now, observer=observe)
    result.plan = plan
    return result, log
