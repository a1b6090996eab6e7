"""Benchmark: the national nightly scoring, every province of the `national` world at once.

Run: `.venv/bin/python benchmarks/bench_national.py [--scale 1.0] [--seed 0] [--out DIR]
[--backfill N]` (`--scale 0.002` is a smoke run of about ten minutes, mostly the 34 ingest
processes and the training; the full scale about 25 minutes, and 9 more to write its world
the first time). Steps, each in its own child process:

1. **World**, not timed here (its figures are `bench_national_world.py`'s): the `national`
   preset (``national_preset(scale)``) written by ``simulator.write_blocks(...,
   by_province=True)``: one delivery folder per post-2025 province
   (``WORLD/provinces/<code>/``, its enterprises, indicators and incidents), as each
   province's agencies deliver. Cached in ``OUT/national-s<seed>-x<scale>/`` (``OUT`` is
   ``benchmarks/out``, git-ignored) and reused while its ``written.json`` is there.
2. **Ingest**, timed: the 34 folders one after another into one fresh scoring workspace,
   each in a fresh process running ``data.ingest.ingest`` (what ``ews ingest`` runs, without
   the Prefect flow around it); wall time and peak RSS of each.
3. **Champion**, not timed, made cheaply: the same preset at scale 0.02 (whatever ``--scale``)
   (about 18,000 enterprises, every province) is ingested into a training workspace and
   ``train_flow`` fits boosted trees alone (``learner="hgb"``, at most 30 trees, one
   backtest origin, candidates ``("hgb",)``), promoted to champion in an MLflow registry
   shared with the scoring workspace, which trusts its digest (``ews models trust``).
   The benchmark is about scoring, not about the model's quality.
4. **Nightly scoring**, timed, in a fresh process: ``flows.score.score_flow`` once, as of
   the 25th of the month after the world's end (what ``ews score --as-of`` runs: champion
   verified and loaded, features, scores, reasons, publication, exports, report,
   monitoring), with a Prefect server on 127.0.0.1 as under ``ews serve``. Peak RSS is the
   process's (imports included) or its children's, whichever is larger.
5. **Backfill**, timed, with ``--backfill N`` (reliability matrix L2, the peak load's
   backfill): ``ews backfill`` of the N month ends before the nightly's month, the command an
   operator runs, against the same workspace and Prefect server; its wall time, the nights
   it published and the peak RSS of the command and its children.

Prints the figures as JSON (also written to ``OUT/national-s<seed>-x<scale>.json``) and as a
Markdown table, with the machine's load average before and after each timed step.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TRAIN_SCALE = 0.02
HGB_TREES = 30


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _configure() -> None:
    from data.settings import Settings, configure_environment

    configure_environment(Settings())


def world_dir(out: Path, seed: int, scale: float) -> Path:
    return out / f"national-s{seed}-x{scale:g}"


def province_folders(world: Path) -> list[Path]:
    """The per-province delivery folders of a world written with ``by_province=True``."""
    return sorted(p for p in (world / "provinces").iterdir() if p.is_dir())


def write_world(world: Path, seed: int, scale: float) -> dict[str, Any]:
    """Write the national world at ``scale`` per province into ``world`` (cached)."""
    import simulator as sim

    done = world / "written.json"
    if done.is_file():
        return dict(json.loads(done.read_text()))
    shutil.rmtree(world, ignore_errors=True)
    started = time.monotonic()
    sim.write_blocks(sim.national_preset(scale), seed, world, "parquet", by_province=True)
    figures = {"seconds": round(time.monotonic() - started, 1), "peak_mb": round(_peak_mb())}
    done.write_text(json.dumps(figures))
    return figures


def ingest_folder(folder: Path) -> dict[str, Any]:
    """Ingest one delivery folder into the workspace of ``EWS_HOME`` (this process)."""
    started = time.monotonic()
    from data.ingest import ingest
    from data.settings import Settings
    from data.store import Store

    settings = Settings()
    report = ingest(
        str(folder),
        Store(settings.store_dir),
        max_bad_share=settings.max_bad_share,
        max_file_bytes=int(settings.max_file_mb * 1024 * 1024),
        max_cell_bytes=int(settings.max_cell_kb * 1024),
    ).to_json()
    return {
        "province": folder.name,
        "seconds": round(time.monotonic() - started, 1),
        "peak_mb": round(_peak_mb()),
        "status": report["status"],
        "tables": {
            name: {key: int(t[key]) for key in ("rows_in", "accepted", "quarantined")}
            for name, t in report["tables"].items()
        },
    }


def train_champion(world: Path, as_of: str) -> dict[str, Any]:
    """Ingest the small training world and register a cheap hgb champion (this process)."""
    _configure()
    from flows.train import train_flow
    from models.train import ModelParams

    started = time.monotonic()
    for folder in province_folders(world):
        report = ingest_folder(folder)
        if report["status"] not in ("stored", "unchanged"):
            raise SystemExit(f"training world: {folder.name} {report['status']}")
    params = ModelParams(backtest_origins=1, learner="hgb", max_iter=HGB_TREES)
    summary = train_flow(
        as_of=__import__("datetime").date.fromisoformat(as_of),
        promote="auto",
        params=params,
        candidates=("hgb",),
    )
    return {"seconds": round(time.monotonic() - started, 1), "version": str(summary.get("version"))}


def trust_champion() -> dict[str, Any]:
    _configure()
    from data.settings import Settings
    from models import registry
    from models.champion import trust_version

    settings = Settings()
    champion = registry.alias_version(settings.model_name, registry.CHAMPION)
    if champion is None:
        raise SystemExit("no champion in the shared registry")
    trust_version(settings.model_name, settings.db_path, champion.version)
    return {"version": str(champion.version)}


def score_night(as_of: str) -> dict[str, Any]:
    """One nightly scoring of every enterprise through the real flow (this process)."""
    started = time.monotonic()
    _configure()
    from flows.score import score_flow

    imported = time.monotonic() - started
    t0 = time.monotonic()
    summary = score_flow(as_of=dt.date.fromisoformat(as_of))
    wall = time.monotonic() - t0
    return {
        "import_seconds": round(imported, 1),
        "seconds": round(wall, 1),
        "total_seconds": round(time.monotonic() - started, 1),
        "rows": int(summary["rows"]),
        "peak_mb": round(_peak_mb()),
    }


def backfill_months(as_of: str, nights: int) -> tuple[str, str]:
    """The first and last month (YYYY-MM) of the `nights` months before `as_of`'s month."""
    day = dt.date.fromisoformat(as_of)
    month = day.year * 12 + day.month - 1
    first, last = month - nights, month - 1
    return f"{first // 12}-{first % 12 + 1:02d}", f"{last // 12}-{last % 12 + 1:02d}"


def backfill_nights(as_of: str, nights: int) -> dict[str, Any]:
    """`ews backfill` of the `nights` month ends before `as_of`'s month, as an operator runs it
    (one process, the workspace's Prefect server): its wall time, exit status and the peak
    RSS of the command and its children (this child runs nothing else)."""
    first, last = backfill_months(as_of, nights)
    command = [
        str(Path(sys.executable).with_name("ews")),
        "backfill",
        "--from",
        first,
        "--to",
        last,
        "--json",
    ]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if result.returncode != 0:
        raise SystemExit(f"ews backfill exited {result.returncode}: {result.stderr[-2000:]}")
    published = json.loads(result.stdout)["nights"]
    return {
        "from": first,
        "to": last,
        "nights": len(published),
        "rows": [int(n["rows"]) for n in published],
        "seconds": round(seconds, 1),
        "seconds_a_night": round(seconds / len(published), 1),
        "peak_mb": round(peak),
    }


def _child(args: list[str], env: dict[str, str], script: str = __file__) -> dict[str, Any]:
    """Run `script` (this one by default) as a child; its last stdout line is its JSON result."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(Path(script).resolve()), *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(args)} failed (exit {result.returncode}) after "
            f"{time.monotonic() - started:.0f} s:\n{result.stderr[-4000:]}"
        )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _timed_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """`_child`'s result with the machine's load average before and after it."""
    before = _load()
    return {**_child(args, env), "load_before": before, "load_after": _load()}


def run(scale: float, seed: int, out: Path, *, score: bool = True, backfill: int = 0) -> dict[str, Any]:
    """The benchmark; returns its figures."""
    sys.path.insert(0, str(ROOT))
    from flows.demo import demo_as_of
    from flows.server import local_prefect_server
    from simulator import national_preset

    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    world = world_dir(out, seed, scale)
    train_world = world_dir(out, seed, TRAIN_SCALE)  # a smaller world has too few stoppages to train on
    as_of = str(demo_as_of(national_preset(scale).end).date())
    workspace = out / f"{world.name}-workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    (workspace / "mlflow").mkdir(parents=True)
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    env.pop("PREFECT_API_URL", None)
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{workspace / 'mlflow' / 'mlflow.db'}"
    figures: dict[str, Any] = {
        "preset": "national",
        "scale": scale,
        "seed": seed,
        "as_of": as_of,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    seeds = ["--seed", str(seed)]
    figures["world"] = _child(["--child", "write", "--scale", f"{scale:g}", *seeds, "--out", str(out)], env)
    if train_world != world:
        _child(["--child", "write", "--scale", f"{TRAIN_SCALE:g}", *seeds, "--out", str(out)], env)
    scoring_env = {**env, "EWS_HOME": str(workspace / "score")}
    ingests = []
    for folder in province_folders(world):
        load = _load()
        report = _child(["--child", "ingest", "--folder", str(folder)], scoring_env)
        report["load_before"] = load
        ingests.append(report)
        print(
            f"ingest {folder.name}: {report['seconds']} s, {report['peak_mb']} MB, "
            f"{report['tables']['indicators']['rows_in']:,} indicator rows, {report['status']}",
            file=sys.stderr,
        )
    figures["ingests"] = ingests
    if not score:
        return figures
    with contextlib.ExitStack() as stack:
        prefect_home = workspace / "prefect"
        prefect_home.mkdir()
        env["PREFECT_API_URL"] = stack.enter_context(local_prefect_server(prefect_home))
        env["PREFECT_HOME"] = str(prefect_home)
        scoring_env = {**env, "EWS_HOME": str(workspace / "score")}
        train_env = {**env, "EWS_HOME": str(workspace / "train")}
        figures["champion"] = _child(
            ["--child", "train", "--world", str(train_world), "--as-of", as_of], train_env
        )
        _child(["--child", "trust"], scoring_env)
        figures["nightly"] = _timed_child(["--child", "score", "--as-of", as_of], scoring_env)
        if backfill:
            figures["backfill"] = _timed_child(
                ["--child", "backfill", "--as-of", as_of, "--nights", str(backfill)], scoring_env
            )
    return figures


def table(figures: dict[str, Any]) -> str:
    ingests = figures["ingests"]
    lines = [
        "| step | rows | wall | peak RSS | load before |",
        "|---|---|---|---|---|",
    ]
    for r in ingests:
        t = r["tables"]
        rows = f"{t['enterprises']['accepted']:,} ent., {t['indicators']['accepted']:,} ind."
        quarantined = sum(v["quarantined"] for v in t.values())
        extra = f" ({quarantined} quarantined)" if quarantined else ""
        lines.append(
            f"| ingest {r['province']} ({r['status']}{extra}) | {rows} | {r['seconds']} s | "
            f"{r['peak_mb']:,} MB | {r['load_before']} |"
        )
    total = sum(r["seconds"] for r in ingests)
    peak = max(r["peak_mb"] for r in ingests)
    enterprises = sum(r["tables"]["enterprises"]["accepted"] for r in ingests)
    indicators = sum(r["tables"]["indicators"]["accepted"] for r in ingests)
    lines.append(
        f"| **all {len(ingests)} ingests** | {enterprises:,} ent., {indicators:,} ind. | "
        f"**{total:.0f} s** | **{peak:,} MB** (largest) | |"
    )
    if "nightly" in figures:
        n = figures["nightly"]
        lines.append(
            f"| **nightly `score_flow` as of {figures['as_of']}** | {n['rows']:,} published | "
            f"**{n['seconds']} s** (+ {n['import_seconds']} s imports) | **{n['peak_mb']:,} MB** | "
            f"{n['load_before']} → {n['load_after']} |"
        )
    if "backfill" in figures:
        b = figures["backfill"]
        lines.append(
            f"| **`ews backfill --from {b['from']} --to {b['to']}`** ({b['nights']} nights) | "
            f"{min(b['rows']):,}–{max(b['rows']):,} published a night | **{b['seconds']} s** "
            f"({b['seconds_a_night']} s a night) | **{b['peak_mb']:,} MB** | "
            f"{b['load_before']} → {b['load_after']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="national_preset(scale); 0.02 for a smoke run"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument(
        "--child", choices=["write", "ingest", "train", "trust", "score", "backfill"], help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--backfill",
        type=int,
        default=0,
        help="then `ews backfill` the N month ends before the nightly's (reliability matrix L2)",
    )
    parser.add_argument("--nights", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--world", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--as-of", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "write":
        result = write_world(world_dir(args.out.resolve(), args.seed, args.scale), args.seed, args.scale)
    elif args.child == "ingest":
        result = ingest_folder(args.folder)
    elif args.child == "train":
        result = train_champion(args.world, args.as_of)
    elif args.child == "trust":
        result = trust_champion()
    elif args.child == "score":
        result = score_night(args.as_of)
    elif args.child == "backfill":
        result = backfill_nights(args.as_of, args.nights)
    else:
        figures = run(args.scale, args.seed, args.out, backfill=args.backfill)
        path = args.out.resolve() / f"{world_dir(args.out, args.seed, args.scale).name}.json"
        path.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
        print(json.dumps(figures, ensure_ascii=False))
        print(table(figures))
        return
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
