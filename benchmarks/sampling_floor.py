"""Benchmark: does keeping every negative of a small world rank its untreated risk better?

Run: `.venv/bin/python -m benchmarks.sampling_floor [--preset tiny] [--seeds 0 1 2 3 4]
[--as-of 2022-12-31] [--months 12]`. For each world seed the world is simulated and
ingested; the registered learner (the blend) is fitted as of `--as-of` as `ews train` fits
its final model, once with the default `min_negative_rows` (a small world keeps every
negative) and once with 0 (8% of them sampled, as before the floor); both score every
enterprise at each of the next `--months` month ends from what was known then. Judged
against the simulator's true probability of a stoppage in the next 3 months: top-k capture
(the share of the oracle's expected stoppages the top 1% holds) and PR-AUC against the
realized stoppages, pooled over the months (`benchmarks.bench_action_loop`'s yardstick).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import simulator as sim
from benchmarks.bench_action_loop import Typed, capture, ingested, untreated_rows
from judging import metrics
from models.backtest import BLEND, build_training_frame, candidate_params, fit_at, predict_rows
from models.train import ModelParams
from vocab.terms import DEFAULT_CAPACITY


def judged(
    typed: Typed, evaluation: pd.DataFrame, as_of: pd.Timestamp, floor: int
) -> tuple[float, float, float, int]:
    """Capture, PR-AUC, negative rate and training rows of the blend fitted under `floor`."""
    params = ModelParams(backtest_origins=0, learner="blend", min_negative_rows=floor)
    frame = build_training_frame(
        typed.enterprises, typed.indicators, typed.incidents, as_of=as_of, params=params
    )
    model = fit_at(frame, frame.as_of, BLEND).model
    score = predict_rows(model, evaluation, candidate_params(frame.params, BLEND))
    return (
        capture(evaluation, score, DEFAULT_CAPACITY),
        metrics.average_precision(evaluation["y"].to_numpy(), score),
        frame.params.negative_rate,
        len(frame.table),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--as-of", default="2022-12-31")
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    as_of = pd.Timestamp(args.as_of)
    days = pd.date_range(as_of + pd.Timedelta(days=1), periods=args.months, freq="ME")
    rows_out: list[str] = []
    gaps = []
    began = time.monotonic()
    for seed in args.seeds:
        world = sim.simulate(args.preset, seed=seed)
        with tempfile.TemporaryDirectory(prefix="ews-floor-") as tmp:
            typed = ingested(world, Path(tmp))
        evaluation = untreated_rows(typed, days, ModelParams().horizon_months)
        # The default floor (a small world keeps every negative) against none (8% sampled).
        kept, sampled = (
            judged(typed, evaluation, as_of, floor) for floor in (ModelParams().min_negative_rows, 0)
        )
        gaps.append(kept[0] - sampled[0])
        rows_out.append(
            f"| {seed} | {kept[0]:.3f} | {sampled[0]:.3f} | {kept[1]:.3f} | {sampled[1]:.3f} | "
            f"{kept[3]:,} (rate {kept[2]:.2f}) / {sampled[3]:,} |"
        )
    print(
        f"{args.preset}, trained as of {as_of.date()}, scored at {args.months} month ends; "
        f"{platform.machine()}, Python {platform.python_version()}; {time.monotonic() - began:.0f} s\n"
    )
    print(
        "| seed | capture, every negative | capture, 8% | PR-AUC, every negative | PR-AUC, 8% "
        "| training rows |\n|---|---|---|---|---|---|"
    )
    print("\n".join(rows_out))
    a = np.asarray(gaps)
    print(
        f"\ncapture gap (every negative − 8%): mean {a.mean():+.3f}, sd {a.std(ddof=1) if a.size > 1 else 0:.3f}, "
        f"{(a > 0).sum()} of {a.size} worlds above 0"
    )


if __name__ == "__main__":
    main()
