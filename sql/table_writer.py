"""The one way phusong writes a table a person opens (issues 16 and 17): XLSX and the two CSVs.

A table is a list of :class:`Column` (an ASCII snake_case key, a Vietnamese and an English header, and a *kind*
that says how its cells are typed, rounded and formatted) and a DataFrame keyed by those keys. Every workbook:
typed cells (numbers as numbers with ``#,##0`` / ``0.0%``, dates as dates ``dd/mm/yyyy`` in Viet Nam time,
codes as text keeping their leading zeros), a bold frozen header row with an autofilter, fitted widths, and a
"Tham số" (parameters) sheet saying what made the file; no cell is ever a formula (sql/safe_cells.py) and no
server path is ever written. CSV comes in two dialects: ``standard`` (comma, decimal point, machine headers, for
tools) and ``excel_vi`` ("CSV cho Excel": ``;``, decimal comma and Vietnamese headers, for a PC set to the
Vietnamese number format). Both are UTF-8 with BOM and CRLF rows.

This module sits in sql/ because etl (the feedback register) and analysis (gaps, plans, reports) both write
tables, and sql/ is the one layer both may import. The geographic writers are in analysis/outputs/geo.py.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from sql.safe_cells import csv_cell, text_only_workbook

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NUMBER_FORMATS = {"int": "#,##0", "people": "#,##0", "money": "#,##0", "share": "0.0%", "number": "#,##0.00",
                  "date": "dd/mm/yyyy", "datetime": "dd/mm/yyyy hh:mm", "code": "@", "year": "0"}
CSV_DIALECTS = ("standard", "excel_vi")
PARAMETERS_SHEET = {"vi": "Tham số", "en": "Parameters"}
_SERVER_PATH = re.compile(r"(?<![\w:])(/[\w.\-]+){2,}/?")


@dataclass(frozen=True)
class Column:
    """One column: machine ``key`` (ASCII snake_case), headers in Vietnamese and English, and its kind.

    Kinds: text, code (identifiers kept as text: "00004"), int, year (a whole number without a thousands
    separator: 2027), people (rounded to 1), share (a fraction 0-1
    rounded to 0.1 %, shown as a percent), money (VND rounded to 1 000), number (``digits`` decimals), date,
    datetime (Viet Nam time), bool (Có/Không). ``labels`` maps a stored code to (Vietnamese, English) words.
    """

    key: str
    vi: str
    en: str
    kind: str = "text"
    digits: int = 2
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def header(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


@dataclass
class Table:
    """A sheet: its name (per language), columns and rows (a DataFrame with the column keys)."""

    name_vi: str
    name_en: str
    columns: Sequence[Column]
    rows: pd.DataFrame
    bold_rows: frozenset[int] = frozenset()   # 0-based row numbers (subtotals, totals) shown in bold

    def name(self, lang: str) -> str:
        return (self.name_en if lang == "en" else self.name_vi)[:31]


def columns_for(frame: pd.DataFrame, catalogue: Mapping[str, Column]) -> list[Column]:
    """A Column per column of ``frame``, from ``catalogue`` (an unknown key is text, its key as header)."""
    return [catalogue.get(str(c), Column(str(c), str(c), str(c))) for c in frame.columns]


# --------------------------------------------------------------------------------------------- values

def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def vietnam_time(value: Any) -> datetime | None:
    """A naive datetime in Viet Nam time from a datetime/Timestamp/ISO text (a naive value is taken as UTC)."""
    if _missing(value) or value == "":
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert(VIETNAM_TZ).tz_localize(None).to_pydatetime()


def typed_value(value: Any, column: Column, lang: str = "vi") -> Any:
    """The cell value for ``column``: a number rounded by its kind, a date, or text (codes, labels)."""
    if _missing(value):
        return None
    kind = column.kind
    if kind == "raw":
        return value
    if column.labels and str(value) in column.labels:
        return column.labels[str(value)][1 if lang == "en" else 0]
    if kind == "code":
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if kind in ("int", "people", "year"):
        return int(round(float(value)))
    if kind == "money":
        return int(round(float(value) / 1000.0) * 1000)
    if kind == "share":
        return round(float(value), 3)
    if kind == "number":
        return round(float(value), column.digits)
    if kind == "date":
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        moment = vietnam_time(value)
        return None if moment is None else moment.date()
    if kind == "datetime":
        return vietnam_time(value)
    if kind == "bool":
        return ("Yes" if value else "No") if lang == "en" else ("Có" if value else "Không")
    return no_server_path(value if isinstance(value, str) else str(value))


def iso_vietnam(moment: datetime) -> str:
    """A naive Viet Nam time as ISO 8601 with its offset (2026-12-04T09:01+07:00): never mistaken for UTC."""
    return moment.replace(tzinfo=VIETNAM_TZ).isoformat(timespec="minutes")


def no_server_path(text: str) -> str:
    """``text`` with any absolute file path replaced by its last part (a file name says enough)."""
    return _SERVER_PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], text)


def typed_rows(table: Table, lang: str) -> list[list[Any]]:
    keys = [c.key for c in table.columns]
    frame = table.rows.reindex(columns=keys)
    return [[typed_value(v, c, lang) for v, c in zip(row, table.columns, strict=True)]
            for row in frame.itertuples(index=False, name=None)]


# --------------------------------------------------------------------------------------------- XLSX

def write_workbook(target: Path | io.BytesIO, tables: Iterable[Table], parameters: Sequence[tuple[str, Any]], *,
                   lang: str = "vi") -> Path | io.BytesIO:
    """Write ``tables`` (one sheet each) and a parameters sheet to ``target`` (a path or a buffer)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.worksheets[0])
    for table in tables:
        add_sheet(book, table, lang)
    add_parameters_sheet(book, parameters, lang)
    book.properties.creator = "phusong"
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
    text_only_workbook(book).save(target)
    return target


def add_sheet(book: Any, table: Table, lang: str) -> Any:
    """One table as a sheet: bold frozen header, autofilter, typed and formatted cells, fitted widths."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(table.name(lang))
    sheet.append([c.header(lang) for c in table.columns])
    rows = typed_rows(table, lang)
    for row in rows:
        sheet.append(row)
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for n in table.bold_rows:
        for cell in sheet[n + 2]:
            cell.font = bold
    for index, column in enumerate(table.columns, start=1):
        fmt = NUMBER_FORMATS.get(column.kind)
        if fmt and not column.labels:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = fmt
        sample = [column.header(lang), *(_shown(r[index - 1], column) for r in rows[:200])]
        sheet.column_dimensions[get_column_letter(index)].width = min(max(8, max(map(len, sample)) + 2), 60)
    sheet.freeze_panes = "A2"
    if table.columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{max(1, len(rows) + 1)}"
    return sheet


def _shown(value: Any, column: Column) -> str:
    if value is None:
        return ""
    if column.kind == "share":
        return "100,0%"
    if column.kind in ("int", "people", "money") and isinstance(value, int):
        return f"{value:,}"
    if column.kind == "date":
        return "31/12/2026"
    if column.kind == "datetime":
        return "31/12/2026 23:59"
    return str(value)


def add_parameters_sheet(book: Any, parameters: Sequence[tuple[str, Any]], lang: str) -> Any:
    """The "Tham số" sheet: what made the file, as (name, value) rows; dates as date cells."""
    rows = pd.DataFrame([(k, _parameter_value(v)) for k, v in standard_parameters(parameters, lang)],
                        columns=["name", "value"])
    table = Table(PARAMETERS_SHEET["vi"], PARAMETERS_SHEET["en"],
                  [Column("name", "Tham số", "Parameter"), Column("value", "Giá trị", "Value", kind="raw")], rows)
    sheet = add_sheet(book, table, lang)
    for (cell,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        if isinstance(cell.value, datetime):
            cell.number_format = "dd/mm/yyyy hh:mm"
        elif isinstance(cell.value, date):
            cell.number_format = "dd/mm/yyyy"
        elif isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
            cell.number_format = "#,##0.######"
    return sheet


def _parameter_value(value: Any) -> Any:
    if _missing(value):
        return ""
    if isinstance(value, datetime) or isinstance(value, pd.Timestamp):
        return vietnam_time(value)
    if isinstance(value, (date, int, float)) and not isinstance(value, bool):
        return value
    return no_server_path(str(value))


def standard_parameters(parameters: Sequence[tuple[str, Any]], lang: str = "vi") -> list[tuple[str, Any]]:
    """``parameters`` followed by the rows every file carries: phusong version and when it was made (VN time)."""
    made = ("Made at (Viet Nam time)", "Lập lúc (giờ Việt Nam)")[lang != "en"]
    version = ("phusong version", "Phiên bản phusong")[lang != "en"]
    names = {k for k, _ in parameters}
    extra = [(version, phusong_version()), (made, datetime.now(VIETNAM_TZ).replace(tzinfo=None, microsecond=0))]
    return [*parameters, *((k, v) for k, v in extra if k not in names)]


def phusong_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("phusong")
    except PackageNotFoundError:   # pragma: no cover - run from a source tree that was never installed
        return "dev"


# --------------------------------------------------------------------------------------------- CSV

def write_table_csv(target: Path | io.StringIO, table: Table, *, dialect: str = "standard",
                    lang: str = "vi", human: bool | None = None) -> Path | io.StringIO:
    """Write ``table`` as CSV: ``standard`` (comma, decimal point, machine keys as headers, codes as stored) or
    ``excel_vi`` (``;``, decimal comma, headers and labels in ``lang``). ``human=True`` gives the standard CSV
    the headers and labels in ``lang`` too. UTF-8 with BOM, CRLF; formula-safe."""
    if dialect not in CSV_DIALECTS:
        raise ValueError(f"CSV dialect must be one of {', '.join(CSV_DIALECTS)}, not {dialect!r}")
    excel = dialect == "excel_vi"
    words = excel if human is None else human
    header = [c.header(lang) if words else c.key for c in table.columns]
    body = [[_csv_value(v, c, excel) for v, c in zip(row, table.columns, strict=True)]
            for row in (typed_rows(table, lang) if words else _raw_rows(table))]
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8-sig", newline="") as handle:
            _write_rows(handle, header, body, excel)
    else:
        _write_rows(target, header, body, excel)
    return target


def _write_rows(handle: Any, header: list[str], body: list[list[Any]], excel: bool) -> None:
    writer = csv.writer(handle, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(body)


def _raw_rows(table: Table) -> list[list[Any]]:
    """Rows for the standard CSV: stored codes (not labels), shares as fractions, dates ISO in Viet Nam time."""
    plain = [Column(c.key, c.vi, c.en, c.kind, c.digits) for c in table.columns]
    return typed_rows(Table(table.name_vi, table.name_en, plain, table.rows), "en")


def _csv_value(value: Any, column: Column, excel: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M") if excel else iso_vietnam(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y") if excel else value.isoformat()
    if isinstance(value, (int, float)) and column.kind != "code":
        if column.kind == "share" and excel:
            return f"{value * 100:.1f}".replace(".", ",") + " %"
        text = repr(value) if isinstance(value, float) else str(value)
        return text.replace(".", ",") if excel else text
    if column.kind == "bool" and not excel and value in ("Yes", "No"):
        return "true" if value == "Yes" else "false"
    return csv_cell(str(value))
