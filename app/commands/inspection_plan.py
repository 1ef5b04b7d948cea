"""`phusong inspection-plan create|status`: the inspection committee's plan for a period (analysis/inspection_plans)."""

from __future__ import annotations

import argparse
import textwrap
from datetime import date
from typing import Any

from analysis.inspection_plans import (
    DEFAULT_EVERY_DAYS,
    REASON_TEXT,
    Progress,
    create_plan,
    parse_every,
    plan_progress,
    plans_in_scope,
)
from app.commands.db import ensure_database
from sql.engine import connect
from sql.errors import NotFound


def register(commands: Any) -> None:
    plan = commands.add_parser(
        "inspection-plan", help="inspection plans (Kế hoạch kiểm tra): propose assignments, follow progress",
        description="Which facility of a province is due in a period, which inspector checks it, by when, and "
                    "whether it was done. An inspection recorded in the period (app, offline page or upload) "
                    "completes its assignment.",
        epilog="Example:\n  phusong inspection-plan create --province 11 --period 2027-Q1 --every 90d\n"
               "  phusong inspection-plan status --province 11 --period 2027-Q1",
    )
    actions = plan.add_subparsers(dest="plan_command", metavar="ACTION")
    actions.required = True
    create = actions.add_parser(
        "create", help="propose the assignments of a province for a period",
        description="Each facility of the province not inspected within --every before the period's end (or "
                    "never) is assigned to an inspector whose scope holds its commune (one inspector a commune, "
                    "the load balanced among several); facilities with an open citizen report or reported broken "
                    "come first. A commune no inspector holds is listed as unassigned, with the reason.",
        epilog="Example:\n  phusong inspection-plan create --province 11 --period 2027-Q1 --every 90d "
               "--types loudspeaker_cluster commune_radio_station",
    )
    create.add_argument("--province", required=True, help="2025 province code")
    create.add_argument("--period", required=True, help="quarter 2027-Q1, month 2027-01 or year 2027")
    create.add_argument("--every", default=f"{DEFAULT_EVERY_DAYS}d",
                        help=f"inspect each facility at least this often (default {DEFAULT_EVERY_DAYS}d; 13w also)")
    create.add_argument("--types", nargs="+", help="facility type codes (default: all), e.g. loudspeaker_cluster")
    create.set_defaults(handler=_create)
    status = actions.add_parser(
        "status", help="progress per commune and per inspector: due, done, overdue",
        epilog="Example:\n  phusong inspection-plan status --province 11 --period 2027-Q1",
    )
    status.add_argument("--province", help="2025 province code (default: every plan)")
    status.add_argument("--period", help="2027-Q1, 2027-01 or 2027 (default: every period)")
    status.add_argument("--as-of", type=date.fromisoformat, help="the day overdue is judged on (default: today)")
    status.set_defaults(handler=_status)


def _create(args: argparse.Namespace) -> int:
    ensure_database()
    types = [t.strip() for part in args.types or () for t in part.split(",") if t.strip()] or None
    with connect() as conn:
        made = create_plan(conn, args.province, args.period, every_days=parse_every(args.every), types=types,
                           created_by="cli")
    print(f"inspection plan {made.plan_id}: province {made.province}, {made.period} "
          f"({made.period_start:%d/%m/%Y}–{made.period_end:%d/%m/%Y}), every {made.every_days} days: "
          f"{made.facilities} facilities due ({made.priority.get(0, 0)} with open citizen reports, "
          f"{made.priority.get(1, 0)} reported broken)")
    for name, n in sorted(made.assigned.items()):
        print(f"  {name}: {n}")
    if made.unassigned:
        communes = ", ".join(f"{code} ({n})" for code, n in sorted(made.unassigned.items()))
        print(f"  unassigned: {sum(made.unassigned.values())} facilities in {len(made.unassigned)} communes, "
              f"{REASON_TEXT['no_inspector_in_scope']}:")
        print(textwrap.fill(communes, width=116, initial_indent="    ", subsequent_indent="    "))
    return 0


def _status(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        plans = plans_in_scope(conn, whole_country=True, scope=[], province=args.province,
                               period=_period_key(args.period))
        if not plans:
            raise NotFound("no inspection plan matches (create one with `phusong inspection-plan create`)")
        for plan in plans:
            _print_progress(plan_progress(conn, plan, as_of=args.as_of))
    return 0


def _period_key(period: str | None) -> str | None:
    from analysis.reports import parse_period

    return parse_period(period).key if period else None


def _print_progress(progress: Any) -> None:
    plan = progress.plan
    print(f"plan {plan['id']}: province {plan['province_code']} {plan['province_name'] or ''}, {plan['period']} "
          f"({plan['period_start']:%d/%m/%Y}–{plan['period_end']:%d/%m/%Y}), as of {progress.as_of:%d/%m/%Y}")
    print(f"  {_line(progress.total, 'total')}")
    print("  per commune:")
    for line in progress.by_commune:
        print(f"    {_line(line, f'{line.key} {line.name}')}")
    print("  per inspector:")
    for line in progress.by_inspector:
        print(f"    {_line(line, line.key or '(unassigned)')}")


def _line(p: Progress, label: str) -> str:
    share = f" ({p.done_share:.0%})" if p.done_share is not None else ""
    extra = f", unassigned {p.unassigned}" if p.unassigned else ""
    return (f"{label[:40]:<40} due {p.due:>4}  done {p.done:>4}{share}  overdue {p.overdue:>4}  "
            f"open {p.open:>4}{extra}")
