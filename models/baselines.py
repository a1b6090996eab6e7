"""The baselines every model is compared with: a readable logistic model and the officers' rule.

- `make_logistic`: L2-regularized logistic regression on standardized numbers (median
  imputation plus a missing indicator per column) and one-hot categoricals. Built only from
  stock scikit-learn parts, so it stores with skops like the boosted model.
  `fit_monotone_logistic` fits it with the domain's monotone guarantee, so that it can be
  registered like the boosted model (`ModelParams.learner`).
- `ChecklistModel`: the labor officers' checklist (wage arrears ≥ 1 month or insurance debt
  ≥ 3 months), as a classifier that can be scored, ranked and reported like any model.

Class imbalance is handled by weights (the sample weights that undo negative sampling, or
`class_weight`), never by synthetic rows; every random choice takes `params.seed`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from features.sets import categorical_columns
from models.train import MONOTONE_INCREASING, ModelParams

# The officers' checklist: flag wage arrears or insurance debt above these thresholds.
CHECKLIST_WAGE_ARREARS_MONTHS = 1.0
CHECKLIST_INSURANCE_DEBT_MONTHS = 3.0


def checklist_score(table: pd.DataFrame) -> np.ndarray:
    """The rule baseline as a score: flagged firms first, then by months of debt."""
    wage = table["wage_arrears_months"].fillna(0).to_numpy()
    insurance = table["insurance_debt_months"].fillna(0).to_numpy()
    flagged = (wage >= CHECKLIST_WAGE_ARREARS_MONTHS) | (insurance >= CHECKLIST_INSURANCE_DEBT_MONTHS)
    return flagged * 100.0 + wage + insurance / 10.0


# Scale of the checklist's squashing: its score is ≥ 100 for flagged firms (see `predict_proba`).
_CHECKLIST_SCALE = 1000.0


def make_logistic(
    columns: tuple[str, ...],
    params: ModelParams,
    *,
    C: float = 0.1,
    class_weight: dict[int, float] | str | None = None,
    dropped: tuple[str, ...] = (),
) -> Pipeline:
    """A logistic-regression pipeline over the model input `columns` (see `models.train.model_input`).

    Numbers: median imputation with a missing indicator (columns empty in training are
    kept, imputed 0), then standardization. Categoricals: one-hot, unknown values ignored.
    `dropped` columns are left out inside the pipeline (its input stays `columns`).
    L2 penalty of strength 1/C. Pass sample weights at fit time as `model__sample_weight`
    (the training table's weights undo negative sampling) or set `class_weight`.
    """
    categorical = [c for c in categorical_columns(columns) if c not in dropped]
    numeric = [c for c in columns if c not in categorical and c not in dropped]
    numbers = Pipeline([
        ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
        ("scale", StandardScaler()),
    ])  # fmt: skip
    prep = ColumnTransformer(
        [
            ("numeric", numbers, numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
            ("dropped", "drop", list(dropped)),
        ],
        verbose_feature_names_out=False,
    )
    model = LogisticRegression(
        C=C, l1_ratio=0.0, class_weight=class_weight, max_iter=2000, random_state=params.seed
    )
    return Pipeline([("prep", prep), ("model", model)])


def fit_monotone_logistic(
    X: pd.DataFrame,
    y: np.ndarray,
    sample_weight: np.ndarray,
    columns: tuple[str, ...],
    params: ModelParams,
    *,
    monotone: tuple[str, ...] = MONOTONE_INCREASING,
) -> Pipeline:
    """Fit `make_logistic` so that risk never falls as a `monotone` column rises.

    The model is linear in each standardized number, so it is non-decreasing in a column
    exactly when that column's coefficient is ≥ 0. A column fitted with a negative
    coefficient is dropped and the model refitted (until no sign is wrong): the model is
    then flat in it, which the domain allows, and nothing is clipped after the fact.
    """
    dropped: tuple[str, ...] = ()
    while True:
        pipeline = make_logistic(columns, params, C=params.logistic_c, dropped=dropped)
        pipeline.fit(X, y, model__sample_weight=sample_weight)
        names = list(pipeline[:-1].get_feature_names_out())
        coef = pipeline[-1].coef_[0]
        wrong = tuple(c for c in monotone if c in names and coef[names.index(c)] < 0)
        if not wrong:
            return pipeline
        dropped = (*dropped, *wrong)


class ChecklistModel(ClassifierMixin, BaseEstimator):
    """The officers' checklist as a classifier: flag arrears ≥ 1 month or insurance debt ≥ 3 months.

    `fit` learns nothing (it stores `classes_` and the input columns). `predict_proba`
    ranks flagged firms first, then by months of debt (`judging.evaluate.checklist_score`),
    squashed monotonically into [0, 1): it is a ranking score, **not** a calibrated
    probability, so its Brier score and calibration are not meaningful.
    """

    def fit(self, X: pd.DataFrame, y: Any = None, sample_weight: Any = None) -> ChecklistModel:
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.asarray(list(X.columns), dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """The checklist score: 100 for a flagged firm, plus months of arrears and debt/10."""
        return checklist_score(X)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        score = self.decision_function(X)
        positive = score / (score + _CHECKLIST_SCALE)
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 for a flagged firm."""
        return (self.decision_function(X) >= 100.0).astype(int)
