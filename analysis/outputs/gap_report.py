"""The gap-analysis report for budget staff: one workbook (Tổng hợp, Theo xã, Theo tỉnh, Phương án, Dự toán,
Tham số) and one PDF (map with commune labels, scale bar and north arrow; summary; communes by priority; the plan;
a short "Phương pháp và tham số" section in Vietnamese). Both say what their figures are as of ("số liệu tính
đến …", Viet Nam time). Tables are typed by the one writer (sql/table_writer.py); the PDF by outputs/pdf.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from analysis.outputs.catalogue import ACTION_LABELS, CLASS_LABELS, PLAN_CATALOGUE
from analysis.outputs.gaps import as_of, as_of_text, gap_table, readable
from analysis.outputs.pdf import Document, map_png
from analysis.outputs.plans import cost_table
from analysis.palette import CLASS_COLOURS, NO_DATA_COLOUR
from sql.table_writer import VIETNAM_TZ, Column, Table, columns_for, phusong_version, write_workbook

CLASSES = ("unserved", "underserved", "served")
PROVINCE_COLUMNS = [
    Column("province_code", "Mã tỉnh", "Province code", "code"), Column("province_name", "Tỉnh", "Province"),
    Column("communes", "Số xã", "Communes", "int"), Column("pop_total", "Dân số", "Population", "people"),
    Column("pop_covered", "Dân số được phủ sóng", "People covered", "people"),
    Column("pop_covered_share", "Tỷ lệ dân số được phủ sóng", "Share covered", "share"),
    Column("villages_total", "Số thôn", "Villages", "int"), Column("villages_reached", "Thôn có loa", "Reached", "int"),
    Column("ntm_8_3_passed", "Số xã đạt tiêu chí 8.3", "Communes passing 8.3", "int"),
    *(Column(k, CLASS_LABELS[k][0], CLASS_LABELS[k][1], "int") for k in CLASSES)]
METHOD_VI = (
    "Vùng phủ sóng của mỗi cụm loa là một vòng tròn quanh cụm (bán kính theo công nghệ, hoặc bán kính đo được "
    "khi khảo sát); chỉ cụm loa đang hoạt động được tính. Dân số được phủ sóng là số dân sống trong vùng phủ sóng "
    "(theo lưới dân số, hoặc chia đều theo diện tích khi không có lưới). Thôn có loa là thôn nằm trong vùng phủ "
    "sóng của ít nhất một cụm loa. Một xã được phân loại theo bộ tiêu chí ghi dưới đây (tiêu chí 8.3: mọi thôn "
    "có loa). Điểm ưu tiên là tổng có trọng số của số dân và tỷ lệ dân chưa được phủ sóng, tỷ lệ thôn chưa có loa "
    "và việc không có đài hoạt động; đó là thứ tự gợi ý để xem xét, không phải phương án đầu tư.")


def provinces_table(gaps: pd.DataFrame) -> pd.DataFrame:
    """Totals per province: communes by class, people and villages reached, communes passing 8.3."""
    grouped = gaps.groupby(["province_code", "province_name"], dropna=False)
    table = grouped.agg(communes=("commune_code", "count"), pop_total=("pop_total", "sum"),
                        pop_covered=("pop_covered", "sum"), villages_total=("villages_total", "sum"),
                        villages_reached=("villages_reached", "sum"), ntm_8_3_passed=("ntm_8_3", "sum")).reset_index()
    table["pop_covered_share"] = table["pop_covered"] / table["pop_total"].where(table["pop_total"] > 0)
    counts = gaps.groupby(["province_code", "province_name"], dropna=False)["class"].value_counts().unstack(
        fill_value=0)
    for cls in CLASSES:
        table[cls] = [int(counts.loc[(p, n), cls]) if cls in counts.columns else 0
                      for p, n in zip(table["province_code"], table["province_name"], strict=True)]
    return table


def summary_table(gaps: pd.DataFrame, actions: pd.DataFrame) -> Table:
    """The figures a reader wants first, as numbers (people, shares, counts, VND)."""
    total, covered = float(gaps["pop_total"].sum()), float(gaps["pop_covered"].sum())
    rows: list[tuple[str, Any, str]] = [("Số xã", len(gaps), "int"), ("Dân số", total, "int"),
                                        ("Dân số được phủ sóng", covered, "int"),
                                        ("Tỷ lệ dân số được phủ sóng", covered / total if total else None, "share")]
    counts = gaps["class"].value_counts()
    rows += [(f"Số xã {CLASS_LABELS[c][0].lower()}", int(counts.get(c, 0)), "int") for c in CLASSES]
    rows.append(("Số xã đạt tiêu chí 8.3", int(gaps["ntm_8_3"].astype(bool).sum()), "int"))
    if len(actions):
        rows += [("Phương án: số hạng mục", len(actions), "int"),
                 ("Phương án: chi phí (đồng)", round(float(actions["cost_vnd"].sum()) / 1000) * 1000, "int"),
                 ("Phương án: số dân được phủ sóng thêm", float(actions["added_population"].sum()), "int")]
    frame = pd.DataFrame({"what": [r[0] for r in rows],
                          "number": [r[1] if r[2] == "int" else None for r in rows],
                          "share": [r[1] if r[2] == "share" else None for r in rows]})
    return Table("Tổng hợp", "Summary", [Column("what", "Chỉ tiêu", "Figure"),
                                         Column("number", "Số lượng", "Number", "people"),
                                         Column("share", "Tỷ lệ", "Share", "share")], frame)


def write_report_xlsx(path: Path, gaps: gpd.GeoDataFrame, actions: pd.DataFrame,
                      metadata: Sequence[tuple[str, Any]], *, lang: str = "vi") -> Path:
    """One workbook: Tổng hợp, Theo xã, Theo tỉnh, Phương án and Dự toán (with a plan), Tham số."""
    provinces = provinces_table(gaps)
    sheets = [summary_table(gaps, actions), gap_table(gaps, lang),
              Table("Theo tỉnh", "By province", PROVINCE_COLUMNS, provinces)]
    if len(actions):
        sheets += [Table("Phương án", "Plan", columns_for(actions, PLAN_CATALOGUE), actions),
                   cost_table(actions, lang)]
    write_workbook(path, sheets, metadata, lang=lang)
    return path


def write_report_pdf(path: Path, gaps: gpd.GeoDataFrame, actions: pd.DataFrame, *, title: str,
                     metadata: Sequence[tuple[str, Any]]) -> Path:
    """A PDF: the map with labels, scale bar and north arrow; the summary; communes by priority; the plan; the
    method and parameters in plain Vietnamese. Every page's footer says the data date and phusong's version."""
    today = datetime.now(VIETNAM_TZ).strftime("%d/%m/%Y")
    stamp = as_of_text(as_of(gaps))
    pdf = Document(title, f"{title} · số liệu tính đến {stamp} · lập ngày {today} · phusong {phusong_version()}",
                   subject="Phân tích khoảng trống phủ sóng hệ thống thông tin cơ sở",
                   keywords="phủ sóng; truyền thanh cơ sở; tiêu chí 8.3; phusong")
    pdf.add_page()
    pdf.title_block(title, f"Số liệu tính đến {stamp} (giờ Việt Nam) · lập ngày {today} · {len(gaps)} xã/phường")
    shapes = gaps.geometry.simplify(0.001, preserve_topology=True)   # ~100 m: finer than the page shows
    pdf.map_image("Bản đồ mức phục vụ", map_png(
        shapes, gaps["class"].map(CLASS_COLOURS).fillna(NO_DATA_COLOUR).tolist(),
        [(CLASS_LABELS[c][0], CLASS_COLOURS[c]) for c in CLASSES], legend_title="Mức phục vụ",
        labels=gaps["commune_name"].fillna("").tolist()), max_h_mm=150)
    pdf.section("Tổng hợp")
    pdf.data_table(["Chỉ tiêu", "Số lượng", "Tỷ lệ"], [
        [r["what"], readable(None if pd.isna(r["number"]) else int(round(r["number"]))),
         "" if pd.isna(r["share"]) else f"{r['share'] * 100:.1f} %".replace(".", ",")]
        for r in summary_table(gaps, actions).rows.to_dict("records")], widths=(100, 40, 30))
    _communes_pages(pdf, gaps)
    if len(actions):
        _plan_pages(pdf, actions)
    pdf.section("Phương pháp và tham số")
    pdf.paragraph(METHOD_VI)
    pdf.data_table(["Tham số", "Giá trị"], [[k, readable(v)] for k, v in metadata], widths=(90, 187), font_size=8)
    path.write_bytes(pdf.to_bytes())
    return path


def _communes_pages(pdf: Document, gaps: pd.DataFrame) -> None:
    pdf.add_page(orientation="L")  # the reasons need the width
    pdf.section("Các xã theo mức ưu tiên")
    rows = []
    for r in gaps.sort_values("priority_score", ascending=False).to_dict("records"):
        share = r["pop_covered_share"]
        rows.append([r["commune_name"], r["province_name"] or "", CLASS_LABELS.get(r["class"], (r["class"],))[0],
                     "–" if share is None or pd.isna(share) else f"{share * 100:.1f} %".replace(".", ","),
                     f"{r['villages_reached']}/{r['villages_total']}", "Đạt" if r["ntm_8_3"] else "Chưa đạt",
                     str(r["reason"])])
    pdf.data_table(["Xã", "Tỉnh", "Mức phục vụ", "Tỷ lệ dân số", "Thôn có loa", "Tiêu chí 8.3", "Lý do"], rows,
                   widths=(32, 24, 32, 20, 18, 20, 131), font_size=7)


def _plan_pages(pdf: Document, actions: pd.DataFrame) -> None:
    pdf.section("Phương án đầu tư")
    pdf.data_table(["Hạng mục", "Xã", "Thôn gần nhất", "Mã khảo sát", "Chi phí (đồng)", "Số dân thêm"], [
        [ACTION_LABELS.get(a["action"], (a["action"],))[0], a["commune_name"] or a["commune_code"],
         a.get("village_name") or "", a.get("facility_code") or "", readable(int(round(a["cost_vnd"] / 1000) * 1000)),
         readable(int(round(a["added_population"])))] for a in actions.to_dict("records")],
        widths=(70, 50, 50, 30, 40, 37), font_size=8)
    costs = cost_table(actions).rows
    pdf.section("Dự toán")
    pdf.data_table(["Xã", "Hạng mục", "Đơn vị", "Số lượng", "Đơn giá (đồng)", "Thành tiền (đồng)"], [
        [r["commune"], r["item"], r.get("unit") or "", _maybe_int(r.get("quantity")), _maybe_int(r.get("unit_price")),
         _maybe_int(r["amount"])] for r in costs.to_dict("records")], widths=(60, 80, 20, 25, 42, 50), font_size=8)


def _maybe_int(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return readable(int(round(float(value))))
