"""The recipe's learner: chosen by the backtest unless the recipe names one."""

from __future__ import annotations

import pandas as pd
import pytest

from flows.train import choose_learner
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
