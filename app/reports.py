"""The periodic report (Sơ kết / Tổng kết) rendered as PDF or XLSX, with a map image; figures from analysis.reports.

The PDF and the map picture are made by app.pdf (DejaVu Sans, a font that carries the Vietnamese glyphs, from
Debian's fonts-dejavu-core; the same module makes the gap-analysis PDF). ``report_bytes`` is what both
`phusong report` and the app's export page call.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import geopandas as gpd
from sqlalchemy import Connection

from analysis.reports import CLASS_LABELS, CLASSES, VN_TZ, ReportData, ReportError, build_report
from app.pdf import CLASS_COLOURS, NO_DATA_COLOUR, Document, map_png
from sql.errors import InputRefused
from sql.percent import percent_text
from sql.safe_cells import text_only_workbook

FORMATS = ("pdf", "xlsx")
MIME_TYPES = {"pdf": "application/pdf",
              "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

STATUS_VI = {"operational": "Hoạt động", "degraded": "Xuống cấp", "broken": "Hư hỏng",
             "decommissioned": "Đã thanh lý", "planned": "Dự kiến"}
TECH_VI = {"wired": "Có dây", "fm_wireless": "Không dây (FM)", "ip": "Ứng dụng CNTT-VT (IP)", "": "Chưa rõ"}
CATEGORY_VI = {"loudspeaker_broken": "Loa hỏng", "inaudible": "Không nghe rõ", "wrong_schedule": "Sai lịch phát",
               "content": "Nội dung", "other": "Khác"}


class ReportFormatError(InputRefused):
    """An unknown output format."""


# --- Vietnamese number and date format (GLOSSARY.md: 1.234.567 and 26/11/2026) --------------------------------

def vn_int(value: float | None) -> str:
    return "—" if value is None else f"{round(value):,}".replace(",", ".")


def vn_signed(value: float | None) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + vn_int(value)


def vn_percent(value: float | None, digits: int = 1) -> str:
    return percent_text(value, digits, missing="—")  # the one rounding rule (sql/percent.py)


def vn_date(value: datetime) -> str:
    return f"{value.astimezone(VN_TZ):%d/%m/%Y}"


# --- the content both formats share ----------------------------------------------------------------------------

def report_title(data: ReportData) -> str:
    p = data.current.period
    return f"Báo cáo {p.review_vi.lower()} {p.label_vi}: hệ thống thông tin cơ sở — {data.province_name}"


def summary_rows(data: ReportData) -> list[tuple[str, str, str, str]]:
    """(figure, this period, previous period, change) rows of the summary table, already formatted."""
    now, before = data.current, data.previous
    rows: list[tuple[str, str, str, str]] = []

    def add(label: str, a: float | None, b: float | None, pct: bool = False) -> None:
        fmt = vn_percent if pct else vn_int
        change = None if a is None or b is None else a - b
        rows.append((label, fmt(a), fmt(b) if before else "—",
                     (_points(change) if pct else vn_signed(change)) if before else "—"))

    rows.append(("Số xã/phường trong báo cáo", vn_int(len(now.communes)),
                 vn_int(len(before.communes)) if before else "—", ""))
    for klass in CLASSES:
        add(f"Xã {CLASS_LABELS[klass].lower()}", now.by_class[klass], before.by_class[klass] if before else None)
    add("Xã đạt tiêu chí 8.3", now.ntm_8_3_passed, before.ntm_8_3_passed if before else None)
    add("Dân số được phủ sóng", now.pop_covered, before.pop_covered if before else None)
    add("Tỷ lệ dân số được phủ sóng", _share(now.pop_covered, now.pop_total),
        _share(before.pop_covered, before.pop_total) if before else None, pct=True)
    rows.append(("Số dân được phủ sóng thêm", vn_int(data.people_newly_reached), "—", ""))
    add("Cụm loa hoạt động", _clusters(now.clusters, "operational"),
        _clusters(before.clusters, "operational") if before else None)
    add("Cụm loa hư hỏng", _clusters(now.clusters, "broken"), _clusters(before.clusters, "broken") if before else None)
    add("Lượt kiểm tra thiết chế", now.inspections, before.inspections if before else None)
    add("Phản ánh tiếp nhận", now.feedback.received, before.feedback.received if before else None)
    add(f"Phản ánh trả lời đúng hạn (≤ {data.answer_limit_days} ngày)", now.feedback.received_answered_on_time,
        before.feedback.received_answered_on_time if before else None)
    add("Phản ánh quá hạn cuối kỳ", now.feedback.overdue_at_end, before.feedback.overdue_at_end if before else None)
    return rows


def _points(change: float | None) -> str:
    """A change of a share in percentage points: +20,7 điểm %."""
    if change is None:
        return "—"
    return ("+" if change > 0 else "") + vn_percent(change).replace(" %", " điểm %")


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _clusters(clusters: Any, status: str) -> int:
    return sum(n for (s, _), n in clusters.items() if s == status)


def cluster_table(data: ReportData) -> tuple[list[str], list[list[str]]]:
    """Loudspeaker clusters by status (rows) and technology (columns), this period."""
    techs = sorted({t for _, t in data.current.clusters}, key=lambda t: list(TECH_VI).index(t) if t in TECH_VI else 9)
    header = ["Tình trạng", *[TECH_VI.get(t, t) for t in techs], "Tổng"]
    body = []
    for status in STATUS_VI:
        counts = [data.current.clusters.get((status, t), 0) for t in techs]
        if sum(counts):
            body.append([STATUS_VI[status], *[vn_int(c) for c in counts], vn_int(sum(counts))])
    totals = [sum(data.current.clusters.get((s, t), 0) for s in STATUS_VI) for t in techs]
    body.append(["Tổng", *[vn_int(c) for c in totals], vn_int(sum(totals))])
    return header, body


COMMUNE_HEADER = ["Mã xã", "Tên xã", "Phân loại", "Kỳ trước", "8.3", "Dân số được phủ sóng", "Tỷ lệ",
                  "So với kỳ trước", "Thôn có loa", "Cụm loa hoạt động / hỏng", "Phản ánh"]


def commune_rows(data: ReportData) -> list[list[str]]:
    """One row per commune: class now and before, 8.3, people reached and the change, villages, clusters."""
    out = []
    for row in data.rows:
        c, b = row.now, row.before
        out.append([
            c.code, c.name, CLASS_LABELS[c.klass], CLASS_LABELS[b.klass] if b else "—",
            "Đạt" if c.ntm_8_3 else "Chưa đạt", vn_int(c.pop_covered), vn_percent(_share(c.pop_covered, c.pop_total)),
            vn_signed(row.pop_change), f"{c.villages_reached}/{c.villages_total}",
            f"{c.clusters_working} / {c.clusters_broken}", vn_int(data.current.feedback_by_commune.get(c.code, 0)),
        ])
    return out


# --- map image -------------------------------------------------------------------------------------------------

def render_map_png(data: ReportData, *, width_in: float = 7.0, dpi: int = 150) -> bytes:
    """The province's communes coloured by class this period; a thick outline where the class changed."""
    classes = {r.now.code: r.now.klass for r in data.rows}
    changed = {r.now.code for r in data.rows if r.class_changed}
    codes = list(data.geometries)
    return map_png(gpd.GeoSeries([data.geometries[c] for c in codes], crs="EPSG:4326"),
                   [CLASS_COLOURS.get(classes.get(c, ""), NO_DATA_COLOUR) for c in codes],
                   [*((CLASS_LABELS[k], CLASS_COLOURS[k]) for k in CLASSES), ("Không có số liệu", NO_DATA_COLOUR)],
                   outlined=[c in changed for c in codes], outline_label="Thay đổi phân loại so với kỳ trước",
                   title=f"Phân loại phủ sóng — {data.province_name}, {data.current.period.label_vi}",
                   width_in=width_in, dpi=dpi)


# --- PDF ---------------------------------------------------------------------------------------------------------

def render_report_pdf(data: ReportData, *, generated_at: datetime | None = None) -> bytes:
    """The report as an A4 PDF: title, summary versus the previous period, map, clusters, feedback, communes."""
    made = generated_at or datetime.now(VN_TZ)
    pdf = Document(report_title(data), f"{report_title(data)} · lập ngày {vn_date(made)} bởi phusong")
    pdf.add_page()
    pdf.title_block(report_title(data), _provenance(data, generated_at))
    pdf.section("1. Tổng hợp so với kỳ trước")
    before = data.previous.period.label_vi if data.previous else "Kỳ trước"
    pdf.data_table(["Chỉ tiêu", data.current.period.label_vi, before, "So với kỳ trước"], summary_rows(data),
                   widths=(80, 34, 34, 34))
    pdf.map_image("2. Bản đồ phân loại xã", render_map_png(data))
    pdf.section("3. Cụm loa truyền thanh theo tình trạng và công nghệ")
    header, body = cluster_table(data)
    pdf.data_table(header, body)
    pdf.section("4. Phản ánh của người dân theo loại")
    fb = data.current.feedback
    cats = [[CATEGORY_VI.get(k, k), vn_int(v)] for k, v in sorted(fb.by_category.items(), key=lambda kv: -kv[1])]
    pdf.data_table(["Loại phản ánh", "Số phản ánh tiếp nhận"], cats + [["Tổng", vn_int(fb.received)]],
                   widths=(90, 50))
    pdf.paragraph(f"Trả lời đúng hạn: {vn_int(fb.received_answered_on_time)}/{vn_int(fb.received)} "
                  f"({vn_percent(fb.on_time_share)}); quá hạn cuối kỳ: {vn_int(fb.overdue_at_end)}.")
    pdf.add_page(orientation="L")
    pdf.section("5. Chi tiết theo xã")
    pdf.data_table(COMMUNE_HEADER, commune_rows(data), font_size=7,
                   widths=(14, 34, 32, 32, 15, 26, 16, 24, 18, 26, 16))
    return pdf.to_bytes()


def _provenance(data: ReportData, generated_at: datetime | None) -> str:
    compare = f", so với {data.previous.period.label_vi}" if data.previous else ""
    made = generated_at or datetime.now(VN_TZ)
    return (f"Kỳ báo cáo: {data.current.period.label_vi} ({vn_date(data.current.period.start_at)} – "
            f"{vn_date(data.current.period.end_at.replace(day=1) - _one_day())}){compare}. "
            f"Số liệu phủ sóng chốt ngày {vn_date(data.snapshot_taken_at)}; lập ngày {vn_date(made)} bởi phusong.")


def _one_day() -> Any:
    from datetime import timedelta

    return timedelta(days=1)


# --- XLSX --------------------------------------------------------------------------------------------------------

def render_report_xlsx(data: ReportData, *, generated_at: datetime | None = None) -> bytes:
    """The report as a workbook: Tổng hợp, Theo xã (numbers as numbers), Cụm loa, Phản ánh, Bản đồ, Thông số."""
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Tổng hợp"
    summary.append([report_title(data)])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append([_provenance(data, generated_at)])
    summary.append([])
    before = data.previous.period.label_vi if data.previous else "Kỳ trước"
    summary.append(["Chỉ tiêu", data.current.period.label_vi, before, "So với kỳ trước"])
    for row in summary_rows(data):
        summary.append(list(row))
    _style_header(summary, 4, bold)
    summary.column_dimensions["A"].width = 48

    communes = book.create_sheet("Theo xã")
    communes.append(["Mã xã", "Tên xã", "Phân loại", "Phân loại kỳ trước", "Tiêu chí 8.3", "Dân số",
                     "Dân số được phủ sóng", "Tỷ lệ dân số được phủ sóng", "So với kỳ trước (người)",
                     "Thôn có loa", "Tổng số thôn", "Cụm loa hoạt động", "Cụm loa hư hỏng", "Phản ánh tiếp nhận",
                     "Lý do"])
    for r in data.rows:
        c = r.now
        communes.append([c.code, c.name, CLASS_LABELS[c.klass], CLASS_LABELS[r.before.klass] if r.before else None,
                         "Đạt" if c.ntm_8_3 else "Chưa đạt", round(c.pop_total), round(c.pop_covered),
                         _share(c.pop_covered, c.pop_total), None if r.pop_change is None else round(r.pop_change),
                         c.villages_reached, c.villages_total, c.clusters_working, c.clusters_broken,
                         data.current.feedback_by_commune.get(c.code, 0), c.reason])
    for cell in communes["H"][1:]:
        cell.number_format = "0.0%"
    for column in ("F", "G", "I"):
        for cell in communes[column][1:]:
            cell.number_format = "#,##0"
    _style_header(communes, 1, bold)
    communes.column_dimensions["B"].width = 24

    clusters = book.create_sheet("Cụm loa")
    header, body = cluster_table(data)
    clusters.append(header)
    for values in body:
        clusters.append([_number(v) for v in values])
    _style_header(clusters, 1, bold)

    feedback = book.create_sheet("Phản ánh")
    feedback.append(["Loại phản ánh", "Số phản ánh tiếp nhận"])
    for k, v in sorted(data.current.feedback.by_category.items(), key=lambda kv: -kv[1]):
        feedback.append([CATEGORY_VI.get(k, k), v])
    fb = data.current.feedback
    feedback.append(["Tổng", fb.received])
    feedback.append(["Trả lời đúng hạn", fb.received_answered_on_time])
    feedback.append(["Trả lời trong kỳ", fb.answered])
    feedback.append(["Quá hạn cuối kỳ", fb.overdue_at_end])
    _style_header(feedback, 1, bold)

    picture = book.create_sheet("Bản đồ")
    picture.add_image(Image(io.BytesIO(render_map_png(data, dpi=110))), "A1")

    params = book.create_sheet("Thông số")
    for key, value in (("Tỉnh", f"{data.province_code} {data.province_name}"), ("Kỳ báo cáo", data.current.period.key),
                       ("So với kỳ", data.previous.period.key if data.previous else ""),
                       ("Số liệu phủ sóng chốt lúc", data.snapshot_taken_at.astimezone(VN_TZ).replace(tzinfo=None)),
                       ("Hạn trả lời phản ánh (ngày)", data.answer_limit_days),
                       ("Lập lúc", (generated_at or datetime.now(VN_TZ)).astimezone(VN_TZ).replace(tzinfo=None))):
        params.append([key, value])
    params.column_dimensions["A"].width = 30
    buffer = io.BytesIO()
    text_only_workbook(book).save(buffer)
    return buffer.getvalue()


def _style_header(sheet: Any, row: int, font: Any) -> None:
    for cell in sheet[row]:
        cell.font = font


def _number(text: str) -> int | str:
    digits = text.replace(".", "")
    return int(digits) if digits.isdigit() else text


# --- the one entry point -----------------------------------------------------------------------------------------

def report_bytes(conn: Connection, province: str, period: str, compare: str | None = None, *,
                 fmt: str = "pdf", scope_codes: Sequence[str] | None = None, whole_country: bool = False) -> bytes:
    """Build and render the report; the CLI and the export page both call this.

    From the app pass the user's ``scope_codes`` and ``whole_country`` (app.auth.User): a province that is not in
    the scope raises ReportError (a commune scope does not give a whole province's report). With
    ``scope_codes=None`` (the CLI) nothing is checked.
    """
    if fmt not in FORMATS:
        raise ReportFormatError(f"unknown report format {fmt!r} (pdf or xlsx)")
    if scope_codes is not None and not whole_country and province not in scope_codes:
        raise ReportError(f"province {province} is outside your scope ({', '.join(scope_codes)})")
    data = build_report(conn, province, period, compare)
    return render_report_pdf(data) if fmt == "pdf" else render_report_xlsx(data)
