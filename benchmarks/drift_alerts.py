"""Benchmark: how often the nightly drift check cries wolf, and how soon it sees a real shift.

Run: `.venv/bin/python benchmarks/drift_alerts.py [--preset demo] [--seeds 0 1]`. For
each world: the blend is fitted as of D (`models.backtest.fit_at`), the drift reference is
built from the month ends of the year before D (as training's backtest rows are), and each
month end of the two years after D is checked with `judging.night_checks.night_drift`, the
nightly check itself. Two references are compared: one month (the latest origin, every
feature: what the check used before) and the year pooled with the calendar and
province-wide features left out (what it uses now). Two periods: D = 2025-01-25, a calm
world (false alerts per month), and D = 2021-09-25, before the 2022Q4-2023Q3 order slump
the simulator builds in (months from its start, October 2022, to the first alert).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd

import simulator as sim
from data.ingest import ingest
from data.store import Store
from features.build import build_features, known_at
from features.sets import feature_set
from judging import night_checks
from models.backtest import BLEND, build_training_frame, candidate_params, fit_at, predict_rows
from models.train import ModelParams


def _month_ends(first: pd.Timestamp, months: int) -> list[pd.Timestamp]:
    return [(first + pd.DateOffset(months=k)) + pd.offsets.MonthEnd(0) for k in range(months)]


def _scored(model, frames, day: pd.Timestamp, params: ModelParams) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    enterprises, indicators, incidents = frames
    ind, inc = known_at(indicators, incidents, day)
    rows = build_features(enterprises, ind, inc, [day])
    rows["score"] = predict_rows(model, rows, candidate_params(params, BLEND))
    return rows


def run(frames, as_of: str, months_after: int) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    params = ModelParams(backtest_origins=0)
    day = pd.Timestamp(as_of)
    frame = build_training_frame(*frames, as_of=day, params=params)
    model = fit_at(frame, day, BLEND).model
    before = [_scored(model, frames, d, params) for d in _month_ends(day - pd.DateOffset(months=12), 12)]
    one_month = before[-1]
    pooled = pd.concat(before, ignore_index=True)
    columns = feature_set(candidate_params(params, BLEND).feature_set)
    out = []
    for d in _month_ends(day + pd.DateOffset(months=1), months_after):
        rows = _scored(model, frames, d, params)
        ranking = rows[["enterprise_id", "score"]]
        old = night_checks.monitoring.feature_drift(one_month, rows, list(columns))
        old = pd.concat([old, night_checks.monitoring.score_drift(one_month, ranking)], ignore_index=True)
        new = night_checks.night_drift(pooled, rows, ranking, candidate_params(params, BLEND).feature_set)
        assert new is not None
        out.append(
            {
                "month": f"{d:%Y-%m}",
                "old_alerts": int((old["status"] == "alert").sum()),
                "new_alerts": int((new["status"] == "alert").sum()),
                "new_alerting": ", ".join(new.loc[new["status"] == "alert", "column"].head(3)),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    print(
        "| world | period | months | months with an alert: one-month reference, all features | pooled reference, calendar left out | first alert after the slump began (2022-10) |"
    )
    print("|---|---|---|---|---|---|")
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            world = sim.simulate(args.preset, seed=seed)
            sim.write_source(world, Path(tmp) / "src", "parquet")
            store = Store(Path(tmp) / "store")
            ingest(str(Path(tmp) / "src"), store)
            frames = (store.load_enterprises(), store.load_indicators(), store.load_incidents())
        calm = run(frames, "2025-01-25", 21)
        shift = run(frames, "2021-09-25", 21)
        for label, rows in (("calm 2025-02..2026-10", calm), ("slump 2021-10..2023-06", shift)):
            old = sum(r["old_alerts"] > 0 for r in rows)  # type: ignore[operator]
            new = sum(r["new_alerts"] > 0 for r in rows)  # type: ignore[operator]
            first = next((r["month"] for r in rows if r["new_alerts"] and str(r["month"]) >= "2022-10"), None)  # type: ignore[operator]
            lag = "" if label.startswith("calm") else (
                "none" if first is None else f"{(pd.Period(str(first)) - pd.Period('2022-10')).n} months ({first})"
            )  # fmt: skip
            print(f"| {args.preset} seed {seed} | {label} | {len(rows)} | {old} | {new} | {lag} |")
        for r in [*calm, *shift]:
            print(
                f"<!-- seed {seed} {r['month']}: old {r['old_alerts']} new {r['new_alerts']} {r['new_alerting']} -->"
            )


if __name__ == "__main__":
    main()
