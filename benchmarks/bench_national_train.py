"""Benchmark: the national monthly retraining (backtest included), serial or on 1 or N Dask workers.

Run: `.venv/bin/python benchmarks/bench_national_train.py [--scale 1.0] [--workers 0 1 2]
[--origins 12] [--as-of YYYY-MM-DD] [--out DIR]`

Steps, each in its own child process:

1. **World and store**, not timed here: the `national` world at `--scale`, written and ingested
   province by province exactly as `bench_national.py` does (its cached folders under
   ``OUT/national-s<seed>-x<scale>`` and the ingested store of its scoring workspace are reused
   when they are there; otherwise that benchmark's steps are run, without its scoring).
2. **Retraining**, timed, once per value of `--workers`, in a fresh workspace that shares the
   ingested store (hard links): ``flows.train.train_flow`` with the default recipe (the blend's
   three members, `--origins` monthly origins, promotion "auto"), as the monthly deployment
   runs it, with ``EWS_TRAINING_ON_DISK=1`` (the training table streamed to the workspace) and
   ``EWS_DASK_WORKERS=N`` (0: the serial default), on a Prefect server on 127.0.0.1, as of the
   25th of the month after the world's end, or of `--as-of` (an earlier date trains on fewer
   months of history: the cost curve in months).

Recorded: wall time, the peak resident memory of the whole process tree (sampled every 0.5 s:
the training process, its Dask workers and their children), and, from Prefect's records of the run, the duration of each task: the table's build, each
``backtest-fit[origin, member]`` (with Dask workers) and the final fit. The projection to M
machines of W single-threaded workers each (printed for 1, 2, 4 and 8 machines of 2 workers) is
the run's time outside the backtest plus the makespan of the measured fits scheduled longest
first on M × W slots, plus the overhead measured here (the fits' span on the cluster, from
the first one's start to the last one's end, minus their makespan on the run's own workers);
it assumes the workers read the training table from shared storage at the speed of a local
disk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_national  # noqa: E402  (a sibling benchmark script)


class TreePeak:
    """The peak resident memory of this process and all its descendants, sampled in a thread."""

    def __init__(self, interval: float = 0.5) -> None:
        import psutil

        self._root = psutil.Process()
        self._interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> float:
        import psutil

        total = 0
        for process in [self._root, *self._root.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._sample())
            self._stop.wait(self._interval)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._sample())


def _task_durations(flow_run_id: str) -> list[dict[str, Any]]:
    """Name and seconds of each task run of the flow run, from the Prefect server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[uuid.UUID(flow_run_id)]))
        )
    timed = [run for run in runs if run.total_run_time is not None]
    starts = [run.start_time for run in timed if run.start_time is not None]
    origin = min(starts) if starts else None

    def offset(at: Any) -> float | None:
        return None if at is None or origin is None else round((at - origin).total_seconds(), 2)

    return sorted(
        (
            {
                "name": run.name,
                "seconds": round(float(run.total_run_time.total_seconds()), 2),
                "start": offset(run.start_time),
                "end": offset(run.end_time),
            }
            for run in timed
        ),
        key=lambda r: r["name"],
    )


def train_once(as_of: str, origins: int) -> dict[str, Any]:
    """One retraining through the real flow (this process), with its figures."""
    bench_national._configure()
    from flows.train import train_flow
    from models.train import ModelParams

    params = ModelParams(backtest_origins=origins)
    with TreePeak() as peak:
        started = time.monotonic()
        state = train_flow(
            as_of=dt.date.fromisoformat(as_of), promote="auto", params=params, return_state=True
        )
        seconds = time.monotonic() - started
    summary = state.result()
    tasks = _task_durations(str(state.state_details.flow_run_id))
    return {
        "seconds": round(seconds, 1),
        "peak_tree_mb": round(peak.peak_mb),
        "version": str(summary.get("version")),
        "learner": summary.get("learner"),
        "backtest_origins": summary.get("backtest_origins"),
        "metrics": summary.get("metrics"),
        "tasks": tasks,
    }


def _makespan(costs: list[float], slots: int) -> float:
    """Longest-first list scheduling of `costs` on `slots` identical workers."""
    loads = [0.0] * max(1, slots)
    heapq.heapify(loads)
    for cost in sorted(costs, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + cost)
    return max(loads)


def projection(run: dict[str, Any], workers: int, per_machine: int = 2) -> dict[str, Any] | None:
    """Time on M machines of `per_machine` workers from a run on `workers` local Dask workers
    (see the docstring). `run` passes this machine's cores over the threads a fit used: on 2
    cores, 2 single-thread workers a machine, or 1 whose fits use both (`--fit-threads 2`)."""
    fits = [t["seconds"] for t in run["tasks"] if t["name"].startswith("backtest-fit[")]
    if not fits or workers < 1:
        return None
    # The backtest's span on the cluster: the fits' first start to their last end when Prefect
    # recorded them, else the whole run minus every task outside the backtest (a task that
    # holds it, if the flow has one, is inside).
    spans = [
        (t["start"], t["end"])
        for t in run["tasks"]
        if t["name"].startswith("backtest-fit[") and t.get("start") is not None and t.get("end") is not None
    ]
    if len(spans) == len(fits):
        span = max(e for _, e in spans) - min(s for s, _ in spans)
    else:
        inside = ("backtest-fit[", "rolling-origin-backtest")
        span = run["seconds"] - sum(t["seconds"] for t in run["tasks"] if not t["name"].startswith(inside))
    span = max(span, _makespan(fits, workers))
    overhead = max(0.0, span - _makespan(fits, workers))
    rest = run["seconds"] - span
    return {
        "fits": len(fits),
        "fit_seconds_total": round(sum(fits), 1),
        "fit_seconds_max": round(max(fits), 1),
        "outside_backtest_seconds": round(rest, 1),
        "overhead_seconds": round(overhead, 1),
        "workers_per_machine": per_machine,
        "machines": {
            str(m): round(rest + _makespan(fits, per_machine * m) + overhead, 1) for m in (1, 2, 4, 8)
        },
    }


def _store(out: Path, seed: int, scale: float) -> Path:
    """The ingested store of the national world at `scale` (bench_national's, made if missing)."""
    world = bench_national.world_dir(out, seed, scale)
    store = out / f"{world.name}-workspace" / "score" / "store"
    if not (store.is_dir() and any(store.iterdir())):
        bench_national.run(scale, seed, out, score=False)
    return store


def run_key(workers: int, fit_threads: int) -> str:
    """A run's name in the JSON: its workers, and `xT` when each fit used T threads."""
    return str(workers) if fit_threads == 1 else f"{workers}x{fit_threads}"


def run(
    scale: float,
    seed: int,
    out: Path,
    workers: list[int],
    origins: int,
    as_of: str | None,
    fit_threads: int = 1,
) -> dict[str, Any]:
    from flows.demo import demo_as_of
    from flows.server import local_prefect_server
    from simulator import national_preset

    out = out.resolve()
    store = _store(out, seed, scale)
    as_of = as_of or str(demo_as_of(national_preset(scale).end).date())
    figures: dict[str, Any] = {
        "preset": "national",
        "scale": scale,
        "seed": seed,
        "as_of": as_of,
        "origins": origins,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "runs": {},
    }
    for n in workers:
        key = run_key(n, fit_threads)
        workspace = out / f"national-s{seed}-x{scale:g}-train-w{key}"
        shutil.rmtree(workspace, ignore_errors=True)
        (workspace / "mlflow").mkdir(parents=True)
        (workspace / "prefect").mkdir()
        subprocess.run(["cp", "-al", str(store), str(workspace / "store")], check=True)
        env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PYTHONPATH": str(ROOT)}
        env.update(
            {
                "EWS_HOME": str(workspace),
                "MLFLOW_TRACKING_URI": f"sqlite:///{workspace / 'mlflow' / 'mlflow.db'}",
                "EWS_TRAINING_ON_DISK": "1",
                "EWS_DASK_WORKERS": str(n),
                "EWS_DASK_FIT_THREADS": str(fit_threads),
                "PREFECT_HOME": str(workspace / "prefect"),
            }
        )
        env.pop("EWS_DASK_ADDRESS", None)
        with local_prefect_server(workspace / "prefect") as url:
            env["PREFECT_API_URL"] = url
            load = round(os.getloadavg()[0], 2)
            result = bench_national._child(
                ["--child", "--as-of", as_of, "--origins", str(origins)], env, __file__
            )
            result["load_before"] = load
            result["load_after"] = round(os.getloadavg()[0], 2)
        result["fit_threads"] = fit_threads
        result["projection"] = projection(result, n, max(1, (os.cpu_count() or 2) // fit_threads))
        shutil.rmtree(workspace / "store")  # the hard links; the workspace's runs stay
        figures["runs"][key] = result
        print(f"workers={key}: {result['seconds']} s, {result['peak_tree_mb']:,} MB", file=sys.stderr)
    return figures


def merge_runs(path: Path, figures: dict[str, Any]) -> dict[str, Any]:
    """`figures` with the runs of an earlier sitting of the same world, origins and date kept.

    A full-scale run with 1 and with 2 workers takes hours each, so they are run in separate
    sittings; a run of this sitting replaces the earlier run with the same number of workers.
    """
    if not path.is_file():
        return figures
    earlier = json.loads(path.read_text())
    same = ("preset", "scale", "seed", "as_of", "origins")
    if any(earlier.get(key) != figures.get(key) for key in same):
        return figures
    return {**figures, "runs": {**earlier.get("runs", {}), **figures["runs"]}}


def table(figures: dict[str, Any]) -> str:
    lines = [
        "| Dask workers (x threads a fit) | wall | peak RSS (tree) | fits (sum / max) "
        "| projected on 1 / 2 / 4 / 8 machines (workers each) |",
        "|---|---|---|---|---|",
    ]
    for n, r in figures["runs"].items():
        p = r.get("projection")
        fits = f"{p['fit_seconds_total']} s / {p['fit_seconds_max']} s" if p else "(serial: not split)"
        machines = p.get("machines", p.get("machines_of_2_workers", {})) if p else {}
        each = f" ({p.get('workers_per_machine', 2)} each)" if p else ""
        spread = " / ".join(f"{v} s" for v in machines.values()) + each
        lines.append(f"| {n} | {r['seconds']} s | {r['peak_tree_mb']:,} MB | {fits} | {spread} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--origins", type=int, default=12)
    parser.add_argument(
        "--fit-threads",
        type=int,
        default=1,
        help="threads each backtest fit uses on a Dask worker (EWS_DASK_FIT_THREADS; default 1)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--as-of", help="training date (default: the 25th of the month after the world's end)"
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(train_once(args.as_of, args.origins)))
        return
    figures = run(args.scale, args.seed, args.out, args.workers, args.origins, args.as_of, args.fit_threads)
    name = f"national-train-s{args.seed}-x{args.scale:g}-o{args.origins}-{figures['as_of']}.json"
    path = args.out.resolve() / name
    figures = merge_runs(path, figures)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(figures, indent=2))
    tmp.replace(path)
    print(json.dumps(figures))
    print(table(figures))


if __name__ == "__main__":
    main()
