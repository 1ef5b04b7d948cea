"""Inputs that cost more to read than they weigh are refused before they are read (issue 14 item 5): a workbook
declaring a sheet of every cell Excel has, zips with too many or too large entries, a CSV of too many cells."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

import etl.limits
from etl.limits import LimitExceededError
from etl.readers import read_table


def declared_bomb(path: Path, ref: str = "A1:XFD1048576") -> Path:
    """A real workbook of four cells whose sheet declares the dimension ``ref`` (under 5 kB)."""
    plain = path.with_suffix(".plain.xlsx")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Tên thiết chế", "Loại"])
    sheet.append(["Đài xã Mường Nhé", "Đài truyền thanh xã"])
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                # openpyxl writes '<dimension ref="A1:B2" />', or without the space when lxml is installed
                data = re.sub(rb'<dimension ref="A1:B2" ?/>', f'<dimension ref="{ref}" />'.encode(), data)
                assert ref.encode() in data
            target.writestr(item, data)
    plain.unlink()
    return path


def test_a_small_workbook_declaring_every_cell_is_refused_fast_and_without_memory(tmp_path: Path) -> None:
    bomb = declared_bomb(tmp_path / "bom.xlsx")
    assert bomb.stat().st_size < 5_000  # openpyxl writes its styles and theme too: a hand-made one is 1.5 kB
    # Measured in a fresh process: its peak memory is the reader's alone.
    probe = ("import resource, sys, time; from pathlib import Path; from etl.readers import read_table\n"
             "from etl.limits import LimitExceededError\n"
             "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; t = time.perf_counter()\n"
             "try:\n    read_table(Path(sys.argv[1]))\nexcept LimitExceededError as exc:\n    print(exc.render('vi'))\n"
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)")
    done = subprocess.run([sys.executable, "-c", probe, str(bomb)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    refusal, measures = done.stdout.strip().splitlines()
    seconds, grown_kb = measures.split()
    assert refusal == "1.048.576 dòng x 16.384 cột, vượt giới hạn 20.000.000 ô và 1.000 cột."
    assert float(seconds) < 0.5 and int(grown_kb) < 20_000  # was seconds and +150 MB before the check
    with pytest.raises(LimitExceededError, match=r"bom.xlsx \(sheet1\): 1,048,576 rows x 16,384 columns is over "
                                                  r"the limit of 20,000,000 cells and 1,000 columns"):
        read_table(bomb)


def test_one_far_cell_under_a_lying_dimension_is_refused_too(tmp_path: Path) -> None:
    """Without the check the reader asked for 512 GB for this 5 kB file and aborted the whole process."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Tên thiết chế", "Loại"])
    sheet["XFD1048576"] = "z"
    book.save(tmp_path / "far.plain.xlsx")
    far = tmp_path / "far.xlsx"
    with zipfile.ZipFile(tmp_path / "far.plain.xlsx") as source, zipfile.ZipFile(far, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="A1:XFD1048576" ?/>', b'<dimension ref="A1:B1" />', data)
            target.writestr(item, data)
    started = time.perf_counter()
    with pytest.raises(LimitExceededError, match=r"far.xlsx \(sheet1\): 1,048,576 rows x 16,384 columns"):
        read_table(far)
    assert time.perf_counter() - started < 0.5


def test_a_workbook_within_the_limits_is_read(tmp_path: Path) -> None:
    table = read_table(declared_bomb(tmp_path / "ok.xlsx", "A1:B2"))
    assert table.headers == ["Tên thiết chế", "Loại"]


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_zips_with_too_many_entries_or_too_much_inside_are_refused_from_their_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    many = _zip(tmp_path / "odk.zip", {"form.csv": b"a,b\n1,2\n", **{f"media/{i}.jpg": b"x" for i in range(2_001)}})
    with pytest.raises(LimitExceededError, match=r"odk.zip: refused, the archive holds 2,002 files \(limit 2,000\)"):
        read_table(many)
    # Each entry under the ratio limit, all of them together over the size limit (lowered to keep the test small).
    monkeypatch.setattr(etl.limits, "MAX_ARCHIVE_INFLATED_BYTES", 1_000_000)
    noise = random.Random(14)  # bytes that do not compress: no entry trips the ratio limit
    big = _zip(tmp_path / "shp.zip", {f"part{i}.dbf": noise.randbytes(300_000) for i in range(5)})
    with pytest.raises(LimitExceededError, match=r"shp.zip: refused, the archive inflates to 1 MB \(limit 1 MB\)"):
        read_table(big)


def test_a_csv_of_too_many_cells_is_refused_before_its_rows_are_parsed(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(etl.limits, "MAX_CELLS", 1_000)
    wide = tmp_path / "rong.csv"
    wide.write_text("ten,loai,kinh_do,vi_do\n" + "a,b,103.1,21.5\n" * 300, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(LimitExceededError, match=r"rong.csv: 302 rows x 4 columns is over the limit of 1,000 cells"):
        read_table(wide)
    assert time.perf_counter() - started < 1
