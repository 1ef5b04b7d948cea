"""The collections GIS clients may read live, each a fixed pair of queries (items, tile) with a fixed allowlist
of property filters: nothing a client sends becomes SQL, it only fills bind parameters."""

from __future__ import annotations

from dataclasses import dataclass

from app.auth import User

ALL_ROLES = ("planner", "inspector", "budget", "admin")
# Gaps and plans are the planners' and budget officers' work (the roles of the export and planning pages).
PLANNING_ROLES = ("planner", "budget", "admin")
# Communes, coverage and gaps are made of admin_unit and coverage_commune only.
COMMUNE_DATA_VERSION = "ogc_commune_data_version"


@dataclass(frozen=True)
class Collection:
    id: str
    title: str           # Vietnamese first, English after the slash (what QGIS shows in its list)
    description: str
    items_query: str     # sql/queries/<items_query>.sql
    tile_query: str
    filters: dict[str, str]  # property name -> 'text' | 'bool': the only filters accepted
    numeric_id: bool     # feature ids are integers (else codes)
    roles: tuple[str, ...] = ALL_ROLES
    # sql/queries/<version_query>.sql: a fingerprint of the data its items are made of; with one, items pages
    # are kept gzipped under it (app/live_gis/pages.py), else made for each request
    version_query: str | None = None
    tile_layer: str = ""  # the layer's name inside its vector tiles when it is not ``id`` (a tile query shared)
    simplify_deg: float | None = None  # outlines printed simplified to this many degrees (items queries that take it)
    # its tile query also returns the provinces a tile shows: the tile is kept until one of them changes
    # (app/live_gis/tile_versions.py), else for TILE_TTL_S
    tile_versioned: bool = False

    def readable_by(self, user: User) -> bool:
        return user.role in self.roles


COLLECTIONS: dict[str, Collection] = {c.id: c for c in (
    Collection("communes", "Xã, phường (2025) / Communes (2025)",
               "2025 communes with coverage class, shares of people and area reached, NTM 8.3/8.1/6.3 verdicts, "
               "the reason in words and the data date of the last analysis.",
               "ogc_communes_items", "ogc_communes_tile",
               {"province_code": "text", "code": "text", "class": "text"}, numeric_id=False,
               version_query=COMMUNE_DATA_VERSION, tile_versioned=True),
    Collection("communes-generalised", "Xã, phường (2025) — tổng quát hóa / Communes (2025), generalised",
               "The same 2025 communes, attributes and ids as `communes`, with outlines simplified to about 100 m "
               "(0.001°, kept valid; 17 % of the vertices) for national overviews: a whole-country read is 8 MB "
               "of GeoJSON instead of 38 MB. Measure areas and edit with `communes`.",
               "ogc_communes_items", "ogc_communes_tile",
               {"province_code": "text", "code": "text", "class": "text"}, numeric_id=False,
               # its tiles are the communes' (simplified per zoom already)
               version_query=COMMUNE_DATA_VERSION, tile_layer="communes", simplify_deg=0.001,
               tile_versioned=True),
    Collection("facilities", "Thiết chế thông tin cơ sở / Facilities",
               "Radio stations, loudspeaker clusters and other facilities with type, technology, status, survey "
               "code and last inspection.",
               "ogc_facilities_items", "ogc_facilities_tile",
               {"province_code": "text", "commune_code": "text", "type": "text", "status": "text",
                "technology": "text"}, numeric_id=True),
    Collection("villages", "Thôn, bản / Villages",
               "Villages (points or areas) and whether the last analysis found them reached by a working loudspeaker.",
               "ogc_villages_items", "ogc_villages_tile",
               {"province_code": "text", "commune_code": "text", "reached": "bool"}, numeric_id=True),
    Collection("coverage", "Vùng phủ sóng / Coverage",
               "The area covered by working loudspeakers in each commune, with its size and shares.",
               "ogc_coverage_items", "ogc_coverage_tile",
               {"province_code": "text", "commune_code": "text"}, numeric_id=False,
               version_query=COMMUNE_DATA_VERSION, tile_versioned=True),
    Collection("gaps", "Xã còn thiếu hụt / Gaps",
               "Unserved and underserved communes with the people and villages still out of reach and why.",
               "ogc_gaps_items", "ogc_gaps_tile",
               {"province_code": "text", "commune_code": "text", "class": "text"}, numeric_id=False,
               roles=PLANNING_ROLES, version_query=COMMUNE_DATA_VERSION, tile_versioned=True),
    Collection("plan-actions", "Hành động của phương án / Plan actions",
               "The actions (repairs, new clusters, stations) of every saved scenario the user may read; filter "
               "one with scenario=NAME.",
               "ogc_plan_actions_items", "ogc_plan_actions_tile",
               {"scenario": "text", "province_code": "text", "commune_code": "text", "action": "text"},
               numeric_id=True, roles=PLANNING_ROLES),
)}


def readable_collections(user: User) -> list[Collection]:
    return [c for c in COLLECTIONS.values() if c.readable_by(user)]
