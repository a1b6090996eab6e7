"""Fits at national scale without national memory: one copy of a fit's rows, a capped logistic."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from features.sets import feature_set
from models.backtest import TrainingFrame, fit_at, predict_rows, thin_negatives
from models.train import model_input

COLUMNS = feature_set("ews-v1")


def test_a_mask_takes_the_same_rows_as_selecting_them_first(tiny_recent: pd.DataFrame) -> None:
    """`model_input(table, columns, rows)` is `model_input(table.loc[rows], columns)`, index and all."""
    rows = np.random.default_rng(3).random(len(tiny_recent)) < 0.3
    pd.testing.assert_frame_equal(
        model_input(tiny_recent, COLUMNS, rows), model_input(tiny_recent.loc[rows], COLUMNS), check_exact=True
    )


def test_negatives_are_thinned_to_the_cap_and_weighted_back() -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    y = (rng.random(n) < 0.01).astype(float)
    y[rng.random(n) < 0.05] = np.nan  # an open window: never a fit row
    rows = (rng.random(n) < 0.5) & np.isfinite(y)
    weights = np.where(y == 0, 12.5, 1.0)
    kept, kept_weights = thin_negatives(rows, y, weights, 10_000, seed=4)
    assert not (kept & ~rows).any(), "only fit rows are kept"
    assert (kept[rows & (y == 1)]).all(), "every positive is kept"
    assert abs(int(kept.sum()) - 10_000) < 300
    negatives = rows & (y == 0)
    # The kept negatives weigh, in all, what every negative weighed: the population's scale.
    total = weights[negatives].sum()
    assert abs(kept_weights[kept & (y == 0)].sum() - total) / total < 0.02
    np.testing.assert_array_equal(kept_weights[y == 1], 1.0)
    again = thin_negatives(rows, y, weights, 10_000, seed=4)
    np.testing.assert_array_equal(again[0], kept)
    np.testing.assert_array_equal(again[1], kept_weights)
    other = thin_negatives(rows, y, weights, 10_000, seed=5)[0]
    assert not np.array_equal(other, kept), "the seed picks the rows"


def test_rows_within_the_cap_are_left_alone() -> None:
    y = np.array([0.0, 1.0, 0.0, np.nan])
    rows = np.array([True, True, False, False])
    weights = np.array([12.5, 1.0, 12.5, 1.0])
    kept, kept_weights = thin_negatives(rows, y, weights, 2, seed=0)
    assert kept is rows and kept_weights is weights


def test_a_capped_logistic_fits_on_fewer_rows_and_ranks_alike(tiny_frame: TrainingFrame) -> None:
    """Over the cap, the logistic learner fits on about `logistic_max_rows` rows; its ranking
    stays close to the full fit's. Under it (every world but the national one), nothing changes."""
    full = fit_at(tiny_frame, tiny_frame.as_of, "logistic")
    cap = max(1_000, full.fit_rows // 4)
    capped_frame = replace(tiny_frame, params=tiny_frame.params.model_copy(update={"logistic_max_rows": cap}))
    capped = fit_at(capped_frame, tiny_frame.as_of, "logistic")
    assert full.fit_rows > cap, "the tiny world's fit must exceed the cap for this test to mean anything"
    assert capped.fit_rows < full.fit_rows * 0.4
    assert capped.fit_positives == full.fit_positives
    rows = tiny_frame.table.loc[(tiny_frame.table["as_of"] == tiny_frame.grid[-1]).to_numpy()]
    full_scores = predict_rows(full.model, rows, tiny_frame.params)
    capped_scores = predict_rows(capped.model, rows, capped_frame.params)
    assert not np.array_equal(full_scores, capped_scores)
    assert spearmanr(full_scores, capped_scores).statistic > 0.9
    roomy = replace(
        tiny_frame, params=tiny_frame.params.model_copy(update={"logistic_max_rows": full.fit_rows})
    )
    np.testing.assert_array_equal(
        predict_rows(fit_at(roomy, tiny_frame.as_of, "logistic").model, rows, roomy.params), full_scores
    )
