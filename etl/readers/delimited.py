"""CSV (`,` `;` tab; UTF-8 with or without BOM, UTF-16, cp1258 on request) into a RawTable, by arrow's CSV reader."""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from etl.errors import LoadRefusedError
from etl.limits import check_cells
from etl.readers.nfc import surely_nfc
from etl.readers.table import _HEADER_SCAN_ROWS, RawTable, _header_score, _one_line
from etl.vocabulary import Vocabulary

# Arrow's default allocator (mimalloc) maps fresh pages for a first big file: a cold 200,000-row read and check
# took 0.34-0.63 s with it, 0.37 s steadily with the C library's allocator, which reuses what the process has.
pa.set_memory_pool(pa.system_memory_pool())


# --- CSV ----------------------------------------------------------------------------------------------------


def _decode(data: bytes, path: Path, encoding: str | None) -> tuple[str, bytes | None]:
    """Decode CSV bytes: the given encoding, else a BOM's, else UTF-8; refuse anything else. Also the text's
    UTF-8 bytes when they are the file's own (UTF-8, its BOM left out), so they need not be encoded again."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise LoadRefusedError(code="unknown_encoding", path=path, encoding=encoding) from exc
        return _decode_or_refuse(data, encoding, path), None
    if data.startswith(codecs.BOM_UTF8):
        return _decode_or_refuse(data[3:], "utf-8", path), data[3:]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_or_refuse(data, "utf-16", path), None
    if len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:  # UTF-16 LE without a BOM
        return _decode_or_refuse(data, "utf-16-le", path), None
    try:
        return data.decode("utf-8"), data
    except UnicodeDecodeError as exc:
        raise LoadRefusedError(code="not_utf8", path=path, cli_hint="--encoding cp1258", byte=exc.start) from exc


def _decode_or_refuse(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise LoadRefusedError(code="not_in_encoding", path=path, encoding=encoding, byte=exc.start) from exc


def _sniff_delimiter(sample: str) -> str:
    """Pick , ; or tab: the one that splits the first lines into the same, largest number of fields."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    best, best_score = ",", -1
    for delimiter in (",", ";", "\t"):
        counts = [len(next(csv.reader([line], delimiter=delimiter))) for line in lines]
        if not counts or counts[0] < 2:
            continue
        score = counts[0] * 10 + sum(1 for c in counts if c == counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(path: Path, encoding: str | None, vocabulary: Vocabulary | None, *, decode_all: bool = False) -> RawTable:
    data = path.read_bytes()
    plain = None if encoding is not None or decode_all else _plain_utf8_head(data)
    if plain is None:
        text, utf8 = _whole_text(data, path, encoding)
    else:  # the file's own bytes are the body's: the whole text is decoded only if the csv module must read it
        text, utf8 = plain[0], data
    delimiter = _sniff_delimiter(text[:20000])
    fmt = {",": "csv", ";": "csv;", "\t": "tsv"}[delimiter]
    headers, body_at, header_row, below_titles = _csv_header(text, delimiter, vocabulary)
    if plain is not None and not plain[1] and body_at > _HEADER_SEARCH_CHARS:
        return _read_csv(path, encoding, vocabulary, decode_all=True)  # the header lies beyond the part decoded
    headers = _one_line(headers)
    check_cells(path, data.count(b"\n") + 1, len(headers))  # before the rows are parsed into cells
    body = utf8[len(text[:body_at].encode("utf-8")):] if utf8 is not None else text[body_at:].encode("utf-8")
    found = _csv_by_columns(body, delimiter, len(headers), header_row + 1)
    if found is None:
        if plain is not None and not plain[1]:
            text = data.decode("utf-8")  # checked UTF-8 in NFC: the same text, of which plain[0] is the beginning
        rows = _csv_by_rows(text[body_at:], delimiter, header_row)
        table = RawTable.from_rows(str(path), fmt, headers, rows)
    else:
        lines, cells = found
        table = RawTable(file=str(path), format=fmt, headers=headers, lines=lines, cells=cells)
    if below_titles:
        table.notes.append(f"header found on row {header_row}")
    return _without_blank_rows(table)


def _whole_text(data: bytes, path: Path, encoding: str | None) -> tuple[str, bytes | None]:
    """The file's text (decoded, refused if not text, NFC) and its UTF-8 bytes when they are the file's own."""
    text, utf8 = _decode(data, path, encoding)
    if (b"\x00" in utf8) if utf8 is not None else ("\x00" in text):
        raise LoadRefusedError(code="binary_file", path=path)
    if text.startswith("\ufeff"):
        text, utf8 = text[1:], None
    if not unicodedata.is_normalized("NFC", text):
        # cp1258 and some Mac exports give decomposed Vietnamese: store and show the composed (NFC) form.
        text, utf8 = unicodedata.normalize("NFC", text), None
    return text, utf8


def _plain_utf8_head(data: bytes) -> tuple[str, bool] | None:
    """The beginning of the file's text (more characters than the header is looked for in, or all of them) and
    whether that is all of it, when the file is plain UTF-8 that :func:`_whole_text` would take as it is: no BOM,
    no NUL, valid UTF-8, surely NFC. None otherwise (the caller decodes the whole file then).

    Found without decoding the file: a 200,000-row survey's decode and NFC check took 0.12-0.25 s of CPU, these
    checks on the bytes ~0.06 s (bench/etl.py, 04/12/2026).
    """
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        return None
    if not _is_utf8(data) or not surely_nfc(data):
        return None
    cut = min(len(data), 4 * _HEADER_SEARCH_CHARS + 8)  # > _HEADER_SEARCH_CHARS characters (<= 4 bytes each)
    while cut < len(data) and 0x80 <= data[cut] < 0xC0:  # not inside a character
        cut -= 1
    return data[:cut].decode("utf-8"), cut == len(data)


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8 (as Python's decoder has it), checked by arrow without a Python string."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


_HEADER_SEARCH_CHARS = 1 << 20  # the header is in the first lines; reading the whole file for it costs 0.05 s


def _csv_header(
    text: str, delimiter: str, vocabulary: Vocabulary | None, limit: int = _HEADER_SEARCH_CHARS
) -> tuple[list[str], int, int, bool]:
    """The header: the first record with a filled cell, unless a record below it among the first ones names more
    known columns (title rows above the header, as a spreadsheet saved as CSV keeps them). Its cells, where the
    records after it start, its spreadsheet row (records counted as a spreadsheet opens the file: an empty line
    is a row, a cell over two lines is not), and whether filled rows above it were passed over."""
    head = text[:limit]
    handle = io.StringIO(head, newline="")
    filled: list[tuple[int, list[str], int]] = []  # (row, cells, where the next record starts)
    for row, record in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
        if handle.tell() == len(head) < len(text):  # the record may go on past the part read
            break
        cells = [cell.strip() for cell in record]
        if any(cells):
            filled.append((row, cells, handle.tell()))
        if row >= _HEADER_SCAN_ROWS and filled:
            break
    if not filled:
        return _csv_header(text, delimiter, vocabulary, len(text)) if len(head) < len(text) else ([], len(text), 0,
                                                                                                False)
    header = filled[0]
    if vocabulary is not None:
        best = max(filled, key=lambda candidate: _header_score(candidate[1], vocabulary))
        if _header_score(best[1], vocabulary) > _header_score(header[1], vocabulary):
            header = best
    row, cells, end = header
    return cells, end, row, header is not filled[0]


def _csv_by_columns(
    data: bytes, delimiter: str, width: int, first_row: int
) -> tuple[np.ndarray[Any, Any], list[pa.Array]] | None:
    """The records of ``data`` (valid UTF-8) read by arrow's CSV reader straight into columns (C++, both cores), with
    their spreadsheet rows counted from ``first_row``; None unless every record has ``width`` cells.

    Read this way a 200,000-row survey takes 0.1 s where Python's csv module takes 0.4 s (bench/etl.py). A file
    with a short or long row (hand-edited, or a trailing delimiter) is read by :func:`_csv_by_rows`, which keeps
    every cell of every row; both give the same table wherever this one answers (tests/etl/test_fuzz_readers.py).
    """
    import pyarrow.csv as pacsv

    irregular: list[Any] = []

    def note_irregular(row: Any) -> str:
        irregular.append(row)
        return "skip"

    if not data:
        return np.zeros(0, dtype=np.int64), [pa.array([], type=pa.string()) for _ in range(width)]
    names = [f"c{j}" for j in range(width)]
    try:
        read = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names),
            # Empty lines kept as rows of empty cells (dropped later), so record k is spreadsheet row k.
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False,
                                             invalid_row_handler=note_irregular),
            # The caller's bytes are UTF-8 already (decoded by Python, or checked by _is_utf8): not checked again.
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), check_utf8=False,
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowException:
        return None
    if irregular:
        return None
    return (np.arange(first_row, first_row + read.num_rows, dtype=np.int64),
            [read.column(j).combine_chunks() for j in range(width)])


def _csv_by_rows(body: str, delimiter: str, header_row: int) -> list[tuple[int, list[str]]]:
    """Every record of ``body`` (the records after the header, on spreadsheet row ``header_row``) with its row:
    an empty line counts as a row, a cell over two lines does not, as when a spreadsheet opens the file."""
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    return [(header_row + row, record) for row, record in enumerate(reader, start=1) if record]


def _without_blank_rows(table: RawTable) -> RawTable:
    """The table without rows whose every cell is blank (an empty line, a spreadsheet row saved as ",,,,")."""
    import pyarrow.compute as pc

    blank = np.ones(len(table), dtype=bool)
    for column in table.cells:  # most files: no blank first cell, and the rest is not looked at
        blank &= pc.equal(pc.utf8_trim_whitespace(column), "").to_numpy(zero_copy_only=False)
        if not blank.any():
            return table
    return table.take(np.flatnonzero(~blank))
