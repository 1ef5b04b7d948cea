"""Lineage of every loaded file: its load_batch, its rejected and warned rows, and the CSV reject report."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from etl.errors import SurveyValidationError
from etl.messages import format_int, user_lang
from etl.readers import RawTable
from etl.validate import RowIssue
from sql import queries
from sql.bulk import analyze_after_load, copy_rows, set_actor
from sql.safe_cells import csv_row


@dataclass
class LoadResult:
    """What a load did (or, in a dry run, would do). Counts are rows of the file."""

    file: str
    kind: str
    format: str = ""
    rows: int = 0
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    skip_reason: str = "seen before"
    issues: list[RowIssue] = field(default_factory=list)
    batch_id: int | None = None
    already_loaded: int | None = None  # batch id of an earlier load of the very same file
    report: Path | None = None
    dry_run: bool = False
    updated_refs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    accepted: Sequence[Any] = field(default_factory=list)  # typed rows that passed (the upload page's preview)

    @property
    def rejected(self) -> int:
        return len({i.row for i in self.issues if i.severity == "reject"})

    @property
    def warned(self) -> int:
        rejected = {i.row for i in self.issues if i.severity == "reject"}
        return len({i.row for i in self.issues if i.severity == "warning" and i.row not in rejected})

    def messages(self, severity: str | None = None, lang: str | None = None) -> list[str]:
        """Every issue (or those of ``severity``) as a whole sentence in ``lang`` (default: the user's)."""
        lang = lang or user_lang()
        return [i.message(self.file, lang) for i in self.issues if severity is None or i.severity == severity]

    def summary(self, lang: str | None = None) -> str:
        """One line: rows read, loaded, updated, unchanged, warned, rejected, where the report is."""
        if (lang or user_lang()) == "vi":
            return _summary_vi(self)
        if self.already_loaded is not None:
            return (
                f"{self.file}: already loaded as batch {self.already_loaded}: the same file again changes "
                f"nothing ({self.rows} rows read, 0 loaded, 0 updated, {self.rows} unchanged)"
            )
        verb = "dry run, nothing written: would load" if self.dry_run else "loaded"
        skipped = f", {self.skipped} skipped ({self.skip_reason})" if self.skipped else ""
        report = f"; reject report: {self.report}" if self.report else ""
        return (
            f"{self.file}: {self.rows} rows read, {verb} {self.loaded}, updated {self.updated}, "
            f"unchanged {self.unchanged}{skipped}, warned {self.warned}, rejected {self.rejected}{report}"
        )


# LoadResult.skip_reason, as the loaders set it, in Vietnamese.
_SKIP_REASONS_VI = {"seen before": "đã có từ trước", "not facility rows": "không phải dòng thiết chế",
                    "totals": "dòng tổng cộng"}


def _summary_vi(result: LoadResult) -> str:
    """LoadResult.summary in Vietnamese, made from the same counts (not from the English line)."""
    rows = format_int(result.rows, "vi")
    if result.already_loaded is not None:
        return (f"{result.file}: tệp này đã được nạp (lô {result.already_loaded}), nạp lại không thay đổi gì "
                f"(đọc {rows} dòng, nạp mới 0, cập nhật 0, không đổi {rows})")
    verb = "xem trước, chưa ghi gì: sẽ nạp mới" if result.dry_run else "đã nạp mới"
    skip_reason = _SKIP_REASONS_VI.get(result.skip_reason, result.skip_reason)
    skipped = f", bỏ qua {format_int(result.skipped, 'vi')} ({skip_reason})" if result.skipped else ""
    report = f"; báo cáo dòng bị loại: {result.report}" if result.report else ""
    return (f"{result.file}: đọc {rows} dòng; {verb} {format_int(result.loaded, 'vi')}, "
            f"cập nhật {format_int(result.updated, 'vi')}, không đổi {format_int(result.unchanged, 'vi')}"
            f"{skipped}, cảnh báo {format_int(result.warned, 'vi')}, bị loại {format_int(result.rejected, 'vi')}"
            f"{report}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256_soon(path: Path) -> Callable[[], str]:
    """:func:`file_sha256` of ``path`` made in a thread while the caller reads the file (hashlib lets go of the
    GIL while it hashes): call the result for the digest (or the error reading the file gave). A 200,000-row
    survey's sha256 took ~0.03 s on the load's wall path (bench/etl.py)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="phusong-sha256")
    digest = pool.submit(file_sha256, path)
    pool.shutdown(wait=False)  # the thread ends with its one task
    return digest.result


def reading_options(
    *, sheet: str | None, encoding: str | None, mapping: Path | Mapping[str, Any] | None, **more: Any
) -> dict[str, Any]:
    """The options that change what a file means (sheet, encoding, --mapping content, CRS...): the same file
    read with other options is another load, never "already loaded"."""
    digest = (file_sha256(mapping) if isinstance(mapping, Path) else
              hashlib.sha256(json.dumps(mapping, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
              if mapping else None)
    return {"sheet": sheet, "encoding": encoding, "mapping_sha256": digest, **more}


def find_earlier_batch(
    conn: Connection, kind: str, sha256: str, reading: dict[str, Any] | None = None
) -> int | None:
    """The batch that loaded a file with this content, read with these options (:func:`reading_options`), if any.

    Takes a transaction-level advisory lock per kind first, so two loads of the same kind (two people
    uploading the same file) run one after the other and the second sees the first's batch.
    """
    conn.execute(queries.load("load_kind_locked"), {"kind": kind})
    found = conn.execute(
        queries.load("load_batch_by_sha256"),
        {"kind": kind, "sha256": sha256, "reading": json.dumps(reading or {}, ensure_ascii=False)},
    ).first()
    return int(found[0]) if found else None


def begin_load(
    conn: Connection, kind: str, path: Path, table: RawTable, reading: dict[str, Any], *, dry_run: bool,
    digest: Callable[[], str] | None = None, **fields: Any,
) -> tuple[LoadResult, str]:
    """The result of loading ``table`` (read from ``path`` with the options ``reading``) and the file's sha256
    (``digest()`` when given, e.g. :func:`file_sha256_soon`'s).

    ``result.already_loaded`` is set, and every row counted unchanged, when the same file read the same way was
    loaded before: the caller then returns the result as it is. ``fields`` override LoadResult's (format ...).
    """
    defaults: dict[str, Any] = {"file": str(path), "kind": kind, "format": table.format, "rows": len(table),
                                "dry_run": dry_run, "notes": list(table.notes)}
    result = LoadResult(**(defaults | fields))
    sha256 = digest() if digest is not None else file_sha256(path)
    earlier = find_earlier_batch(conn, kind, sha256, reading)
    if earlier is not None:
        result.already_loaded, result.unchanged = earlier, result.rows
    return result, sha256


def open_batch(conn: Connection, result: LoadResult, sha256: str, params: dict[str, Any]) -> int:
    """Record the batch (counts come later with :func:`close_batch`); return its id."""
    return int(
        conn.execute(
            queries.load("insert_load_batch"),
            {
                "kind": result.kind,
                "file": result.file,
                "sha256": sha256,
                "format": result.format,
                "rows": result.rows,
                "params": json.dumps(params, ensure_ascii=False, default=str),
            },
        ).scalar_one()
    )


def close_batch(conn: Connection, result: LoadResult) -> None:
    """Store the counts and every rejected or warned row of the batch."""
    assert result.batch_id is not None
    conn.execute(
        queries.load("update_load_batch_counts"),
        {
            "id": result.batch_id,
            "loaded": result.loaded,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "warned": result.warned,
            "rejected": result.rejected,
        },
    )
    copy_rows(
        conn,
        "load_reject",
        ("batch_id", "row", "field", "value", "reason", "severity", "code", "reason_values"),
        (
            (result.batch_id, i.row, i.field or None, i.value[:2000], i.reason, i.severity, i.code,
             json.dumps(i.values, ensure_ascii=False, default=str))
            for i in result.issues
        ),
    )


def write_report(result: LoadResult, report_dir: Path | None, lang: str | None = None) -> Path | None:
    """Write the rejected and warned rows to a CSV (UTF-8 with BOM, for Excel); None when there are none.

    ``reason`` is the English reason, ``code`` its reason code (etl/messages.py), ``message`` the whole sentence
    in ``lang`` (default: the user's, :func:`etl.messages.user_lang`).
    """
    lang = lang or user_lang()
    if report_dir is None or not result.issues:
        return None
    report_dir.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", Path(result.file).stem)[:80]
    tag = "dry-run" if result.dry_run or result.batch_id is None else f"batch{result.batch_id}"
    path = report_dir / f"{stem}.{result.kind}.{tag}.rejects.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "field", "value", "reason", "severity", "message", "code"])
        for issue in sorted(result.issues, key=lambda i: (i.row, i.severity != "reject")):
            writer.writerow(
                csv_row([
                    issue.row,
                    issue.field,
                    issue.value,
                    issue.reason,
                    issue.severity,
                    issue.message(result.file, lang),
                    issue.code,
                ])
            )
    result.report = path
    return path


@contextmanager
def batch_writes(
    conn: Connection,
    result: LoadResult,
    *,
    table: str,
    sha256: str,
    params: dict[str, Any],
    loaded_by: str,
    strict: bool,
    dry_run: bool,
    report_dir: Path | None,
) -> Iterator[None]:
    """Run one file's writes as one load_batch inside a savepoint, the same way for every loader.

    Opens the batch (as ``loaded_by``, for the audit log), lets the caller write, closes the batch. Any error,
    ``strict`` with rejected rows, or ``dry_run`` rolls the savepoint back so nothing is written; the reject
    report is written in every case. A batch that wrote much of ``table`` (the table the loader fills) leaves
    its planner statistics refreshed, so the queries after the load (a recompute) plan with its rows.
    """
    savepoint = conn.begin_nested()
    try:
        set_actor(conn, loaded_by)
        result.batch_id = open_batch(conn, result, sha256, params)
        yield
        close_batch(conn, result)
        if strict and result.rejected:
            raise SurveyValidationError(result.file, result.messages("reject"))
    except BaseException:
        savepoint.rollback()
        result.batch_id = None
        write_report(result, report_dir)
        raise
    if dry_run:
        savepoint.rollback()
        result.batch_id = None
    else:
        savepoint.commit()
        analyze_after_load(conn, table, result.loaded + result.updated)
    write_report(result, report_dir)
