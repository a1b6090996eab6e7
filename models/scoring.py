"""Turn probabilities into the ranking analysts read: rank, band and reasons in plain words.

Bands come from the calibrated probability and the analysts' monthly capacity k
(`models.report.bands_from_probability`): `high` is at most the top k and only firms at
least twice as risky as the average one. Reasons are the three features that push the
enterprise's own score up the most (tree path contributions for the boosted model,
coefficients for the logistic one), said in Vietnamese and English. Size, age and other
fixed attributes are left out of the reasons: they explain a score but are nothing an
officer can act on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.contributions import contributions, reasons_table
from models.report import bands_from_probability

BANDS = ("high", "elevated", "watch", "low")
BAND_LABELS_VI = {"high": "cao", "elevated": "đáng lo", "watch": "theo dõi", "low": "thấp"}
NOT_REASONS = ("headcount", "log_headcount", "age_years", "province", "sector", "ownership", "zone_type")


def explain_scores(model: object, X: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """`reasons` and `reasons_en` for each row of the model input `X`."""
    contrib = contributions(model, X)
    actionable = contrib.drop(columns=[c for c in NOT_REASONS if c in contrib.columns])
    return reasons_table(actionable.reset_index(drop=True), X.reset_index(drop=True), n)


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
