"""Training on what was known: look-ahead free, deterministic, monotone where promised."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import build_features, known_at
from features.sets import feature_set
from models.train import (
    MONOTONE_INCREASING,
    ModelParams,
    build_training_table,
    fit,
    model_input,
    predict,
    split_by_time,
)

AS_OF = pd.Timestamp("2023-12-20")
PARAMS = ModelParams(max_iter=60, valid_months=9)


def _train_and_score(enterprises: pd.DataFrame, indicators: pd.DataFrame, incidents: pd.DataFrame) -> np.ndarray:
    table = build_training_table(enterprises, indicators, incidents, as_of=AS_OF, params=PARAMS)
    model = fit(split_by_time(table, PARAMS), PARAMS)
    ind, inc = known_at(indicators, incidents, AS_OF)
    features = build_features(enterprises, ind, inc, [AS_OF])
    return predict(model, features, feature_set(PARAMS.feature_set))


@pytest.mark.slow
def test_a_workspace_with_data_up_to_today_trains_the_model_known_at_d(tiny_frames) -> None:  # type: ignore[no-untyped-def]
    """Everything reported after D (new months, revisions, incidents) leaves the model at D unchanged."""
    enterprises, indicators, incidents = tiny_frames
    assert indicators["reported_at"].max() > AS_OF + pd.DateOffset(months=6)
    full = _train_and_score(enterprises, indicators, incidents)
    only_known = _train_and_score(enterprises, *known_at(indicators, incidents, AS_OF))
    np.testing.assert_array_equal(full, only_known)


@pytest.mark.slow
def test_same_data_and_seed_give_the_same_model(tiny_frames) -> None:  # type: ignore[no-untyped-def]
    enterprises, indicators, incidents = tiny_frames
    first = _train_and_score(enterprises, indicators, incidents)
    second = _train_and_score(enterprises, indicators, incidents)
    np.testing.assert_array_equal(first, second)
    assert first.min() > 0 and first.max() < 1


@pytest.mark.slow
def test_more_months_of_arrears_never_lower_the_risk(tiny_frames) -> None:  # type: ignore[no-untyped-def]
    """Directional check: sweep each monotone feature with everything else fixed."""
    enterprises, indicators, incidents = tiny_frames
    table = build_training_table(enterprises, indicators, incidents, as_of=AS_OF, params=PARAMS)
    model = fit(split_by_time(table, PARAMS), PARAMS)
    columns = feature_set(PARAMS.feature_set)
    sample = table.sample(200, random_state=0)
    for feature in MONOTONE_INCREASING:
        previous = None
        for months in range(0, 13):
            probability = predict(model, sample.assign(**{feature: float(months)}), columns)
            if previous is not None:
                assert (probability >= previous - 1e-12).all(), f"{feature} at {months} lowered risk"
            previous = probability


def test_split_by_time_never_mixes_periods(tiny_frames) -> None:  # type: ignore[no-untyped-def]
    enterprises, indicators, incidents = tiny_frames
    table = build_training_table(enterprises, indicators, incidents, as_of=AS_OF, params=PARAMS)
    data = split_by_time(table, PARAMS)
    last_train = data.train["as_of"].max()
    first_valid = data.valid["as_of"].min()
    assert last_train + pd.DateOffset(months=PARAMS.horizon_months) <= first_valid
    assert (data.table.loc[data.valid_mask | data.train_mask, "as_of"] + pd.DateOffset(months=3) <= AS_OF).all()
    assert model_input(data.train, feature_set(PARAMS.feature_set)).shape[1] == len(feature_set(PARAMS.feature_set))
