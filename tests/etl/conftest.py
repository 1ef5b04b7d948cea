"""Fixtures of the ETL tests: three small 2025 communes of Điện Biên, writers of survey files."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from etl.names import fold_place_name

# Three 0.1° squares near Điện Biên Phủ (codes and names as in the 2025 list; shapes made up for the tests).
COMMUNES = (
    ("03199", "Xã Mường Phăng", 103.00, 21.40),
    ("03127", "Phường Điện Biên Phủ", 103.10, 21.40),
    ("03202", "Xã Thanh Nưa", 103.00, 21.30),
)
PROVINCE = ("11", "Tỉnh Điện Biên")

# Points inside each commune (lon, lat).
IN_MUONG_PHANG = (103.05, 21.45)
IN_DIEN_BIEN_PHU = (103.15, 21.45)
IN_THANH_NUA = (103.05, 21.35)

VN_HEADERS = [
    "STT",
    "Mã thiết chế",
    "Tên thiết chế",
    "Loại thiết chế",
    "Công nghệ",
    "Xã/Phường",
    "Thôn/Bản",
    "Kinh độ",
    "Vĩ độ",
    "Tình trạng",
    "Năm đưa vào sử dụng",
    "Số loa",
    "Công suất (W)",
    "Bán kính (m)",
    "Ghi chú",
]


def _square(lon: float, lat: float, size: float = 0.1) -> str:
    return (
        f"MULTIPOLYGON((({lon} {lat}, {lon + size} {lat}, {lon + size} {lat + size}, {lon} {lat + size}, "
        f"{lon} {lat})))"
    )


@pytest.fixture()
def communes(db_conn: Connection) -> Connection:
    """db_conn with three 2025 communes and their province loaded."""
    insert = text(
        "INSERT INTO admin_unit (version, level, code, name, name_folded, unit_type, parent_code, "
        "province_code, geom) VALUES ('2025', :level, :code, :name, :folded, :ut, :parent, '11', "
        "ST_GeomFromText(:wkt, 4326))"
    )
    for code, name, lon, lat in COMMUNES:
        db_conn.execute(
            insert,
            {
                "level": "commune",
                "code": code,
                "name": name,
                "folded": fold_place_name(name),
                "ut": name.split()[0],
                "parent": "11",
                "wkt": _square(lon, lat),
            },
        )
    db_conn.execute(
        insert,
        {
            "level": "province",
            "code": PROVINCE[0],
            "name": PROVINCE[1],
            "folded": fold_place_name(PROVINCE[1]),
            "ut": "Tỉnh",
            "parent": None,
            "wkt": _square(102.9, 21.2, 0.4),
        },
    )
    return db_conn


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_workbook(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    title_rows: Sequence[str] = (
        "UBND TỈNH ĐIỆN BIÊN",
        "DANH SÁCH THIẾT CHẾ VĂN HÓA - THÔNG TIN CƠ SỞ NĂM 2026",
    ),
    sheet: str = "Thiết chế",
    extra_sheets: Sequence[str] = ("Hướng dẫn",),
) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    guide = workbook.active
    assert guide is not None
    guide.title = extra_sheets[0] if extra_sheets else "Sheet0"
    guide.append(["Điền mỗi thiết chế một dòng. Tọa độ theo WGS 84 (độ thập phân)."])
    data = workbook.create_sheet(sheet)
    for title in title_rows:
        data.append([title])
    data.append(list(header))
    for row in rows:
        data.append(list(row))
    workbook.save(path)
    return path


def vn_row(
    stt: int,
    code: str | None,
    kind: str = "Cụm loa truyền thanh",
    lonlat: tuple[object, object] = IN_MUONG_PHANG,
    *,
    commune: str = "Mường Phăng",
    status: str = "Hoạt động",
    year: object = 2019,
    horns: object = 2,
    watts: object = 30,
    radius: object = "",
    tech: str = "Không dây (FM)",
    name: str | None = None,
) -> list[object]:
    """One row of the Điện Biên survey workbook, in VN_HEADERS order."""
    return [
        stt,
        code,
        name or f"Cụm loa bản {stt}",
        kind,
        tech,
        commune,
        f"Bản {stt}",
        lonlat[0],
        lonlat[1],
        status,
        year,
        horns,
        watts,
        radius,
        "",
    ]
