"""A synthetic enterprise panel at any scale, in the store's typed form, for benchmarks.

`make_panel(n_enterprises, n_months)` returns (enterprises, indicators, incidents) with the
columns and dtypes of `data.store.Store.load_enterprises/load_indicators/load_incidents`
(text as pandas ``str``, dates ``datetime64[ns]``, numbers float64) and in the same sort
order. It is not a realistic world (that is `simulator.world`); it exercises every code path of
the feature builder at national scale: late and imputed reports (5–60 days), ~2% revisions
with a later ``reported_at``, empty cells, firms that stop reporting for a month, new and
closed firms, missing founding dates and districts, debt spells, and incidents of every kind
clustered on distressed firms. Everything is vectorized numpy; 1,000,000 × 36 generates in
well under a minute.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from data.reference import district_region_table
from features.panel import INDICATOR_COLUMNS

FIRST_MONTH = "2022-01"
SECTORS = ("14", "15", "26", "27", "10", "13", "16", "22", "25", "46")
SECTOR_WEIGHTS = (0.22, 0.12, 0.14, 0.06, 0.08, 0.08, 0.07, 0.08, 0.07, 0.08)
KINDS = ("work_stoppage", "slowdown", "gathering", "petition")
KIND_WEIGHTS = (0.45, 0.15, 0.2, 0.2)
CAUSES = ("wages", "wage_arrears", "tet_bonus", "insurance", "layoffs", "conditions", "other")
# Every indicator but headcount may be left empty.
OPTIONAL = tuple(c for c in INDICATOR_COLUMNS if c != "headcount")


def _text(values: np.ndarray, codes: np.ndarray | None = None) -> pd.Series:
    """A pandas ``str`` Series of ``values[codes]`` (None = missing) built through Arrow."""
    array = pa.array(values, type=pa.string())
    if codes is not None:
        array = array.take(pa.array(codes))
    return pa.table({"x": array}).to_pandas()["x"]


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(n).astype(f"U{width}"), width)).astype(object)


def _days(day_numbers: np.ndarray) -> np.ndarray:
    """datetime64[ns] from days since epoch (int64; NaT where the minimum int64)."""
    out = day_numbers.astype("datetime64[D]").astype("datetime64[ns]")
    return out


def _districts() -> tuple[np.ndarray, np.ndarray]:
    table = district_region_table()
    hai_duong = table.loc[table["province"] == "Hải Dương", "district"].unique()
    bac_ninh = table.loc[table["province"] == "Bắc Ninh", "district"].unique()
    return np.asarray(hai_duong, dtype=object), np.asarray(bac_ninh, dtype=object)


def _enterprises(n: int, first_day: int, last_day: int, rng: np.random.Generator) -> pd.DataFrame:
    hd, bn = _districts()
    n_zones = max(4, n // 400)
    zone_kind = rng.random(n_zones) < 0.7  # True: industrial zone, False: cluster
    zone_ids = np.where(
        zone_kind,
        np.char.add("HD-KCN-", np.char.zfill(np.arange(n_zones).astype("U6"), 5)),
        np.char.add("HD-CCN-", np.char.zfill(np.arange(n_zones).astype("U6"), 5)),
    ).astype(object)
    zone_district = rng.integers(0, len(hd), n_zones)

    in_zone = rng.random(n) < 0.55
    zone = np.where(in_zone, rng.integers(0, n_zones, n), -1)
    bac_ninh = ~in_zone & (rng.random(n) < 0.08)
    district = np.where(
        in_zone,
        hd[zone_district[np.maximum(zone, 0)]],
        np.where(bac_ninh, bn[rng.integers(0, len(bn), n)], hd[rng.integers(0, len(hd), n)]),
    )
    district[~in_zone & (rng.random(n) < 0.02)] = None
    province = np.where(bac_ninh, "Bắc Ninh", "Hải Dương").astype(object)
    zone_type = np.where(
        in_zone, np.where(zone_kind[np.maximum(zone, 0)], "industrial_zone", "industrial_cluster"), "outside"
    ).astype(object)
    zone_id = zone_ids[np.maximum(zone, 0)]
    zone_id[~in_zone] = None

    sector = np.asarray(SECTORS, dtype=object)[rng.choice(len(SECTORS), n, p=SECTOR_WEIGHTS)]
    ownership = np.asarray(("fdi", "private", "state"), dtype=object)[rng.choice(3, n, p=(0.35, 0.6, 0.05))]
    old_start = int(np.datetime64("1995-01-01", "D").astype(np.int64))
    founded = rng.integers(old_start, first_day, n)
    new = rng.random(n) < 0.05
    founded[new] = rng.integers(first_day, last_day, int(new.sum()))
    founded_dt = _days(founded)
    founded_dt[rng.random(n) < 0.03] = np.datetime64("NaT")
    closed = rng.integers(first_day, last_day, n)
    closed = np.maximum(closed, founded + 30)
    closed_dt = _days(closed)
    closed_dt[(rng.random(n) >= 0.06) | (closed >= last_day)] = np.datetime64("NaT")

    ids = _ids("08", n, 8)
    return pd.DataFrame(
        {
            "enterprise_id": _text(ids),
            "name": _text(np.char.add("Công ty TNHH Sản xuất ", ids.astype(str)).astype(object)),
            "province": _text(province),
            "district": _text(district),
            "zone_id": _text(zone_id),
            "zone_type": _text(zone_type),
            "sector": _text(sector),
            "ownership": _text(ownership),
            "founded": founded_dt,
            "closed": closed_dt,
        }
    )


def make_panel(
    n_enterprises: int,
    n_months: int = 36,
    *,
    seed: int = 0,
    incident_rate: float = 0.001,
    first_month: str = FIRST_MONTH,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(enterprises, indicators, incidents) for `n_enterprises` over `n_months` from `first_month`.

    Typed and sorted exactly as the store returns them. `incident_rate` is incidents per
    enterprise-month (about 1 per 1,000 by default; tests raise it to exercise contagion).
    """
    rng = np.random.default_rng(seed)
    n = n_enterprises
    month0 = int(np.datetime64(first_month, "M").astype(np.int64))
    first_day = int(np.datetime64(first_month, "M").astype("datetime64[D]").astype(np.int64))
    last_day = int((np.datetime64(first_month, "M") + n_months).astype("datetime64[D]").astype(np.int64))
    ent = _enterprises(n, first_day, last_day, rng)

    # Operating months of every firm, one row per (firm, month).
    def month_of(column: str, default: int) -> np.ndarray:
        values = ent[column].to_numpy()
        months = values.astype("datetime64[M]").astype(np.int64)
        return np.where(np.isnat(values), default, months)

    first = np.maximum(month_of("founded", month0), month0)
    last = np.minimum(month_of("closed", month0 + n_months - 1), month0 + n_months - 1)
    count = np.clip(last - first + 1, 0, None)
    e = np.repeat(np.arange(n), count)
    offset = np.arange(len(e)) - np.repeat(np.cumsum(count) - count, count)
    m = first[e] + offset
    # Months a firm did not report at all, and 3% of firms that fall silent for good.
    silent_from = np.where(
        rng.random(n) < 0.03, rng.integers(month0, month0 + n_months, n), month0 + n_months
    )
    keep = (rng.random(len(e)) >= 0.02) & (m < silent_from[e])
    e, m, offset = e[keep], m[keep], offset[keep]
    rows = len(e)

    # Firm traits and a per-firm random walk in headcount.
    size = np.exp(rng.normal(np.log(120), 1.2, n))
    wage = rng.uniform(5.0e6, 1.2e7, n)
    distressed = rng.random(n) < 0.08
    distress_start = rng.integers(month0 - 6, month0 + n_months, n)
    silent_debt = rng.random(n) < 0.05  # never fill the debt cells
    steps = rng.normal(0.0, 0.03, rows)
    walk = np.cumsum(steps)
    starts = np.flatnonzero(np.r_[True, e[1:] != e[:-1]])
    walk -= np.repeat(walk[starts], np.diff(np.r_[starts, rows]))
    headcount = np.maximum(np.round(size[e] * np.exp(walk)), 0.0)
    headcount[rng.random(rows) < 0.002] = 0.0
    avg_wage = np.round(wage[e] * (1 + 0.004 * (m - month0)) * rng.normal(1.0, 0.03, rows), -3)

    in_distress = distressed[e] & (m >= distress_start[e])
    since = m - distress_start[e]
    insurance_months = np.where(in_distress, np.minimum(since + 1, 6), 0).astype(np.float64)
    insurance_months[~in_distress & (rng.random(rows) < 0.03)] = 1.0
    wage_months = np.where(in_distress & (since >= 2), np.minimum(since - 1, 4), 0).astype(np.float64)
    monthly_bill = headcount * avg_wage
    layoffs = np.floor(np.where(in_distress, 0.1, 0.02) * headcount * rng.random(rows))
    reduced = np.where(in_distress, np.floor(0.4 * headcount * rng.random(rows)), 0.0)
    values = {
        "headcount": headcount,
        "avg_wage_vnd": avg_wage,
        "wage_arrears_vnd": np.round(wage_months * monthly_bill * 0.8, -3),
        "wage_arrears_months": wage_months,
        "insurance_debt_vnd": np.round(insurance_months * monthly_bill * 0.255, -3),
        "insurance_debt_months": insurance_months,
        "layoffs": layoffs,
        "reduced_hours_workers": reduced,
    }
    for column in OPTIONAL:
        values[column][rng.random(rows) < 0.04] = np.nan
    for column in ("wage_arrears_vnd", "wage_arrears_months", "insurance_debt_vnd", "insurance_debt_months"):
        values[column][silent_debt[e]] = np.nan

    month_end = (m + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1
    imputed = rng.random(rows) < 0.1
    reported = month_end + np.where(imputed, 20, rng.integers(5, 61, rows))

    # ~2% revisions: the same month again, known 10-120 days later, with corrected figures.
    rev = np.flatnonzero(rng.random(rows) < 0.02)
    r_values = {c: v[rev].copy() for c, v in values.items()}
    r_values["headcount"] = np.round(r_values["headcount"] * rng.normal(1.0, 0.05, len(rev)).clip(0.5))
    bump = rng.random(len(rev)) < 0.3
    r_values["wage_arrears_months"] = np.where(
        bump, r_values["wage_arrears_months"] + 1, r_values["wage_arrears_months"]
    )
    r_values["avg_wage_vnd"] = np.where(rng.random(len(rev)) < 0.2, np.nan, r_values["avg_wage_vnd"])
    # Each revision goes right after its original: the store's (id, month, reported_at) order.
    after = rev + 1
    ids = _ids("08", n, 8)
    columns: dict[str, object] = {
        "enterprise_id": _text(ids, np.insert(e, after, e[rev])),
        "month": np.insert(m, after, m[rev]).astype("datetime64[M]").astype("datetime64[ns]"),
    }
    for column, v in values.items():
        columns[column] = np.insert(v, after, r_values[column])
    r_reported = reported[rev] + rng.integers(10, 121, len(rev))
    columns["reported_at"] = _days(np.insert(reported, after, r_reported))
    columns["reported_at_imputed"] = np.insert(imputed, after, np.zeros(len(rev), dtype=bool))
    indicators = pd.DataFrame(columns, copy=False)
    del columns, values, r_values

    # Incidents on operating firm-months, 20x more likely in distress.
    n_incidents = rng.binomial(rows, incident_rate)
    weight = np.where(in_distress, 20.0, 1.0)
    pick = np.sort(rng.choice(rows, n_incidents, replace=True, p=weight / weight.sum()))
    month_start = m[pick].astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    started = month_start + rng.integers(0, 28, n_incidents)
    order = np.argsort(started, kind="stable")
    pick, started = pick[order], started[order]
    kind = np.asarray(KINDS, dtype=object)[rng.choice(len(KINDS), n_incidents, p=KIND_WEIGHTS)]
    cause = np.asarray(CAUSES, dtype=object)[rng.integers(0, len(CAUSES), n_incidents)]
    cause[rng.random(n_incidents) < 0.1] = None
    ended = _days(started + rng.integers(0, 5, n_incidents))
    ended[rng.random(n_incidents) < 0.15] = np.datetime64("NaT")
    inc_imputed = rng.random(n_incidents) < 0.2
    inc_reported = started + np.where(inc_imputed, 0, rng.integers(0, 21, n_incidents))
    participants = np.maximum(np.round(headcount[pick] * rng.uniform(0.1, 0.8, n_incidents)), 1.0)
    participants[rng.random(n_incidents) < 0.1] = np.nan
    incidents = pd.DataFrame(
        {
            "incident_id": _text(_ids("INC", n_incidents, 8)),
            "enterprise_id": _text(ids, e[pick]),
            "kind": _text(kind),
            "cause": _text(cause),
            "started": _days(started),
            "ended": ended,
            "reported_at": _days(inc_reported),
            "participants": participants,
            "reported_at_imputed": inc_imputed,
        }
    )
    return ent, indicators, incidents


def panel_as_of(n_months: int = 36, first_month: str = FIRST_MONTH) -> pd.DatetimeIndex:
    """Month-end as-of dates of the panel: the training grid the benchmark builds."""
    return pd.date_range(pd.Timestamp(first_month + "-01"), periods=n_months, freq="ME")
