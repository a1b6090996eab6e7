"""Forward runs on simulated worlds: trained as of D, then scored month by month after D.

Run: `.venv/bin/python benchmarks/forward_worlds.py --preset demo --seed 4 [--as-of 2025-06-25]
[--from 2025-06 --to 2026-07]`. The world is simulated and ingested into a temporary store;
the blend is fitted once as of D by `models.backtest.fit_at`, the one training path, and it
and each of its members (`hgb`, `logistic`, the plain GBM on simple features
`reference_gbm`) score every month end in the range with the features known at that month
end (`judging.evaluate.month_end_rows`, as `ews evaluate` builds them). Outcomes are the training labels' definition with everything the
store knows. Printed: PR-AUC over all months' rows and the share of stoppages caught in each
month's top 1%, per learner and for the true hazard (the ceiling), as Markdown rows.

This is what `ews train --as-of D`, `ews backfill` and `ews evaluate` do for the champion,
without MLflow or Prefect, for every learner at once.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import simulator as simulate
from data.ingest import ingest
from data.store import Store
from judging import metrics
from judging.evaluate import month_end_rows, month_ends_between, outcomes_known_until
from models.backtest import BLEND, build_training_frame, candidate_params, fit_at, predict_rows
from models.blend import blend_members
from models.train import ModelParams, predict


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--as-of", default="2025-06-25")
    parser.add_argument("--from", dest="first", default="2025-06")
    parser.add_argument("--to", dest="last", default="2026-07")
    parser.add_argument("--capacity", type=float, default=0.01)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        world = simulate.simulate(args.preset, seed=args.seed)
        source = Path(tmp) / "source"
        simulate.write_source(world, source, "parquet")
        store = Store(Path(tmp) / "store")
        ingest(str(source), store)
        enterprises, indicators, incidents = (
            store.load_enterprises(),
            store.load_indicators(),
            store.load_incidents(),
        )
        hazard = pd.read_parquet(
            source / "truth" / "true_hazard.parquet", columns=["enterprise_id", "month", "hazard"]
        )
    params = ModelParams(backtest_origins=0)
    frame = build_training_frame(
        enterprises, indicators, incidents, as_of=pd.Timestamp(args.as_of), params=params
    )
    known_until = outcomes_known_until(indicators, incidents)
    parts = []
    for day in month_ends_between(args.first, args.last):
        if day + pd.DateOffset(months=params.horizon_months) > known_until:
            raise SystemExit(f"{day.date()}: its outcome window is not closed by {known_until.date()}")
        parts.append(
            month_end_rows(
                enterprises,
                indicators,
                incidents,
                day,
                horizon_months=params.horizon_months,
                kinds=params.target_kinds,
                cutoff=known_until,
            )
        )
    rows = pd.concat(parts, ignore_index=True)
    # The registered kind of model, and each of its members on its own.
    blend = fit_at(frame, frame.as_of, BLEND).model
    scores = {name: predict(member, rows, columns) for name, columns, member, _ in blend_members(blend)}
    scores[BLEND] = predict_rows(blend, rows, candidate_params(params, BLEND))
    scores["true_hazard"] = metrics.true_probability(
        hazard, rows[["as_of", "enterprise_id"]], horizon_months=params.horizon_months
    )
    y, as_of = rows["y"].to_numpy(), rows["as_of"].to_numpy()
    closed = np.isfinite(y)
    print(
        f"{args.preset} seed {args.seed}: trained as of {args.as_of}, month ends {args.first}..{args.last}, "
        f"{int(y[closed].sum())} positive rows, {time.monotonic() - started:.0f} s"
    )
    print("| world | model | PR-AUC | caught in top 1% |")
    print("|---|---|---|---|")
    for name, p in scores.items():
        top = metrics.top_k_mask(as_of[closed], p[closed], args.capacity)
        pr_auc = metrics.average_precision(y[closed], p[closed])
        caught = metrics.top_k_metrics(y[closed], top)["recall_at_k"]
        print(f"| {args.preset} seed {args.seed} | {name} | {pr_auc:.4f} | {caught:.3f} |")


if __name__ == "__main__":
    main()
