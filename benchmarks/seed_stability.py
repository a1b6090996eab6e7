"""Benchmark: how much the training seed moves the ranking (reliability matrix STB2).

Run: `.venv/bin/python benchmarks/seed_stability.py [--preset demo] [--seed-world 0]
[--seeds 0 1 2 3 4] [--negative-rate R]`. One world is simulated and ingested; for each
training seed the training frame is built and the registered learner (the blend) fitted as of `--as-of`
exactly as `ews train` fits its final model (no backtest), and the enterprises operating at
that date are scored. Against the first seed: the Jaccard index of the top K (K the
analysts' monthly capacity, 1%) and of the top 5%, and Kendall's tau of the full ranking.
The matrix asks for Jaccard ≥ 0.8 and tau ≥ 0.9. The seed acts only through the samples of
negatives the fit sees (`tests/reliability/test_model_robustness.py`).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

import simulator as sim
from data.ingest import ingest
from data.store import Store
from features.build import build_features, known_at
from features.sets import feature_set
from models.backtest import BLEND, build_training_frame, candidate_params, fit_at
from models.train import ModelParams, predict
from vocab.terms import DEFAULT_CAPACITY, capacity_count


def _top(scores: np.ndarray, k: int) -> set[int]:
    return set(np.argsort(-scores, kind="stable")[:k].tolist())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--seed-world", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--as-of", default="2025-01-25")
    parser.add_argument(
        "--negative-rate", type=float, help="share of negatives sampled (default: ModelParams' own)"
    )
    args = parser.parse_args()
    as_of = pd.Timestamp(args.as_of)
    with tempfile.TemporaryDirectory(prefix="ews-stb2-") as tmp:
        root = Path(tmp)
        sim.write_source(sim.simulate(args.preset, seed=args.seed_world), root / "source", "parquet")
        store = Store(root / "store")
        ingest(str(root / "source"), store)
        enterprises, indicators, incidents = (
            store.load_enterprises(),
            store.load_indicators(),
            store.load_incidents(),
        )
    known_ind, known_inc = known_at(indicators, incidents, as_of)
    month = build_features(enterprises, known_ind, known_inc, [as_of])
    scores, seconds = [], []
    for seed in args.seeds:
        started = time.monotonic()
        params = ModelParams(seed=seed, backtest_origins=0)
        if args.negative_rate is not None:
            params = params.model_copy(update={"negative_rate": args.negative_rate})
        frame = build_training_frame(enterprises, indicators, incidents, as_of=as_of, params=params)
        columns = feature_set(candidate_params(params, BLEND).feature_set)
        scores.append(predict(fit_at(frame, frame.as_of, BLEND).model, month, columns))
        seconds.append(time.monotonic() - started)
    first = scores[0]
    k = capacity_count(len(first), DEFAULT_CAPACITY)
    k5 = max(1, round(0.05 * len(first)))
    print(
        f"STB2 on {args.preset} (world seed {args.seed_world}), as of {as_of.date()}: {len(first)} enterprises, "
        f"K = {k}, negative rate {frame.params.negative_rate:g}; {platform.machine()}, Python {platform.python_version()}; "
        f"{np.mean(seconds):.0f} s a training"
    )
    print("\n| seed | top-K Jaccard | top-5% Jaccard | Kendall tau |\n|---|---|---|---|")
    for seed, other in zip(args.seeds[1:], scores[1:], strict=True):
        jaccard = len(_top(first, k) & _top(other, k)) / len(_top(first, k) | _top(other, k))
        jaccard5 = len(_top(first, k5) & _top(other, k5)) / len(_top(first, k5) | _top(other, k5))
        tau = float(kendalltau(first, other).statistic)
        print(f"| {seed} vs {args.seeds[0]} | {jaccard:.3f} | {jaccard5:.3f} | {tau:.3f} |")


if __name__ == "__main__":
    main()
