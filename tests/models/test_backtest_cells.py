"""The backtest as cells: one fit per (origin, member), assembled into exactly the serial table."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from models.backtest import (
    BLEND,
    BLEND_MEMBERS,
    BacktestCell,
    TrainingFrame,
    assemble_backtest,
    backtest_cell,
    backtest_cells,
    candidate_params,
    fit_at,
    predict_rows,
    run_backtest,
)
from models.train import ModelParams

from ..conftest import TINY_PARAMS

CANDIDATES = (*BLEND_MEMBERS, BLEND)


@pytest.fixture(scope="module")
def one_origin(tiny_frame: TrainingFrame) -> TrainingFrame:
    """The tiny frame backtested over its last origin only (a few fits)."""
    return replace(tiny_frame, params=TINY_PARAMS.model_copy(update={"backtest_origins": 1}))


@pytest.fixture(scope="module")
def champion() -> dict[str, ModelParams]:
    """An extra recipe beside the candidates, as a champion's refit is."""
    return {"champion": TINY_PARAMS.model_copy(update={"learner": "logistic", "logistic_c": 1.0})}


def test_the_cells_are_each_fit_once_origin_by_origin(tiny_frame: TrainingFrame) -> None:
    recipe = TINY_PARAMS.model_copy(update={"learner": "hgb", "max_iter": 30})
    cells = backtest_cells(tiny_frame, candidates=CANDIDATES, recipes={"champion": recipe})
    origins = list(tiny_frame.origins(TINY_PARAMS.backtest_origins))
    assert len(origins) == 2
    # The blend of its three members is their mean: no fit of its own.
    assert [(c.origin, c.name, c.recipe) for c in cells] == [
        (o, name, recipe if name == "champion" else None)
        for o in origins
        for name in (*BLEND_MEMBERS, "champion")
    ]
    # Without all its members among the candidates, the blend is fitted like any candidate.
    alone = backtest_cells(tiny_frame, candidates=("logistic", BLEND))
    assert [c.name for c in alone] == ["logistic", BLEND] * 2


def test_a_recipe_with_an_unknown_learner_is_refused_before_any_fit(tiny_frame: TrainingFrame) -> None:
    bad = TINY_PARAMS.model_copy(update={"learner": "auto"})
    with pytest.raises(ValueError, match="recipe 'champion': its learner must be one of"):
        backtest_cells(tiny_frame, candidates=("hgb",), recipes={"champion": bad})
    none = replace(tiny_frame, params=TINY_PARAMS.model_copy(update={"backtest_origins": 0}))
    with pytest.raises(ValueError, match="no backtest origin"):
        backtest_cells(none, candidates=("hgb",))


def test_the_serial_table_is_each_fit_on_its_origins_rows(
    one_origin: TrainingFrame, champion: dict[str, ModelParams]
) -> None:
    """Built by hand from `fit_at`: rows, order, `y`, every candidate, the blend's mean, the recipe."""
    bt = run_backtest(one_origin, candidates=CANDIDATES, recipes=champion)
    origin = one_origin.origins(1)[0]
    mask = (one_origin.table["as_of"] == origin).to_numpy()
    rows = one_origin.table.loc[mask]
    expected = rows.reset_index(drop=True).assign(y=one_origin.labels(one_origin.as_of)[mask])
    for name in BLEND_MEMBERS:
        model = fit_at(one_origin, origin, name).model
        expected[name] = predict_rows(model, rows, candidate_params(one_origin.params, name))
    expected[BLEND] = np.mean([expected[m].to_numpy() for m in BLEND_MEMBERS], axis=0)
    recipe = champion["champion"]
    refit = fit_at(replace(one_origin, params=recipe), origin, "logistic").model
    expected["champion"] = predict_rows(refit, rows, candidate_params(recipe, "logistic"))
    pd.testing.assert_frame_equal(bt, expected, check_exact=True)
    assert not np.array_equal(bt["champion"], bt["logistic"])  # the recipe's own parameters


def test_cells_computed_in_any_order_assemble_into_the_serial_table(
    tiny_frame: TrainingFrame, champion: dict[str, ModelParams]
) -> None:
    """No random state is shared between fits: reversed, each cell gives the same figures."""
    serial = run_backtest(tiny_frame, candidates=CANDIDATES, recipes=champion)
    cells = backtest_cells(tiny_frame, candidates=CANDIDATES, recipes=champion)
    assert len(cells) == 8
    results = {
        i: backtest_cell(tiny_frame, c.origin, c.name, c.recipe) for i, c in reversed(list(enumerate(cells)))
    }
    assembled = assemble_backtest(
        tiny_frame, cells, [results[i] for i in range(len(cells))], candidates=CANDIDATES
    )
    pd.testing.assert_frame_equal(assembled, serial, check_exact=True)
    assert list(serial.columns[-5:]) == [*BLEND_MEMBERS, BLEND, "champion"]
    assert serial["as_of"].tolist() == sorted(serial["as_of"].tolist())


def test_assembly_refuses_results_that_do_not_match_the_cells(one_origin: TrainingFrame) -> None:
    origin = one_origin.origins(1)[0]
    cells = [BacktestCell(origin, "hgb"), BacktestCell(origin, "logistic")]
    with pytest.raises(ValueError, match="2 backtest cells but 1 results"):
        assemble_backtest(one_origin, cells, [np.zeros(3)], candidates=("hgb", "logistic"))
