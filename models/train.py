"""Build the training table, split it by time, and fit the classifier.

Everything here is a plain function of data and typed parameters; logging and
registering happen in `models.registry`, orchestration in `flows`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from features.build import build_features, known_at, month_ends
from features.labels import add_labels, label_column, label_grid
from features.sets import categorical_columns, feature_set

# More months of arrears or insurance debt never lowers risk (checked by a test).
MONOTONE_INCREASING = ("wage_arrears_months", "insurance_debt_months", "debt_streak_months")


class ModelParams(BaseModel):
    """What a model is: hyper-parameters and the data choices that shape its training."""

    model_config = ConfigDict(frozen=True)

    feature_set: str = "ews-v1"
    horizon_months: int = Field(default=3, ge=1, le=12)
    history_months: int = Field(default=84, ge=12, description="As-of months used for training.")
    valid_months: int = Field(default=12, ge=3, description="Latest labelled months held out.")
    calibration_months: int = Field(
        default=6, ge=1, description="Months after the fit on which probabilities are calibrated."
    )
    backtest_origins: int = Field(default=12, ge=0, description="Monthly origins of the rolling backtest.")
    target_kinds: tuple[str, ...] = ("work_stoppage",)
    negative_rate: float = Field(
        default=0.08, gt=0, le=1, description="Share of negative rows kept; weights undo it."
    )
    learning_rate: float = Field(default=0.08, gt=0, le=1)
    max_iter: int = Field(default=200, ge=10)
    max_leaf_nodes: int = Field(default=15, ge=2)
    min_samples_leaf: int = Field(default=80, ge=1)
    l2_regularization: float = Field(default=1.0, ge=0)
    seed: int = 0


@dataclass(frozen=True)
class TrainingData:
    """The labelled table and the split of its rows, by as-of date."""

    table: pd.DataFrame
    target: str
    train_mask: np.ndarray
    valid_mask: np.ndarray
    train_weight: np.ndarray

    @property
    def train(self) -> pd.DataFrame:
        return self.table.loc[self.train_mask]

    @property
    def valid(self) -> pd.DataFrame:
        return self.table.loc[self.valid_mask]


def training_grid(indicators: pd.DataFrame, as_of: pd.Timestamp, params: ModelParams) -> pd.DatetimeIndex:
    """Month-end as-of dates whose target window (D, D + H] has closed by `as_of`."""
    last = (pd.Timestamp(as_of) - pd.DateOffset(months=params.horizon_months)).normalize()
    first_data = pd.Timestamp(indicators["month"].min())
    first = max(first_data + pd.DateOffset(months=3), last - pd.DateOffset(months=params.history_months))
    return month_ends(first, last)


def build_training_table(
    enterprises: pd.DataFrame,
    indicators: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    params: ModelParams,
) -> pd.DataFrame:
    """Features, labels and sample weights for every training month, from what was known at `as_of`.

    Rows of the held-out months are all kept. In the training months every positive is
    kept and negatives are sampled at `negative_rate` before features are computed, with
    weight 1/rate so that probabilities stay on the population's scale.
    """
    indicators, incidents = known_at(indicators, incidents, as_of)
    if indicators.empty:
        raise ValueError(f"no indicator rows were known on {pd.Timestamp(as_of).date()}")
    grid = training_grid(indicators, as_of, params)
    if len(grid) < params.valid_months + params.horizon_months + 3:
        raise ValueError(
            f"not enough history before {pd.Timestamp(as_of).date()}: {len(grid)} labelled months"
        )
    valid_from = grid[-params.valid_months]

    def wanted(grid: pd.DatetimeIndex, ids: np.ndarray) -> np.ndarray:
        positive = label_grid(incidents, grid, ids, horizon_months=params.horizon_months)
        sampled = np.random.default_rng(params.seed).random(positive.shape) < params.negative_rate
        held_out = np.asarray(grid >= valid_from)[:, None]
        return positive | sampled | held_out

    table = build_features(enterprises, indicators, incidents, grid, rows=wanted)
    table = add_labels(
        table, incidents, horizons=(params.horizon_months,), label_cutoff=pd.Timestamp(as_of)
    )
    target = label_column(params.horizon_months)
    sampled_negative = (table[target] == 0) & (table["as_of"] < valid_from)
    table["sample_weight"] = np.where(sampled_negative, 1.0 / params.negative_rate, 1.0)
    return table


def split_by_time(table: pd.DataFrame, params: ModelParams) -> TrainingData:
    """Hold out the latest `valid_months` as-of months; train on months ending H earlier.

    The gap of H months keeps training targets from reaching into the held-out period.
    """
    target = label_column(params.horizon_months)
    labelled = table.loc[table[target].notna()].reset_index(drop=True)
    months = np.sort(labelled["as_of"].unique())
    valid_from = months[-params.valid_months]
    train_until = pd.Timestamp(valid_from) - pd.DateOffset(months=params.horizon_months)
    valid_mask = np.array(labelled["as_of"] >= valid_from, dtype=bool)
    train_mask = np.array(labelled["as_of"] <= train_until, dtype=bool)
    positive = labelled[target].to_numpy() == 1
    if not (positive & train_mask).any() or not (positive & valid_mask).any():
        raise ValueError("the training or validation period holds no positive example")
    weight = labelled["sample_weight"].to_numpy()[train_mask]
    return TrainingData(labelled, target, train_mask, valid_mask, weight)


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


def model_input(table: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """The model's input frame: the set's columns, numbers as float64, text as str."""
    categorical = set(categorical_columns(columns))
    out = table.loc[:, list(columns)].copy()
    for column in columns:
        if column in categorical:
            out[column] = out[column].astype("str")
        else:
            out[column] = out[column].astype("float64")
    return out


def fit(data: TrainingData, params: ModelParams) -> CalibratedClassifierCV:
    """Fit on the training months, then calibrate probabilities on the held-out months."""
    columns = feature_set(params.feature_set)
    X = model_input(data.train, columns)
    unusable = tuple(c for c in columns if c not in categorical_columns(columns) and X[c].isna().all())
    classifier = make_classifier(columns, params, unusable=unusable)
    classifier.fit(
        X,
        data.train[data.target].to_numpy().astype(int),
        model__sample_weight=data.train_weight,
    )
    calibrated = CalibratedClassifierCV(FrozenEstimator(classifier), method="sigmoid", ensemble=False)
    calibrated.fit(model_input(data.valid, columns), data.valid[data.target].to_numpy().astype(int))
    return calibrated


def predict(model: object, table: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Calibrated probability of the target for each row of a feature table."""
    if table.empty:
        return np.zeros(0)
    return np.asarray(model.predict_proba(model_input(table, columns)))[:, 1]  # type: ignore[attr-defined]
