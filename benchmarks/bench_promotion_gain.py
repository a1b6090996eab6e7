"""Benchmark: the paired bootstrap that decides a promotion, at the size of a national backtest.

Run: `.venv/bin/python benchmarks/bench_promotion_gain.py [--rows 10800000] [--months 12]
[--boot 200] [--reference-draws 3] [--seed 0]`

A monthly retraining with a champion in the registry compares the challenger's PR-AUC with
the champion's on every backtest row, over `--boot` resamples of whole months
(`judging.metrics.paired_bootstrap_gain`, 200 in the flow). The rows here are synthetic: a
score for each model (the challenger's a little better), a stoppage rate of 0.2%, rows spread
evenly over `--months` as-of months; the default is the size of the national 12-origin
backtest (10.8 million rows).

Timed: the whole function as the flow calls it; and the definition it replaces, the drawn
months' rows gathered and scored again with scikit-learn's `average_precision_score`, for
its point and `--reference-draws` resamples (the whole 200 would take tens of minutes):
its time for `--boot` resamples is projected as point + boot × the mean time of a draw.
The two points are printed side by side (they must agree to rounding).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from sklearn.metrics import average_precision_score

    from judging.metrics import paired_bootstrap_gain

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_800_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--boot", type=int, default=200)
    parser.add_argument("--reference-draws", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    as_of = np.repeat(np.arange(args.months), -(-args.rows // args.months))[: args.rows]
    y = (rng.random(args.rows) < 0.002).astype(np.float64)
    champion = rng.random(args.rows) + 0.8 * y
    challenger = rng.random(args.rows) + 1.0 * y

    started = time.perf_counter()
    got = paired_bootstrap_gain(y, challenger, champion, as_of, n_boot=args.boot, seed=args.seed)
    seconds = time.perf_counter() - started

    started = time.perf_counter()
    point = average_precision_score(y, challenger) - average_precision_score(y, champion)
    point_seconds = time.perf_counter() - started
    rows_of = [np.flatnonzero(as_of == m) for m in range(args.months)]
    draw = np.random.default_rng(args.seed)
    started = time.perf_counter()
    for _ in range(args.reference_draws):
        rows = np.concatenate([rows_of[i] for i in draw.integers(0, args.months, args.months)])
        average_precision_score(y[rows], challenger[rows]) - average_precision_score(y[rows], champion[rows])
    per_draw = (time.perf_counter() - started) / max(1, args.reference_draws)

    figures = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "rows": args.rows,
        "months": args.months,
        "boot": args.boot,
        "seconds": round(seconds, 1),
        "gain": got,
        "reference_point": point,
        "reference_point_seconds": round(point_seconds, 1),
        "reference_seconds_a_draw": round(per_draw, 2),
        "reference_projected_seconds": round(point_seconds + args.boot * per_draw, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
