"""Why a firm ranks high: per-feature contributions to the model's score, and reasons in plain words.

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

`reasons` / `reasons_table` turn the strongest positive contributions into words,
Vietnamese and English, with the firm's own values ("3 tháng nợ lương" / "3 months of
wage arrears"). Every column of `features.sets.EWS_FEATURES_V1` has a phrase; a phrase
states when it applies (e.g. Tết within 3 months), and a feature without a phrase that
applies to the value (province, a zero count) is skipped in favour of the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


# --- reasons in plain words ----------------------------------------------------------------


def _n(value: float) -> str:
    """A count or a number of months: no decimals when whole, else one."""
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def _of(value: float, noun: str) -> str:
    """'1 month', '3 months', '1.5 months'."""
    text = _n(value)
    return f"{text} {noun}" if text == "1" else f"{text} {noun}s"


def _tet_vi(months: float) -> str:
    return "còn chưa đầy 1 tháng" if months < 1 else f"còn {_n(months)} tháng"


def _tet_en(months: float) -> str:
    return "is less than a month away" if months < 1 else f"in {_of(months, 'month')}"


#: A workforce share below this (it would read "0%") is not stated as a reason.
MIN_SHARE = 0.005


def _pct(value: float) -> str:
    return f"{100 * abs(value):.0f}%"


def _mvnd(value: float) -> str:
    return f"{value / 1e6:.1f}"


SECTOR_NAMES: dict[str, tuple[str, str]] = {
    "13": ("dệt", "textiles"),
    "14": ("may mặc", "garments"),
    "15": ("da giày", "leather and footwear"),
    "16": ("chế biến gỗ", "wood processing"),
    "26": ("điện tử", "electronics"),
    "27": ("thiết bị điện", "electrical equipment"),
    "31": ("đồ nội thất", "furniture"),
}
OWNERSHIP_NAMES: dict[str, tuple[str, str]] = {
    "fdi": ("doanh nghiệp FDI", "foreign-invested enterprise"),
    "state": ("doanh nghiệp nhà nước", "state-owned enterprise"),
    "private": ("doanh nghiệp tư nhân", "private enterprise"),
}
ZONE_NAMES: dict[str, tuple[str, str]] = {
    "industrial_zone": ("nằm trong khu công nghiệp (KCN)", "located in an industrial zone"),
    "industrial_cluster": ("nằm trong cụm công nghiệp (CCN)", "located in an industrial cluster"),
}


@dataclass(frozen=True)
class Phrase:
    """How to say one feature: where it applies (vectorized over values), and the words in Vietnamese and English."""

    applies: Callable[[np.ndarray], np.ndarray]
    vi: Callable[[Any], str]
    en: Callable[[Any], str]


def _num(
    applies: Callable[[np.ndarray], np.ndarray], vi: Callable[[float], str], en: Callable[[float], str]
) -> Phrase:
    def ok(values: np.ndarray) -> np.ndarray:
        v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            return np.isfinite(v) & np.asarray(applies(np.nan_to_num(v)), dtype=bool)

    return Phrase(ok, lambda v: vi(float(v)), lambda v: en(float(v)))


def _named(names: Mapping[str, tuple[str, str]], vi: str, en: str) -> Phrase:
    return Phrase(
        lambda v: np.isin(np.asarray(v).astype("str"), list(names)),
        lambda v: vi.format(names[str(v)][0]),
        lambda v: en.format(names[str(v)][1]),
    )


def _change(months: int) -> Phrase:
    return _num(
        lambda v: abs(v) >= 0.005,
        lambda v: f"{'giảm' if v < 0 else 'tăng'} {_pct(v)} lao động trong {months} tháng",
        lambda v: f"headcount {'down' if v < 0 else 'up'} {_pct(v)} in {months} months",
    )


PHRASES: dict[str, Phrase | None] = {
    "wage_arrears_months": _num(
        lambda v: v > 0, lambda v: f"{_n(v)} tháng nợ lương", lambda v: f"{_of(v, 'month')} of wage arrears"
    ),
    "wage_arrears_vnd_per_worker": _num(
        lambda v: v > 0,
        lambda v: f"nợ lương {_mvnd(v)} triệu đồng/người",
        lambda v: f"wage arrears of {_mvnd(v)} million VND per worker",
    ),
    "wage_arrears_to_minimum_wage": _num(
        lambda v: v > 0,
        lambda v: f"nợ lương bằng {v:.1f} tháng lương tối thiểu mỗi người",
        lambda v: f"wage arrears of {v:.1f} minimum monthly wages per worker",
    ),
    "insurance_debt_months": _num(
        lambda v: v > 0,
        lambda v: f"nợ BHXH {_n(v)} tháng",
        lambda v: f"{_of(v, 'month')} of social-insurance debt",
    ),
    "insurance_debt_vnd_per_worker": _num(
        lambda v: v > 0,
        lambda v: f"nợ BHXH {_mvnd(v)} triệu đồng/người",
        lambda v: f"social-insurance debt of {_mvnd(v)} million VND per worker",
    ),
    "insurance_debt_trend_3m": _num(
        lambda v: v > 0,
        lambda v: f"nợ BHXH tăng thêm {_n(v)} tháng trong 3 tháng",
        lambda v: f"social-insurance debt up {_of(v, 'month')} in 3 months",
    ),
    "debt_streak_months": _num(
        lambda v: v > 0,
        lambda v: f"nợ kéo dài {_n(v)} tháng liên tiếp",
        lambda v: f"{_of(v, 'consecutive month')} in debt",
    ),
    "debt_first_appearance": _num(
        lambda v: v >= 1, lambda v: "lần đầu phát sinh nợ", lambda v: "debt appearing for the first time"
    ),
    "insurance_debt_turning_to_wage_arrears": _num(
        lambda v: v >= 1,
        lambda v: "nợ BHXH chuyển thành nợ lương",
        lambda v: "insurance debt turning into wage arrears",
    ),
    "log_headcount": _num(
        lambda v: v > 0,
        lambda v: f"quy mô {np.expm1(v):,.0f} lao động".replace(",", "."),
        lambda v: f"a workforce of {np.expm1(v):,.0f}",
    ),
    "headcount_change_3m": _change(3),
    "headcount_change_6m": _change(6),
    "headcount_change_12m": _change(12),
    "layoffs_share_1m": _num(
        lambda v: v >= MIN_SHARE,
        lambda v: f"cắt giảm {_pct(v)} lao động trong tháng",
        lambda v: f"{_pct(v)} of workers laid off in the latest month",
    ),
    "layoffs_share_3m": _num(
        lambda v: v >= MIN_SHARE,
        lambda v: f"cắt giảm {_pct(v)} lao động trong 3 tháng",
        lambda v: f"{_pct(v)} of workers laid off in 3 months",
    ),
    "reduced_hours_share": _num(
        lambda v: v >= MIN_SHARE,
        lambda v: f"{_pct(v)} lao động bị giảm giờ làm hoặc tạm nghỉ",
        lambda v: f"{_pct(v)} of workers on reduced hours or suspended",
    ),
    "wage_to_minimum_wage": _num(
        lambda v: v > 0,
        lambda v: f"lương bình quân chỉ bằng {v:.2f} lần lương tối thiểu vùng",
        lambda v: f"average wage only {v:.2f}× the regional minimum",
    ),
    "months_to_tet": _num(
        lambda v: (v >= 0) & (v <= 3),
        lambda v: f"sắp đến Tết ({_tet_vi(v)}, áp lực thưởng Tết)",
        lambda v: f"Tết {_tet_en(v)} (bonus pressure)",
    ),
    "months_since_minimum_wage_rise": _num(
        lambda v: (v >= 0) & (v <= 6),
        lambda v: f"lương tối thiểu vùng vừa tăng {_n(v)} tháng trước",
        lambda v: f"the minimum wage rose {_of(v, 'month')} ago",
    ),
    "months_to_minimum_wage_rise": _num(
        lambda v: v >= 0,
        lambda v: f"lương tối thiểu vùng sẽ tăng sau {_n(v)} tháng",
        lambda v: f"a minimum-wage rise in {_of(v, 'month')}",
    ),
    "minimum_wage_region_change_12m": _num(
        lambda v: v > 0,
        lambda v: f"chuyển lên vùng lương tối thiểu cao hơn ({_n(v)} bậc)",
        lambda v: f"moved up {_of(v, 'minimum-wage region')}",
    ),
    "zone_stoppages_3m": _num(
        lambda v: v >= 0.5,
        lambda v: f"{_n(v)} vụ ngừng việc gần đây trong cùng KCN/CCN",
        lambda v: f"{_of(v, 'recent stoppage')} in the same zone",
    ),
    "zone_stoppages_decayed": _num(
        lambda v: v >= 0.05,
        lambda v: "làn sóng ngừng việc gần đây trong cùng KCN/CCN",
        lambda v: "a recent wave of stoppages in the same zone",
    ),
    "district_sector_stoppages_3m": _num(
        lambda v: v >= 0.5,
        lambda v: f"{_n(v)} vụ ngừng việc trong 3 tháng ở DN cùng ngành, cùng huyện",
        lambda v: f"{_of(v, 'stoppage')} in 3 months at firms of the same sector and district",
    ),
    "province_stoppages_1m": _num(
        lambda v: v >= 0.5,
        lambda v: f"{_n(v)} vụ ngừng việc trong tỉnh tháng qua",
        lambda v: f"{_of(v, 'stoppage')} in the province last month",
    ),
    "months_since_last_incident": _num(
        lambda v: v >= 0,
        lambda v: f"tranh chấp tập thể gần nhất cách đây {_n(v)} tháng",
        lambda v: f"last collective incident {_of(v, 'month')} ago",
    ),
    "incidents_12m": _num(
        lambda v: v >= 0.5,
        lambda v: f"{_n(v)} vụ tranh chấp tập thể trong 12 tháng",
        lambda v: f"{_of(v, 'collective incident')} in 12 months",
    ),
    "stoppages_12m": _num(
        lambda v: v >= 0.5,
        lambda v: f"{_n(v)} vụ ngừng việc tại DN trong 12 tháng",
        lambda v: f"{_of(v, 'work stoppage')} at the firm in 12 months",
    ),
    "months_since_last_report": _num(
        lambda v: v >= 2,
        lambda v: f"không báo cáo {_n(v)} tháng",
        lambda v: f"no report for {_of(v, 'month')}",
    ),
    "wage_arrears_reported": _num(
        lambda v: v == 0, lambda v: "không báo cáo nợ lương", lambda v: "wage arrears not reported"
    ),
    "insurance_debt_reported": _num(
        lambda v: v == 0, lambda v: "không báo cáo nợ BHXH", lambda v: "insurance debt not reported"
    ),
    "age_years": _num(
        lambda v: v >= 0,
        lambda v: f"thành lập {_n(v)} năm",
        lambda v: f"founded {_of(v, 'year')} ago",
    ),
    "wage_to_peers": _num(
        lambda v: (v > 0) & (v < 0.995),
        lambda v: f"lương thấp hơn {_pct(1 - v)} so với DN cùng ngành, cùng khu",
        lambda v: f"wages {_pct(1 - v)} below peers in the same zone and sector",
    ),
    "province": None,
    "sector": _named(SECTOR_NAMES, "ngành {}", "{} sector"),
    "ownership": _named(OWNERSHIP_NAMES, "{}", "{}"),
    "zone_type": _named(ZONE_NAMES, "{}", "{}"),
}


def reasons_table(contrib: pd.DataFrame, features: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """Columns `reasons` (Vietnamese) and `reasons_en`: the n strongest positive contributions in words.

    Rows align with `contrib` (and `features`, by position). Only features with a phrase that
    applies to the row's value count; strongest first, joined with "; "; "" when none.
    """
    if len(contrib) != len(features):
        raise ValueError("contrib and features must have the same rows")
    names = [c for c in contrib.columns if PHRASES.get(c) is not None and c in features.columns]
    values = contrib.loc[:, names].to_numpy(dtype=np.float64, copy=True)
    feature_values = {c: features[c].to_numpy() for c in names}
    for j, name in enumerate(names):  # masks: only candidates worth phrasing
        candidate = np.flatnonzero(values[:, j] > 0)
        phrase = PHRASES[name]
        assert phrase is not None
        values[candidate[~phrase.applies(feature_values[name][candidate])], j] = 0.0
    values[~(values > 0)] = -np.inf
    width = min(n, len(names))
    order = np.argsort(-values, axis=1, kind="stable")[:, :width]
    chosen = np.isfinite(np.take_along_axis(values, order, axis=1))
    vi = np.full(order.shape, "", dtype=object)
    en = np.full(order.shape, "", dtype=object)
    for j, name in enumerate(names):
        hit = chosen & (order == j)
        if not hit.any():
            continue
        phrase = PHRASES[name]
        assert phrase is not None
        picked = feature_values[name][np.nonzero(hit)[0]]
        vi[hit] = [phrase.vi(v) for v in picked]
        en[hit] = [phrase.en(v) for v in picked]
    return pd.DataFrame(
        {
            "reasons": ["; ".join(p for p in row if p) for row in vi],
            "reasons_en": ["; ".join(p for p in row if p) for row in en],
        },
        index=contrib.index,
    )


def reasons(
    contrib_row: pd.Series, feature_row: pd.Series | Mapping[str, Any], n: int = 3
) -> tuple[str, str]:
    """The n strongest warning signs of one row: (Vietnamese, English), joined with "; "."""
    features = pd.DataFrame([dict(feature_row)])
    table = reasons_table(contrib_row.to_frame().T.reset_index(drop=True), features, n)
    return str(table.iloc[0]["reasons"]), str(table.iloc[0]["reasons_en"])
