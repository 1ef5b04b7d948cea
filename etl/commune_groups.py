"""Commune groups of QĐ 51/2025/QĐ-TTg (nhóm 1, 2, 3) from a CSV/XLSX: commune code, group, decision.

The Area II/III list of the ethnic-minority and mountain region (QĐ 60/QĐ-BDTTG) loads the same way with
``group=3`` when it has no group column. Bad rows are rejected with file, row, field and value; a commune whose
group changes is marked stale so its verdicts are judged again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Connection

from etl.errors import LoadRefusedError
from etl.lineage import LoadResult, batch_writes, begin_load, reading_options
from etl.names import fold_text
from etl.readers import RawTable, read_table
from etl.validate import RowIssue
from sql import queries

# Folded headers each field is recognised by (the file's own header is what messages name).
_HEADERS = {
    "code": ("ma xa", "ma don vi", "ma", "commune code", "commune_code", "code"),
    "group": ("nhom", "nhom xa", "group", "commune group", "commune_group"),
    "decision": ("quyet dinh", "can cu", "van ban", "decision", "source"),
}
_GROUP = re.compile(r"^(?:nhom\s*)?([123])(?:\.0+)?$")


def load_commune_groups(
    conn: Connection,
    path: Path,
    *,
    group: int | None = None,
    decision: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    loaded_by: str = "cli",
    report_dir: Path | None = None,
) -> LoadResult:
    """Load commune groups in this transaction; ``group``/``decision`` fill a file without those columns."""
    table = read_table(path, sheet=sheet, encoding=encoding)
    columns = _columns(table, need_group=group is None, need_decision=decision is None)
    reading = reading_options(sheet=table.sheet, encoding=encoding, mapping=None, group=group, decision=decision)
    result, sha256 = begin_load(conn, "commune_groups", path, table, reading, dry_run=dry_run)
    if result.already_loaded is not None:
        return result
    known = set(conn.execute(queries.load("commune_codes_2025")).scalars())
    if not known:
        raise LoadRefusedError(code="communes_not_loaded", version="2025",
                               cli_hint="run `phusong load boundaries FILE --version 2025` first")
    rows = _typed_rows(table, columns, known, group, decision, result)
    with batch_writes(conn, result, table="commune_group", sha256=sha256, params=reading, loaded_by=loaded_by,
                      strict=False,
                      dry_run=dry_run, report_dir=report_dir):
        _write(conn, rows, result)
    return result


def _columns(table: RawTable, *, need_group: bool, need_decision: bool) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for j, header in enumerate(table.headers):
        folded = fold_text(header)
        for name, words in _HEADERS.items():
            if name not in found and folded in words:
                found[name] = (j, header)
    needed = ["code", *(["group"] if need_group else []), *(["decision"] if need_decision else [])]
    missing = [n for n in needed if n not in found]
    if missing:
        shown = {"code": "Mã xã", "group": "Nhóm", "decision": "Quyết định"}
        raise LoadRefusedError(code="commune_group_columns_missing", path=table.file,
                               columns=[shown[n] for n in missing], headers=[h for h in table.headers if h],
                               cli_hint="or give --group / --decision")
    return found


def _typed_rows(table: RawTable, columns: dict[str, tuple[int, str]], known: set[str], group: int | None,
                decision: str | None, result: LoadResult) -> list[tuple[str, int, str]]:
    rows: dict[str, tuple[str, int, str]] = {}
    for line, cells in table.rows:
        def cell(name: str, cells: Sequence[str] = cells) -> str:
            return cells[columns[name][0]].strip() if name in columns else ""

        def reject(name: str, value: str, code: str, line: int = line) -> None:
            result.issues.append(RowIssue(line, columns[name][1] if name in columns else name, value, code))

        code, typed_group, typed_decision = cell("code"), cell("group"), cell("decision")
        if not any((code, typed_group, typed_decision)):
            continue
        if code.isdigit() and len(code) < 5:
            code = code.zfill(5)  # a spreadsheet drops the leading zeros of "03127"
        if code not in known:
            reject("code", cell("code"), "group_commune_unknown")
            continue
        matched = _GROUP.match(fold_text(typed_group)) if typed_group else None
        if typed_group and matched is None:
            reject("group", typed_group, "group_invalid")
            continue
        value = int(matched.group(1)) if matched else group
        said = typed_decision or decision
        if value is None or not said:
            reject("group" if value is None else "decision", "", "value_empty")
            continue
        if code in rows:
            result.issues.append(RowIssue(line, columns["code"][1], code, "group_commune_repeated",
                                          severity="warning"))
        rows[code] = (code, value, said)
    return list(rows.values())


def _write(conn: Connection, rows: list[tuple[str, int, str]], result: LoadResult) -> None:
    stored = {r.commune_code: (r.commune_group, r.decision) for r in conn.execute(
        queries.load("commune_groups_by_code"), {"codes": [r[0] for r in rows]})}
    changed = [r for r in rows if stored.get(r[0]) != (r[1], r[2])]
    result.loaded = sum(r[0] not in stored for r in changed)
    result.updated = len(changed) - result.loaded
    result.unchanged = len(rows) - len(changed)
    if changed:  # a few thousand rows at most: audited row by row
        conn.execute(queries.load("upserted_commune_groups"), {
            "codes": [r[0] for r in changed], "groups": [r[1] for r in changed],
            "decisions": [r[2] for r in changed], "batch_id": result.batch_id})
