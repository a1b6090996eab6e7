"""`ews demo`: the main job end to end on a generated world with embedded defaults."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
from rich.console import Console

import simulator as sim
from data.settings import Settings
from flows.pull import pull_flow
from flows.score import score_flow
from flows.train import train_flow
from models.train import ModelParams

# `ews train` backtests 12 monthly origins; the demo backtests the same candidates (the
# blend it registers, its three members, the checklist and the true hazard) over 2 origins,
# to stay within a few minutes on 2 cores.
DEMO_BACKTEST_ORIGINS = 2


def demo_as_of(world_end: str) -> pd.Timestamp:
    """The 25th of the month after the world's last month: its last report is in by then."""
    return (pd.Period(world_end, freq="M") + 1).start_time + pd.Timedelta(days=24)


def run_demo(settings: Settings, *, preset: str, seed: int, console: Console) -> dict[str, Any]:
    """Simulate a world as the agencies deliver it, pull it, train and register a model, score."""
    started = time.monotonic()

    def step(message: str) -> None:
        console.print(f"[{time.monotonic() - started:6.1f} s] {message}", highlight=False)

    step(f"simulating the '{preset}' world (seed {seed})")
    world = sim.simulate(preset, seed=seed)
    source = settings.root / "sources" / f"{preset}-seed{seed}"
    # As the four agencies deliver it: their own files, forms and defects, and the shipped
    # example sources file (simulator/agency_sources.toml) that says how to read them.
    # The pull reads the agencies' files only: no contract-form copy.
    sim.write_agencies(world, source, seed=seed, contract_form=False)
    report = sim.calibration_report(world)  # made once: the truth's calibration.json and the line below
    sim.write_truth(world, source, report=report)
    sim.write_areas(world, settings.root / "areas.csv")  # the map's coordinates (docs/contract.md, "areas")
    step(
        f"wrote {source / 'agencies'}: {report.get('enterprises')} enterprises, "
        f"{report.get('stoppages_realized')} work stoppages in its history"
    )
    pulled = pull_flow(str(source / "agencies" / "sources.toml"))
    for r in pulled:
        for table, c in r["tables"].items():
            step(
                f"pulled {r['source']} → {table} ({r['status']}): {c['accepted']}/{c['rows_in']} accepted, "
                f"{c['quarantined']} quarantined, {c['unmatched']} unmatched"
            )
        for line in r["refused"]:
            step(f"refused: {line}")
    as_of = demo_as_of(str(world.params["end"]))
    truth = source / "truth" / "true_hazard.parquet"
    params = ModelParams(backtest_origins=DEMO_BACKTEST_ORIGINS)
    # The default candidates: the blend registered, its three members and the checklist beside it.
    trained = train_flow(as_of=as_of.date(), promote="auto", params=params, truth=str(truth))
    step(
        f"trained version {trained['version']} ({trained['learner']}) as of {trained['as_of']}, "
        f"champion: {trained['promoted']}; "
        f"backtest over {DEMO_BACKTEST_ORIGINS} monthly origins (PR-AUC, recall in the monthly top 1%):"
    )
    for model, row in trained["backtest"].items():
        console.print(
            f"           {model:<12} {row.get('pr_auc') or float('nan'):.4f}  {row.get('recall_at_k') or float('nan'):.3f}"
        )
    scored = score_flow(as_of=as_of.date())
    step(f"scored {scored['rows']} enterprises as of {scored['as_of']}")
    return {
        "as_of": scored["as_of"],
        "pull": pulled,
        "train": trained,
        "score": scored,
        "calibration": report,
    }
