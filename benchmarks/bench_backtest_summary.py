"""Benchmark: the bootstrap of a training summary, at the size of a national backtest.

Run: `.venv/bin/python benchmarks/bench_backtest_summary.py [--rows 10800000] [--months 12]
[--reference-draws 3] [--seed 0]`

After its backtest, a retraining resamples whole as-of months to put intervals on its
figures (`judging.summary`): the pooled comparison of the candidates (`metrics.compare`,
100 draws), the comparison within provinces, sectors and ownerships (`compare_slices`, 50
draws) and, with a champion in the registry, the challenger's PR-AUC gain that decides the
promotion (`paired_bootstrap_gain`, 200 draws). The rows here are synthetic: three
candidates' scores (one with ties), the checklist's two columns, a stoppage rate of 0.2%,
34 provinces, 6 sectors and 3 ownerships, rows spread evenly over `--months` months; the
default is the size of the national 12-origin backtest (10.8 million rows).

Timed: each of the three calls as the summary makes it. For the gain, also the definition
it replaced, the drawn months' rows gathered and scored again with scikit-learn's
`average_precision_score`, for its point and `--reference-draws` draws (all 200 would take
tens of minutes): its time for 200 is projected as point + 200 × its mean time a draw, and
the two points are printed side by side (they agree to rounding). Run it with
`PYTHONPATH` at an older checkout to time that checkout's code on the same rows.
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
    import pandas as pd
    from sklearn.metrics import average_precision_score

    from judging.metrics import compare, compare_slices, paired_bootstrap_gain

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_800_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--reference-draws", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    n = args.rows
    as_of = np.repeat(
        pd.date_range("2025-01-31", periods=args.months, freq="ME").to_numpy(), -(-n // args.months)
    )[:n]
    y = (rng.random(n) < 0.002).astype(np.float64)
    scores = {
        "hgb": rng.random(n) + 1.0 * y,
        "logistic": np.round(rng.random(n) + 0.6 * y, 3),
        "reference": rng.random(n) + 0.8 * y,
    }
    table = pd.DataFrame(
        {
            "wage_arrears_months": rng.integers(0, 3, n),
            "insurance_debt_months": rng.integers(0, 2, n),
            "province": pd.Categorical(rng.integers(0, 34, n)),
            "sector": pd.Categorical(rng.integers(0, 6, n)),
            "ownership": pd.Categorical(rng.integers(0, 3, n)),
        }
    )
    figures: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "rows": n,
        "months": args.months,
    }

    started = time.perf_counter()
    compare(scores, y, as_of, table, n_boot=100, seed=args.seed)
    figures["compare_100_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    compare_slices(scores, y, as_of, table, n_boot=50, seed=args.seed)
    figures["slices_50_seconds"] = round(time.perf_counter() - started, 1)
    challenger, champion = scores["hgb"], scores["reference"]
    started = time.perf_counter()
    figures["gain"] = paired_bootstrap_gain(y, challenger, champion, as_of, n_boot=200, seed=args.seed)
    figures["gain_200_seconds"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    point = average_precision_score(y, challenger) - average_precision_score(y, champion)
    point_seconds = time.perf_counter() - started
    rows_of = [np.flatnonzero(as_of == m) for m in np.unique(as_of)]
    draw = np.random.default_rng(args.seed)
    started = time.perf_counter()
    for _ in range(args.reference_draws):
        rows = np.concatenate([rows_of[i] for i in draw.integers(0, args.months, args.months)])
        average_precision_score(y[rows], challenger[rows]) - average_precision_score(y[rows], champion[rows])
    per_draw = (time.perf_counter() - started) / max(1, args.reference_draws)
    figures.update(
        reference_point=point,
        reference_seconds_a_draw=round(per_draw, 2),
        reference_200_projected_seconds=round(point_seconds + 200 * per_draw, 1),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    )
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
