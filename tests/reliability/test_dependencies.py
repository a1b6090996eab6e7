"""External dependencies under faults (docs/reliability.md): every wait is bounded (I6); an
MLflow server that refuses, answers 500 or never answers (F05, F06); a model trained under
another scikit-learn (F12); the Prefect API closed, or gone in the middle of a run (F18);
four trainings registering at once in one fresh SQLite MLflow store (2.3, N = 4).

Every server is local and started here: a closed port on 127.0.0.1, a stub that answers 500
or sleeps, a private Prefect server killed mid-run. Timeouts are made small through the
environment, as an operator would set them; the subprocesses' own timeouts only guard
against a hang. The Prefect cases need a trained workspace, built once for the module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import mlflow
import mlflow.artifacts
import numpy as np
import pandas as pd
import pytest
import sklearn
import sklearn.base
from mlflow import MlflowClient
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from cli.main import app, exit_status
from data.faults import PLAN_ENV, plan_marker
from data.settings import SERVICE_TIMEOUT_DEFAULTS, Settings, configure_environment
from data.sqlite import BUSY_TIMEOUT_SECONDS, open_db
from models import champion, registry
from models.registry import ModelIntegrityError, RegistryUnavailable
from outputs import audit, rankings
from present.night import night_complete

NAME = "labor-ews"  # the default EWS_MODEL_NAME, so that `ews models ...` finds it
I6_SECONDS = 120  # the matrix's bound on the time to a clear error under an outage
HANG_GUARD = 300
EWS = str(Path(sys.executable).parent / "ews")
#: An operator's short MLflow waits: one try of 1 s, one retry, no backoff.
FAST_MLFLOW = {
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "1",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
}
FAULTS = ("closed port", "HTTP 500", "no answer")
REASONS = {
    "closed port": "connection refused after 1 retry",
    "HTTP 500": "it answered HTTP 500 after 1 retry",
    "no answer": "no answer within 1 s after 1 retry",
}
TRAIN_AS_OF = dt.date(2025, 1, 25)
OLD_NIGHT = "2024-12-31"
NEW_NIGHT = "2025-01-25"

runner = CliRunner()


def _use_tracking(mp: pytest.MonkeyPatch, uri: str) -> None:
    """Point MLflow at `uri` through the environment only (a URI set in code by an earlier
    test would win over it), restored when the test ends."""
    import mlflow.tracking._tracking_service.utils as tracking_utils

    mp.setattr(tracking_utils, "_tracking_uri", None)
    mp.setenv("MLFLOW_TRACKING_URI", uri)


def _free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (taken from the kernel, then released)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Stub(ThreadingHTTPServer):
    """An MLflow server that fails: every request gets HTTP 500, or no answer until released."""

    daemon_threads = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _StubHandler)
        self.mode = mode
        self.requests = 0
        self.lock = threading.Lock()
        self.release = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up waiting is what the stub is for: nothing to report."""


class _StubHandler(BaseHTTPRequestHandler):
    server: _Stub

    def _answer(self) -> None:
        with self.server.lock:
            self.server.requests += 1
        if self.server.mode == "no answer":
            self.server.release.wait(60)
        body = b'{"error_code": "INTERNAL_ERROR", "message": "stub failure"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the tests count requests instead."""


@contextlib.contextmanager
def _mlflow_down(fault: str) -> Iterator[tuple[str, _Stub | None]]:
    """An MLflow tracking URI (with a password) that fails in the given way, and its stub."""
    if fault == "closed port":
        yield f"http://ews:s3cret@127.0.0.1:{_free_port()}", None
        return
    stub = _Stub("no answer" if fault == "no answer" else "500")
    thread = threading.Thread(target=stub.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://ews:s3cret@127.0.0.1:{stub.server_address[1]}", stub
    finally:
        stub.release.set()
        stub.shutdown()
        stub.server_close()


@dataclass(frozen=True)
class Run:
    """One finished `ews` process."""

    status: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def _child_env(home: Path, **extra: str) -> dict[str, str]:
    """The test process's environment for an `ews` child: its workspace, no fault points, no
    timeout settings but the ones given."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EWS_FAULT", "MLFLOW_HTTP_REQUEST", "PREFECT_API_REQUEST", "PREFECT_CLIENT_"))
    }
    env.update(EWS_HOME=str(home), MLFLOW_TRACKING_URI=f"sqlite:///{home / 'mlflow' / 'mlflow.db'}")
    env.update(extra)
    return env


def _ews(args: list[str], env: dict[str, str]) -> Run:
    start = time.monotonic()
    done = subprocess.run([EWS, *args], env=env, capture_output=True, text=True, timeout=HANG_GUARD)
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - start)


def _prefect_api_url() -> str:
    """The session's Prefect test server (the `prefect_server` fixture)."""
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


# ---------------------------------------------------------------------------------- I6


def test_i6_every_external_wait_is_bounded_and_the_operators_own_values_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in SERVICE_TIMEOUT_DEFAULTS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PREFECT_API_REQUEST_TIMEOUT", "7")
    configure_environment(Settings(home=tmp_path / "ws"))
    expected = {**SERVICE_TIMEOUT_DEFAULTS, "PREFECT_API_REQUEST_TIMEOUT": "7"}
    assert {key: os.environ[key] for key in expected} == expected

    # The worst case of one request under the defaults (a server that accepts and never
    # answers), as each client retries: under the matrix's two minutes.
    timeout = float(SERVICE_TIMEOUT_DEFAULTS["MLFLOW_HTTP_REQUEST_TIMEOUT"])
    retries = int(SERVICE_TIMEOUT_DEFAULTS["MLFLOW_HTTP_REQUEST_MAX_RETRIES"])
    factor = float(SERVICE_TIMEOUT_DEFAULTS["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"])
    # urllib3: no wait after the first error, then factor * 2**(n-1); MLflow adds up to 1 s of jitter.
    mlflow_backoff = sum(factor * 2 ** (n - 1) for n in range(2, retries + 1)) + retries * 1.0
    assert (retries + 1) * timeout + mlflow_backoff < I6_SECONDS
    timeout = float(SERVICE_TIMEOUT_DEFAULTS["PREFECT_API_REQUEST_TIMEOUT"])
    retries = int(SERVICE_TIMEOUT_DEFAULTS["PREFECT_CLIENT_MAX_RETRIES"])
    # Prefect: 2**n seconds after the n-th failure, with jitter of at most 20 % (its default).
    prefect_backoff = sum(2**n for n in range(1, retries + 1)) * 1.2
    assert (retries + 1) * timeout + prefect_backoff < I6_SECONDS

    # The workspace's SQLite databases wait a bounded time for a lock, then say "busy".
    with open_db(tmp_path / "ews.db", "CREATE TABLE IF NOT EXISTS t (x INTEGER);") as conn:
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_SECONDS * 1000


# ---------------------------------------------------------------------------------- F05, F06


@pytest.mark.parametrize("fault", FAULTS)
def test_f05_f06_an_mlflow_outage_is_one_registry_error_after_bounded_retries(
    fault: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `ews models list` and `ews score` ask MLflow first: an outage is never "no model
    yet" (exit 2) or an empty list (exit 0) but RegistryUnavailable, exit 1, in one line."""
    with _mlflow_down(fault) as (uri, stub):
        _use_tracking(monkeypatch, uri)
        for key, value in FAST_MLFLOW.items():
            monkeypatch.setenv(key, value)
        calls: list[Callable[[], object]] = [
            lambda: registry.list_versions(NAME),
            lambda: champion.load_champion(NAME, tmp_path / "ews.db"),
        ]
        for call in calls:
            with pytest.raises(RegistryUnavailable) as caught:
                call()
            message = str(caught.value)
            assert message.startswith("MLflow at http://ews:***@127.0.0.1:") and "\n" not in message
            assert REASONS[fault] in message and "MLFLOW_TRACKING_URI" in message
            assert "s3cret" not in message
            assert exit_status(caught.value) == 1
        if stub is not None:
            assert stub.requests == 2 * len(calls)  # one try and one retry each, no more
            # MLflow reads the settings at each request: two retries from now on.
            monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
            with pytest.raises(RegistryUnavailable, match="after 2 retries"):
                registry.list_versions(NAME)
            assert stub.requests == 2 * len(calls) + 3


COMMANDS = {"score": ["score", "--as-of", OLD_NIGHT], "models list": ["models", "list"]}


@pytest.mark.slow
@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("fault", FAULTS)
def test_f05_f06_ews_score_and_models_list_end_in_one_line_naming_mlflow(
    fault: str, command: str, workspace: Path
) -> None:
    with _mlflow_down(fault) as (uri, _):
        env = _child_env(
            workspace, MLFLOW_TRACKING_URI=uri, PREFECT_API_URL=_prefect_api_url(), **FAST_MLFLOW
        )
        run = _ews(COMMANDS[command], env)
    assert run.status == 1, run.stderr
    assert len(run.lines) == 1, run.stderr
    assert run.lines[0].startswith("error: MLflow at http://ews:***@127.0.0.1:")
    assert REASONS[fault] in run.lines[0]
    assert "s3cret" not in run.stderr + run.stdout and "Traceback" not in run.stderr
    # Nothing published: no ranking, no export, no report.
    db = workspace / "ews.db"
    assert not db.exists() or rankings.scored_dates(db) == []
    for folder in ("exports", "reports"):
        assert not (workspace / folder).exists() or not any((workspace / folder).iterdir())


@pytest.mark.slow
def test_i6_f05_with_the_default_waits_a_closed_mlflow_port_is_reported_within_the_bound(
    workspace: Path,
) -> None:
    """No timeout set by the operator: the defaults (3 retries, backoff 0, 4, 8 s) apply."""
    run = _ews(
        ["models", "list"], _child_env(workspace, MLFLOW_TRACKING_URI=f"http://127.0.0.1:{_free_port()}")
    )
    assert run.status == 1 and len(run.lines) == 1, run.stderr
    assert "connection refused after 3 retries" in run.lines[0]


# ---------------------------------------------------------------------------------- F12


def _small_model(seed: int) -> tuple[CalibratedClassifierCV, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (X["a"] + rng.normal(scale=0.5, size=200) > 0.8).astype(int).to_numpy()
    return CalibratedClassifierCV(LogisticRegression(), cv=3).fit(X, y), X


def _register_trained_under(version: str, artifacts: Path, seed: int) -> registry.ModelVersion:
    """Register a model as a training under scikit-learn `version` would: MLflow's MLmodel and
    requirements and each estimator's own state record that version, and the digests are
    computed over those files (so they verify: only the version differs)."""
    model, X = _small_model(seed)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sklearn, "__version__", version)
        mp.setattr(sklearn.base, "__version__", version)
        return registry.log_model_version(
            model,
            model_name=NAME,
            experiment="drift",
            artifact_root=artifacts.as_uri(),
            params={},
            metrics={},
            tags={},
            input_example=X,
            texts={},
        )


def test_f12_a_model_trained_under_another_scikit_learn_minor_is_refused_naming_both_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("EWS_HOME", str(home))
    _use_tracking(monkeypatch, f"sqlite:///{tmp_path / 'mlflow.db'}")
    installed = sklearn.__version__
    major, minor = installed.split(".")[:2]
    # Trained before an upgrade of scikit-learn: the previous minor release.
    older = f"{major}.{int(minor) - 1}.2" if int(minor) > 0 else f"{int(major) - 1}.99.2"
    same = _register_trained_under(f"{major}.{minor}.99", tmp_path / "artifacts", seed=0)
    drifted = _register_trained_under(older, tmp_path / "artifacts", seed=1)
    db = home / "ews.db"
    for version in (same, drifted):
        audit.record_model_digest(db, model_name=NAME, version=version.version, digest=version.digest)

    # Another patch release of the same major.minor loads and becomes champion.
    assert "champion is now" in champion.promote_version(NAME, db, same.version, "test")
    # The drifted version verifies (files and both digests agree): refused for its version alone.
    registry.set_alias(NAME, registry.CANDIDATE, drifted.version)
    with pytest.raises(ModelIntegrityError) as caught:
        registry.load_verified(NAME, registry.CANDIDATE, workspace_digest=drifted.digest)
    message = str(caught.value)
    assert "\n" not in message and "digest" not in message
    assert f"scikit-learn {older} but {installed} is installed" in message and "retrain" in message
    registry.delete_alias(NAME, registry.CANDIDATE)

    # Through the command line: exit 4, one line, the champion does not move.
    result = runner.invoke(app, ["models", "promote", drifted.version])
    assert result.exit_code == 4, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and older in lines[0] and installed in lines[0], result.stderr
    current = registry.alias_version(NAME, registry.CHAMPION)
    assert current is not None and current.version == same.version
    # numpy's version is recorded beside scikit-learn's and skops'.
    model_dir = Path(
        mlflow.artifacts.download_artifacts(
            f"models:/{NAME}/{drifted.version}", dst_path=str(tmp_path / "dl")
        )
    )
    pins = (model_dir / "requirements.txt").read_text(encoding="utf-8")
    assert f"scikit-learn=={older}" in pins and f"numpy=={np.__version__}" in pins


# ---------------------------------------------------------------------------------- 2.3: N = 4

_TRAINING = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path

    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from models import registry

    worker, go, artifacts = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    rng = np.random.default_rng(worker)
    X = pd.DataFrame({"a": rng.normal(size=100), "b": rng.normal(size=100)})
    model = LogisticRegression().fit(X, (X["a"] > 0).astype(int).to_numpy())
    Path(f"{go}.ready-{worker}").touch()
    while not go.exists():  # every worker starts its MLflow writes at the same moment
        time.sleep(0.01)
    version = registry.log_model_version(
        model, model_name="parallel", experiment="parallel", artifact_root=artifacts,
        params={"worker": worker}, metrics={"score": worker / 10}, tags={"worker": str(worker)},
        input_example=X, texts={"note.txt": f"worker {worker}"},
        step_metrics={"curve": [0.1 * worker, 0.2, 0.3]},
    )
    print(version.version, version.run_id)
    """
)


@pytest.mark.slow
def test_four_trainings_register_at_once_in_one_fresh_sqlite_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four processes log a run and register a version in a store none has created yet: the
    first start's migrations, the experiment and the registered model are raced for."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_HTTP_REQUEST")}
    env["MLFLOW_TRACKING_URI"] = uri
    artifacts = (tmp_path / "artifacts").as_uri()
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _TRAINING, str(n), str(go), artifacts],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    try:
        deadline = time.monotonic() + HANG_GUARD
        while not all((tmp_path / f"go.ready-{n}").exists() for n in range(4)):
            assert time.monotonic() < deadline and all(w.poll() is None for w in workers)
            time.sleep(0.05)
        assert not (tmp_path / "mlflow.db").exists()  # nobody has touched the store yet
        go.touch()
        outputs = [w.communicate(timeout=HANG_GUARD) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    for w, (_, err) in zip(workers, outputs, strict=True):  # no migration or lock error
        assert w.returncode == 0 and "Traceback" not in err, err[-3000:]
    reported = {tuple(out.split()) for out, _ in outputs}

    _use_tracking(monkeypatch, uri)
    client = MlflowClient()
    versions = client.search_model_versions("name = 'parallel'")
    assert sorted(int(v.version) for v in versions) == [1, 2, 3, 4]
    assert {(str(v.version), str(v.run_id)) for v in versions} == reported
    experiment = client.get_experiment_by_name("parallel")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 4 and {r.info.status for r in runs} == {"FINISHED"}
    for run in runs:  # no lost metrics, parameters, tags or artifacts
        worker = int(run.data.params["worker"])
        assert run.data.metrics["score"] == worker / 10 and run.data.tags["worker"] == str(worker)
        curve = client.get_metric_history(run.info.run_id, "curve")
        assert [m.value for m in sorted(curve, key=lambda m: m.step)] == [0.1 * worker, 0.2, 0.3]
        assert run.data.tags[registry.DIGEST_TAG]
    for version in versions:  # each registered model verifies and loads
        registry.set_alias("parallel", registry.CANDIDATE, str(version.version))
        registry.load_verified("parallel", registry.CANDIDATE)


# ---------------------------------------------------------------------------------- F18


def _workspace_env(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("EWS_HOME", str(home))
    _use_tracking(mp, f"sqlite:///{home / 'mlflow' / 'mlflow.db'}")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Path:
    """A workspace with the tiny world, a champion (one boosted model, 2 origins) and one
    published night, trained and scored through the session's Prefect server."""
    import simulator as sim
    from flows.ingest import ingest_flow
    from flows.score import score_flow
    from flows.train import train_flow
    from models.train import ModelParams

    base = tmp_path_factory.mktemp("dependencies")
    home = base / "template"
    sim.write_source(sim.simulate("tiny", seed=1), base / "source", "csv")
    with pytest.MonkeyPatch.context() as mp:
        _workspace_env(mp, home)
        ingest_flow(str(base / "source"))
        train_flow(
            as_of=TRAIN_AS_OF,
            promote="auto",
            params=ModelParams(backtest_origins=2, learner="hgb"),
            candidates=("hgb",),
        )
        score_flow(as_of=dt.date.fromisoformat(OLD_NIGHT))
    return home


def _snapshot(home: Path) -> dict[str, Any]:
    """What readers see: each night's rows, the run ledger, the exported and report files."""
    db = home / "ews.db"
    return {
        "rows": {night: rankings.read_ranking(db, night) for night in rankings.scored_dates(db)},
        "runs": rankings.score_runs(db).set_index("as_of"),
        "files": {
            p.relative_to(home).as_posix(): p.read_bytes()
            for folder in ("exports", "reports")
            for p in sorted((home / folder).glob("*"))
            if p.is_file()
        },
    }


def _old_night_untouched(before: dict[str, Any], after: dict[str, Any], home: Path) -> None:
    pd.testing.assert_frame_equal(after["rows"][OLD_NIGHT], before["rows"][OLD_NIGHT])
    assert after["runs"].loc[OLD_NIGHT].equals(before["runs"].loc[OLD_NIGHT])
    assert {k: v for k, v in after["files"].items() if OLD_NIGHT in k} == {
        k: v for k, v in before["files"].items() if OLD_NIGHT in k
    }
    assert night_complete(Settings(home=home), OLD_NIGHT)


@pytest.fixture(scope="module")
def closed_api(trained: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`ews score` of a new night with `PREFECT_API_URL` naming a closed port."""
    home = tmp_path_factory.mktemp("closed-api") / "home"
    shutil.copytree(trained, home)
    before = _snapshot(home)
    url = f"http://127.0.0.1:{_free_port()}/api"
    run = _ews(["score", "--as-of", NEW_NIGHT], _child_env(home, PREFECT_API_URL=url))
    return {"home": home, "before": before, "after": _snapshot(home), "run": run, "url": url}


@pytest.mark.slow
def test_f18_a_closed_prefect_api_fails_the_night_at_once_and_publishes_nothing(
    closed_api: dict[str, Any],
) -> None:
    """Prefect 3.9 checks the API before the flow starts ("Failed to reach API at <url>"):
    one line naming the Prefect API and its address, nothing read or published."""
    run: Run = closed_api["run"]
    assert run.status == 1, run.stderr
    assert len(run.lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert f"the Prefect API at {closed_api['url']} is unavailable" in run.lines[0]
    before, after = closed_api["before"], closed_api["after"]
    assert NEW_NIGHT not in after["rows"] and NEW_NIGHT not in after["runs"].index
    assert after["files"] == before["files"]
    _old_night_untouched(before, after, closed_api["home"])


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def _private_prefect_server(prefect_home: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Prefect server of this test alone (own home and database), in its own process group
    so that it can be killed whole; yields its API URL and process."""
    prefect_home.mkdir(parents=True)
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(
        PREFECT_HOME=str(prefect_home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false"
    )
    with open(prefect_home / "server.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while not _healthy(api_url):
                assert server.poll() is None, (prefect_home / "server.log").read_text(errors="replace")
                assert time.monotonic() < deadline, "the private Prefect server did not start"
                time.sleep(0.5)
            yield api_url, server
        finally:
            _kill_group(server)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def vanished_api(trained: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`ews score` of a new night against a private Prefect server, held just before it
    publishes (`hold score.before_publish`), the server killed, then the run let go.

    The operator's defaults apply (no timeout set here): the time measured from letting the
    run go to its exit is what a scheduler would wait.
    """
    base = tmp_path_factory.mktemp("vanished-api")
    home = base / "home"
    shutil.copytree(trained, home)
    before = _snapshot(home)
    plan = base / "faults.plan"
    plan.write_text("hold score.before_publish\n", encoding="utf-8")
    marker = plan_marker(plan)
    with _private_prefect_server(base / "prefect") as (api_url, server):
        env = _child_env(home, PREFECT_API_URL=api_url, **{PLAN_ENV: str(plan)})
        with open(base / "stdout", "wb") as out, open(base / "stderr", "wb") as err:
            process = subprocess.Popen([EWS, "score", "--as-of", NEW_NIGHT], env=env, stdout=out, stderr=err)
        try:
            deadline = time.monotonic() + HANG_GUARD
            while not marker.exists():
                assert process.poll() is None, (base / "stderr").read_text(errors="replace")
                assert time.monotonic() < deadline, "ews score never reached score.before_publish"
                time.sleep(0.2)
            _kill_group(server)
            assert not _healthy(api_url)
            released = time.monotonic()
            marker.unlink()  # let the run go on without its server
            error_seconds = None
            while process.poll() is None:  # when the error line comes, and when the process ends
                if error_seconds is None and b"error:" in (base / "stderr").read_bytes():
                    error_seconds = time.monotonic() - released
                assert time.monotonic() - released < HANG_GUARD, "ews score hangs without its server"
                time.sleep(0.2)
            seconds = time.monotonic() - released
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    run = Run(
        process.returncode,
        (base / "stdout").read_text(errors="replace"),
        (base / "stderr").read_text(errors="replace"),
        seconds,
    )
    after = _snapshot(home)
    return {
        "home": home,
        "before": before,
        "after": after,
        "run": run,
        "url": api_url,
        "error_seconds": error_seconds,
    }


@pytest.mark.slow
def test_f18_the_prefect_server_gone_mid_run_leaves_whole_nights_and_the_night_to_score_again(
    vanished_api: dict[str, Any], monkeypatch: pytest.MonkeyPatch, prefect_server: None
) -> None:
    """What Prefect 3.9 gives: tasks run client-side (their states go out as events), so the
    publication commits without the server; the next API call (the night's Prefect artifact)
    fails after its retries, and the run ends non-zero before the night is marked complete.
    Prefect's record of the run stays "Running" (its final state could not be sent), and
    the process exits only once its events worker has given up on each pending event (about
    7 s each, not configurable). The workspace knows better than Prefect: the night is not
    complete, so the catch-up scores it again, and a rerun completes it with the same rows."""
    from flows.score import score_flow

    run: Run = vanished_api["run"]
    home: Path = vanished_api["home"]
    before, after = vanished_api["before"], vanished_api["after"]
    assert run.status == 1, run.stderr
    assert len(run.lines) == 1 and run.lines[0].startswith("error: "), run.stderr
    assert "Traceback" not in run.stderr
    error_seconds = vanished_api["error_seconds"]
    assert error_seconds is not None
    _old_night_untouched(before, after, home)
    # The new night's rows are published whole (one run's, every enterprise once), not complete.
    new = after["rows"][NEW_NIGHT]
    assert new["run_id"].nunique() == 1 and new["enterprise_id"].is_unique
    assert len(new) == len(before["rows"][OLD_NIGHT])
    assert pd.isna(after["runs"].loc[NEW_NIGHT, "completed_at"])
    assert not night_complete(Settings(home=home), NEW_NIGHT)

    _workspace_env(monkeypatch, home)
    score_flow(as_of=dt.date.fromisoformat(NEW_NIGHT))
    assert night_complete(Settings(home=home), NEW_NIGHT)
    rerun = rankings.read_ranking(home / "ews.db", NEW_NIGHT)
    pd.testing.assert_frame_equal(
        rerun.drop(columns=["run_id"]).reset_index(drop=True),
        new.drop(columns=["run_id"]).reset_index(drop=True),
    )


@pytest.mark.slow
@pytest.mark.parametrize("case", ["closed_api", "vanished_api"])
def test_f18_the_error_line_names_prefect_and_its_address(case: str, request: pytest.FixtureRequest) -> None:
    outcome = request.getfixturevalue(case)
    line = outcome["run"].lines[0]
    assert "Prefect" in line and outcome["url"].removesuffix("/api") in line
