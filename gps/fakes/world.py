"""The demo world: a small invented organization with two weeks of traffic, for `gps demo` and self-tests."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from gps.fakes.fake_github import FakeGitHub

DEMO_TOKEN = "demo-github-token"
DEMO_KEY = "phc_demo"
DEMO_ORG = "gps-demo"
DEMO_REPOS = {  # name -> (daily views around, daily clones around, private, fork)
    "website": (120, 4, False, False),
    "cli": (60, 15, False, False),
    "sdk-python": (35, 22, False, False),
    "internal-tools": (8, 3, True, False),
    "upstream-fork": (2, 0, False, True),
    "sandbox": (0, 0, False, False),
}


def demo_world(today: datetime | None = None, seed: int = 7, **server) -> FakeGitHub:
    """A fake GitHub holding the demo organization, with traffic for the 15 days up to `today`."""
    today = (today or datetime.now(timezone.utc)).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(seed)
    github = FakeGitHub(**server)
    github.add_user("demo-user", token=DEMO_TOKEN)
    github.add_org(DEMO_ORG)
    for name, (views, clones, private, fork) in DEMO_REPOS.items():
        daily_views, daily_clones = [], []
        for back in range(14, -1, -1):
            day = (today - timedelta(days=back)).strftime("%Y-%m-%dT%H:%M:%SZ")
            if views:
                count = max(1, int(rng.gauss(views, views / 3)))
                daily_views.append((day, count, max(1, count // 3)))
            if clones and rng.random() < 0.8:
                count = max(1, int(rng.gauss(clones, clones / 2)))
                daily_clones.append((day, count, max(1, count // 2)))
        # visitors come back on several days: the window's uniques are fewer than the daily sum
        window_uniques = {stat: int(sum(u for _, _, u in days) * 0.6)
                          for stat, days in (("views", daily_views), ("clones", daily_clones))}
        total = sum(c for _, c, _ in daily_views)
        referrers = [(site, int(total * share), int(total * share / 3)) for site, share in
                     (("github.com", 0.3), ("Google", 0.2), ("news.ycombinator.com", 0.08),
                      ("reddit.com", 0.03)) if int(total * share)]
        paths = [(f"/{DEMO_ORG}/{name}", f"{DEMO_ORG}/{name}", int(total * 0.5), int(total * 0.15)),
                 (f"/{DEMO_ORG}/{name}/releases", f"Releases · {DEMO_ORG}/{name}",
                  int(total * 0.1), int(total * 0.05))] if total else []
        stars = [((today - timedelta(days=rng.randint(1, 700), minutes=i)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"), f"fan-{name}-{i}") for i in range(views // 2)]
        github.add_repo(f"{DEMO_ORG}/{name}", private=private, fork=fork, views=daily_views,
                        clones=daily_clones, window_uniques=window_uniques, referrers=referrers,
                        paths=paths, stars=sorted(stars), forks_count=views // 10,
                        topics=["demo"], language="Python")
    return github
