"""The training summary: logged metrics, step series, tags and the dict a training run returns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from judging.summary import (
    backtest_table,
    champion_gain,
    flat_metrics,
    step_metrics,
    training_result,
    training_tags,
)
from models.selection import CHAMPION_RECIPE
from models.train import ModelParams


def _comparison() -> pd.DataFrame:
    rows = [
        ("hgb", "pr_auc", 0.1, 0.05, 0.2),
        ("hgb", "recall_at_k", 0.3, 0.2, 0.4),
        ("checklist", "pr_auc", 0.02, 0.01, 0.03),
        ("checklist", "recall_at_k", np.nan, np.nan, np.nan),
    ]
    return pd.DataFrame(rows, columns=["model", "metric", "value", "low", "high"])


def test_flat_metrics_hold_every_value_its_interval_the_lead_and_the_gain() -> None:
    flat = flat_metrics(_comparison(), {"median_lead_months": 2.0}, {"pr_auc_gain": 0.01})
    assert flat["backtest_hgb_pr_auc"] == 0.1
    assert flat["backtest_hgb_pr_auc_low"] == 0.05 and flat["backtest_hgb_pr_auc_high"] == 0.2
    assert np.isnan(flat["backtest_checklist_recall_at_k"])
    assert flat["lead_median_lead_months"] == 2.0 and flat["vs_champion_pr_auc_gain"] == 0.01
    assert not any(key.startswith("vs_champion") for key in flat_metrics(_comparison(), {}, None))


def test_step_metrics_follow_the_origins_in_order() -> None:
    per_origin = backtest_table(
        {
            "2024-02-29": _comparison().assign(value=[0.2, 0.4, 0.0, 0.1]),
            "2024-01-31": _comparison(),
        }
    )
    assert list(per_origin.columns)[0] == "origin"
    steps = step_metrics(per_origin)
    assert steps["origin_hgb_pr_auc"] == [0.1, 0.2]
    assert set(steps) == {
        "origin_hgb_pr_auc",
        "origin_hgb_recall_at_k",
        "origin_checklist_pr_auc",
        "origin_checklist_recall_at_k",
    }


def test_tags_and_result() -> None:
    params = ModelParams(learner="hgb", backtest_origins=2)
    tags = training_tags(
        as_of="2024-12-25",
        data_digest="d",
        code_version="abc",
        feature_set="ews-v1",
        params=params,
        base_rate=0.001234567,
        learner="hgb",
        comparison=_comparison(),
    )
    assert tags["valid_pr_auc"] == "0.1000" and tags["valid_recall_at_k"] == "0.3000"
    assert tags["base_rate"] == "0.00123457" and tags["run_name"] == "train-2024-12-25"
    assert tags["backtest_origins"] == "2" and tags["target"].endswith(
        f"within {params.horizon_months} months"
    )
    result = training_result(
        model_name="labor-ews",
        version="1",
        run_id="r",
        as_of="2024-12-25",
        promoted=True,
        decision="no champion yet",
        comparison=_comparison(),
        learner="hgb",
        backtest_origins=2,
        flat_metrics=flat_metrics(_comparison(), {}, None),
    )
    assert result["backtest"]["hgb"] == {"pr_auc": 0.1, "recall_at_k": 0.3}
    assert result["backtest"]["checklist"] == {"pr_auc": 0.02, "recall_at_k": None}
    headline = result["metrics"]
    assert (headline["pr_auc"], headline["recall_at_k"], headline["checklist_pr_auc"]) == (0.1, 0.3, 0.02)
    assert np.isnan(headline["checklist_recall_at_k"])  # the logged metric as it is, NaN included


def test_the_gain_is_measured_against_the_champion_column_unless_it_is_the_same_recipe() -> None:
    rng = np.random.default_rng(0)
    n = 400
    y = (rng.random(n) < 0.1).astype(float)
    bt = pd.DataFrame(
        {
            "as_of": np.repeat(pd.to_datetime(["2024-01-31", "2024-02-29"]), n // 2),
            "y": y,
            "hgb": y * 0.5 + rng.random(n) * 0.5,
            "logistic": rng.random(n),
            CHAMPION_RECIPE: rng.random(n),
        }
    )
    recipe = ModelParams(learner="logistic")
    assert champion_gain(bt, "hgb", None, {}, same_recipe=False, seed=0) is None
    assert champion_gain(bt, "hgb", recipe, {}, same_recipe=True, seed=0) is None
    replayed = champion_gain(bt, "hgb", recipe, {}, same_recipe=False, seed=0)
    refitted = champion_gain(bt, "hgb", recipe, {CHAMPION_RECIPE: recipe}, same_recipe=False, seed=0)
    assert replayed is not None and refitted is not None
    assert replayed["pr_auc_gain"] > 0 and replayed != refitted
