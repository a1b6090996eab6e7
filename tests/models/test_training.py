"""Training on what was known: look-ahead free, deterministic, weighted, monotone where promised."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from explaining.contributions import unwrap
from features.build import build_features, known_at
from features.sets import feature_set
from models.backtest import (
    Fitted,
    TrainingFrame,
    build_training_frame,
    candidate_params,
    fit_at,
    predict_rows,
)
from models.baselines import fit_monotone_logistic
from models.train import (
    BOOSTER_BINNING_ROWS,
    LEARNERS,
    MONOTONE_INCREASING,
    ModelParams,
    booster_weight,
    fit_boosted,
    make_classifier,
    model_input,
)

from ..conftest import AS_OF, TINY_PARAMS

FINAL_ONLY = TINY_PARAMS.model_copy(update={"backtest_origins": 0})


def _final_scores(
    enterprises: pd.DataFrame, indicators: pd.DataFrame, incidents: pd.DataFrame, learner: str
) -> np.ndarray:
    frame = build_training_frame(enterprises, indicators, incidents, as_of=AS_OF, params=FINAL_ONLY)
    model = fit_at(frame, frame.as_of, learner).model
    ind, inc = known_at(indicators, incidents, AS_OF)
    return predict_rows(
        model, build_features(enterprises, ind, inc, [AS_OF]), candidate_params(FINAL_ONLY, learner)
    )


@pytest.mark.slow
def test_a_workspace_with_data_up_to_today_trains_the_model_known_at_d(tiny_frames) -> None:  # type: ignore[no-untyped-def]
    """Everything reported after D (new months, revisions, incidents) leaves the model at D unchanged."""
    enterprises, indicators, incidents = tiny_frames
    assert indicators["reported_at"].max() > AS_OF + pd.DateOffset(months=6)
    full = _final_scores(enterprises, indicators, incidents, "hgb")
    only_known = _final_scores(enterprises, *known_at(indicators, incidents, AS_OF), "hgb")
    np.testing.assert_array_equal(full, only_known)


@pytest.mark.slow
@pytest.mark.parametrize("learner", LEARNERS)
def test_same_data_and_seed_give_the_same_model(tiny_frames, learner: str) -> None:  # type: ignore[no-untyped-def]
    first = _final_scores(*tiny_frames, learner)
    second = _final_scores(*tiny_frames, learner)
    np.testing.assert_array_equal(first, second)
    assert first.min() > 0 and first.max() < 1 and first.std() > 0


@pytest.mark.parametrize("learner", LEARNERS)
def test_more_months_of_debt_never_lower_the_risk(
    tiny_fits: dict[str, Fitted], tiny_recent: pd.DataFrame, learner: str
) -> None:
    """Directional check: sweep each monotone feature with everything else fixed."""
    model = tiny_fits[learner].model
    sample = tiny_recent.sample(300, random_state=0)
    for feature in MONOTONE_INCREASING:
        previous = None
        for months in range(0, 13):
            probability = predict_rows(
                model, sample.assign(**{feature: float(months)}), candidate_params(TINY_PARAMS, learner)
            )
            if previous is not None:
                assert (probability >= previous - 1e-12).all(), (
                    f"{learner}: {feature} at {months} lowered risk"
                )
            previous = probability


def test_fits_and_calibrations_only_see_windows_closed_at_the_origin(tiny_frame: TrainingFrame) -> None:
    """At origin O: fit rows end at O − H − C, calibration rows follow, every label window closes by O."""
    origin = tiny_frame.origins(2)[0]
    fitted = fit_at(tiny_frame, origin, "hgb")
    h, c = TINY_PARAMS.horizon_months, TINY_PARAMS.calibration_months
    calibrate_from = (origin - pd.DateOffset(months=h + c)).normalize()
    as_of = tiny_frame.table["as_of"]
    y = tiny_frame.labels(origin)
    assert np.isnan(y[(as_of > (origin - pd.DateOffset(months=h)).normalize()).to_numpy()]).all()
    calibration = (
        (as_of > calibrate_from) & (as_of <= (origin - pd.DateOffset(months=h)).normalize())
    ).to_numpy()
    assert fitted.calibration_rows == int(np.isfinite(y[calibration]).sum()) > 0
    assert (
        0
        < fitted.fit_positives
        < fitted.fit_rows
        <= int(((as_of <= calibrate_from).to_numpy() & np.isfinite(y)).sum())
    )


def test_weights_undo_the_negative_sampling_inside_the_fit(
    tiny_frame: TrainingFrame, tiny_fits: dict[str, Fitted]
) -> None:
    """Negatives weigh 1/rate, positives 1, and the booster starts from the weighted base rate."""
    y = np.array([0.0, 1.0, 0.0])
    np.testing.assert_array_equal(
        tiny_frame.weights(y), [1 / TINY_PARAMS.negative_rate, 1.0, 1 / TINY_PARAMS.negative_rate]
    )
    booster = unwrap(tiny_fits["hgb"].model)[-1]
    fitted = tiny_fits["hgb"]
    negatives = fitted.fit_rows - fitted.fit_positives
    rate = fitted.fit_positives / (fitted.fit_positives + negatives / TINY_PARAMS.negative_rate)
    assert float(booster._baseline_prediction.ravel()[0]) == pytest.approx(
        np.log(rate / (1 - rate)), rel=1e-6
    )


def test_logistic_drops_a_monotone_column_fitted_with_the_wrong_sign() -> None:
    """Data where more arrears means less risk: the column is dropped, never given a negative weight."""
    rng = np.random.default_rng(0)
    n = 2000
    arrears = rng.integers(0, 4, n).astype(float)
    cut = rng.random(n)
    y = (rng.random(n) < 0.3 - 0.07 * arrears + 0.3 * cut).astype(int)
    columns = ("wage_arrears_months", "reduced_hours_share", "sector")
    X = pd.DataFrame(
        {"wage_arrears_months": arrears, "reduced_hours_share": cut, "sector": rng.choice(["13", "46"], n)}
    )
    unconstrained = LogisticRegression().fit(X[["wage_arrears_months", "reduced_hours_share"]], y)
    assert unconstrained.coef_[0][0] < 0  # the data really do point the wrong way
    params = ModelParams()
    model = fit_monotone_logistic(X, y, np.ones(n), columns, params)
    names = list(model[:-1].get_feature_names_out())
    assert "wage_arrears_months" not in names and "reduced_hours_share" in names
    p = model.predict_proba(X.assign(wage_arrears_months=0.0))[:, 1]
    np.testing.assert_array_equal(p, model.predict_proba(X.assign(wage_arrears_months=9.0))[:, 1])
    assert model[-1].coef_[0][names.index("reduced_hours_share")] > 0


def test_model_input_has_the_feature_set_columns_and_types(tiny_recent: pd.DataFrame) -> None:
    columns = feature_set(TINY_PARAMS.feature_set)
    X = model_input(tiny_recent.head(5), columns)
    assert list(X.columns) == list(columns)
    assert (
        X["sector"].map(lambda v: isinstance(v, str)).all() and X["wage_arrears_months"].dtype == np.float64
    )


def test_early_stopping_keeps_the_trees_that_do_best_on_the_later_slice() -> None:
    """An overfitting booster is cut where the later slice's log loss is lowest; the cut equals a full fit cut there."""
    rng = np.random.default_rng(0)

    def sample(n: int) -> tuple[pd.DataFrame, np.ndarray]:
        X = pd.DataFrame({
            "wage_arrears_months": rng.integers(0, 4, n).astype(float),
            "layoffs_share_1m": rng.random(n),
            "sector": rng.choice(["13", "46"], n),
        })  # fmt: skip
        return X, (rng.random(n) < 0.05 + 0.05 * X["wage_arrears_months"]).astype(int).to_numpy()

    (X, y), later = sample(3000), sample(2000)
    columns = tuple(X.columns)
    params = ModelParams(
        max_iter=80, learning_rate=0.3, min_samples_leaf=5, l2_regularization=0.0, early_stopping=True
    )
    full = make_classifier(columns, params).fit(X, y)
    Z = full[:-1].transform(later[0])
    losses = [log_loss(later[1], p[:, 1]) for p in full[-1].staged_predict_proba(Z)]
    best = int(np.argmin(losses)) + 1
    model = fit_boosted(X, y, np.ones(len(y)), columns, params, later=later)
    assert model[-1].n_iter_ == best < params.max_iter
    cut = list(full[-1].staged_decision_function(Z))[best - 1]
    np.testing.assert_allclose(model[-1].decision_function(Z), cut, rtol=1e-12)
    shorter = make_classifier(columns, params.model_copy(update={"max_iter": best})).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(later[0]), shorter.predict_proba(later[0]), rtol=1e-12)
    without = fit_boosted(
        X, y, np.ones(len(y)), columns, params.model_copy(update={"early_stopping": False}), later=later
    )
    assert without[-1].n_iter_ == params.max_iter


@pytest.mark.parametrize("early_stopping", [True, False])
def test_unit_weights_fit_the_trees_that_weighted_rows_fit(
    early_stopping: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unit weights reach the booster as none (the fast binning) and fit the same trees as
    the same rows given their weights; other weights, or more rows than are binned whole,
    reach it as they are."""
    import models.train

    rng = np.random.default_rng(1)

    def sample(n: int) -> tuple[pd.DataFrame, np.ndarray]:
        X = pd.DataFrame({
            "wage_arrears_months": rng.integers(0, 4, n).astype(float),
            "layoffs_share_1m": rng.random(n),  # thousands of values: binned by percentiles
            "hours_cut_share": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
            "sector": rng.choice(["13", "46"], n),
        })  # fmt: skip
        return X, (rng.random(n) < 0.05 + 0.05 * X["wage_arrears_months"]).astype(int).to_numpy()

    (X, y), later = sample(4000), sample(2000)
    columns = tuple(X.columns)
    params = ModelParams(max_iter=40, learning_rate=0.3, min_samples_leaf=5, early_stopping=early_stopping)
    ones = np.ones(len(y))
    fast = fit_boosted(X, y, ones, columns, params, later=later)
    with monkeypatch.context() as patch:  # the same fit with the weights given as they are
        patch.setattr(models.train, "booster_weight", lambda weight: weight)
        weighted = fit_boosted(X, y, ones, columns, params, later=later)
    np.testing.assert_array_equal(
        fast[-1]._bin_mapper.bin_thresholds_[1], weighted[-1]._bin_mapper.bin_thresholds_[1]
    )
    np.testing.assert_array_equal(fast.predict_proba(later[0]), weighted.predict_proba(later[0]))

    assert booster_weight(ones) is None
    halves = np.where(y == 1, 1.0, 2.0)
    assert booster_weight(halves) is halves
    many = np.ones(BOOSTER_BINNING_ROWS + 1)
    assert booster_weight(many) is many


def test_short_history_names_the_backtest_origins_that_fit(tiny_frames) -> None:  # type: ignore[no-untyped-def]
    """Too little history for the origins asked: one line saying how many do fit, and they do."""
    enterprises, indicators, incidents = tiny_frames
    early = pd.Timestamp("2021-06-20")
    with pytest.raises(ValueError, match=r"at most (\d+) backtest origins fit") as caught:
        build_training_frame(
            enterprises,
            indicators,
            incidents,
            as_of=early,
            params=TINY_PARAMS.model_copy(update={"backtest_origins": 24}),
        )
    fits = int(caught.value.args[0].split("--origins ")[1].rstrip(")"))
    assert 1 <= fits < 24
    frame = build_training_frame(
        enterprises,
        indicators,
        incidents,
        as_of=early,
        params=TINY_PARAMS.model_copy(update={"backtest_origins": fits}),
    )
    assert len(frame.origins(fits)) == fits
    fitted = build_training_frame(
        enterprises,
        indicators,
        incidents,
        as_of=early,
        params=TINY_PARAMS.model_copy(update={"backtest_origins": 24}),
        fit_origins=True,
    )
    assert fitted.params.backtest_origins == fits and fitted.full_from == frame.full_from
    with pytest.raises(ValueError, match="not enough history"):
        build_training_frame(
            enterprises,
            indicators,
            incidents,
            as_of=early,
            params=TINY_PARAMS.model_copy(update={"backtest_origins": fits + 1}),
        )


@pytest.mark.parametrize(
    ("change", "expected_months"),
    [
        # Too few positives in the calibration months: the slice widens a month at a time.
        ({"min_calibration_positives": 10_000}, TINY_PARAMS.max_calibration_months),
        # An older champion's recipe with more calibration months, replayed on this frame.
        ({"calibration_months": TINY_PARAMS.calibration_months + 6}, TINY_PARAMS.calibration_months + 6),
    ],
    ids=["lull", "older-recipe"],
)
def test_a_slice_reaching_into_sampled_months_weighs_their_negatives_back(
    tiny_frame: TrainingFrame, change: dict[str, int], expected_months: int
) -> None:
    """A calibration slice reaching before the frame's fully kept months (a widened lull, or
    a recipe with more calibration months replayed on the frame) weighs those months'
    sampled negatives 1/rate, so its sigmoid is not inflated by the missing negatives."""
    origin = tiny_frame.origins(2)[0]
    base = fit_at(tiny_frame, origin, "logistic")
    assert base.extra["calibration_months"] == TINY_PARAMS.calibration_months
    demanding = dataclasses.replace(tiny_frame, params=TINY_PARAMS.model_copy(update=change))
    wide = fit_at(demanding, origin, "logistic")
    months = wide.extra["calibration_months"]
    assert months == expected_months and wide.calibration_rows > base.calibration_rows
    assert wide.fit_rows < base.fit_rows

    h = TINY_PARAMS.horizon_months
    as_of = tiny_frame.table["as_of"]
    y = tiny_frame.labels(origin)
    rows = (
        (as_of > (origin - pd.DateOffset(months=h + months)).normalize())
        & (as_of <= (origin - pd.DateOffset(months=h)).normalize())
    ).to_numpy() & np.isfinite(y)
    assert wide.calibration_rows == int(rows.sum())
    sampled = (y == 0) & (as_of < tiny_frame.full_from).to_numpy()
    w = np.where(sampled, 1 / TINY_PARAMS.negative_rate, 1.0)[rows]
    p = predict_rows(wide.model, tiny_frame.table.loc[rows], candidate_params(TINY_PARAMS, "logistic"))
    # The sigmoid matches the slice's weighted base rate, which the sampled months would
    # otherwise inflate well above it.
    weighted_rate = np.average(y[rows], weights=w)
    assert y[rows].mean() > 1.5 * weighted_rate
    assert np.average(p, weights=w) == pytest.approx(weighted_rate, rel=0.25)
