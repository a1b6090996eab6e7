"""A night's scoring fanned out per province on Dask: the serial night's rows exactly."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import distributed
import numpy as np
import pandas as pd
import pytest

from data.settings import Settings
from data.store import Store
from features.build import WINDOW_MONTHS, known_at, province_units
from features.sets import feature_set
from flows import fanout
from models.backtest import Fitted, candidate_params

from ..conftest import AS_OF, TINY_PARAMS, same_rows

NIGHT = pd.Timestamp("2024-06-30")


def _night(store: Store) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The store's read of the night, as the score flow makes it."""
    enterprises = store.load_enterprises()
    indicators, incidents = known_at(
        store.load_indicators_at(NIGHT, WINDOW_MONTHS), store.load_incidents(), NIGHT
    )
    return enterprises, indicators, incidents


def assert_same(left: fanout.Scored, right: fanout.Scored) -> None:
    """The same rows and reasons; the same probabilities to the last bit but one (the logistic
    model's matrix product sums in another order over fewer rows), so the same published
    scores, which are rounded to 10 decimals."""
    pd.testing.assert_frame_equal(left.features, right.features, check_exact=True)
    np.testing.assert_allclose(left.probability, right.probability, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(np.round(left.probability, 10), np.round(right.probability, 10))
    pd.testing.assert_frame_equal(left.reasons, right.reasons)


@pytest.mark.parametrize("learner", ["hgb", "logistic", "blend"])
def test_each_province_scored_alone_gives_the_nights_rows(
    tiny_store: Store, tiny_fits: dict[str, Fitted], learner: str
) -> None:
    """Peers, zones, areas and contagion lie within a province: its features, scores and
    reasons read nothing of another's, whatever the learner."""
    enterprises, indicators, incidents = _night(tiny_store)
    provinces = province_units(enterprises)
    assert sorted(set(provinces)) == ["Bình Dương", "Hải Dương"]
    model, columns = tiny_fits[learner].model, feature_set(candidate_params(TINY_PARAMS, learner).feature_set)
    whole = fanout.score_enterprises(model, columns, enterprises, indicators, incidents, NIGHT)
    parts = [
        fanout.score_enterprises(
            model,
            columns,
            enterprises,
            indicators,
            incidents,
            NIGHT,
            only=enterprises["enterprise_id"].to_numpy()[provinces == name],
        )
        for name in ("Hải Dương", "Bình Dương")  # gathered back into the night's order
    ]
    assert all(len(p.features) > 100 for p in parts) and len(whole.features) > 1000
    assert_same(fanout.gather(parts), whole)


@pytest.mark.slow
def test_the_score_flow_fans_out_per_province_on_the_cluster_and_publishes_the_serial_night(
    cluster: distributed.LocalCluster, tiny_store: Store, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`EWS_DASK_ADDRESS`: one `score-province` task run per province, recorded in the night's
    run; the published ranking, reasons and bands are the serial run's, row for row."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        TaskRunFilter,
        TaskRunFilterName,
    )

    from flows.score import score_flow
    from flows.train import train_flow
    from models.train import ModelParams
    from outputs import rankings

    monkeypatch.delenv("EWS_DASK_ADDRESS", raising=False)
    monkeypatch.delenv("EWS_DASK_WORKERS", raising=False)
    shutil.copytree(tiny_store.root, Settings().store_dir)
    train_flow(
        as_of=dt.date.fromisoformat(str(AS_OF.date())),
        promote="auto",
        params=ModelParams(backtest_origins=1, learner="hgb", max_iter=30),
        candidates=("hgb",),
    )
    night = NIGHT.date()
    serial = score_flow(as_of=night)
    reference = rankings.read_ranking(Settings().db_path, str(night))
    monkeypatch.setenv("EWS_DASK_ADDRESS", cluster.scheduler_address)
    state = score_flow(as_of=night, return_state=True)
    fanned = state.result()
    assert fanned["rows"] == serial["rows"] and fanned["input_digest"] == serial["input_digest"]
    same_rows(rankings.read_ranking(Settings().db_path, str(night)), reference, ignore=["run_id"])
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id])),
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="score-province")),
        )
    assert sorted(r.name for r in runs) == [
        "score-province[province=Bình Dương]",
        "score-province[province=Hải Dương]",
    ]


def test_a_night_of_one_province_is_not_fanned_out(tiny_store: Store, tiny_fits: dict[str, Fitted]) -> None:
    """Nothing to split: no cluster is reached (this address has none), the flow scores in process."""
    from prefect_dask import DaskTaskRunner

    enterprises, indicators, incidents = _night(tiny_store)
    one = enterprises.loc[province_units(enterprises) == "Hải Dương"]
    columns = feature_set(candidate_params(TINY_PARAMS, "hgb").feature_set)
    runner = DaskTaskRunner(address="tcp://127.0.0.1:9")
    assert (
        fanout.score_by_province(runner, tiny_fits["hgb"].model, columns, one, indicators, incidents, NIGHT)
        is None
    )
