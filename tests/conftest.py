"""Shared by the rooms' tests: a small world in the store's typed form (built once), one
Prefect test server for the whole session (starting one costs ~15 s), a fresh workspace."""

from __future__ import annotations

import logging
import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Read by the libraries when they load, so set before anything imports them. The tests run in
# several processes at once (pytest-xdist, and CI's other Pythons beside): OpenMP's and
# OpenBLAS's threads, one per core in each process, would outnumber the cores and spin-wait
# on each other; a training subprocess took 2.7 to 3.9 times as long as alone (`docs/benchmarks.md`).
# The processes inherit this, so each fit, in-process or in a command, runs on one thread.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect reads its settings once, when it is first imported (often by a test module, at
# collection): the CLI's own wait for a temporary server to start (`configure_environment`)
# comes too late for the commands a test runs in this process. Prefect's default, 20 s, was
# missed under CI's load, and `ews ingest` of a missing folder exited 1 instead of 3.
from data.settings import TEMPORARY_SERVER_START_SECONDS  # imports no library that reads these

os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(TEMPORARY_SERVER_START_SECONDS))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

import simulator as sim
from data.ingest import ingest
from data.store import Store
from models.backtest import Fitted, TrainingFrame, build_training_frame, fit_at
from models.train import LEARNERS, ModelParams

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `deploy` (the rehearsal's servers) is a folder, not a package installed


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shard",
        default=None,
        help="I/N: run only the I-th of N shares of the test files (CI runs the shares of one "
        "Python at once); whole files, so a module's fixtures are built once",
    )


#: Files handed out first. `make test` gives each of its two processes a file at a time,
#: those with the most tests first (xdist's own order), so the one-test files came last; the
#: longest of them, the multi-machine rehearsal (3 to 5 minutes in CI), goes first instead.
#: Measured: CI 2,014 s before, 2,013 s after (docs/benchmarks.md): no gain, no loss.
FIRST_FILES = ("tests/deploy/test_rehearsal.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The files in `FIRST_FILES` first, then those with the most tests (xdist's own order,
    which `make test` turns off to keep this one); `--shard I/N`: keep the test files whose
    place in the sorted list is I modulo N."""
    counts = Counter(item.nodeid.split("::")[0] for item in items)
    items.sort(key=lambda item: _file_rank(item.nodeid.split("::")[0], counts))
    shard = config.getoption("--shard")
    if not shard:
        return
    try:
        index, count = (int(part) for part in str(shard).split("/"))
    except ValueError:
        raise pytest.UsageError(f"--shard {shard!r}: expected I/N, e.g. 1/2") from None
    if not 1 <= index <= count:
        raise pytest.UsageError(f"--shard {shard!r}: I must be between 1 and N")
    files = sorted({str(item.path) for item in items})
    kept = {path for place, path in enumerate(files) if place % count == index - 1}
    config.hook.pytest_deselected(items=[item for item in items if str(item.path) not in kept])
    items[:] = [item for item in items if str(item.path) in kept]


def _file_rank(path: str, counts: Counter[str]) -> tuple[int, int, str]:
    """Where a file's tests go: `FIRST_FILES`, then by number of tests, then by path."""
    return (0 if path in FIRST_FILES else 1, -counts[path], path)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """One real PostgreSQL server for the session (`deploy.postgres`); each test makes its own
    database with `postgres_server.create_database(name)`. Skipped only outside CI when the
    server programs are missing; in CI (`CI=true`) a missing server fails the test."""
    from deploy.postgres import PostgresUnavailable, local_postgres

    try:
        with local_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=TEMPORARY_SERVER_START_SECONDS):
        yield


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_server: None) -> Path:
    """A fresh EWS_HOME with its own MLflow store."""
    home = tmp_path / "ews-home"
    monkeypatch.setenv("EWS_HOME", str(home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow' / 'mlflow.db'}")
    return home


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The `tiny` world (seed 3) ingested into a store."""
    root = tmp_path_factory.mktemp("tiny")
    sim.write_source(sim.simulate("tiny", seed=3), root / "source", "parquet")
    store = Store(root / "store")
    ingest(str(root / "source"), store)
    return store


@pytest.fixture(scope="session")
def tiny_frames(tiny_store: Store) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return tiny_store.load_enterprises(), tiny_store.load_indicators(), tiny_store.load_incidents()


# The rooms whose tests fit small models in the test process.
ONE_THREAD_ROOMS = frozenset({"models", "judging", "explaining", "present"})


@pytest.fixture(autouse=True, scope="module")
def one_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """Small fits run best on one thread, and do not stall when the machine is busy."""
    if request.path.parent.name not in ONE_THREAD_ROOMS:
        yield
        return
    with threadpool_limits(limits=1):
        yield


# The model tests' training date and parameters: small fits, two backtest origins. The tiny
# world has few stoppages: six calibration months give early stopping a steadier slice
# (with three, its boosted trees stop before any split on debt). Its negatives are sampled
# as a large world's are (`min_negative_rows` 0; by default a world this small keeps them
# all), so that the tests exercise the sampling and its weights.
AS_OF = pd.Timestamp("2023-12-20")
TINY_PARAMS = ModelParams(max_iter=60, backtest_origins=2, calibration_months=6, min_negative_rows=0)


@pytest.fixture(scope="session")
def tiny_frame(tiny_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> TrainingFrame:
    """The training frame of the tiny world as of `AS_OF` (the one training path)."""
    enterprises, indicators, incidents = tiny_frames
    with threadpool_limits(limits=1):
        return build_training_frame(enterprises, indicators, incidents, as_of=AS_OF, params=TINY_PARAMS)


@pytest.fixture(scope="session")
def tiny_fits(tiny_frame: TrainingFrame) -> dict[str, Fitted]:
    """Each learner fitted and calibrated as of `AS_OF`, as the final fit does."""
    with threadpool_limits(limits=1):
        return {name: fit_at(tiny_frame, tiny_frame.as_of, name) for name in LEARNERS}


@pytest.fixture(scope="session")
def tiny_recent(tiny_frame: TrainingFrame) -> pd.DataFrame:
    """The frame's fully kept months (every row), with their outcome as `target`."""
    rows = (tiny_frame.table["as_of"] >= tiny_frame.full_from).to_numpy()
    y = tiny_frame.labels(tiny_frame.as_of)[rows]
    return (
        tiny_frame.table.loc[rows].assign(target=y).loc[lambda t: t["target"].notna()].reset_index(drop=True)
    )


@contextmanager
def _environment_put_back() -> Iterator[None]:
    """Restore the process's environment variables and `logging.raiseExceptions` on exit."""
    saved, raise_exceptions = dict(os.environ), logging.raiseExceptions
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        logging.raiseExceptions = raise_exceptions


@pytest.fixture(autouse=True, scope="module")
def restored_module_environment() -> Iterator[None]:
    """What a module's fixtures set in-process (a workspace's variables, when they run the
    CLI) is put back once the module's tests are done, as `restored_environment` does per test."""
    with _environment_put_back():
        yield


@pytest.fixture(autouse=True)
def restored_environment() -> Iterator[None]:
    """The CLI and `configure_environment` set variables (PREFECT_HOME, MLflow's URI, its
    progress bars, timeouts...) and `logging.raiseExceptions` in-process: put them back after
    every test, so that no test sees another's workspace or settings, whichever tests ran
    before it in the same process (pytest-xdist deals the files out differently every run).
    Module and session fixtures are set up before it, so what they set stays."""
    with _environment_put_back():
        yield


def snapshot(home: Path) -> dict[str, Any]:
    """What readers of a workspace see: every night's rows, the run ledger, export and report bytes."""
    from outputs import rankings

    db = home / "ews.db"
    nights = rankings.scored_dates(db)
    files = {
        p.relative_to(home).as_posix(): p.read_bytes()
        for folder in ("exports", "reports")
        for p in sorted((home / folder).glob("*"))
        if p.is_file() and not p.name.startswith(".")
    }
    return {
        "rows": {n: rankings.read_ranking(db, n) for n in nights},
        "runs": rankings.score_runs(db).set_index("as_of"),
        "files": files,
    }


def same_rows(left: pd.DataFrame, right: pd.DataFrame, *, ignore: list[str] | None = None) -> None:
    """Two rankings equal row for row, the `ignore` columns (a run's id) aside."""
    drop = ignore or []
    pd.testing.assert_frame_equal(
        left.drop(columns=drop).reset_index(drop=True), right.drop(columns=drop).reset_index(drop=True)
    )
