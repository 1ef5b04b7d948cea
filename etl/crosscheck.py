"""Cross-check phusong's spatial crosswalk against the PyPI package vietnamadminunits (old -> new codes).

The package maps each commune of the 2024 list to its 2025 commune(s) from the official merger resolutions;
our crosswalk is built from polygons. Where both speak of the same census code, they should agree.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from importlib import resources

from sqlalchemy import Connection

from sql import queries


@dataclass
class CrosscheckResult:
    compared: int = 0
    dominant_agrees: int = 0     # the package's (default) new commune is the one holding most of the old area
    any_agrees: int = 0          # the package's new commune is among the ones our crosswalk gives
    disagreements: list[tuple[str, str, str]] = field(default_factory=list)  # (old code, package, ours)

    @property
    def dominant_share(self) -> float:
        return self.dominant_agrees / self.compared if self.compared else 0.0

    @property
    def any_share(self) -> float:
        return self.any_agrees / self.compared if self.compared else 0.0


def package_old_to_new_codes() -> dict[str, str]:
    """Return {2024 commune code: 2025 commune code} from vietnamadminunits (the default new unit when split)."""
    data_dir = resources.files("vietnamadminunits") / "data"
    with resources.as_file(data_dir / "dataset.db") as db_path:
        db = sqlite3.connect(db_path)
        try:
            legacy = {f"{p}_{d}_{w}": code for p, d, w, code in db.execute(
                "SELECT provinceKey, districtKey, wardKey, wardCode FROM admin_units_legacy")}
            current = {(p, w): code for p, w, code in db.execute(
                "SELECT provinceKey, wardKey, wardCode FROM admin_units")}
        finally:
            db.close()
    converter = json.loads((data_dir / "converter_2025.json").read_text(encoding="utf-8"))
    mapping: dict[str, str] = {}
    for province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, old_keys in wards.items():
            for old_key in old_keys:
                if old_key in legacy and (province, new_ward) in current:
                    mapping[legacy[old_key]] = current[(province, new_ward)]
    for province, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in olds.items():
            default = next((t["newWardKey"] for t in targets if t.get("isDefaultNewWard")), None)
            if old_key in legacy and default and (province, default) in current:
                mapping[legacy[old_key]] = current[(province, default)]
    return mapping


def crosscheck_crosswalk(conn: Connection) -> CrosscheckResult:
    """Compare, per census commune code, our polygon crosswalk with the package's old -> new mapping.

    Needs admin_census_link and admin_crosswalk (built by `phusong load census`).
    """
    ours: dict[str, list[tuple[str, float]]] = {}
    for census_code, new_code, share in conn.execute(queries.load("census_area_by_new_commune")):
        ours.setdefault(census_code, []).append((new_code, float(share or 0)))
    result = CrosscheckResult()
    for old_code, package_code in sorted(package_old_to_new_codes().items()):
        if old_code not in ours:
            continue
        ranked = sorted(ours[old_code], key=lambda pair: -pair[1])
        result.compared += 1
        result.dominant_agrees += ranked[0][0] == package_code
        result.any_agrees += any(code == package_code for code, _ in ranked)
        if ranked[0][0] != package_code and len(result.disagreements) < 500:
            result.disagreements.append((old_code, package_code, ranked[0][0]))
    return result
