"""The reasons of a night's ranking: the three features that push the
enterprise's own score up the most (tree path contributions for the boosted model,
coefficients for the logistic one), said in Vietnamese and English. Size, age and other
fixed attributes are left out of the reasons: they explain a score but are nothing an
officer can act on.
"""

from __future__ import annotations

import pandas as pd

from explaining.contributions import contributions
from present.phrasebook import reasons_table

NOT_REASONS = ("headcount", "log_headcount", "age_years", "province", "sector", "ownership", "zone_type")


def explain_scores(model: object, X: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """`reasons` and `reasons_en` for each row of the model input `X`."""
    contrib = contributions(model, X)
    actionable = contrib.drop(columns=[c for c in NOT_REASONS if c in contrib.columns])
    return reasons_table(actionable.reset_index(drop=True), X.reset_index(drop=True), n)
