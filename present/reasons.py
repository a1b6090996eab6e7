"""The reasons of a night's ranking: the three features that push the
enterprise's own score up the most (tree path contributions for the boosted model,
coefficients for the logistic one), said in Vietnamese and English, acute signs first, with
the warning's kind ("acute" or "structural", `present.signals`). Size, age and other
fixed attributes are left out of the reasons: they explain a score but are nothing an
officer can act on.
"""

from __future__ import annotations

import pandas as pd

from explaining.contributions import contributions
from present.phrasebook import warning_reasons

NOT_REASONS = ("headcount", "log_headcount", "age_years", "province", "sector", "ownership", "zone_type")


def explain_scores(model: object, X: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """`reasons`, `reasons_en` and `warning_kind` for each row of the model input `X`
    (`present.phrasebook.warning_reasons`)."""
    contrib = contributions(model, X)
    actionable = contrib.drop(columns=[c for c in NOT_REASONS if c in contrib.columns])
    return warning_reasons(actionable.reset_index(drop=True), X.reset_index(drop=True), n)
