"""The `phusong` command: parses arguments, calls one library function, prints a short summary.

Errors from the library become one clean message and exit code 1; usage errors exit 2 (argparse); anything
unexpected is written to a log file and reported in one line, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import ModuleType

import app.commands
from sql.errors import PhusongError
from sql.settings import get_settings

# Sub-command groups are the modules of app/commands/, each with register(subparsers): adding a group means
# adding a module, never editing this file. `phusong --help` lists them in the order of the work.
COMMAND_ORDER = ("db", "load", "analyse", "export", "plan", "scenarios", "population", "users", "feedback",
                 "report", "serve")


def command_modules() -> list[ModuleType]:
    names = [m.name for m in pkgutil.iter_modules(app.commands.__path__) if not m.name.startswith("_")]
    names.sort(key=lambda n: (COMMAND_ORDER.index(n) if n in COMMAND_ORDER else len(COMMAND_ORDER), n))
    return [importlib.import_module(f"app.commands.{name}") for name in names]

# Every error phusong raises on purpose derives from PhusongError (sql/errors.py): one sentence, exit code 1.
EXPECTED_ERRORS = (PhusongError, FileNotFoundError, PermissionError)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help keeps the examples' line breaks."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="phusong",
        description="phusong (phủ sóng): grassroots information facilities, loudspeaker coverage and plans.",
        epilog="Example:\n  phusong db up && phusong db migrate && phusong serve",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    for module in command_modules():
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except EXPECTED_ERRORS as exc:
        print(f"phusong: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("phusong: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: no traceback on a user's screen
        log = _write_crash_log(exc)
        print(f"phusong: unexpected error ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
              f"details in {log}", file=sys.stderr)
        return 1


def _write_crash_log(exc: BaseException) -> Path:
    out_dir = get_settings().out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / "phusong-error.log"
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"--- {datetime.now().isoformat(timespec='seconds')}\n")
        handle.write("".join(traceback.format_exception(exc)))
    return log


if __name__ == "__main__":
    sys.exit(main())
