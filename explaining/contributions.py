"""Why a firm ranks high: per-feature contributions to the model's score.

`contributions(model, X)` splits the raw score (log-odds, before calibration) of each row
into one value per input column, so that `contrib.sum(axis=1) + contrib.attrs["base_value"]`
equals the model's decision function:

- boosted trees (the pipeline of `models.train.make_classifier`): Saabas path attribution.
  Each internal node gets the expected value of the leaves below it (weighted by their
  training counts); walking a row from the root to its leaf, every step adds the change of
  expected value to the feature split on. Rows are routed by scikit-learn's own tree
  predictor (so missing values and categorical splits go exactly where the model sends
  them); only trees and depths are looped over, never rows.
- logistic regression (`models.baselines.make_logistic`): coefficient × transformed value
  (standardized number, missing indicator, one-hot), summed back per input column; relative
  to the training mean for numbers.

A calibrated model (`CalibratedClassifierCV(FrozenEstimator(pipeline))`, as
`models.backtest.fit_at` returns) is unwrapped first; its sigmoid calibration is monotone, so the
order of reasons is the same on the calibrated scale.

The blend (`models.blend`, a mean of calibrated members' probabilities) has no additive
log-odds; its contributions are first order, on the blend's log-odds: each member's
contributions times its calibration slope times d logit(blend) / d logit(member)
(= weight · p_m(1 − p_m) / (p(1 − p)), per row), summed over members. `base_value` is then
per row what they leave of logit(blend); for a one-member blend it is the member's
calibrated base, the same for every row.

The words for these numbers are the presentation room's (`present.phrasebook`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

from models.blend import blend_members, is_blend

# --- unwrapping ----------------------------------------------------------------------------


def unwrap(model: Any) -> Any:
    """The fitted estimator behind calibration and freezing wrappers."""
    if isinstance(model, CalibratedClassifierCV):
        if len(model.calibrated_classifiers_) != 1:
            raise ValueError("contributions need a single calibrated estimator (a frozen, prefit model)")
        model = model.calibrated_classifiers_[0].estimator
    if isinstance(model, FrozenEstimator):
        model = model.estimator
    return model


def raw_score(model: Any, X: pd.DataFrame) -> np.ndarray:
    """The uncalibrated log-odds the contributions add up to (a blend's: its log-odds)."""
    if is_blend(model):
        return _log_odds(np.asarray(model.predict_proba(X))[:, 1])
    return np.asarray(unwrap(model).decision_function(X), dtype=np.float64).ravel()


# --- from transformed columns back to input columns ----------------------------------------


def _step_sources(step: Any, sources: list[str]) -> list[str]:
    """Input column behind each output column of one fitted transformer."""
    if isinstance(step, Pipeline):
        for _, inner in step.steps:
            if inner not in (None, "passthrough"):
                sources = _step_sources(inner, sources)
        return sources
    if isinstance(step, OneHotEncoder):
        if step.drop_idx_ is not None or getattr(step, "_infrequent_enabled", False):
            raise ValueError("one-hot encoders with drop or infrequent categories are not supported")
        return [s for s, cats in zip(sources, step.categories_, strict=True) for _ in cats]
    if isinstance(step, SimpleImputer):
        kept = sources
        if not step.keep_empty_features:
            kept = [s for s, v in zip(sources, step.statistics_, strict=True) if not pd.isna(v)]
        indicator = step.indicator_
        return kept + ([sources[i] for i in indicator.features_] if indicator is not None else [])
    if isinstance(step, ColumnTransformer):
        return _column_sources(step)
    n_out = len(step.get_feature_names_out())
    if n_out != len(sources):
        raise ValueError(f"cannot map the outputs of {type(step).__name__} back to its inputs")
    return sources


def _column_sources(prep: ColumnTransformer) -> list[str]:
    names = list(prep.feature_names_in_)
    out: list[str] = []
    for _, transformer, columns in prep.transformers_:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        cols = [names[c] if isinstance(c, int | np.integer) else str(c) for c in np.atleast_1d(columns)]
        if np.asarray(columns).dtype == bool:
            cols = [n for n, keep in zip(names, columns, strict=True) if keep]
        if not cols:
            continue
        out += cols if isinstance(transformer, str) else _step_sources(transformer, cols)
    return out


def _per_input(values: np.ndarray, sources: list[str], columns: list[str]) -> np.ndarray:
    """Sum (n, n_out) values into (n, n_in) by each output's input column."""
    index = pd.Index(columns).get_indexer(pd.Index(sources))
    if (index < 0).any():
        raise ValueError(
            f"unknown input columns: {sorted({s for s, i in zip(sources, index, strict=True) if i < 0})}"
        )
    summed = np.zeros((values.shape[0], len(columns)))
    for j, i in enumerate(index):
        summed[:, i] += values[:, j]
    return summed


# --- boosted trees -------------------------------------------------------------------------


def _expected_values(nodes: np.ndarray) -> np.ndarray:
    """Leaf values, and for each internal node the count-weighted mean of its leaves."""
    value = nodes["value"].astype(np.float64).copy()
    count = nodes["count"].astype(np.float64).copy()
    leaf = nodes["is_leaf"].astype(bool)
    for depth in range(int(nodes["depth"].max()), -1, -1):
        at = np.flatnonzero(~leaf & (nodes["depth"] == depth))
        left, right = nodes["left"][at], nodes["right"][at]
        total = count[left] + count[right]
        mean = (value[left] + value[right]) / 2
        with np.errstate(invalid="ignore", divide="ignore"):
            weighted = (count[left] * value[left] + count[right] * value[right]) / total
        value[at] = np.where(total > 0, weighted, mean)
        count[at] = total
    return value


_TREES_PER_BLOCK = 50


def _path_contributions(nodes: np.ndarray, value: np.ndarray, n_features: int) -> np.ndarray:
    """(n_nodes, n_features): the change of expected value per feature on the path root → node."""
    path = np.zeros((len(nodes), n_features))
    leaf = nodes["is_leaf"].astype(bool)
    for depth in range(int(nodes["depth"].max())):
        at = np.flatnonzero(~leaf & (nodes["depth"] == depth))
        feature = nodes["feature_idx"][at].astype(np.int64)
        for side in ("left", "right"):
            child = nodes[side][at].astype(np.int64)
            path[child] = path[at]
            path[child, feature] += value[child] - value[at]
    return path


def _leaf_index(
    predictor: TreePredictor, Z: np.ndarray, known: np.ndarray, f_idx_map: np.ndarray
) -> np.ndarray:
    """Index of the leaf each row reaches, routed by scikit-learn's own predictor.

    A copy of the tree whose node values are the node indices predicts exactly the
    routing of the real tree (missing values, categorical bitsets, unknown categories).
    """
    nodes = predictor.nodes.copy()
    nodes["value"] = np.arange(len(nodes), dtype=np.float64)
    routed = TreePredictor(nodes, predictor.binned_left_cat_bitsets, predictor.raw_left_cat_bitsets)
    return routed.predict(Z, known, f_idx_map, _openmp_effective_n_threads()).astype(np.int64)


def _hgb_contributions(
    hgb: HistGradientBoostingClassifier, Xt: pd.DataFrame
) -> tuple[np.ndarray, list[str], float]:
    """(n, n_features) contributions in the booster's input columns, their names, the base value.

    Loops over trees only: each tree's per-node path contributions are a small matrix,
    picked by the leaf each row reaches (a sparse product per block of trees).
    """
    if hgb.n_trees_per_iteration_ != 1:
        raise ValueError("contributions are implemented for binary classifiers only")
    names = list(hgb.feature_names_in_) if hasattr(hgb, "feature_names_in_") else list(Xt.columns)
    Z = np.ascontiguousarray(hgb._preprocess_X(Xt, reset=False), dtype=np.float64)
    if hgb._preprocessor is not None:  # categorical columns first, as the booster sees them
        categorical = np.asarray(hgb.is_categorical_, dtype=bool)
        names = [n for n, c in zip(names, categorical, strict=True) if c] + [
            n for n, c in zip(names, categorical, strict=True) if not c
        ]
    known, f_idx_map = hgb._bin_mapper.make_known_categories_bitsets()
    out = np.zeros_like(Z)
    base = float(np.ravel(hgb._baseline_prediction)[0])
    trees = [predictor for (predictor,) in hgb._predictors]
    for first in range(0, len(trees), _TREES_PER_BLOCK):
        # One sparse product per block: rows × (leaf reached in each tree) @ path contributions.
        paths, leaves, offset = [], [], 0
        for predictor in trees[first : first + _TREES_PER_BLOCK]:
            value = _expected_values(predictor.nodes)
            base += value[0]
            paths.append(_path_contributions(predictor.nodes, value, Z.shape[1]))
            leaves.append(_leaf_index(predictor, Z, known, f_idx_map) + offset)
            offset += len(predictor.nodes)
        reached = np.column_stack(leaves).ravel()
        indicator = csr_matrix(
            (np.ones(len(reached)), reached, np.arange(0, len(reached) + 1, len(leaves))),
            shape=(Z.shape[0], offset),
        )
        out += indicator @ np.vstack(paths)
    return out, names, base


# --- public API ----------------------------------------------------------------------------


def contributions(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    """Per-row, per-input-column contributions to the raw log-odds; base value in `.attrs["base_value"]`.

    `model` is the boosted pipeline or the logistic pipeline, bare or calibrated, or a blend
    of calibrated ones; `X` its input frame (`models.train.model_input`). Columns dropped by
    the pipeline (or read by no member of a blend) contribute 0.
    """
    if is_blend(model):
        return _blend_contributions(model, X)
    pipeline = unwrap(model)
    if not isinstance(pipeline, Pipeline):
        raise TypeError(f"expected a fitted Pipeline, got {type(pipeline).__name__}")
    prep, final = pipeline[:-1], pipeline[-1]
    columns = [str(c) for c in X.columns]
    if isinstance(final, HistGradientBoostingClassifier):
        Xt = prep.transform(X) if len(prep) else X
        if not isinstance(Xt, pd.DataFrame):
            Xt = pd.DataFrame(Xt, columns=prep.get_feature_names_out())
        values, names, base = _hgb_contributions(final, Xt)
        source = (
            dict(zip(prep.get_feature_names_out(), _prep_sources(prep), strict=True)) if len(prep) else {}
        )
        sources = [source.get(name, name) for name in names]
    elif isinstance(final, LogisticRegression):
        if final.coef_.shape[0] != 1:
            raise ValueError("contributions are implemented for binary classifiers only")
        Z = np.asarray(prep.transform(X), dtype=np.float64)
        values, base = Z * final.coef_[0], float(final.intercept_[0])
        sources = _prep_sources(prep)
    else:
        raise TypeError(f"no contributions for {type(final).__name__}")
    out = pd.DataFrame(_per_input(values, sources, columns), index=X.index, columns=columns)
    out.attrs["base_value"] = base
    return out


def _calibration_line(model: Any) -> tuple[float, float]:
    """(slope, intercept) of a sigmoid-calibrated model's log-odds on its raw score; (1, 0) bare."""
    if not isinstance(model, CalibratedClassifierCV):
        return 1.0, 0.0
    calibrator = model.calibrated_classifiers_[0].calibrators[0]
    if not hasattr(calibrator, "a_"):
        raise ValueError("blend contributions need sigmoid-calibrated members")
    # scikit-learn's sigmoid calibration: p = expit(-(a · raw + b)).
    return -float(calibrator.a_), -float(calibrator.b_)


def _log_odds(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def _blend_contributions(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    """First-order contributions of a blend's members to its log-odds (module docstring)."""
    members = [
        (columns, member, weight, np.asarray(member.predict_proba(X.loc[:, list(columns)]))[:, 1])
        for _, columns, member, weight in blend_members(model)
    ]
    # The blend's probability is its members' weighted mean (soft voting): no second prediction.
    p = np.clip(sum(weight * p_m for _, _, weight, p_m in members), 1e-12, 1 - 1e-12)
    out = pd.DataFrame(0.0, index=X.index, columns=[str(c) for c in X.columns])
    for columns, member, weight, p_m in members:
        slope, _ = _calibration_line(member)
        scale = weight * p_m * (1 - p_m) / (p * (1 - p)) * slope
        out[list(columns)] += contributions(member, X.loc[:, list(columns)]).to_numpy() * scale[:, None]
    out.attrs["base_value"] = _log_odds(p) - out.sum(axis=1).to_numpy()
    return out


def _prep_sources(prep: Pipeline) -> list[str]:
    sources: list[str] = list(prep[0].feature_names_in_)
    for _, step in prep.steps:
        sources = (
            _column_sources(step) if isinstance(step, ColumnTransformer) else _step_sources(step, sources)
        )
    return sources
