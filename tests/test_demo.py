"""`gps demo` runs the real pipeline against the built-in fakes with no credentials."""

import os
import subprocess
import sys


def test_demo_needs_no_credentials_and_reports_what_it_sent(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPS_")}
    env["GPS_GITHUB_KEY"] = ""  # an empty setting must not matter to the demo
    proc = subprocess.run([sys.executable, "-m", "gps", "demo"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert "stand-in PostHog at http://127.0.0.1:" in last
    sent = int(last.split("sent ")[1].split(" events")[0])
    assert sent > 0
    assert proc.stdout.startswith("# GitHub traffic → PostHog: gps-demo")  # the report
    assert "| [gps-demo/website](https://github.com/gps-demo/website) |" in proc.stdout
    assert f"events: {sent} delivered, 0 failed" in proc.stderr
    assert "skipped gps-demo/internal-tools: private" in proc.stderr
