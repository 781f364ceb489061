"""Exceptions that end a run, each carrying the exit status it stands for."""


class GpsError(Exception):
    """A failure that ends the run with a one-line message instead of a traceback."""

    exit_code = 1


class ConfigError(GpsError):
    """A setting is missing or malformed: the user must change the configuration."""

    exit_code = 2


class CredentialsError(GpsError):
    """GitHub or PostHog rejected a credential, or an owner does not exist."""

    exit_code = 2


class Terminated(GpsError):
    """SIGTERM arrived (a cancelled workflow, a stopped container): finish what is queued, report."""

    exit_code = 143
