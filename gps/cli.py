"""The `gps` command: parse flags, load the configuration, run, and turn every outcome into an exit status.

Exit status: 0 everything delivered; 1 a repository could not be read or an event was not delivered;
2 configuration or credentials error. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gps import __version__
from gps.config import OPTIONS, load_config
from gps.errors import GpsError
from gps.log import Log

COMMANDS = ("sync", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gps",
        description="Sync GitHub repository traffic (views, clones) into PostHog. "
                    "Every option can also be set as a GPS_* environment variable or in ./.env.",
    )
    parser.add_argument("--version", action="version", version=f"gps {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sync = commands.add_parser("sync", help="sync traffic into PostHog (the default command)",
                               description="Sync traffic into PostHog.")
    for option in OPTIONS:
        kwargs = {"dest": option.field, "default": None,
                  "help": f"{option.help} [{option.env}; default: {option.default or 'unset'}]"}
        if option.is_flag:
            kwargs.update(nargs="?", const="1", metavar="BOOL")
        else:
            kwargs.update(metavar=option.env.removeprefix("GPS_"))
        sync.add_argument(option.flag, **kwargs)
    commands.add_parser("demo", help="run the whole pipeline against built-in stand-ins of GitHub "
                                      "and PostHog on 127.0.0.1 (no credentials, no network)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "sync")
    args = build_parser().parse_args(argv)
    log = Log()
    try:
        if args.command == "demo":
            from gps.demo import run_demo

            return run_demo()
        config = load_config(vars(args), os.environ, Path.cwd())
        log.secrets = config.secrets
        from gps.report import log_summary
        from gps.sync import run_sync

        result = run_sync(config, log)
        log_summary(result, log)
        return result.exit_code
    except GpsError as exc:
        sys.stderr.write(log.redact(f"gps: error: {exc}") + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("gps: interrupted\n")
        return 130
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("GPS_DEBUG"):
            raise
        sys.stderr.write(log.redact(f"gps: internal error: {type(exc).__name__}: {exc} "
                                    "(set GPS_DEBUG=1 for the traceback)") + "\n")
        return 1
