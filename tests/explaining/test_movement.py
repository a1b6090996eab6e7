"""Why a score moved: the change of log-odds split among the inputs that changed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explaining.movement import changed_cells, movement, top_changes
from features.sets import feature_set
from models.backtest import Fitted, TrainingFrame, candidate_params
from models.train import model_input

from ..conftest import TINY_PARAMS as PARAMS


def _two_months(frame: TrainingFrame, learner: str = "hgb") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The model inputs of the same firms at the last two month ends of the frame."""
    months = sorted(frame.table["as_of"].unique())[-2:]
    parts = [
        frame.table.loc[frame.table["as_of"] == m].drop_duplicates("enterprise_id").set_index("enterprise_id")
        for m in months
    ]
    firms = parts[0].index.intersection(parts[1].index).sort_values()
    columns = feature_set(candidate_params(PARAMS, learner).feature_set)
    before, now = (model_input(p.loc[firms].reset_index(), columns) for p in parts)
    before.index = now.index = pd.Index(firms, name="enterprise_id")
    return now, before


@pytest.mark.parametrize("learner", ["logistic", "hgb", "blend"])
def test_the_effects_and_the_residual_add_up_to_the_change_of_log_odds(
    tiny_fits: dict[str, Fitted], tiny_frame: TrainingFrame, learner: str
) -> None:
    if learner not in tiny_fits:
        pytest.skip(f"no {learner} among the learners")
    model = tiny_fits[learner].model
    now, before = _two_months(tiny_frame, learner)
    result = movement(model, now, before)

    p_now = np.asarray(model.predict_proba(now))[:, 1]
    np.testing.assert_allclose(result.p_now.to_numpy(), p_now, rtol=1e-9, atol=1e-12)
    total = result.effects.sum(axis=1) + result.residual
    np.testing.assert_allclose(total.to_numpy(), result.delta.to_numpy(), atol=1e-9)
    # A figure that stayed put never moves a score.
    unchanged = ~changed_cells(now, before)
    assert (result.effects.where(unchanged, 0.0) == 0.0).all().all()
    # A month passes for every firm: something changed and moved most scores.
    assert (result.delta.abs() > 1e-9).mean() > 0.5
    if learner == "logistic":
        # Additive in its inputs: the effects are the whole change.
        np.testing.assert_allclose(result.residual.to_numpy(), 0.0, atol=1e-8)
    else:
        # Trees interact, but the changes' own effects carry most of the movement.
        share = result.residual.abs().sum() / result.delta.abs().sum()
        assert share < 0.5, share


def test_one_changed_figure_carries_the_whole_change(
    tiny_fits: dict[str, Fitted], tiny_frame: TrainingFrame
) -> None:
    model = tiny_fits["hgb"].model
    now, _ = _two_months(tiny_frame)
    p = np.asarray(model.predict_proba(now))[:, 1]
    # The lowest-scored firm takes one figure of the highest-scored, the first that moves it.
    low, high = now.index[np.argmin(p)], now.index[np.argmax(p)]
    before = now.loc[[low]].copy()
    for column in now.columns:
        after = before.copy()
        after[column] = now.loc[[high], column].to_numpy()
        result = movement(model, after, before)
        if result.delta.loc[low] != 0.0:
            break
    else:
        pytest.fail("no single figure of the riskiest firm moves the safest one")
    firm = low
    assert top_changes(result, firm) == [(column, pytest.approx(result.delta.loc[firm]))]
    assert result.residual.loc[firm] == pytest.approx(0.0, abs=1e-12)
    # Nothing changed: no movement and no reason.
    still = movement(model, before, before.copy())
    assert still.delta.loc[firm] == 0.0 and top_changes(still, firm) == []


def test_movement_refuses_frames_of_different_firms(
    tiny_fits: dict[str, Fitted], tiny_frame: TrainingFrame
) -> None:
    now, before = _two_months(tiny_frame)
    with pytest.raises(ValueError, match="same firms"):
        movement(tiny_fits["hgb"].model, now, before.iloc[::-1])
