"""Districts and post-2025 communes of the national preset's blocks, read from the package.

A block of the `national` preset is one pre-2025 province (`ProvinceSpec.legacy`) inside
the post-2025 province it joined (`ProvinceSpec.name`). Its firms keep a pre-2025 district
internally (wage peers, contagion and minimum-wage region key on it, as in the other
presets) and are addressed by a post-2025 commune whose wards came mostly from that
district (`data.admin_units.communes_of_district`), so that every address is a valid
post-2025 unit and maps back to the same stable unit. The tables are built on first use
only: importing the simulator stays fast.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from data import admin_units
from simulator.presets import ProvinceSpec


@cache
def _legacy_units() -> dict[str, tuple[tuple[str, int, int], ...]]:
    """Pre-2025 province short name -> its districts: (short name, wards, urban wards)."""
    from vietnamadminunits.database import get_data  # the package's public reader (slow import)

    rows = get_data(["provinceShort", "districtShort", "wardCode", "wardType"], "admin_units_legacy")
    wards: Counter[tuple[str, str]] = Counter()
    urban: Counter[tuple[str, str]] = Counter()
    for row in rows:
        key = (row["provinceShort"], row["districtShort"])
        wards[key] += 1
        urban[key] += row["wardType"] == "Phường"
    out: dict[str, list[tuple[str, int, int]]] = {}
    for (province, district), count in sorted(wards.items()):
        out.setdefault(province, []).append((district, count, urban[(province, district)]))
    return {province: tuple(districts) for province, districts in out.items()}


def legacy_districts(province: str) -> tuple[tuple[str, float], ...]:
    """The districts of a pre-2025 province with a weight for drawing enterprises: 1 plus
    its urban wards (assumption: enterprises gather in towns), heaviest first."""
    units = _legacy_units().get(province)
    if not units:
        raise ValueError(f"unknown pre-2025 province {province!r}")
    weighted = [(district, 1.0 + float(urban)) for district, _, urban in units]
    return tuple(sorted(weighted, key=lambda item: (-item[1], item[0])))


@cache
def communes(province: str, legacy: str, district: str) -> tuple[str, ...]:
    """Full names of the post-2025 communes of `province` formed mostly from `district` of
    the pre-2025 province `legacy`; () when none (its wards went mostly elsewhere)."""
    pairs = admin_units.communes_of_district(legacy, district)
    return tuple(sorted({c for p, c in pairs if admin_units.clean_name(p) == province}))


def resolve(spec: ProvinceSpec) -> ProvinceSpec:
    """`spec` with its districts (from the package when it has none) and their communes.

    Specs of the other presets (no `legacy`) come back unchanged. Districts without a
    commune of their own are dropped, unless a named zone lies in them (then an error:
    the preset names a place the package does not have).
    """
    if spec.legacy is None or spec.communes:
        return spec
    districts = spec.districts or legacy_districts(spec.legacy)
    by_district = {d: communes(spec.name, spec.legacy, d) for d, _ in districts}
    kept = tuple((d, w) for d, w in districts if by_district[d])
    zone_districts = {d for _, d in (*spec.iz_named, *spec.ccn_named)}
    missing = sorted(d for d in zone_districts if not by_district.get(d))
    if missing or not kept:
        raise ValueError(f"{spec.legacy}: no post-2025 commune in district(s) {missing or 'any'}")
    return replace(spec, districts=kept, communes=tuple((d, by_district[d]) for d, _ in kept))


# ============================================================================ coordinates
# Where the world's zones, districts and communes lie: the package's geocoded centres of
# districts and post-2025 communes, and for each zone a point near its district's centre
# drawn from the seed (the zones are the world's, their exact places are not known here).

#: Largest offset of a zone from its district's centre, degrees (about 4 km).
ZONE_SPREAD_DEG = 0.04
#: Random stream of the zones' offsets: [seed, ZONE_STREAM, crc32(zone_id)].
ZONE_STREAM = 11
Point = tuple[float, float]
Box = tuple[float, float, float, float]  # south, west, north, east


def _box(text: Any) -> Box | None:
    """The package's bounds text ``"S,W – N,E"`` as a box, or None when unreadable."""
    try:
        south_west, north_east = str(text).split("–")
        south, west = (float(v) for v in south_west.split(","))
        north, east = (float(v) for v in north_east.split(","))
    except ValueError:
        return None
    return (south, west, north, east)


@cache
def _legacy_points() -> tuple[dict[tuple[str, str], Point], dict[str, tuple[Point, Box | None]]]:
    """(pre-2025 province, district) -> centre; pre-2025 province -> (centre, bounds)."""
    from vietnamadminunits.database import get_data

    fields = ["provinceShort", "districtShort", "districtLat", "districtLon"]
    rows = get_data([*fields, "provinceLat", "provinceLon", "provinceBounds"], "admin_units_legacy")
    districts: dict[tuple[str, str], Point] = {}
    provinces: dict[str, tuple[Point, Box | None]] = {}
    for row in rows:
        if row["districtLat"] is not None and row["districtLon"] is not None:
            districts.setdefault(
                (row["provinceShort"], row["districtShort"]),
                (float(row["districtLat"]), float(row["districtLon"])),
            )
        if row["provinceLat"] is not None and row["provinceLon"] is not None:
            centre = (float(row["provinceLat"]), float(row["provinceLon"]))
            provinces.setdefault(row["provinceShort"], (centre, _box(row["provinceBounds"])))
    return districts, provinces


@cache
def _commune_points() -> dict[tuple[str, str], Point]:
    """(post-2025 province short name, commune full name) -> the commune's centre."""
    from vietnamadminunits.database import get_data

    rows = get_data(["provinceShort", "ward", "wardLat", "wardLon"], "admin_units")
    return {
        (row["provinceShort"], row["ward"]): (float(row["wardLat"]), float(row["wardLon"]))
        for row in rows
        if row["wardLat"] is not None and row["wardLon"] is not None
    }


def _near(centre: Point, key: str, seed: int, box: Box | None) -> Point:
    """A point within `ZONE_SPREAD_DEG` of `centre`, drawn from (seed, key), kept inside `box`."""
    rng = np.random.default_rng([seed, ZONE_STREAM, zlib.crc32(key.encode("utf-8"))])
    lat, lon = (c + d for c, d in zip(centre, rng.uniform(-ZONE_SPREAD_DEG, ZONE_SPREAD_DEG, 2), strict=True))
    if box is not None:
        lat, lon = min(max(lat, box[0]), box[2]), min(max(lon, box[1]), box[3])
    return (round(lat, 5), round(lon, 5))


def area_table(
    enterprises: pd.DataFrame, zones: Sequence[Mapping[str, Any]], seed: int, legacy: str | None = None
) -> pd.DataFrame:
    """The world's area reference (`data.reference.AREA_COLUMNS`): every zone that holds an
    enterprise, every district and every post-2025 commune named by its enterprises.

    Districts and communes sit at the package's centres; a zone near its district's centre,
    offset from the seed; a district the package does not know near its province's centre.
    ``legacy``: the pre-2025 province of a block of the national preset (its zones' and
    districts' province); else each province is its own. Places the package cannot locate
    at all are left out (the map then lacks them). Same arguments, same rows.
    """
    districts, provinces = _legacy_points()
    rows: list[tuple[str, str, str, str, float, float]] = []

    def district_point(province: str, district: str, key: str) -> Point | None:
        old = legacy or province
        box = provinces.get(old, (None, None))[1]
        if (old, district) in districts:
            centre = districts[(old, district)]
            return centre if key == "" else _near(centre, key, seed, box)
        if old in provinces:
            return _near(provinces[old][0], key or f"{old}|{district}", seed, box)
        return None

    used = set(enterprises["zone_id"].dropna().astype(str))
    for zone in zones:
        zid = str(zone["zone_id"])
        if zid not in used:
            continue
        point = district_point(str(zone["province"]), str(zone["district"]), zid)
        if point is not None:
            rows.append((zid, str(zone["zone_type"]), str(zone["name"]), str(zone["province"]), *point))
    pairs = enterprises[["province", "district"]].dropna().drop_duplicates()
    for province, district in sorted(pairs.itertuples(index=False, name=None)):
        point = district_point(str(province), str(district), "")
        if point is not None:
            rows.append((str(district), "district", str(district), str(province), *point))
    if "commune" in enterprises.columns:
        by_commune = _commune_points()
        pairs = enterprises[["province", "commune"]].dropna().drop_duplicates()
        for province, commune in sorted(pairs.itertuples(index=False, name=None)):
            found = by_commune.get((str(province), str(commune)))
            if found is not None:
                rows.append((str(commune), "commune", str(commune), str(province), *found))
    columns = ["area_id", "kind", "name", "province", "latitude", "longitude"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({c: "str" for c in columns[:4]} | {"latitude": "float64", "longitude": "float64"})
