"""The bundled demo: Điện Biên's 45 real 2025 communes with their census population (gis_data/dien_bien/),
loaded through the same loaders a user's files go through."""

from __future__ import annotations

from collections.abc import Iterator

from etl.boundaries import load_boundaries
from etl.census import load_commune_population
from sql.engine import connect
from sql.settings import get_settings


def load_demo_data() -> Iterator[str]:
    """Load the bundled province; yield one line of summary per step."""
    demo_dir = get_settings().data_dir / "dien_bien"
    with connect() as conn:
        for name, level in (("province_2025.geojson", "province"), ("communes_2025.geojson", "commune")):
            result = load_boundaries(conn, demo_dir / name, version="2025", level=level, loaded_by="demo")
            yield (f"{name}: {result.rows} {level} units ({result.inserted} new, {result.updated} updated, "
                   f"{result.unchanged} unchanged)")
        population = load_commune_population(conn, demo_dir / "population_2019_communes_2025.csv",
                                             loaded_by="demo")
        yield f"population: {population.communes} communes, {population.total:,.0f} people (census 2019)"
