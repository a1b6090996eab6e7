"""Shared evaluation pieces: the monthly capacity, the officers' checklist, top-k masks and
the month-end rows a forward run scores against what followed (`ews evaluate`,
`benchmarks/forward_worlds.py`). The metrics themselves, and the paired bootstrap that
decides promotions, are in `judging.metrics`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.build import build_features, known_at
from features.labels import add_labels, label_column
from vocab.terms import capacity_count


def top_k_by_month(as_of: np.ndarray, score: np.ndarray, capacity: float) -> np.ndarray:
    """True for the rows in each as-of month's top k by score (ties broken by row order)."""
    frame = pd.DataFrame({"as_of": as_of, "score": score})
    rank = frame.groupby("as_of")["score"].rank(method="first", ascending=False).to_numpy()
    size = frame.groupby("as_of")["score"].transform("size").to_numpy()
    # One count per distinct month size, not one Python call per row (millions nationally).
    sizes, of_row = np.unique(size, return_inverse=True)
    k = np.array([capacity_count(int(n), capacity) for n in sizes], dtype=np.int64)[of_row]
    return rank <= k


def month_ends_between(first: str, last: str) -> pd.DatetimeIndex:
    """The last day of every month from `first` to `last` (YYYY-MM, inclusive)."""
    ends = pd.date_range(pd.Period(first).start_time, pd.Period(last).end_time, freq="ME")
    if len(ends) == 0:
        raise ValueError(f"--from {first} is after --to {last}")
    return ends


def outcomes_known_until(indicators: pd.DataFrame, incidents: pd.DataFrame) -> pd.Timestamp:
    """The latest date the store knows anything about: outcome windows must close by it."""
    dates = [indicators["reported_at"].max(), incidents["reported_at"].max()]
    return pd.Timestamp(max(d for d in dates if pd.notna(d))).normalize()


def month_end_rows(
    enterprises: pd.DataFrame,
    indicators: pd.DataFrame,
    incidents: pd.DataFrame,
    day: pd.Timestamp,
    *,
    horizon_months: int,
    kinds: tuple[str, ...],
    cutoff: pd.Timestamp,
) -> pd.DataFrame:
    """Every enterprise's features at `day` from what was known then, and its outcome `y`:
    the training labels' definition, from every incident known by `cutoff`."""
    known_indicators, known_incidents = known_at(indicators, incidents, day)
    rows = build_features(enterprises, known_indicators, known_incidents, [day])
    labelled = add_labels(
        rows[["as_of", "enterprise_id"]],
        incidents,
        horizons=(horizon_months,),
        kinds=kinds,
        label_cutoff=cutoff,
    )
    return rows.assign(y=labelled[label_column(horizon_months)].to_numpy())
