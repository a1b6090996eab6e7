"""The ranking of one night: rank, band and the columns every published row carries.

Bands come from the calibrated probability and the analysts' monthly capacity k:
`high` is at most the top k and only firms at least twice as risky as the average one.
The rule lives here, once; the page, the report and the exports only show its result.
"""

from __future__ import annotations

import hashlib

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
    if "warning_kind" in reasons.columns:  # `present.reasons.explain_scores`: acute or structural
        out["warning_kind"] = reasons["warning_kind"].to_numpy()
    out = out.sort_values(["score", "enterprise_id"], ascending=[False, True], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out["band"] = bands_from_probability(out["score"].to_numpy(), len(out), capacity, base_rate=base_rate)
    return out.reset_index(drop=True)


# The enterprise attributes every published row carries, from the store's enterprise table.
ENTERPRISE_COLUMNS = ("name", "province", "district", "zone_id", "sector", "ownership")
# An enterprise whose latest report is older than this many months is flagged stale. Reports
# are monthly and one month back is the normal lag (`judging.monitoring.freshness`); beyond
# three months several reports that were due are missing, so the debt figures the score
# reads are out of date.
STALE_AFTER_MONTHS = 3


def input_digest(features: pd.DataFrame) -> str:
    """SHA-256 of the feature rows scored: same inputs, same digest."""
    hashed = pd.util.hash_pandas_object(features, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def assemble_ranking(
    ranked: pd.DataFrame,
    features: pd.DataFrame,
    enterprises: pd.DataFrame,
    *,
    model_name: str,
    model_version: str,
    run_id: str,
) -> pd.DataFrame:
    """The rows a night publishes: `rank_scores`' ranking with the enterprise attributes
    (`ENTERPRISE_COLUMNS`), the model and run that scored it, the digest of the features
    scored, and each enterprise's staleness (`months_stale`, `stale` above `STALE_AFTER_MONTHS`).

    `ranked` is not modified. `run_id` is the scoring run's id (the caller's orchestrator).
    """
    ranking = ranked.copy()
    attributes = enterprises.set_index("enterprise_id").loc[
        ranking["enterprise_id"], list(ENTERPRISE_COLUMNS)
    ]
    for column in ENTERPRISE_COLUMNS:
        ranking[column] = attributes[column].to_numpy()
    ranking["model_name"] = model_name
    ranking["model_version"] = model_version
    ranking["run_id"] = run_id
    ranking["input_digest"] = input_digest(features)
    staleness = features.set_index("enterprise_id")["months_since_last_report"]
    ranking["months_stale"] = staleness.loc[ranking["enterprise_id"]].to_numpy()
    ranking["stale"] = ranking["months_stale"] > STALE_AFTER_MONTHS
    return ranking
