"""Targets: does an incident of the target kinds start within H months after the as-of date?

For an enterprise at D the target is 1 when at least one incident of `kinds` starts in
(D, D + H months]. Labels are only defined where the whole window has passed by the time
they are built (`label_cutoff`), and only incidents reported by then count.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vocab.months import day_number
from vocab.terms import TARGET_KINDS

DEFAULT_KINDS: tuple[str, ...] = TARGET_KINDS


def label_column(horizon_months: int) -> str:
    """Name of the target column for a horizon, e.g. `target_3m`."""
    return f"target_{horizon_months}m"


def horizon_end(as_of: pd.Series | pd.DatetimeIndex, horizon_months: int) -> pd.DatetimeIndex:
    """D + H calendar months (clipped to the month's last day, as pandas does)."""
    return pd.DatetimeIndex(as_of) + pd.DateOffset(months=horizon_months)


def label_grid(
    incidents: pd.DataFrame,
    grid: pd.DatetimeIndex,
    enterprise_ids: np.ndarray,
    *,
    horizon_months: int,
    kinds: Sequence[str] = DEFAULT_KINDS,
) -> np.ndarray:
    """(K, E) True where an incident of `kinds` starts in (D_k, D_k + H] at enterprise e."""
    events = incidents.loc[incidents["kind"].isin(list(kinds))]
    ids = pd.Index(enterprise_ids)
    e_of = ids.get_indexer(events["enterprise_id"])
    events = events.loc[e_of >= 0]
    e_of = e_of[e_of >= 0]
    started = day_number(events["started"].to_numpy())
    grid_days = day_number(grid.values)
    ends = day_number(horizon_end(grid, horizon_months).values)
    # Incident at day s is in (D_k, end_k] for the k with D_k < s <= end_k.
    k_from = np.searchsorted(ends, started, side="left")
    k_to = np.searchsorted(grid_days, started, side="left")
    span = np.clip(k_to - k_from, 0, None)
    source = np.repeat(np.arange(len(started)), span)
    k = k_from[source] + (np.arange(len(source)) - np.repeat(np.cumsum(span) - span, span))
    hit = np.zeros((len(grid), len(ids)), dtype=bool)
    hit[k, e_of[source]] = True
    return hit


def add_labels(
    table: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    horizons: Sequence[int] = (3,),
    kinds: Sequence[str] = DEFAULT_KINDS,
    label_cutoff: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Return a copy of `table` (as_of, enterprise_id, ...) with one target column per horizon.

    Rows whose window (D, D + H] is not over by `label_cutoff` get a missing label (NaN), so
    that training drops them instead of reading them as "no incident".
    """
    out = table.copy()
    events = incidents
    if label_cutoff is not None:
        events = events.loc[events["reported_at"] <= pd.Timestamp(label_cutoff).normalize()]
    grid = pd.DatetimeIndex(sorted(out["as_of"].unique()))
    ids = np.array(sorted(out["enterprise_id"].unique()), dtype=object)
    row_k = grid.get_indexer(pd.DatetimeIndex(out["as_of"]))
    row_e = pd.Index(ids).get_indexer(out["enterprise_id"])
    for horizon in horizons:
        hit = label_grid(events, grid, ids, horizon_months=horizon, kinds=kinds)
        label = hit[row_k, row_e].astype(np.float64)
        if label_cutoff is not None:
            closed = horizon_end(out["as_of"], horizon) <= pd.Timestamp(label_cutoff).normalize()
            label[~np.asarray(closed)] = np.nan
        out[label_column(horizon)] = label
    return out
