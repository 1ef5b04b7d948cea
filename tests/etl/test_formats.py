"""Real-looking files of every shape: Kobo and ODK exports, VN-2000 grids, encodings, GIS files, archives."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from pyproj import Transformer
from sqlalchemy import Connection, text

from etl.errors import LoadRefusedError
from etl.facilities import load_facilities
from etl.readers import read_table
from tests.etl.conftest import IN_DIEN_BIEN_PHU, IN_MUONG_PHANG, IN_THANH_NUA, VN_HEADERS, vn_row, write_csv

pytestmark = pytest.mark.db
TODAY = date(2026, 11, 26)


def _load(conn: Connection, path: Path, tmp_path: Path, **options: object):  # type: ignore[no-untyped-def]
    return load_facilities(conn, path, report_dir=tmp_path / "out", today=TODAY, **options)


def _stored(conn: Connection) -> list[tuple[object, ...]]:
    return [
        tuple(r)
        for r in conn.execute(
            text(
                "SELECT external_id, type, status, commune_code, round(ST_X(geom)::numeric, 5)::float, "
                "round(ST_Y(geom)::numeric, 5)::float FROM facility ORDER BY external_id"
            )
        )
    ]


def test_a_kobo_csv_export_with_groups_choice_names_and_split_geopoint(
    communes: Connection, tmp_path: Path
) -> None:
    header = [
        "start",
        "end",
        "thong_tin/ma_thiet_che",
        "thong_tin/loai_thiet_che",
        "thong_tin/cong_nghe",
        "thong_tin/tinh_trang",
        "vi_tri",
        "_vi_tri_latitude",
        "_vi_tri_longitude",
        "_vi_tri_altitude",
        "_vi_tri_precision",
        "_id",
        "_uuid",
        "_submission_time",
        "_submitted_by",
    ]
    rows = [
        [
            "2026-11-20T08:01:00.000+07:00",
            "2026-11-20T08:09:00.000+07:00",
            "KB-1",
            "cum_loa",
            "khong_day",
            "hoat_dong",
            f"{IN_MUONG_PHANG[1]} {IN_MUONG_PHANG[0]} 512 4.5",
            IN_MUONG_PHANG[1],
            IN_MUONG_PHANG[0],
            512,
            4.5,
            101,
            "6c1a1d6e-7a55-4d0a-9a7e-0c1b6e9a0f11",
            "2026-11-20T01:10:00",
            "can_bo_xa",
        ],
        [
            "2026-11-20T09:01:00.000+07:00",
            "2026-11-20T09:05:00.000+07:00",
            "KB-2",
            "nha_van_hoa",
            "",
            "hu_hong",
            f"{IN_THANH_NUA[1]} {IN_THANH_NUA[0]} 480 3.9",
            IN_THANH_NUA[1],
            IN_THANH_NUA[0],
            480,
            3.9,
            102,
            "0b9f0e56-3a3c-4a57-8c51-2a8d1c0e7b22",
            "2026-11-20T02:06:00",
            "can_bo_xa",
        ],
    ]
    path = write_csv(tmp_path / "kobo_export.csv", header, rows, delimiter=";")
    result = _load(communes, path, tmp_path)
    assert result.loaded == 2, result.messages()
    assert _stored(communes) == [
        ("KB-1", "loudspeaker_cluster", "operational", "03199", *IN_MUONG_PHANG),
        ("KB-2", "cultural_house", "broken", "03202", *IN_THANH_NUA),
    ]


def test_a_kobo_export_with_only_the_geopoint_string(communes: Connection, tmp_path: Path) -> None:
    header = ["ma", "loai", "tinh_trang", "grp/gps", "_uuid"]
    rows = [
        ["K1", "dai_truyen_thanh_xa", "binh_thuong", f"{IN_DIEN_BIEN_PHU[1]} {IN_DIEN_BIEN_PHU[0]} 0 0", "u1"]
    ]
    result = _load(communes, write_csv(tmp_path / "kobo2.csv", header, rows, delimiter=";"), tmp_path)
    assert _stored(communes) == [("K1", "commune_radio_station", "operational", "03127", *IN_DIEN_BIEN_PHU)]
    assert result.rejected == 0


def test_an_odk_central_export(communes: Connection, tmp_path: Path) -> None:
    header = [
        "SubmissionDate",
        "start",
        "end",
        "thiet_che-ma",
        "thiet_che-loai",
        "thiet_che-tinh_trang",
        "vi_tri-Latitude",
        "vi_tri-Longitude",
        "vi_tri-Altitude",
        "vi_tri-Accuracy",
        "meta-instanceID",
        "KEY",
        "SubmitterID",
        "SubmitterName",
        "AttachmentsPresent",
        "AttachmentsExpected",
        "Status",
        "ReviewState",
        "DeviceID",
        "Edits",
        "FormVersion",
    ]
    rows = [
        [
            "2026-11-21T03:00:00.000Z",
            "",
            "",
            "OD-1",
            "cum_loa_truyen_thanh",
            "xuong_cap",
            IN_MUONG_PHANG[1],
            IN_MUONG_PHANG[0],
            500,
            5,
            "uuid:1111",
            "uuid:1111",
            7,
            "lan",
            0,
            0,
            "",
            "",
            "",
            0,
            "2026112001",
        ]
    ]
    result = _load(communes, write_csv(tmp_path / "odk.csv", header, rows), tmp_path)
    assert result.loaded == 1, result.messages()
    assert _stored(communes) == [("OD-1", "loudspeaker_cluster", "degraded", "03199", *IN_MUONG_PHANG)]


def _vn2000(lon: float, lat: float, epsg: int = 9205) -> tuple[float, float]:
    """(X northing, Y easting) of a WGS 84 point in a VN-2000 zone, through EPSG:6960."""
    from etl.coords import transformer_to_wgs84

    easting, northing = transformer_to_wgs84(epsg).transform(lon, lat, direction="INVERSE")
    return round(northing, 3), round(easting, 3)


def test_a_vn2000_file_loads_with_crs_through_epsg_6960(communes: Connection, tmp_path: Path) -> None:
    x, y = _vn2000(*IN_MUONG_PHANG)
    assert 2_300_000 < x < 2_400_000 and 400_000 < y < 600_000  # X is the northing
    header = ["Mã", "Loại thiết chế", "Xã", "X (m)", "Y (m)"]
    path = write_csv(tmp_path / "vn2000.csv", header, [["V1", "Cụm loa", "Mường Phăng", x, y]])
    result = _load(communes, path, tmp_path, crs="EPSG:9205")
    assert result.loaded == 1, result.messages()
    assert _stored(communes)[0][4:] == IN_MUONG_PHANG
    assert communes.execute(text("SELECT source_crs FROM facility")).scalar_one() == "EPSG:9205"
    # the datum shift matters: without it the point would be ~225 m away (DOMAIN.md §5.4)
    naive = Transformer.from_crs(
        "+proj=tmerc +lon_0=103 +k=0.9999 +x_0=500000 +ellps=WGS84", 4326, always_xy=True
    )
    lon, lat = naive.transform(y, x)
    assert abs(lon - IN_MUONG_PHANG[0]) + abs(lat - IN_MUONG_PHANG[1]) > 0.001


def test_projected_coordinates_without_crs_are_refused_naming_likely_zones(
    communes: Connection, tmp_path: Path
) -> None:
    x, y = _vn2000(*IN_MUONG_PHANG)
    path = write_csv(
        tmp_path / "nocrs.csv", ["Mã", "Loại", "Xã", "X", "Y"], [["V1", "Cụm loa", "Mường Phăng", x, y]]
    )
    with pytest.raises(LoadRefusedError, match=r"EPSG:9205.*--crs"):
        _load(communes, path, tmp_path)
    assert communes.execute(text("SELECT count(*) FROM load_batch")).scalar_one() == 0


def _vn2000_geojson(path: Path) -> Path:
    """A GeoJSON of VN-2000 metres (GIS order: easting, northing) that says nothing of its CRS, as exported by a
    tool that drops the "crs" member (RFC 7946 readers then take it for WGS 84 degrees)."""
    x, y = _vn2000(*IN_MUONG_PHANG)
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [y, x]},
               "properties": {"ma": "G1", "loai": "Cụm loa truyền thanh", "tinh_trang": "Hoạt động"}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    return path


def test_a_geojson_of_metres_without_a_crs_is_refused_as_a_whole(communes: Connection, tmp_path: Path) -> None:
    path = _vn2000_geojson(tmp_path / "vn2000.geojson")
    with pytest.raises(LoadRefusedError, match=r"look projected.*EPSG:9205.*--crs"):
        _load(communes, path, tmp_path)
    assert communes.execute(text("SELECT count(*) FROM load_batch")).scalar_one() == 0


def test_the_same_file_with_another_crs_is_read_anew(communes: Connection, tmp_path: Path) -> None:
    path = _vn2000_geojson(tmp_path / "vn2000.geojson")
    first = _load(communes, path, tmp_path, crs="EPSG:3406")  # the wrong zone: 6° east, in no loaded commune
    assert (first.loaded, first.rejected) == (0, 1), first.messages()
    again = _load(communes, path, tmp_path, crs="EPSG:3406")
    assert again.already_loaded == first.batch_id
    fixed = _load(communes, path, tmp_path, crs="EPSG:9205")
    assert fixed.already_loaded is None and fixed.loaded == 1, fixed.messages()
    assert _stored(communes)[0][4:] == IN_MUONG_PHANG


def test_the_same_file_with_another_mapping_is_read_anew(communes: Connection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "loa.csv", ["Mã", "Loại", "Kinh độ", "Vĩ độ"],
                     [["M1", "Loa kéo tay", *IN_MUONG_PHANG]])
    unknown = _load(communes, path, tmp_path)
    assert unknown.rejected == 1, unknown.messages()
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("types:\n  loudspeaker_cluster: [Loa kéo tay]\n", encoding="utf-8")
    known = _load(communes, path, tmp_path, mapping=mapping)
    assert known.already_loaded is None and known.loaded == 1, known.messages()
    assert _load(communes, path, tmp_path, mapping=mapping).already_loaded == known.batch_id


def test_xy_given_the_gis_way_round_is_read_with_a_warning(communes: Connection, tmp_path: Path) -> None:
    x, y = _vn2000(*IN_MUONG_PHANG)
    path = write_csv(tmp_path / "xy.csv", ["Mã", "Loại", "X", "Y"], [["V1", "Cụm loa", y, x]])
    result = _load(communes, path, tmp_path, crs="9205")
    assert result.loaded == 1 and result.warned == 1
    assert "X is the northing" in result.messages("warning")[0]


@pytest.mark.parametrize("encoding,delimiter", [("utf-8-sig", ","), ("utf-16", "\t"), ("utf-8", "\t")])
def test_csv_encodings_and_delimiters(
    communes: Connection, tmp_path: Path, encoding: str, delimiter: str
) -> None:
    path = write_csv(
        tmp_path / "e.csv",
        VN_HEADERS,
        [vn_row(1, "E1", commune="Xã Mường Phăng")],
        delimiter=delimiter,
        encoding=encoding,
    )
    result = _load(communes, path, tmp_path)
    assert result.loaded == 1 and result.warned == 0, result.messages()


def _cp1258(content: str) -> bytes:
    """Encode as legacy Windows-1258: precomposed vowels where it has them, tones combining."""
    import unicodedata

    out = b""
    for char in content:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", char)
        for i, tone in enumerate(marks):
            rest = "".join(m for j, m in enumerate(marks) if j != i)
            try:
                out += (unicodedata.normalize("NFC", base + rest) + tone).encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            raise AssertionError(char)
    return out


def test_cp1258_is_refused_unless_asked_for(communes: Connection, tmp_path: Path) -> None:

    path = tmp_path / "legacy.csv"
    content = "Mã,Loại thiết chế,Xã,Kinh độ,Vĩ độ\nL1,Nhà văn hóa,Xã Mường Phăng,103.05,21.45\n"
    path.write_bytes(_cp1258(content))
    with pytest.raises(LoadRefusedError, match="--encoding cp1258"):
        _load(communes, path, tmp_path)
    result = _load(communes, path, tmp_path, encoding="cp1258")
    assert result.loaded == 1 and result.warned == 0, result.messages()
    assert communes.execute(text("SELECT type FROM facility")).scalar_one() == "cultural_house"


def test_geojson_and_geopackage_points_load(communes: Connection, tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame(
        {"ma": ["G1", "G2"], "loai": ["Thư viện", "Tủ sách pháp luật"]},
        geometry=[Point(*IN_MUONG_PHANG), Point(*IN_THANH_NUA)],
        crs=4326,
    )
    gdf.to_file(tmp_path / "f.geojson", driver="GeoJSON")
    assert _load(communes, tmp_path / "f.geojson", tmp_path).loaded == 2
    gdf.assign(ma=["G3", "G4"]).to_crs(9205).to_file(tmp_path / "f.gpkg", driver="GPKG")
    result = _load(communes, tmp_path / "f.gpkg", tmp_path)
    assert result.loaded == 2, result.messages()
    assert [s[4:] for s in _stored(communes)[2:]] == [IN_MUONG_PHANG, IN_THANH_NUA]


def test_a_geojson_of_points_one_multipoint_and_one_without_geometry(communes: Connection, tmp_path: Path) -> None:
    """Numbers come as GIS numbers (2.0 is '2'), a multi-point of one point is its point, a feature without a
    geometry is rejected by its feature number."""
    features = [
        {"type": "Feature", "properties": {"ma": "J1", "loai": "Cụm loa truyền thanh", "so_loa": 2.0},
         "geometry": {"type": "Point", "coordinates": list(IN_MUONG_PHANG)}},
        {"type": "Feature", "properties": {"ma": "J2", "loai": "Cụm loa truyền thanh", "so_loa": None},
         "geometry": {"type": "MultiPoint", "coordinates": [list(IN_THANH_NUA)]}},
        {"type": "Feature", "properties": {"ma": "J3", "loai": "Cụm loa truyền thanh", "so_loa": 3.0},
         "geometry": None},
    ]
    path = tmp_path / "j.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    result = _load(communes, path, tmp_path)
    assert (result.loaded, result.rejected) == (2, 1), result.messages()
    assert result.messages("reject") == [f"{path}, row 3, field 'geometry': '' has no coordinates"]
    stored = communes.execute(text(
        "SELECT external_id, n_horns, round(ST_X(geom)::numeric, 5)::float, round(ST_Y(geom)::numeric, 5)::float "
        "FROM facility ORDER BY external_id")).all()
    assert [tuple(r) for r in stored] == [("J1", 2, *IN_MUONG_PHANG), ("J2", None, *IN_THANH_NUA)]


def test_polygons_are_the_wrong_geometry_type_for_facilities(communes: Connection, tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    gpd.GeoDataFrame({"loai": ["Thư viện"]}, geometry=[box(103, 21.4, 103.1, 21.5)], crs=4326).to_file(
        tmp_path / "poly.geojson", driver="GeoJSON"
    )
    with pytest.raises(LoadRefusedError, match="must be points"):
        _load(communes, tmp_path / "poly.geojson", tmp_path)


def test_a_zipped_shapefile_loads(communes: Connection, tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    gpd.GeoDataFrame(
        {"ma": ["Z1"], "loai": ["Cum loa"]}, geometry=[Point(*IN_MUONG_PHANG)], crs=4326
    ).to_file(shp_dir / "thiet_che.shp")
    archive = tmp_path / "thiet_che.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for part in shp_dir.iterdir():
            handle.write(part, part.name)
    assert _load(communes, archive, tmp_path).loaded == 1


def test_a_geopackage_of_several_layers_reads_its_points_or_the_layer_named(communes: Connection,
                                                                            tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point, box

    path = tmp_path / "du_lieu.gpkg"
    gpd.GeoDataFrame({"ten_xa": ["Mường Phăng"]}, geometry=[box(103.0, 21.4, 103.1, 21.5)],
                     crs=4326).to_file(path, layer="xa", driver="GPKG")
    gpd.GeoDataFrame({"ma": ["G1"], "loai": ["Nhà văn hóa"]}, geometry=[Point(*IN_MUONG_PHANG)],
                     crs=4326).to_file(path, layer="thiet_che", driver="GPKG")
    assert _load(communes, path, tmp_path).loaded == 1  # the communes' layer comes first; the points are read
    assert read_table(path, sheet="xa").headers == ["ten_xa"]
    with pytest.raises(LoadRefusedError, match="has no layer 'loa'; its layers are xa, thiet_che"):
        read_table(path, sheet="loa")


def test_a_google_earth_kml_loads_its_placemarks(communes: Connection, tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp_path / "diem_loa.kml"
    gpd.GeoDataFrame({"Name": ["Cụm loa bản Phăng"], "ma": ["K1"], "loai": ["Cụm loa truyền thanh"]},
                     geometry=[Point(*IN_MUONG_PHANG)], crs=4326).to_file(path, driver="LIBKML")
    result = _load(communes, path, tmp_path)
    assert result.loaded == 1, result.messages()
    assert _stored(communes) == [("K1", "loudspeaker_cluster", "operational", "03199", *IN_MUONG_PHANG)]
    assert communes.execute(text("SELECT name FROM facility")).scalar_one() == "Cụm loa bản Phăng"


def test_an_odk_central_download_loads_its_forms_table(communes: Connection, tmp_path: Path) -> None:
    """ODK Central's "all data" ZIP: <form>.csv, one <form>-<repeat>.csv per repeat group, and the media."""
    form = ("SubmissionDate,thong_tin-ma,thong_tin-loai,vi_tri-Latitude,vi_tri-Longitude,meta-instanceID,KEY\n"
            f"2026-11-20T03:00:00.000Z,OZ-1,cum_loa,{IN_MUONG_PHANG[1]},{IN_MUONG_PHANG[0]},uuid:z1,uuid:z1\n")
    archive = tmp_path / "khao_sat.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("khao_sat.csv", form)
        handle.writestr("khao_sat-loa.csv", "PARENT_KEY,KEY,loa-cong_suat\nuuid:z1,uuid:z1/loa[1],30\n")
        handle.writestr("media/anh_1.jpg", b"\xff\xd8\xff")
    result = _load(communes, archive, tmp_path)
    assert result.loaded == 1, result.messages()
    assert _stored(communes) == [("OZ-1", "loudspeaker_cluster", "operational", "03199", *IN_MUONG_PHANG)]
    assert "khao_sat.csv from the archive; not read: khao_sat-loa.csv" in read_table(archive).notes


def test_an_archive_without_a_table_or_a_broken_one_is_refused_by_its_name(tmp_path: Path) -> None:
    photos = tmp_path / "anh.zip"
    with zipfile.ZipFile(photos, "w") as handle:
        handle.writestr("media/anh_1.jpg", b"\xff\xd8\xff")
    with pytest.raises(LoadRefusedError, match="holds no .shp or .csv file"):
        read_table(photos)
    legacy = tmp_path / "cu.zip"
    with zipfile.ZipFile(legacy, "w") as handle:
        handle.writestr("bang.csv", b"Ma,Loai\nA1,Nh\xe0 v\xe3n h\xf3a\n")  # cp1258 bytes, not UTF-8
    with pytest.raises(LoadRefusedError, match=r"cu\.zip \(bang\.csv\): is not UTF-8.*--encoding cp1258"):
        read_table(legacy)


@pytest.mark.parametrize(
    "name,content,match",
    [
        ("../evil.shp", b"x", "points outside the archive"),
        ("/etc/evil.shp", b"x", "points outside the archive"),
        ("bomb.shp", b"\0" * 5_000_000, "inflates"),
    ],
)
def test_unsafe_archives_are_refused_before_unpacking(
    tmp_path: Path, name: str, content: bytes, match: str
) -> None:
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr(name, content)
    with pytest.raises(LoadRefusedError, match=match):
        read_table(archive)


@pytest.mark.parametrize(
    "name,content,match",
    [
        ("empty.csv", b"", "empty"),
        ("header.csv", "Mã,Loại,Kinh độ,Vĩ độ\n".encode(), "no data rows"),
        ("broken.geojson", b'{"type": "FeatureCollection", "features": [', "not valid JSON"),
        ("fake.xlsx", b"PK not really a workbook", "not an Excel"),
        ("binary.csv", bytes(range(256)) * 4, "not UTF-8|binary"),
    ],
)
def test_unreadable_files_are_refused_in_one_sentence(
    tmp_path: Path, name: str, content: bytes, match: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadRefusedError, match=match) as caught:
        read_table(path)
    assert "\n" not in str(caught.value)


def test_the_data_sheet_is_picked_or_named(tmp_path: Path) -> None:
    from tests.etl.conftest import write_workbook

    path = write_workbook(tmp_path / "wb.xlsx", VN_HEADERS, [vn_row(1, "A")])
    table = read_table(path)
    assert table.sheet == "Thiết chế" and table.headers[:3] == ["STT", "Mã thiết chế", "Tên thiết chế"]
    assert table.rows[0][0] == 4  # two title rows, the header on row 3, the first facility on row 4
    with pytest.raises(LoadRefusedError, match="has no sheet 'Sheet9'"):
        read_table(path, sheet="Sheet9")


def test_geojson_is_json(tmp_path: Path) -> None:
    path = tmp_path / "a.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(LoadRefusedError):
        read_table(path)


def test_files_over_500_mb_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import etl.limits

    path = write_csv(tmp_path / "big.csv", VN_HEADERS, [vn_row(1, "A")])
    monkeypatch.setattr(etl.limits, "MAX_FILE_BYTES", 100)   # the real limit is 500 MB
    with pytest.raises(LoadRefusedError, match=r"big.csv: 0 MB is over the 0 MB limit; split the file"):
        read_table(path)


def test_a_kobo_xlsx_export(communes: Connection, tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "khao_sat_thiet_che"
    sheet.append(["start", "end", "thong_tin/ma", "thong_tin/loai", "thong_tin/so_loa", "_vi_tri_latitude",
                  "_vi_tri_longitude", "_id", "_uuid", "_submission_time", "_index"])
    sheet.append(["2026-11-20T08:01:00", "2026-11-20T08:09:00", "KX-1", "cum_loa", 2, IN_MUONG_PHANG[1],
                  IN_MUONG_PHANG[0], 11, "e1", "2026-11-20T01:10:00", 1])
    workbook.save(tmp_path / "kobo.xlsx")
    result = _load(communes, tmp_path / "kobo.xlsx", tmp_path)
    assert result.loaded == 1, result.messages()
    assert _stored(communes) == [("KX-1", "loudspeaker_cluster", "operational", "03199", *IN_MUONG_PHANG)]


def test_lines_are_the_wrong_geometry_type_for_villages(communes: Connection, tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import LineString

    from etl.villages import load_villages

    line = LineString([(103.0, 21.4), (103.1, 21.5)])
    gpd.GeoDataFrame({"name": ["Suối"]}, geometry=[line], crs=4326).to_file(tmp_path / "line.geojson")
    with pytest.raises(LoadRefusedError, match="villages are points or polygons"):
        load_villages(communes, tmp_path / "line.geojson")


def test_vn2000_geographic_degrees_are_shifted_to_wgs84(communes: Connection, tmp_path: Path) -> None:
    from etl.coords import transformer_to_wgs84

    lon, lat = transformer_to_wgs84(4756).transform(*IN_MUONG_PHANG, direction="INVERSE")
    assert abs(lon - IN_MUONG_PHANG[0]) > 1e-4   # the datum shift is real (~200 m here)
    path = write_csv(tmp_path / "g4756.csv", ["Mã", "Loại", "Kinh độ", "Vĩ độ"],
                     [["G", "Thư viện", lon, lat]])
    assert _load(communes, path, tmp_path, crs="EPSG:4756").loaded == 1
    assert _stored(communes)[0][4:] == IN_MUONG_PHANG


def test_swapped_lat_lon_confirmed_by_the_declared_province(communes: Connection, tmp_path: Path) -> None:
    lon, lat = IN_DIEN_BIEN_PHU
    path = write_csv(tmp_path / "p.csv", ["Mã", "Loại", "Tỉnh", "Kinh độ", "Vĩ độ"],
                     [["P1", "Cụm loa", "Điện Biên", lat, lon], ["P2", "Cụm loa", "Lai Châu", lat, lon]])
    result = _load(communes, path, tmp_path)
    assert (result.loaded, result.rejected) == (1, 1), result.messages()
    assert _stored(communes)[0][:1] == ("P1",)


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them(communes: Connection, tmp_path: Path) -> None:
    """A note over two lines is one row, an empty line is a row: the reject report names the row Excel shows."""
    path = tmp_path / "rows.csv"
    path.write_text(
        "Mã,Tên,Loại thiết chế,Kinh độ,Vĩ độ,Tình trạng,Ghi chú\r\n"
        'A1,Cụm 1,Cụm loa truyền thanh,103.05,21.45,Hoạt động,"loa 1 hỏng\r\nloa 2 tốt"\r\n'
        "\r\n"
        "A2,Cụm 2,Cụm loa truyền thanh,103.05,21.451,Hỏng tùm lum,\r\n"
        ",,,,,,\r\n"
        "A3,Cụm 3,Cụm loa truyền thanh,103.05,21.452,Hoạt động,\r\n",
        encoding="utf-8",
    )
    result = _load(communes, path, tmp_path)
    assert (result.loaded, result.rejected) == (2, 1), result.messages()
    assert result.messages() == [f"{path}, row 4, field 'Tình trạng': 'Hỏng tùm lum' is not a known status "
                                 "(Hoạt động, Xuống cấp, Hư hỏng, Đã thanh lý, Dự kiến)"]
    assert communes.execute(text("SELECT note FROM facility WHERE external_id = 'A1'")).scalar_one() == \
        "loa 1 hỏng\r\nloa 2 tốt"


def test_a_csv_saved_from_a_sheet_with_title_rows_finds_its_header(communes: Connection, tmp_path: Path) -> None:
    path = tmp_path / "title.csv"
    path.write_text(
        "BẢNG TỔNG HỢP THIẾT CHẾ VĂN HÓA - THÔNG TIN CƠ SỞ,,,,,,\r\n"
        "Xã Mường Phăng - tháng 11/2026,,,,,,\r\n"
        ",,,,,,\r\n"
        "STT,Mã,Tên,Loại thiết chế,Kinh độ,Vĩ độ,Tình trạng\r\n"
        "1,T1,Cụm 1,Cụm loa truyền thanh,103.05,21.45,Hoạt động\r\n"
        "2,T2,Cụm 2,Cụm loa truyền thanh,103.05,21.451,Hỏng tùm lum\r\n",
        encoding="utf-8",
    )
    result = _load(communes, path, tmp_path)
    assert (result.loaded, result.rejected) == (1, 1), result.messages()
    assert "header found on row 4" in result.notes
    assert result.messages()[0].startswith(f"{path}, row 6, field 'Tình trạng': 'Hỏng tùm lum'")


def test_excel_unicode_text_with_a_two_line_header_and_a_total_in_the_id_column(
    communes: Connection, tmp_path: Path
) -> None:
    """What Excel's "Unicode text" gives for a form: UTF-16 with tabs, a title row, header cells typed over two
    lines (Alt+Enter), and "Tổng cộng" merged over the first columns under the table."""
    lines = ["DANH SÁCH CỤM LOA TRUYỀN THANH\t\t\t\t",
             'Mã cụm loa\tLoại thiết chế\t"Kinh độ\n(độ)"\t"Vĩ độ\n(độ)"\tTình trạng',
             "ML-1\tCụm loa truyền thanh\t103.05\t21.45\tHoạt động",
             "ML-2\tCụm loa truyền thanh\tabc\t21.451\tHoạt động",
             "Tổng cộng\t\t\t\t"]
    path = tmp_path / "form.txt"
    path.write_bytes(b"\xff\xfe" + "\r\n".join(lines).encode("utf-16-le"))
    result = _load(communes, path, tmp_path)
    assert (result.loaded, result.rejected, result.skipped) == (1, 1, 1), result.messages()
    assert result.messages("reject") == [f"{path}, row 4, field 'Kinh độ (độ)': 'abc' is not a number; expected "
                                         "decimal degrees such as 106.7 or 105°53'12.5\"E"]
    assert [(i.row, i.severity) for i in result.issues if "skipped" in i.reason] == [(5, "warning")]


def test_plain_longitudes_beside_a_comma_latitude(communes: Connection, tmp_path: Path) -> None:
    """One latitude typed with a decimal comma among plain decimals: that row is read on its own, the rest at once."""
    rows = [vn_row(1, "P1"), vn_row(2, "P2", lonlat=("103.05", "21,451")), vn_row(3, "P3", lonlat=("103.05", "nan"))]
    result = _load(communes, write_csv(tmp_path / "p.csv", VN_HEADERS, rows), tmp_path)
    assert (result.loaded, result.rejected) == (2, 1), result.messages()
    assert "row 4, field 'Vĩ độ': 'nan' is not a finite number" in result.messages("reject")[0]
