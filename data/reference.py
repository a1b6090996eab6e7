"""Public reference data shipped with the project: minimum wages, district regions, Tết.

The tables live as small CSVs in ``data/reference/``: each minimum wage names its decree
(``legal_basis``), each district's region its source (``note``). Every lookup is vectorized
with ``np.searchsorted`` so that features and the simulator can call it on millions of
enterprise-months.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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


@cache
def _region_schedules() -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """(province, district) -> (effective days, regions); district '' holds the province mode."""
    table = district_region_table()
    schedules: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    for (prov, dist), grp in table.groupby(["province", "district"], sort=True):
        key = (normalize_place(prov), normalize_place(dist))
        schedules[key] = (
            grp["effective"].to_numpy().astype("datetime64[D]").astype(np.int64),
            grp["region"].to_numpy(dtype=np.float64),
        )
    for prov, grp in table.groupby("province", sort=True):
        breaks = np.unique(grp["effective"].to_numpy().astype("datetime64[D]").astype(np.int64))
        modes = []
        for day in breaks:
            regions = [
                sched[1][i]
                for (p, _), sched in schedules.items()
                if p == normalize_place(prov) and (i := int(np.searchsorted(sched[0], day, "right")) - 1) >= 0
            ]
            values, counts = np.unique(regions, return_counts=True)
            modes.append(values[np.argmax(counts)])  # ties go to the lower region number
        schedules[(normalize_place(prov), "")] = (breaks, np.asarray(modes, dtype=np.float64))
    return schedules


def minimum_wage_region(province: Any, district: Any, dates: Any) -> np.ndarray:
    """Minimum-wage region (1-4, float) in force for each (province, district) at each date.

    An unknown district of a known province falls back to the province's most common
    region; an unknown province, or a date before the table starts, gives NaN.
    """
    days, _ = _as_days(dates)
    n = days.shape[0]
    prov = np.broadcast_to(np.asarray(province, dtype=object), (n,))
    dist = np.broadcast_to(np.asarray(district, dtype=object), (n,))
    schedules = _region_schedules()
    prov_codes, prov_uniques = pd.factorize(pd.Series(prov, dtype=object))
    dist_codes, dist_uniques = pd.factorize(pd.Series(dist, dtype=object))
    combined = prov_codes.astype(np.int64) * (len(dist_uniques) + 1) + dist_codes + 1
    combos, inverse = np.unique(combined, return_inverse=True)
    out = np.full(n, np.nan)
    for code, combo in enumerate(combos):
        p_code, d_code = divmod(int(combo), len(dist_uniques) + 1)
        if p_code < 0:
            continue
        p = normalize_place(prov_uniques[p_code])
        d = normalize_place(dist_uniques[d_code - 1]) if d_code > 0 else ""
        sched = schedules.get((p, d)) or schedules.get((p, ""))
        if sched is None:
            continue
        rows = np.flatnonzero(inverse == code)
        idx = _last_on_or_before(sched[0], days[rows])
        ok = idx >= 0
        out[rows[ok]] = sched[1][idx[ok]]
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
