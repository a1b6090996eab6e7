"""The rolling-origin backtest, one Prefect task per (origin, member), in parallel on Dask.

Each fit of the backtest (`models.backtest.backtest_cell`) is one task run, named
`backtest-fit[origin=2024-03-31, member=hgb]`, so the Prefect UI shows the backtest's
progress cell by cell. The cells run on an existing Dask cluster when `EWS_DASK_ADDRESS`
names its scheduler, on a local cluster of `EWS_DASK_WORKERS` processes otherwise, and
without either one after another in the training process (`models.backtest.run_backtest`:
the same cells and the same assembly). Each task fits on one thread, so its figures are
those of the serial run at one thread per fit, exactly (tested); the serial default lets
the fits use every core, which moves probabilities in the 8th digit or so.

The training frame is sent to every worker once (`scatter`), never with each task; a frame
streamed to disk (EWS_TRAINING_ON_DISK) is sent as its file's name, and each fit reads only the
months up to its origin (the workspace must then be reachable from the workers). The
tasks go through `DaskTaskRunner.submit`, which is what `Task.submit` calls on a flow's own
runner: the runner is entered for the backtest alone, so the rest of the training flow
pays for no cluster, and the frame never becomes a flow parameter (Prefect would copy a
flow's parameters into every task's context).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError
from prefect.settings import PREFECT_API_URL, temporary_settings
from threadpoolctl import threadpool_limits

from data.settings import Settings
from flows import tasks
from models import backtest
from models.backtest import TrainingFrame
from models.train import ModelParams
from vocab import progress

if TYPE_CHECKING:
    from prefect_dask import DaskTaskRunner


@task(
    name="backtest-fit",
    task_run_name="backtest-fit[origin={origin}, member={member}]",
    cache_policy=NO_CACHE,
)
def backtest_fit(
    frame: TrainingFrame, origin: str, member: str, recipe: ModelParams | None = None
) -> np.ndarray:
    """One fit of the backtest: `member` (a candidate, or a recipe's name) at `origin`.

    On one thread by default: a worker runs one task per thread it has, and BLAS or OpenMP
    threads on top of that would fight over the same cores. `EWS_DASK_FIT_THREADS`, read on
    the worker, gives a fit more: a single-thread worker on a machine whose memory holds
    only one fit at a time then uses every core for it.
    """
    with threadpool_limits(limits=Settings().dask_fit_threads):
        return backtest.backtest_cell(frame, pd.Timestamp(origin), member, recipe)


def backtest_runner(settings: Settings) -> DaskTaskRunner | None:
    """The Dask runner the settings ask for: an existing cluster, a local one, or None (serial)."""
    if not settings.dask_address and settings.dask_workers == 0:
        return None
    from prefect_dask import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": settings.dask_workers,
            "threads_per_worker": 1,
            "processes": True,
            "host": "127.0.0.1",
            "dashboard_address": None,
        }
    )


def run_backtest(
    frame: TrainingFrame,
    *,
    candidates: tuple[str, ...],
    recipes: Mapping[str, ModelParams] | None,
    settings: Settings,
) -> pd.DataFrame:
    """The backtest table, its fits on the Dask cluster the settings name, else in this process."""
    runner = backtest_runner(settings)
    if runner is None:
        return tasks.run_backtest(frame, candidates=candidates, recipes=recipes)
    return dask_backtest(frame, candidates=candidates, recipes=recipes, runner=runner)


def dask_backtest(
    frame: TrainingFrame,
    *,
    candidates: tuple[str, ...],
    recipes: Mapping[str, ModelParams] | None,
    runner: DaskTaskRunner,
) -> pd.DataFrame:
    """Every cell of the backtest as one task on `runner`'s cluster, then the table assembled.

    Inside a flow run the tasks are recorded as that run's (outside one, as tasks of their
    own). A failed cell fails the backtest: the runner's cluster, if it started one, is
    closed, and the other cells with it.
    """
    import distributed

    try:
        logger: logging.Logger | logging.LoggerAdapter[logging.Logger] = get_run_logger()
    except MissingContextError:
        logger = logging.getLogger(__name__)
    cells = backtest.backtest_cells(frame, candidates=candidates, recipes=recipes)
    if runner.address and not PREFECT_API_URL.value():
        logger.warning(
            "EWS_DASK_ADDRESS without PREFECT_API_URL: a Dask worker without PREFECT_API_URL of "
            "its own starts a temporary Prefect server for its task runs"
        )
    with runner, api_for_local_workers(runner):
        client = runner.client
        import_code_on_cluster(client)
        info = client.scheduler_info()
        logger.info(
            "backtest: %d fits on the Dask cluster at %s (%d workers)",
            len(cells),
            info.get("address"),
            len(info.get("workers", {})),
        )
        # A frame on disk travels as its file's name: each fit reads the months it needs, and
        # this process lets go of the rows it read (the leak sentinel's) while the workers fit.
        frame.release()
        results: dict[int, Any] = {}
        for attempt in range(1 + RESUBMISSIONS):
            shared = frame if frame.on_disk else client.scatter(frame, broadcast=True, hash=False)
            # Held in the dict only, which the collection empties (see `collect_results`).
            pending = {
                i: runner.submit(
                    backtest_fit,
                    parameters={
                        "frame": shared,
                        "origin": str(cell.origin.date()),
                        "member": cell.name,
                        "recipe": cell.recipe,
                    },
                )
                for i, cell in enumerate(cells)
                if i not in results
            }
            try:
                collect_results(pending, client, distributed.as_completed, results)
                break
            except (distributed.client.FutureCancelledError, distributed.comm.CommClosedError) as exc:
                lost = (
                    getattr(exc, "reason", None) == "scheduler-connection-lost" or client.status != "running"
                )
                if not lost or attempt == RESUBMISSIONS:
                    raise
                logger.warning(
                    "backtest: the connection to the Dask scheduler was lost with %d of %d fits "
                    "done; the other %d are submitted again once the client has reconnected",
                    len(results),
                    len(cells),
                    len(cells) - len(results),
                )
                del pending, shared
                await_reconnection(client)
    probabilities = [results[i] for i in range(len(cells))]
    return backtest.assemble_backtest(frame, cells, probabilities, candidates=candidates)


def collect_results(
    pending: dict[int, Any], client: Any, as_completed: Any, results: dict[int, Any] | None = None
) -> dict[int, Any]:
    """Each task's result as it finishes, its future let go at once; into `results` (the
    results of an earlier submission kept) when given.

    A future held after its result is read keeps that result on its worker; if the worker is
    then lost (killed for memory, its machine gone), Dask computes the task again. At national
    scale that was a 6-minute fit done twice. `pending` maps a position to a Prefect future
    wrapping a Dask one; it is emptied as the results come.
    """
    results = {} if results is None else results
    total = len(pending) + len(results)
    index = {future.wrapped_future.key: i for i, future in pending.items()}
    waiting = as_completed([future.wrapped_future for future in pending.values()], loop=client.loop)
    progress.advance("backtest fits", len(results), total)
    for finished in waiting:
        i = index.pop(finished.key)
        del finished  # the loop's reference, so that the pop below is the last one
        results[i] = pending.pop(i).result()
        progress.advance("backtest fits", len(results), total)
    return results


#: Times the fits not yet done are submitted again after the client lost its scheduler.
RESUBMISSIONS = 2


def await_reconnection(client: Any) -> None:
    """Wait until `client` is connected to its scheduler again (Dask reconnects on its own,
    within the client's connect timeout) and the scheduler has a worker; an error otherwise.

    A lost connection cancels every future of the client, and the scheduler forgets what the
    client had scattered: the caller scatters and submits again. Seen once, in CI: the
    multi-machine rehearsal's training lost its connection under the load of the other tests
    (its logs were gone with CI's machine; see `import_code_on_cluster` for the likeliest cause).
    """
    import time

    import dask.config
    from dask.utils import parse_timedelta

    wait = float(parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="s"))
    deadline = time.monotonic() + wait
    while client.status != "running":
        if client.status in ("closing", "closed") or time.monotonic() > deadline:
            raise ConnectionError(
                f"the connection to the Dask scheduler at {client.scheduler.address} was lost "
                "and could not be made again"
            )
        time.sleep(0.2)
    client.wait_for_workers(1, timeout=wait)


def import_code_on_cluster(client: Any) -> None:
    """Import this module (Prefect, scikit-learn, the project) on the scheduler and every
    worker, in calls the client waits for, before any task is submitted.

    The scheduler unpickles each submitted task inside its event loop, and the first one
    imports all of that there. In the rehearsal (`deploy/rehearse.py`) its loop was blocked
    5.9 s on the idle machine, 25.8 s beside five busy processes and 32 s beside nine, with
    the client's submissions waiting on the stream; the workers' loops 4 to 30 s. Dask warns
    that this "can cause timeouts and instability"; a call the client waits for leaves
    nothing queued on the stream while the imports run.
    """
    client.run_on_scheduler(_imported)
    client.run(_imported)


def _imported() -> bool:
    """Nothing: unpickling a reference to this function imports its module where it runs."""
    return True


@contextlib.contextmanager
def api_for_local_workers(runner: DaskTaskRunner) -> Iterator[None]:
    """Point the workers of a local cluster at this process's Prefect API when it is temporary.

    Without `PREFECT_API_URL`, each worker would start a temporary Prefect server of its own
    (7–19 s each) for the task runs it records. The workers of a local cluster reach this
    process's server at its loopback address instead; those of an existing cluster keep
    their own setting (a machine elsewhere cannot reach this one's loopback).
    """
    from prefect.client.orchestration import get_client

    if PREFECT_API_URL.value() or runner.address:
        yield
        return
    with get_client(sync_client=True) as client:
        url = str(client.api_url)
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield
