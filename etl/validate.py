"""Column mapping and cell checks shared by the survey loaders; every problem becomes a RowIssue."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from etl.coords import CoordinateError, parse_coordinate, parse_number
from etl.errors import CellRefused
from etl.messages import field_text, render
from etl.readers import RawTable
from etl.vocabulary import Vocabulary, fold_key

EARLIEST_YEAR = 1945  # issue 3: an installation year before 1945 is rejected
VN_TZ = timezone(timedelta(hours=7))
# Kobo's own columns start with "_"; only these mean something to phusong (`_id` is Kobo's row number).
_KOBO_META_FIELDS = {"submission_id", "inspector", "inspected_at", "lat", "lon", "geopoint"}
# A total under a form's table, as typed in its first cells: "Tổng cộng", "Tổng số: 12", "Cộng", "Total" (Python's
# re and arrow's RE2 read it alike).
TOTAL_LABEL = r"(?i)^(tổng|tong)( (cộng|cong|số|so))?([ :].*)?$|^(cộng|cong)(:.*)?$|^total([ :].*)?$"


@dataclass(frozen=True)
class RowIssue:
    """One problem on one row: a rejection or a warning, as a reason code of etl/messages.py and its values.

    The sentence is made when it is shown (:meth:`text`, :meth:`message`), in the reader's language.
    """

    row: int
    field: str
    value: str
    code: str
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    severity: str = "reject"

    @classmethod
    def of(cls, row: int, field: str, value: str, error: Exception, severity: str = "reject") -> RowIssue:
        """The issue of a cell parser's error (:class:`CellRefused`, or a plain ValueError kept as its text)."""
        if isinstance(error, CellRefused):
            return cls(row, field, value, error.code, dict(error.values), severity)
        return cls(row, field, value, "invalid_value", {"kind": type(error).__name__}, severity)

    @property
    def reason(self) -> str:
        """The reason in English (the load_reject table and the reject report's reason column keep it)."""
        return render(self.code, self.values, "en")

    def text(self, lang: str = "en") -> str:
        """The reason in ``lang``, starting with a capital in Vietnamese (it stands alone in the app's table)."""
        said = render(self.code, self.values, lang)
        return said[:1].upper() + said[1:] if lang == "vi" else said

    def message(self, file: str, lang: str = "en") -> str:
        """The whole sentence: file, row, field and value as written, and the reason (STYLE.md §6)."""
        if lang == "vi":
            where = f"{file}, dòng {self.row}"
            if self.field:
                said = render(self.code, self.values, lang)
                return f"{where}, trường '{field_text(self.field, lang)}': '{self.value}' {said}"
            return f"{where}: {render(self.code, self.values, lang)}"
        where = f"{file}, row {self.row}"
        if self.field:
            return f"{where}, field '{self.field}': '{self.value}' {self.reason}"
        return f"{where}: {self.reason}"


@dataclass
class ColumnMap:
    """phusong field -> (column index, header as written in the file)."""

    fields: dict[str, tuple[int, str]] = field(default_factory=dict)
    unmapped: list[tuple[int, str]] = field(default_factory=list)
    source: str = "table"  # 'kobo', 'odk' or 'table'

    def has(self, name: str) -> bool:
        return name in self.fields

    def header(self, name: str) -> str:
        return self.fields[name][1]

    def cell(self, cells: Sequence[str], name: str) -> str:
        spot = self.fields.get(name)
        if spot is None or spot[0] >= len(cells):
            return ""
        return cells[spot[0]].strip()


_XML_NAMES = re.compile(r"^[A-Za-z_][\w.]*(?:[/-][A-Za-z_][\w.]*)*$")  # Kobo / ODK group paths: no spaces


def _header_candidates(header: str) -> list[str]:
    """The folded forms a header may match: whole, without a Kobo group (grp/q) or an ODK group (grp-q).

    A group path is XML names (no spaces or brackets): "Công suất (W/loa)" is one header, not a group "Công
    suất (W" holding a question "loa".
    """
    out = [fold_key(header)]
    if "/" in header and _XML_NAMES.match(header.rsplit("/", 1)[0]):
        out.append(fold_key(header.rsplit("/", 1)[1]))
    parts = header.split("-")
    for i in range(1, len(parts)):
        if _XML_NAMES.match("-".join(parts[:i])):
            out.append(fold_key("-".join(parts[i:])))
    return [c for c in out if c]


def map_columns(headers: Sequence[str], vocabulary: Vocabulary) -> ColumnMap:
    """Match each header to a phusong field by the vocabulary; the first column for a field wins.

    A header that matches no entry whole is tried by its first words ("Tình trạng kiểm tra" is a status,
    "Số loa (cái)" a number of horns): the longest entry of two words or more it starts with, after every
    whole match, so that a column named exactly keeps its field.
    """
    words = vocabulary.sections["headers"]
    result = ColumnMap()
    folded_all = {fold_key(h) for h in headers}
    if {"uuid", "submission time"} & folded_all or any(h.startswith("_") for h in headers):
        result.source = "kobo"
    elif any(fold_key(h) in ("meta instanceid", "submissiondate") for h in headers):
        result.source = "odk"
    chosen = {index: vocabulary.columns[fold_key(h)] for index, h in enumerate(headers)
              if fold_key(h) in vocabulary.columns}  # "" for a column the mapping reads as no field
    targets: dict[int, str] = {index: target for index, target in chosen.items() if target}
    for index, header in enumerate(headers):
        target = None
        if index not in chosen:
            for candidate in _header_candidates(header):
                target = words.get(candidate) or _geopoint_part(candidate)
                if target:
                    break
        if target and not (header.startswith("_") and target not in _KOBO_META_FIELDS):
            targets[index] = target
    for index, header in enumerate(headers):
        if index not in targets and index not in chosen and not header.startswith("_"):
            target = _leading_words_match(header, words)
            if target and target not in targets.values():
                targets[index] = target
    for index, target in list(targets.items()):  # a mapping's column is its field, whatever other headers say
        if index not in chosen and target in chosen.values():
            del targets[index]
    for index, header in enumerate(headers):
        target = targets.get(index)
        if target and target not in result.fields:
            result.fields[target] = (index, header)
        else:
            result.unmapped.append((index, header))
    return result


def _leading_words_match(header: str, words: Mapping[str, str]) -> str | None:
    """The field of the longest entry (two words or more) a header starts with, word for word."""
    for candidate in _header_candidates(header):
        parts = candidate.split(" ")
        for end in range(len(parts) - 1, 1, -1):
            target = words.get(" ".join(parts[:end]))
            if target:
                return target
    return None


def _geopoint_part(folded: str) -> str | None:
    # Kobo `_gps_latitude`, ODK `location-Latitude`: a geopoint question split into parts.
    last = folded.rsplit(" ", 1)[-1]
    return {"latitude": "lat", "longitude": "lon"}.get(last)


# --- cell parsers: each returns the value or raises ValueError with the reason ------------------------------


# Upper bounds that no real facility reaches; a larger value is a typo (or would overflow the integer column).
MAX_COUNT = 10_000
MAX_AMOUNT = 1_000_000.0


# Units people write after a number ("2 loa", "30W", "500 m", "0,5 km"), folded, with their factor: the number
# is what the rule checks; any other word after it still makes the cell "not a number".
_UNITS = {
    "count": {"loa": 1.0, "cai": 1.0, "chiec": 1.0, "bo": 1.0, "cum": 1.0, "horn": 1.0, "horns": 1.0},
    "watts": {"w": 1.0, "watt": 1.0, "watts": 1.0, "oat": 1.0},
    "metres": {"m": 1.0, "met": 1.0, "metre": 1.0, "metres": 1.0, "meter": 1.0, "meters": 1.0, "km": 1000.0},
}
_NUMBER_AND_UNIT = re.compile(r"^\s*([-+]?[\d.,]+)\s*([^\d\s.,][^\d]*)$")


def _number_in_unit(text: str, unit: str) -> float:
    """The number of a cell, with a trailing unit of ``unit`` allowed (and applied: 0,5 km is 500 m)."""
    try:
        return parse_number(text)
    except ValueError:
        match = _NUMBER_AND_UNIT.match(text)
        factor = _UNITS[unit].get(fold_key(match[2])) if match else None
        if match is None or factor is None:
            raise
        return parse_number(match[1]) * factor


def parse_count(text: str, maximum: int = MAX_COUNT) -> int:
    """A non-negative whole number ('2', '2.0', '2,0', '2 loa') up to ``maximum``."""
    try:
        value = _number_in_unit(text, "count")
    except ValueError as exc:
        raise CellRefused("count_not_number") from exc
    if not math.isfinite(value) or value != int(value):
        raise CellRefused("count_not_whole")
    if value < 0:
        raise CellRefused("count_negative")
    if value > maximum:
        raise CellRefused("count_too_large", maximum=maximum)
    return int(value)


def parse_amount(text: str, unit: str, maximum: float = MAX_AMOUNT) -> float:
    """A non-negative number of ``unit`` ("watts" or "metres") with '.' or ',' as the decimal mark and an
    optional unit after it ('30 W', '500m', '0,5 km'), up to ``maximum``."""
    try:
        value = _number_in_unit(text, unit)
    except ValueError as exc:
        raise CellRefused("amount_not_number", unit=unit) from exc
    if not math.isfinite(value):
        raise CellRefused("amount_not_finite", unit=unit)
    if value < 0:
        raise CellRefused("amount_negative", unit=unit)
    if value > maximum:
        raise CellRefused("amount_too_large", maximum=round(maximum), unit=unit)
    return value


_YEAR_WORD = re.compile(r"^n[aă]m\s+", re.IGNORECASE)
_YEAR_IN_DATE = re.compile(
    r"^(?:\d{1,2}[/.-])?(?:\d{1,2}[/.-])?(\d{4})(?:[/.-]\d{1,2}[/.-]\d{1,2})?(?:[ T].*)?$"
)


def parse_year(text: str, *, today: date | None = None) -> int:
    """A year of installation, 1945 .. this year; a date such as 05/2019 or 2019-05-01 gives its year."""
    # "'2018" (Excel's text marker, kept by some exports) and "năm 2019" are the year 2019.
    value = _YEAR_WORD.sub("", text.strip().lstrip("'").strip())
    try:
        number = parse_number(value)
        if not math.isfinite(number) or number != int(number):
            raise ValueError
        year = int(number)
    except ValueError:
        match = _YEAR_IN_DATE.match(value)
        if not match:
            raise CellRefused("year_not_year") from None
        year = int(match[1])
    this_year = (today or date.today()).year
    if year > this_year:
        raise CellRefused("year_in_future", this_year=this_year)
    if year < EARLIEST_YEAR:
        raise CellRefused("year_too_early", earliest=EARLIEST_YEAR)
    return year


def parse_coordinate_cell(text: str) -> float:
    """A coordinate: decimal (dot or comma) or degrees-minutes-seconds; NaN and infinity are refused."""
    try:
        # The usual cell ('103.0512') through float() directly; '_' would be a digit separator to Python.
        value = float(text) if "_" not in text else parse_coordinate(text)
    except ValueError:
        value = math.nan if text.strip().lower() in ("nan", "+nan", "-nan") else _slow_coordinate(text)
    if not math.isfinite(value):
        raise CellRefused("coordinate_not_finite")
    return value


def _slow_coordinate(text: str) -> float:
    try:
        return parse_coordinate(text)
    except (CoordinateError, ValueError) as exc:
        if text.count(",") > 1:
            raise CellRefused("coordinate_commas", fixed=text.replace(",", ".")) from exc
        raise CellRefused("coordinate_not_number") from exc


def read_coordinate_pair(
    columns: ColumnMap, cells: Sequence[str], line: int, first: str, second: str, issues: list[RowIssue]
) -> tuple[float, float] | None:
    """The row's two coordinate cells ``first`` and ``second`` (lon/lat or X/Y) as numbers; None, with the issue
    of the first one that is empty or not a coordinate, when they cannot be read."""
    parsed: list[float] = []
    for name in (first, second):
        raw = columns.cell(cells, name)
        if not raw:
            issues.append(RowIssue(line, columns.header(name), "", "coordinates_missing"))
            return None
        try:
            parsed.append(parse_coordinate_cell(raw))
        except ValueError as exc:
            issues.append(RowIssue.of(line, columns.header(name), raw, exc))
            return None
    return parsed[0], parsed[1]


def parse_geopoint(text: str) -> tuple[float, float]:
    """A geopoint ('lat lon alt acc' of Kobo/ODK, 'lat, lon', 'lat;lon', '[lat, lon]'): return (lat, lon)."""
    cleaned = text.strip().strip("[]()")
    if ";" in cleaned:
        parts = cleaned.split(";")
    elif re.search(r",\s", cleaned):       # '21.45, 103.05' or "21°27'N, 103°03'E"
        parts = re.split(r",\s+", cleaned)
    elif cleaned.count(",") == 1 and " " not in cleaned:
        parts = cleaned.split(",")
    else:
        parts = cleaned.split()
    parts = [p.strip() for p in parts if p.strip()]
    if len(parts) < 2:
        raise CellRefused("geopoint_invalid")
    return parse_coordinate_cell(parts[0]), parse_coordinate_cell(parts[1])


_DATE_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d.%m.%Y",
)


def parse_datetime(text: str) -> datetime:
    """A date or time as phones and spreadsheets write it; without a zone it is Viet Nam time (UTC+7)."""
    value = text.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise CellRefused("date_invalid")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VN_TZ)
    if parsed > datetime.now(VN_TZ) + timedelta(days=1):
        raise CellRefused("date_in_future")
    return parsed


def row_attributes(table: RawTable, columns: ColumnMap, cells: Sequence[str]) -> dict[str, str]:
    """The cells of columns no rule knows, kept with the record (header as written -> text)."""
    kept: dict[str, str] = {}
    for index, header in columns.unmapped:
        if index < len(cells) and cells[index].strip() and header:
            kept[header] = cells[index].strip()
    return kept


# Statuses (issue 15): a doubtful one is never read as a fact. The accepted words, as the survey forms write them.
ACCEPTED_STATUSES = ("Hoạt động", "Xuống cấp", "Hư hỏng", "Đã thanh lý", "Dự kiến")
DOUBTFUL_AS = ("reject", "unknown")
UNKNOWN_STATUS = ("unknown_status", {"accepted": list(ACCEPTED_STATUSES)})


def parse_status(vocabulary: Vocabulary, raw: str, *, doubtful_as: str = "reject") -> tuple[
        str | None, tuple[str, dict[str, Any]] | None, str]:
    """(status code or None, (reason code, values) or None, severity) of one status cell.

    Only an exact (folded) vocabulary word is a status. A cell with a question mark or a word of
    ``doubtful_statuses`` ('ok?', 'tốt (?)', 'không rõ') is rejected with unknown_status, or with
    ``doubtful_as='unknown'`` kept as 'unknown' with a warning: it must never pass as 'operational'.
    """
    if "?" in raw or vocabulary.lookup("doubtful_statuses", raw) is not None:
        if doubtful_as == "unknown":
            return "unknown", ("doubtful_status_kept", {}), "warning"
        return None, ("doubtful_status", {"accepted": list(ACCEPTED_STATUSES)}), "reject"
    code = vocabulary.lookup("statuses", raw)
    return code, (None if code else UNKNOWN_STATUS), "reject"


def doubtful_option(doubtful_as: str) -> dict[str, str]:
    """The reading option --doubtful-as adds (the same file loaded with 'unknown' is another load); none by
    default, so files loaded before the option existed stay "already loaded"."""
    return {} if doubtful_as == "reject" else {"doubtful_as": doubtful_as}
