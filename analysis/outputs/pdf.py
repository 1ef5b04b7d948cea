"""The one way phusong makes a PDF and a map picture: the gap-analysis report (analysis/outputs/gap_report.py)
and the periodic report (analysis/outputs/periodic.py) both go through here.

``Document`` is an fpdf2 A4 document with DejaVu Sans from Debian's fonts-dejavu-core (a font that carries the
Vietnamese glyphs, never downloaded at run time; the text stays text, so it can be selected and searched), a title
block, section headings, tables that wrap their cells and repeat their header row on every page, a map picture
placed to fit, and a provenance footer with the page number. Every document carries its metadata (title, author,
subject, keywords, language vi). Tagging: fpdf2 2.8 writes a structure tree only for pictures given an alternative
text (the map is, as a /Figure); its paragraphs and tables are not tagged, which the library does not offer.
``map_png`` draws communes coloured by a value, with labels, a scale bar and a north arrow.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
from fpdf import FPDF
from fpdf.fonts import FontFace

from analysis.palette import CLASS_COLOURS, NO_DATA_COLOUR

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")   # Debian package fonts-dejavu-core
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
HEADER_FILL = (225, 235, 245)
# The class colours are the maps' (ColorBrewer RdYlBu): re-exported for the reports that draw with them.
__all__ = ["CLASS_COLOURS", "NO_DATA_COLOUR", "Document", "map_png"]


class Document(FPDF):
    """An A4 document in DejaVu Sans whose every page ends with ``provenance`` and 'Trang n/N'."""

    def __init__(self, title: str, provenance: str, *, subject: str = "", keywords: str = "") -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.provenance = provenance
        self.set_auto_page_break(auto=True, margin=14)
        self.add_font("DejaVu", "", str(FONT_REGULAR))
        self.add_font("DejaVu", "B", str(FONT_BOLD))
        self.set_title(title)
        self.set_author("phusong")
        self.set_subject(subject or title)
        self.set_keywords(keywords or "phusong; thông tin cơ sở; phủ sóng")
        self.set_creator("phusong")
        self.set_producer("phusong (fpdf2)")
        self.set_lang("vi")

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(110)
        self.cell(0, 4, f"{self.provenance} · Trang {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def title_block(self, title: str, subtitle: str) -> None:
        """The document's title in bold and one paragraph under it (period, data date, who made it)."""
        self.set_font("DejaVu", "B", 14)
        self.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        self.paragraph(subtitle)

    def section(self, title: str) -> None:
        """A heading in bold; on a new page (of the same orientation) when what follows it would not fit."""
        if self.will_page_break(25):
            self.add_page(orientation=self.cur_orientation)  # type: ignore[arg-type]
        self.ln(3)
        self.set_font("DejaVu", "B", 11)
        self.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, *, size: int = 9) -> None:
        self.set_font("DejaVu", "", size)
        self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    def data_table(self, header: Sequence[str], rows: Sequence[Sequence[str]], *,
                   widths: Sequence[float] | None = None, font_size: int = 9) -> None:
        """A table whose cells wrap and whose header row is repeated on each page it runs onto; ``widths`` in mm.

        A column is right-aligned (digits line up) when every cell looks like a figure.
        """
        self.set_font("DejaVu", "", font_size)
        numeric = [bool(rows) and all(_looks_numeric(str(r[i])) for r in rows) for i in range(len(header))]
        with self.table(col_widths=tuple(widths) if widths else None, line_height=font_size * 0.5,
                        headings_style=FontFace(emphasis="BOLD", fill_color=HEADER_FILL),
                        text_align=tuple("RIGHT" if n else "LEFT" for n in numeric),
                        width=sum(widths) if widths else None, align="LEFT", repeat_headings=1) as table:
            table.row(list(header))
            for values in rows or [["–"] * len(header)]:
                table.row([str(v) for v in values])

    def map_image(self, heading: str, png: bytes, *, max_w_mm: float = 170, max_h_mm: float = 125) -> None:
        """The map under its heading, scaled to fit; both go to a new page when the rest of this one is too short."""
        from PIL import Image as PilImage

        with PilImage.open(io.BytesIO(png)) as image:
            width_px, height_px = image.size
        w = min(max_w_mm, max_h_mm * width_px / height_px)
        h = w * height_px / width_px
        if self.will_page_break(h + 12):
            self.add_page(orientation=self.cur_orientation)  # type: ignore[arg-type]
        self.section(heading)
        self.image(io.BytesIO(png), w=w, h=h, alt_text=heading)

    def to_bytes(self) -> bytes:
        return bytes(self.output())


def _looks_numeric(text: str) -> bool:
    cleaned = text.replace(".", "").replace(",", "").replace("%", "").replace("điểm", "").replace("/", "")
    cleaned = cleaned.replace("+", "").replace("-", "").replace("—", "").replace(" ", "")
    return cleaned.isdigit() or text.strip() in ("—", "")


def map_png(shapes: gpd.GeoSeries, colours: Sequence[str], legend: Sequence[tuple[str, str]], *,
            outlined: Sequence[bool] | None = None, outline_label: str | None = None, title: str | None = None,
            legend_title: str | None = None, labels: Sequence[str] | None = None, width_in: float = 7.0,
            dpi: int = 150) -> bytes:
    """Communes (EPSG:4326) filled with ``colours``, a legend of (label, colour), a thick outline where
    ``outlined``, each commune's name from ``labels``, a scale bar and a north arrow; a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch

    shapes = gpd.GeoSeries(shapes.to_numpy(), crs=shapes.crs or "EPSG:4326")
    fig, ax = plt.subplots(figsize=(width_in, width_in * 0.8), dpi=dpi)
    try:
        if len(shapes):
            shapes.plot(ax=ax, color=list(colours), edgecolor="#333333", linewidth=0.4, alpha=0.85)
        mask = [bool(o) for o in outlined] if outlined is not None else []
        if any(mask):
            shapes[mask].plot(ax=ax, facecolor="none", edgecolor="#333333", linewidth=1.8)
        ax.set_axis_off()
        handles = [Patch(facecolor=colour, edgecolor="#444444", label=label) for label, colour in legend]
        if any(mask) and outline_label:
            handles.append(Patch(facecolor="white", edgecolor="#333333", linewidth=1.8, label=outline_label))
        ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9, title=legend_title,
                  title_fontsize=7)
        if title:
            ax.set_title(title, fontsize=9)
        if labels is not None and len(shapes):
            _label(ax, shapes, labels)
        if len(shapes):
            _scale_bar_and_north(ax, shapes)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _label(ax: object, shapes: gpd.GeoSeries, labels: Sequence[str]) -> None:
    """Each commune's name at a point inside it (small; a province's 100+ communes stay readable)."""
    size = 6 if len(shapes) <= 40 else 4
    for point, text in zip(shapes.representative_point(), labels, strict=True):
        ax.annotate(str(text), (point.x, point.y), ha="center", va="center", fontsize=size,  # type: ignore[attr-defined]
                    color="#111111")


def _scale_bar_and_north(ax: object, shapes: gpd.GeoSeries) -> None:
    """A scale bar of a round length (about a fifth of the map's width) and an arrow marked B (Bắc, north)."""
    import math

    minx, miny, maxx, maxy = shapes.total_bounds
    metres_per_degree = 111_320 * math.cos(math.radians((miny + maxy) / 2))
    target = (maxx - minx) * metres_per_degree / 5
    length_m = max((n * 10 ** e for e in range(1, 7) for n in (1, 2, 5) if n * 10 ** e <= max(target, 10)),
                   default=10)
    x0, y0 = maxx - (maxx - minx) * 0.05 - length_m / metres_per_degree, miny - (maxy - miny) * 0.02
    ax.plot([x0, x0 + length_m / metres_per_degree], [y0, y0], color="black", linewidth=2)  # type: ignore[attr-defined]
    text = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    ax.annotate(text, (x0 + length_m / metres_per_degree / 2, y0), xytext=(0, 3),  # type: ignore[attr-defined]
                textcoords="offset points", ha="center", va="bottom", fontsize=7)
    ax.annotate("B", xy=(0.95, 0.97), xytext=(0.95, 0.86), xycoords="axes fraction",  # type: ignore[attr-defined]
                ha="center", va="center", fontsize=9, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.5})
