"""`phusong feedback import|export|overdue`: the citizen feedback register from the command line (etl/feedback*)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.commands.db import ensure_database
from etl.feedback import OVERDUE_DAYS, VN_TZ, FeedbackError, FeedbackFilter, Viewer, list_feedback
from etl.feedback_export import export_feedback
from etl.feedback_import import import_feedback
from sql.engine import connect
from sql.settings import get_settings


def register(commands: Any) -> None:
    feedback = commands.add_parser(
        "feedback", help="citizen reports (Phản ánh của người dân): import, export, overdue list",
        description="The feedback register: received -> assigned -> answered -> closed. Reports come from the "
                    "app's form or from a hotline / form-tool export (CSV or XLSX with Vietnamese headers).",
        epilog="Example:\n  phusong feedback import tong_dai_1022_thang9.xlsx --channel hotline",
    )
    actions = feedback.add_subparsers(dest="feedback_command", metavar="ACTION")
    actions.required = True
    imp = actions.add_parser(
        "import", help="add the reports of a CSV/XLSX export; bad rows are rejected with their reasons",
        description="Read a hotline or form-tool export. Headers are recognised in Vietnamese or English "
                    "(Ngày tiếp nhận, Kênh tiếp nhận, Xã, Kinh độ/Vĩ độ, Mã thiết chế, Loại phản ánh, Nội dung, "
                    "Số điện thoại, Trạng thái, Trả lời, Ngày trả lời). A point decides the commune. The same "
                    "file twice adds nothing; rejected rows go to a CSV report in the output folder.",
        epilog="Example:\n  phusong feedback import phan_anh_zalo.csv --channel zalo",
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--channel", help="channel of every row when the file has no channel column "
                                       "(hotline, zalo, web_form, meeting, source_app or their Vietnamese names)")
    imp.add_argument("--sheet", help="XLSX sheet (default: the one that looks like the data)")
    imp.add_argument("--encoding", help="CSV encoding when not UTF-8 (e.g. cp1258)")
    imp.add_argument("--strict", action="store_true", help="load nothing when any row is rejected")
    imp.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    imp.set_defaults(handler=_import)
    exp = actions.add_parser(
        "export", help="write the register to CSV or XLSX (reporter contacts only with --with-contact)",
        epilog="Example:\n  phusong feedback export --out out/phan_anh.xlsx --province 11 --overdue",
    )
    exp.add_argument("--out", type=Path, required=True, help=".xlsx, else CSV (UTF-8 for Excel)")
    exp.add_argument("--province", help="province or commune codes, comma-separated (default: all)")
    exp.add_argument("--status", choices=("received", "assigned", "answered", "closed"))
    exp.add_argument("--overdue", action="store_true", help="only reports past the answer limit")
    exp.add_argument("--with-contact", action="store_true",
                     help="include the reporters' contacts (private: for the administrator only)")
    exp.add_argument("--csv-excel", action="store_true",
                     help="CSV for Excel set to Vietnamese: ';' between fields and a decimal comma")
    exp.add_argument("--lang", choices=("vi", "en"), default="vi", help="headers and labels (default vi)")
    exp.set_defaults(handler=_export)
    overdue = actions.add_parser(
        "overdue", help="list reports not answered within the limit (default 15 days)",
        epilog="Example:\n  phusong feedback overdue --province 11 --days 15",
    )
    overdue.add_argument("--province", help="province or commune codes, comma-separated (default: all)")
    overdue.add_argument("--days", type=int, default=OVERDUE_DAYS, help=f"answer limit (default {OVERDUE_DAYS})")
    overdue.set_defaults(handler=_overdue)


def _viewer(scope: str | None, *, with_contact: bool = False) -> Viewer:
    # The CLI is the operator's tool: whole country unless narrowed; contacts only when asked for explicitly.
    codes = tuple(c.strip() for c in (scope or "").split(",") if c.strip())
    return Viewer("cli", "admin" if with_contact else "planner", codes)


def _import(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        result = import_feedback(conn, args.file, channel=args.channel, sheet=args.sheet, encoding=args.encoding,
                                 strict=args.strict, dry_run=args.dry_run,
                                 report_dir=get_settings().out_dir / "rejects")
    print(result.summary())
    for message in result.messages()[:20]:
        print(f"  {message}")
    return 0


def _export(args: argparse.Namespace) -> int:
    ensure_database()
    filters = FeedbackFilter(status=args.status, overdue_only=args.overdue)
    with connect() as conn:
        count = export_feedback(conn, _viewer(args.province, with_contact=args.with_contact), args.out,
                                filters=filters, lang=args.lang,
                                csv_dialect="excel_vi" if args.csv_excel else "standard")
    print(f"{args.out}: {count} reports written" + ("" if args.with_contact else " (without reporter contacts)"))
    return 0


def _overdue(args: argparse.Namespace) -> int:
    ensure_database()
    try:
        with connect() as conn:
            rows = list_feedback(conn, _viewer(args.province), FeedbackFilter(overdue_only=True),
                                 overdue_days=args.days)
    except FeedbackError as exc:
        print(f"phusong: {exc}", file=sys.stderr)
        return 1
    print(f"{len(rows)} reports overdue (not answered within {args.days} days)")
    for r in rows[:50]:
        received = r["received_at"].astimezone(VN_TZ)
        print(f"  #{r['id']} {received:%d/%m/%Y} {r['commune_code']} {r['commune_name'] or ''}: "
              f"{r['days_open']} days, {r['status']}, {r['category']}: {r['text'][:60]}")
    return 0
