"""Acting on warnings for two years: how much naive retraining loses, how much censoring recovers.

Run: `.venv/bin/python -m benchmarks.bench_action_loop [--worlds 5] [--first-seed 0] [--months 24]
[--preset tiny] [--start 2022-10] [--every 6] [--learner hgb] [--policies naive censor ...]
[--out DIR]`. With `--out`, each world's figures are also written to
``DIR/action-loop-<preset>-<policies>-s<seed>.json`` as it ends, so that worlds run in several
sittings can be reported together: `... --report DIR/action-loop-demo-*.json`; files of one seed
that ran different policies are merged, so the policies can run as separate processes side by
side (`--policies naive` and `--policies censor`, same seeds), each also computing the
reference. The preset must be one a model can be trained on alone: `hai-duong` has about 1.5
stoppages a year, and its loop stops at the first retraining whose calibration months hold
no stoppage; `demo` pools its article-matched Hải Dương with other provinces.

For each world (seeds from `--first-seed`, N of them) the world without actions W0 is simulated and ingested. A model
is trained as of the end of the month before `--start`; then, month by month for `--months`
months, every firm is scored as of the month's end with what was known then, officers act
on the top k (the capacity, `EWS_CAPACITY`'s default 1%; a firm whose last action is still
in effect is skipped) with the kind its signals call for (`simulator.actions.officers_choice`),
the world is simulated again with every action so far (`simulate(..., actions=)`: the
acted firms' drivers and hazard lowered by `ACTION_EFFECTS`, everything else identical)
and ingested, and every `--every` months the model is retrained as of that month's end on
the acted world's history, under each policy of `--policies` (default: all of
`models.censoring`'s): ``naive`` keeps the rows the actions reached, the censor policies
drop some or all. Each policy runs its own loop, acting on its own warnings. A ``reference`` model is retrained at the same dates on W0 itself: what
training would learn had nobody acted.

The yardstick is the untreated risk, which the simulator knows: each model of each segment
(the months from one retraining to the next) scores W0's firms at every month end of its
segment with W0's features, and is judged against W0's true probability of a stoppage in
the next H months (`judging.metrics.true_probability`): the share of the best possible
expected stoppages its top k holds (top-k capture; 1 is the oracle), and PR-AUC against
W0's realized stoppages. The first segment's model is the same for all (trained before any
action); the figures are those of the retrained segments. Also printed: the expected and
realized stoppages the officers' actions averted in each policy's loop.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import simulator as sim
from data.ingest import ingest
from data.store import Store
from features.build import build_features, known_at
from judging import metrics
from judging.evaluate import month_end_rows
from models.backtest import build_training_frame, candidate_params, fit_at, predict_rows
from models.censoring import censor_frame
from models.train import ACTION_POLICIES, ModelParams
from simulator.actions import ACTION_EFFECTS, officers_choice
from vocab.terms import DEFAULT_CAPACITY, WORK_STOPPAGE, capacity_count

#: The model trained on the world nobody acted in.
REFERENCE = "reference"


@dataclass(frozen=True)
class Typed:
    """A world's source in the store's typed form, and its truth."""

    enterprises: pd.DataFrame
    indicators: pd.DataFrame
    incidents: pd.DataFrame
    true_hazard: pd.DataFrame


def ingested(world: sim.World, root: Path) -> Typed:
    """The world written as a source and ingested into a fresh store under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        sim.write_source(world, Path(tmp) / "source", "parquet", truth=False)
        store = Store(Path(tmp) / "store")
        ingest(str(Path(tmp) / "source"), store)
        return Typed(
            store.load_enterprises(), store.load_indicators(), store.load_incidents(), world.true_hazard
        )


def fit_model(typed: Typed, as_of: pd.Timestamp, params: ModelParams, actions: pd.DataFrame) -> Any:
    """The final model as `ews train` fits it (no backtest), under `params.action_policy`."""
    frame = build_training_frame(
        typed.enterprises, typed.indicators, typed.incidents, as_of=as_of, params=params
    )
    frame = censor_frame(frame, actions)
    return fit_at(frame, frame.as_of, params.learner).model


def scored_month(model: Any, typed: Typed, day: pd.Timestamp, params: ModelParams) -> pd.DataFrame:
    """Every firm's features as of `day` from what was known then, with the model's score."""
    indicators, incidents = known_at(typed.indicators, typed.incidents, day)
    rows = build_features(typed.enterprises, indicators, incidents, [day])
    return rows.assign(score=predict_rows(model, rows, candidate_params(params, params.learner)))


def officers_act(
    rows: pd.DataFrame, day: pd.Timestamp, capacity: float, actions: pd.DataFrame
) -> pd.DataFrame:
    """The actions of the night `day`: the top k by score among firms no action is still
    acting on, each of the kind its signals call for."""
    busy: set[str] = set()
    for firm, kind, started in actions[["enterprise_id", "kind", "started"]].itertuples(index=False):
        last = pd.Period(started, "M") + ACTION_EFFECTS[kind].months
        if last >= pd.Period(day, "M") + 1:  # still acting in the next month
            busy.add(firm)
    k = capacity_count(len(rows), capacity)
    free = rows.loc[~rows["enterprise_id"].isin(busy)]
    top = free.sort_values(["score", "enterprise_id"], ascending=[False, True], kind="stable").head(k)
    kinds = officers_choice(
        top["wage_arrears_months"].to_numpy(),
        top["insurance_debt_months"].to_numpy(),
        top["incidents_12m"].to_numpy(),
    )
    return pd.DataFrame({
        "enterprise_id": top["enterprise_id"].astype("str").to_numpy(),
        "kind": kinds,
        "started": str(day.date()),
    })  # fmt: skip


def untreated_rows(w0: Typed, days: Iterable[pd.Timestamp], horizon: int) -> pd.DataFrame:
    """W0's rows at each day with the realized outcome `y` and the true probability `p`."""
    cutoff = pd.Timestamp(w0.indicators["reported_at"].max()).normalize()
    parts = [
        month_end_rows(
            w0.enterprises,
            w0.indicators,
            w0.incidents,
            day,
            horizon_months=horizon,
            kinds=(WORK_STOPPAGE,),
            cutoff=cutoff,
        )
        for day in days
    ]
    rows = pd.concat(parts, ignore_index=True)
    return rows.assign(p=metrics.true_probability(w0.true_hazard, rows, horizon_months=horizon))


def capture(rows: pd.DataFrame, score: np.ndarray, capacity: float) -> float:
    """Share of the oracle's expected stoppages (sum of `p` over the best k) that the top k
    by `score` holds, pooled over the rows' months."""
    got, best = 0.0, 0.0
    for _, index in rows.groupby("as_of").indices.items():
        p = rows["p"].to_numpy()[index]
        s = score[index]
        k = capacity_count(len(index), capacity)
        got += float(p[np.lexsort((np.arange(len(s)), -s))[:k]].sum())
        best += float(np.sort(p)[::-1][:k].sum())
    return got / best if best > 0 else float("nan")


@dataclass
class WorldResult:
    """One world's figures: per policy and segment, capture and PR-AUC; per loop, averted stoppages."""

    seed: int
    capture: dict[str, list[float]] = field(default_factory=dict)
    pr_auc: dict[str, list[float]] = field(default_factory=dict)
    pooled: dict[str, dict[str, float]] = field(default_factory=dict)
    averted: dict[str, dict[str, float]] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    censored: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def run_world(
    preset: str,
    seed: int,
    *,
    start: str,
    months: int,
    every: int,
    capacity: float,
    params: ModelParams,
    policies: tuple[str, ...] = ACTION_POLICIES,
    workdir: Path,
) -> WorldResult:
    """The loop on one world (see the module docstring)."""
    began = time.monotonic()
    days = pd.date_range(pd.Period(start, "M").start_time, periods=months, freq="ME")
    trained_as_of = pd.Period(start, "M").start_time - pd.Timedelta(days=1)
    world0 = sim.simulate(preset, seed=seed)
    w0 = ingested(world0, workdir / "w0")
    no_actions = pd.DataFrame({"enterprise_id": [], "kind": [], "started": []}, dtype="object")
    first_model = fit_model(w0, trained_as_of, params, no_actions)
    segments = [days[i : i + every] for i in range(0, months, every)]
    evaluation = untreated_rows(w0, days, params.horizon_months)
    models: dict[str, list[Any]] = {REFERENCE: [first_model]}
    for segment in segments[1:]:
        models[REFERENCE].append(fit_model(w0, segment[0], params, no_actions))
    result = WorldResult(seed)
    for policy in policies:
        recipe = params.model_copy(update={"action_policy": policy})
        model, typed, actions = first_model, w0, no_actions
        models[policy] = [first_model]
        for i, day in enumerate(days):
            if i and i % every == 0:
                model = fit_model(typed, day, recipe, actions)
                models[policy].append(model)
                if policy != "naive":
                    frame = build_training_frame(
                        typed.enterprises, typed.indicators, typed.incidents, as_of=day, params=recipe
                    )
                    result.censored[f"{policy} {day.date()}"] = len(frame.table) - len(
                        censor_frame(frame, actions).table
                    )
            rows = scored_month(model, typed, day, recipe)
            actions = pd.concat([actions, officers_act(rows, day, capacity, actions)], ignore_index=True)
            acted = sim.simulate(preset, seed=seed, actions=actions.rename(columns={"started": "date"}))
            typed = ingested(acted, workdir / policy)
        result.actions[policy] = len(actions)
        loop = acted.true_hazard.loc[acted.true_hazard["month"] > days[0].strftime("%Y-%m")]
        stoppages = world0.incidents.loc[world0.incidents["kind"] == WORK_STOPPAGE]
        acted_stoppages = acted.incidents.loc[acted.incidents["kind"] == WORK_STOPPAGE]
        after = days[0].strftime("%Y-%m-%d")
        result.averted[policy] = {
            "expected": float((loop["hazard_without_actions"] - loop["hazard"]).sum()),
            "realized": float(
                (stoppages["started"] > after).sum() - (acted_stoppages["started"] > after).sum()
            ),
            "untreated": float((stoppages["started"] > after).sum()),
        }
    for name, fitted in models.items():
        captures, aucs, scores = [], [], np.zeros(len(evaluation))
        for model, segment in zip(fitted, segments, strict=True):
            mask = evaluation["as_of"].isin(segment).to_numpy()
            rows = evaluation.loc[mask].reset_index(drop=True)
            score = predict_rows(model, rows, candidate_params(params, params.learner))
            scores[mask] = score
            captures.append(capture(rows, score, capacity))
            aucs.append(metrics.average_precision(rows["y"].to_numpy(), score))
        result.capture[name], result.pr_auc[name] = captures, aucs
        later = evaluation["as_of"].isin(days[every:]).to_numpy()
        rows = evaluation.loc[later].reset_index(drop=True)
        result.pooled[name] = {
            "capture": capture(rows, scores[later], capacity),
            "pr_auc": metrics.average_precision(rows["y"].to_numpy(), scores[later]),
        }
    result.seconds = time.monotonic() - began
    return result


def _spread(values: list[float]) -> str:
    a = np.asarray(values, dtype=np.float64)
    return f"{a.mean():.3f} (sd {a.std(ddof=1) if a.size > 1 else 0.0:.3f}; {a.min():.3f}–{a.max():.3f})"


def report(results: list[WorldResult], names: tuple[str, ...]) -> str:
    """The figures as Markdown: per model, mean (sd; min–max) over worlds, and the gaps."""
    lines = [
        "| model | top-k capture of untreated risk | PR-AUC (W0 stoppages) |",
        "|---|---|---|",
    ]
    for name in names:
        lines.append(
            f"| {name} | {_spread([r.pooled[name]['capture'] for r in results])} "
            f"| {_spread([r.pooled[name]['pr_auc'] for r in results])} |"
        )
    lines += ["", "| gap (per world, then over worlds) | top-k capture | PR-AUC |", "|---|---|---|"]
    pairs = [(p, REFERENCE) for p in ACTION_POLICIES] + [(p, "naive") for p in ACTION_POLICIES[1:]]
    for a, b in pairs:
        if a in names and b in names:
            lines.append(
                f"| {a} − {b} | {_spread([r.pooled[a]['capture'] - r.pooled[b]['capture'] for r in results])} "
                f"| {_spread([r.pooled[a]['pr_auc'] - r.pooled[b]['pr_auc'] for r in results])} |"
            )
    lines += [
        "",
        "| model | "
        + " | ".join(f"segment {i + 1}" for i in range(len(results[0].capture[names[0]])))
        + " |",
    ]
    lines.append("|---|" + "---|" * len(results[0].capture[names[0]]))
    for name in names:
        per = np.array([r.capture[name] for r in results])
        lines.append(f"| {name} (capture) | " + " | ".join(f"{v:.3f}" for v in per.mean(axis=0)) + " |")
    lines += [
        "",
        "| loop | actions | expected stoppages averted | realized averted (of untreated) |",
        "|---|---|---|---|",
    ]
    for name in names:
        if name == REFERENCE:
            continue
        lines.append(
            f"| {name} | {np.mean([r.actions[name] for r in results]):.0f} "
            f"| {_spread([r.averted[name]['expected'] for r in results])} "
            f"| {np.mean([r.averted[name]['realized'] for r in results]):.1f} "
            f"(of {np.mean([r.averted[name]['untreated'] for r in results]):.1f}) |"
        )
    return "\n".join(lines)


def save_world(path: Path, names: tuple[str, ...], setup: str, result: WorldResult) -> None:
    """One world's figures as JSON: the models it compares, how it was run, its result."""
    saved = {"names": list(names), "setup": setup, "result": dataclasses.asdict(result)}
    path.write_text(json.dumps(saved, indent=1), encoding="utf-8")


def _merged(a: WorldResult, b: WorldResult) -> WorldResult:
    """One seed's figures from two files that ran different policies (in parallel, say)."""
    if a.capture[REFERENCE] != b.capture[REFERENCE] or a.pooled[REFERENCE] != b.pooled[REFERENCE]:
        raise ValueError(f"seed {a.seed}: the reference differs between its files (not the same setup)")
    twice = sorted(set(a.pooled) & set(b.pooled) - {REFERENCE})
    if twice:
        raise ValueError(f"seed {a.seed}: {', '.join(twice)} reported twice")
    return WorldResult(
        a.seed,
        capture={**a.capture, **b.capture},
        pr_auc={**a.pr_auc, **b.pr_auc},
        pooled={**a.pooled, **b.pooled},
        averted={**a.averted, **b.averted},
        actions={**a.actions, **b.actions},
        censored={**a.censored, **b.censored},
        seconds=a.seconds + b.seconds,
    )


def load_worlds(paths: Iterable[Path]) -> tuple[tuple[str, ...], str, list[WorldResult]]:
    """Worlds saved by `save_world`, by seed. Files of one seed that ran different policies
    (say `--policies naive` and `--policies censor` in two processes) are merged; their
    reference must agree exactly (it is deterministic). ValueError if the files were not run
    alike, a policy is reported twice for a seed, or a seed lacks a policy another has."""
    saved = [json.loads(Path(path).read_text(encoding="utf-8")) for path in paths]
    if not saved:
        raise ValueError("no world to report")
    setup = saved[0]["setup"]
    if any(s["setup"] != setup for s in saved):
        raise ValueError("the worlds were run with different settings: report them apart")
    by_seed: dict[int, WorldResult] = {}
    for s in saved:
        world = WorldResult(**s["result"])
        by_seed[world.seed] = _merged(by_seed[world.seed], world) if world.seed in by_seed else world
    worlds = [by_seed[seed] for seed in sorted(by_seed)]
    present = set().union(*(w.pooled for w in worlds))
    names = tuple(n for n in (REFERENCE, *ACTION_POLICIES) if n in present)
    for world in worlds:
        missing = [n for n in names if n not in world.pooled]
        if missing:
            raise ValueError(f"seed {world.seed} lacks {', '.join(missing)}")
    return names, setup, worlds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--start", default="2022-10", help="first month of the loop (YYYY-MM)")
    parser.add_argument("--every", type=int, default=6, help="months between retrainings")
    parser.add_argument("--capacity", type=float, default=DEFAULT_CAPACITY)
    parser.add_argument("--learner", default="hgb", choices=("hgb", "logistic", "blend"))
    parser.add_argument("--policies", nargs="+", default=list(ACTION_POLICIES), choices=ACTION_POLICIES)
    parser.add_argument("--out", type=Path, help="folder for one JSON of figures per world")
    parser.add_argument("--report", type=Path, nargs="+", help="report these worlds' JSON files; run nothing")
    args = parser.parse_args()
    if args.report:
        try:
            names, setup, worlds = load_worlds(args.report)
        except ValueError as exc:
            parser.error(str(exc))
        print(f"{len(worlds)} worlds (seeds {', '.join(str(w.seed) for w in worlds)}): {setup}\n")
        print(report(worlds, names))
        return
    params = ModelParams(backtest_origins=0, learner=args.learner)
    began = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="ews-action-loop-") as tmp:
        for seed in range(args.first_seed, args.first_seed + args.worlds):
            result = run_world(
                args.preset,
                seed,
                start=args.start,
                months=args.months,
                every=args.every,
                capacity=args.capacity,
                params=params,
                policies=tuple(args.policies),
                workdir=Path(tmp) / str(seed),
            )
            results.append(result)
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                path = args.out / f"action-loop-{args.preset}-{'-'.join(args.policies)}-s{seed}.json"
                setup = (
                    f"{args.preset}, loop {args.start} + {args.months} months, retrained every {args.every}, "
                    f"learner {args.learner}, capacity {args.capacity}; {platform.machine()}, "
                    f"{platform.python_version()}"
                )
                save_world(path, (REFERENCE, *args.policies), setup, result)
            print(
                f"world {seed}: {result.seconds:.0f} s; capture "
                + ", ".join(f"{n} {v['capture']:.3f}" for n, v in result.pooled.items())
                + "; PR-AUC "
                + ", ".join(f"{n} {v['pr_auc']:.3f}" for n, v in result.pooled.items())
                + f"; actions {result.actions}; censored rows {result.censored}; averted {result.averted}",
                flush=True,
            )
    print(
        f"\n{args.preset}, {args.worlds} worlds (seeds {args.first_seed}..{args.first_seed + args.worlds - 1}), "
        f"loop {args.start} + {args.months} months, retrained every {args.every}, learner {args.learner}, "
        f"capacity {args.capacity}; {platform.machine()}, {platform.python_version()}; "
        f"{time.monotonic() - began:.0f} s\n"
    )
    print(report(results, (REFERENCE, *args.policies)))


if __name__ == "__main__":
    main()
