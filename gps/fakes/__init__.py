"""Stand-ins for GitHub and PostHog on 127.0.0.1 that speak the real wire format.

Used by the tests and by `gps demo`. Only the standard library: they ship inside the package
without adding a dependency to the image.
"""

from gps.fakes.fake_github import FakeGitHub
from gps.fakes.fake_posthog import FakePostHog

__all__ = ["FakeGitHub", "FakePostHog"]
