"""Typed rows of survey files, made the moment a row is read and checked (STYLE.md §5)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from etl.errors import CellRefused

FacilityType = Literal[
    "commune_radio_station",
    "loudspeaker_cluster",
    "district_radio_tv",
    "mobile_propaganda_team",
    "post_culture_point",
    "legal_bookcase",
    "community_info_cluster",
    "cultural_house",
    "learning_centre",
    "library",
    "e_bulletin_board",
]
Technology = Literal["wired", "fm_wireless", "ip"]
Status = Literal["operational", "degraded", "broken", "decommissioned", "planned", "unknown"]
VillageKind = Literal["thon", "ban", "ap", "to_dan_pho", "other"]


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    row: int = Field(ge=1, description="spreadsheet row number (header = row 1) or feature number")


class _Located(_Row):
    lon: float = Field(ge=-180, le=180, description="EPSG:4326 longitude")
    # Not bounded to ±90: a row whose lon/lat are swapped is kept until its commune confirms the swap.
    lat: float = Field(ge=-180, le=180, description="EPSG:4326 latitude")

    @field_validator("lon", "lat")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise CellRefused("coordinate_infinite")
        return value


class FacilityRow(_Located):
    """One facility of a survey, ready to stage: codes from the vocabulary, WGS 84 position."""

    external_id: str | None = None
    name: str | None = None
    type: FacilityType
    technology: Technology | None = None
    status: Status = "operational"
    installed_year: int | None = Field(default=None, ge=1945, le=2100)
    n_horns: int | None = Field(default=None, ge=0)
    watts: float | None = Field(default=None, ge=0)
    radius_m: float | None = Field(default=None, ge=0)
    note: str | None = None
    commune_typed: str | None = None
    province_typed: str | None = None
    village_typed: str | None = None
    source_crs: str = "EPSG:4326"
    swap_candidate: bool = False  # lon/lat outside Viet Nam but inside it when swapped
    attributes: dict[str, Any] = Field(default_factory=dict)


class VillageRow(_Row):
    """One village (thôn/bản/ấp/tổ dân phố): a point or a polygon as WKB hex, in EPSG:4326."""

    external_id: str | None = None
    name: str
    kind: VillageKind = "thon"
    geom_wkb_hex: str
    population: int | None = Field(default=None, ge=0)
    households: int | None = Field(default=None, ge=0)
    commune_typed: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class InspectionRow(_Row):
    """One inspection record (Kobo, ODK or CSV) for a facility named by id or external id."""

    facility_ref: str
    inspector: str
    inspected_at: datetime
    status_found: Status
    note: str | None = None
    submission_id: str | None = None
    lon: float | None = None
    lat: float | None = None
    source: Literal["kobo", "odk", "csv"] = "csv"
