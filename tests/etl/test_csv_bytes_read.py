"""A plain UTF-8 CSV is read from its bytes (etl/readers/nfc.py, delimited._plain_utf8_head), without decoding the
whole file first: the same table, the same refusals, as decoding and normalising it (issue 22, bench.etl)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.errors import LoadRefusedError
from etl.readers import RawTable, delimited
from etl.readers.nfc import _SUSPECT_PAIRS, surely_nfc, suspect_pairs
from etl.vocabulary import load_vocabulary

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Vietnamese, composed and decomposed, ASCII, CSV's own characters, and any other character now and then.
PIECES = [*"aăâeêoôơuưdđ ,;\"\n\r\t", "\u1ea1", "a\u0323", "\u1ed6", "O\u0302\u0303", "\u212b", "\u0301", "\u1161"]
CELLS = st.lists(st.one_of(st.sampled_from(PIECES), st.characters(codec="utf-8", exclude_categories=["Cs"])),
                 max_size=8).map("".join)


def test_the_suspect_byte_pairs_are_those_of_this_python_s_unicode_database() -> None:
    assert list(_SUSPECT_PAIRS) == suspect_pairs(), "regenerate _SUSPECT_PAIRS with etl.readers.nfc.suspect_pairs()"


@settings(max_examples=300, deadline=None)
@given(text=CELLS)
def test_surely_nfc_is_never_wrong(text: str) -> None:
    if surely_nfc(text.encode("utf-8")):
        assert unicodedata.is_normalized("NFC", text)


def test_composed_vietnamese_is_surely_nfc_and_decomposed_is_not() -> None:
    composed = "Cụm loa truyền thanh, Xuống cấp, Đài truyền thanh xã, Ứng dụng CNTT-VT"
    assert surely_nfc(composed.encode())
    assert not surely_nfc(unicodedata.normalize("NFD", composed).encode())
    assert not surely_nfc("Å".encode() + "\u212b".encode())  # ANGSTROM SIGN: NFC replaces it


def _both(path: Path) -> tuple[object, object]:
    def read(decode_all: bool) -> object:
        try:
            table: RawTable = delimited._read_csv(path, None, load_vocabulary(), decode_all=decode_all)
        except LoadRefusedError as exc:
            return exc.code
        return (table.headers, table.lines.tolist(), [c.to_pylist() for c in table.cells], table.notes)

    return read(False), read(True)


@FUZZ
@given(rows=st.lists(st.lists(CELLS, min_size=1, max_size=4), min_size=1, max_size=6),
       delimiter=st.sampled_from([",", ";", "\t"]), prefix=st.sampled_from([b"", b"\n\n", b"\xef\xbb\xbf", b"\xff"]))
def test_read_from_bytes_gives_what_decoding_gives(tmp_path: Path, rows: list[list[str]], delimiter: str,
                                                   prefix: bytes) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(prefix + "\n".join(delimiter.join(r) for r in rows).encode("utf-8"))
    fast, decoded = _both(path)
    assert fast == decoded


@pytest.mark.parametrize("body", [
    "ma,ten\n" + "1,Cụm loa\n" * 30,              # the whole text decoded at once
    "ma,ten\n" + "1,Cụm loa\n2\n" * 30,          # a short row: the csv module reads the whole decoded text
    "\n" * 300 + "ma,ten\n" + "1,Cụm loa\n" * 30,  # the header beyond the characters first decoded
])
def test_files_longer_than_the_part_first_decoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    monkeypatch.setattr(delimited, "_HEADER_SEARCH_CHARS", 64)
    path = tmp_path / "long.csv"
    path.write_text(body, encoding="utf-8")
    fast, decoded = _both(path)
    assert fast == decoded and isinstance(fast, tuple) and fast[0] == ["ma", "ten"]
    assert fast[2][1][0] == "Cụm loa"
