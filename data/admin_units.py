"""Stable areas across Vietnam's 2025 reform of administrative units.

Since 1 July 2025 Vietnam has two levels of local units: 34 provinces and their communes
(wards, communes, special zones), no districts; several provinces merged (Hải Dương into
Hải Phòng, Bình Dương into Hồ Chí Minh, Long An into Tây Ninh, ...). An enterprise may be
addressed the old way (province + district) or the new way (province + commune). Features
that key on areas must stay continuous across the reform, so every address is mapped to
its **stable unit**: the pre-reform (province, district), in which the history is recorded
and which will not change again.

* Old form (a district is given): the names are looked up among the 63 pre-reform
  provinces and their districts. The province may also be a post-reform one (the district
  is then searched among the provinces that formed it). A district wins over a commune
  when a row has both.
* New form (commune, no district): the commune is looked up among the wards of the new
  province (a pre-reform province name stands for the new province it joined), mapped to
  the pre-reform wards that formed it (the package's converter data, both the wards
  merged whole and the wards divided between several new ones), and **the stable unit is
  the pre-reform district that contributed most of those wards; ties go to the lowest
  district code.** Most new communes lie within one old district, so this is exact for
  them; for a commune formed across a district border it is the district most of it came
  from, counted in wards (the converter data carries no population or area shares).
* Unknown names are kept as given, cleaned (NFC, whitespace, administrative prefix
  dropped): a world with invented names still gets consistent keys. An unknown province
  keeps its text; an unknown district its text; an unknown commune without a district
  stands for its own area (its cleaned text is the district). Nothing raises for data.

Names match whatever their case, accents, tone-mark placement ("Hòa"/"Hoà") and
administrative prefix ("Tỉnh", "Thành phố", "TP.", "Huyện", "Quận", "Thị xã", "TX.",
"Xã", "Phường", "Thị trấn", "Đặc khu"). A full name ("Thị xã Kỳ Anh") is tried before a
short one ("Kỳ Anh"); when a name is still ambiguous, the unit with the lowest code is
taken. Output names are the package's short names ("Hải Dương", "Cẩm Giàng"; the few
short names shared by two districts of one province carry their kind, "Kỳ Anh (Thị xã)").

The tables come from the data files of the pinned ``vietnamadminunits`` package
(``dataset.db``, read-only, and ``converter_2025.json``), built once per process; its
``parse_address``/``convert_address`` (one regex pass per address) are not used. Lookups
run on the distinct (province, district, commune) triples only.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PACKAGE = "vietnamadminunits"
UNKNOWN_DISTRICT = "?"
_PREFIX = re.compile(
    r"^(?:(?:tỉnh|thành phố|thị xã|thị trấn|đặc khu|huyện|quận|phường|xã)(?=\s|$)|tp\.|tx\.|tp(?=\s)|tx(?=\s))\s*"
)
_KIND_SUFFIX = re.compile(r"\s*\([^)]*\)$")


# --------------------------------------------------------------------------- names


def clean_name(name: Any) -> str:
    """A name as written, tidied: NFC, single spaces, one administrative prefix dropped.

    Case is kept. Missing or blank values give ''.
    """
    if not isinstance(name, str):
        return ""
    text = " ".join(unicodedata.normalize("NFC", name).split())
    match = _PREFIX.match(text.casefold())
    if match and match.end() < len(text):
        text = text[match.end() :].strip()
    return text


def _fold(name: str) -> str:
    """Case-, accent- and punctuation-free key: 'Thành phố Hải Dương' -> 'thanhphohaiduong'."""
    text = unicodedata.normalize("NFD", name.casefold()).replace("đ", "d")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return "".join(ch for ch in text if ch.isalnum())


class _Index:
    """Names to unit codes, in tiers tried in turn: full name, cleaned name, folded keys."""

    def __init__(self) -> None:
        self._tiers: tuple[dict[str, set[str]], ...] = ({}, {}, {})

    def add(self, code: str, full: str, short: str, keywords: Iterable[str] = ()) -> None:
        names = {full, short, _KIND_SUFFIX.sub("", short)}
        tiers = (
            {unicodedata.normalize("NFC", n).casefold() for n in names},
            {clean_name(n).casefold() for n in names},
            {_fold(n) for n in names} | {_fold(clean_name(n)) for n in names} | {_fold(k) for k in keywords},
        )
        for tier, keys in zip(self._tiers, tiers, strict=True):
            for key in keys - {""}:
                tier.setdefault(key, set()).add(code)

    def find(self, name: Any) -> str | None:
        """The code of the unit named `name` (lowest code when ambiguous); None if unknown."""
        if not isinstance(name, str) or not name.strip():
            return None
        raw = unicodedata.normalize("NFC", " ".join(name.split())).casefold()
        cleaned = clean_name(name).casefold()
        queries = ((raw,), (cleaned,), (_fold(raw), _fold(cleaned)))
        for tier, keys in zip(self._tiers, queries, strict=True):
            found = set().union(*(tier.get(key, set()) for key in keys if key))
            if found:
                return min(found)
        return None


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class _Tables:
    """Lookup tables of the pre- and post-reform units, codes as keys."""

    legacy_provinces: _Index
    legacy_province_short: dict[str, str]  # province code -> short name
    legacy_districts: dict[str, _Index]  # province code -> its districts
    district_short: dict[str, str]  # district code -> short name
    district_province: dict[str, str]  # district code -> province code
    current_provinces: _Index
    current_province_full: dict[str, str]  # new province code -> full name
    current_province_short: dict[str, str]
    current_of_legacy: dict[str, str]  # legacy province code -> new province code
    legacy_of_current: dict[str, tuple[str, ...]]  # new province code -> legacy codes, sorted
    wards: dict[str, _Index]  # new province code -> its communes
    ward_full: dict[str, str]  # new ward code -> full name
    ward_short: dict[str, str]
    ward_province: dict[str, str]  # new ward code -> new province code
    ward_district: dict[str, str]  # new ward code -> majority legacy district code


def _package_data() -> Path:
    """The package's data folder, located without importing the package (its import loads
    its own parser tables)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{PACKAGE} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _keywords(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        values = json.loads(text)
    except ValueError:
        return []
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _query(db: Path, sql: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@cache
def _tables() -> _Tables:
    folder = _package_data()
    legacy = _query(
        folder / "dataset.db",
        "SELECT DISTINCT province, provinceShort, provinceCode, provinceKey, provinceKeywords,"
        " district, districtShort, districtCode, districtKey, districtKeywords"
        " FROM admin_units_legacy",
    )
    current = _query(
        folder / "dataset.db",
        "SELECT province, provinceShort, provinceCode, provinceKey, provinceKeywords,"
        " ward, wardShort, wardCode, wardKey, wardKeywords FROM admin_units",
    )
    with open(folder / "converter_2025.json", encoding="utf-8") as handle:
        converter = json.load(handle)

    legacy_provinces, legacy_province_short = _Index(), {}
    legacy_districts: dict[str, _Index] = defaultdict(_Index)
    district_short, district_province = {}, {}
    province_by_key, district_by_key = {}, {}
    for row in legacy:
        p, d = row["provinceCode"], row["districtCode"]
        if p not in legacy_province_short:
            legacy_province_short[p] = row["provinceShort"]
            legacy_provinces.add(p, row["province"], row["provinceShort"], _keywords(row["provinceKeywords"]))
            province_by_key[row["provinceKey"]] = p
        if d not in district_short:
            district_short[d], district_province[d] = row["districtShort"], p
            legacy_districts[p].add(
                d, row["district"], row["districtShort"], _keywords(row["districtKeywords"])
            )
            district_by_key[(row["provinceKey"], row["districtKey"])] = d

    current_provinces, current_province_full, current_province_short = _Index(), {}, {}
    wards: dict[str, _Index] = defaultdict(_Index)
    ward_full, ward_short, ward_province, ward_by_key = {}, {}, {}, {}
    current_by_key = {}
    for row in current:
        p, w = row["provinceCode"], row["wardCode"]
        if p not in current_province_full:
            current_province_full[p], current_province_short[p] = row["province"], row["provinceShort"]
            current_provinces.add(
                p, row["province"], row["provinceShort"], _keywords(row["provinceKeywords"])
            )
            current_by_key[row["provinceKey"]] = p
        ward_full[w], ward_short[w], ward_province[w] = row["ward"], row["wardShort"], p
        wards[p].add(w, row["ward"], row["wardShort"], _keywords(row["wardKeywords"]))
        ward_by_key[(row["provinceKey"], row["wardKey"])] = w

    current_of_legacy: dict[str, str] = {}
    for new_key, old_keys in converter["DICT_PROVINCE"].items():
        for old_key in old_keys:
            if old_key in province_by_key and new_key in current_by_key:
                current_of_legacy[province_by_key[old_key]] = current_by_key[new_key]
    legacy_of_current: dict[str, list[str]] = defaultdict(list)
    for old, new in current_of_legacy.items():
        legacy_of_current[new].append(old)

    # Pre-reform wards ("province_district_ward" keys) that formed each new ward.
    sources: dict[str, list[str]] = defaultdict(list)
    for new_p, by_ward in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_w, old_keys in by_ward.items():
            sources[ward_by_key.get((new_p, new_w), "")].extend(old_keys)
    for new_p, by_old in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in by_old.items():
            for target in targets:
                sources[ward_by_key.get((new_p, target["newWardKey"]), "")].append(old_key)
    ward_district: dict[str, str] = {}
    for w, old_keys in sources.items():
        parts = (key.split("_") for key in set(old_keys))
        counts = Counter(d for p in parts if (d := district_by_key.get((p[0], p[1]))) is not None)
        if w and counts:
            ward_district[w] = min(counts, key=lambda d: (-counts[d], d))

    return _Tables(
        legacy_provinces=legacy_provinces,
        legacy_province_short=legacy_province_short,
        legacy_districts=dict(legacy_districts),
        district_short=district_short,
        district_province=district_province,
        current_provinces=current_provinces,
        current_province_full=current_province_full,
        current_province_short=current_province_short,
        current_of_legacy=current_of_legacy,
        legacy_of_current={k: tuple(sorted(v)) for k, v in legacy_of_current.items()},
        wards=dict(wards),
        ward_full=ward_full,
        ward_short=ward_short,
        ward_province=ward_province,
        ward_district=ward_district,
    )


# --------------------------------------------------------------------------- lookups


def _legacy_district(province: Any, district: Any) -> str | None:
    """Pre-reform district code of an old-form (province, district); None when unknown."""
    t = _tables()
    p = t.legacy_provinces.find(province)
    if p is not None:
        d = t.legacy_districts[p].find(district)
        if d is not None:
            return d
    # A post-reform province with a pre-reform district: search the provinces that formed it.
    new = t.current_provinces.find(province)
    for old in t.legacy_of_current.get(new or "", ()):
        if old != p and (d := t.legacy_districts[old].find(district)) is not None:
            return d
    return None


def _current_province(province: Any) -> str | None:
    """The post-reform province named `province`, or the one a pre-reform province joined."""
    t = _tables()
    new = t.current_provinces.find(province)
    if new is not None:
        return new
    old = t.legacy_provinces.find(province)
    return t.current_of_legacy.get(old) if old is not None else None


def _ward(province: Any, commune: Any) -> str | None:
    """Post-reform ward code of a (province, commune); None when unknown."""
    new = _current_province(province)
    if new is None:
        return None
    return _tables().wards[new].find(commune)


def _present(value: Any) -> bool:
    return isinstance(value, str) and bool(clean_name(value))


@lru_cache(maxsize=1 << 16)
def _stable_unit(province: Any, district: Any, commune: Any) -> tuple[Any, Any]:
    """(unit_province, unit_district) of one address; see the module docstring."""
    t = _tables()
    if _present(district):
        d = _legacy_district(province, district)
        if d is not None:
            return t.legacy_province_short[t.district_province[d]], t.district_short[d]
    elif _present(commune):
        w = _ward(province, commune)
        if w is not None and w in t.ward_district:
            d = t.ward_district[w]
            return t.legacy_province_short[t.district_province[d]], t.district_short[d]
    p = t.legacy_provinces.find(province)
    unit_province: Any = t.legacy_province_short[p] if p is not None else clean_name(province) or pd.NA
    if _present(district):
        return unit_province, clean_name(district)
    if _present(commune):
        return unit_province, clean_name(commune)
    return unit_province, pd.NA


def unique_rows(*columns: Any) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    """Codes of the distinct rows of `columns` (0, 1, ... in order of appearance) and, for
    each code, the row's values (anything but text as None)."""
    arrays = [np.asarray(c, dtype=object) for c in columns]
    codes = np.zeros(len(arrays[0]) if arrays else 0, dtype=np.int64)
    for values in arrays:
        column, uniques = pd.factorize(values, use_na_sentinel=True)
        codes, _ = pd.factorize(codes * (len(uniques) + 1) + column + 1)  # stays below n * (n + 1)
    _, first = np.unique(codes, return_index=True)
    rows = [tuple(a[i] if isinstance(a[i], str) else None for a in arrays) for i in first]
    return codes, rows


def stable_units(province: pd.Series, district: pd.Series, commune: pd.Series) -> pd.DataFrame:
    """The stable unit of each address: columns `unit_province`, `unit_district` (text).

    Pre-reform short names ("Hải Dương", "Cẩm Giàng") for known places, the cleaned text
    for unknown ones, NA where nothing was given. Same index as `province`.
    """
    index = province.index
    if len(province) == 0:
        return pd.DataFrame({"unit_province": [], "unit_district": []}, index=index, dtype="str")
    district = pd.Series(np.asarray(district, dtype=object), index=index)
    commune = pd.Series(np.asarray(commune, dtype=object), index=index)
    codes, uniques = unique_rows(province, district, commune)
    resolved = [_stable_unit(*triple) for triple in uniques]
    unit_p = np.array([r[0] for r in resolved], dtype=object)[codes]
    unit_d = np.array([r[1] for r in resolved], dtype=object)[codes]
    return pd.DataFrame(
        {"unit_province": pd.array(unit_p, dtype="str"), "unit_district": pd.array(unit_d, dtype="str")},
        index=index,
    )


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype=object)


def area_key(frame: pd.DataFrame) -> pd.Series:
    """`unit_province|unit_district` of each row; '?' stands for an unknown district (or
    province).

    `frame` has province, district and (optionally: missing means NA) commune columns, or
    carries its stable units already as `unit_province` and `unit_district` columns (as
    `stable_units` returns them), which are then used as they are.
    """
    if {"unit_province", "unit_district"} <= set(frame.columns):
        units = frame[["unit_province", "unit_district"]]
    else:
        units = stable_units(
            _column(frame, "province"), _column(frame, "district"), _column(frame, "commune")
        )
    province = units["unit_province"].astype("str").fillna(UNKNOWN_DISTRICT)
    district = units["unit_district"].astype("str").fillna(UNKNOWN_DISTRICT)
    return (province + "|" + district).rename("area")


def current_communes(province: pd.Series, commune: pd.Series) -> pd.DataFrame:
    """The post-reform (province, commune) full names of each row, columns
    `current_province` and `current_commune` ("Thành phố Hải Phòng", "Xã Cẩm Giàng"), NA
    where unknown. A pre-reform province name stands for the province it joined."""
    t = _tables()
    codes, uniques = unique_rows(province, commune)
    out_p, out_c = [], []
    for prov, comm in uniques:
        new = _current_province(prov)
        ward = t.wards[new].find(comm) if new is not None else None
        out_p.append(t.current_province_full[new] if new is not None else pd.NA)
        out_c.append(t.ward_full[ward] if ward is not None else pd.NA)
    return pd.DataFrame(
        {
            "current_province": pd.array(np.array(out_p, dtype=object)[codes], dtype="str"),
            "current_commune": pd.array(np.array(out_c, dtype=object)[codes], dtype="str"),
        },
        index=province.index,
    )


def communes_of_district(province: str, district: str) -> list[tuple[str, str]]:
    """Post-reform (province full name, commune full name) pairs whose majority pre-reform
    district is (`province`, `district`), sorted; [] for an unknown district."""
    t = _tables()
    d = _legacy_district(province, district)
    if d is None:
        return []
    return sorted(
        (t.current_province_full[t.ward_province[w]], t.ward_full[w])
        for w, dist in t.ward_district.items()
        if dist == d
    )


def legacy_province_names() -> frozenset[str]:
    """Short names of the 63 provinces before 1 July 2025."""
    return frozenset(_tables().legacy_province_short.values())


def current_province_names() -> frozenset[str]:
    """Short names of the 34 provinces from 1 July 2025."""
    return frozenset(_tables().current_province_short.values())


__all__ = [
    "area_key",
    "unique_rows",
    "clean_name",
    "communes_of_district",
    "current_communes",
    "current_province_names",
    "legacy_province_names",
    "stable_units",
]
