"""The blend: the mean of several calibrated learners' probabilities (soft voting).

No single learner wins every world: on the backtests and forward runs of the simulated
worlds the boosted trees, the logistic model and a GBM on the latest raw figures each
came first somewhere, and the pooled PR-AUC of one backtest (a few dozen stoppages) cannot
tell them apart reliably. Averaging their calibrated probabilities hedges that choice; it
keeps a firm that any member sees as very risky near the top, and it stays a probability
because each member is calibrated on the later slice.

The blend is scikit-learn's own `VotingClassifier(voting="soft")` over members that are
already fitted and calibrated: each member is a `Pipeline` that selects its columns from
the blend's input (the union of the members' feature sets) and a `FrozenEstimator` of the
calibrated model, so fitting the voting classifier fits nothing but the column selection.
It stores with skops like any other model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import VotingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline


def make_blend(members: Sequence[tuple[str, tuple[str, ...], Any]], X: pd.DataFrame) -> VotingClassifier:
    """Soft-vote the fitted members `(name, columns, calibrated model)`.

    `X` is any input of the blend (at least every member's columns, as many rows as classes):
    fitting the voting classifier refits nothing, it only learns the members' classes.
    """
    if not members:
        raise ValueError("a blend needs at least one member")
    classes = members[0][2].classes_
    if any(not np.array_equal(model.classes_, classes) for _, _, model in members):
        raise ValueError("the members of a blend must have the same classes")
    estimators = []
    for name, columns, model in members:
        select = ColumnTransformer(
            [("columns", "passthrough", list(columns))], remainder="drop", verbose_feature_names_out=False
        ).set_output(transform="pandas")
        estimators.append((name, Pipeline([("columns", select), ("model", FrozenEstimator(model))])))
    return VotingClassifier(estimators, voting="soft").fit(X.head(len(classes)), classes)


def is_blend(model: Any) -> bool:
    """Whether `model` is a blend made by `make_blend`."""
    return isinstance(model, VotingClassifier)


def blend_members(model: VotingClassifier) -> list[tuple[str, tuple[str, ...], Any, float]]:
    """Each member as (name, its columns, its calibrated model, its weight; weights sum to 1)."""
    names = [name for name, _ in model.estimators]
    weights = np.ones(len(names)) if model.weights is None else np.asarray(model.weights, dtype=np.float64)
    weights = weights / weights.sum()
    out = []
    for name, fitted, weight in zip(names, model.estimators_, weights, strict=True):
        select, frozen = fitted[0], fitted[-1]
        columns = tuple(str(c) for c in select.transformers_[0][2])
        out.append((name, columns, frozen.estimator, float(weight)))
    return out
