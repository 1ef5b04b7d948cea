"""Inspections (Kobo, ODK, CSV), villages (points, polygons) and population rasters."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Connection, text

from etl.coords import transformer_to_wgs84
from etl.errors import LoadRefusedError
from etl.facilities import load_facilities
from etl.inspections import load_inspections
from etl.population import load_population_raster
from etl.villages import load_villages
from tests.etl.conftest import IN_DIEN_BIEN_PHU, IN_MUONG_PHANG, VN_HEADERS, vn_row, write_csv

pytestmark = pytest.mark.db


@pytest.fixture()
def facilities(communes: Connection, tmp_path: Path) -> Connection:
    path = write_csv(tmp_path / "f.csv", VN_HEADERS, [vn_row(1, "DB-001"), vn_row(2, "DB-002")])
    load_facilities(communes, path, today=date(2026, 11, 26))
    return communes


def _status(conn: Connection, ref: str) -> str:
    return str(
        conn.execute(text("SELECT status FROM facility WHERE external_id = :r"), {"r": ref}).scalar_one()
    )


def test_a_kobo_inspection_export_appends_history_and_sets_the_status(
    facilities: Connection, tmp_path: Path
) -> None:
    header = [
        "start",
        "end",
        "kiem_tra/ma_thiet_che",
        "kiem_tra/tinh_trang",
        "kiem_tra/ghi_chu",
        "vi_tri",
        "_id",
        "_uuid",
        "_submission_time",
        "_submitted_by",
    ]
    rows = [
        [
            "",
            "2026-11-20T08:09:00.000+07:00",
            "DB-001",
            "hong",
            "Loa rè",
            "21.45 103.05 500 5",
            1,
            "u-1",
            "2026-11-20T01:10:00",
            "lan",
        ],
        [
            "",
            "2026-11-22T08:00:00.000+07:00",
            "DB-001",
            "hoat_dong",
            "Đã sửa",
            "",
            2,
            "u-2",
            "2026-11-22T01:10:00",
            "lan",
        ],
        ["", "2026-11-21T08:00:00.000+07:00", "DB-999", "hong", "", "", 3, "u-3", "", "lan"],
    ]
    path = write_csv(tmp_path / "kobo_inspections.csv", header, rows, delimiter=";")
    result = load_inspections(facilities, path, report_dir=tmp_path / "out")
    assert (result.loaded, result.rejected) == (2, 1), result.messages()
    assert "'DB-999' is not the id of any loaded facility" in result.messages("reject")[0]
    assert _status(facilities, "DB-001") == "operational"  # the latest inspection decides
    history = facilities.execute(
        text(
            "SELECT status_found, inspector, source, submission_id, "
            "geom_reported IS NOT NULL FROM inspection ORDER BY inspected_at"
        )
    ).all()
    assert [tuple(h) for h in history] == [
        ("broken", "lan", "kobo", "u-1", True),
        ("operational", "lan", "kobo", "u-2", False),
    ]


def test_an_odk_inspection_export_and_submissions_seen_before_are_skipped(
    facilities: Connection, tmp_path: Path
) -> None:
    header = [
        "SubmissionDate",
        "thiet_che-ma",
        "thiet_che-tinh_trang",
        "vi_tri-Latitude",
        "vi_tri-Longitude",
        "meta-instanceID",
        "KEY",
        "SubmitterName",
    ]
    rows = [["2026-11-21T03:00:00.000Z", "DB-002", "xuong_cap", 21.45, 103.05, "uuid:a", "uuid:a", "hoa"]]
    first = load_inspections(facilities, write_csv(tmp_path / "odk1.csv", header, rows))
    assert first.loaded == 1 and _status(facilities, "DB-002") == "degraded"
    rows.append(["2026-11-23T03:00:00.000Z", "DB-002", "hu_hong", "", "", "uuid:b", "uuid:b", "hoa"])
    second = load_inspections(facilities, write_csv(tmp_path / "odk2.csv", header, rows))
    assert (second.loaded, second.skipped) == (1, 1)
    assert "skipped (seen before)" in second.summary()
    assert _status(facilities, "DB-002") == "broken"
    assert facilities.execute(text("SELECT count(*) FROM inspection")).scalar_one() == 2


def test_a_plain_csv_of_inspections_with_vietnamese_dates(facilities: Connection, tmp_path: Path) -> None:
    header = ["Mã thiết chế", "Ngày kiểm tra", "Người kiểm tra", "Tình trạng", "Ghi chú"]
    rows = [
        ["DB-001", "20/11/2026", "Nguyễn Văn An", "Xuống cấp", ""],
        ["DB-002", "32/13/2026", "Nguyễn Văn An", "Hỏng", ""],
        ["DB-002", "21/11/2026", "Nguyễn Văn An", "rất tệ", ""],
    ]
    result = load_inspections(facilities, write_csv(tmp_path / "kiem_tra.csv", header, rows))
    assert (result.loaded, result.rejected) == (1, 2)
    reasons = result.messages("reject")
    assert "row 3, field 'Ngày kiểm tra': '32/13/2026' is not a date" in reasons[0]
    assert "row 4, field 'Tình trạng': 'rất tệ' is not a known status" in reasons[1]
    assert facilities.execute(text("SELECT source FROM inspection")).scalar_one() == "csv"


def test_an_inspectors_upload_keeps_to_their_communes(facilities: Connection, tmp_path: Path) -> None:
    load_facilities(facilities, write_csv(tmp_path / "f2.csv", VN_HEADERS,
                                          [vn_row(3, "DB-003", lonlat=IN_DIEN_BIEN_PHU, commune="Điện Biên Phủ")]),
                    today=date(2026, 11, 26))
    rows = [["DB-001", "Hỏng", "20/11/2026"], ["DB-003", "Hỏng", "20/11/2026"]]
    path = write_csv(tmp_path / "i.csv", ["Mã thiết chế", "Tình trạng", "Ngày kiểm tra"], rows)
    result = load_inspections(facilities, path, scope=["03199"], loaded_by="kiemtra")
    assert (result.loaded, result.rejected) == (1, 1), result.messages()
    assert "DB-003' is a facility of Phường Điện Biên Phủ, outside the communes you inspect" in result.messages()[0]
    assert _status(facilities, "DB-001") == "broken" and _status(facilities, "DB-003") == "operational"
    province_wide = load_inspections(facilities, write_csv(tmp_path / "i2.csv", ["Mã thiết chế", "Tình trạng",
                                     "Ngày kiểm tra"], [["DB-003", "Xuống cấp", "21/11/2026"]]), scope=["11"])
    assert province_wide.loaded == 1, province_wide.messages()


def test_villages_as_points_and_polygons_get_their_commune_by_location(
    communes: Connection, tmp_path: Path
) -> None:
    import geopandas as gpd
    from shapely.geometry import Point, box

    gdf = gpd.GeoDataFrame(
        {
            "ten_thon": ["Bản Co Mận", "Thôn Tân Lập", "Tổ dân phố 5"],
            "dan_so": [412, 530, None],
            "so_ho": [88, None, 120],
        },
        geometry=[Point(*IN_MUONG_PHANG), box(103.02, 21.31, 103.04, 21.33), Point(*IN_DIEN_BIEN_PHU)],
        crs=4326,
    )
    gdf.to_file(tmp_path / "thon.gpkg", driver="GPKG")
    result = load_villages(communes, tmp_path / "thon.gpkg")
    assert result.loaded == 3, result.messages()
    stored = communes.execute(
        text("SELECT name, kind, commune_code, population, households FROM village ORDER BY name")
    ).all()
    assert [tuple(r) for r in stored] == [
        ("Bản Co Mận", "ban", "03199", 412, 88),
        ("Thôn Tân Lập", "thon", "03202", 530, None),
        ("Tổ dân phố 5", "to_dan_pho", "03127", None, 120),
    ]
    gdf.loc[0, "dan_so"] = 420
    gdf.to_file(tmp_path / "thon2.gpkg", driver="GPKG")
    again = load_villages(communes, tmp_path / "thon2.gpkg")
    assert (again.loaded, again.updated, again.unchanged) == (0, 1, 2)


def test_a_village_file_is_audited_as_one_batch_row_and_each_change(communes: Connection, tmp_path: Path) -> None:
    header = ["Tên thôn", "Kinh độ", "Vĩ độ", "Dân số"]
    first = load_villages(communes, write_csv(tmp_path / "v1.csv", header, [["Bản 1", 103.051, 21.451, 300],
                                                                          ["Bản 2", 103.052, 21.452, 400]]))
    audit = communes.execute(text(
        "SELECT after FROM audit_log WHERE entity = 'village' AND action = 'bulk_insert'")).scalar_one()
    assert audit["batch_id"] == first.batch_id and audit["rows"] == 2 and len(audit["ids"]) == 2
    load_villages(communes, write_csv(tmp_path / "v2.csv", header, [["Bản 1", 103.051, 21.451, 320]]))
    change = communes.execute(text(
        "SELECT before->>'population', after->>'population' FROM audit_log "
        "WHERE entity = 'village' AND action = 'update'")).one()
    assert tuple(change) == ("300", "320")


def test_a_village_list_with_a_title_a_total_and_a_bad_latitude(communes: Connection, tmp_path: Path) -> None:
    """A commune's village list as typed: title rows, a total under the table, a latitude mistyped."""
    path = tmp_path / "thon.csv"
    path.write_text(
        "DANH SÁCH THÔN, BẢN NĂM 2026,,,,\r\n,,,,\r\n"
        "STT,Tên thôn/bản,Kinh độ,Vĩ độ,Số hộ\r\n"
        "1,Bản Co Mận,103.051,21.451,88\r\n"
        "2,Bản Phiêng Ban,103.052,21.45x,90\r\n"
        ",Tổng cộng,,,178\r\n",
        encoding="utf-8",
    )
    result = load_villages(communes, path)
    assert (result.loaded, result.rejected, result.skipped) == (1, 1, 1), result.messages()
    assert result.messages("reject") == [f"{path}, row 5, field 'Vĩ độ': '21.45x' is not a number; expected "
                                         "decimal degrees such as 106.7 or 105°53'12.5\"E"]
    assert [(i.row, i.reason) for i in result.issues if i.severity == "warning"] == [
        (6, "skipped: a total, not a village")]


def test_village_coordinates_in_vn2000_degrees_are_shifted_to_wgs84(communes: Connection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "v.csv", ["Tên thôn", "Kinh độ", "Vĩ độ"], [["Bản 1", 103.05, 21.45]])
    assert load_villages(communes, path, crs="EPSG:4756").loaded == 1
    lon, lat = communes.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM village")).one()
    expected = transformer_to_wgs84(4756).transform(103.05, 21.45)  # the EPSG:6960 transformation
    assert (lon, lat) == pytest.approx(expected, abs=1e-9)
    assert (lon, lat) != pytest.approx((103.05, 21.45), abs=1e-6)  # VN-2000 is not WGS 84: the shift was applied


def test_a_facility_survey_links_the_village_it_names(communes: Connection, tmp_path: Path) -> None:
    load_villages(
        communes,
        write_csv(tmp_path / "v.csv", ["Tên thôn", "Kinh độ", "Vĩ độ"], [["Bản 1", 103.051, 21.451]]),
    )
    load_facilities(
        communes, write_csv(tmp_path / "f.csv", VN_HEADERS, [vn_row(1, "F1")]), today=date(2026, 1, 1)
    )
    linked = communes.execute(
        text("SELECT v.name FROM facility f JOIN village v ON v.id = f.village_id")
    ).scalar_one()
    assert linked == "Bản 1"


def _geotiff(
    path: Path,
    *,
    west: float,
    north: float,
    crs: str = "EPSG:4326",
    nodata: float | None = -99999.0,
    cell: float = 0.01,
    size: int = 50,
) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    data = np.full((size, size), 2.5, dtype="float32")
    data[0, 0] = nodata if nodata is not None else -1
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="float32",
        crs=crs,
        transform=from_origin(west, north, cell, cell),
        nodata=nodata,
    ) as out:
        out.write(data, 1)
    return path


def test_a_population_raster_covering_the_communes_becomes_the_active_one(
    communes: Connection, tmp_path: Path
) -> None:
    first = load_population_raster(communes, _geotiff(tmp_path / "pop.tif", west=102.9, north=21.6))
    assert first.loaded == 1 and first.rejected == 0 and first.warned == 0, first.messages()
    second = load_population_raster(
        communes, _geotiff(tmp_path / "pop2.tif", west=102.9, north=21.6, nodata=None)
    )
    assert "no nodata value" in second.messages("warning")[0]
    active = communes.execute(text("SELECT path, total FROM population_raster WHERE active")).all()
    assert len(active) == 1 and active[0].path.endswith("pop2.tif")
    assert active[0].total == pytest.approx(2.5 * (50 * 50 - 1))
    assert load_population_raster(communes, tmp_path / "pop2.tif").already_loaded == second.batch_id


def test_a_raster_in_utm_that_covers_only_part_warns_and_one_elsewhere_is_refused(
    communes: Connection, tmp_path: Path
) -> None:
    from pyproj import Transformer

    east, north = Transformer.from_crs(4326, 32648, always_xy=True).transform(*IN_MUONG_PHANG)
    partial = load_population_raster(
        communes, _geotiff(tmp_path / "utm.tif", west=east, north=north, crs="EPSG:32648", cell=100, size=60)
    )
    assert "only partly" in partial.messages("warning")[0]
    with pytest.raises(LoadRefusedError, match="covers none of the loaded communes"):
        load_population_raster(communes, _geotiff(tmp_path / "far.tif", west=106.0, north=11.0))


def test_a_raster_without_crs_or_not_a_raster_is_refused(communes: Connection, tmp_path: Path) -> None:
    bad = tmp_path / "x.tif"
    bad.write_bytes(b"II*\0garbage")
    with pytest.raises(LoadRefusedError, match="not a readable raster"):
        load_population_raster(communes, bad)


def test_previews_of_villages_and_inspections_write_nothing(facilities: Connection, tmp_path: Path) -> None:
    from etl.inspections import preview_inspections
    from etl.villages import preview_villages

    villages = preview_villages(facilities, write_csv(tmp_path / "v.csv", ["Tên thôn", "Kinh độ", "Vĩ độ"],
                                                      [["Bản Phăng", 103.05, 21.45]]))
    inspections = preview_inspections(facilities, write_csv(tmp_path / "i.csv", ["Mã", "Ngày", "Tình trạng"],
                                                            [["DB-001", "20/11/2026", "Hỏng"]]))
    assert villages.loaded == 1 and inspections.loaded == 1
    assert facilities.execute(text("SELECT count(*) FROM village")).scalar_one() == 0
    assert facilities.execute(text("SELECT count(*) FROM inspection")).scalar_one() == 0
    assert _status(facilities, "DB-001") == "operational"
