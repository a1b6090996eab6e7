"""Point-in-time features: one function per column, and the table builder that runs them.

Every feature is computed as of a date D from what was known at D only: indicator rows
with `reported_at` ≤ D at their latest revision known at D (see `features.panel`),
incidents with `reported_at` ≤ D, and enterprises operating at D. "Not reported" stays
NaN, never zero; `months_since_last_report` and the `*_reported` flags make it explicit.

Indicator features are read at the enterprise's most recent month known at D (its
"latest month"), so that a late reporter is described by its last known state plus how
stale that state is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from data import admin_units, reference
from features.panel import (
    IndicatorArrays,
    Snapshot,
    first_known_index,
    last_known_lag,
    snapshot_from_arrays,
)
from vocab.months import DAYS_PER_MONTH, day_number, month_number
from vocab.terms import WORK_STOPPAGE

# Contagion and history count these incident kinds; labels are set separately.
STOPPAGE = WORK_STOPPAGE
# The National Wage Council's recommendation precedes a minimum-wage decree by months;
# a rise is treated as known this many months before it takes effect.
MIN_WAGE_RISE_KNOWN_MONTHS = 3
CATEGORICAL = ("province", "sector", "ownership", "zone_type")
STATIC_TEXT = ("province", "district", "zone_id", "zone_type", "sector", "ownership")
# The indicator months the features of an as-of date D read: the window of D's month and
# the WINDOW_MONTHS - 1 before it (`Snapshot`). An enterprise's latest month is looked for
# inside it, and the features look up to HISTORY_MONTHS behind it (`headcount_change_12m`,
# `debt_first_appearance`; `debt_streak_months` scans the whole window), complete while
# that month is at most REPORTING_LAG_MONTHS old. Of older months only each enterprise's
# latest month known at D counts (`months_since_last_report`, the universe): the nightly
# read (`Store.load_indicators_at`) gives the window whole and of the rest only that.
# A feature that looks further back needs a longer window; tests/features pin both.
HISTORY_MONTHS = 12
REPORTING_LAG_MONTHS = 3
WINDOW_MONTHS = HISTORY_MONTHS + REPORTING_LAG_MONTHS + 1


@dataclass(frozen=True)
class Places:
    """Minimum-wage lookups per place (a distinct stable unit and commune), computed once."""

    code: np.ndarray  # (E,) place of each enterprise
    first_month: int  # month number of column 0 of `minimum_wage`
    minimum_wage: np.ndarray  # (P, months) VND in force in each month
    region_change_12m: np.ndarray  # (P, K) regions moved up in the 12 months to each as-of date


@dataclass(frozen=True)
class Inputs:
    """What the feature functions read for a block of as-of dates: arrays are (K, E)."""

    snapshot: Snapshot
    latest: np.ndarray
    enterprises: pd.DataFrame
    incidents: pd.DataFrame
    grid_days: np.ndarray
    zone_stoppages: dict[str, np.ndarray]
    places: Places | None = None
    k_slice: slice = field(default_factory=lambda: slice(None))
    _gathered: dict[tuple[str, int], np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self.latest.shape

    def latest_value(self, column: str, months_before: int = 0) -> np.ndarray:
        """Value of an indicator `months_before` months before the latest month (cached: read-only)."""
        key = (column, months_before)
        if key not in self._gathered:
            self._gathered[key] = self.snapshot.at_lag(column, self.latest + months_before)
        return self._gathered[key]

    def broadcast(self, column: str) -> np.ndarray:
        """A per-enterprise static column repeated over the as-of dates."""
        values = self.enterprises[column].to_numpy()
        return np.broadcast_to(values, self.shape)

    def data_month_dates(self) -> np.ndarray:
        """First day of each cell's latest month, datetime64[ns] (NaT where none)."""
        months = self.snapshot.as_of_month[:, None] - self.latest
        out = np.full(self.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
        ok = np.isfinite(months)
        out[ok] = np.asarray(months[ok], dtype=np.int64).astype("datetime64[M]").astype("datetime64[ns]")
        return out


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = numerator / denominator
    out[~np.isfinite(out)] = np.nan
    return out


def _flag(condition: np.ndarray, defined: np.ndarray) -> np.ndarray:
    return np.where(defined, condition.astype(np.float64), np.nan)


# --- debt -------------------------------------------------------------------------------


def wage_arrears_months(x: Inputs) -> np.ndarray:
    """Months of wages overdue in the latest month (months)."""
    return x.latest_value("wage_arrears_months")


def wage_arrears_vnd_per_worker(x: Inputs) -> np.ndarray:
    """Wages owed per worker on the payroll in the latest month (VND)."""
    return _ratio(x.latest_value("wage_arrears_vnd"), x.latest_value("headcount"))


def wage_arrears_to_minimum_wage(x: Inputs) -> np.ndarray:
    """Wages owed per worker, in regional minimum monthly wages (ratio)."""
    return _ratio(wage_arrears_vnd_per_worker(x), _minimum_wage_at_data_month(x))


def insurance_debt_months(x: Inputs) -> np.ndarray:
    """Months of social-insurance contributions overdue in the latest month (months)."""
    return x.latest_value("insurance_debt_months")


def insurance_debt_vnd_per_worker(x: Inputs) -> np.ndarray:
    """Social-insurance contributions owed per worker in the latest month (VND)."""
    return _ratio(x.latest_value("insurance_debt_vnd"), x.latest_value("headcount"))


def insurance_debt_trend_3m(x: Inputs) -> np.ndarray:
    """Change in insurance-debt months over the 3 months to the latest month (months)."""
    return x.latest_value("insurance_debt_months") - x.latest_value("insurance_debt_months", 3)


def _any_debt(x: Inputs, months_before: int) -> tuple[np.ndarray, np.ndarray]:
    """(debt > 0, defined) at a month before the latest: wage arrears or insurance debt."""
    wage = x.latest_value("wage_arrears_months", months_before)
    insurance = x.latest_value("insurance_debt_months", months_before)
    defined = np.isfinite(wage) | np.isfinite(insurance)
    debt = (np.nan_to_num(wage) > 0) | (np.nan_to_num(insurance) > 0)
    return debt, defined


def debt_streak_months(x: Inputs) -> np.ndarray:
    """Consecutive reported months, ending at the latest, with any wage or insurance debt."""
    streak = np.zeros(x.shape)
    running = np.ones(x.shape, dtype=bool)
    for months_before in range(x.snapshot.window):
        debt, _ = _any_debt(x, months_before)
        running &= debt
        streak += running
    _, defined = _any_debt(x, 0)
    return np.where(defined, streak, np.nan)


def debt_first_appearance(x: Inputs) -> np.ndarray:
    """1 when debt shows in the latest month and in none of the 12 months before it."""
    debt_now, defined = _any_debt(x, 0)
    earlier = np.zeros(x.shape, dtype=bool)
    for months_before in range(1, min(13, x.snapshot.window)):
        debt, _ = _any_debt(x, months_before)
        earlier |= debt
    return _flag(debt_now & ~earlier, defined)


def insurance_debt_turning_to_wage_arrears(x: Inputs) -> np.ndarray:
    """1 when wage arrears appear where 3 months earlier only insurance debt was owed."""
    wage_now = x.latest_value("wage_arrears_months")
    wage_before = x.latest_value("wage_arrears_months", 3)
    insurance_before = x.latest_value("insurance_debt_months", 3)
    defined = np.isfinite(wage_now) & np.isfinite(insurance_before)
    turning = (
        (np.nan_to_num(wage_now) > 0)
        & (np.nan_to_num(wage_before) == 0)
        & (np.nan_to_num(insurance_before) > 0)
    )
    return _flag(turning, defined)


# --- workforce --------------------------------------------------------------------------


def headcount(x: Inputs) -> np.ndarray:
    """Workers on the payroll at the end of the latest month (workers)."""
    return x.latest_value("headcount")


def log_headcount(x: Inputs) -> np.ndarray:
    """Natural log of 1 + headcount; size on the scale that hazards scale with."""
    return np.log1p(headcount(x))


def _headcount_change(x: Inputs, months: int) -> np.ndarray:
    return _ratio(x.latest_value("headcount"), x.latest_value("headcount", months)) - 1.0


def headcount_change_3m(x: Inputs) -> np.ndarray:
    """Relative change in headcount over the 3 months to the latest month (share)."""
    return _headcount_change(x, 3)


def headcount_change_6m(x: Inputs) -> np.ndarray:
    """Relative change in headcount over 6 months (share)."""
    return _headcount_change(x, 6)


def headcount_change_12m(x: Inputs) -> np.ndarray:
    """Relative change in headcount over 12 months (share)."""
    return _headcount_change(x, 12)


def layoffs_share_1m(x: Inputs) -> np.ndarray:
    """Workers laid off in the latest month over its headcount (share)."""
    return _ratio(x.latest_value("layoffs"), x.latest_value("headcount"))


def layoffs_share_3m(x: Inputs) -> np.ndarray:
    """Workers laid off in the 3 months to the latest, over headcount 3 months before (share)."""
    months = [x.latest_value("layoffs", back) for back in range(3)]
    reported = np.sum([np.isfinite(v) for v in months], axis=0)
    total = np.nansum(months, axis=0)
    base = x.latest_value("headcount", 3)
    base = np.where(np.isfinite(base), base, x.latest_value("headcount"))
    return np.where(reported > 0, _ratio(total, base), np.nan)


def reduced_hours_share(x: Inputs) -> np.ndarray:
    """Workers on reduced hours or suspension at the latest month end (share of headcount)."""
    return _ratio(x.latest_value("reduced_hours_workers"), x.latest_value("headcount"))


# --- pay --------------------------------------------------------------------------------


def _minimum_wage_at_data_month(x: Inputs) -> np.ndarray:
    if x.places is not None:
        months = x.snapshot.as_of_month[:, None] - x.latest
        ok = np.isfinite(months)
        column = np.where(ok, months, x.places.first_month).astype(np.int64) - x.places.first_month
        wage = x.places.minimum_wage[x.places.code[None, :], column]
        wage[~ok] = np.nan
        return wage
    dates = x.data_month_dates().ravel()
    province, district, commune = (
        np.broadcast_to(c[None, :], x.shape).ravel() for c in _place_columns(x.enterprises)
    )
    region = reference.minimum_wage_region(province, district, dates, commune)
    return reference.minimum_wage_vnd(region, dates).reshape(x.shape)


def wage_to_minimum_wage(x: Inputs) -> np.ndarray:
    """Average wage over the regional minimum wage in force in the latest month (ratio)."""
    return _ratio(x.latest_value("avg_wage_vnd"), _minimum_wage_at_data_month(x))


def avg_wage_vnd(x: Inputs) -> np.ndarray:
    """Average monthly wage paid per worker in the latest month (VND); peers use it."""
    return x.latest_value("avg_wage_vnd")


# --- calendar ---------------------------------------------------------------------------


def _as_of_column(x: Inputs, values: np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(values, dtype=np.float64)[:, None], x.shape).copy()


def months_to_tet(x: Inputs) -> np.ndarray:
    """Months from the as-of date to the next lunar new year (Tết bonus pressure)."""
    return _as_of_column(x, reference.months_to_next_tet(x.snapshot.as_of.values))


def months_since_minimum_wage_rise(x: Inputs) -> np.ndarray:
    """Months since the last regional minimum-wage rise took effect."""
    return _as_of_column(x, reference.months_since_minimum_wage_rise(x.snapshot.as_of.values))


def months_to_minimum_wage_rise(x: Inputs) -> np.ndarray:
    """Months to the next rise, once it is known (NaN before its announcement)."""
    months = reference.months_to_next_minimum_wage_rise(x.snapshot.as_of.values)
    months = np.where(months <= MIN_WAGE_RISE_KNOWN_MONTHS, months, np.nan)
    return _as_of_column(x, months)


def minimum_wage_region_change_12m(x: Inputs) -> np.ndarray:
    """Regions moved up in the 12 months to the as-of date (e.g. III→I is 2): a cost shock."""
    if x.places is not None:
        return x.places.region_change_12m[:, x.k_slice][x.places.code, :].T
    as_of = np.broadcast_to(x.snapshot.as_of.values[:, None], x.shape).ravel()
    year_before = (pd.DatetimeIndex(as_of) - pd.DateOffset(months=12)).values
    province, district, commune = (
        np.broadcast_to(c[None, :], x.shape).ravel() for c in _place_columns(x.enterprises)
    )
    now = reference.minimum_wage_region(province, district, as_of, commune)
    before = reference.minimum_wage_region(province, district, year_before, commune)
    return (before - now).reshape(x.shape)


# --- contagion and history ---------------------------------------------------------------


def _zone_feature(x: Inputs, key: str, group: str) -> np.ndarray:
    """Per-group (K, G) counts looked up for each enterprise, minus its own contribution."""
    counts = x.zone_stoppages[key]
    codes = x.enterprises[group].to_numpy()
    valid = codes >= 0
    out = np.zeros(x.shape)
    out[:, valid] = counts[:, codes[valid]]
    own = x.zone_stoppages.get(f"{key}:own")
    if own is not None:
        out -= own
    out[:, ~valid] = np.nan
    return np.clip(out, 0, None) if own is not None else out


def zone_stoppages_3m(x: Inputs) -> np.ndarray:
    """Work stoppages at other firms of the same zone started in the last 3 months (count)."""
    return _zone_feature(x, "zone_3m", "_zone_code")


def zone_stoppages_decayed(x: Inputs) -> np.ndarray:
    """Same-zone stoppages weighted by exp(-age in months / 1.5): recent waves weigh most."""
    return _zone_feature(x, "zone_decay", "_zone_code")


def district_sector_stoppages_3m(x: Inputs) -> np.ndarray:
    """Stoppages at other firms of the same district and sector in the last 3 months.

    The district is the stable unit (`data.admin_units`): pre-reform province and district,
    whether the firm is addressed by district or by post-2025 commune.
    """
    return _zone_feature(x, "district_sector_3m", "_district_sector_code")


def province_stoppages_1m(x: Inputs) -> np.ndarray:
    """Stoppages in the province started in the last month (count; includes the firm).

    The province is the stable unit's (pre-reform) province.
    """
    return _zone_feature(x, "province_1m", "_province_code")


def months_since_last_incident(x: Inputs) -> np.ndarray:
    """Months since the firm's last collective incident of any kind (NaN: none known)."""
    return x.zone_stoppages["own_last_incident_months"]


def incidents_12m(x: Inputs) -> np.ndarray:
    """The firm's incidents of any kind started in the last 12 months (count)."""
    return x.zone_stoppages["own_incidents_12m"]


def stoppages_12m(x: Inputs) -> np.ndarray:
    """The firm's work stoppages started in the last 12 months (count)."""
    return x.zone_stoppages["own_stoppages_12m"]


# --- reporting and static ---------------------------------------------------------------


def months_since_last_report(x: Inputs) -> np.ndarray:
    """Months from the as-of month back to the latest month reported (staleness)."""
    return x.snapshot.last_known_lag


def wage_arrears_reported(x: Inputs) -> np.ndarray:
    """1 when the latest month reports wage arrears (even zero), 0 when left empty."""
    return _flag(np.isfinite(x.latest_value("wage_arrears_months")), np.isfinite(x.latest))


def insurance_debt_reported(x: Inputs) -> np.ndarray:
    """1 when the latest month reports insurance debt (even zero), 0 when left empty."""
    return _flag(np.isfinite(x.latest_value("insurance_debt_months")), np.isfinite(x.latest))


def age_years(x: Inputs) -> np.ndarray:
    """Years since the enterprise was founded (NaN when the founding date is unknown)."""
    founded = day_number(x.enterprises["founded"].to_numpy()).astype(np.float64)
    founded[x.enterprises["founded"].isna().to_numpy()] = np.nan
    return (x.grid_days[:, None] - founded[None, :]) / 365.25


NUMERIC_FEATURES: tuple[Callable[[Inputs], np.ndarray], ...] = (
    wage_arrears_months,
    wage_arrears_vnd_per_worker,
    wage_arrears_to_minimum_wage,
    insurance_debt_months,
    insurance_debt_vnd_per_worker,
    insurance_debt_trend_3m,
    debt_streak_months,
    debt_first_appearance,
    insurance_debt_turning_to_wage_arrears,
    headcount,
    log_headcount,
    headcount_change_3m,
    headcount_change_6m,
    headcount_change_12m,
    layoffs_share_1m,
    layoffs_share_3m,
    reduced_hours_share,
    avg_wage_vnd,
    wage_to_minimum_wage,
    months_to_tet,
    months_since_minimum_wage_rise,
    months_to_minimum_wage_rise,
    minimum_wage_region_change_12m,
    zone_stoppages_3m,
    zone_stoppages_decayed,
    district_sector_stoppages_3m,
    province_stoppages_1m,
    months_since_last_incident,
    incidents_12m,
    stoppages_12m,
    months_since_last_report,
    wage_arrears_reported,
    insurance_debt_reported,
    age_years,
)


def wage_to_peers(table: pd.DataFrame) -> pd.Series:
    """Average wage over the median of firms in the same zone (or stable district) and sector at D."""
    zone = pd.Series(table["zone_id"]).astype("category").cat.codes.to_numpy().astype(np.int64)
    area = pd.Series(admin_units.area_key(table)).astype("category").cat.codes.to_numpy().astype(np.int64)
    place = np.where(zone >= 0, zone, zone.max(initial=0) + 2 + area)
    sector = pd.Series(table["sector"]).astype("category").cat.codes.to_numpy()
    keys = [table["as_of"].to_numpy(), place, sector]
    median = table["avg_wage_vnd"].groupby(keys, sort=False).transform("median")
    ratio = table["avg_wage_vnd"] / median
    return ratio.where(np.isfinite(ratio)).rename("wage_to_peers")


def operating(enterprises: pd.DataFrame, grid_days: np.ndarray) -> np.ndarray:
    """(K, E) True where the enterprise is founded by and not closed by each as-of date."""
    founded = enterprises["founded"]
    closed = enterprises["closed"]
    founded_day = np.where(founded.isna(), np.iinfo(np.int64).min, day_number(founded.to_numpy()))
    closed_day = np.where(closed.isna(), np.iinfo(np.int64).max, day_number(closed.to_numpy()))
    days = grid_days[:, None]
    return (founded_day[None, :] <= days) & (closed_day[None, :] > days)


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, len(uniques)


def _window_counts(
    group_codes: np.ndarray,
    n_groups: int,
    started_days: np.ndarray,
    known_k: np.ndarray,
    grid_days: np.ndarray,
    months: float,
    decay: float | None = None,
) -> np.ndarray:
    """(K, G) sum over incidents known at D_k and started in (D_k - months, D_k] of a weight."""
    n_k = len(grid_days)
    out = np.zeros((n_k, max(n_groups, 1)))
    ok = group_codes >= 0
    if not ok.any():
        return out
    span_days = months * DAYS_PER_MONTH
    k_from = np.maximum(np.searchsorted(grid_days, started_days, side="left"), known_k)
    k_to = np.searchsorted(grid_days, started_days + span_days, side="left")
    span = np.clip(k_to - k_from, 0, None) * ok
    source = np.repeat(np.arange(len(started_days)), span)
    k = k_from[source] + (np.arange(len(source)) - np.repeat(np.cumsum(span) - span, span))
    age_months = (grid_days[k] - started_days[source]) / DAYS_PER_MONTH
    weight = np.exp(-age_months / decay) if decay else np.ones(len(k))
    np.add.at(out, (k, group_codes[source]), weight)
    return out


@dataclass(frozen=True)
class IncidentArrays:
    """Incidents of known enterprises as arrays, with the group codes they count towards."""

    firm: np.ndarray  # enterprise position
    started: np.ndarray  # day number
    reported: np.ndarray  # day number
    stoppage: np.ndarray  # bool
    groups: dict[str, tuple[np.ndarray, int]]  # per-group key: (group code of each incident, groups)


def _incident_arrays(ent: pd.DataFrame, incidents: pd.DataFrame) -> IncidentArrays:
    """Code the incidents once; `ent` carries the `_zone_code`-style group code columns."""
    e_index = pd.Index(ent["enterprise_id"]).get_indexer(incidents["enterprise_id"])
    inc = incidents.loc[e_index >= 0]
    firm = e_index[e_index >= 0]
    groups = {
        key: (ent[column].to_numpy()[firm], int(ent.attrs[column]))
        for key, column in (
            ("zone", "_zone_code"),
            ("district_sector", "_district_sector_code"),
            ("province", "_province_code"),
        )
    }
    return IncidentArrays(
        firm=firm,
        started=day_number(inc["started"].to_numpy()),
        reported=day_number(inc["reported_at"].to_numpy()),
        stoppage=(inc["kind"] == STOPPAGE).to_numpy(),
        groups=groups,
    )


def _commune(enterprises: pd.DataFrame) -> pd.Series:
    """The enterprises' post-2025 commune; NA throughout for a frame without the column."""
    if "commune" in enterprises.columns:
        return enterprises["commune"]
    return pd.Series(pd.NA, index=enterprises.index, dtype="str")


def _place_columns(enterprises: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unit province, unit district, commune) object arrays: the minimum-wage place."""
    if "_unit_province" in enterprises.columns:
        province, district = enterprises["_unit_province"], enterprises["_unit_district"]
    else:
        units = admin_units.stable_units(
            enterprises["province"], enterprises["district"], _commune(enterprises)
        )
        province, district = units["unit_province"], units["unit_district"]
    return (
        province.to_numpy(dtype=object),
        district.to_numpy(dtype=object),
        _commune(enterprises).to_numpy(dtype=object),
    )


def _group_codes(enterprises: pd.DataFrame) -> pd.DataFrame:
    """`enterprises` with their stable units (`_unit_province`, `_unit_district`, `_area`:
    see `data.admin_units`) and the zone, area × sector, area and province codes that
    contagion and peers count by. Every area key includes its province."""
    ent = enterprises.copy()
    units = admin_units.stable_units(ent["province"], ent["district"], _commune(ent))
    ent["_unit_province"], ent["_unit_district"] = units["unit_province"], units["unit_district"]
    ent["_area"] = admin_units.area_key(units)
    ent["_zone_code"], n_zone = _codes(ent["zone_id"])
    ent["_district_sector_code"], n_ds = _codes(ent["_area"] + "|" + ent["sector"])
    ent["_area_code"], n_area = _codes(ent["_area"])
    ent["_province_code"], n_prov = _codes(ent["_unit_province"])
    ent.attrs = {
        "_zone_code": n_zone,
        "_district_sector_code": n_ds,
        "_area_code": n_area,
        "_province_code": n_prov,
    }
    return ent


def province_units(enterprises: pd.DataFrame) -> np.ndarray:
    """Each enterprise's stable province (`data.admin_units`), by position: zones, areas,
    peers and contagion are all counted within one, so a province's features read nothing
    of another's (what lets a night's scoring fan out per province)."""
    units = admin_units.stable_units(enterprises["province"], enterprises["district"], _commune(enterprises))
    return np.asarray(units["unit_province"], dtype=object)


def _incident_counts(inc: IncidentArrays, n_e: int, grid_days: np.ndarray) -> dict[str, np.ndarray]:
    """Per-group and per-firm incident counts known at each as-of date of `grid_days`, (K, ·)."""
    known_k = first_known_index(grid_days, inc.reported)
    stop = inc.stoppage
    s_e, s_started, s_known = inc.firm[stop], inc.started[stop], known_k[stop]
    ctx: dict[str, np.ndarray] = {}
    zone_of, n_zone = inc.groups["zone"][0][stop], inc.groups["zone"][1]
    ctx["zone_3m"] = _window_counts(zone_of, n_zone, s_started, s_known, grid_days, 3)
    ctx["zone_decay"] = _window_counts(zone_of, n_zone, s_started, s_known, grid_days, 6, decay=1.5)
    ds_of, n_ds = inc.groups["district_sector"][0][stop], inc.groups["district_sector"][1]
    ctx["district_sector_3m"] = _window_counts(ds_of, n_ds, s_started, s_known, grid_days, 3)
    prov_of, n_prov = inc.groups["province"][0][stop], inc.groups["province"][1]
    ctx["province_1m"] = _window_counts(prov_of, n_prov, s_started, s_known, grid_days, 1)

    own_stop_3m = _window_counts(s_e, n_e, s_started, s_known, grid_days, 3)
    own_stop_decay = _window_counts(s_e, n_e, s_started, s_known, grid_days, 6, decay=1.5)
    ctx["zone_3m:own"] = own_stop_3m
    ctx["zone_decay:own"] = own_stop_decay
    ctx["district_sector_3m:own"] = own_stop_3m
    ctx["own_stoppages_12m"] = _window_counts(s_e, n_e, s_started, s_known, grid_days, 12)
    ctx["own_incidents_12m"] = _window_counts(inc.firm, n_e, inc.started, known_k, grid_days, 12)

    # Latest incident start known at D_k and not after D_k, per firm.
    last = np.full((len(grid_days) + 1, n_e), -np.inf)
    k_from = np.maximum(np.searchsorted(grid_days, inc.started, side="left"), known_k)
    np.maximum.at(last, (k_from, inc.firm), inc.started.astype(np.float64))
    last = np.maximum.accumulate(last[:-1], axis=0)
    with np.errstate(invalid="ignore"):
        ctx["own_last_incident_months"] = np.where(
            np.isfinite(last), (grid_days[:, None] - last) / DAYS_PER_MONTH, np.nan
        )
    return ctx


def _incident_context(
    enterprises: pd.DataFrame, incidents: pd.DataFrame, grid_days: np.ndarray
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Group codes on enterprises and the per-group and per-firm incident counts, (K, ·)."""
    ent = _group_codes(enterprises)
    return ent, _incident_counts(_incident_arrays(ent, incidents), len(ent), grid_days)


def _places(ent: pd.DataFrame, grid: pd.DatetimeIndex, window: int) -> Places:
    """Minimum wage per (place, data month) and region change per (place, as-of date).

    A place is a distinct (stable unit, commune): the commune matters from 2026, when
    regions are set by commune (see `data.reference`).
    """
    province, district, commune = _place_columns(ent)
    code, _ = admin_units.unique_rows(province, district, commune)
    first = np.unique(code, return_index=True)[1]
    grid_months = month_number(grid.values)
    first_month = int(grid_months.min()) - window + 1 if len(grid) else 0
    months = np.arange(first_month, int(grid_months.max(initial=first_month)) + 1)
    month_dates = months.astype("datetime64[M]").astype("datetime64[ns]")
    n_p, n_m, n_k = len(first), len(months), len(grid)
    prov, dist, comm = (np.repeat(c[first], n_m) for c in (province, district, commune))
    dates = np.tile(month_dates, n_p)
    region = reference.minimum_wage_region(prov, dist, dates, comm)
    wage = reference.minimum_wage_vnd(region, dates).reshape(n_p, n_m)
    prov, dist, comm = (np.repeat(c[first], n_k) for c in (province, district, commune))
    as_of = np.tile(grid.values, n_p)
    year_before = (pd.DatetimeIndex(as_of) - pd.DateOffset(months=12)).values
    now = reference.minimum_wage_region(prov, dist, as_of, comm)
    before = reference.minimum_wage_region(prov, dist, year_before, comm)
    return Places(code.reshape(-1), first_month, wage, (before - now).reshape(n_p, n_k))


def _peer_ratio(k: np.ndarray, place: np.ndarray, sector: np.ndarray, wage: np.ndarray) -> np.ndarray:
    """`wage_to_peers` on row arrays: wage over the median of its (as-of, place, sector) group."""
    n_place, n_sector = int(place.max(initial=0)) + 2, int(sector.max(initial=0)) + 2
    key = (k.astype(np.int64) * n_place + place + 1) * n_sector + sector + 1
    median = pd.Series(wage).groupby(key, sort=False).transform("median").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = wage / median
    return np.where(np.isfinite(ratio), ratio, np.nan)


RowFilter = Callable[[pd.DatetimeIndex, np.ndarray], np.ndarray]


class IndicatorSource(Protocol):
    """Indicators read a range of as-of dates at a time, for histories too long to hold whole.

    `between(first, last)` returns, in the store's indicator frame shape, at least what the
    features at every as-of date from `first` to `last` read (their windows' months, every
    vintage known by `last`, and of older months each enterprise's latest keys), as
    `data.store.IndicatorWindows` does, never a row reported after `known_by`.
    `first_month` is the earliest month known by then (NaT: none).
    """

    @property
    def known_by(self) -> pd.Timestamp: ...

    @property
    def first_month(self) -> pd.Timestamp: ...

    def between(self, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame: ...


Indicators = pd.DataFrame | IndicatorSource

#: Snapshot cells (enterprises × months) one read of an `IndicatorSource` spans at most.
READ_CELLS = 24_000_000


def _block_size(n_as_of: int, window: int, n_enterprises: int, cells: int = 4_000_000) -> int:
    """As-of dates per block: about `cells` snapshot cells, at least one date."""
    return max(1, min(n_as_of, cells // max(1, n_enterprises * window)))


def _read_size(n_as_of: int, window: int, n_enterprises: int) -> int:
    """As-of dates per read of an `IndicatorSource`: k dates span window + k − 1 months of
    every enterprise, about `READ_CELLS` cells at most (one date at least)."""
    return max(1, min(n_as_of, READ_CELLS // max(1, n_enterprises) - window + 1))


def _reads(
    indicators: Indicators, grid: pd.DatetimeIndex, window: int, n_enterprises: int
) -> Iterator[tuple[slice, pd.DataFrame]]:
    """(as-of positions, the indicators they read): one read of a frame, or a source's ranges."""
    if isinstance(indicators, pd.DataFrame):
        yield slice(0, len(grid)), indicators
        return
    step = _read_size(len(grid), window, n_enterprises)
    for first in range(0, len(grid), step):
        last = min(first + step, len(grid))
        yield slice(first, last), indicators.between(grid[first], grid[last - 1])


def _feature_blocks(
    enterprises: pd.DataFrame,
    indicators: Indicators,
    incidents: pd.DataFrame,
    as_of: pd.DatetimeIndex | list[pd.Timestamp],
    window: int,
    rows: RowFilter | None,
) -> tuple[dict[str, tuple[np.ndarray, pd.Index]], np.ndarray, Iterator[dict[str, np.ndarray]]]:
    """Static categories, the sorted enterprise ids, and the rows block by block of as-of dates.

    Each block is a dict of equal-length arrays (`as_of`, `_e` enterprise position, category
    codes, every numeric feature and `wage_to_peers`), in (as_of, enterprise_id) order;
    blocks follow each other in that order too, so their concatenation is the sorted table.
    """
    grid = pd.DatetimeIndex(sorted(set(pd.DatetimeIndex(as_of).normalize())))
    grid_days = day_number(grid.values)
    ent = _group_codes(enterprises.sort_values("enterprise_id", kind="stable").reset_index(drop=True))
    incident_arrays = _incident_arrays(ent, incidents)
    all_ids = ent["enterprise_id"].to_numpy()
    n_e = len(ent)
    # Text attributes travel as category codes: 36 M rows of strings would not fit.
    static: dict[str, tuple[np.ndarray, pd.Index]] = {}
    # Province and district as stable units: an address written after the 2025 reform
    # ("Thành phố Hải Phòng", a commune) is the same category as before it ("Hải Dương").
    stable = {"province": "_unit_province", "district": "_unit_district"}
    for column in STATIC_TEXT:
        categorical = pd.Categorical(ent[stable.get(column, column)])
        static[column] = (np.asarray(categorical.codes), categorical.categories)
    # Peers: the same zone, or outside zones the same area (stable unit, province included).
    zone, area = static["zone_id"][0], ent["_area_code"].to_numpy()
    peer_place = np.where(
        zone >= 0, zone.astype(np.int64), len(static["zone_id"][1]) + 1 + area.astype(np.int64)
    )
    places = _places(ent, grid, window)

    def blocks() -> Iterator[dict[str, np.ndarray]]:
        alive = operating(ent, grid_days)
        wanted = rows(grid, all_ids) if rows is not None else None
        grid_months = month_number(grid.values)
        step = _block_size(len(grid), window, n_e)
        for read, frame in _reads(indicators, grid, window, n_e):
            arrays = IndicatorArrays.from_frame(frame, all_ids)
            del frame
            read_lag = last_known_lag(arrays, n_e, grid[read])
            yield from read_blocks(read, arrays, read_lag, alive, wanted, grid_months, step)
            del arrays, read_lag

    def read_blocks(
        read: slice,
        arrays: IndicatorArrays,
        read_lag: np.ndarray,
        alive: np.ndarray,
        wanted: np.ndarray | None,
        grid_months: np.ndarray,
        step: int,
    ) -> Iterator[dict[str, np.ndarray]]:
        for first in range(read.start, read.stop, step):
            ks = slice(first, min(first + step, read.stop))
            known_lag = read_lag[ks.start - read.start : ks.stop - read.start]
            in_universe = alive[ks] & np.isfinite(known_lag)
            if wanted is not None:
                in_universe &= wanted[ks]
            k_idx, e_idx = np.nonzero(in_universe)
            del in_universe
            if len(k_idx) == 0:
                continue
            months = arrays.months(int(grid_months[ks].min()) - window + 1, int(grid_months[ks].max()))
            snapshot = snapshot_from_arrays(months, all_ids, grid[ks], window=window, known_lag=known_lag)
            inputs = Inputs(
                snapshot=snapshot,
                latest=snapshot.latest_lag(),
                enterprises=ent,
                incidents=incidents,
                grid_days=grid_days[ks],
                zone_stoppages=_incident_counts(incident_arrays, n_e, grid_days[ks]),
                places=places,
                k_slice=ks,
            )
            out: dict[str, np.ndarray] = {"as_of": grid.values[ks][k_idx], "_e": e_idx}
            for column, (codes, _) in static.items():
                out[column] = codes[e_idx]
            for feature in NUMERIC_FEATURES:
                out[feature.__name__] = np.asarray(feature(inputs), dtype=np.float64)[k_idx, e_idx]
            del inputs, snapshot
            out["wage_to_peers"] = _peer_ratio(
                k_idx, peer_place[e_idx], static["sector"][0][e_idx], out["avg_wage_vnd"]
            )
            yield out

    return static, all_ids, blocks()


def _block_frame(
    block: dict[str, np.ndarray],
    static: dict[str, tuple[np.ndarray, pd.Index]],
    ids: pd.api.extensions.ExtensionArray,
) -> pd.DataFrame:
    """The output frame of concatenated block arrays: categories and ids decoded."""
    columns: dict[str, object] = {"as_of": block.pop("as_of"), "enterprise_id": ids.take(block.pop("_e"))}
    for column, (_, categories) in static.items():
        columns[column] = pd.Categorical.from_codes(block.pop(column), categories)
    columns.update(block)
    return pd.DataFrame(columns, copy=False)


def build_features(
    enterprises: pd.DataFrame,
    indicators: Indicators,
    incidents: pd.DataFrame,
    as_of: pd.DatetimeIndex | list[pd.Timestamp],
    *,
    window: int = WINDOW_MONTHS,
    rows: RowFilter | None = None,
) -> pd.DataFrame:
    """One row per (as_of, enterprise) in the scoring universe, every feature column.

    The universe at D: enterprises operating at D with at least one indicator row known
    at D. Inputs are the store's typed frames and are never modified; rows reported after
    an as-of date are invisible to it, so the result for D does not depend on them.
    `rows`, given the as-of grid and the sorted enterprise ids, returns a (K, E) mask of
    the rows wanted (training uses it to sample negatives before paying for features).
    Rows are sorted by (as_of, enterprise_id). See `write_features` for tables too large
    to hold in memory.
    """
    static, all_ids, blocks = _feature_blocks(enterprises, indicators, incidents, as_of, window, rows)
    parts = list(blocks)
    if not parts:
        return empty_feature_table()
    # Concatenate column by column, freeing each block's piece as it goes: peak ≈ table + 1 column.
    table = {name: np.concatenate([part.pop(name) for part in parts]) for name in list(parts[0])}
    del parts
    return _block_frame(table, static, pd.array(all_ids, dtype="str"))


def write_features(
    enterprises: pd.DataFrame,
    indicators: Indicators,
    incidents: pd.DataFrame,
    as_of: pd.DatetimeIndex | list[pd.Timestamp],
    path: str | Path,
    *,
    window: int = WINDOW_MONTHS,
    rows: RowFilter | None = None,
) -> int:
    """Stream `build_features`'s table to a Parquet file, one row group per block of as-of dates.

    Same rows, order, columns and values as `build_features`; memory is bounded by one
    block plus the inputs instead of the whole table. Returns the number of rows written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    static, all_ids, blocks = _feature_blocks(enterprises, indicators, incidents, as_of, window, rows)
    ids = pd.array(all_ids, dtype="str")
    written = 0
    writer: pq.ParquetWriter | None = None
    try:
        for block in blocks:
            table = pa.Table.from_pandas(_block_frame(block, static, ids), preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(str(path), table.schema)
            writer.write_table(table, row_group_size=max(1, table.num_rows))
            written += table.num_rows
            del table
        if writer is None:
            empty_feature_table().to_parquet(path, index=False)
    finally:
        if writer is not None:
            writer.close()
    return written


def feature_names() -> tuple[str, ...]:
    """Every feature column the builder writes, numeric then categorical."""
    return (*(f.__name__ for f in NUMERIC_FEATURES), "wage_to_peers", *CATEGORICAL)


def empty_feature_table() -> pd.DataFrame:
    """The builder's output with no rows (an as-of date before any data)."""
    columns = ["as_of", "enterprise_id", "district", "zone_id", *feature_names()]
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})


def known_at(
    indicators: pd.DataFrame, incidents: pd.DataFrame, cutoff: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows known on `cutoff`: what a workspace holding only data up to then would have."""
    cutoff = pd.Timestamp(cutoff).normalize()
    return (
        indicators.loc[indicators["reported_at"] <= cutoff],
        incidents.loc[incidents["reported_at"] <= cutoff],
    )


def month_ends(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Month-end as-of dates from the month of `start` to the month of `end`, inclusive."""
    return pd.date_range(pd.Timestamp(start).to_period("M").to_timestamp("M"), end, freq="ME")


__all__ = [
    "HISTORY_MONTHS",
    "READ_CELLS",
    "REPORTING_LAG_MONTHS",
    "WINDOW_MONTHS",
    "IndicatorSource",
    "Indicators",
    "build_features",
    "write_features",
    "feature_names",
    "known_at",
    "month_ends",
    "month_number",
    "province_units",
]
