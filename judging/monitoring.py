"""Nightly monitoring as pure functions: drift, churn, calibration against outcomes, freshness.

Nothing here reads or writes files; the scoring flow passes frames in and records the results.

Drift is measured with the population stability index (PSI) over quantile bins of the
reference. The conventional 0.1 / 0.25 cut-offs ignore sample size: with a few hundred rows
pure sampling noise exceeds 0.1. Under no drift, PSI (a symmetrised KL divergence) times
n_ref·n_cur/(n_ref+n_cur) is asymptotically χ² with bins−1 degrees of freedom, so
`psi_threshold` uses χ²_{bins−1}(1−α)·(1/n_ref + 1/n_cur), floored at the conventional level:
small samples need more evidence, large ones fall back to the usual rule of thumb.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2

from features.labels import DEFAULT_KINDS, add_labels, label_column
from vocab.months import month_number
from vocab.terms import BANDS

#: Floor of a bin's share, so that an empty bin gives a large but finite PSI term.
PSI_EPSILON = 1e-4
#: Conventional PSI levels (warn, alert) used as floors of the sample-size-aware thresholds.
PSI_WARN, PSI_ALERT = 0.10, 0.25
#: The alert threshold asks for ten times stronger evidence than the warning one.
ALERT_ALPHA_FACTOR = 0.1


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    shares = counts / total if total else np.zeros_like(counts, dtype=np.float64)
    shares = np.maximum(shares, PSI_EPSILON)
    return shares / shares.sum()


def _psi_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    ref, cur = _shares(ref_counts.astype(np.float64)), _shares(cur_counts.astype(np.float64))
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def _numeric_counts(reference: np.ndarray, current: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts in quantile bins of the reference, plus one bin for NaN (last)."""
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    ref_ok = ref[~np.isnan(ref)]
    if len(ref_ok):
        edges = np.unique(np.quantile(ref_ok, np.linspace(0, 1, bins + 1)[1:-1]))
    else:
        edges = np.array([], dtype=np.float64)

    def count(x: np.ndarray) -> np.ndarray:
        nan = np.isnan(x)
        idx = np.searchsorted(edges, x[~nan], side="right")
        return np.append(np.bincount(idx, minlength=len(edges) + 1), nan.sum())

    return count(ref), count(cur)


def _categorical_counts(reference: pd.Series, current: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Counts per category of the union of both samples, missing values as their own category."""
    ref = pd.Series(reference).astype(object).where(pd.Series(reference).notna(), "<NA>").astype(str)
    cur = pd.Series(current).astype(object).where(pd.Series(current).notna(), "<NA>").astype(str)
    categories = sorted(set(ref.unique()) | set(cur.unique()))
    return (
        ref.value_counts().reindex(categories, fill_value=0).to_numpy(),
        cur.value_counts().reindex(categories, fill_value=0).to_numpy(),
    )


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """Population stability index of `current` against `reference` (numeric).

    Bins are the reference's quantiles (ties merged), NaN is its own bin, and bin shares are
    floored at `PSI_EPSILON` so that an empty bin does not give an infinite PSI.
    """
    ref_counts, cur_counts = _numeric_counts(np.asarray(reference), np.asarray(current), bins)
    return _psi_from_counts(ref_counts, cur_counts)


def psi_threshold(
    n_ref: int, n_cur: int, bins: int, alpha: float = 0.01, *, floor: float = PSI_WARN
) -> float:
    """PSI above which drift is significant at level `alpha`, never below `floor`.

    Under no drift PSI ≈ χ²_{bins−1}·(1/n_ref + 1/n_cur); the (1−α) quantile of that is the
    critical value. It shrinks as the samples grow, down to the conventional `floor`
    (0.1 for a warning, 0.25 for an alert). With an empty sample the threshold is infinite.
    """
    if n_ref <= 0 or n_cur <= 0:
        return float("inf")
    dof = max(int(bins) - 1, 1)
    critical = float(chi2.ppf(1.0 - alpha, dof)) * (1.0 / n_ref + 1.0 / n_cur)
    return max(floor, critical)


def _status(value: float, warn_at: float, alert_at: float) -> str:
    if not np.isfinite(value):
        return "ok"
    return "alert" if value > alert_at else "warn" if value > warn_at else "ok"


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _drift_row(column: str, ref: pd.Series, cur: pd.Series, bins: int, alpha: float) -> dict[str, Any]:
    if _is_numeric(ref) and _is_numeric(cur):
        ref_counts, cur_counts = _numeric_counts(ref.to_numpy(np.float64), cur.to_numpy(np.float64), bins)
        kind = "numeric"
    else:
        ref_counts, cur_counts = _categorical_counts(ref, cur)
        kind = "categorical"
    used = int(np.count_nonzero(ref_counts + cur_counts))
    value = _psi_from_counts(ref_counts, cur_counts) if len(ref) and len(cur) else float("nan")
    warn_at = psi_threshold(len(ref), len(cur), used, alpha, floor=PSI_WARN)
    alert_at = psi_threshold(len(ref), len(cur), used, alpha * ALERT_ALPHA_FACTOR, floor=PSI_ALERT)
    return {
        "column": column,
        "kind": kind,
        "psi": value,
        "threshold": warn_at,
        "alert_threshold": alert_at,
        "status": _status(value, warn_at, alert_at),
        "bins": used,
        "n_reference": len(ref),
        "n_current": len(cur),
    }


def feature_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: Sequence[str],
    *,
    bins: int = 10,
    alpha: float = 0.01,
) -> pd.DataFrame:
    """PSI of each column with its sample-size-aware thresholds and a status ok / warn / alert.

    Numeric columns use quantile bins of the reference; text, categorical and boolean
    columns use their categories (missing as its own category). Rows are sorted worst first.
    """
    rows = [_drift_row(str(c), reference[c], current[c], bins, alpha) for c in columns]
    out = pd.DataFrame(
        rows,
        columns=[
            "column",
            "kind",
            "psi",
            "threshold",
            "alert_threshold",
            "status",
            "bins",
            "n_reference",
            "n_current",
        ],
    )
    order = out["status"].map({"alert": 0, "warn": 1, "ok": 2})
    return (
        out.assign(_o=order)
        .sort_values(["_o", "psi"], ascending=[True, False])
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def score_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    column: str = "score",
    bins: int = 10,
    alpha: float = 0.01,
) -> pd.DataFrame:
    """Drift of the score distribution (one row shaped like `feature_drift`, plus the means)."""
    out = feature_drift(reference, current, [column], bins=bins, alpha=alpha)
    out["mean_reference"] = float(reference[column].mean())
    out["mean_current"] = float(current[column].mean())
    return out


def _top_ids(ranking: pd.DataFrame, k: int) -> list[str]:
    """Enterprise ids of the top k, best first (by rank, else by score then id)."""
    if ranking is None or ranking.empty:
        return []
    if "rank" in ranking.columns:
        ordered = ranking.sort_values(["rank", "enterprise_id"], kind="stable")
    else:
        ordered = ranking.sort_values(["score", "enterprise_id"], ascending=[False, True], kind="stable")
    return [str(x) for x in ordered["enterprise_id"].head(k)]


def top_k_churn(previous: pd.DataFrame | None, current: pd.DataFrame, k: int) -> dict[str, Any]:
    """How much the top k changed since the previous night.

    `churn` is the share of the current top k absent from the previous top k; `entrants`
    (current rank order) and `leavers` (previous rank order) list the ids; `jaccard` is
    |A∩B|/|A∪B|. Without a previous ranking churn and jaccard are None.
    """
    cur = _top_ids(current, k)
    prev = _top_ids(previous, k) if previous is not None else []
    prev_set, cur_set = set(prev), set(cur)
    has_previous = bool(prev)
    union = prev_set | cur_set
    return {
        "k": int(k),
        "n_current": len(cur),
        "n_previous": len(prev),
        "entrants": [e for e in cur if e not in prev_set] if has_previous else [],
        "leavers": [e for e in prev if e not in cur_set],
        "churn": (sum(e not in prev_set for e in cur) / len(cur)) if has_previous and cur else None,
        "jaccard": (len(prev_set & cur_set) / len(union)) if has_previous and union else None,
    }


def calibration_against_outcomes(
    published: pd.DataFrame,
    incidents: pd.DataFrame,
    horizon_months: int = 3,
    *,
    as_of_cutoff: pd.Timestamp | str,
    kinds: Sequence[str] = DEFAULT_KINDS,
    per_night: bool = False,
) -> pd.DataFrame:
    """Mean predicted probability against the observed rate, per band and overall.

    Only nights whose horizon (as_of, as_of + H] closed by `as_of_cutoff` count, and only
    incidents reported by then (the same labels as training, `features.labels`). Columns:
    [as_of,] band, nights, rows, events, mean_predicted, observed_rate, ratio (observed / predicted).
    """
    cutoff = pd.Timestamp(as_of_cutoff).normalize()
    frame = published.loc[:, ["as_of", "enterprise_id", "score", "band"]].copy()
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    closed = pd.DatetimeIndex(frame["as_of"]) + pd.DateOffset(months=horizon_months) <= cutoff
    frame = frame.loc[np.asarray(closed)]
    columns = ["band", "nights", "rows", "events", "mean_predicted", "observed_rate", "ratio"]
    if per_night:
        columns = ["as_of", *columns]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    labelled = add_labels(frame, incidents, horizons=(horizon_months,), kinds=kinds, label_cutoff=cutoff)
    labelled["outcome"] = labelled[label_column(horizon_months)]
    keys = ["as_of"] if per_night else []
    parts = [labelled, labelled.assign(band="all")]
    stacked = pd.concat(parts, ignore_index=True)
    out = (
        stacked.groupby([*keys, "band"], sort=False)
        .agg(
            nights=("as_of", "nunique"),
            rows=("outcome", "size"),
            events=("outcome", "sum"),
            mean_predicted=("score", "mean"),
            observed_rate=("outcome", "mean"),
        )
        .reset_index()
    )
    out["events"] = out["events"].astype(int)
    out["ratio"] = np.where(
        out["mean_predicted"] > 0,
        out["observed_rate"] / out["mean_predicted"].where(out["mean_predicted"] > 0),
        np.nan,
    )
    band_order = {b: i for i, b in enumerate([*BANDS, "all"])}
    out["_o"] = out["band"].map(band_order).fillna(len(band_order))
    out = out.sort_values([*keys, "_o"]).drop(columns="_o").reset_index(drop=True)
    return out.loc[:, columns]


#: Evidence needed before a band is called miscalibrated: |z| above these (warn, alert) ...
CALIBRATION_Z_WARN, CALIBRATION_Z_ALERT = 2.0, 3.0
#: ... and observed / predicted outside this band (a small but significant bias is not actionable) ...
CALIBRATION_RATIO_BAND = (0.5, 2.0)
#: ... and at least this many expected or observed events (the normal approximation needs them).
CALIBRATION_MIN_EVENTS = 5.0


def calibration_nights(
    published: Sequence[str], as_of: pd.Timestamp | str, horizon_months: int, *, months: int = 12
) -> list[str]:
    """The nights to judge against outcomes: per calendar month its last published night whose
    horizon (night, night + H] has closed by `as_of`, for the latest `months` such months.

    One night a month, not every night: consecutive nights score the same enterprises over
    almost the same window, so counting them all would multiply one outcome without new evidence.
    """
    cutoff = pd.Timestamp(as_of).normalize()
    nights = pd.to_datetime(pd.Series(sorted(set(published)), dtype=object))
    if nights.empty:
        return []
    nights = nights.loc[(nights + pd.DateOffset(months=horizon_months)) <= cutoff]
    last_per_month = nights.groupby(nights.dt.to_period("M")).max().sort_index()
    return [d.strftime("%Y-%m-%d") for d in last_per_month.tail(months)]


def calibration_check(table: pd.DataFrame, *, design_effect: float = 1.0) -> pd.DataFrame:
    """Add expected events, a z-score and a status (ok / warn / alert / n/a) to a calibration table.

    Under calibration the events of a band have mean E = rows·mean_predicted and variance
    Σp(1−p) ≤ rows·m(1−m) (Jensen), used here, so the test errs towards "ok". Outcomes of
    monthly nights overlap (one incident counts for up to H nights): the variance is multiplied
    by `design_effect` (≈ min(H, nights)). A band is flagged only when |z| is large, the
    ratio observed/predicted is outside `CALIBRATION_RATIO_BAND`, and max(E, events) reaches
    `CALIBRATION_MIN_EVENTS`; below that it is "n/a" (too few outcomes to judge).
    """
    out = table.copy()
    rows = out["rows"].astype(float)
    mean = out["mean_predicted"].astype(float)
    out["expected"] = rows * mean
    variance = max(float(design_effect), 1.0) * rows * mean * (1.0 - mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        z: pd.Series = (out["events"].astype(float) - out["expected"]) / np.sqrt(variance)
    out["z"] = z.where(variance > 0)
    low, high = CALIBRATION_RATIO_BAND
    off = ~out["ratio"].between(low, high) & out["ratio"].notna()
    enough = np.maximum(out["expected"], out["events"].astype(float)) >= CALIBRATION_MIN_EVENTS
    status = np.where(
        ~enough | out["z"].isna(),
        "n/a",
        np.where(
            off & (out["z"].abs() > CALIBRATION_Z_ALERT),
            "alert",
            np.where(off & (out["z"].abs() > CALIBRATION_Z_WARN), "warn", "ok"),
        ),
    )
    out["status"] = status
    return out


def _month_index(values: pd.Series | pd.Timestamp) -> Any:
    """Month numbers (`vocab.months`), so that month differences are integers; NaT stays missing."""
    if isinstance(values, pd.Timestamp):
        return int(month_number(values))
    numbers = pd.Series(month_number(values), index=values.index, dtype="Int64")
    return numbers.mask(values.isna())


def freshness(
    indicators: pd.DataFrame,
    as_of: pd.Timestamp | str,
    stale_after_months: int = 3,
    *,
    enterprises: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per enterprise: the latest indicator month known at `as_of` and how stale it is.

    Only rows with reported_at ≤ as_of count (what the scorer saw). `months_stale` is the
    number of months between that month and the month of `as_of` (1 is the normal
    reporting lag); `stale` is True when it exceeds `stale_after_months`, or when nothing is
    known. Pass `enterprises` (operating ones only: a closed firm stops reporting) to include
    enterprises without any known row.
    """
    cutoff = pd.Timestamp(as_of).normalize()
    known = indicators.loc[pd.to_datetime(indicators["reported_at"]) <= cutoff]
    latest = (
        known.assign(month=pd.to_datetime(known["month"]), reported_at=pd.to_datetime(known["reported_at"]))
        .groupby("enterprise_id", sort=True)
        .agg(latest_month=("month", "max"), latest_reported_at=("reported_at", "max"))
        .reset_index()
    )
    if enterprises is not None:
        ids = pd.DataFrame({"enterprise_id": sorted(enterprises["enterprise_id"].astype(str).unique())})
        latest = ids.merge(latest, on="enterprise_id", how="left")
    months = _month_index(cutoff) - _month_index(latest["latest_month"])
    latest["months_stale"] = months.astype("Float64") if len(latest) else pd.Series(dtype="Float64")
    latest["stale"] = (latest["months_stale"].isna() | (latest["months_stale"] > stale_after_months)).astype(
        bool
    )
    latest.insert(1, "as_of", cutoff)
    return latest.reset_index(drop=True)


def data_freshness(
    indicators: pd.DataFrame,
    enterprises: pd.DataFrame,
    as_of: pd.Timestamp | str,
    stale_after_months: int = 3,
    *,
    by: Sequence[str] = ("province",),
) -> pd.DataFrame:
    """Freshness per group (default province; add e.g. a `source` column of the enterprises).

    Columns: the `by` keys, enterprises, stale, share_stale, latest_month, latest_reported_at.
    """
    per = freshness(indicators, as_of, stale_after_months, enterprises=enterprises)
    attrs = (
        enterprises.drop_duplicates("enterprise_id")
        .loc[:, ["enterprise_id", *by]]
        .astype({"enterprise_id": str})
    )
    per = per.merge(attrs, on="enterprise_id", how="left")
    out = (
        per.groupby(list(by), dropna=False, sort=True)
        .agg(
            enterprises=("enterprise_id", "size"),
            stale=("stale", "sum"),
            latest_month=("latest_month", "max"),
            latest_reported_at=("latest_reported_at", "max"),
        )
        .reset_index()
    )
    out["stale"] = out["stale"].astype(int)
    out.insert(len(by) + 2, "share_stale", out["stale"] / out["enterprises"])
    return out


__all__ = [
    "CALIBRATION_MIN_EVENTS",
    "CALIBRATION_RATIO_BAND",
    "PSI_ALERT",
    "PSI_WARN",
    "calibration_against_outcomes",
    "calibration_check",
    "calibration_nights",
    "data_freshness",
    "feature_drift",
    "freshness",
    "psi",
    "psi_threshold",
    "score_drift",
    "top_k_churn",
]
