"""The Markdown report and the Action's outputs (pure: built from a SyncResult, no server)."""

from datetime import date, datetime, timedelta, timezone

from gps.log import Log
from gps.model import (DailyStat, Delivery, Owner, Popular, Repo, RepoResult, SyncResult, Tally,
                       Traffic)
from gps.report import SUMMARY_LIMIT, keep_row, markdown, outputs, sparkline

NOW = datetime(2026, 12, 3, 15, tzinfo=timezone.utc)


def traffic_result(name, views, uniques=3, clones=2, status="synced", reason=""):
    days = tuple(DailyStat((NOW.date() - timedelta(days=14 - i)).isoformat() + "T00:00:00Z", v, 1)
                 for i, v in enumerate(views))
    traffic = {} if status != "synced" else {
        "views": Traffic("views", sum(views), uniques, days),
        "clones": Traffic("clones", clones, 1, ())}
    return RepoResult(Repo(name, html_url=f"https://github.com/{name}"), status, reason, traffic)


def make_result(repos, **kwargs):
    result = SyncResult(owners=[Owner("octo-org", "organization")], dry_run=False,
                        started=NOW - timedelta(seconds=12), finished=NOW, **kwargs)
    result.repos = repos
    return result


def test_report_has_totals_table_sorted_by_views_and_problems():
    repos = [traffic_result("octo-org/small", [1] * 15, uniques=4),
             traffic_result("octo-org/big", [10] * 15, uniques=40, clones=7),
             traffic_result("octo-org/broken", [], status="failed", reason="views: HTTP 500")]
    result = make_result(repos, skipped=[(Repo("octo-org/f"), "fork (GPS_ALLOW_FORKS=0)")],
                         rate_limit=(4900, 5000), github_requests=37,
                         delivery=Delivery(delivered=2, failed={"c": "HTTP 500 boom"}),
                         tally=Tally(fetched=3, new=3))
    log = Log()
    log.warnings.append("dedup is off: GPS_POSTHOG_TOKEN is not set")
    text = markdown(result, log)
    assert text.startswith("# GitHub traffic → PostHog: octo-org, 2026-12-03")
    assert "2 synced, 1 failed, 0 without traffic access, 0 deferred, 1 skipped (1 fork (GPS_ALLOW_FORKS=0))" in text
    assert "2 sent" in text and "1 failed |" in text
    assert "37 used, 4900/5000 left" in text and "12.0 s" in text
    assert "165 views, 9 clones" in text  # window totals over synced repositories
    big, small = text.index("[octo-org/big]"), text.index("[octo-org/small]")
    assert big < small < text.index("octo-org/broken")
    assert "| [octo-org/big](https://github.com/octo-org/big) | 0 | 150 | 40 | 7 | 1 |" in text
    assert "## Problems" in text and "octo-org/broken: failed — views: HTTP 500" in text
    assert "1 events not delivered: HTTP 500 boom" in text
    assert "GPS_POSTHOG_TOKEN is not set" in text
    assert "Dry run" not in text


def test_dry_run_banner():
    result = make_result([traffic_result("o/r", [1])])
    result.dry_run = True
    assert "**Dry run**: nothing was sent" in markdown(result)


def test_sparkline_follows_daily_views_over_the_window():
    line = sparkline(traffic_result("o/r", [0, 1, 2, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16]), NOW.date())
    assert len(line) == 15
    assert line[0] == "▁" and line[-1] == "█"
    assert line[1] < line[2] < line[3] < line[4] < line[-1]


def test_twenty_thousand_repositories_stay_under_one_mib_and_say_what_was_cut():
    repos = [traffic_result(f"octo-org/repository-with-a-longish-name-{i:05d}", [i % 50] * 15)
             for i in range(20_000)]
    text = markdown(make_result(repos))
    assert len(text.encode()) < SUMMARY_LIMIT <= 1024 * 1024
    shown = text.count("| [octo-org/")
    assert 0 < shown < 20_000
    assert f"*{20_000 - shown} more repositories not shown" in text


def test_outputs():
    repos = [traffic_result("o/a", [2] * 15, clones=3), traffic_result("o/b", [1] * 15, clones=1),
             traffic_result("o/c", [], status="denied", reason="403")]
    result = make_result(repos, delivery=Delivery(delivered=3, failed={"w": "x"}),
                         tally=Tally(fetched=10, new=4, skipped=4, held_back=2),
                         deferred=[Repo("o/d")])
    assert outputs(result) == {"events-sent": "3", "events-skipped": "4", "events-held-back": "2",
                               "events-failed": "1", "repositories": "2",
                               "repositories-deferred": "1", "views": "45", "clones": "4"}


def test_report_date_is_the_runs_date():
    result = make_result([])
    assert date(2026, 12, 3).isoformat() in markdown(result).splitlines()[0]


def test_top_referrers_paths_and_star_changes():
    a = traffic_result("o/a", [5] * 15)
    a.repo = Repo("o/a", html_url="https://github.com/o/a", stars=12)
    a.referrers = [Popular("Google", 30, 9), Popular("t.co", 4, 2)]
    a.paths = [Popular("/o/a", 50, 10, "o/a: home")]
    b = traffic_result("o/b", [1] * 15)
    b.repo = Repo("o/b", html_url="https://github.com/o/b", stars=5)
    b.referrers = [Popular("Google", 7, 3), Popular("reddit.com", 9, 5)]
    b.paths = [Popular("/o/b/issues", 60, 4, "Issues · o/b")]
    result = make_result([])
    for row in (a, b):
        keep_row(result, row, NOW.date())  # as the run keeps them: lists folded, days dropped
    assert a.referrers is None and a.traffic["views"].days == ()
    result.previous_stars = {"o/a": 9}
    text = markdown(result)
    referrers = text.split("## Top referrers")[1].split("##")[0]
    assert referrers.index("| Google | 37 |") < referrers.index("| reddit.com | 9 |") < \
        referrers.index("| t.co | 4 |")
    paths = text.split("## Top paths")[1]
    assert paths.index("`/o/b/issues`") < paths.index("`/o/a`")
    assert "| [o/a](https://github.com/o/a) | 12 (+3) |" in text
    assert "| [o/b](https://github.com/o/b) | 5 |" in text
