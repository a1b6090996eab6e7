"""Model selection: the recipe's learner (chosen by the backtest unless the recipe names one),
the champion's place in the backtest, and the promotion rule."""

from __future__ import annotations

import pandas as pd
import pytest

from models.registry import ModelVersion
from models.selection import (
    CHAMPION_RECIPE,
    champion_column,
    choose_learner,
    decide,
    recipes_to_refit,
    replays_champion,
    same_recipe,
)
from models.train import ModelParams

AUTO = ModelParams(learner="auto")


def _comparison(**pr_auc: float) -> pd.DataFrame:
    rows = [(model, "pr_auc", value) for model, value in pr_auc.items()]
    rows += [(model, "recall_at_k", 1.0 - value) for model, value in pr_auc.items()]  # never read
    return pd.DataFrame(rows, columns=["model", "metric", "value"])


def test_auto_takes_the_learner_with_the_best_pooled_pr_auc() -> None:
    comparison = _comparison(hgb=0.03, logistic=0.05, reference_gbm=0.09, checklist=0.2)
    assert choose_learner(comparison, AUTO, ("hgb", "logistic", "reference_gbm")) == "logistic"
    assert choose_learner(_comparison(hgb=0.06, logistic=0.05), AUTO, ("hgb", "logistic")) == "hgb"
    blended = _comparison(hgb=0.03, logistic=0.05, reference_gbm=0.09, blend=0.06)
    assert choose_learner(blended, AUTO, ("hgb", "logistic", "reference_gbm", "blend")) == "blend"


def test_ties_and_single_candidates_are_deterministic() -> None:
    assert choose_learner(_comparison(hgb=0.05, logistic=0.05), AUTO, ("hgb", "logistic")) == "hgb"
    assert choose_learner(_comparison(hgb=0.01, logistic=0.05), AUTO, ("hgb",)) == "hgb"


def test_a_named_learner_is_kept_and_must_be_backtested() -> None:
    comparison = _comparison(hgb=0.03, logistic=0.05)
    assert choose_learner(comparison, ModelParams(learner="hgb"), ("hgb", "logistic")) == "hgb"
    with pytest.raises(ValueError, match="not among the backtested"):
        choose_learner(comparison, ModelParams(learner="logistic"), ("hgb",))
    with pytest.raises(ValueError, match="none of the learners"):
        choose_learner(comparison, AUTO, ("reference_gbm",))


def test_the_default_learner_is_the_blend_and_it_must_be_backtested() -> None:
    comparison = _comparison(hgb=0.09, logistic=0.05, reference_gbm=0.01, blend=0.02)
    assert choose_learner(comparison, ModelParams(), ("hgb", "logistic", "reference_gbm", "blend")) == "blend"
    with pytest.raises(ValueError, match="not among the backtested"):
        choose_learner(comparison, ModelParams(), ("hgb", "logistic", "reference_gbm"))


CANDIDATES = ("hgb", "logistic", "reference_gbm", "blend")
DIGEST = "d" * 64


def _champion(digest: str = DIGEST) -> ModelVersion:
    return ModelVersion("labor-ews", "1", "run", "a" * 64, {"data_digest": digest})


def test_a_champion_differing_only_by_its_learner_is_replayed_from_the_candidates() -> None:
    params = ModelParams(learner="auto")
    recipe = params.model_copy(update={"learner": "hgb"})
    assert replays_champion(recipe, params, CANDIDATES)
    assert recipes_to_refit(recipe, params, CANDIDATES) == {}
    assert champion_column(recipe, {}) == "hgb"


def test_a_champion_with_other_parameters_or_an_unbacktested_learner_is_refitted() -> None:
    params = ModelParams(learner="auto")
    other = params.model_copy(update={"learner": "hgb", "max_iter": params.max_iter + 1})
    assert not replays_champion(other, params, CANDIDATES)
    assert recipes_to_refit(other, params, CANDIDATES) == {CHAMPION_RECIPE: other}
    assert champion_column(other, {CHAMPION_RECIPE: other}) == CHAMPION_RECIPE
    logistic = params.model_copy(update={"learner": "logistic"})
    assert not replays_champion(logistic, params, ("hgb", "blend"))
    assert recipes_to_refit(logistic, params, ("hgb", "blend")) == {CHAMPION_RECIPE: logistic}


def test_without_a_champion_nothing_is_replayed_or_refitted() -> None:
    params = ModelParams()
    assert not replays_champion(None, params, CANDIDATES)
    assert recipes_to_refit(None, params, CANDIDATES) == {}
    assert not same_recipe(None, params, None, DIGEST)


def test_the_same_recipe_needs_the_same_parameters_and_the_same_data() -> None:
    params = ModelParams(learner="hgb")
    assert same_recipe(params.model_copy(), params, _champion(), DIGEST)
    assert not same_recipe(params, params, _champion(digest="e" * 64), DIGEST)  # new data
    assert not same_recipe(params.model_copy(update={"learner": "logistic"}), params, _champion(), DIGEST)
    assert not same_recipe(params, params, None, DIGEST)  # a recipe but no champion version


def test_promotion_rule() -> None:
    assert decide(None, has_champion=False, promote="auto") == (True, "no champion yet")
    assert decide(None, has_champion=True, promote="auto") == (
        False,
        "same recipe as the champion on the same data: no gain",
    )
    assert decide({"pr_auc_gain": 0.2, "pr_auc_gain_low": 0.01}, True, "never") == (
        False,
        "promotion disabled (--promote never)",
    )
    promoted, why = decide({"pr_auc_gain": 0.02, "pr_auc_gain_low": 0.001}, True, "auto")
    assert promoted and why == "backtest PR-AUC gain +0.0200 (90% interval from +0.0010)"
    promoted, why = decide({"pr_auc_gain": 0.02, "pr_auc_gain_low": 0.0}, True, "auto")
    assert not promoted and why.endswith(": within the uncertainty")
