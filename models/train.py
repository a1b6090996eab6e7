"""What a model is and how its input is shaped: parameters, the boosted pipeline, the model input.

Training itself (the table, the time split, the fit and its calibration) is one path,
`models.backtest.build_training_frame` and `models.backtest.fit_at`, shared by the
rolling backtest and the final fit. Logging and registering happen in `models.registry`,
orchestration in `flows`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from features.build import month_ends
from features.sets import categorical_columns
from features.tables import check_feature_table
from vocab.terms import TARGET_KINDS

# More months of arrears or insurance debt never lowers risk (checked by a test).
MONOTONE_INCREASING = ("wage_arrears_months", "insurance_debt_months", "debt_streak_months")
# The learners a recipe may register; all keep the monotone guarantee above. The blend is
# the mean of the boosted trees, the logistic model and a GBM on the latest raw figures
# (`models.blend`, fitted in `models.backtest`).
LEARNERS: tuple[str, ...] = ("hgb", "logistic", "blend")
Learner = Literal["auto", "hgb", "logistic", "blend"]
# What training does with the enterprise-months an officer's action reached (`models.censoring`).
ACTION_POLICIES: tuple[str, ...] = ("naive", "censor", "censor_before", "censor_open")
ActionPolicy = Literal["naive", "censor", "censor_before", "censor_open"]


class ModelParams(BaseModel):
    """What a model is: hyper-parameters and the data choices that shape its training."""

    model_config = ConfigDict(frozen=True)

    feature_set: str = "ews-v1"
    horizon_months: int = Field(default=3, ge=1, le=12)
    history_months: int = Field(default=84, ge=12, description="As-of months used for training.")
    # Three months: the fit then ends at T − 6 months instead of T − 9. On the simulated
    # worlds' forward runs every learner ranked better with the fresher fit.
    calibration_months: int = Field(
        default=3, ge=1, description="Months after the fit on which probabilities are calibrated."
    )
    # Rare events can leave three months without a stoppage: the slice then reaches further
    # back, month by month, until it holds this many positive rows (or `max_calibration_months`).
    min_calibration_positives: int = Field(
        default=10, ge=1, description="Positive rows the calibration months must hold; fewer widen them."
    )
    max_calibration_months: int = Field(
        default=12, ge=1, description="How far back the calibration months may widen."
    )
    backtest_origins: int = Field(default=12, ge=0, description="Monthly origins of the rolling backtest.")
    target_kinds: tuple[str, ...] = TARGET_KINDS
    negative_rate: float = Field(
        default=0.08, gt=0, le=1, description="Share of negative rows kept; weights undo it."
    )
    # Sampling negatives bounds the cost of a large world's fits; a small world has none to
    # save, and its sample is what moved its ranking from one seed to another (reliability
    # matrix STB2) and ranked its true risk worse (10 tiny worlds, docs/benchmarks.md "Seed
    # stability"). A training frame raises its rate so that it keeps about this many
    # negative candidates at least: every one of them when it has fewer.
    min_negative_rows: int = Field(
        default=100_000,
        ge=0,
        description="Negative rows a training frame keeps at least (every one when it has fewer).",
    )
    # The boosted learner is kept small and stopped early: a few hundred positives cannot
    # support deep trees, and more trees past the later slice's best only fit noise (see the
    # model card). Chosen on the demo world's seed 1, never on the world that is reported.
    learning_rate: float = Field(default=0.05, gt=0, le=1)
    max_iter: int = Field(
        default=300, ge=10, description="Trees of the boosted learner (at most, with early stopping)."
    )
    early_stopping: bool = Field(
        default=True,
        description="Keep the number of trees with the lowest log loss on the calibration months (a later slice).",
    )
    max_leaf_nodes: int = Field(default=7, ge=2)
    min_samples_leaf: int = Field(default=400, ge=1)
    l2_regularization: float = Field(default=10.0, ge=0)
    # The blend by default: which single learner ranks best changed from world to world and
    # from backtest to forward run, and one backtest's PR-AUC could not tell (see the model card).
    learner: Learner = Field(
        default="blend",
        description="The learner registered; 'auto': the best of LEARNERS by pooled backtest PR-AUC.",
    )
    logistic_c: float = Field(default=0.1, gt=0, description="Inverse L2 strength of the logistic learner.")
    # The logistic learner's working copies (imputed, with missing indicators, scaled, then
    # stacked with the one-hot columns) are about 4.4 times its input: on the national world's
    # 8 M fit rows that alone was 10 GB. A linear model of some 100 coefficients needs far
    # fewer rows; beyond this many its negatives are sampled again (seeded) and weighted back
    # (`models.backtest.thin_negatives`). The demo and Hải Dương worlds fit well under it.
    logistic_max_rows: int = Field(
        default=2_000_000,
        ge=1_000,
        description="Fit rows of the logistic learner beyond which negatives are sampled.",
    )
    # Naive by default, by measurement: on simulated two-year loops of acting on the model's
    # own warnings (8 `tiny` worlds, 4 of the article-matched `demo` preset), naive
    # retraining lost little against a world nobody acted in and no censoring policy
    # recovered it (docs/benchmarks.md, "Acting on warnings: the two-year loop"). Without
    # any recorded action every policy trains the same model.
    action_policy: ActionPolicy = Field(
        default="naive",
        description="Rows an action reached: 'naive' keeps them; the censor policies drop some (models.censoring).",
    )
    seed: int = 0


def training_grid(first_month: pd.Timestamp, as_of: pd.Timestamp, params: ModelParams) -> pd.DatetimeIndex:
    """Month-end as-of dates whose target window (D, D + H] has closed by `as_of`, from the
    fourth month of data (`first_month`, the earliest known) on."""
    last = (pd.Timestamp(as_of) - pd.DateOffset(months=params.horizon_months)).normalize()
    first_data = pd.Timestamp(first_month)
    first = max(first_data + pd.DateOffset(months=3), last - pd.DateOffset(months=params.history_months))
    return month_ends(first, last)


def make_classifier(
    columns: tuple[str, ...], params: ModelParams, *, unusable: tuple[str, ...] = ()
) -> Pipeline:
    """Ordinal-encode the categorical columns and boost trees, monotone where the domain says.

    `unusable` columns (empty throughout training, e.g. a source that never reports wages)
    are dropped inside the pipeline, so the model's input stays the feature set.
    """
    categorical = list(categorical_columns(columns))
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
    )
    prep = ColumnTransformer(
        [("categorical", encoder, categorical), ("unusable", "drop", list(unusable))],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    monotone = {c: 1 for c in MONOTONE_INCREASING if c in columns and c not in unusable}
    booster = HistGradientBoostingClassifier(
        learning_rate=params.learning_rate,
        max_iter=params.max_iter,
        max_leaf_nodes=params.max_leaf_nodes,
        min_samples_leaf=params.min_samples_leaf,
        l2_regularization=params.l2_regularization,
        categorical_features=categorical,
        monotonic_cst=monotone,
        early_stopping=False,
        random_state=params.seed,
    )
    return Pipeline([("prep", prep), ("model", booster)])


#: Trees without improvement on the later slice before boosting stops.
EARLY_STOPPING_PATIENCE = 25
#: The rows scikit-learn's boosted trees bin whole; beyond them it bins a draw of this many,
#: drawn by weight when weights are given (`HistGradientBoostingClassifier`'s binning sample).
BOOSTER_BINNING_ROWS = 200_000


def booster_weight(sample_weight: np.ndarray | None) -> np.ndarray | None:
    """The weights to give the boosted trees: None for unit weights on rows binned whole.

    A world small enough to keep every negative has unit weights. scikit-learn 1.9 bins
    weighted rows one sorted pass per bin edge (255 per column: about half of a small
    fit), and unweighted rows in one percentile call whose thresholds are those of unit
    weights; gradients and the starting value multiplied by 1 are unchanged. So the fit is
    the same, at half the cost (tested: identical probabilities). Beyond the binning sample
    the rows are drawn differently with weights and without them, so weights are kept.
    """
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight)
    if len(weights) <= BOOSTER_BINNING_ROWS and bool(np.all(weights == 1.0)):
        return None
    return sample_weight


def fit_boosted(
    X: pd.DataFrame,
    y: np.ndarray,
    sample_weight: np.ndarray,
    columns: tuple[str, ...],
    params: ModelParams,
    *,
    unusable: tuple[str, ...] = (),
    later: tuple[pd.DataFrame, np.ndarray] | None = None,
    later_weight: np.ndarray | None = None,
) -> Pipeline:
    """Fit `make_classifier`; with `params.early_stopping` and a time-later slice `later`
    (input, targets; `later_weight` its sample weights), keep the number of trees whose log
    loss on that slice is lowest.

    Boosting adds trees that fit the few positives ever more closely; the later months say
    when that stops generalizing. The booster stops once the later slice's loss has not
    improved for `EARLY_STOPPING_PATIENCE` trees (scikit-learn's own early stopping, given
    that slice as its validation set), then the trees after the best one are dropped. Trees
    never depend on the ones after them, so the result equals a fit with that many trees,
    at a fraction of the cost of fitting all `max_iter` and refitting.
    """
    model = make_classifier(columns, params, unusable=unusable)
    weight = booster_weight(sample_weight)
    if not params.early_stopping or later is None:
        return model.fit(X, y, model__sample_weight=weight)
    X_later, y_later = later
    prep, booster = model[:-1], model[-1]
    Xt = prep.fit_transform(X, y)
    Zt = prep.transform(X_later)
    booster.set_params(early_stopping=True, scoring="loss", n_iter_no_change=EARLY_STOPPING_PATIENCE, tol=0.0)
    booster.fit(
        Xt,
        y,
        sample_weight=weight,
        X_val=Zt,
        y_val=np.asarray(y_later),
        sample_weight_val=later_weight,
    )
    # validation_score_[i] is minus the later slice's mean log loss after i trees.
    best = int(np.argmax(booster.validation_score_[1:])) + 1
    # HistGradientBoosting keeps its trees in `_predictors` (one list per iteration; `n_iter_`
    # is its length) and predicts with all of them: cutting the list is cutting the model.
    booster._predictors = booster._predictors[:best]
    booster.train_score_ = booster.train_score_[: best + 1]
    booster.validation_score_ = booster.validation_score_[: best + 1]
    return model


def model_input(
    table: pd.DataFrame, columns: tuple[str, ...], rows: np.ndarray | None = None
) -> pd.DataFrame:
    """The model's input frame: the set's columns, numbers as float64, text as str.

    `rows` (a boolean mask) takes those rows and columns in one copy, not the whole table's
    rows first: at national scale a fit's rows of every column are gigabytes. Without it the
    numbers already float64 share the table's memory (copy-on-write; nothing here writes).
    """
    categorical = set(categorical_columns(columns))
    out = table.loc[:, list(columns)] if rows is None else table.loc[rows, list(columns)]
    for column in columns:
        if column in categorical:
            out[column] = out[column].astype("str")
        else:
            out[column] = out[column].astype("float64")
    return out


def predict(model: object, table: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Calibrated probability of the target for each row of a feature table.

    The table is checked first (`features.tables.FEATURE_TABLE`): scoring is where a feature
    table built outside the training path reaches a model.
    """
    if table.empty:
        return np.zeros(0)
    check_feature_table(table)
    return np.asarray(model.predict_proba(model_input(table, columns)))[:, 1]  # type: ignore[attr-defined]
