"""The periodic report (Sơ kết / Tổng kết) rendered as PDF or XLSX, with a map image; figures from analysis.reports.

The PDF and the map picture are made by analysis/outputs/pdf.py (DejaVu Sans, a font that carries the Vietnamese
glyphs, from Debian's fonts-dejavu-core; the same module makes the gap-analysis PDF); the workbook by the one table
writer (typed cells, frozen headers, a "Tham số" sheet). Each document says what its figures are as of ("số liệu
tính đến …", Viet Nam time), and a period that had not ended when the snapshot was taken is marked provisional
("tạm tính"), never "chốt cuối kỳ". ``report_bytes`` is what both `phusong report` and the export page call.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection

from analysis.inspection_plans import Progress, plan_completion
from analysis.outputs.pdf import CLASS_COLOURS, NO_DATA_COLOUR, Document, map_png
from analysis.reports import CLASS_LABELS, CLASSES, VN_TZ, ReportData, ReportError, build_report
from sql.errors import InputRefused
from sql.percent import percent_text
from sql.safe_cells import text_only_workbook
from sql.table_writer import Column, Table, add_parameters_sheet, add_sheet, phusong_version

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
    provisional = " (tạm tính)" if is_provisional(data) else ""
    return f"Báo cáo {p.review_vi.lower()} {p.label_vi}{provisional}: hệ thống thông tin cơ sở — {data.province_name}"


def is_provisional(data: ReportData, now: datetime | None = None) -> bool:
    """True while the period has not ended: its snapshot follows the analyses until then (analysis.reports), so
    its figures are not the period's final ones. Once it has ended, the last snapshot taken in it is final."""
    return (now or datetime.now(VN_TZ)) < data.current.period.end_at


def as_of_text(data: ReportData) -> str:
    """"Số liệu tính đến 04/12/2026 09:01" (Viet Nam time), with the provisional note when the period is open."""
    text = f"Số liệu tính đến {data.snapshot_taken_at.astimezone(VN_TZ):%d/%m/%Y %H:%M} (giờ Việt Nam)"
    return text + ("; TẠM TÍNH: kỳ báo cáo chưa kết thúc" if is_provisional(data) else "")


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

def render_report_pdf(data: ReportData, *, generated_at: datetime | None = None,
                      plan: Progress | None = None) -> bytes:
    """The report as an A4 PDF: title, summary versus the previous period, map, clusters, feedback, communes;
    with the province's inspection plan of the period, its completion (issue 23)."""
    made = generated_at or datetime.now(VN_TZ)
    pdf = Document(report_title(data), f"{data.province_name} · {data.current.period.label_vi} · "
                   f"{as_of_text(data)} · lập ngày {vn_date(made)} · phusong {phusong_version()}",
                   subject=f"Báo cáo định kỳ hệ thống thông tin cơ sở, {data.province_name}")
    pdf.add_page()
    pdf.title_block(report_title(data), _provenance(data, generated_at))
    pdf.section("1. Tổng hợp so với kỳ trước")
    before = data.previous.period.label_vi if data.previous else "Kỳ trước"
    pdf.data_table(["Chỉ tiêu", data.current.period.label_vi, before, "So với kỳ trước"], summary_rows(data),
                   widths=(80, 34, 34, 34))
    if plan is not None:
        pdf.data_table(["Kế hoạch kiểm tra", "Số thiết chế"], [[k, vn_int(v)] for k, v in plan_rows(plan)],
                       widths=(80, 34))
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
            f"{as_of_text(data)}; lập ngày {vn_date(made)} bởi phusong {phusong_version()}.")


def _one_day() -> Any:
    from datetime import timedelta

    return timedelta(days=1)


# --- XLSX --------------------------------------------------------------------------------------------------------

def render_report_xlsx(data: ReportData, *, generated_at: datetime | None = None,
                      plan: Progress | None = None) -> bytes:
    """The report as a workbook: Tổng hợp, Theo xã, Cụm loa, Phản ánh (typed numbers), Bản đồ, Tham số."""
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image

    book = Workbook()
    book.remove(book.worksheets[0])
    _summary_sheet(book, data, generated_at)
    if plan is not None:
        _plan_rows_to_summary(book["Tổng hợp"], plan)
    for table in (_communes_table(data), _clusters_table(data), _feedback_table(data)):
        add_sheet(book, table, "vi")
    picture = book.create_sheet("Bản đồ")
    picture.add_image(Image(io.BytesIO(render_map_png(data, dpi=110))), "A1")
    made = (generated_at or datetime.now(VN_TZ)).astimezone(VN_TZ).replace(tzinfo=None, microsecond=0)
    add_parameters_sheet(book, [
        ("Tỉnh", f"{data.province_code} {data.province_name}"), ("Kỳ báo cáo", data.current.period.key),
        ("So với kỳ", data.previous.period.key if data.previous else ""),
        ("Số liệu tính đến (giờ Việt Nam)", data.snapshot_taken_at.astimezone(VN_TZ).replace(tzinfo=None)),
        ("Tạm tính (kỳ chưa kết thúc)", "Có" if is_provisional(data) else "Không"),
        ("Hạn trả lời phản ánh (ngày)", data.answer_limit_days), ("Lập lúc (giờ Việt Nam)", made)], "vi")
    buffer = io.BytesIO()
    text_only_workbook(book).save(buffer)
    return buffer.getvalue()


def summary_values(data: ReportData) -> list[tuple[str, float | None, float | None, bool]]:
    """(figure, this period, previous period, is a share) rows of the summary, as numbers."""
    now, before = data.current, data.previous
    rows: list[tuple[str, float | None, float | None, bool]] = [
        ("Số xã/phường trong báo cáo", len(now.communes), len(before.communes) if before else None, False)]
    for klass in CLASSES:
        rows.append((f"Xã {CLASS_LABELS[klass].lower()}", now.by_class[klass],
                     before.by_class[klass] if before else None, False))
    rows += [("Xã đạt tiêu chí 8.3", now.ntm_8_3_passed, before.ntm_8_3_passed if before else None, False),
             ("Dân số được phủ sóng", now.pop_covered, before.pop_covered if before else None, False),
             ("Tỷ lệ dân số được phủ sóng", _share(now.pop_covered, now.pop_total),
              _share(before.pop_covered, before.pop_total) if before else None, True),
             ("Số dân được phủ sóng thêm", data.people_newly_reached, None, False),
             ("Cụm loa hoạt động", _clusters(now.clusters, "operational"),
              _clusters(before.clusters, "operational") if before else None, False),
             ("Cụm loa hư hỏng", _clusters(now.clusters, "broken"),
              _clusters(before.clusters, "broken") if before else None, False),
             ("Lượt kiểm tra thiết chế", now.inspections, before.inspections if before else None, False),
             ("Phản ánh tiếp nhận", now.feedback.received, before.feedback.received if before else None, False),
             (f"Phản ánh trả lời đúng hạn (≤ {data.answer_limit_days} ngày)", now.feedback.received_answered_on_time,
              before.feedback.received_answered_on_time if before else None, False),
             ("Phản ánh quá hạn cuối kỳ", now.feedback.overdue_at_end,
              before.feedback.overdue_at_end if before else None, False)]
    return rows


def _summary_sheet(book: Any, data: ReportData, generated_at: datetime | None) -> None:
    """Title and "số liệu tính đến" on top, then a frozen, filtered table of numbers (not text)."""
    from openpyxl.styles import Font

    sheet = book.create_sheet("Tổng hợp")
    sheet.append([report_title(data)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_provenance(data, generated_at)])
    sheet.append([])
    before = data.previous.period.label_vi if data.previous else "Kỳ trước"
    sheet.append(["Chỉ tiêu", data.current.period.label_vi, before, "So với kỳ trước"])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for label, a, b, share in summary_values(data):
        change = None if a is None or b is None else a - b
        values = [v if v is None or share else round(v) for v in (a, b, change)]
        sheet.append([label, *values])
        for cell in sheet[sheet.max_row][1:]:
            cell.number_format = "0.0%" if share else "#,##0"
    sheet.freeze_panes = "A5"
    sheet.auto_filter.ref = f"A4:D{sheet.max_row}"
    sheet.column_dimensions["A"].width = 44
    for column in "BCD":
        sheet.column_dimensions[column].width = 16


COMMUNE_COLUMNS = [
    Column("code", "Mã xã", "Commune code", "code"), Column("name", "Tên xã", "Commune"),
    Column("klass", "Phân loại", "Class"), Column("before", "Phân loại kỳ trước", "Class before"),
    Column("ntm", "Tiêu chí 8.3", "NTM 8.3"), Column("pop_total", "Dân số", "Population", "people"),
    Column("pop_covered", "Dân số được phủ sóng", "People covered", "people"),
    Column("share", "Tỷ lệ dân số được phủ sóng", "Share covered", "share"),
    Column("change", "So với kỳ trước (người)", "Change (people)", "people"),
    Column("reached", "Thôn có loa", "Villages reached", "int"), Column("villages", "Tổng số thôn", "Villages", "int"),
    Column("working", "Cụm loa hoạt động", "Clusters working", "int"),
    Column("broken", "Cụm loa hư hỏng", "Clusters broken", "int"),
    Column("feedback", "Phản ánh tiếp nhận", "Feedback received", "int"), Column("reason", "Lý do", "Reason")]


def _communes_table(data: ReportData) -> Table:
    rows = [{"code": r.now.code, "name": r.now.name, "klass": CLASS_LABELS[r.now.klass],
             "before": CLASS_LABELS[r.before.klass] if r.before else None,
             "ntm": "Đạt" if r.now.ntm_8_3 else "Chưa đạt", "pop_total": r.now.pop_total,
             "pop_covered": r.now.pop_covered, "share": _share(r.now.pop_covered, r.now.pop_total),
             "change": r.pop_change, "reached": r.now.villages_reached, "villages": r.now.villages_total,
             "working": r.now.clusters_working, "broken": r.now.clusters_broken,
             "feedback": data.current.feedback_by_commune.get(r.now.code, 0), "reason": r.now.reason}
            for r in data.rows]
    return Table("Theo xã", "By commune", COMMUNE_COLUMNS,
                 pd.DataFrame(rows, columns=[c.key for c in COMMUNE_COLUMNS]))


def _clusters_table(data: ReportData) -> Table:
    techs = sorted({t for _, t in data.current.clusters}, key=lambda t: list(TECH_VI).index(t) if t in TECH_VI else 9)
    columns = [Column("status", "Tình trạng", "Status"),
               *(Column(f"t{i}", TECH_VI.get(t, t), t, "int") for i, t in enumerate(techs)),
               Column("total", "Tổng", "Total", "int")]
    rows: list[dict[str, Any]] = []
    for status in [*STATUS_VI, None]:
        statuses = [status] if status else list(STATUS_VI)
        counts = [int(sum(data.current.clusters.get((s, t), 0) for s in statuses)) for t in techs]
        total = int(pd.Series(counts, dtype="int64").sum())
        if status is None or total:
            rows.append({"status": STATUS_VI[status] if status else "Tổng",
                         **{f"t{i}": n for i, n in enumerate(counts)}, "total": total})
    return Table("Cụm loa", "Clusters", columns, pd.DataFrame(rows), frozenset({len(rows) - 1}))


def _feedback_table(data: ReportData) -> Table:
    fb = data.current.feedback
    rows = [(CATEGORY_VI.get(k, k), v) for k, v in sorted(fb.by_category.items(), key=lambda kv: -kv[1])]
    rows += [("Tổng", fb.received), ("Trả lời đúng hạn", fb.received_answered_on_time),
             ("Trả lời trong kỳ", fb.answered), ("Quá hạn cuối kỳ", fb.overdue_at_end)]
    return Table("Phản ánh", "Feedback", [Column("what", "Loại phản ánh", "Category"),
                                          Column("n", "Số phản ánh tiếp nhận", "Reports", "int")],
                 pd.DataFrame(rows, columns=["what", "n"]))


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
    # issue 23: the plan's completion, overdue judged at the period's end (or today while it runs)
    plan = plan_completion(conn, province, period,
                           as_of=min(datetime.now(VN_TZ).date(), data.current.period.end - _one_day()))
    return render_report_pdf(data, plan=plan) if fmt == "pdf" else render_report_xlsx(data, plan=plan)


# --- the inspection plan's completion (issue 23) -------------------------------------------------------------

def plan_rows(plan: Progress) -> list[tuple[str, int]]:
    """(figure, facilities) rows of the province's inspection plan for the period: due, done, overdue."""
    return [("Kế hoạch kiểm tra: thiết chế phải kiểm tra", plan.due),
            ("Kế hoạch kiểm tra: đã kiểm tra", plan.done),
            ("Kế hoạch kiểm tra: quá hạn", plan.overdue),
            ("Kế hoạch kiểm tra: chưa đến hạn", plan.open),
            ("Kế hoạch kiểm tra: chưa giao cán bộ", plan.unassigned)]


def _plan_rows_to_summary(sheet: Any, plan: Progress) -> None:
    """Below the summary table: the plan's figures as numbers (this period only)."""
    for label, value in plan_rows(plan):
        sheet.append([label, value])
        sheet[sheet.max_row][1].number_format = "#,##0"
