"""Build the bundled Điện Biên demo in gis_data/dien_bien/ (run by maintainers; its outputs are committed).

Real parts: the 45 full-resolution 2025 communes and the province polygon (thanglequoc/vietnamese-provinces-
database, MIT) and their 2019 census population apportioned by phusong's crosswalk (needs a database where
`phusong load boundaries` (both eras) and `phusong load census` were run on ../shared/data).
DERIVED: a 100 m population GeoTIFF spread from those commune totals toward the synthetic villages.
SYNTHETIC parts, seeded and labelled as such: villages (thôn/bản), the facility survey workbook and a hotline
export of citizen reports.

    python gis_data/build_demo.py [--seed 7]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import text

from analysis.population_raster import build_and_record_population_raster
from etl.boundaries import load_boundaries
from etl.villages import load_villages
from sql.engine import connect
from sql.settings import get_settings

PROVINCE_CODE = "11"
OUT = Path(__file__).resolve().parent / "dien_bien"
SURVEY_DATE = "10/2026"

# Common village name stems in Điện Biên (Thái, Hmông, Kinh); combined with numbers they give plausible names.
VILLAGE_PREFIX = ["Bản", "Bản", "Bản", "Thôn", "Tổ dân phố"]
VILLAGE_STEMS = ["Na Sang", "Huổi Lếch", "Pá Vạt", "Nà Pen", "Co Đứa", "Púng Giắt", "Xá Nhè", "Tà Lèng",
                 "Hua Ca", "Phiêng Cang", "Nậm Ngà", "Sa Lông", "Pom Lót", "Hồng Líu", "Mường Pồn",
                 "Huổi Sông", "Pá Khoang", "Chiềng Đông", "Tin Tốc", "Nà Nhạn", "Lói", "Món", "Cang", "Phăng"]

TECHNOLOGY_VI = {"wired": "Có dây", "fm_wireless": "Không dây (FM)", "ip": "Ứng dụng CNTT-VT"}
STATUS_VI = {"operational": ["Hoạt động tốt", "Hoạt động", "Bình thường"], "degraded": ["Xuống cấp", "Hoạt động kém"],
             "broken": ["Hỏng", "Hư hỏng", "Không hoạt động"], "decommissioned": ["Đã thanh lý"],
             "planned": ["Dự kiến"]}
TYPE_VI = {"commune_radio_station": "Đài truyền thanh xã", "loudspeaker_cluster": "Cụm loa truyền thanh",
           "post_culture_point": "Điểm Bưu điện - Văn hóa xã", "cultural_house": "Nhà văn hóa thôn",
           "legal_bookcase": "Tủ sách pháp luật", "library": "Thư viện",
           "learning_centre": "Trung tâm học tập cộng đồng", "e_bulletin_board": "Bảng tin điện tử"}
HEADERS = ["STT", "Mã thiết chế", "Tên thiết chế", "Loại thiết chế", "Công nghệ", "Xã/Phường", "Thôn/Bản",
           "Kinh độ", "Vĩ độ", "Tình trạng", "Năm đưa vào sử dụng", "Số loa", "Công suất (W)", "Bán kính (m)",
           "Ghi chú"]


def copy_real_layers(shared: Path) -> gpd.GeoDataFrame:
    communes = shared / "admin_2025" / f"communes_2025_{PROVINCE_CODE}_dien_bien_fullres.geojson"
    shutil.copyfile(communes, OUT / "communes_2025.geojson")
    provinces = gpd.read_file(shared / "admin_2025" / "provinces_2025.gpkg")
    provinces[provinces["province_code"] == PROVINCE_CODE].to_file(OUT / "province_2025.geojson", driver="GeoJSON")
    return gpd.read_file(communes)


def export_population() -> pd.DataFrame:
    with connect() as conn:
        frame = pd.DataFrame(conn.execute(text(
            "SELECT code, name, round(population)::bigint AS population, population_source FROM commune "
            "WHERE province_code = :p ORDER BY code"), {"p": PROVINCE_CODE}).mappings().all())
    if frame.empty or frame["population"].isna().all():
        raise SystemExit("no population for Điện Biên in the database: run `phusong load census` first")
    frame.to_csv(OUT / "population_2019_communes_2025.csv", index=False, encoding="utf-8")
    return frame


def make_villages(communes: gpd.GeoDataFrame, population: pd.DataFrame, rng: np.random.Generator
                  ) -> gpd.GeoDataFrame:
    pop_by_code = dict(zip(population["code"], population["population"], strict=True))
    rows = []
    for commune in communes.itertuples():
        people = float(pop_by_code.get(commune.ward_code, 0) or 0)
        n = int(np.clip(round(people / 650), 4, 28))
        points = gpd.GeoSeries([commune.geometry], crs=4326).sample_points(n, rng=rng).iloc[0]
        shares = rng.dirichlet(np.full(n, 3.0))
        for i, point in enumerate(points.geoms):
            prefix = "Tổ dân phố" if commune.unit_type == "Phường" else VILLAGE_PREFIX[int(rng.integers(0, 4))]
            name = f"{prefix} {VILLAGE_STEMS[int(rng.integers(0, len(VILLAGE_STEMS)))]} {i + 1}"
            village_pop = int(people * shares[i])
            rows.append({"Mã thôn": f"{commune.ward_code}-T{i + 1:02d}", "Tên thôn/bản": name,
                         "Xã/Phường": commune.ward_name, "Dân số": village_pop,
                         "Số hộ": max(1, village_pop // 5), "geometry": point})
    return gpd.GeoDataFrame(rows, crs=4326)


def build_population_raster(out: Path) -> None:
    """Spread the communes' census totals over 100 m cells, weighted toward the villages (labelled derived).

    Runs in a transaction that is rolled back: the maintainer's database is only borrowed for the computation.
    """
    with connect() as conn:
        load_boundaries(conn, OUT / "communes_2025.geojson", version="2025", level="commune")
        load_villages(conn, OUT / "thon_ban_synthetic.geojson")
        # Mountain bản are compact: most households live within a few hundred metres of the village centre.
        build_and_record_population_raster(conn, out, province_code=PROVINCE_CODE, resolution_m=100.0,
                                           village_weight=0.95, village_radius_m=250.0)
        conn.rollback()


def make_facilities(communes: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, rng: np.random.Generator
                    ) -> list[list[object]]:
    rows: list[list[object]] = []
    utm = villages.to_crs(32648)
    for commune in communes.itertuples():
        in_commune = villages["Xã/Phường"] == commune.ward_name
        station_state = rng.choice(["operational", "operational", "operational", "degraded", "broken", None])
        technology = str(rng.choice(["fm_wireless", "fm_wireless", "wired", "ip"]))
        centre = commune.geometry.representative_point()
        # How far the commune's loudspeaker network has come: a quarter reach every village, the rest part of them.
        reach = 1.0 if rng.random() < 0.25 else float(rng.uniform(0.5, 0.95))
        if reach == 1.0:
            station_state = "operational"
        if station_state is not None:
            rows.append(_row(f"DB-{commune.ward_code}-DAI", f"Đài truyền thanh xã {commune.ward_name}",
                             "commune_radio_station", technology, commune.ward_name, "", centre.x, centre.y,
                             str(station_state), int(rng.integers(2005, 2024)), None, 100, None, rng))
        rows.append(_row(f"DB-{commune.ward_code}-BDVHX", f"Điểm BĐ-VHX {commune.ward_name}", "post_culture_point",
                         None, commune.ward_name, "", centre.x + 0.002, centre.y + 0.001, "operational",
                         int(rng.integers(1998, 2015)), None, None, None, rng))
        for k, village in enumerate(villages[in_commune].itertuples()):
            covered = rng.random() < (reach if station_state else 0.3)
            for c in range(int(rng.integers(1, 4)) if covered else 0):
                x, y = _jitter(utm.loc[village.Index].geometry, rng, 80)
                mix = ["operational"] * 14 + ["degraded"] * 3 + ["broken"] * 3 + ["decommissioned"]
                status = "operational" if reach == 1.0 else str(rng.choice(mix))  # the well-kept networks
                rows.append(_row(f"DB-{commune.ward_code}-L{k + 1:02d}{c + 1}", f"Cụm loa {village._2} {c + 1}",
                                 "loudspeaker_cluster", technology, commune.ward_name, village._2, x, y, status,
                                 int(rng.integers(2008, 2026)), int(rng.choice([2, 2, 3])), 30,
                                 None, rng))
            if rng.random() < 0.6:
                x, y = _jitter(utm.loc[village.Index].geometry, rng, 60)
                rows.append(_row(f"DB-{commune.ward_code}-NVH{k + 1:02d}", f"Nhà văn hóa {village._2}",
                                 "cultural_house", None, commune.ward_name, village._2, x, y, "operational",
                                 int(rng.integers(2000, 2025)), None, None, None, rng))
    return rows


def _jitter(point_utm: object, rng: np.random.Generator, metres: float) -> tuple[float, float]:
    moved = gpd.GeoSeries([point_utm], crs=32648).translate(*rng.normal(0, metres, 2)).to_crs(4326).iloc[0]
    return float(moved.x), float(moved.y)


def _row(code: str, name: str, kind: str, technology: str | None, commune: str, village: str, lon: float,
         lat: float, status: str, year: int, horns: int | None, watts: int | None, radius: int | None,
         rng: np.random.Generator) -> list[object]:
    lon_text: object = round(lon, 6)
    lat_text: object = round(lat, 6)
    if rng.random() < 0.15:  # typed with a decimal comma, as many commune staff do
        lon_text, lat_text = f"{lon:.6f}".replace(".", ","), f"{lat:.6f}".replace(".", ",")
    status_text = str(rng.choice(STATUS_VI[status]))
    return [None, code, name, TYPE_VI[kind], TECHNOLOGY_VI.get(technology or "", ""), commune, village,
            lon_text, lat_text, status_text, year, horns, watts, radius, ""]


def add_bad_rows(rows: list[list[object]]) -> None:
    """A few rows as they really arrive: each must be rejected or warned with a clear reason by the ETL."""
    template = list(rows[5])
    bad = [
        {1: "DB-BAD-01", 7: "", 8: "", 14: "thiếu tọa độ"},                       # missing coordinates
        {1: "DB-BAD-02", 3: "Loa kéo di động", 14: "loại không có trong danh mục"},  # unknown type
        {1: "DB-BAD-03", 10: 2031, 14: "năm lắp đặt trong tương lai"},             # future year
        {1: "DB-BAD-04", 7: 2.35, 8: 48.85, 14: "tọa độ ngoài Việt Nam"},          # outside Viet Nam
        {1: "DB-BAD-05", 9: "Chưa rõ", 14: "tình trạng không rõ"},                # unknown status
        {1: str(rows[8][1]), 14: "trùng mã với dòng trước"},                      # repeated id
        {1: "DB-SWAP-06", 7: template[8], 8: template[7], 14: "nhập nhầm kinh độ/vĩ độ"},  # swapped: a warning
    ]
    for change in bad:
        row = list(template)
        for col, value in change.items():
            row[col] = value
        rows.append(row)


FEEDBACK_TEXTS = {
    "Loa hỏng": ["Cụm loa đầu bản không phát được mấy hôm nay", "Loa bị đổ sau trận mưa to, không kêu",
                 "Loa chỉ rè rè, không nghe được tiếng"],
    "Không nghe rõ": ["Loa ở xa nhà văn hóa, bà con cuối bản không nghe rõ", "Tiếng loa nhỏ, lẫn tiếng máy xay"],
    "Sai lịch phát": ["Loa phát lúc 5 giờ sáng, sớm hơn lịch thông báo", "Chiều nay loa không phát theo lịch"],
    "Nội dung": ["Đề nghị phát thêm thông tin phòng chống sạt lở đất", "Xin phát bằng tiếng Thái cho bà con"],
    "Khác": ["Đề nghị lắp thêm loa cho điểm dân cư mới", "Cột loa nghiêng, nguy hiểm khi có gió"],
}
CHANNELS_VI = ["Đường dây nóng", "Zalo", "Cổng thông tin", "Họp dân", "Ứng dụng nguồn"]


def make_feedback(rows: list[list[object]], rng: np.random.Generator) -> pd.DataFrame:
    """Citizen reports as a hotline tool exports them: some about a named cluster, some with a GPS point."""
    clusters = [r for r in rows if r[3] == TYPE_VI["loudspeaker_cluster"] and str(r[1]).startswith("DB-0")]
    records = []
    start = pd.Timestamp("2026-08-01 07:00")
    for i in range(60):
        cluster = clusters[int(rng.integers(0, len(clusters)))]
        category = str(rng.choice(list(FEEDBACK_TEXTS), p=[0.35, 0.25, 0.15, 0.15, 0.10]))
        received = start + pd.Timedelta(hours=int(rng.integers(0, 24 * 110)))
        state = str(rng.choice(["Tiếp nhận", "Đã phân công", "Đã trả lời", "Đã đóng"], p=[0.3, 0.2, 0.2, 0.3]))
        answered = state in ("Đã trả lời", "Đã đóng")
        lon, lat = (str(cluster[7]).replace(",", "."), str(cluster[8]).replace(",", "."))
        records.append({
            "Mã phiếu": f"PA-2026-{i + 1:04d}",
            "Ngày tiếp nhận": received.strftime("%d/%m/%Y %H:%M"),
            "Kênh tiếp nhận": str(rng.choice(CHANNELS_VI, p=[0.4, 0.25, 0.1, 0.2, 0.05])),
            "Xã/Phường": cluster[5],
            "Mã thiết chế": cluster[1] if rng.random() < 0.6 else "",
            "Kinh độ": lon if rng.random() < 0.5 else "",
            "Vĩ độ": lat if rng.random() < 0.5 else "",
            "Loại phản ánh": category,
            "Nội dung": str(rng.choice(FEEDBACK_TEXTS[category])),
            "Số điện thoại": f"09{int(rng.integers(10_000_000, 99_999_999))}",
            "Trạng thái": state,
            "Trả lời": "Đã chuyển cán bộ kỹ thuật xã kiểm tra, khắc phục" if answered else "",
            "Ngày trả lời": (received + pd.Timedelta(days=int(rng.integers(1, 20)))).strftime("%d/%m/%Y")
            if answered else "",
        })
    frame = pd.DataFrame(records)
    # A report has its point or none: keep longitude and latitude together.
    frame.loc[frame["Kinh độ"] == "", "Vĩ độ"] = ""
    frame.loc[frame["Vĩ độ"] == "", "Kinh độ"] = ""
    return frame


def write_workbook(rows: list[list[object]], path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Thiết chế"
    sheet.append(["BẢNG TỔNG HỢP THIẾT CHẾ VĂN HÓA - THÔNG TIN CƠ SỞ TỈNH ĐIỆN BIÊN"])
    sheet.append([f"(Khảo sát tháng {SURVEY_DATE}. DỮ LIỆU GIẢ LẬP cho bản trình diễn phusong, "
                  "không phải số liệu thật)"])
    sheet.append([])
    sheet.append(HEADERS)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=1):
        row[0] = number
        sheet.append(row)
    notes = book.create_sheet("Hướng dẫn")
    notes.append(["Tọa độ WGS-84 (độ thập phân). Tình trạng: Hoạt động / Xuống cấp / Hỏng / Đã thanh lý."])
    book.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    OUT.mkdir(parents=True, exist_ok=True)
    communes = copy_real_layers(get_settings().shared_data)
    population = export_population()
    villages = make_villages(communes, population, rng)
    villages.to_file(OUT / "thon_ban_synthetic.geojson", driver="GeoJSON")
    build_population_raster(OUT / "population_100m_derived.tif")
    rows = make_facilities(communes, villages, rng)
    add_bad_rows(rows)
    write_workbook(rows, OUT / "khao_sat_thiet_che_2026_synthetic.xlsx")
    feedback = make_feedback(rows, rng)
    feedback.to_csv(OUT / "phan_anh_2026_synthetic.csv", index=False, encoding="utf-8-sig")
    print(f"{len(communes)} communes, {int(population['population'].sum()):,} people, {len(villages)} synthetic "
          f"villages, {len(rows)} synthetic facility rows -> {OUT}")


if __name__ == "__main__":
    main()
