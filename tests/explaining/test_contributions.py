"""Contributions add up to the model's raw score; reasons say it in Vietnamese and English."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

from explaining.contributions import contributions, raw_score, unwrap
from features.sets import EWS_FEATURES_V1, feature_set
from models.backtest import Fitted
from models.train import make_classifier, model_input
from present.phrasebook import PHRASES, reasons, reasons_table

from ..conftest import TINY_PARAMS as PARAMS

COLUMNS = feature_set(PARAMS.feature_set)


def _assert_adds_up(model: object, X: pd.DataFrame) -> pd.DataFrame:
    contrib = contributions(model, X)
    assert list(contrib.columns) == list(X.columns) and contrib.index.equals(X.index)
    total = contrib.sum(axis=1).to_numpy() + contrib.attrs["base_value"]
    np.testing.assert_allclose(total, raw_score(model, X), atol=1e-6, rtol=0)
    return contrib


def test_tree_contributions_add_up_to_the_calibrated_models_raw_score(
    tiny_fits: dict[str, Fitted], tiny_recent: pd.DataFrame
) -> None:
    model = tiny_fits["hgb"].model
    X = model_input(tiny_recent, COLUMNS)
    contrib = _assert_adds_up(model, X)
    pipeline = unwrap(model)
    np.testing.assert_allclose(raw_score(model, X), pipeline.decision_function(X))
    # Debt features push firms with two months of arrears up, against firms without debt.
    debt = contrib.filter(regex="^(wage_arrears|insurance_debt|debt)_").sum(axis=1).to_numpy()
    arrears = X["wage_arrears_months"].fillna(0).to_numpy()
    assert debt[arrears >= 2].mean() > debt[arrears == 0].mean()


def test_tree_contributions_follow_categorical_missing_and_unknown_values() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    sector = rng.choice(["13", "14", "26", "46", "47"], n)
    arrears = np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 4, n).astype(float))
    y = (rng.random(n) < 0.05 + 0.3 * np.isin(sector, ["13", "14"]) + 0.1 * np.nan_to_num(arrears)).astype(
        int
    )
    columns = ("wage_arrears_months", "headcount_change_3m", "sector", "province")
    X = pd.DataFrame({
        "wage_arrears_months": arrears,
        "headcount_change_3m": np.full(n, np.nan),
        "sector": sector,
        "province": rng.choice(["A", "B"], n),
    })  # fmt: skip
    pipeline = make_classifier(columns, PARAMS, unusable=("headcount_change_3m",))
    pipeline.fit(X, y)
    nodes = np.concatenate([p.nodes for (p,) in pipeline[-1]._predictors])
    assert nodes["is_categorical"].any()
    new = X.head(50).assign(sector=["99", "nan"] * 25)  # unknown and missing categories
    for frame in (X, new):
        contrib = _assert_adds_up(CalibratedClassifierCV(FrozenEstimator(pipeline)).fit(X, y), frame)
        assert (contrib["headcount_change_3m"] == 0).all()  # dropped in the pipeline


def test_logistic_contributions_add_up_per_input_column(
    tiny_fits: dict[str, Fitted], tiny_recent: pd.DataFrame
) -> None:
    model = tiny_fits["logistic"].model
    X = model_input(tiny_recent, COLUMNS).head(500)
    contrib = _assert_adds_up(model, X)
    logistic = unwrap(model)[-1]
    assert contrib.attrs["base_value"] == pytest.approx(float(logistic.intercept_[0]))


def test_every_feature_of_the_set_has_a_phrase_entry() -> None:
    assert set(EWS_FEATURES_V1) <= set(PHRASES)
    assert PHRASES["province"] is None


def test_reasons_in_vietnamese_and_english_strongest_first() -> None:
    features = pd.Series({
        "wage_arrears_months": 3.0,
        "insurance_debt_months": 4.0,
        "headcount_change_3m": -0.2,
        "zone_stoppages_3m": 2.0,
        "months_to_tet": 8.0,
        "province": "Hải Dương",
    })  # fmt: skip
    contrib = pd.Series({
        "wage_arrears_months": 1.2,
        "insurance_debt_months": 0.4,
        "headcount_change_3m": 0.6,
        "zone_stoppages_3m": 0.3,
        "months_to_tet": 2.0,  # strong, but Tết is 8 months away: no phrase applies
        "province": 5.0,  # no phrase at all
    })  # fmt: skip
    vi, en = reasons(contrib, features)
    assert vi == "3 tháng nợ lương; giảm 20% lao động trong 3 tháng; nợ BHXH 4 tháng"
    assert en == "3 months of wage arrears; headcount down 20% in 3 months; 4 months of social-insurance debt"
    vi, en = reasons(contrib, {**features, "months_to_tet": 1.0}, n=2)
    assert vi == "sắp đến Tết (còn 1 tháng, áp lực thưởng Tết); 3 tháng nợ lương"
    assert en == "Tết in 1 month (bonus pressure); 3 months of wage arrears"
    vi, _ = reasons(-contrib.abs(), features)
    assert vi == ""  # nothing raises the risk: no reason


def test_reasons_for_each_phrase_render_in_both_languages() -> None:
    sample = {
        "sector": "14", "ownership": "fdi", "zone_type": "industrial_zone",
        "wage_arrears_reported": 0.0, "insurance_debt_reported": 0.0, "wage_to_peers": 0.8,
        "months_since_last_report": 3.0, "months_to_tet": 0.5, "log_headcount": np.log1p(1500),
    }  # fmt: skip
    for name, phrase in PHRASES.items():
        if phrase is None:
            continue
        value = sample.get(name, 2.0)
        vi, en = reasons(pd.Series({name: 1.0}), {name: value}, n=1)
        assert vi and en and vi != en, name
    assert reasons(pd.Series({"sector": 1.0}), {"sector": "14"}) == ("ngành may mặc", "garments sector")
    assert (
        reasons(pd.Series({"log_headcount": 1.0}), {"log_headcount": np.log1p(1500)})[0]
        == "quy mô 1.500 lao động"
    )


@pytest.mark.parametrize(
    ("name", "value", "vi", "en"),
    [
        (
            "wage_to_minimum_wage",
            1.95,
            "lương bình quân chỉ bằng 1,95 lần lương tối thiểu vùng",
            "average wage only 1.95× the regional minimum",
        ),
        ("wage_arrears_months", 1.5, "1,5 tháng nợ lương", "1.5 months of wage arrears"),
        (
            "wage_arrears_vnd_per_worker",
            1_250_000.0,
            "nợ lương 1,2 triệu đồng/người",
            "wage arrears of 1.2 million VND per worker",
        ),
        (
            "wage_arrears_to_minimum_wage",
            2.345,
            "nợ lương bằng 2,3 tháng lương tối thiểu mỗi người",
            "wage arrears of 2.3 minimum monthly wages per worker",
        ),
        (
            "months_to_tet",
            2.5,
            "sắp đến Tết (còn 2,5 tháng, áp lực thưởng Tết)",
            "Tết in 2.5 months (bonus pressure)",
        ),
        ("log_headcount", np.log1p(12_500), "quy mô 12.500 lao động", "a workforce of 12,500"),
        (
            "layoffs_share_3m",
            0.125,
            "cắt giảm 12% lao động trong 3 tháng",
            "12% of workers laid off in 3 months",
        ),
    ],
)
def test_vietnamese_reasons_write_numbers_the_vietnamese_way(
    name: str, value: float, vi: str, en: str
) -> None:
    """A decimal comma and a thousands dot in Vietnamese; the English reason is unchanged."""
    assert reasons(pd.Series({name: 1.0}), {name: value}, n=1) == (vi, en)


def test_a_negligible_workforce_share_is_not_a_reason() -> None:
    """0.3% of workers on reduced hours would read "0%": a phrase analysts could not act on."""
    contrib = pd.Series({"reduced_hours_share": 0.5, "layoffs_share_1m": 0.4, "wage_arrears_months": 0.1})
    vi, en = reasons(
        contrib, {"reduced_hours_share": 0.003, "layoffs_share_1m": 0.002, "wage_arrears_months": 1.0}
    )
    assert vi == "1 tháng nợ lương" and en == "1 month of wage arrears"
    vi, _ = reasons(
        contrib, {"reduced_hours_share": 0.05, "layoffs_share_1m": 0.0, "wage_arrears_months": 1.0}
    )
    assert vi == "5% lao động bị giảm giờ làm hoặc tạm nghỉ; 1 tháng nợ lương"


def test_reasons_table_on_50_000_rows_gives_at_most_three_reasons_each() -> None:
    rng = np.random.default_rng(0)
    n = 50_000
    columns = list(EWS_FEATURES_V1)
    contrib = pd.DataFrame(rng.normal(size=(n, len(columns))), columns=columns)
    features = pd.DataFrame(rng.integers(0, 5, size=(n, len(columns))).astype(float), columns=columns)
    for column in ("province", "sector", "ownership", "zone_type"):
        features[column] = rng.choice(["14", "fdi", "industrial_zone", "x"], n)
    table = reasons_table(contrib, features)  # its speed is measured in benchmarks/bench_score.py
    assert list(table.columns) == ["reasons", "reasons_en"] and len(table) == n
    assert (table["reasons"].str.count("; ") <= 2).all() and (table["reasons"] != "").mean() > 0.9
    # Both languages state the same reasons: as many, and empty together.
    assert (table["reasons"].str.count("; ") == table["reasons_en"].str.count("; ")).all()
    assert ((table["reasons"] == "") == (table["reasons_en"] == "")).all()
