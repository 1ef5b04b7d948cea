"""Coordinates as field files write them: decimal comma, DMS, VN-2000 grids (DOMAIN.md §5)."""

from __future__ import annotations

import re
from functools import lru_cache

from pyproj import CRS
from pyproj.transformer import Transformer, TransformerGroup

from etl.errors import LoadRefusedError
from sql.errors import InputRefused

# A rough envelope of Viet Nam with the Hoàng Sa and Trường Sa islands; the commune test is the exact one.
VN_LON = (102.0, 117.9)
VN_LAT = (6.0, 23.5)

# VN-2000 CRSs the issue names: geographic 4756, UTM 48N/49N, and the TM-3 zones (DOMAIN.md §5.2).
VN2000_ZONES: dict[int, tuple[float | None, str]] = {
    4756: (None, "VN-2000 geographic"),
    3405: (105.0, "UTM 48N"),
    3406: (111.0, "UTM 49N"),
    5896: (102.0, "TM-3 zone 481"),
    5897: (105.0, "TM-3 zone 482"),
    5898: (108.0, "TM-3 zone 491"),
    5899: (107.75, "TM-3 107°45'"),
    9205: (103.0, "TM-3 103°00' (Điện Biên, Lai Châu)"),
    9206: (104.0, "TM-3 104°00' (Sơn La)"),
    9207: (104.5, "TM-3 104°30' (Cà Mau, Kiên Giang)"),
    9208: (104.75, "TM-3 104°45' (Lào Cai, Phú Thọ, Nghệ An, An Giang)"),
    9209: (105.5, "TM-3 105°30' (Hà Tĩnh, Bắc Ninh, Hưng Yên ...)"),
    9210: (105.75, "TM-3 105°45' (TP HCM, Hải Phòng ...)"),
    9211: (106.0, "TM-3 106°00' (Tuyên Quang, Quảng Bình ...)"),
    9212: (106.25, "TM-3 106°15' (Quảng Trị)"),
    9213: (106.5, "TM-3 106°30' (Thái Nguyên)"),
    9214: (107.0, "TM-3 107°00' (Huế, Bắc Giang)"),
    9215: (107.25, "TM-3 107°15' (Lạng Sơn)"),
    9216: (107.5, "TM-3 107°30' (Kon Tum)"),
    9217: (108.25, "TM-3 108°15' (Khánh Hòa ...)"),
    9218: (108.5, "TM-3 108°30' (Gia Lai, Đắk Lắk ...)"),
}

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_DMS = re.compile(
    r"^\s*(?P<h1>[NSEWnsew])?\s*(?P<deg>\d+(?:[.,]\d+)?)\s*(?:°|º|˚|d|deg|\s)\s*"
    r"(?:(?P<min>\d+(?:[.,]\d+)?)\s*(?:'|′|’|m|min|\s)\s*)?"
    r"(?:(?P<sec>\d+(?:[.,]\d+)?)\s*(?:\"|″|”|''|s|sec)?\s*)?(?P<h2>[NSEWnsew])?\s*$"
)


_HEMISPHERE = re.compile(
    r"^\s*(?:(?P<h1>[NSEWnsew])\s*(?P<num>[\d.,]+)|(?P<num2>[\d.,]+)\s*(?P<h2>[NSEWnsew]))\s*$"
)


class CoordinateError(InputRefused):
    """A coordinate cell that is not a number; the message says what was expected."""


def parse_number(text: str) -> float:
    """Parse a decimal with '.' or ',' as the decimal mark ('106,7' -> 106.7); raise ValueError otherwise."""
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    if not _NUMBER.match(value):
        lowered = value.lower()
        if lowered in ("nan", "inf", "+inf", "-inf", "infinity", "-infinity"):
            return float(lowered)
        raise ValueError(text)
    if "," in value:
        value = value.replace(",", ".")
    return float(value)


def parse_coordinate(text: str) -> float:
    """Parse a decimal or a degrees-minutes-seconds coordinate (105°53'12.5"E); S and W make it negative."""
    try:
        return parse_number(text)
    except ValueError:
        pass
    lettered = _HEMISPHERE.match(text)   # '21.45N', 'E 103.05'
    if lettered:
        value = parse_number(lettered["num"] or lettered["num2"])
        return -value if (lettered["h1"] or lettered["h2"]).upper() in ("S", "W") else value
    match = _DMS.match(text)
    if not match or not (match["min"] or match["sec"] or match["h1"] or match["h2"] or "°" in text):
        raise CoordinateError(text)
    degrees = float(match["deg"].replace(",", "."))
    minutes = float(match["min"].replace(",", ".")) if match["min"] else 0.0
    seconds = float(match["sec"].replace(",", ".")) if match["sec"] else 0.0
    if minutes >= 60 or seconds >= 60:
        raise CoordinateError(text)
    value = degrees + minutes / 60 + seconds / 3600
    hemisphere = (match["h1"] or match["h2"] or "").upper()
    return -value if hemisphere in ("S", "W") else value


def in_viet_nam(lon: float, lat: float) -> bool:
    """True when (lon, lat) lies in the rough envelope of Viet Nam (degrees, EPSG:4326)."""
    return VN_LON[0] <= lon <= VN_LON[1] and VN_LAT[0] <= lat <= VN_LAT[1]


def looks_projected(a: float, b: float) -> bool:
    """True when a coordinate pair is metres, not degrees (no degree in Viet Nam is over 1000)."""
    return abs(a) > 1000 or abs(b) > 1000


def parse_crs(text: str) -> int:
    """Return the EPSG code of a --crs value ('EPSG:9205' or '9205'); refuse unknown codes."""
    match = re.fullmatch(r"\s*(?:epsg:)?(\d{4,5})\s*", text, flags=re.IGNORECASE)
    if not match:
        raise LoadRefusedError(code="crs_not_epsg", crs=text.strip())
    code = int(match[1])
    if code not in VN2000_ZONES and code != 4326:
        try:
            CRS.from_epsg(code)
        except Exception as exc:
            raise LoadRefusedError(code="crs_unknown", crs=text.strip(), epsg=code) from exc
    return code


@lru_cache(maxsize=32)
def transformer_to_wgs84(epsg: int) -> Transformer:
    """The transformation from ``epsg`` to EPSG:4326 (x=easting/lon, y=northing/lat in, lon/lat out).

    For VN-2000 the EPSG:6960 datum transformation ("VN-2000 to WGS 84 (2)", 7 parameters, all Viet Nam) is
    pinned: PROJ would otherwise pick EPSG:5194 inside the Mekong delta, and a 3-parameter or no shift is
    ~1 m or ~225 m off (DOMAIN.md §5.3-5.4).
    """
    if epsg == 4326:
        return Transformer.from_crs(4326, 4326, always_xy=True)
    group = TransformerGroup(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)
    if epsg in VN2000_ZONES:
        for candidate in group.transformers:
            if "VN-2000 to WGS 84 (2)" in candidate.description:
                return candidate
        raise LoadRefusedError(code="vn2000_transformation_missing", epsg=epsg)
    if not group.transformers:
        raise LoadRefusedError(code="no_transformation", epsg=epsg)
    return group.transformers[0]


def likely_zones(lon: float | None) -> list[int]:
    """The VN-2000 CRSs a survey near ``lon`` (degrees) was likely made in: nearest TM-3, UTM."""
    tm3 = [code for code, (meridian, _) in VN2000_ZONES.items() if meridian is not None and code >= 5896]
    if lon is None:
        return [9205, 9208, 9210, 9218, 3405, 3406]
    nearest = sorted(tm3, key=lambda c: abs((VN2000_ZONES[c][0] or 0) - lon))[:3]
    return [*nearest, 3405 if lon < 108 else 3406]


def describe_zones(codes: list[int]) -> str:
    return ", ".join(f"EPSG:{c} ({VN2000_ZONES[c][1]})" for c in codes)
