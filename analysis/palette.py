"""The one source of the service classes' colours, for every map and document: the web maps
(app/components/map_layers.py; app/assets/phusong_map.js repeats them for the browser, and
tests/analysis/test_palette.py checks that it does), the PDF reports (analysis/outputs/pdf.py), the standalone
map and the QGIS style of the GeoPackage (analysis/outputs/gaps.py).

ColorBrewer RdYlBu with 3 classes (red, pale yellow, blue), marked colour-blind safe by ColorBrewer; grey for a
commune without figures.
"""

from __future__ import annotations

CLASS_COLOURS = {"unserved": "#d73027", "underserved": "#fee090", "served": "#4575b4"}
NO_DATA_COLOUR = "#bdbdbd"
