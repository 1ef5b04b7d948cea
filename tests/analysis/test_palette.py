"""Issue 21: one set of class colours (analysis/palette.py, ColorBrewer RdYlBu) on the web map and in the PDF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from analysis.palette import CLASS_COLOURS, NO_DATA_COLOUR
from tests.analysis.test_coverage_db import two_communes  # noqa: F401  (the fixture)
from tests.analysis.test_outputs_gaps import gaps  # noqa: F401  (the fixture)

MAP_JS = Path(__file__).resolve().parents[2] / "app" / "assets" / "phusong_map.js"
OLD_PDF_COLOURS = ("#d7301f", "#fdae61", "#1a9850")  # the PDF's palette before (ColorBrewer RdYlGn)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def test_the_browser_map_draws_the_palette_s_colours() -> None:
    """phusong_map.js cannot import Python: its copy of the colours is checked here."""
    found = re.search(r"const classColours = \{([^}]*)\};\s*const noData = \"(#[0-9a-f]{6})\"", MAP_JS.read_text())
    assert found, "classColours / noData not found in phusong_map.js"
    js = dict(re.findall(r"(\w+): \"(#[0-9a-f]{6})\"", found.group(1)))
    assert js == CLASS_COLOURS and found.group(2) == NO_DATA_COLOUR


def test_the_web_legend_and_the_pdf_modules_use_the_palette() -> None:
    from analysis.outputs import gaps as gap_outputs
    from analysis.outputs import pdf
    from app.components.map_layers import CLASS_COLOURS as MAP_COLOURS

    assert pdf.CLASS_COLOURS is CLASS_COLOURS and gap_outputs.CLASS_COLOURS is CLASS_COLOURS
    assert {k: v for k, v in MAP_COLOURS.items() if k} == CLASS_COLOURS and MAP_COLOURS[None] == NO_DATA_COLOUR


@pytest.mark.db
def test_the_gap_pdf_map_is_drawn_in_the_map_s_class_colours(gaps, tmp_path: Path) -> None:  # noqa: F811
    """The PDF's map picture (read back with pypdf): its legend swatches are the palette's exact colours, and none
    of the old PDF palette's colours is left anywhere in it."""
    from pypdf import PdfReader

    from analysis.outputs.gap_report import write_report_pdf

    table, meta = gaps
    path = write_report_pdf(tmp_path / "r.pdf", table, table.iloc[0:0], title="Báo cáo màu", metadata=meta)
    pictures = [image.image for page in PdfReader(path).pages for image in page.images]
    assert pictures, "no map picture in the PDF"
    picture: Image.Image = pictures[0].convert("RGB")
    counts = {colour: count for count, colour in picture.getcolors(maxcolors=1 << 24) or []}
    for name, colour in CLASS_COLOURS.items():
        assert counts.get(_rgb(colour), 0) > 20, f"{name} ({colour}) is not in the PDF's map"
    assert not [c for c in OLD_PDF_COLOURS if counts.get(_rgb(c), 0)]
