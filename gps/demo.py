"""`gps demo`: the whole pipeline against the built-in stand-ins of GitHub and PostHog on 127.0.0.1.

No credentials, no network: the fakes hold a small invented organization with two weeks of traffic.
"""

from __future__ import annotations

import sys

from gps.config import Config
from gps.fakes import FakePostHog
from gps.fakes.world import DEMO_KEY, DEMO_ORG, DEMO_TOKEN, demo_world
from gps.log import Log


def demo_config(github_url: str, posthog_url: str) -> Config:
    return Config.build(github_key=DEMO_TOKEN, github_id=(DEMO_ORG,), github_url=github_url,
                        posthog_key=DEMO_KEY, posthog_url=posthog_url, timeout=10.0)


def run_demo() -> int:
    from gps.report import log_summary, markdown
    from gps.sync import run_sync

    log = Log()
    log.info("gps demo: stand-ins of GitHub and PostHog on 127.0.0.1; nothing leaves this machine")
    with demo_world() as github, FakePostHog(project_key=DEMO_KEY) as posthog:
        result = run_sync(demo_config(github.url, posthog.url), log)
        log_summary(result, log)
        stored = len(posthog.store.final())
        sys.stdout.write(markdown(result, log) + "\n")
        sys.stdout.write(f"sent {result.delivery.delivered} events to the stand-in PostHog at "
                         f"{posthog.url}; it now holds {stored} events from "
                         f"{len(result.repos)} repositories of {DEMO_ORG}\n")
    return result.exit_code
