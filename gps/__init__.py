"""gps: sync GitHub repository traffic into PostHog.

The package reads as the pipeline it runs:
config -> github_source -> events -> (dedup) -> posthog_sink -> report, orchestrated by sync and cli.
"""

__version__ = "0.1.0"
