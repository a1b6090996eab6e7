"""Benchmark: `ews train` with its 12-origin rolling backtest on the demo world.

Run: `.venv/bin/python benchmarks/bench_train.py [--origins 12]`. Simulates and ingests the
demo world into a temporary workspace (not timed), then times `ews train` in a subprocess
and reports its wall time and peak resident memory, as a Markdown row for
docs/benchmarks.md. Goal: a monthly retrain fits in a night on 2 cores (< 10 min, < 6 GB).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--origins", type=int, default=12)
    args = parser.parse_args()
    ews = str(Path(sys.executable).with_name("ews"))
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "EWS_HOME": home}
        env.pop("MLFLOW_TRACKING_URI", None)
        env.pop("PREFECT_API_URL", None)
        source = Path(home) / "source"
        subprocess.run(
            [ews, "simulate", "--preset", "demo", "--out", str(source), "--format", "parquet"],
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run([ews, "ingest", str(source)], env=env, check=True, capture_output=True)
        code = (
            "import sys; from cli.main import _settings; _settings(); "
            "from flows.train import train_flow; from models.train import ModelParams; "
            f"s = train_flow(as_of='2026-11-25', params=ModelParams(backtest_origins={args.origins}), "
            f"truth='{source / 'truth' / 'true_hazard.parquet'}'); print(s['learner']); print(s['backtest'])"
        )
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
        load_after = os.getloadavg()[0]
    if result.returncode != 0:
        sys.exit(f"train failed: {result.stderr.strip().splitlines()[-1:]}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    *_, learner, backtest = result.stdout.strip().splitlines()
    print(f"learner: {learner}")
    print(backtest)
    # Other work on the machine slows the run: the 1-minute load average before and after it.
    print(f"load average: {load_before:.1f} before, {load_after:.1f} after")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(
        f"| ews train, {args.origins}-origin backtest, demo world | {wall:.0f} s | {peak_mb:,.0f} MB | {machine} |"
    )


if __name__ == "__main__":
    main()
