"""The ranking of one night: rank, band and the columns every published row carries.

Bands come from the calibrated probability and the analysts' monthly capacity k:
`high` is at most the top k and only firms at least twice as risky as the average one.
The rule lives here, once; the page, the report and the exports only show its result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vocab.terms import BANDS, capacity_count


def bands_from_probability(
    prob: np.ndarray, n: int | None, capacity: float, *, base_rate: float | None = None
) -> np.ndarray:
    """Band of each enterprise from its calibrated probability and the monthly capacity.

    With k = `capacity_count(n, capacity)` (n defaults to len(prob)), r the rank by
    probability (1 = highest, ties by order) and b the base rate (default: the mean
    calibrated probability, i.e. the expected share of firms with a stoppage):

    - ``high``: r ≤ k and p ≥ 2b. What analysts can visit this month, but only firms at
      least twice as risky as the average one: a quiet month does not fill it with noise.
    - ``elevated``: not high, and (r ≤ 3k and p ≥ 2b) or p ≥ 5b. The next 2k, plus any firm
      at five times the base rate that did not fit in the capacity (it is never hidden).
    - ``watch``: not above, and r ≤ 10k or p ≥ 2b.
    - ``low``: the rest.
    """
    p = np.asarray(prob, dtype=np.float64)
    k = capacity_count(len(p) if n is None else int(n), capacity)
    b = float(np.mean(p)) if base_rate is None else float(base_rate)
    rank = np.empty(len(p), dtype=np.int64)
    rank[np.argsort(-p, kind="stable")] = np.arange(1, len(p) + 1)
    high = (rank <= k) & (p >= 2 * b)
    elevated = ~high & (((rank <= 3 * k) & (p >= 2 * b)) | (p >= 5 * b))
    watch = ~high & ~elevated & ((rank <= 10 * k) | (p >= 2 * b))
    return np.select([high, elevated, watch], list(BANDS[:3]), BANDS[3]).astype(object)


def rank_scores(
    features: pd.DataFrame,
    score: np.ndarray,
    *,
    capacity: float,
    reasons: pd.DataFrame,
    base_rate: float | None = None,
) -> pd.DataFrame:
    """The ranking of one as-of date: one row per enterprise, rank 1 = highest score.

    `reasons` aligns with `features` by position. Ties are broken by enterprise_id so that
    the same scores always give the same ranks.
    """
    out = features[["as_of", "enterprise_id"]].reset_index(drop=True)
    out["score"] = np.round(np.asarray(score, dtype=np.float64), 10)
    out["reasons"] = reasons["reasons"].to_numpy()
    out["reasons_en"] = reasons["reasons_en"].to_numpy()
    out = out.sort_values(["score", "enterprise_id"], ascending=[False, True], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out["band"] = bands_from_probability(out["score"].to_numpy(), len(out), capacity, base_rate=base_rate)
    return out.reset_index(drop=True)
