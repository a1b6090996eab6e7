"""The blend: the mean of its calibrated members, stored safely, explained in their words."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from explaining.contributions import _calibration_line, contributions, raw_score
from features.sets import feature_set
from models.backtest import (
    BLEND,
    BLEND_MEMBERS,
    Fitted,
    TrainingFrame,
    candidate_params,
    fit_at,
    predict_rows,
    run_backtest,
)
from models.blend import blend_members, is_blend, make_blend
from models.train import model_input
from present.reasons import explain_scores

from ..conftest import TINY_PARAMS


@pytest.fixture(scope="module")
def members(tiny_frame: TrainingFrame, tiny_fits: dict[str, Fitted]) -> dict[str, Fitted]:
    """Each member fitted on its own at the training date, as the blend fits them."""
    fitted = {name: tiny_fits[name] for name in BLEND_MEMBERS if name in tiny_fits}
    for name in BLEND_MEMBERS:
        fitted.setdefault(name, fit_at(tiny_frame, tiny_frame.as_of, name))
    return fitted


def test_the_blend_reads_the_union_of_its_members_sets() -> None:
    params = candidate_params(TINY_PARAMS, BLEND)
    assert params.feature_set == "ews-v1+simple-v1"
    columns = feature_set(params.feature_set)
    assert len(columns) == len(set(columns))
    for name in BLEND_MEMBERS:
        assert set(feature_set(candidate_params(TINY_PARAMS, name).feature_set)) <= set(columns)
    with pytest.raises(KeyError, match="unknown feature set 'nope'"):
        feature_set("ews-v1+nope")


def test_the_blend_is_the_mean_of_its_members_fitted_alone(
    tiny_fits: dict[str, Fitted], members: dict[str, Fitted], tiny_recent: pd.DataFrame
) -> None:
    blend = tiny_fits[BLEND]
    assert is_blend(blend.model) and blend.extra["members"] == list(BLEND_MEMBERS)
    p = predict_rows(blend.model, tiny_recent, candidate_params(TINY_PARAMS, BLEND))
    alone = [
        predict_rows(members[m].model, tiny_recent, candidate_params(TINY_PARAMS, m)) for m in BLEND_MEMBERS
    ]
    np.testing.assert_allclose(p, np.mean(alone, axis=0), rtol=1e-12, atol=0)
    assert [name for name, *_ in blend_members(blend.model)] == list(BLEND_MEMBERS)


@pytest.mark.slow
def test_the_backtests_blend_column_is_what_the_fitted_blend_predicts(tiny_frame: TrainingFrame) -> None:
    """The backtest averages its members' columns instead of refitting them: same numbers."""
    one = replace(tiny_frame, params=TINY_PARAMS.model_copy(update={"backtest_origins": 1}))
    bt = run_backtest(one, candidates=(*BLEND_MEMBERS, BLEND))
    origin = one.origins(1)[0]
    fitted = fit_at(one, origin, BLEND)
    rows = one.table.loc[one.table["as_of"] == origin]
    expected = predict_rows(fitted.model, rows, candidate_params(one.params, BLEND))
    np.testing.assert_allclose(bt[BLEND].to_numpy(), expected, rtol=1e-12, atol=0)


@pytest.mark.slow
def test_a_blend_champion_with_another_recipe_is_refitted_on_its_members_columns(
    tiny_frame: TrainingFrame,
) -> None:
    """A champion blend whose recipe differs by more than its learner is refitted beside the
    candidates; it must read the union of its members' sets (it used to fail on the columns
    that only the plain GBM reads)."""
    one = replace(tiny_frame, params=TINY_PARAMS.model_copy(update={"backtest_origins": 1}))
    recipe = one.params.model_copy(update={"learner": BLEND, "max_iter": 30})
    bt = run_backtest(one, candidates=("logistic",), recipes={"champion": recipe})
    origin = one.origins(1)[0]
    refit = fit_at(replace(one, params=recipe), origin, BLEND)
    rows = one.table.loc[one.table["as_of"] == origin]
    expected = predict_rows(refit.model, rows, candidate_params(recipe, BLEND))
    np.testing.assert_allclose(bt["champion"].to_numpy(), expected, rtol=1e-12, atol=0)


def test_the_blend_stores_with_skops_and_loads_the_same(
    tiny_fits: dict[str, Fitted], members: dict[str, Fitted], tiny_recent: pd.DataFrame
) -> None:
    model = tiny_fits[BLEND].model
    blob = sio.dumps(model)
    untrusted = sio.get_untrusted_types(data=blob)
    # Beyond what its members already need, the blend adds scikit-learn types only.
    theirs = {t for m in members.values() for t in sio.get_untrusted_types(data=sio.dumps(m.model))}
    assert all(t.startswith("sklearn.") for t in set(untrusted) - theirs), untrusted
    X = model_input(tiny_recent, feature_set(candidate_params(TINY_PARAMS, BLEND).feature_set))
    np.testing.assert_array_equal(sio.loads(blob, trusted=untrusted).predict_proba(X), model.predict_proba(X))


def test_a_one_member_blend_has_its_members_calibrated_contributions(
    members: dict[str, Fitted], tiny_recent: pd.DataFrame
) -> None:
    member = members["hgb"].model
    columns = feature_set(TINY_PARAMS.feature_set)
    X = model_input(tiny_recent.head(400), columns)
    single = make_blend([("hgb", columns, member)], X)
    np.testing.assert_allclose(single.predict_proba(X), member.predict_proba(X))
    got, alone = contributions(single, X), contributions(member, X)
    slope, intercept = _calibration_line(member)
    assert slope > 0
    np.testing.assert_allclose(got.to_numpy(), slope * alone.to_numpy(), rtol=1e-6, atol=1e-9)
    # The remainder is the member's calibrated base, the same for every row.
    np.testing.assert_allclose(
        got.attrs["base_value"], slope * alone.attrs["base_value"] + intercept, atol=1e-6
    )
    np.testing.assert_allclose(got.sum(axis=1) + got.attrs["base_value"], raw_score(single, X), atol=1e-9)


def test_blend_contributions_point_at_debt_and_give_reasons(
    tiny_fits: dict[str, Fitted], tiny_recent: pd.DataFrame
) -> None:
    model = tiny_fits[BLEND].model
    X = model_input(tiny_recent, feature_set(candidate_params(TINY_PARAMS, BLEND).feature_set))
    contrib = contributions(model, X)
    assert list(contrib.columns) == list(X.columns)
    debt = contrib.filter(regex="^(wage_arrears|insurance_debt|debt)_").sum(axis=1).to_numpy()
    arrears = X["wage_arrears_months"].fillna(0).to_numpy()
    assert debt[arrears >= 2].mean() > debt[arrears == 0].mean()
    words = explain_scores(model, X.loc[arrears >= 2].head(20))
    assert words["reasons"].str.contains("nợ lương").any()
    assert words["reasons_en"].str.contains("wage arrears").any()
