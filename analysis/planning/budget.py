"""Budgets over years and budget lines (issue 23): what each line may spend in each year and on what.

A province funds its grassroots-information investment through several lines ("nguồn vốn"): the national target
programme for new rural areas (Chương trình MTQG xây dựng nông thôn mới, QĐ 263/QĐ-TTg; DOMAIN.md §1.4), the
provincial budget, and other sources. Each line has an amount per year and may fund only some action types and,
optionally, only some communes or commune groups (QĐ 51/2025/QĐ-TTg groups 1-3).

``phusong plan --years 2027-2030 --budget-per-year 1.5e9`` makes one line (the provincial budget) funding every
action; ``--budget-file FILE`` (CSV or XLSX, :func:`read_budget_file`) gives the lines themselves. Every refusal is
a :class:`BudgetFileError` with a code (:data:`MESSAGES`, English and Vietnamese) naming file, row, field, value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.outputs.catalogue import BUDGET_LINE_LABELS
from analysis.planning.params import REASONS, PlanningInputError

#: The budget lines: code -> (Vietnamese, English), the exports' words.
BUDGET_LINES: dict[str, tuple[str, str]] = BUDGET_LINE_LABELS
#: Words a budget office writes for each line (folded: lower case, no diacritics, single spaces).
_LINE_WORDS = {
    "ntm": "ntm", "nong thon moi": "ntm", "mtqg ntm": "ntm", "chuong trinh mtqg nong thon moi": "ntm",
    "mtqg": "ntm", "ntm programme": "ntm", "ntm program": "ntm",
    "provincial": "provincial", "tinh": "provincial", "ngan sach tinh": "provincial", "nst": "provincial",
    "provincial budget": "provincial", "province": "provincial",
    "other": "other", "khac": "other", "nguon khac": "other", "other sources": "other",
}
#: Column names accepted in a budget file (folded) -> the field.
_COLUMNS = {
    "year": "year", "nam": "year",
    "line": "line", "budget_line": "line", "nguon von": "line", "nguon_von": "line", "nguon": "line",
    "budget_vnd": "budget_vnd", "budget": "budget_vnd", "ngan sach": "budget_vnd", "ngan_sach": "budget_vnd",
    "ngan sach (dong)": "budget_vnd", "so tien": "budget_vnd",
    "actions": "actions", "action": "actions", "hang muc": "actions", "hang_muc": "actions",
    "communes": "communes", "commune": "communes", "xa": "communes", "pham vi": "communes",
}
_REQUIRED = ("year", "line", "budget_vnd")
_ALL_WORDS = {"", "all", "*", "tat ca", "moi"}
_GROUP = re.compile(r"^(?:nhom|group)\s*([123])$")
#: Upload bound: a budget table is a few dozen rows.
MAX_BUDGET_FILE_BYTES = 1_000_000

#: code -> (English, Vietnamese) templates; values named in braces.
MESSAGES: dict[str, tuple[str, str]] = {
    "budget_file_format": ("{file}: a budget file is CSV or XLSX, not {value!r}",
                           "{file}: tệp ngân sách phải là CSV hoặc XLSX, không phải {value!r}"),
    "budget_file_unreadable": ("{file}: cannot be read as {value} ({detail})",
                               "{file}: không đọc được tệp {value} ({detail})"),
    "budget_file_too_large": ("{file}: {value:,} bytes is more than a budget table needs (at most {limit:,})",
                              "{file}: {value:,} byte, quá lớn cho một bảng ngân sách (tối đa {limit:,})"),
    "budget_file_empty": ("{file}: no budget rows", "{file}: không có dòng ngân sách nào"),
    "budget_column_missing": ("{file}: column {field!r} is missing (columns: year, line, budget_vnd, actions, "
                              "communes; found {value})",
                              "{file}: thiếu cột {field!r} (các cột: năm, nguồn vốn, ngân sách, hạng mục, xã; "
                              "đang có {value})"),
    "budget_year_invalid": ("{file}, row {row}, field {field!r}: {value!r} is not a year",
                            "{file}, dòng {row}, cột {field!r}: {value!r} không phải là một năm"),
    "budget_year_outside": ("{file}, row {row}, field {field!r}: {value!r} is outside the plan's years {years}",
                            "{file}, dòng {row}, cột {field!r}: năm {value!r} nằm ngoài kỳ kế hoạch {years}"),
    "budget_line_unknown": ("{file}, row {row}, field {field!r}: {value!r} is not a budget line (ntm, provincial, "
                            "other)",
                            "{file}, dòng {row}, cột {field!r}: {value!r} không phải nguồn vốn (NTM, ngân sách "
                            "tỉnh, nguồn khác)"),
    "budget_amount_invalid": ("{file}, row {row}, field {field!r}: {value!r} is not an amount in VND of 0 or more",
                              "{file}, dòng {row}, cột {field!r}: {value!r} không phải số tiền (đồng) từ 0 trở "
                              "lên"),
    "budget_action_unknown": ("{file}, row {row}, field {field!r}: {value!r} is not an action type ({known})",
                              "{file}, dòng {row}, cột {field!r}: {value!r} không phải loại hạng mục ({known})"),
    "budget_commune_invalid": ("{file}, row {row}, field {field!r}: {value!r} is neither a 5-digit commune code "
                               "nor a commune group (nhóm 1, 2 or 3)",
                               "{file}, dòng {row}, cột {field!r}: {value!r} không phải mã xã 5 chữ số hay nhóm "
                               "xã (nhóm 1, 2, 3)"),
    "budget_commune_unknown": ("{file}, row {row}, field {field!r}: commune {value!r} is not among the planned "
                               "communes",
                               "{file}, dòng {row}, cột {field!r}: xã {value!r} không thuộc địa bàn lập kế "
                               "hoạch"),
    "budget_line_repeated": ("{file}, row {row}: year {value} and line {field!r} already have a budget (row "
                             "{first})",
                             "{file}, dòng {row}: năm {value}, nguồn {field!r} đã có ngân sách ở dòng {first}"),
    "budget_year_missing": ("{file}: year {value} of the plan's years {years} has no budget line",
                            "{file}: năm {value} của kỳ kế hoạch {years} chưa có nguồn vốn nào"),
    "plan_years_invalid": ("years {value!r}: give the first and last year, e.g. 2027-2030 (at most 10 years)",
                           "kỳ kế hoạch {value!r}: ghi năm đầu và năm cuối, ví dụ 2027-2030 (tối đa 10 năm)"),
    "plan_budget_missing": ("a plan over years needs a budget per year or a budget file",
                            "kế hoạch nhiều năm cần ngân sách mỗi năm hoặc tệp ngân sách"),
    "plan_budget_invalid": ("budget per year {value!r}: must be a number above 0",
                            "ngân sách mỗi năm {value!r}: phải là số lớn hơn 0"),
}


class BudgetFileError(PlanningInputError):
    """A budget (file, years or amount) refused: ``code`` from :data:`MESSAGES`, ``values`` named in it;
    ``str()`` is English, ``vi`` Vietnamese (app/errors.py shows the user's language)."""

    def __init__(self, code: str, **values: Any) -> None:
        english, vietnamese = MESSAGES[code]
        self.code, self.values = code, values
        self.vi = vietnamese.format(**values)
        super().__init__(english.format(**values))


@dataclass(frozen=True)
class BudgetLine:
    """One line's amount in one year and what it may fund (empty sets: every action / every commune)."""

    year: int
    line: str
    budget_vnd: float
    actions: frozenset[str] = frozenset()
    communes: frozenset[str] = frozenset()
    groups: frozenset[int] = frozenset()
    row: int = 0   # the row of the budget file (0: from --budget-per-year)

    def funds(self, action: str, commune: str, group: int | None) -> bool:
        """May this line pay for ``action`` in ``commune`` (of QĐ 51 group ``group``, None: not known)?"""
        if self.actions and action not in self.actions:
            return False
        if not self.communes and not self.groups:
            return True
        return commune in self.communes or (group is not None and group in self.groups)


@dataclass(frozen=True)
class Budget:
    """The plan's years and the budget lines of each year; ``source`` names where they came from."""

    first_year: int
    last_year: int
    lines: tuple[BudgetLine, ...]
    source: str = ""
    cap_per_year_vnd: float | None = None   # the province's total each year over all lines (None: their sum)

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    def table(self) -> pd.DataFrame:
        """One row per (year, line): budget_vnd and what the line may fund (as text, for people)."""
        return pd.DataFrame([{"year": b.year, "budget_line": b.line, "budget_vnd": b.budget_vnd,
                              "actions": ", ".join(sorted(b.actions)),
                              "communes": ", ".join([*sorted(b.communes), *(f"nhóm {g}" for g in sorted(b.groups))])}
                             for b in self.lines],
                            columns=["year", "budget_line", "budget_vnd", "actions", "communes"])


def parse_years(text: str) -> tuple[int, int]:
    """``"2027-2030"`` -> (2027, 2030); one year alone is a one-year plan. At most 10 years, 2000-2100."""
    found = re.fullmatch(r"\s*(\d{4})\s*(?:[-–:]\s*(\d{4}))?\s*", str(text or ""))
    if not found:
        raise BudgetFileError("plan_years_invalid", value=text)
    first, last = int(found.group(1)), int(found.group(2) or found.group(1))
    if not (2000 <= first <= last <= 2100) or last - first >= 10:
        raise BudgetFileError("plan_years_invalid", value=text)
    return first, last


def budget_per_year(years: tuple[int, int], amount_vnd: Any) -> Budget:
    """One line (the provincial budget) of ``amount_vnd`` each year, funding every action in every commune."""
    try:
        amount = float(amount_vnd)
    except (TypeError, ValueError) as exc:
        raise BudgetFileError("plan_budget_invalid", value=amount_vnd) from exc
    if not amount > 0 or amount != amount or amount == float("inf"):
        raise BudgetFileError("plan_budget_invalid", value=amount_vnd)
    lines = tuple(BudgetLine(year, "provincial", amount) for year in range(years[0], years[1] + 1))
    return Budget(years[0], years[1], lines, "budget_per_year")


def read_budget_file(path: Path, years: tuple[int, int], *, name: str | None = None) -> Budget:
    """Read a budget file (CSV or XLSX): one row per year and line; every problem refused with its code.

    Columns (English or Vietnamese names): ``year`` (năm), ``line`` (nguồn vốn: ntm / provincial / other or
    their Vietnamese names), ``budget_vnd`` (ngân sách), and optionally ``actions`` (hạng mục: action types the
    line may fund, separated by ``;`` or ``,``; empty: all) and ``communes`` (xã: 5-digit commune codes or
    "nhóm 1".."nhóm 3"; empty: all). Rows are numbered as a spreadsheet shows them (the header is row 1).
    ``name`` is the file name shown in refusals (an upload's own name; default the path's file name).
    """
    shown = name or path.name
    frame = _read_frame(path, shown)
    fields = {c: _COLUMNS.get(_fold(str(c))) for c in frame.columns}
    for required in _REQUIRED:
        if required not in fields.values():
            raise BudgetFileError("budget_column_missing", file=shown, field=required,
                                  value=", ".join(map(str, frame.columns)) or "-")
    frame = frame.rename(columns={c: f for c, f in fields.items() if f})
    rows = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records") if any(_text(v) for v in r.values())]
    if not rows:
        raise BudgetFileError("budget_file_empty", file=shown)
    lines: list[BudgetLine] = []
    first_row: dict[tuple[int, str], int] = {}
    for n, record in enumerate(rows, start=2):
        line = _line_of(shown, n, record, years)
        key = (line.year, line.line)
        if key in first_row:
            raise BudgetFileError("budget_line_repeated", file=shown, row=n, value=line.year, field=line.line,
                                  first=first_row[key])
        first_row[key] = n
        lines.append(line)
    years_text = f"{years[0]}-{years[1]}"
    for year in range(years[0], years[1] + 1):
        if not any(b.year == year for b in lines):
            raise BudgetFileError("budget_year_missing", file=shown, value=year, years=years_text)
    return Budget(years[0], years[1], tuple(sorted(lines, key=lambda b: (b.year, b.line))), shown)


def with_cap_per_year(budget: Budget, amount_vnd: Any) -> Budget:
    """``budget`` with a total per year over all its lines (``--budget-per-year`` next to ``--budget-file``)."""
    cap = budget_per_year((budget.first_year, budget.first_year), amount_vnd).lines[0].budget_vnd
    return replace(budget, cap_per_year_vnd=cap)


def check_budget_communes(budget: Budget, known: Iterable[str]) -> None:
    """Refuse a budget line naming a commune the plan does not cover (its file row named)."""
    codes = set(known)
    for b in budget.lines:
        for code in sorted(b.communes - codes):
            raise BudgetFileError("budget_commune_unknown", file=budget.source, row=b.row, field="communes",
                                  value=code)


def _read_frame(path: Path, shown: str) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise BudgetFileError("budget_file_format", file=shown, value=suffix or path.name)
    size = path.stat().st_size
    if size > MAX_BUDGET_FILE_BYTES:
        raise BudgetFileError("budget_file_too_large", file=shown, value=size, limit=MAX_BUDGET_FILE_BYTES)
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, encoding="utf-8-sig", sep=None, engine="python",
                               keep_default_na=False)
        return pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise BudgetFileError("budget_file_unreadable", file=shown, value=suffix.lstrip(".").upper(),
                              detail=type(exc).__name__) from exc


def _line_of(shown: str, n: int, record: Mapping[str, Any], years: tuple[int, int]) -> BudgetLine:
    year_text = _text(record.get("year"))
    try:
        year = int(float(year_text))
    except ValueError as exc:
        raise BudgetFileError("budget_year_invalid", file=shown, row=n, field="year", value=year_text) from exc
    if float(year_text) != year:
        raise BudgetFileError("budget_year_invalid", file=shown, row=n, field="year", value=year_text)
    if not years[0] <= year <= years[1]:
        raise BudgetFileError("budget_year_outside", file=shown, row=n, field="year", value=year_text,
                              years=f"{years[0]}-{years[1]}")
    line_text = _text(record.get("line"))
    line = _LINE_WORDS.get(_fold(line_text))
    if line is None:
        raise BudgetFileError("budget_line_unknown", file=shown, row=n, field="line", value=line_text)
    amount_text = _text(record.get("budget_vnd"))
    try:
        amount = float(amount_text.replace(" ", ""))
    except ValueError as exc:
        raise BudgetFileError("budget_amount_invalid", file=shown, row=n, field="budget_vnd",
                              value=amount_text) from exc
    if not amount >= 0 or amount == float("inf"):
        raise BudgetFileError("budget_amount_invalid", file=shown, row=n, field="budget_vnd", value=amount_text)
    actions = _actions_of(shown, n, _text(record.get("actions")))
    communes, groups = _communes_of(shown, n, _text(record.get("communes")))
    return BudgetLine(year, line, amount, actions, communes, groups, n)


def _actions_of(shown: str, n: int, text: str) -> frozenset[str]:
    if _fold(text) in _ALL_WORDS:
        return frozenset()
    known = [a for a in REASONS]
    found = set()
    for item in _items(text):
        if item not in known:
            raise BudgetFileError("budget_action_unknown", file=shown, row=n, field="actions", value=item,
                                  known=", ".join(known))
        found.add(item)
    return frozenset(found)


def _communes_of(shown: str, n: int, text: str) -> tuple[frozenset[str], frozenset[int]]:
    if _fold(text) in _ALL_WORDS:
        return frozenset(), frozenset()
    communes, groups = set(), set()
    for item in _items(text):
        group = _GROUP.match(_fold(item))
        if group:
            groups.add(int(group.group(1)))
        elif re.fullmatch(r"\d{1,5}(\.0)?", item):   # a spreadsheet drops a code's leading zeros
            communes.add(item.removesuffix(".0").zfill(5))
        else:
            raise BudgetFileError("budget_commune_invalid", file=shown, row=n, field="communes", value=item)
    return frozenset(communes), frozenset(groups)


def _items(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,]", text) if part.strip()]


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()


def _fold(text: str) -> str:
    """Lower case without diacritics (đ -> d) and with single spaces: how budget offices' headers are matched."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(plain.lower().split())
