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

from collections import Counter
from dataclasses import replace
from functools import cache

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
