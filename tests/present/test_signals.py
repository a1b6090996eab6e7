"""Acute or structural: every feature the reasons can name is classified, acute signs are said
first, an old dispute reads as history, and each firm's warning kind follows its stated reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from features.sets import FEATURE_SETS
from outputs.tables import WARNING_KINDS
from present.phrasebook import PHRASES, reasons, reasons_table, warning_reasons
from present.reasons import NOT_REASONS, explain_scores
from present.signals import (
    ACUTE_MIN_CONTRIBUTION,
    RECENT_DISPUTE_MONTHS,
    SIGNALS,
    acute_mask,
    kind_label,
    signal_kind,
)


def test_every_feature_the_phrasebook_knows_is_classified() -> None:
    """A feature given a phrase but no kind fails here: decide whether an officer can act on it."""
    unclassified = sorted(set(PHRASES) - set(SIGNALS))
    assert not unclassified, f"features without a kind in present.signals.SIGNALS: {unclassified}"
    # ... and nothing is classified that no reason can name (a stale entry after a rename).
    assert set(SIGNALS) <= set(PHRASES) | set(NOT_REASONS)
    for name, signal in SIGNALS.items():
        assert signal.kind in WARNING_KINDS, name
    named = {c for columns in FEATURE_SETS.values() for c in columns if c in PHRASES}
    assert named <= set(SIGNALS)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("wage_arrears_months", "acute"),
        ("insurance_debt_trend_3m", "acute"),
        ("debt_first_appearance", "acute"),
        ("layoffs_share_1m", "acute"),
        ("reduced_hours_share", "acute"),
        ("zone_stoppages_3m", "acute"),
        ("months_to_tet", "structural"),
        ("wage_to_minimum_wage", "structural"),
        ("log_headcount", "structural"),
        ("sector", "structural"),
        ("ownership", "structural"),
    ],
)
def test_the_issues_examples_fall_on_their_side(name: str, kind: str) -> None:
    assert signal_kind(name) == kind
    assert acute_mask(name, np.array([2.0])).tolist() == [kind == "acute"]


def test_some_features_are_acute_for_some_values_only() -> None:
    change = np.array([-0.2, 0.0, 0.3, np.nan])
    assert acute_mask("headcount_change_3m", change).tolist() == [True, False, False, False]
    ago = np.array([2.0, RECENT_DISPUTE_MONTHS, RECENT_DISPUTE_MONTHS + 0.1, 61.1, np.nan])
    assert acute_mask("months_since_last_incident", ago).tolist() == [True, True, False, False, False]
    assert acute_mask("no_such_feature", np.array([1.0, 2.0])).tolist() == [False, False]
    with pytest.raises(KeyError):
        signal_kind("no_such_feature")


@pytest.mark.parametrize(
    ("months", "vi", "en"),
    [
        (61.1, "đã có tranh chấp tập thể cách đây 5 năm", "a collective dispute 5 years ago (history)"),
        (30.0, "đã có tranh chấp tập thể cách đây 2 năm", "a collective dispute 2 years ago (history)"),
        (
            18.5,
            "đã có tranh chấp tập thể cách đây 18,5 tháng",
            "a collective dispute 18.5 months ago (history)",
        ),
        (3.0, "tranh chấp tập thể gần nhất cách đây 3 tháng", "last collective incident 3 months ago"),
    ],
)
def test_an_old_dispute_reads_as_history_and_long_ago_in_years(months: float, vi: str, en: str) -> None:
    said = reasons(pd.Series({"months_since_last_incident": 1.0}), {"months_since_last_incident": months})
    assert said == (vi, en)


def _frames(
    rows: list[dict[str, float]], values: list[dict[str, float]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(rows).fillna(0.0), pd.DataFrame(values)


VALUES = {
    "months_since_last_incident": 61.1,
    "months_to_tet": 2.4,
    "wage_to_minimum_wage": 1.5,
    "wage_arrears_months": 2.0,
    "layoffs_share_1m": 0.1,
}


def test_acute_signs_come_first_and_make_the_warning_acute() -> None:
    contrib, features = _frames(
        [
            # the issue's firm: base rates only
            {"months_since_last_incident": 1.0, "months_to_tet": 0.8, "wage_to_minimum_wage": 0.6},
            # the same, with arrears below the strongest three but above the threshold
            {
                "months_since_last_incident": 1.0,
                "months_to_tet": 0.8,
                "wage_to_minimum_wage": 0.6,
                "wage_arrears_months": ACUTE_MIN_CONTRIBUTION + 0.05,
            },
            # arrears too weak to be stated: still structural
            {
                "months_since_last_incident": 1.0,
                "months_to_tet": 0.8,
                "wage_to_minimum_wage": 0.6,
                "wage_arrears_months": ACUTE_MIN_CONTRIBUTION / 2,
            },
            # an acute sign among the strongest, but weak: said first all the same
            {"months_to_tet": 0.8, "wage_to_minimum_wage": 0.6, "layoffs_share_1m": 0.01},
        ],
        [VALUES] * 4,
    )
    table = warning_reasons(contrib, features)
    assert table["warning_kind"].tolist() == ["structural", "acute", "structural", "acute"]
    assert table["reasons"].iloc[0] == (
        "đã có tranh chấp tập thể cách đây 5 năm; sắp đến Tết (còn 2,4 tháng, áp lực thưởng Tết); "
        "lương bình quân chỉ bằng 1,50 lần lương tối thiểu vùng"
    )
    assert table["reasons_en"].iloc[1] == (
        "2 months of wage arrears; a collective dispute 5 years ago (history); Tết in 2.4 months (bonus pressure)"
    )
    assert not table["reasons"].iloc[2].startswith("2 tháng nợ lương")
    assert table["reasons_en"].iloc[3].startswith("10% of workers laid off in the latest month; Tết")
    # Without an acute sign the order is the strongest first, as reasons_table says it.
    plain = reasons_table(contrib, features)
    structural = table["warning_kind"] == "structural"
    assert (table.loc[structural, "reasons"] == plain.loc[structural, "reasons"]).all()
    assert (table.loc[~structural, "reasons"] != plain.loc[~structural, "reasons"]).all()


def test_nothing_stated_is_structural_and_rows_keep_their_index() -> None:
    contrib = pd.DataFrame({"wage_arrears_months": [-1.0, 0.5]}, index=[7, 3])
    features = pd.DataFrame({"wage_arrears_months": [2.0, 0.0]})  # no arrears: the phrase does not apply
    table = warning_reasons(contrib, features)
    assert list(table.index) == [7, 3] and table["reasons"].tolist() == ["", ""]
    assert table["warning_kind"].tolist() == ["structural", "structural"]


def test_on_many_rows_acute_warnings_open_with_an_acute_reason() -> None:
    rng = np.random.default_rng(1)
    n = 20_000
    columns = [c for c in FEATURE_SETS["ews-v1"] if c not in ("province", "sector", "ownership", "zone_type")]
    contrib = pd.DataFrame(rng.normal(scale=0.3, size=(n, len(columns))), columns=columns)
    features = pd.DataFrame(rng.integers(-1, 40, size=(n, len(columns))).astype(float), columns=columns)
    table = warning_reasons(contrib, features)
    plain = reasons_table(contrib, features)
    assert set(table["warning_kind"]) == set(WARNING_KINDS)
    # The same number of reasons as the plain table, in both languages.
    assert (table["reasons"].str.count("; ") == plain["reasons"].str.count("; ")).all()
    assert (table["reasons_en"].str.count("; ") == table["reasons"].str.count("; ")).all()
    # The first reason of an acute row is one an acute feature says, for the row's value.
    first = table["reasons"].str.split("; ").str[0]
    for i in rng.choice(n, 200, replace=False):
        said_by = [
            c
            for c in columns
            if PHRASES[c] is not None
            and PHRASES[c].applies(features[c].to_numpy()[[i]])[0]  # type: ignore[union-attr]
            and PHRASES[c].vi(features[c].iloc[i]) == first.iloc[i]  # type: ignore[union-attr]
        ]
        acute = [c for c in said_by if acute_mask(c, features[c].to_numpy()[[i]])[0]]
        if table["warning_kind"].iloc[i] == "acute":
            assert acute, (i, first.iloc[i])
        else:
            assert table["reasons"].iloc[i] == plain["reasons"].iloc[i]


def test_the_score_flows_reasons_carry_the_kind() -> None:
    """`explain_scores` on a fitted logistic pipeline: arrears push up, so firms in arrears are acute."""
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame(
        {
            "wage_arrears_months": rng.integers(0, 4, n).astype(float),
            "months_to_tet": rng.uniform(0, 12, n),
            "log_headcount": rng.uniform(3, 9, n),
        }
    )
    y = (X["wage_arrears_months"] + rng.normal(0, 0.5, n) > 2).astype(int)
    model = Pipeline(
        [
            ("prep", ColumnTransformer([("num", StandardScaler(), list(X.columns))])),
            ("clf", LogisticRegression()),
        ]
    ).fit(X, y)
    words = explain_scores(model, X)
    assert list(words.columns) == ["reasons", "reasons_en", "warning_kind"] and len(words) == n
    in_arrears = (X["wage_arrears_months"] >= 3).to_numpy()
    assert (words.loc[in_arrears, "warning_kind"] == "acute").all()
    assert words.loc[in_arrears, "reasons"].str.startswith("3 tháng nợ lương").all()
    assert (words.loc[X["wage_arrears_months"].to_numpy() == 0, "warning_kind"] == "structural").all()
    assert not words["reasons"].str.contains("quy mô").any()  # size is never a reason


def test_the_kinds_have_words_in_both_languages() -> None:
    assert kind_label("acute", "vi") == "Cấp tính" and kind_label("acute", "en") == "Acute"
    assert kind_label("structural", "vi") == "Cơ cấu" and kind_label("structural", "en") == "Structural"
    assert kind_label(None, "vi") == "" and kind_label(float("nan"), "en") == ""
