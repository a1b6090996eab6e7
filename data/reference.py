"""Public reference data shipped with the project: minimum wages, regions, Tết.

The tables live as small CSVs in ``data/reference/``: each minimum wage names its decree
(``legal_basis``), each district's or commune's region its source (``note``). Every lookup
is vectorized (``np.searchsorted``, places resolved once per distinct place) so that
features and the simulator can call it on millions of enterprise-months.

Regions across the 2025 reform of administrative units: places are read as
``data.admin_units`` stable units (the pre-reform province and district), so old-form
addresses, new-form ones (province + commune) and the stable units themselves all find
the same rows of ``district_regions.csv``. From 2026-01-01 Decree 293/2025 sets regions by
post-reform commune. Its appendix was not available here; ``commune_regions.csv`` holds
only what a source lists: Hải Phòng's Region I wards, communes and special zone, as a Lao
Dong article reports them (names given without diacritics, matched to the package's
commune names). Every other commune, and every enterprise addressed without a commune,
keeps the district table in force: the region of a commune is the region of its majority
pre-reform district (its stable unit), whose 2026 rows are partly unverified (see their
notes). The two tables agree on the former Hải Dương communes except Nguyễn Lương Bằng
(most of it from Thanh Miện, Region II by the district table; Region I by the list).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data import admin_units
from data.errors import EwsError
from vocab.months import CALENDAR_DAYS_PER_MONTH

REFERENCE_DIR = Path(__file__).parent / "reference"
# A lunar year has at least 353 days: two Tết are never closer (used at the table's start).
SHORTEST_LUNAR_YEAR_DAYS = 353
_PREFIXES = ("thành phố ", "tp. ", "tp ", "thị xã ", "tx. ", "tx ", "huyện ", "quận ", "tỉnh ")


def normalize_place(name: Any) -> str:
    """Canonical form of a place name (NFC, casefolded, administrative prefix removed)."""
    if not isinstance(name, str):
        return ""
    text = unicodedata.normalize("NFC", name).strip().casefold()
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    return " ".join(text.split())


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / name, encoding="utf-8", dtype={"region": "int64"})


@cache
def minimum_wage_table() -> pd.DataFrame:
    """Regional minimum wages: effective, region (1-4), vnd_per_month, legal_basis."""
    table = _read("minimum_wages.csv")
    table["effective"] = pd.to_datetime(table["effective"])
    return table.sort_values(["effective", "region"], ignore_index=True)


@cache
def district_region_table() -> pd.DataFrame:
    """Minimum-wage region of each district over time: province, district, effective, region, note."""
    table = _read("district_regions.csv")
    table["effective"] = pd.to_datetime(table["effective"])
    return table.sort_values(["province", "district", "effective"], ignore_index=True)


@cache
def _tet_days() -> np.ndarray:
    tet = pd.to_datetime(_read("tet_dates.csv")["tet"])
    return np.sort(tet.to_numpy().astype("datetime64[D]").astype(np.int64))


def _as_days(dates: Any) -> tuple[np.ndarray, np.ndarray]:
    """Dates as float days since epoch (NaN for missing) and the missing mask."""
    raw = np.atleast_1d(np.asarray(dates)).ravel()
    if raw.dtype.kind == "M":
        days = raw.astype("datetime64[D]")
    else:
        days = pd.to_datetime(pd.Series(raw)).to_numpy().astype("datetime64[D]")
    missing = np.isnat(days)
    out = days.astype(np.int64).astype(np.float64)
    out[missing] = np.nan
    return out, missing


def _last_on_or_before(breaks: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Index of the last break <= day (-1 when none); breaks are sorted int days."""
    safe = np.where(np.isnan(days), -np.inf, days)
    return np.searchsorted(breaks, safe, side="right") - 1


@cache
def _wage_matrix() -> tuple[np.ndarray, np.ndarray]:
    table = minimum_wage_table()
    pivot = table.pivot(index="effective", columns="region", values="vnd_per_month").sort_index()
    breaks = pivot.index.to_numpy().astype("datetime64[D]").astype(np.int64)
    return breaks, pivot[[1, 2, 3, 4]].to_numpy(dtype=np.float64)


def minimum_wage_change_dates() -> pd.DatetimeIndex:
    """Effective dates of national minimum-wage increases known to the table."""
    days = np.unique(minimum_wage_table()["effective"].to_numpy().astype("datetime64[D]"))
    return pd.DatetimeIndex(days.astype("datetime64[ns]"))


def tet_dates() -> pd.DatetimeIndex:
    """Lunar new year (Tết) dates, 2015-2030."""
    return pd.DatetimeIndex(_tet_days().astype("datetime64[D]").astype("datetime64[ns]"))


def minimum_wage_vnd(region: Any, dates: Any) -> np.ndarray:
    """Monthly minimum wage (VND) in force at each date for the given region (1-4).

    NaN where the region is missing or out of range, or the date precedes the table.
    """
    days, _ = _as_days(dates)
    reg = np.broadcast_to(np.asarray(region, dtype=np.float64), days.shape)
    breaks, matrix = _wage_matrix()
    idx = _last_on_or_before(breaks, days)
    valid = (idx >= 0) & ~np.isnan(days) & np.isin(reg, (1.0, 2.0, 3.0, 4.0))
    out = np.full(days.shape, np.nan)
    out[valid] = matrix[idx[valid], reg[valid].astype(np.int64) - 1]
    return out


Schedule = tuple[np.ndarray, np.ndarray]


def _schedule(group: pd.DataFrame) -> Schedule:
    return (
        group["effective"].to_numpy().astype("datetime64[D]").astype(np.int64),
        group["region"].to_numpy(dtype=np.float64),
    )


@cache
def _region_schedules() -> dict[tuple[str, str], Schedule]:
    """Stable unit (province, district) -> (effective days, regions); district '' holds the
    province mode. Keys are `admin_units.stable_units` names, as the lookups' are."""
    table = district_region_table().copy()
    units = admin_units.stable_units(
        table["province"], table["district"], pd.Series(pd.NA, index=table.index)
    )
    table["province"], table["district"] = units["unit_province"], units["unit_district"]
    schedules: dict[tuple[str, str], Schedule] = {}
    for (prov, dist), grp in table.groupby(["province", "district"], sort=True):
        schedules[(str(prov), str(dist))] = _schedule(grp)
    for prov, grp in table.groupby("province", sort=True):
        breaks = np.unique(grp["effective"].to_numpy().astype("datetime64[D]").astype(np.int64))
        modes = []
        for day in breaks:
            regions = [
                sched[1][i]
                for (p, _), sched in schedules.items()
                if p == prov and (i := int(np.searchsorted(sched[0], day, "right")) - 1) >= 0
            ]
            values, counts = np.unique(regions, return_counts=True)
            modes.append(values[np.argmax(counts)])  # ties go to the lower region number
        schedules[(str(prov), "")] = (breaks, np.asarray(modes, dtype=np.float64))
    return schedules


@cache
def commune_region_table() -> pd.DataFrame:
    """Minimum-wage region of post-reform communes: province, commune, effective, region, note.

    Only what a source lists (see the module docstring); other communes take the region of
    their stable unit, i.e. of the pre-reform district most of them came from.
    """
    table = _read("commune_regions.csv")
    table["effective"] = pd.to_datetime(table["effective"])
    return table.sort_values(["province", "commune", "effective"], ignore_index=True)


@cache
def _commune_schedules() -> dict[tuple[str, str], Schedule]:
    """Post-reform (province, commune) full names -> (effective days, regions)."""
    table = commune_region_table().copy()
    names = admin_units.current_communes(table["province"], table["commune"])
    if names.isna().any(axis=None):
        unknown = table.loc[names.isna().any(axis=1), ["province", "commune"]].to_numpy().tolist()
        raise ValueError(f"commune_regions.csv names unknown communes: {unknown}")
    table["province"], table["commune"] = names["current_province"], names["current_commune"]
    return {
        (str(prov), str(comm)): _schedule(grp)
        for (prov, comm), grp in table.groupby(["province", "commune"], sort=True)
    }


def _regions_on(schedule: Schedule, days: np.ndarray) -> np.ndarray:
    idx = _last_on_or_before(schedule[0], days)
    return np.where(idx >= 0, schedule[1][np.maximum(idx, 0)], np.nan)


def minimum_wage_region(province: Any, district: Any, dates: Any, commune: Any = None) -> np.ndarray:
    """Minimum-wage region (1-4, float) in force for each place at each date.

    A place is (province, district), pre- or post-reform names alike: both it and the
    reference table are read as `admin_units` stable units, so callers may pass
    `unit_province`, `unit_district`. An unknown district of a known province falls back to
    the province's most common region; an unknown province, or a date before the table
    starts, gives NaN. With a `commune` (post-reform, optional): a district-less place is
    located by its commune, and where `commune_regions.csv` lists the commune its region
    applies from its effective date.
    """
    days, _ = _as_days(dates)
    n = days.shape[0]
    prov = pd.Series(np.broadcast_to(np.asarray(province, dtype=object), (n,)), dtype=object)
    dist = pd.Series(np.broadcast_to(np.asarray(district, dtype=object), (n,)), dtype=object)
    comm = pd.Series(np.broadcast_to(np.asarray(commune, dtype=object), (n,)), dtype=object)
    out = np.full(n, np.nan)
    if n == 0:
        return out
    codes, places = admin_units.unique_rows(prov, dist, comm)
    first = np.unique(codes, return_index=True)[1]
    units = admin_units.stable_units(prov.iloc[first], dist.iloc[first], comm.iloc[first])
    has_commune = np.flatnonzero([c is not None for _, _, c in places])
    current_of: dict[int, tuple[Any, Any]] = {}
    if has_commune.size:
        current = admin_units.current_communes(prov.iloc[first[has_commune]], comm.iloc[first[has_commune]])
        pairs = zip(current["current_province"], current["current_commune"], strict=True)
        current_of = dict(zip(has_commune.tolist(), pairs, strict=True))
    schedules, by_commune = _region_schedules(), _commune_schedules()
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(places) + 1))
    for code, (unit_p, unit_d) in enumerate(units.itertuples(index=False)):
        rows = order[bounds[code] : bounds[code + 1]]
        if isinstance(unit_p, str):
            sched = schedules.get((unit_p, unit_d if isinstance(unit_d, str) else "")) or schedules.get(
                (unit_p, "")
            )
            if sched is not None:
                out[rows] = _regions_on(sched, days[rows])
        names = current_of.get(code)
        if names is None or not isinstance(names[1], str):
            continue
        if (listed := by_commune.get((str(names[0]), names[1]))) is not None:
            region = _regions_on(listed, days[rows])
            out[rows] = np.where(np.isnan(region), out[rows], region)
    return out


def months_to_next_tet(dates: Any) -> np.ndarray:
    """Months (days / 30.44) from each date to the next Tết on or after it; NaN outside the table.

    Before the first listed Tết the answer holds only within 353 days of it (the shortest
    lunar year), since an unlisted Tết could fall in between.
    """
    days, _ = _as_days(dates)
    tet = _tet_days()
    safe = np.where(np.isnan(days), np.inf, days)
    idx = np.searchsorted(tet, safe, side="left")
    ok = (idx < tet.size) & ((idx > 0) | (tet[0] - safe < SHORTEST_LUNAR_YEAR_DAYS))
    out = np.full(days.shape, np.nan)
    out[ok] = (tet[idx[ok]] - days[ok]) / CALENDAR_DAYS_PER_MONTH
    return out


def _change_days() -> np.ndarray:
    return minimum_wage_change_dates().to_numpy().astype("datetime64[D]").astype(np.int64)


def months_since_minimum_wage_rise(dates: Any) -> np.ndarray:
    """Months since the latest minimum-wage rise on or before each date; NaN when none."""
    days, _ = _as_days(dates)
    changes = _change_days()
    idx = _last_on_or_before(changes, days)
    ok = idx >= 0
    out = np.full(days.shape, np.nan)
    out[ok] = (days[ok] - changes[idx[ok]]) / CALENDAR_DAYS_PER_MONTH
    return out


def months_to_next_minimum_wage_rise(dates: Any) -> np.ndarray:
    """Months until the next minimum-wage rise strictly after each date; NaN when none known.

    Before the table's first rise it is NaN too: an earlier, unlisted rise may come first.
    """
    days, _ = _as_days(dates)
    changes = _change_days()
    safe = np.where(np.isnan(days), np.inf, days)
    idx = np.searchsorted(changes, safe, side="right")
    ok = (idx > 0) & (idx < changes.size)
    out = np.full(days.shape, np.nan)
    out[ok] = (changes[idx[ok]] - days[ok]) / CALENDAR_DAYS_PER_MONTH
    return out


# ============================================================================ areas
# Coordinates of zones and places, for the analysts' map: an optional workspace file.

#: The workspace's area reference, in `EWS_HOME`; a workspace without it has no map.
AREAS_FILE = "areas.csv"
#: Columns of the area reference, in order.
AREA_COLUMNS: tuple[str, ...] = ("area_id", "kind", "name", "province", "latitude", "longitude")
#: Kinds of area: zones are keyed by their `zone_id`, districts and communes by their name
#: within the province (as the enterprises table writes them).
ZONE_AREA_KINDS: tuple[str, ...] = ("industrial_zone", "industrial_cluster")
AREA_KINDS: tuple[str, ...] = (*ZONE_AREA_KINDS, "district", "commune")
#: Vietnam's bounding box, islands included (Trường Sa reaches 6.9 N and 117.8 E): a point
#: outside it is a swapped pair, a sign error or a place abroad.
LATITUDE_RANGE: tuple[float, float] = (6.5, 23.5)
LONGITUDE_RANGE: tuple[float, float] = (102.0, 118.0)
_AREA_ID_MAX = 64
_INVISIBLE_CHARS = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060\ufeff]")


class AreasRefused(EwsError):
    """The area reference file is unreadable or has a bad row: refused whole, in one line."""


def areas_path(home: Path) -> Path:
    """Where a workspace keeps its area reference: ``EWS_HOME/areas.csv``."""
    return Path(home) / AREAS_FILE


def empty_areas() -> pd.DataFrame:
    """An area table without rows (a workspace that declares no coordinates)."""
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in AREA_COLUMNS[:4]})
    frame["latitude"] = pd.Series([], dtype="float64")
    frame["longitude"] = pd.Series([], dtype="float64")
    return frame


def _area_problem(row: pd.Series) -> str | None:
    """What is wrong with one area row (text cells), or None."""
    area_id = row["area_id"]
    if not area_id or len(area_id) > _AREA_ID_MAX or area_id != area_id.strip():
        return f"area_id must be 1 to {_AREA_ID_MAX} characters without spaces around it"
    if _INVISIBLE_CHARS.search(area_id):
        return "area_id holds an invisible character"
    if row["kind"] not in AREA_KINDS:
        return f"kind {row['kind']!r} is not one of {', '.join(AREA_KINDS)}"
    for column in ("name", "province"):
        if not row[column].strip():
            return f"{column} is empty"
    for column, (low, high) in (("latitude", LATITUDE_RANGE), ("longitude", LONGITUDE_RANGE)):
        try:
            value = float(row[column])
        except ValueError:
            return f"{column} {row[column]!r} is not a number"
        if not low <= value <= high:  # NaN fails too
            return f"{column} {row[column]} is outside Vietnam ({low} to {high})"
    return None


def validate_areas(raw: pd.DataFrame, label: str = AREAS_FILE) -> pd.DataFrame:
    """The area table of text cells `raw`, checked and typed (latitude, longitude as floats).

    Refused whole (`AreasRefused`, one line naming `label`, the row and the problem) when a
    column is missing or unknown, a row has an empty or malformed id, an unknown kind, an
    empty name or province, a coordinate that is not a number inside Vietnam's bounding
    box, or when two rows share a key: (kind, province, area_id), and a zone's id names one
    zone only. A file of a few hundred places is fixed at its source, not quarantined.
    """
    columns = list(raw.columns)
    missing = [c for c in AREA_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in AREA_COLUMNS]
    if missing or unknown:
        what = (
            f"missing column(s) {', '.join(missing)}"
            if missing
            else f"unknown column(s) {', '.join(unknown)}"
        )
        raise AreasRefused(f"{label}: {what}; expected {', '.join(AREA_COLUMNS)}")
    text = raw.loc[:, list(AREA_COLUMNS)].astype("object").where(raw.notna(), "").astype("str")
    for position, (_, row) in enumerate(text.iterrows(), start=2):  # row 1 is the header
        problem = _area_problem(row)
        if problem is not None:
            raise AreasRefused(f"{label}: row {position}: {problem}")
    keyed = text.assign(_zone=text["kind"].isin(ZONE_AREA_KINDS))
    keyed["_province"] = keyed["province"].map(normalize_place).where(~keyed["_zone"], "")
    keyed["_group"] = keyed["kind"].where(~keyed["_zone"], "zone")
    repeated = keyed.duplicated(["_group", "_province", "area_id"], keep="first").to_numpy()
    if repeated.any():
        position = int(np.flatnonzero(repeated)[0]) + 2
        raise AreasRefused(
            f"{label}: row {position}: area {text['area_id'].iloc[position - 2]!r} is listed twice"
        )
    out = text.copy()
    out["latitude"] = out["latitude"].astype("float64")
    out["longitude"] = out["longitude"].astype("float64")
    return out.reset_index(drop=True)


def read_areas(path: Path) -> pd.DataFrame:
    """The validated area reference at `path` (UTF-8 CSV, columns `AREA_COLUMNS`); an empty
    table when the file does not exist: coordinates are optional."""
    path = Path(path)
    if not path.exists():
        return empty_areas()
    try:
        raw = pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AreasRefused(f"{path.name}: cannot be read as a UTF-8 CSV ({first})") from None
    return validate_areas(raw, path.name)
