"""Boundary loading rules on small files made by the tests: field detection, repairs, rejects, upsert."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon
from sqlalchemy import Connection, text

from etl.boundaries import load_boundaries, repair_polygons
from etl.errors import LoadRefusedError
from etl.names import fold_place_name, fold_text

pytestmark = pytest.mark.db

BOWTIE = Polygon([(103.0, 21.0), (103.1, 21.1), (103.1, 21.0), (103.0, 21.1), (103.0, 21.0)])  # self-crossing


def _write(tmp_path: Path, rows: list[dict[str, object]], name: str = "units.gpkg") -> Path:
    path = tmp_path / name
    gpd.GeoDataFrame(rows, crs=4326).to_file(path)
    return path


def _square(x: float, y: float, size: float = 0.05) -> Polygon:
    return Polygon([(x, y), (x + size, y), (x + size, y + size), (x, y + size)])


def test_fold_names_for_search() -> None:
    assert fold_text("Mường  Nhé") == "muong nhe"
    assert fold_place_name("Xã Mường Nhé") == "muong nhe"
    assert fold_place_name("Phường Điện Biên Phủ") == "dien bien phu"
    assert fold_place_name("Bản Lầy") == "ban lay"
    assert fold_place_name("Xa Dung") == "xa dung"  # a name, not the unit word "Xã"
    assert fold_place_name("Xã Xa Dung") == "xa dung"
    assert fold_place_name("xa Muong Nhe") == "muong nhe"  # typed without diacritics


def test_invalid_polygons_are_repaired_and_counted() -> None:
    series, repaired = repair_polygons(gpd.GeoSeries([BOWTIE, _square(103, 21)], crs=4326))
    assert repaired == 1
    assert all(g.is_valid and g.geom_type == "MultiPolygon" for g in series)


def test_custom_fields_upsert_and_rejects(db_conn: Connection, tmp_path: Path) -> None:
    rows = [
        {"MA": "90001", "TEN": "Xã Một", "TINH": "90", "geometry": _square(103.0, 21.0)},
        {"MA": "90002", "TEN": "Xã Hai", "TINH": "90", "geometry": BOWTIE},
        {"MA": "90001", "TEN": "Xã Trùng", "TINH": "90", "geometry": _square(103.2, 21.0)},
        {"MA": None, "TEN": "Xã Không Mã", "TINH": "90", "geometry": _square(103.4, 21.0)},
    ]
    path = _write(tmp_path, rows)
    result = load_boundaries(db_conn, path, version="2025", level="commune", code_field="MA", name_field="TEN",
                             parent_field="TINH")
    assert (result.inserted, result.repaired) == (2, 1)
    assert len(result.rejected) == 2
    assert "feature 3: code '90001' repeats feature 1" in result.rejected[0]
    assert "feature 4: no code" in result.rejected[1]
    stored = db_conn.execute(text("SELECT code, name_folded, parent_code, round(area_km2) FROM admin_unit "
                                  "WHERE version = '2025' AND code LIKE '9000%' ORDER BY code")).all()
    assert stored[0][:3] == ("90001", "mot", "90") and 25 < stored[0][3] < 35  # ≈ 5.2 km × 5.6 km
    rejects = db_conn.execute(text("SELECT count(*) FROM load_reject WHERE batch_id = :b"),
                              {"b": result.batch_id}).scalar_one()
    assert rejects == 2
    again = load_boundaries(db_conn, path, version="2025", level="commune", code_field="MA", name_field="TEN",
                            parent_field="TINH")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


@pytest.mark.parametrize("content,expected", [
    (b"not a gis file at all", "cannot be read"),
    (b'{"type": "FeatureCollection", "features": [', "cannot be read"),
])
def test_broken_files_are_refused_in_one_sentence(db_conn: Connection, tmp_path: Path, content: bytes,
                                                  expected: str) -> None:
    path = tmp_path / "broken.geojson"
    path.write_bytes(content)
    with pytest.raises(LoadRefusedError, match=expected):
        load_boundaries(db_conn, path, version="2025", level="commune")


def test_points_are_not_boundaries(db_conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "points.geojson"
    gpd.GeoDataFrame({"ward_code": ["1"], "ward_name": ["A"]},
                     geometry=gpd.points_from_xy([103.0], [21.0]), crs=4326).to_file(path)
    with pytest.raises(LoadRefusedError, match="must be polygons"):
        load_boundaries(db_conn, path, version="2025")
