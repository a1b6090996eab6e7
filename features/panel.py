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

from vocab.months import day_number, month_number

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
    """Indicator revisions as flat arrays sorted by (month, enterprise, reported_at).

    Month-major order makes the revisions of any range of months a contiguous slice, and
    keeps the revisions of one (enterprise, month) adjacent and in reporting order.
    """

    codes: np.ndarray  # int32 enterprise position in the sorted enterprise list
    month: np.ndarray  # int32 month number
    reported: np.ndarray  # int32 day number of reported_at
    values: np.ndarray  # (len(INDICATOR_COLUMNS), rows) float32, as the snapshot stores them

    @classmethod
    def from_frame(cls, indicators: pd.DataFrame, enterprise_ids: np.ndarray) -> IndicatorArrays:
        """Code, sort and convert once; rows of unknown enterprises are dropped."""
        codes = pd.Index(enterprise_ids).get_indexer(indicators["enterprise_id"])
        keep = np.flatnonzero(codes >= 0)
        codes = codes[keep]
        month = month_number(indicators["month"].to_numpy())[keep]
        reported = day_number(indicators["reported_at"].to_numpy())[keep]
        order = _revision_order(codes, month, reported, len(enterprise_ids))
        keep = keep[order]
        codes, month, reported = codes[order], month[order], reported[order]
        del order
        values = np.empty((len(INDICATOR_COLUMNS), len(keep)), dtype=np.float32)
        for position, column in enumerate(INDICATOR_COLUMNS):
            values[position] = indicators[column].to_numpy(dtype=np.float64, na_value=np.nan)[keep]
        return cls(codes.astype(np.int32), month.astype(np.int32), _as_int32(reported), values)

    def months(self, first: int, last: int) -> IndicatorArrays:
        """The revisions of months first..last (month numbers, inclusive): a view."""
        lo, hi = np.searchsorted(self.month, [first, last + 1], side="left")
        return IndicatorArrays(
            self.codes[lo:hi], self.month[lo:hi], self.reported[lo:hi], self.values[:, lo:hi]
        )


def _as_int32(days: np.ndarray) -> np.ndarray:
    """Day numbers as int32, NaT (the smallest int64) as the smallest int32."""
    return np.maximum(days, np.iinfo(np.int32).min).astype(np.int32)


def _revision_order(codes: np.ndarray, month: np.ndarray, reported: np.ndarray, n_e: int) -> np.ndarray:
    """Stable order by (month, enterprise, reported): one int64 key when it fits, else lexsort."""
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    m0, r0 = month.min(), reported.min()
    n_m, n_r = int(month.max() - m0) + 1, int(reported.max() - r0) + 1
    if r0 == np.iinfo(np.int64).min or n_m * max(n_e, 1) * n_r >= 2**62:
        return np.lexsort((reported, codes, month))
    key = ((month - m0) * n_e + codes) * n_r + (reported - r0)
    return np.argsort(key, kind="stable")


def _same_next(arrays: IndicatorArrays) -> np.ndarray:
    """True where the next row is a later revision of the same (enterprise, month)."""
    e, m = arrays.codes, arrays.month
    same_next = np.zeros(len(e), dtype=bool)
    same_next[:-1] = (e[1:] == e[:-1]) & (m[1:] == m[:-1])
    return same_next


def last_known_lag(arrays: IndicatorArrays, n_e: int, as_of: pd.DatetimeIndex) -> np.ndarray:
    """Months from each as-of month back to the latest month known at all (any age), (K, E).

    float32 (small integers, exact); NaN where nothing is known yet. A month reported
    before it ended counts as the as-of month itself (lag 0).
    """
    n_k = len(as_of)
    grid_months = month_number(as_of.values)
    first_revision = np.ones(len(arrays.codes), dtype=bool)
    first_revision[1:] = ~_same_next(arrays)[:-1]
    k0 = first_known_index(day_number(as_of.values), arrays.reported)
    rows = np.flatnonzero(first_revision & (k0 < n_k))
    del first_revision
    floor = np.iinfo(np.int32).min
    latest = np.full((n_k + 1, n_e), floor, dtype=np.int32)
    np.maximum.at(latest, (k0[rows], arrays.codes[rows]), arrays.month[rows])
    del k0, rows
    latest = np.maximum.accumulate(latest[:n_k], axis=0)
    has_any = latest > floor
    lag = np.clip(grid_months[:, None] - np.where(has_any, latest, 0), 0, None)
    return np.where(has_any, lag, np.nan).astype(np.float32)


def snapshot_from_arrays(
    arrays: IndicatorArrays,
    enterprise_ids: np.ndarray,
    as_of: pd.DatetimeIndex,
    *,
    window: int,
    known_lag: np.ndarray | None = None,
) -> Snapshot:
    """Scatter every indicator revision into the (as-of, enterprise, lag) cells it covers.

    Rows are already coded and sorted (see `IndicatorArrays`); `as_of` is sorted ascending.

    `arrays` may be limited to the months of the window of `as_of` when `known_lag` (the
    `last_known_lag` of these as-of dates, which needs every month) is given.
    """
    n_k, n_e = len(as_of), len(enterprise_ids)
    grid_days = day_number(as_of.values)
    grid_months = month_number(as_of.values)
    m = arrays.month.astype(np.int64)
    k0 = first_known_index(grid_days, arrays.reported)

    # Revisions of the same (enterprise, month): each is valid until the next one is known.
    same_next = _same_next(arrays)
    k1 = np.full(len(m), n_k, dtype=np.int64)
    k1[:-1] = np.where(same_next[:-1], k0[1:], n_k)
    del same_next

    # The as-of dates for which the month falls inside the window [as-of month - W + 1, as-of month].
    start = np.maximum(k0, np.searchsorted(grid_months, m, side="left"))
    stop = np.minimum(k1, np.searchsorted(grid_months, m + window, side="left"))
    del k0, k1
    span = np.clip(stop - start, 0, None)
    del stop
    source = np.repeat(np.arange(len(m)), span)
    k = np.repeat(start - (np.cumsum(span) - span), span)
    del start, span
    k += np.arange(len(source))
    flat = (k * n_e + arrays.codes[source]) * window + (grid_months[k] - m[source])
    del k, m

    known = np.zeros(n_k * n_e * window, dtype=bool)
    known[flat] = True
    values: dict[str, np.ndarray] = {}
    for position, column in enumerate(INDICATOR_COLUMNS):
        cells = np.full(n_k * n_e * window, np.nan, dtype=np.float32)
        cells[flat] = arrays.values[position][source]
        values[column] = cells.reshape(n_k, n_e, window)
    del flat, source

    if known_lag is None:
        known_lag = last_known_lag(arrays, n_e, as_of)
    return Snapshot(
        as_of=as_of,
        enterprise_ids=np.asarray(enterprise_ids),
        window=window,
        values=values,
        known=known.reshape(n_k, n_e, window),
        last_known_lag=known_lag,
    )
