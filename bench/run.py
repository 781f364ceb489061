#!/usr/bin/env python3
"""Benchmark: the real `gps` command against the fakes with injected GitHub latency.

    python bench/run.py                      # 200 repositories, 50 ms per GitHub request
    python bench/run.py --repos 1000 --repos 5000 --concurrency 16

Prints, per run: wall time and its ratio to the lower bound
T_min = latency x (owner + pages + ceil(repository requests / concurrency)); GitHub requests
against the minimum; PostHog requests against ceil(events / 100); dedup queries; the peak RSS
of the gps process. Figures only: nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gps.fakes import FakeGitHub, FakePostHog  # noqa: E402

TOKEN, KEY, PERSONAL = "bench-token", "phc_bench", "phx_bench"
ENDPOINTS = {"views": 1, "clones": 1, "referrers": 1, "paths": 1, "releases": 1}


class PeakRss:
    """The child's own peak RSS (VmHWM), sampled until it exits. (getrusage/wait4 would report
    the forking parent's size when that is larger: the fakes live in this process.)"""

    def __init__(self, pid: int):
        self.pid, self.kib, self.running = pid, 0, True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            try:
                with open(f"/proc/{self.pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            self.kib = max(self.kib, int(line.split()[1]))
            except (OSError, ValueError):
                pass
            time.sleep(0.02)

    def stop(self) -> None:
        self.running = False
        self.thread.join()


def world(repos: int, latency: float) -> FakeGitHub:
    github = FakeGitHub(latency=latency, rate_limit=1_000_000)
    github.add_user("bench-user", token=TOKEN)
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    days = [(today - timedelta(days=back)).strftime("%Y-%m-%dT%H:%M:%SZ") for back in range(13, -1, -1)]
    for i in range(repos):
        github.add_repo(f"bench-user/repository-{i:05d}",
                        views=[(d, 10 + (i + n) % 17, 3) for n, d in enumerate(days)],
                        clones=[(d, 1 + (i + n) % 5, 1) for n, d in enumerate(days)],
                        referrers=[("Google", 9, 4), ("github.com", 5, 2)],
                        paths=[(f"/bench-user/repository-{i:05d}", "home", 12, 5)])
    return github


def run_once(repos: int, latency: float, concurrency: int, metrics: str, dedup: bool) -> dict:
    github = world(repos, latency).start()
    posthog = FakePostHog(project_key=KEY, personal_keys=(PERSONAL,)).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPS_")}
    env.update(GPS_GITHUB_KEY=TOKEN, GPS_GITHUB_URL=github.url, GPS_POSTHOG_KEY=KEY,
               GPS_POSTHOG_URL=posthog.url, GPS_CONCURRENCY=str(concurrency), GPS_METRICS=metrics)
    if dedup:
        env.update(GPS_POSTHOG_ID=str(posthog.project_id), GPS_POSTHOG_TOKEN=PERSONAL,
                   GPS_POSTHOG_API_URL=posthog.url)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "gps", "sync"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = PeakRss(proc.pid)
    stderr = proc.stderr.read()
    proc.wait()
    wall = time.perf_counter() - start
    peak.stop()
    github.stop()
    posthog.stop()
    if proc.returncode != 0:
        sys.exit(f"gps failed ({proc.returncode}):\n{stderr.decode()[-2000:]}")
    chosen = metrics.split(",")
    pages = math.ceil(repos / 100)
    repo_requests = repos * sum(ENDPOINTS.get(m, 0) for m in chosen)
    events = len(posthog.store.rows())
    t_min = latency * (0 + pages + math.ceil(repo_requests / concurrency))
    return {
        "repos": repos, "concurrency": concurrency, "wall": wall, "t_min": t_min,
        "github": github.count(), "github_min": pages + repo_requests,
        "posthog": posthog.count("^/batch"), "posthog_min": math.ceil(events / 100),
        "events": events, "queries": len(posthog.queries), "rss_mb": peak.kib / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, action="append", help="repositories (repeatable; 200)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per GitHub request")
    parser.add_argument("--concurrency", type=int, action="append", help="repeatable; default 4")
    parser.add_argument("--metrics", default="views,clones")
    parser.add_argument("--dedup", action="store_true", help="with dedup credentials (queries)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.platform()}")
    print(f"latency {args.latency * 1000:.0f} ms per GitHub request, metrics {args.metrics}, "
          f"dedup {'on' if args.dedup else 'off'}")
    header = ("repos", "conc", "wall s", "T_min s", "ratio", "GitHub req (min)",
              "PostHog req (min)", "events", "queries", "peak RSS MB")
    print(" | ".join(header))
    for repos in args.repos or [200]:
        for concurrency in args.concurrency or [4]:
            r = run_once(repos, args.latency, concurrency, args.metrics, args.dedup)
            print(" | ".join([str(r["repos"]), str(r["concurrency"]), f"{r['wall']:.1f}",
                              f"{r['t_min']:.1f}", f"{r['wall'] / r['t_min']:.2f}",
                              f"{r['github']} ({r['github_min']})",
                              f"{r['posthog']} ({r['posthog_min']})", str(r["events"]),
                              str(r["queries"]), f"{r['rss_mb']:.0f}"]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
