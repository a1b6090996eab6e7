"""The logistic baseline and the officers' checklist, fitted and scored like any model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from features.sets import feature_set
from models.baselines import ChecklistModel, fit_logistic, make_logistic
from models.train import ModelParams, build_training_table, model_input, predict, split_by_time

AS_OF = pd.Timestamp("2023-12-20")
PARAMS = ModelParams(max_iter=20, valid_months=9)
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


@pytest.fixture(scope="module")
def data(tiny_frames):  # type: ignore[no-untyped-def]
    enterprises, indicators, incidents = tiny_frames
    table = build_training_table(enterprises, indicators, incidents, as_of=AS_OF, params=PARAMS)
    return split_by_time(table, PARAMS)


def test_checklist_scores_a_feature_table_like_any_model(data) -> None:  # type: ignore[no-untyped-def]
    model = ChecklistModel().fit(model_input(data.train, COLUMNS), data.train[data.target])
    p = predict(model, data.valid, COLUMNS)
    flagged = (data.valid["wage_arrears_months"].fillna(0) >= 1) | (data.valid["insurance_debt_months"].fillna(0) >= 3)
    assert p[flagged.to_numpy()].min() > p[~flagged.to_numpy()].max()


def test_logistic_baseline_fits_with_weights_ranks_and_stores_with_skops(data) -> None:  # type: ignore[no-untyped-def]
    model = fit_logistic(data, PARAMS)
    p = predict(model, data.valid, COLUMNS)
    assert p.shape == (len(data.valid),) and ((p > 0) & (p < 1)).all()
    y = data.valid[data.target].to_numpy()
    assert p[y == 1].mean() > 2 * p[y == 0].mean()  # it ranks

    pipeline = make_logistic(COLUMNS, PARAMS, class_weight="balanced")
    train = data.train.head(4000)
    X = model_input(train, COLUMNS).assign(age_years=np.nan)  # a column empty in training
    pipeline.fit(X, train[data.target].astype(int))
    blob = sio.dumps(pipeline)
    untrusted = sio.get_untrusted_types(data=blob)
    assert all(t.startswith(("numpy.", "sklearn.")) for t in untrusted), untrusted
    loaded = sio.loads(blob, trusted=untrusted)
    valid = model_input(data.valid, COLUMNS)
    np.testing.assert_array_equal(loaded.predict_proba(valid), pipeline.predict_proba(valid))
