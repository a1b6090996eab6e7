"""Benchmark: the training table from the whole history or a range of months at a time, in memory or on disk.

Run: `.venv/bin/python benchmarks/bench_training_table.py --store DIR --as-of YYYY-MM-DD
[--origins 12] [--ways memory disk ranges]` with `DIR` an ingested store (a workspace's
`store/`). Each way runs in its own child process and builds the frame of the default
recipe (`models.backtest.build_training_frame`, `--origins` backtest origins):

- `memory`: the whole store read first (`Store.load_*`), the table in memory (before);
- `disk`: the same read, the table streamed to disk (`EWS_TRAINING_ON_DISK`);
- `ranges`: what the train flow does now: the indicators read a range of as-of months at a
  time (`Store.indicator_windows`), the table on disk, and the store's content digest
  (streamed a range of months at a time) timed apart.

For tables on disk it also reads back the rows of the earliest and the latest backtest
origin as two fits would (`TrainingFrame.through`). Printed per way: wall time of the
build, peak RSS of the process after the read and after the build, rows, the file's size.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


WAYS = ("memory", "disk", "ranges")


def build(store_dir: str, as_of: str, origins: int, way: str) -> dict[str, Any]:
    """One build in this process; its figures."""
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from data.store import Store
    from features.build import WINDOW_MONTHS, Indicators
    from models.backtest import build_training_frame
    from models.train import ModelParams

    store = Store(Path(store_dir))
    figures: dict[str, Any] = {}
    started = time.monotonic()
    indicators: Indicators
    if way == "ranges":
        indicators = store.indicator_windows(pd.Timestamp(as_of), WINDOW_MONTHS)
        t0 = time.monotonic()
        store.content_digest()
        figures["digest_seconds"] = round(time.monotonic() - t0, 1)
    else:
        indicators = store.load_indicators()
    enterprises, incidents = store.load_enterprises(), store.load_incidents()
    figures["read_seconds"] = round(time.monotonic() - started, 1)
    read_mb = _peak_mb()
    params = ModelParams(backtest_origins=origins)
    on_disk = way != "memory"
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "training.parquet" if on_disk else None
        started = time.monotonic()
        frame = build_training_frame(
            enterprises, indicators, incidents, as_of=pd.Timestamp(as_of), params=params, on_disk=path
        )
        seconds = time.monotonic() - started
        figures.update(build_seconds=round(seconds, 1), peak_after_read_mb=round(read_mb))
        if on_disk:
            assert path is not None
            figures["file_mb"] = round(path.stat().st_size / 2**20, 1)
            figures["peak_after_build_mb"] = round(_peak_mb())
            origins_ = frame.origins(origins)
            for name, origin in (("first_origin", origins_[0]), ("last_origin", origins_[-1])):
                t0 = time.monotonic()
                rows = len(frame.through(origin).table)
                figures[f"{name}_rows"] = rows
                figures[f"{name}_read_seconds"] = round(time.monotonic() - t0, 1)
            figures["rows"] = len(frame.table)
        else:
            figures["rows"] = len(frame.table)
            figures["peak_after_build_mb"] = round(_peak_mb())
    figures["peak_mb"] = round(_peak_mb())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--origins", type=int, default=12)
    parser.add_argument("--ways", nargs="+", choices=WAYS, default=list(WAYS))
    parser.add_argument("--child", choices=WAYS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(build(args.store, args.as_of, args.origins, args.child)))
        return
    results = {}
    for way in args.ways:
        run = subprocess.run(
            [
                sys.executable,
                __file__,
                "--store",
                args.store,
                "--as-of",
                args.as_of,
                "--origins",
                str(args.origins),
                "--child",
                way,
            ],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            killed = " (killed: out of memory?)" if run.returncode < 0 else ""
            sys.exit(f"{way} failed with status {run.returncode}{killed}:\n{run.stderr[-3000:]}")
        results[way] = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"{way}: {results[way]}", file=sys.stderr)
    results["machine"] = f"{platform.machine()}, Python {platform.python_version()}"
    print(json.dumps(results))


if __name__ == "__main__":
    main()
