"""Every file a person downloads is written here (issues 16 and 17): typed tables through sql/table_writer.py,
GeoPackage 1.2 / RFC 7946 GeoJSON (geo.py), the header and label catalogue (catalogue.py), the gap export
(gaps.py), plan and scenario outputs with the cost sheet (plans.py), the PDF documents (pdf.py) and the standalone
map (web_map.py). app/ only wires these to downloads and the CLI."""
