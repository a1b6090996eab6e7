"""Indicators as they were known at each as-of date, as dense arrays.

A `Snapshot` holds, for a grid of as-of dates and a block of enterprises, the value of every
indicator for the last `window` calendar months, each month at its latest revision
reported on or before the as-of date. Lag 0 is the as-of date's own month. Cells that were
not known at the as-of date, or known but not reported (an empty cell), are NaN; `known`
tells the two apart.

It is built in one vectorized pass: every indicator revision is valid from the first
as-of date on or after its `reported_at` until the next revision of the same month takes
over, and is scattered into all the (as-of, lag) cells it covers. There is no loop over
months or enterprises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

INDICATOR_COLUMNS: tuple[str, ...] = (
    "headcount",
    "avg_wage_vnd",
    "wage_arrears_vnd",
    "wage_arrears_months",
    "insurance_debt_vnd",
    "insurance_debt_months",
    "layoffs",
    "reduced_hours_workers",
)


def month_number(dates: np.ndarray | pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Months since 1970-01 of each date (int64); the unit for all month arithmetic."""
    values = np.asarray(dates, dtype="datetime64[ns]")
    return values.astype("datetime64[M]").astype(np.int64)


def day_number(dates: np.ndarray | pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Days since 1970-01-01 of each date (int64), NaT as the smallest int64."""
    values = np.asarray(dates, dtype="datetime64[ns]")
    return values.astype("datetime64[D]").astype(np.int64)


def first_known_index(as_of_days: np.ndarray, reported_days: np.ndarray) -> np.ndarray:
    """Index of the first as-of date on or after each report date (len(grid) when none)."""
    return np.searchsorted(as_of_days, reported_days, side="left")


@dataclass(frozen=True)
class Snapshot:
    """Indicators known at each as-of date for a block of enterprises: arrays [K, E, W]."""

    as_of: pd.DatetimeIndex
    enterprise_ids: np.ndarray
    window: int
    values: dict[str, np.ndarray]
    known: np.ndarray
    last_known_lag: np.ndarray

    @property
    def as_of_month(self) -> np.ndarray:
        """Month number of each as-of date, shape (K,)."""
        return month_number(self.as_of.values)

    def latest_lag(self) -> np.ndarray:
        """Lag of the most recent month known within the window, (K, E) float (NaN: none)."""
        any_known = self.known.any(axis=2)
        lag = self.known.argmax(axis=2).astype(np.float64)
        lag[~any_known] = np.nan
        return lag

    def at_lag(self, column: str, lag: np.ndarray) -> np.ndarray:
        """Value of `column` at a per-cell lag (K, E); NaN where the lag is NaN or off-window."""
        values = self.values[column]
        valid = np.isfinite(lag) & (lag >= 0) & (lag < self.window)
        index = np.where(valid, lag, 0).astype(np.int64)[..., None]
        picked = np.take_along_axis(values, index, axis=2)[..., 0].astype(np.float64)
        picked[~valid] = np.nan
        return picked


@dataclass(frozen=True)
class IndicatorArrays:
    """Indicator revisions as flat arrays sorted by enterprise code: sliced per block."""

    codes: np.ndarray  # enterprise position in the sorted enterprise list
    month: np.ndarray  # month number
    reported: np.ndarray  # day number of reported_at
    values: np.ndarray  # (rows, len(INDICATOR_COLUMNS)) float64

    @classmethod
    def from_frame(cls, indicators: pd.DataFrame, enterprise_ids: np.ndarray) -> IndicatorArrays:
        """Code, sort and convert once; rows of unknown enterprises are dropped."""
        codes = pd.Index(enterprise_ids).get_indexer(indicators["enterprise_id"])
        keep = codes >= 0
        month = month_number(indicators["month"].to_numpy())[keep]
        reported = day_number(indicators["reported_at"].to_numpy())[keep]
        codes = codes[keep]
        order = np.lexsort((reported, month, codes))
        values = np.column_stack(
            [indicators[c].to_numpy(dtype=np.float64, na_value=np.nan)[keep] for c in INDICATOR_COLUMNS]
        )
        return cls(codes[order], month[order], reported[order], values[order])

    def block(self, first: int, stop: int) -> IndicatorArrays:
        """The rows of enterprises first..stop-1, codes made relative to the block."""
        lo, hi = np.searchsorted(self.codes, [first, stop], side="left")
        return IndicatorArrays(
            self.codes[lo:hi] - first, self.month[lo:hi], self.reported[lo:hi], self.values[lo:hi]
        )


def build_snapshot(
    indicators: pd.DataFrame,
    enterprise_ids: np.ndarray,
    as_of: pd.DatetimeIndex,
    *,
    window: int = 13,
) -> Snapshot:
    """Scatter every indicator revision into the (as-of, enterprise, lag) cells it covers.

    `indicators` is the store's typed frame (all revisions); rows of enterprises not in
    `enterprise_ids` are ignored. `as_of` must be sorted ascending.
    """
    arrays = IndicatorArrays.from_frame(indicators, np.asarray(enterprise_ids))
    return snapshot_from_arrays(arrays, np.asarray(enterprise_ids), as_of, window=window)


def snapshot_from_arrays(
    arrays: IndicatorArrays,
    enterprise_ids: np.ndarray,
    as_of: pd.DatetimeIndex,
    *,
    window: int,
) -> Snapshot:
    """`build_snapshot` on rows already coded and sorted by (enterprise, month, reported_at)."""
    n_k, n_e = len(as_of), len(enterprise_ids)
    grid_days = day_number(as_of.values)
    grid_months = month_number(as_of.values)
    e, m = arrays.codes, arrays.month
    k0 = first_known_index(grid_days, arrays.reported)

    # Revisions of the same (enterprise, month): each is valid until the next one is known.
    same_next = np.zeros(len(e), dtype=bool)
    same_next[:-1] = (e[1:] == e[:-1]) & (m[1:] == m[:-1])
    k1 = np.full(len(e), n_k, dtype=np.int64)
    k1[:-1] = np.where(same_next[:-1], k0[1:], n_k)

    # The as-of dates for which the month falls inside the window [as-of month - W + 1, as-of month].
    k_first_in_window = np.searchsorted(grid_months, m, side="left")
    k_after_window = np.searchsorted(grid_months, m + window, side="left")
    start = np.maximum(k0, k_first_in_window)
    stop = np.minimum(k1, k_after_window)
    span = np.clip(stop - start, 0, None)
    source = np.repeat(np.arange(len(e)), span)
    offsets = np.arange(len(source)) - np.repeat(np.cumsum(span) - span, span)
    k = start[source] + offsets
    lag = grid_months[k] - m[source]
    flat = (k * n_e + e[source]) * window + lag

    known = np.zeros(n_k * n_e * window, dtype=bool)
    known[flat] = True
    values: dict[str, np.ndarray] = {}
    for position, column in enumerate(INDICATOR_COLUMNS):
        cells = np.full(n_k * n_e * window, np.nan, dtype=np.float32)
        cells[flat] = arrays.values[source, position]
        values[column] = cells.reshape(n_k, n_e, window)

    # Latest month known at all (any age), for staleness and the scoring universe.
    first_revision = np.ones(len(e), dtype=bool)
    first_revision[1:] = ~same_next[:-1]
    known_rows = first_revision & (k0 < n_k)
    latest = np.full((n_k + 1, n_e), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest, (k0[known_rows], e[known_rows]), m[known_rows])
    latest = np.maximum.accumulate(latest[:n_k], axis=0)
    has_any = latest > np.iinfo(np.int64).min
    # A month reported before it ended counts as the as-of month itself (lag 0).
    lag_any = np.clip(grid_months[:, None] - np.where(has_any, latest, 0), 0, None)
    last_known_lag = np.where(has_any, lag_any, np.nan).astype(np.float64)

    return Snapshot(
        as_of=as_of,
        enterprise_ids=np.asarray(enterprise_ids),
        window=window,
        values=values,
        known=known.reshape(n_k, n_e, window),
        last_known_lag=last_known_lag,
    )
