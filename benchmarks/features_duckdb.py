"""A DuckDB SQL reference implementation of the point-in-time features of `features.build`.

`duckdb_features(enterprises, indicators, incidents, as_of)` returns the same table as
`features.build.build_features` (same universe, rows, column names and, within floating
point, values) so that the Python builder can be benchmarked against, and checked by, an
independent implementation written the way a SQL engineer would write it:

1. every indicator revision is valid from the first as-of date on or after its
   `reported_at` (an ASOF join) until the next revision of the same month is known
   (`lead` over the month's revisions);
2. it is exploded into the (as-of, enterprise) cells of the window it covers
   (`unnest(range(...))`) and one GROUP BY finds the latest month (smallest lag) and a
   bitmask of the months with debt (streak and first appearance are bit arithmetic);
3. the values at the latest month and 1, 2, 3, 6 and 12 months before it are hash joins
   back to the revisions, on (enterprise, month) with the revision valid at the as-of date;
4. incidents known at each as-of date are joined to the grid (a few per firm) and counted
   per zone, district × sector, province and firm; wage-to-peers is a grouped median.

Small per-as-of and per-place lookups (calendar features, minimum wage and region by
district and month) are computed in Python with `data.reference`, exactly as the builder
does, and joined in. Indicator values are rounded to float32 (SQL ``FLOAT``) before any
arithmetic because `features.panel.snapshot_from_arrays` stores its cells as float32.
"""

from __future__ import annotations

import os
import tempfile

import duckdb
import numpy as np
import pandas as pd

from data import reference
from features.build import (
    DAYS_PER_MONTH,
    MIN_WAGE_RISE_KNOWN_MONTHS,
    NUMERIC_FEATURES,
    STOPPAGE,
    WINDOW_MONTHS,
)
from features.panel import INDICATOR_COLUMNS
from vocab.months import month_number

TEXT_COLUMNS = ("province", "district", "zone_id", "zone_type", "sector", "ownership")
# Offsets (months before the latest month) at which each indicator is read.
OFFSETS: dict[str, tuple[int, ...]] = {
    "headcount": (0, 3, 6, 12),
    "avg_wage_vnd": (0,),
    "wage_arrears_vnd": (0,),
    "wage_arrears_months": (0, 3),
    "insurance_debt_vnd": (0,),
    "insurance_debt_months": (0, 3),
    "layoffs": (0, 1, 2),
    "reduced_hours_workers": (0,),
}


def _memory_limit() -> str:
    """60% of physical memory, leaving room for the pandas inputs and output."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{int(total * 0.6) // 2**20}MB"


def _grid_table(grid: pd.DatetimeIndex) -> pd.DataFrame:
    """One row per as-of date: index k, day and month numbers, and the calendar features."""
    values = grid.values
    to_rise = reference.months_to_next_minimum_wage_rise(values)
    return pd.DataFrame(
        {
            "k": np.arange(len(grid), dtype=np.int64),
            "as_of": values,
            "as_of_day": values.astype("datetime64[D]").astype(np.int64),
            "as_of_month": month_number(values),
            "months_to_tet": reference.months_to_next_tet(values),
            "months_since_minimum_wage_rise": reference.months_since_minimum_wage_rise(values),
            "months_to_minimum_wage_rise": np.where(to_rise <= MIN_WAGE_RISE_KNOWN_MONTHS, to_rise, np.nan),
        }
    )


def _place_key(province: np.ndarray, district: np.ndarray) -> np.ndarray:
    """`province|district` ('' for no district): the join key of the place lookups."""
    return np.array(
        [f"{p}|{d if isinstance(d, str) else ''}" for p, d in zip(province, district, strict=True)],
        dtype=object,
    )


def _place_tables(
    enterprises: pd.DataFrame, grid: pd.DatetimeIndex, window: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Minimum wage per (province, district, month) and region change per (place, as-of)."""
    places = enterprises[["province", "district"]].drop_duplicates().reset_index(drop=True)
    months = np.arange(month_number(grid.values).min() - window + 1, month_number(grid.values).max() + 1)
    month_dates = months.astype("datetime64[M]").astype("datetime64[ns]")
    p = np.repeat(np.arange(len(places)), len(months))
    dates = np.tile(month_dates, len(places))
    prov = places["province"].to_numpy(dtype=object)[p]
    dist = places["district"].to_numpy(dtype=object)[p]
    region = reference.minimum_wage_region(prov, dist, dates)
    wages = pd.DataFrame(
        {
            "place": _place_key(prov, dist),
            "data_month": np.tile(months, len(places)),
            "minimum_wage": reference.minimum_wage_vnd(region, dates),
        }
    )
    p = np.repeat(np.arange(len(places)), len(grid))
    as_of = np.tile(grid.values, len(places))
    year_before = (pd.DatetimeIndex(as_of) - pd.DateOffset(months=12)).values
    prov = places["province"].to_numpy(dtype=object)[p]
    dist = places["district"].to_numpy(dtype=object)[p]
    change = reference.minimum_wage_region(prov, dist, year_before) - reference.minimum_wage_region(
        prov, dist, as_of
    )
    regions = pd.DataFrame(
        {
            "place": _place_key(prov, dist),
            "k": np.tile(np.arange(len(grid)), len(places)),
            "minimum_wage_region_change_12m": change,
        }
    )
    return wages, regions


def _sql(window: int, n_grid: int) -> list[str]:
    """The statements, in order; the last one returns the feature table."""
    month = "((year({0}) - 1970) * 12 + month({0}) - 1)"
    day = "(CAST({0} AS DATE) - DATE '1970-01-01')"
    values = ", ".join(f"CAST(i.{c} AS FLOAT) AS {c}" for c in INDICATOR_COLUMNS)
    offsets = sorted({o for values in OFFSETS.values() for o in values})
    pivot = ",\n  ".join(
        f"CAST(r{o}.{c} AS DOUBLE) AS {c}_{o}" for c, values in OFFSETS.items() for o in values
    )
    joins = "\n".join(
        f"LEFT JOIN rev r{o} ON r{o}.e = l.e AND r{o}.m = g.as_of_month - l.latest_lag - {o} "
        f"AND l.latest_lag + {o} < {window} AND r{o}.k0 <= l.k AND l.k < r{o}.k1"
        for o in offsets
    )
    span = {n: n * DAYS_PER_MONTH for n in (1, 3, 6, 12)}
    return [
        f"""
CREATE TEMP TABLE ent AS
SELECT row_number() OVER () - 1 AS e, enterprise_id, province, district, zone_id, zone_type,
       sector, ownership, {day.format("founded")} AS founded_day, {day.format("closed")} AS closed_day,
       province || '|' || coalesce(district, '') AS place
FROM enterprises_df""",
        # Each revision with the as-of index from which it is known (k0) and until which it holds (k1).
        f"""
CREATE TEMP TABLE rev AS
WITH r AS (
  SELECT ent.e, {month.format("i.month")} AS m, {day.format("i.reported_at")} AS reported_day, {values}
  FROM indicators_df i JOIN ent USING (enterprise_id)
), known AS (
  SELECT r.*, g.k AS k0 FROM r ASOF JOIN grid_df g ON r.reported_day <= g.as_of_day
)
SELECT *, lead(k0, 1, {n_grid}) OVER (PARTITION BY e, m ORDER BY reported_day) AS k1,
       coalesce(wage_arrears_months, 0) > 0 OR coalesce(insurance_debt_months, 0) > 0 AS debt
FROM known""",
        # The as-of indices whose window [as-of month - W + 1, as-of month] holds month m.
        f"""
CREATE TEMP TABLE month_k AS
SELECT m, count(*) FILTER (WHERE g.as_of_month < m) AS k_first,
       count(*) FILTER (WHERE g.as_of_month < m + {window}) AS k_after
FROM (SELECT DISTINCT m FROM rev) CROSS JOIN grid_df g GROUP BY m""",
        # Latest month known at each as-of date at any age (months_since_last_report, universe).
        """
CREATE TEMP TABLE known_state AS
SELECT e, k0, max(max(m)) OVER (PARTITION BY e ORDER BY k0 ROWS UNBOUNDED PRECEDING) AS latest_m
FROM (SELECT e, m, min(k0) AS k0 FROM rev GROUP BY e, m) GROUP BY e, k0""",
        # Latest month in the window (smallest lag) and a bitmask of the lags with debt, per cell.
        """
CREATE TEMP TABLE latest AS
WITH spans AS (
  SELECT r.e, r.m, r.debt, unnest(range(greatest(r.k0, mk.k_first), least(r.k1, mk.k_after))) AS k
  FROM rev r JOIN month_k mk USING (m)
  WHERE greatest(r.k0, mk.k_first) < least(r.k1, mk.k_after)
)
SELECT s.k, s.e, min(g.as_of_month - s.m) AS latest_lag,
       bit_or(CASE WHEN s.debt THEN CAST(1 AS BIGINT) << CAST(g.as_of_month - s.m AS BIGINT) ELSE 0 END)
         AS debt_mask
FROM spans s JOIN grid_df g USING (k) GROUP BY s.k, s.e""",
        # The values at the latest month and b months before it, at their revision known at D.
        f"""
CREATE TEMP TABLE picked AS
SELECT l.k, l.e, l.latest_lag,
  bit_count((((l.debt_mask >> l.latest_lag) + 1) & ~(l.debt_mask >> l.latest_lag)) - 1) AS streak,
  ((l.debt_mask >> (l.latest_lag + 1)) & 4095) <> 0 AS debt_earlier,
  {pivot}
FROM latest l JOIN grid_df g USING (k)
{joins}""",
        # Text attributes leave as ENUMs, which arrive in pandas as categories (no string copies).
        *(
            f"CREATE TYPE {c}_enum AS ENUM (SELECT DISTINCT {c} FROM ent WHERE {c} IS NOT NULL ORDER BY 1)"
            for c in TEXT_COLUMNS
        ),
        # Incidents known at each as-of date that started on or before it.
        f"""
CREATE TEMP TABLE inc AS
SELECT g.k, i.e, i.zone_id, i.ds, i.province, i.stop, i.started_day,
       CAST(g.as_of_day - i.started_day AS DOUBLE) AS age_days,
       CAST(g.as_of_day - i.started_day AS DOUBLE) / {DAYS_PER_MONTH} AS age_months
FROM (
  SELECT ent.e, ent.zone_id, coalesce(ent.district, '?') || '|' || ent.sector AS ds, ent.province,
         x.kind = '{STOPPAGE}' AS stop, {day.format("x.started")} AS started_day,
         {day.format("x.reported_at")} AS reported_day
  FROM incidents_df x JOIN ent USING (enterprise_id)
) i JOIN grid_df g ON i.started_day <= g.as_of_day AND i.reported_day <= g.as_of_day""",
        f"""
CREATE TEMP TABLE own_inc AS
SELECT k, e,
  count(*) FILTER (WHERE stop AND age_days < {span[3]}) AS stop_3m,
  coalesce(sum(exp(-age_months / 1.5)) FILTER (WHERE stop AND age_days < {span[6]}), 0) AS stop_decay,
  count(*) FILTER (WHERE stop AND age_days < {span[12]}) AS stop_12m,
  count(*) FILTER (WHERE age_days < {span[12]}) AS inc_12m,
  (min(age_days)) / {DAYS_PER_MONTH} AS since_last
FROM inc GROUP BY k, e""",
        f"""
CREATE TEMP TABLE zone_inc AS
SELECT k, zone_id, count(*) FILTER (WHERE age_days < {span[3]}) AS n_3m,
       coalesce(sum(exp(-age_months / 1.5)) FILTER (WHERE age_days < {span[6]}), 0) AS decay
FROM inc WHERE stop AND zone_id IS NOT NULL GROUP BY k, zone_id""",
        f"""
CREATE TEMP TABLE ds_inc AS
SELECT k, ds, count(*) AS n_3m FROM inc WHERE stop AND age_days < {span[3]} GROUP BY k, ds""",
        f"""
CREATE TEMP TABLE prov_inc AS
SELECT k, province, count(*) AS n_1m FROM inc WHERE stop AND age_days < {span[1]} GROUP BY k, province""",
        f"""
WITH universe AS (
  SELECT g.k, ent.e, ks.latest_m
  FROM grid_df g CROSS JOIN ent
  ASOF JOIN known_state ks ON ent.e = ks.e AND g.k >= ks.k0
  WHERE (ent.founded_day IS NULL OR ent.founded_day <= g.as_of_day)
    AND (ent.closed_day IS NULL OR ent.closed_day > g.as_of_day)
), base AS (
  SELECT u.k, u.e, g.as_of, g.as_of_day, g.as_of_month, ent.* EXCLUDE (e, place), l.* EXCLUDE (k, e),
         u.latest_m,
         g.months_to_tet, g.months_since_minimum_wage_rise, g.months_to_minimum_wage_rise,
         rc.minimum_wage_region_change_12m, mw.minimum_wage,
         coalesce(l.wage_arrears_months_0, 0) > 0 OR coalesce(l.insurance_debt_months_0, 0) > 0 AS debt_now,
         l.wage_arrears_months_0 IS NOT NULL OR l.insurance_debt_months_0 IS NOT NULL AS debt_defined,
         coalesce(ent.zone_id, 'district:' || coalesce(ent.district, '?')) AS peer_place,
         o.stop_3m, o.stop_decay, o.stop_12m, o.inc_12m, o.since_last,
         z.n_3m AS zone_3m, z.decay AS zone_decay, d.n_3m AS ds_3m, p.n_1m AS prov_1m
  FROM universe u
  JOIN grid_df g USING (k)
  JOIN ent USING (e)
  LEFT JOIN picked l ON l.k = u.k AND l.e = u.e
  LEFT JOIN regions_df rc ON rc.k = u.k AND rc.place = ent.place
  LEFT JOIN wages_df mw ON mw.data_month = g.as_of_month - l.latest_lag AND mw.place = ent.place
  LEFT JOIN own_inc o ON o.k = u.k AND o.e = u.e
  LEFT JOIN zone_inc z ON z.k = u.k AND z.zone_id = ent.zone_id
  LEFT JOIN ds_inc d ON d.k = u.k AND d.ds = coalesce(ent.district, '?') || '|' || ent.sector
  LEFT JOIN prov_inc p ON p.k = u.k AND p.province = ent.province
)
SELECT as_of, enterprise_id, {", ".join(f"CAST({c} AS {c}_enum) AS {c}" for c in TEXT_COLUMNS)},
  wage_arrears_months_0 AS wage_arrears_months,
  wage_arrears_vnd_0 / nullif(headcount_0, 0) AS wage_arrears_vnd_per_worker,
  wage_arrears_vnd_0 / nullif(headcount_0, 0) / nullif(minimum_wage, 0) AS wage_arrears_to_minimum_wage,
  insurance_debt_months_0 AS insurance_debt_months,
  insurance_debt_vnd_0 / nullif(headcount_0, 0) AS insurance_debt_vnd_per_worker,
  insurance_debt_months_0 - insurance_debt_months_3 AS insurance_debt_trend_3m,
  CASE WHEN debt_defined THEN CAST(streak AS DOUBLE) END AS debt_streak_months,
  CASE WHEN debt_defined THEN CAST(debt_now AND NOT debt_earlier AS DOUBLE) END AS debt_first_appearance,
  CASE WHEN wage_arrears_months_0 IS NOT NULL AND insurance_debt_months_3 IS NOT NULL THEN CAST(
    wage_arrears_months_0 > 0 AND coalesce(wage_arrears_months_3, 0) = 0
    AND coalesce(insurance_debt_months_3, 0) > 0 AS DOUBLE) END AS insurance_debt_turning_to_wage_arrears,
  headcount_0 AS headcount,
  ln(1 + headcount_0) AS log_headcount,
  headcount_0 / nullif(headcount_3, 0) - 1 AS headcount_change_3m,
  headcount_0 / nullif(headcount_6, 0) - 1 AS headcount_change_6m,
  headcount_0 / nullif(headcount_12, 0) - 1 AS headcount_change_12m,
  layoffs_0 / nullif(headcount_0, 0) AS layoffs_share_1m,
  CASE WHEN layoffs_0 IS NOT NULL OR layoffs_1 IS NOT NULL OR layoffs_2 IS NOT NULL THEN
    (coalesce(layoffs_0, 0) + coalesce(layoffs_1, 0) + coalesce(layoffs_2, 0))
    / nullif(coalesce(headcount_3, headcount_0), 0) END AS layoffs_share_3m,
  reduced_hours_workers_0 / nullif(headcount_0, 0) AS reduced_hours_share,
  avg_wage_vnd_0 AS avg_wage_vnd,
  avg_wage_vnd_0 / nullif(minimum_wage, 0) AS wage_to_minimum_wage,
  months_to_tet, months_since_minimum_wage_rise, months_to_minimum_wage_rise,
  minimum_wage_region_change_12m,
  CASE WHEN zone_id IS NOT NULL THEN greatest(coalesce(zone_3m, 0) - coalesce(stop_3m, 0), 0) END
    AS zone_stoppages_3m,
  CASE WHEN zone_id IS NOT NULL THEN greatest(coalesce(zone_decay, 0) - coalesce(stop_decay, 0), 0) END
    AS zone_stoppages_decayed,
  CAST(greatest(coalesce(ds_3m, 0) - coalesce(stop_3m, 0), 0) AS DOUBLE) AS district_sector_stoppages_3m,
  CAST(coalesce(prov_1m, 0) AS DOUBLE) AS province_stoppages_1m,
  since_last AS months_since_last_incident,
  CAST(coalesce(inc_12m, 0) AS DOUBLE) AS incidents_12m,
  CAST(coalesce(stop_12m, 0) AS DOUBLE) AS stoppages_12m,
  CAST(greatest(as_of_month - latest_m, 0) AS DOUBLE) AS months_since_last_report,
  CASE WHEN latest_lag IS NOT NULL THEN CAST(wage_arrears_months_0 IS NOT NULL AS DOUBLE) END
    AS wage_arrears_reported,
  CASE WHEN latest_lag IS NOT NULL THEN CAST(insurance_debt_months_0 IS NOT NULL AS DOUBLE) END
    AS insurance_debt_reported,
  (as_of_day - founded_day) / 365.25 AS age_years,
  avg_wage_vnd_0 / nullif(peers.median_wage, 0) AS wage_to_peers
FROM base LEFT JOIN (
  SELECT k, peer_place, sector, median(avg_wage_vnd_0) AS median_wage FROM base GROUP BY ALL
) peers USING (k, peer_place, sector)
ORDER BY as_of, enterprise_id""",
    ]


def duckdb_features(
    enterprises: pd.DataFrame,
    indicators: pd.DataFrame,
    incidents: pd.DataFrame,
    as_of: pd.DatetimeIndex | list[pd.Timestamp],
    *,
    window: int = WINDOW_MONTHS,
    threads: int | None = None,
    path: str | None = None,
) -> pd.DataFrame:
    """One row per (as_of, enterprise) in the scoring universe, as `build_features` returns.

    Inputs are the store's typed frames; they are scanned by DuckDB in place (Arrow), not
    copied into Python objects. `threads` defaults to every core of the machine. With
    `path`, the table is instead written there by `COPY ... TO parquet` (the counterpart of
    `features.build.write_features`) and a column-less frame of as many rows is returned.
    """
    grid = pd.DatetimeIndex(sorted(set(pd.DatetimeIndex(as_of).normalize())))
    grid_df = _grid_table(grid)
    wages_df, regions_df = _place_tables(enterprises, grid, window)
    con = duckdb.connect()
    spill = tempfile.TemporaryDirectory(prefix="duckdb-spill-")
    try:
        con.execute(f"SET threads = {threads or os.cpu_count() or 1}")
        # Spill to a private temp folder (not the working directory) beyond 60% of RAM.
        con.execute(f"SET temp_directory = '{spill.name}'")
        con.execute(f"SET memory_limit = '{_memory_limit()}'")
        con.execute("SET preserve_insertion_order = false")
        for name, frame in (
            ("enterprises_df", enterprises),
            ("indicators_df", indicators),
            ("incidents_df", incidents),
            ("grid_df", grid_df),
            ("wages_df", wages_df),
            ("regions_df", regions_df),
        ):
            con.register(name, frame)
        *setup, final = _sql(window, len(grid))
        for statement in setup:
            con.execute(statement)
        if path is not None:
            con.execute(f"COPY ({final}) TO '{path}' (FORMAT parquet)")
            written: int = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]  # type: ignore[index]
            return pd.DataFrame(index=pd.RangeIndex(written))
        table = con.execute(final).df()
    finally:
        con.close()
        spill.cleanup()
    table["as_of"] = table["as_of"].astype(grid.dtype)
    table["enterprise_id"] = table["enterprise_id"].astype("str")
    numeric = [f.__name__ for f in NUMERIC_FEATURES]
    for column in (*numeric, "wage_to_peers"):
        table[column] = table[column].astype(np.float64)
    return table[["as_of", "enterprise_id", *TEXT_COLUMNS, *numeric, "wage_to_peers"]]
