"""`phusong rules check FILE | list | show NAME | add FILE`: the NTM rule sets (analysis/rules.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from analysis.rules import RuleSet, add_rule_set, find_rule_set, read_rule_set_file, rule_sets
from app.commands.db import ensure_database
from app.commands.load import _actor
from sql.engine import connect


def register(commands: Any) -> None:
    rules = commands.add_parser(
        "rules", help="NTM rule sets: check a file, list, show, add a province's set",
        description="The rule sets NTM verdicts are judged under: shipped with phusong (2021-2025, QĐ 318; "
                    "2026-2030, QĐ 51/2025, provisional) or added by a province. A set added with the name of "
                    "a shipped one replaces it.",
        epilog="Example:\n  phusong rules check ntm_2026_2030_tinh.yaml && phusong rules add ntm_2026_2030_tinh.yaml",
    )
    actions = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    actions.required = True
    check = actions.add_parser("check", help="check a rule set file; errors name the line",
                               epilog="Example:\n  phusong rules check ntm_2026_2030_tinh.yaml")
    check.add_argument("file", type=Path)
    check.set_defaults(handler=_check)
    listing = actions.add_parser("list", help="the rule sets known, with their dates and hashes",
                                 epilog="Example:\n  phusong rules list")
    listing.set_defaults(handler=_list)
    show = actions.add_parser("show", help="one set's indicators, sources and thresholds per group",
                              epilog="Example:\n  phusong rules show ntm_2026_2030")
    show.add_argument("name")
    show.set_defaults(handler=_show)
    add = actions.add_parser("add", help="check a file and store it (replaces a set of the same name)",
                             epilog="Example:\n  phusong rules add ntm_2026_2030_tinh.yaml")
    add.add_argument("file", type=Path)
    add.set_defaults(handler=_add)


def _check(args: argparse.Namespace) -> int:
    rule_set = read_rule_set_file(args.file)  # a RulesFileError is printed by app/cli.py, exit 1
    print(f"{args.file}: rule set {rule_set.name!r} is valid ({len(rule_set.model.indicators)} indicators"
          f"{', provisional' if rule_set.provisional else ''}; sha256 {rule_set.sha256[:12]})")
    return 0


def _list(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        sets = rule_sets(conn)
    for rule_set in sorted(sets.values(), key=lambda s: s.model.in_force_from):
        m = rule_set.model
        until = str(m.in_force_until or "…")
        print(f"{m.name:<18} {m.in_force_from} – {until:<10}  {m.short:<8} "
              f"{'tạm tính (provisional)' if rule_set.provisional else 'chính thức':<22} "
              f"sha256 {rule_set.sha256[:12]}  {rule_set.origin}")
    return 0


def _show(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        rule_set = find_rule_set(conn, args.name)
    print(_describe(rule_set))
    return 0


def _describe(rule_set: RuleSet) -> str:
    m = rule_set.model
    lines = [f"{m.name}: {m.title}", f"  căn cứ: {m.legal_basis}", f"  hiệu lực: {m.in_force_from} – "
             f"{m.in_force_until or '…'}; sha256 {rule_set.sha256}; {rule_set.origin}"]
    if m.note:
        lines.append(f"  ghi chú: {m.note}")
    for i in m.indicators:
        groups = ", ".join(f"nhóm {g}: {'không xét' if t is None else t}" for g, t in sorted(i.thresholds.items()))
        lines += [f"  - {i.id} ({i.number or 'số chỉ tiêu chưa xác định'})"
                  f"{' [TẠM TÍNH / provisional]' if i.provisional else ''}: {i.wording}",
                  f"      nguồn: {i.source}", f"      ngưỡng ({i.measure}): {groups}"]
        if i.note:
            lines.append(f"      ghi chú: {i.note}")
    return "\n".join(lines)


def _add(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        rule_set = add_rule_set(conn, args.file, actor=_actor())
    print(f"rules: stored {rule_set.name!r} (sha256 {rule_set.sha256[:12]}"
          f"{', provisional' if rule_set.provisional else ''}); run `phusong analyse` to judge under it")
    return 0
