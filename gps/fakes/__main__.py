"""Run the fakes as a process, for the container test and the self-test workflow.

    python -m gps.fakes serve --state fakes.json [--bind 0.0.0.0 --advertise HOST]
    python -m gps.fakes outputs --state fakes.json        # name=value lines for $GITHUB_OUTPUT
    python -m gps.fakes check --state fakes.json --summary FILE --outputs FILE_OR_JSON

`serve` holds the demo world and writes where to reach it; `check` verifies a finished gps run
against it: the events PostHog stored, the Action's outputs and the report. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.request
from pathlib import Path

from gps.fakes.fake_posthog import FakePostHog
from gps.fakes.world import DEMO_KEY, DEMO_ORG, DEMO_TOKEN, demo_world


def serve(args) -> int:
    server = {"bind": args.bind, "advertise": args.advertise}
    github = demo_world(**server).start()
    posthog = FakePostHog(project_key=DEMO_KEY, **server).start()
    selected = [r for r in github.repos.values() if not r.private and not r.fork]
    state = {
        "github-url": github.url, "github-key": DEMO_TOKEN, "github-id": DEMO_ORG,
        "posthog-url": posthog.url, "posthog-key": DEMO_KEY,
        "repositories": sorted(r.full_name for r in selected),
        "views": sum(c for r in selected for _, c, _ in r.views),
        "clones": sum(c for r in selected for _, c, _ in r.clones),
    }
    tmp = Path(args.state).with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    tmp.replace(args.state)  # appears whole: `wait`/readers never see half a file
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    deadline = time.monotonic() + args.lifetime
    while not stop.is_set() and time.monotonic() < deadline:
        stop.wait(0.5)
    github.stop()
    posthog.stop()
    return 0


def wait_for_state(path: str, seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return json.loads(Path(path).read_text())
        time.sleep(0.1)
    raise SystemExit(f"fakes: no state file {path} after {seconds:.0f} s")


def outputs(args) -> int:
    state = wait_for_state(args.state)
    for name in ("github-url", "github-key", "github-id", "posthog-url", "posthog-key"):
        print(f"{name}={state[name]}")
    return 0


def check(args) -> int:
    state = wait_for_state(args.state)
    with urllib.request.urlopen(state["posthog-url"] + "/_fake/events", timeout=10) as answer:
        stored = json.load(answer)
    raw = Path(args.outputs).read_text() if os.path.exists(args.outputs) else args.outputs
    try:
        outs = json.loads(raw)
    except ValueError:
        outs = dict(line.split("=", 1) for line in raw.splitlines() if "=" in line)
    summary = Path(args.summary).read_text(encoding="utf-8")
    problems = []
    repos = {row["properties"]["repo"] for row in stored}
    if not stored or repos != set(state["repositories"]):  # every one has at least its snapshot
        problems.append(f"PostHog stored events of {sorted(repos)}, expected {state['repositories']}")
    expect = {"events-sent": str(len(stored)), "events-failed": "0",
              "repositories": str(len(state["repositories"])), "views": str(state["views"]),
              "clones": str(state["clones"])}
    for name, value in expect.items():
        if str(outs.get(name)) != value:
            problems.append(f"output {name} is {outs.get(name)!r}, expected {value!r}")
    if not summary.startswith(f"# GitHub traffic → PostHog: {state['github-id']}"):
        problems.append("the summary does not start with the report title")
    problems += [f"the summary does not list {name}" for name in state["repositories"]
                 if f"[{name}](" not in summary]
    for line in problems:
        print(f"check: FAILED: {line}", file=sys.stderr)
    if not problems:
        print(f"check: ok: {len(stored)} events stored for {len(repos)} repositories; outputs and "
              f"summary right")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gps.fakes", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve the demo world until SIGTERM")
    run.add_argument("--state", required=True)
    run.add_argument("--bind", default="127.0.0.1")
    run.add_argument("--advertise", default=None, help="host name given to clients")
    run.add_argument("--lifetime", type=float, default=1800, help="stop after this many seconds")
    out = commands.add_parser("outputs", help="print name=value lines for $GITHUB_OUTPUT")
    out.add_argument("--state", required=True)
    verify = commands.add_parser("check", help="verify a finished run against the fakes")
    verify.add_argument("--state", required=True)
    verify.add_argument("--summary", required=True)
    verify.add_argument("--outputs", required=True, help="a $GITHUB_OUTPUT file or a JSON object")
    args = parser.parse_args(argv)
    return {"serve": serve, "outputs": outputs, "check": check}[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
