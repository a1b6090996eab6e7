"""The logistic baseline and the officers' checklist, fitted and scored like any model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import skops.io as sio

from features.sets import feature_set
from models.backtest import Fitted
from models.baselines import ChecklistModel, make_logistic
from models.train import model_input, predict

from ..conftest import TINY_PARAMS as PARAMS

COLUMNS = feature_set(PARAMS.feature_set)


def test_checklist_orders_flagged_firms_first_then_by_months_of_debt() -> None:
    X = pd.DataFrame({
        "wage_arrears_months": [0.0, 2.0, 0.0, 1.0, np.nan, 0.0],
        "insurance_debt_months": [2.0, 0.0, 3.0, 0.0, 5.0, 0.0],
    })  # fmt: skip
    model = ChecklistModel().fit(X)
    p = model.predict_proba(X)
    assert model.classes_.tolist() == [0, 1] and np.allclose(p.sum(axis=1), 1)
    assert ((p[:, 1] >= 0) & (p[:, 1] < 1)).all()
    # Flagged: arrears 2 > arrears 1 > insurance 5 > insurance 3; then insurance 2, then nothing.
    assert np.argsort(-p[:, 1], kind="stable").tolist() == [1, 3, 4, 2, 0, 5]
    assert model.predict(X).tolist() == [0, 1, 1, 1, 1, 0]


def test_checklist_scores_a_feature_table_like_any_model(tiny_recent: pd.DataFrame) -> None:
    model = ChecklistModel().fit(model_input(tiny_recent, COLUMNS), tiny_recent["target"])
    p = predict(model, tiny_recent, COLUMNS)
    flagged = (tiny_recent["wage_arrears_months"].fillna(0) >= 1) | (
        tiny_recent["insurance_debt_months"].fillna(0) >= 3
    )
    assert flagged.any() and (~flagged).any()
    assert p[flagged.to_numpy()].min() > p[~flagged.to_numpy()].max()


def test_logistic_learner_fits_with_weights_ranks_and_stores_with_skops(
    tiny_fits: dict[str, Fitted], tiny_recent: pd.DataFrame
) -> None:
    p = predict(tiny_fits["logistic"].model, tiny_recent, COLUMNS)
    assert p.shape == (len(tiny_recent),) and ((p > 0) & (p < 1)).all()
    y = tiny_recent["target"].to_numpy()
    assert p[y == 1].mean() > 2 * p[y == 0].mean()  # it ranks

    pipeline = make_logistic(COLUMNS, PARAMS, class_weight="balanced")
    train = tiny_recent.head(4000)
    X = model_input(train, COLUMNS).assign(age_years=np.nan)  # a column empty in training
    pipeline.fit(X, train["target"].astype(int))
    blob = sio.dumps(pipeline)
    untrusted = sio.get_untrusted_types(data=blob)
    assert all(t.startswith(("numpy.", "sklearn.")) for t in untrusted), untrusted
    loaded = sio.loads(blob, trusted=untrusted)
    valid = model_input(tiny_recent, COLUMNS)
    np.testing.assert_array_equal(loaded.predict_proba(valid), pipeline.predict_proba(valid))
