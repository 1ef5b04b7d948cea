"""The standalone map: one HTML file (folium + Leaflet inlined, no internet) of the communes coloured by class,
with a title, ``lang="vi"``, the data date ("số liệu tính đến …"), a legend and a source line."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd

from analysis.outputs.catalogue import CLASS_LABELS
from analysis.outputs.gaps import as_of, as_of_text
from analysis.palette import CLASS_COLOURS, NO_DATA_COLOUR
from sql.table_writer import VIETNAM_TZ, phusong_version

LEAFLET_DIR = Path(__file__).resolve().parent / "assets" / "leaflet-1.9.4"
SOURCE_VI = "Nguồn: phusong — số liệu khảo sát thiết chế thông tin cơ sở, ranh giới hành chính 2025"


def write_standalone_map(path: Path, gaps: gpd.GeoDataFrame, *, title: str) -> Path:
    """A folium map of the communes coloured by class, with every script and style inlined (no internet)."""
    import folium

    frame = gaps[["commune_code", "commune_name", "province_name", "class", "pop_covered_share",
                  "villages_reached", "villages_total", "reason", "geometry"]].copy()
    frame["geometry"] = frame.geometry.simplify(0.0005, preserve_topology=True)
    frame["lop"] = frame["class"].map(lambda c: CLASS_LABELS.get(c, ("",))[0])
    frame["ty_le"] = frame["pop_covered_share"].map(
        lambda v: "–" if v is None or v != v else f"{v * 100:.1f} %".replace(".", ","))
    frame["thon"] = frame["villages_reached"].astype(str) + "/" + frame["villages_total"].astype(str)
    minx, miny, maxx, maxy = frame.total_bounds
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    # Only Leaflet is needed (no markers, no Bootstrap, no jQuery): the rest of folium's defaults are dropped.
    fmap.default_js = [("leaflet", "phusong-inline:leaflet.js")]
    fmap.default_css = [("leaflet_css", "phusong-inline:leaflet.css")]
    folium.GeoJson(
        json.loads(frame.drop(columns=["pop_covered_share"]).to_json(na="null", drop_id=True)),
        name="Xã",
        style_function=lambda f: {"fillColor": CLASS_COLOURS.get(f["properties"]["class"], NO_DATA_COLOUR),
                                  "color": "#444", "weight": 0.6, "fillOpacity": 0.7},
        tooltip=folium.GeoJsonTooltip(fields=["commune_name", "province_name", "lop", "ty_le", "thon", "reason"],
                                      aliases=["Xã", "Tỉnh", "Mức phục vụ", "Tỷ lệ dân số được phủ sóng",
                                               "Thôn có loa", "Lý do"], sticky=True),
    ).add_to(fmap)
    root: Any = fmap.get_root()
    root.html.add_child(folium.Element(_panel(title, as_of_text(as_of(gaps)))))
    root.header.add_child(folium.Element(f'<meta charset="utf-8"><title>{html.escape(title)}</title>'))
    page = inline_assets(root.render())
    page = re.sub(r"<html(\s|>)", r'<html lang="vi"\1', page, count=1)
    path.write_text(page, encoding="utf-8")
    return path


def _panel(title: str, stamp: str) -> str:
    legend = "".join(f'<div><span style="display:inline-block;width:14px;height:10px;background:{CLASS_COLOURS[c]};'
                     f'margin-right:4px"></span>{CLASS_LABELS[c][0]}</div>' for c in ("unserved", "underserved",
                                                                                        "served"))
    made = datetime.now(VIETNAM_TZ).strftime("%d/%m/%Y")
    return (f'<div id="phusong-map-panel" style="position:fixed;top:10px;left:50px;z-index:1000;background:#fff;'
            f'padding:6px 10px;font:13px sans-serif;box-shadow:0 0 4px #888"><h1 style="font-size:15px;margin:0 0 4px">'
            f'{html.escape(title)}</h1><div id="phusong-data-date">Số liệu tính đến {html.escape(stamp)} '
            f'(giờ Việt Nam)</div>{legend}<div id="phusong-source" style="font-size:11px;color:#555;margin-top:4px">'
            f'{html.escape(SOURCE_VI)} · lập ngày {made} · phusong {html.escape(phusong_version())}</div></div>')


def inline_assets(page: str) -> str:
    """Replace the map's script and stylesheet links with the files' contents; refuse any other remote link."""
    scripts = {"phusong-inline:leaflet.js": (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")}
    styles = {"phusong-inline:leaflet.css": (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")}
    page = re.sub(r'<script src="(phusong-inline:[^"]+)"></script>',
                  lambda m: f"<script>{scripts[m.group(1)]}</script>", page)
    page = re.sub(r'<link rel="stylesheet" href="(phusong-inline:[^"]+)"\s*/>',
                  lambda m: f"<style>{styles[m.group(1)]}</style>", page)
    # Anything the browser would fetch: scripts, stylesheets, images (a plain <a href> is only a link).
    remote = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="(https?://[^"]+)"', page)
    if remote:
        raise RuntimeError(f"the standalone map still links to {remote[:3]}")
    return page
