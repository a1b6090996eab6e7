"""The backtest on Dask: one Prefect task per (origin, member), the serial run's figures exactly."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import shutil
import time
from dataclasses import replace
from pathlib import Path

import distributed
import numpy as np
import pandas as pd
import pytest
from distributed.scheduler import Scheduler
from threadpoolctl import threadpool_limits

from data.settings import Settings
from data.store import Store
from models import backtest
from models.backtest import BLEND, BLEND_MEMBERS, TrainingFrame
from models.train import ModelParams

from ..conftest import AS_OF, TINY_PARAMS

CANDIDATES = (*BLEND_MEMBERS, BLEND)


def serial(frame: TrainingFrame, recipes: dict[str, ModelParams] | None = None) -> pd.DataFrame:
    """Today's serial backtest, on one thread per fit as the workers fit: more OpenMP or BLAS
    threads move the probabilities in the 8th digit on a world the size of the demo's."""
    with threadpool_limits(limits=1):
        return backtest.run_backtest(frame, candidates=CANDIDATES, recipes=recipes)


def fits_seen(client: distributed.Client) -> int:
    """Backtest fits the cluster's scheduler has seen finish (a task key reaching memory)."""

    def count(dask_scheduler: Scheduler) -> int:
        log = dask_scheduler.transition_log
        return len({t.key for t in log if str(t.key).startswith("backtest_fit-") and t.finish == "memory"})

    return int(client.run_on_scheduler(count))


def test_the_settings_choose_the_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.backtest import backtest_runner

    monkeypatch.delenv("EWS_DASK_ADDRESS", raising=False)
    monkeypatch.delenv("EWS_DASK_WORKERS", raising=False)
    assert backtest_runner(Settings()) is None  # serial by default
    monkeypatch.setenv("EWS_DASK_WORKERS", "3")
    local = backtest_runner(Settings())
    assert local is not None and local.address is None
    assert local.cluster_kwargs == {
        "n_workers": 3,
        "threads_per_worker": 1,
        "processes": True,
        "host": "127.0.0.1",
        "dashboard_address": None,
    }
    monkeypatch.setenv("EWS_DASK_ADDRESS", "tcp://10.0.0.5:8786")
    remote = backtest_runner(Settings())
    assert remote is not None and remote.address == "tcp://10.0.0.5:8786" and not remote.cluster_kwargs
    monkeypatch.setenv("EWS_DASK_WORKERS", "-1")
    with pytest.raises(ValueError, match="dask_workers"):
        Settings()


@pytest.mark.parametrize("threads", [None, "2"])
def test_a_fit_uses_the_threads_its_worker_allows(
    threads: str | None, tiny_frame: TrainingFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One BLAS/OpenMP thread a fit unless `EWS_DASK_FIT_THREADS` (read where the fit runs) says more."""
    import threadpoolctl

    from flows.backtest import backtest_fit

    if threads is None:
        monkeypatch.delenv("EWS_DASK_FIT_THREADS", raising=False)
    else:
        monkeypatch.setenv("EWS_DASK_FIT_THREADS", threads)
    seen: list[int] = []

    def cell(*_: object) -> np.ndarray:
        pools = [p for p in threadpoolctl.threadpool_info() if p["user_api"] in ("blas", "openmp")]
        seen.extend(p["num_threads"] for p in pools)
        return np.zeros(1)

    monkeypatch.setattr(backtest, "backtest_cell", cell)
    backtest_fit.fn(tiny_frame, "2024-03-31", "hgb")
    assert seen and set(seen) == {int(threads or 1)}
    monkeypatch.setenv("EWS_DASK_FIT_THREADS", "0")
    with pytest.raises(ValueError, match="dask_fit_threads"):
        Settings()


@pytest.mark.slow
def test_a_local_cluster_of_two_worker_processes_gives_the_serial_figures(
    tiny_frame: TrainingFrame, monkeypatch: pytest.MonkeyPatch, prefect_server: None
) -> None:
    """`EWS_DASK_WORKERS=2`: a local cluster started for the backtest of one origin, with a
    champion's recipe beside the candidates (outside a flow run: tasks of their own)."""
    from flows.backtest import run_backtest

    monkeypatch.delenv("EWS_DASK_ADDRESS", raising=False)
    monkeypatch.setenv("EWS_DASK_WORKERS", "2")
    one = replace(tiny_frame, params=TINY_PARAMS.model_copy(update={"backtest_origins": 1}))
    recipes = {"champion": TINY_PARAMS.model_copy(update={"learner": "hgb", "max_iter": 30})}
    on_dask = run_backtest(one, candidates=CANDIDATES, recipes=recipes, settings=Settings())
    pd.testing.assert_frame_equal(on_dask, serial(one, recipes), check_exact=True)
    assert list(on_dask.columns[-5:]) == [*BLEND_MEMBERS, BLEND, "champion"]


@pytest.mark.slow
def test_the_train_flow_backtests_on_the_cluster_at_ews_dask_address(
    cluster: distributed.LocalCluster,
    tiny_store: Store,
    tiny_frame: TrainingFrame,
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each fit is a task on the running cluster, recorded in the training run under its own
    name, and the figures the run logs are the serial backtest's. The training table is
    streamed to the workspace (EWS_TRAINING_ON_DISK): the tasks carry its file's name, each
    reads its months, and the file is gone when the run is over."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        TaskRunFilter,
        TaskRunFilterName,
    )

    from flows.train import train_flow
    from models import registry

    address = cluster.scheduler_address
    monkeypatch.setenv("EWS_DASK_ADDRESS", address)
    monkeypatch.delenv("EWS_DASK_WORKERS", raising=False)
    monkeypatch.setenv("EWS_TRAINING_ON_DISK", "1")
    shutil.copytree(tiny_store.root, Settings().store_dir)
    origins = TINY_PARAMS.backtest_origins
    with distributed.Client(address) as client:
        before = fits_seen(client)
        with threadpool_limits(limits=1):
            state = train_flow(
                as_of=dt.date.fromisoformat(str(AS_OF.date())),
                promote="auto",
                params=TINY_PARAMS,
                candidates=CANDIDATES,
                return_state=True,
            )
        result = state.result()
        gc.collect()
        assert Settings().tmp_dir.is_dir()  # where the table was streamed
        assert not list(Settings().tmp_dir.glob("training-*.parquet"))
        # Three members at each origin; the blend is their mean, and a first model has no champion.
        assert fits_seen(client) - before == 3 * origins

    run_id = state.state_details.flow_run_id
    assert run_id is not None
    with get_client(sync_client=True) as prefect:
        runs = prefect.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])),
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="backtest-fit[")),
        )
    expected = {
        f"backtest-fit[origin={o.date()}, member={m}]"
        for o in tiny_frame.origins(origins)
        for m in BLEND_MEMBERS
    }
    assert {r.name for r in runs} == expected
    assert all(r.state is not None and r.state.is_completed() for r in runs)

    # The run logs its backtest rows and scores as the drift reference: the serial figures.
    logged = registry.reference_features("labor-ews", result["version"])
    assert logged is not None
    reference = serial(tiny_frame).drop(columns=["as_of", "y"]).rename(columns={result["learner"]: "score"})
    reference.to_parquet(workspace / "serial.parquet", index=False)  # the same way through Parquet
    pd.testing.assert_frame_equal(logged, pd.read_parquet(workspace / "serial.parquet"), check_exact=True)


@pytest.mark.slow
def test_fits_cut_off_by_a_lost_scheduler_connection_are_submitted_again(
    tiny_frame: TrainingFrame,
    cluster: distributed.LocalCluster,
    monkeypatch: pytest.MonkeyPatch,
    prefect_server: None,
) -> None:
    """The client's connection to the scheduler is cut once the first fit is in: Dask cancels
    every future and reconnects; the backtest scatters the frame again, submits the fits not
    done, and its figures are still the serial run's."""
    import flows.backtest as dask_backtest_module
    from flows.backtest import run_backtest

    monkeypatch.setenv("EWS_DASK_ADDRESS", cluster.scheduler_address)
    monkeypatch.delenv("EWS_DASK_WORKERS", raising=False)
    clients: list[distributed.Client] = []
    cuts: list[int] = []
    import_code = dask_backtest_module.import_code_on_cluster
    advance = dask_backtest_module.progress.advance

    def remember(client: distributed.Client) -> None:
        clients.append(client)
        import_code(client)

    def cut_after_first(what: str, done: int, total: int) -> None:
        advance(what, done, total)
        if done >= 1 and not cuts:
            cuts.append(done)
            client = clients[-1]
            stream, loop = client.scheduler_comm, client.loop
            assert stream is not None and loop is not None
            loop.add_callback(stream.comm.abort)
            # Until Dask has cancelled the client's futures (it forgets them as it reconnects):
            # a fit finished meanwhile would otherwise be gathered before the cut reached it.
            deadline = time.monotonic() + 30
            while client.futures and time.monotonic() < deadline:
                time.sleep(0.01)

    monkeypatch.setattr(dask_backtest_module, "import_code_on_cluster", remember)
    monkeypatch.setattr(dask_backtest_module.progress, "advance", cut_after_first)
    one = replace(tiny_frame, params=TINY_PARAMS.model_copy(update={"backtest_origins": 1}))
    # A handler of the test's own: Prefect's logging setup replaces the root's (caplog's) handlers.
    handler = _Records(logging.WARNING)
    logging.getLogger("flows.backtest").addHandler(handler)
    try:
        on_dask = run_backtest(one, candidates=CANDIDATES, recipes=None, settings=Settings())
    finally:
        logging.getLogger("flows.backtest").removeHandler(handler)
    assert cuts == [1]
    lost = [
        r.getMessage()
        for r in handler.records
        if "connection to the Dask scheduler was lost" in r.getMessage()
    ]
    assert len(lost) == 1 and "with 1 of 3 fits done" in lost[0], lost
    pd.testing.assert_frame_equal(on_dask, serial(one), check_exact=True)


class _Records(logging.Handler):
    """The records a logger emits, kept."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class _Wrapped:
    """What `collect_results` uses of a Prefect Dask future: the Dask future and `.result()`."""

    def __init__(self, future: distributed.Future) -> None:
        self.wrapped_future = future

    def result(self) -> object:
        return self.wrapped_future.result()


def test_each_result_is_let_go_once_read_so_a_lost_worker_recomputes_nothing() -> None:

    from flows.backtest import collect_results

    with (
        distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as client,
    ):
        pending = {i: _Wrapped(client.submit(pow, i, 2, pure=False)) for i in range(5)}
        results = collect_results(pending, client, distributed.as_completed)
        assert results == {i: i**2 for i in range(5)} and pending == {}
        # Nothing of the backtest is still held on the cluster (the release is asynchronous).
        deadline = time.monotonic() + 10
        while client.futures and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not client.futures
        assert not client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.tasks))
