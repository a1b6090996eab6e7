"""Rehearse the README's multi-machine recipe on one machine, as one command.

Separate processes stand in for the machines of a provincial or national installation:

- PostgreSQL (`deploy.postgres`) with three databases: ``prefect``, ``mlflow`` and ``ews``;
- the Prefect server, on the ``prefect`` database;
- the MLflow tracking server, on the ``mlflow`` database, serving the models' files itself
  (proxied artifacts), so that every machine reaches them over HTTP;
- a Dask scheduler and two Dask workers (one thread each);
- a Prefect process worker polling the work pool ``ews``;

and the operator's `ews` commands, each a process of its own with the settings every
machine shares (`PREFECT_API_URL`, `MLFLOW_TRACKING_URI`, `EWS_DB_URL`, `EWS_DASK_ADDRESS`,
`EWS_HOME` on a shared folder): simulate a tiny world, ingest it, train (the backtest's
fits run on the Dask workers), deploy the schedules to the pool, run one nightly scoring
through the worker, and read the ranking back from PostgreSQL with `ews rank`.

    python -m deploy.rehearse [--keep DIR]

Prints one JSON summary (steps with their seconds, what each service saw) and exits 0; a
failed step exits 1 with one line naming the step and its log file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy.postgres import Server, free_port, local_postgres

#: The tiny world's training date and the night scored (as the end-to-end tests do).
AS_OF = "2025-01-25"
POOL = "ews"


class StepFailed(RuntimeError):
    """One step of the rehearsal failed; the message names it and its log."""


def _answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class Cluster:
    """The running services and the settings every machine of the installation shares."""

    root: Path
    postgres: Server
    env: dict[str, str]
    dask_address: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def log(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"

    def machine(self, name: str) -> dict[str, str]:
        """The environment of one machine: the shared settings, its own Prefect home."""
        home = self.root / "machines" / name / "prefect"
        home.mkdir(parents=True, exist_ok=True)
        return {**self.env, "PREFECT_HOME": str(home)}

    def start(self, name: str, args: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start a long-running service process, its output in `logs/<name>.log`."""
        self.log(name).parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log(name), "ab")  # noqa: SIM115 - the process owns it until stopped
        proc = subprocess.Popen(list(args), env=env, stdout=out, stderr=subprocess.STDOUT, cwd=self.root)
        out.close()
        self.processes[name] = proc
        return proc

    def wait_http(self, name: str, url: str, seconds: float = 180) -> None:
        started = time.monotonic()
        while not _answers(url):
            proc = self.processes[name]
            if proc.poll() is not None:
                raise StepFailed(f"{name} exited at start (status {proc.returncode}); see {self.log(name)}")
            if time.monotonic() - started > seconds:
                raise StepFailed(f"{name} did not answer {url} within {seconds:.0f} s; see {self.log(name)}")
            time.sleep(0.5)
        self.timings[f"start {name}"] = round(time.monotonic() - started, 1)

    def stop(self) -> None:
        """Stop every service, workers first; escalate to SIGKILL after 20 s (a Prefect
        worker may ignore SIGTERM, as measured with Prefect 3.9)."""
        for name, proc in reversed(list(self.processes.items())):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            self.processes.pop(name)


def _bin(name: str) -> str:
    """A console script of this interpreter's environment (ews, prefect, mlflow, dask)."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else name


@contextlib.contextmanager
def cluster(root: Path, workers: int = 2) -> Iterator[Cluster]:
    """Start PostgreSQL, the Prefect and MLflow servers, a Dask scheduler and `workers` workers."""
    with local_postgres() as pg:
        prefect_db = pg.url(database="prefect", driver="postgresql+asyncpg")
        pg.create_database("prefect")
        mlflow_db = pg.create_database("mlflow")
        ews_db = pg.create_database("ews")
        prefect_port, mlflow_port, dask_port = free_port(), free_port(), free_port()
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PREFECT_", "MLFLOW_", "EWS_", "DASK_"))
        }
        env = {
            **base,
            "PREFECT_API_URL": f"http://127.0.0.1:{prefect_port}/api",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{mlflow_port}",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "1",
            "EWS_DB_URL": ews_db,
            "EWS_DASK_ADDRESS": f"tcp://127.0.0.1:{dask_port}",
            "EWS_HOME": str(root / "shared-home"),
        }
        found = Cluster(root=root, postgres=pg, env=env, dask_address=env["EWS_DASK_ADDRESS"])
        try:
            server_env = {
                **found.machine("prefect-server"),
                "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db,
            }
            server_env.pop("PREFECT_API_URL")
            found.start(
                "prefect-server",
                [_bin("prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(prefect_port)],
                server_env,
            )
            found.start(
                "mlflow-server",
                [
                    _bin("mlflow"), "server", "--backend-store-uri", mlflow_db,
                    "--artifacts-destination", str(root / "mlflow-artifacts"), "--serve-artifacts",
                    "--host", "127.0.0.1", "--port", str(mlflow_port), "--workers", "1",
                ],
                {**found.machine("mlflow-server"), "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
            )  # fmt: skip
            found.start(
                "dask-scheduler",
                [
                    _bin("dask"),
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(dask_port),
                    "--no-dashboard",
                ],
                found.machine("dask-scheduler"),
            )
            for i in range(1, workers + 1):
                found.start(
                    f"dask-worker-{i}",
                    [
                        _bin("dask"), "worker", env["EWS_DASK_ADDRESS"], "--nthreads", "1", "--nworkers", "1",
                        "--host", "127.0.0.1", "--no-dashboard",
                        "--local-directory", str(root / "machines" / f"dask-worker-{i}" / "scratch"),
                    ],
                    found.machine(f"dask-worker-{i}"),
                )  # fmt: skip
            found.wait_http("prefect-server", f"{env['PREFECT_API_URL']}/health")
            found.wait_http("mlflow-server", f"{env['MLFLOW_TRACKING_URI']}/health")
            _wait_for_dask(found, workers)
            yield found
        finally:
            found.stop()


def _wait_for_dask(found: Cluster, workers: int) -> None:
    from distributed import Client

    started = time.monotonic()
    try:
        with Client(found.dask_address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
    except (OSError, TimeoutError) as exc:
        raise StepFailed(
            f"the Dask cluster did not come up: {exc}; see {found.log('dask-scheduler')}"
        ) from exc
    found.timings["start dask"] = round(time.monotonic() - started, 1)


def dask_work(address: str) -> dict[str, int]:
    """How many task transitions each Dask worker went through (0: it never worked)."""
    from distributed import Client

    with Client(address, timeout=30) as client:
        counts = client.run(lambda dask_worker: int(dask_worker.state.transition_counter))
    return {str(worker): int(count) for worker, count in counts.items()}


def run_step(found: Cluster, name: str, machine: str, args: Sequence[str], seconds: float = 900) -> str:
    """Run one `ews` command on `machine`; its output is logged; a failure raises StepFailed."""
    started = time.monotonic()
    log = found.log(f"step-{name}")
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            list(args),
            env=found.machine(machine),
            capture_output=True,
            text=True,
            timeout=seconds,
            cwd=found.root,
        )
    except subprocess.TimeoutExpired as exc:
        raise StepFailed(f"step {name} did not end within {seconds:.0f} s") from exc
    log.write_text(f"$ {' '.join(args)}\n{done.stdout}\n--- stderr\n{done.stderr}", encoding="utf-8")
    found.timings[name] = round(time.monotonic() - started, 1)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise StepFailed(f"step {name} exited {done.returncode}: {last}; see {log}")
    return done.stdout


def _score_through_worker(found: Cluster) -> dict[str, Any]:
    """Run the nightly-scoring deployment once and wait for the pool's worker to finish it."""
    code = (
        "import json, sys\n"
        "from prefect.deployments import run_deployment\n"
        "run = run_deployment('score/nightly-scoring', parameters={'as_of': sys.argv[1], 'scheduled': False},"
        " timeout=900)\n"
        "print(json.dumps({'state': run.state.type.value if run.state else None, 'name': run.name}))\n"
    )
    out = run_step(found, "score-by-worker", "operator", [sys.executable, "-c", code, AS_OF], seconds=960)
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if result["state"] != "COMPLETED":
        raise StepFailed(
            f"the nightly scoring run ended {result['state']}; see {found.log('prefect-worker')}"
        )
    return result


def _workspace_db(found: Cluster) -> dict[str, Any]:
    """What the workspace database on PostgreSQL holds, read directly (not through `ews`),
    and whether a SQLite file appeared in the shared folder instead (it must not)."""
    import sqlalchemy as sa

    engine = sa.create_engine(found.env["EWS_DB_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT count(*) FROM scores WHERE as_of = :d"), {"d": AS_OF}
            ).scalar()
            backend = conn.dialect.name
    finally:
        engine.dispose()
    sqlite_files = sorted(p.name for p in Path(found.env["EWS_HOME"]).glob("*.db"))
    return {"backend": backend, "scores_rows": int(rows or 0), "sqlite_files": sqlite_files}


def rehearse(root: Path, workers: int = 2) -> dict[str, Any]:
    """Run the whole recipe under `root`; return what each step and service showed."""
    ews = _bin("ews")
    with cluster(root, workers=workers) as found:
        source = root / "source"
        run_step(found, "simulate", "operator", [ews, "simulate", "--preset", "tiny", "--seed", "1",
                                                 "--out", str(source), "--format", "parquet"])  # fmt: skip
        run_step(found, "ingest", "operator", [ews, "ingest", str(source), "--json"])
        before = dask_work(found.dask_address)
        trained = json.loads(
            run_step(found, "train", "operator", [ews, "train", "--as-of", AS_OF, "--origins", "2", "--json"])
        )
        after = dask_work(found.dask_address)
        run_step(found, "deploy", "operator", [ews, "deploy", "--pool", POOL])
        found.start(
            "prefect-worker", [_bin("prefect"), "worker", "start", "--pool", POOL], found.machine("worker-1")
        )
        scored = _score_through_worker(found)
        ranking = json.loads(
            run_step(
                found, "rank", "analyst", [ews, "rank", "--as-of", AS_OF, "--top", "5", "--format", "json"]
            )
        )
        return {
            "timings_s": found.timings,
            "workspace_db": _workspace_db(found),
            "train": {k: trained.get(k) for k in ("version", "promoted", "learner", "backtest_origins")},
            "dask_transitions_during_train": {w: after.get(w, 0) - before.get(w, 0) for w in after},
            "scoring_run": scored,
            "ranking_top": [row.get("enterprise_id") for row in ranking][:5],
            "services": {
                "postgres_port": found.postgres.port,
                "prefect_api": found.env["PREFECT_API_URL"],
                "mlflow": found.env["MLFLOW_TRACKING_URI"],
                "dask": found.dask_address,
            },
        }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--keep", type=Path, help="Run in this folder and keep it (default: a temporary one)."
    )
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (default 2).")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="ews-rehearsal-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        summary = rehearse(root.resolve(), workers=args.workers)
    except StepFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
