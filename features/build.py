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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data import reference
from features.panel import (
    IndicatorArrays,
    Snapshot,
    day_number,
    first_known_index,
    month_number,
    snapshot_from_arrays,
)

# Contagion and history count these incident kinds; labels are set separately.
STOPPAGE = "work_stoppage"
DAYS_PER_MONTH = 30.4375
# The National Wage Council's recommendation precedes a minimum-wage decree by months;
# a rise is treated as known this many months before it takes effect.
MIN_WAGE_RISE_KNOWN_MONTHS = 3
CATEGORICAL = ("province", "sector", "ownership", "zone_type")
STATIC_TEXT = ("province", "district", "zone_id", "zone_type", "sector", "ownership")


@dataclass(frozen=True)
class Inputs:
    """What the feature functions read for one block of enterprises: arrays are (K, E)."""

    snapshot: Snapshot
    latest: np.ndarray
    enterprises: pd.DataFrame
    incidents: pd.DataFrame
    grid_days: np.ndarray
    zone_stoppages: dict[str, np.ndarray]

    @property
    def shape(self) -> tuple[int, int]:
        return self.latest.shape

    def latest_value(self, column: str, months_before: int = 0) -> np.ndarray:
        """Value of an indicator `months_before` months before the latest month."""
        return self.snapshot.at_lag(column, self.latest + months_before)

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
    turning = (np.nan_to_num(wage_now) > 0) & (np.nan_to_num(wage_before) == 0) & (
        np.nan_to_num(insurance_before) > 0
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
    dates = x.data_month_dates().ravel()
    province = np.repeat(x.enterprises["province"].to_numpy()[None, :], x.shape[0], axis=0).ravel()
    district = np.repeat(x.enterprises["district"].to_numpy()[None, :], x.shape[0], axis=0).ravel()
    region = reference.minimum_wage_region(province, district, dates)
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
    as_of = np.broadcast_to(x.snapshot.as_of.values[:, None], x.shape).ravel()
    year_before = (pd.DatetimeIndex(as_of) - pd.DateOffset(months=12)).values
    province = np.broadcast_to(x.enterprises["province"].to_numpy()[None, :], x.shape).ravel()
    district = np.broadcast_to(x.enterprises["district"].to_numpy()[None, :], x.shape).ravel()
    now = reference.minimum_wage_region(province, district, as_of)
    before = reference.minimum_wage_region(province, district, year_before)
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
    """Stoppages at other firms of the same district and sector in the last 3 months."""
    return _zone_feature(x, "district_sector_3m", "_district_sector_code")


def province_stoppages_1m(x: Inputs) -> np.ndarray:
    """Stoppages in the province started in the last month (count; includes the firm)."""
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
    """Average wage over the median of firms in the same zone (or district) and sector at D."""
    zone = pd.Series(table["zone_id"]).astype("category").cat.codes.to_numpy().astype(np.int64)
    district = pd.Series(table["district"]).astype("category").cat.codes.to_numpy().astype(np.int64)
    place = np.where(zone >= 0, zone, zone.max(initial=0) + 2 + district)
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


def _incident_context(
    enterprises: pd.DataFrame, incidents: pd.DataFrame, grid_days: np.ndarray
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Group codes on enterprises and the per-group and per-firm incident counts, (K, ·)."""
    ent = enterprises.copy()
    ent["_zone_code"], n_zone = _codes(ent["zone_id"])
    ds = ent["district"].fillna("?") + "|" + ent["sector"]
    ent["_district_sector_code"], n_ds = _codes(ds)
    ent["_province_code"], n_prov = _codes(ent["province"])

    e_index = pd.Index(ent["enterprise_id"]).get_indexer(incidents["enterprise_id"])
    inc = incidents.loc[e_index >= 0]
    e_of = e_index[e_index >= 0]
    started = day_number(inc["started"].to_numpy())
    known_k = first_known_index(grid_days, day_number(inc["reported_at"].to_numpy()))
    stoppage = (inc["kind"] == STOPPAGE).to_numpy()

    ctx: dict[str, np.ndarray] = {}
    s_e = e_of[stoppage]
    s_started, s_known = started[stoppage], known_k[stoppage]
    zone_of = ent["_zone_code"].to_numpy()[s_e]
    ctx["zone_3m"] = _window_counts(zone_of, n_zone, s_started, s_known, grid_days, 3)
    ctx["zone_decay"] = _window_counts(zone_of, n_zone, s_started, s_known, grid_days, 6, decay=1.5)
    ds_of = ent["_district_sector_code"].to_numpy()[s_e]
    ctx["district_sector_3m"] = _window_counts(ds_of, n_ds, s_started, s_known, grid_days, 3)
    prov_of = ent["_province_code"].to_numpy()[s_e]
    ctx["province_1m"] = _window_counts(prov_of, n_prov, s_started, s_known, grid_days, 1)

    n_e = len(ent)
    own_stop_3m = _window_counts(s_e, n_e, s_started, s_known, grid_days, 3)
    own_stop_decay = _window_counts(s_e, n_e, s_started, s_known, grid_days, 6, decay=1.5)
    ctx["zone_3m:own"] = own_stop_3m
    ctx["zone_decay:own"] = own_stop_decay
    ctx["district_sector_3m:own"] = own_stop_3m
    ctx["own_stoppages_12m"] = _window_counts(s_e, n_e, s_started, s_known, grid_days, 12)
    ctx["own_incidents_12m"] = _window_counts(e_of, n_e, started, known_k, grid_days, 12)

    # Latest incident start known at D_k and not after D_k, per firm.
    last = np.full((len(grid_days) + 1, n_e), -np.inf)
    k_from = np.maximum(np.searchsorted(grid_days, started, side="left"), known_k)
    np.maximum.at(last, (k_from, e_of), started.astype(np.float64))
    last = np.maximum.accumulate(last[:-1], axis=0)
    with np.errstate(invalid="ignore"):
        ctx["own_last_incident_months"] = np.where(
            np.isfinite(last), (grid_days[:, None] - last) / DAYS_PER_MONTH, np.nan
        )
    return ent, ctx


RowFilter = Callable[[pd.DatetimeIndex, np.ndarray], np.ndarray]
# 12 months of history behind the latest month plus up to 3 months of reporting lag.
WINDOW_MONTHS = 16


def _block_size(n_as_of: int, window: int, n_enterprises: int, cells: int = 3_000_000) -> int:
    return max(1, min(n_enterprises, cells // max(1, n_as_of * window)))


def build_features(
    enterprises: pd.DataFrame,
    indicators: pd.DataFrame,
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
    """
    grid = pd.DatetimeIndex(sorted(set(pd.DatetimeIndex(as_of).normalize())))
    grid_days = day_number(grid.values)
    ent = enterprises.sort_values("enterprise_id", kind="stable").reset_index(drop=True)
    ent, context = _incident_context(ent, incidents, grid_days)
    alive = operating(ent, grid_days)
    all_ids = ent["enterprise_id"].to_numpy()
    wanted = rows(grid, all_ids) if rows is not None else None
    arrays = IndicatorArrays.from_frame(indicators, all_ids)
    # Text attributes travel as category codes: 36 M rows of strings would not fit.
    static = {}
    for column in STATIC_TEXT:
        categorical = pd.Categorical(ent[column])
        static[column] = (np.asarray(categorical.codes), categorical.categories)

    block = _block_size(len(grid), window, len(ent))
    frames = []
    for start in range(0, len(ent), block):
        part = ent.iloc[start : start + block]
        ids = part["enterprise_id"].to_numpy()
        snapshot = snapshot_from_arrays(arrays.block(start, start + len(part)), ids, grid, window=window)
        sl = slice(start, start + len(part))
        block_context = {
            key: (value[:, sl] if key.endswith(":own") or key.startswith("own_") else value)
            for key, value in context.items()
        }
        inputs = Inputs(
            snapshot=snapshot,
            latest=snapshot.latest_lag(),
            enterprises=part,
            incidents=incidents,
            grid_days=grid_days,
            zone_stoppages=block_context,
        )
        in_universe = alive[:, sl] & np.isfinite(snapshot.last_known_lag)
        if wanted is not None:
            in_universe &= wanted[:, sl]
        k_idx, e_idx = np.nonzero(in_universe)
        columns: dict[str, object] = {
            "as_of": grid.values[k_idx],
            "enterprise_id": ids[e_idx],
        }
        for column, (codes, _) in static.items():
            columns[column] = codes[sl][e_idx]
        for feature in NUMERIC_FEATURES:
            columns[feature.__name__] = np.asarray(feature(inputs), dtype=np.float64)[k_idx, e_idx]
        frames.append(pd.DataFrame(columns))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if table.empty:
        return empty_feature_table()
    for column, (_, categories) in static.items():
        table[column] = pd.Categorical.from_codes(table[column].to_numpy(), categories)
    table["wage_to_peers"] = wage_to_peers(table)
    table = table.sort_values(["as_of", "enterprise_id"], kind="stable").reset_index(drop=True)
    table["enterprise_id"] = table["enterprise_id"].astype("str")
    return table


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
    "build_features",
    "feature_names",
    "known_at",
    "month_ends",
    "month_number",
]
