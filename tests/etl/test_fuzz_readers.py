"""Hypothesis fuzzes the readers and cell parsers: no input may raise anything but our own errors."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.errors import LoadRefusedError
from etl.readers import RawTable, _csv_by_columns, _csv_by_rows, _without_blank_rows, read_table
from etl.validate import (
    map_columns,
    parse_amount,
    parse_coordinate_cell,
    parse_count,
    parse_datetime,
    parse_geopoint,
    parse_year,
)
from etl.vocabulary import load_vocabulary

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SUFFIXES = [".csv", ".txt", ".xlsx", ".geojson", ".json", ".gpkg", ".zip", ".tsv"]
CELLS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


def _read(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    try:
        read_table(path, vocabulary=load_vocabulary())
    except LoadRefusedError as exc:
        assert str(exc) and "\n" not in str(exc)


@FUZZ
@given(data=st.binary(max_size=600), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_in_any_format(tmp_path: Path, data: bytes, suffix: str) -> None:
    _read(tmp_path, f"f{suffix}", data)


@FUZZ
@given(rows=st.lists(st.lists(CELLS, min_size=1, max_size=6), min_size=0, max_size=6),
       delimiter=st.sampled_from([",", ";", "\t", "|"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258", "latin-1"]))
def test_random_tables_as_csv(tmp_path: Path, rows: list[list[str]], delimiter: str, encoding: str) -> None:
    text = "\n".join(delimiter.join(r) for r in rows)
    _read(tmp_path, "t.csv", text.encode(encoding, errors="replace"))


@FUZZ
@given(names=st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12), max_size=4,
                      unique=True),
       payload=st.binary(max_size=200))
def test_random_zip_archives(tmp_path: Path, names: list[str], payload: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr((name or "x") + ".shp", payload)
    _read(tmp_path, "a.zip", buffer.getvalue())


@FUZZ
@given(text=st.text(max_size=60))
def test_random_geojson_text(tmp_path: Path, text: str) -> None:
    _read(tmp_path, "g.geojson", ('{"type":"FeatureCollection","features":[' + text).encode())


@settings(max_examples=300, deadline=None)
@given(cell=CELLS)
def test_cell_parsers_raise_only_value_errors(cell: str) -> None:
    for parse in (parse_coordinate_cell, parse_count, lambda t: parse_amount(t, "watts"), parse_year,
                  parse_datetime, parse_geopoint):
        try:
            parse(cell)
        except ValueError as exc:
            assert str(exc)


@settings(max_examples=100, deadline=None)
@given(headers=st.lists(CELLS, max_size=10))
def test_header_mapping_never_fails(headers: list[str]) -> None:
    columns = map_columns(headers, load_vocabulary())
    assert len(columns.fields) + len(columns.unmapped) == len(headers)


@pytest.mark.parametrize("text,expected", [("106,7", 106.7), ("105°53'12.5\"E", 105.886806),
                                           ("21° 27′ 00″ N", 21.45), ("S 8°30'", -8.5),
                                           ("  103.05 ", 103.05)])
def test_coordinate_forms(text: str, expected: float) -> None:
    assert parse_coordinate_cell(text) == pytest.approx(expected, abs=1e-6)


@pytest.mark.db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(CELLS, min_size=15, max_size=15), min_size=1, max_size=4))
def test_any_cells_in_a_survey_load_or_are_rejected_never_crash(communes, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                 cells: list[list[str]]) -> None:
    from datetime import date

    from etl.facilities import load_facilities
    from tests.etl.conftest import VN_HEADERS, write_csv

    path = write_csv(tmp_path / "fuzz.csv", VN_HEADERS, cells)
    savepoint = communes.begin_nested()
    try:
        result = load_facilities(communes, path, today=date(2026, 11, 26))
        assert result.loaded + result.rejected + result.skipped <= len(cells)
    except LoadRefusedError as exc:
        assert str(exc)
    finally:
        savepoint.rollback()


ROW_CELLS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"),
                    max_size=8) | st.sampled_from(["", " ", '"', '""', "a,b", 'x"y', "\r\n", "1,5", "  z  "])


def _by_columns_and_by_rows(text: str, delimiter: str, width: int) -> tuple[list[Any] | None, list[Any]]:
    by_rows = RawTable.from_rows("t.csv", "csv", [""] * width, _csv_by_rows(text, delimiter, 1))
    found = _csv_by_columns(text.encode(), delimiter, width, 2)
    if found is None:
        return None, _without_blank_rows(by_rows).rows
    by_columns = RawTable(file="t.csv", format="csv", headers=[""] * width, lines=found[0], cells=found[1])
    return _without_blank_rows(by_columns).rows, _without_blank_rows(by_rows).rows


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(st.lists(ROW_CELLS, min_size=1, max_size=4), max_size=6),
       delimiter=st.sampled_from([",", ";", "\t"]), newline=st.sampled_from(["\n", "\r\n", "\r"]),
       quoted=st.booleans())
def test_csv_read_by_columns_gives_the_csv_module_table(rows: list[list[str]], delimiter: str, newline: str,
                                                       quoted: bool) -> None:
    """Arrow's reader and the csv module agree on every file arrow takes (rows, cells, spreadsheet row numbers);
    arrow declines only files with a row of another width than the header's."""
    if quoted:  # what a spreadsheet writes: cells with the delimiter, quotes or line breaks quoted
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
        text = buffer.getvalue()
    else:  # what a hand-made file may hold: stray quotes, uneven rows
        text = newline.join(delimiter.join(r) for r in rows)
    width = max((len(r) for r in rows), default=1)
    by_columns, by_rows = _by_columns_and_by_rows(text, delimiter, width)
    if by_columns is not None:
        assert by_columns == by_rows
    else:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        assert any(len(r) not in (0, width) for r in records) or text.count('"') % 2 == 1
