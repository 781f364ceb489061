"""The `gps` command: parse flags, load the configuration, run, and turn every outcome into an exit status.

Exit status: 0 everything delivered; 1 a repository could not be read or an event was not delivered;
2 configuration or credentials error. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from gps import __version__
from gps.actions import ActionsLog, add_masks, append_summary, in_actions, write_outputs
from gps.config import OPTIONS, load_config, secret_values
from gps.errors import GpsError, Terminated
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
        flags = [option.flag, "--summary"] if option.field == "summary_file" else [option.flag]
        sync.add_argument(*flags, **kwargs)
    commands.add_parser("demo", help="run the whole pipeline against built-in stand-ins of GitHub "
                                      "and PostHog on 127.0.0.1 (no credentials, no network)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "sync")
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from gps.demo import run_demo

        return run_demo()
    return sync_command(vars(args), os.environ, Path.cwd())


def _terminate(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise Terminated("stopped by SIGTERM")


def sync_command(flags: dict, environ, cwd: Path) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    actions = in_actions(environ)
    secrets = secret_values(flags, environ, cwd)
    if actions:
        add_masks(secrets)  # before anything else is printed
    log = ActionsLog(secrets=secrets) if actions else Log(secrets=secrets)
    try:
        config = load_config(flags, environ, cwd)
        from gps.report import log_summary, markdown, outputs
        from gps.sync import run_sync

        result = run_sync(config, log)
        log_summary(result, log)
        report = log.redact(markdown(result, log))
        if config.summary_file:
            Path(config.summary_file).write_text(report, encoding="utf-8")
        if actions and environ.get("GITHUB_STEP_SUMMARY"):
            append_summary(environ["GITHUB_STEP_SUMMARY"], report)
        if actions and environ.get("GITHUB_OUTPUT"):
            write_outputs(environ["GITHUB_OUTPUT"], outputs(result))
        return result.exit_code
    except GpsError as exc:
        message = f"gps: error: {exc}"
        if actions:
            log.error(message)
            if environ.get("GITHUB_STEP_SUMMARY"):
                append_summary(environ["GITHUB_STEP_SUMMARY"],
                               f"# GitHub traffic → PostHog\n\n**gps stopped:** {log.redact(str(exc))}\n")
        else:
            sys.stderr.write(log.redact(message) + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("gps: interrupted\n")
        return 130
    except Exception as exc:  # a bug: one line, the traceback only on request
        if environ.get("GPS_DEBUG"):
            raise
        sys.stderr.write(log.redact(f"gps: internal error: {type(exc).__name__}: {exc} "
                                    "(set GPS_DEBUG=1 for the traceback)") + "\n")
        return 1
    finally:
        log.close()
