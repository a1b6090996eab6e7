"""Benchmark: one night's store read and features, the whole history vs the night's read.

Run: `.venv/bin/python benchmarks/bench_selective_read.py [--seed 0] [--years 3] [--repeat 3] [--workspace DIR]`.

Not timed: the `demo` world (50,000 enterprises, 2019-2026) is simulated and written as a
contract source, once whole and once cut to its last `--years` years of indicators and
incidents (a workspace that began later), and each is ingested into its own store.

Timed, each in a fresh child process: what the nightly scoring does before the features
are scored, for one night (the demo's as-of date), on each store:

- `whole`: `Store.load_enterprises`, `load_indicators` (every vintage), `load_incidents`,
  `known_at`, `build_features` (what `flows.tasks.load_store` read before);
- `night`: the same with `Store.load_indicators_at(D, WINDOW_MONTHS)` instead (what it reads now).

Each is run `--repeat` times with the store's cache removed first (`cold`: the first read
after a delivery resolves the vintages, or computes the older keys), then as many times
with the cache left (`warm`); medians are shown. Peak RSS is the child's over its whole
life (imports included, about the `imports` figure); the time is the read and the feature
build. The children's feature tables are compared: the night's read must give the whole
history's table. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PRESET = "demo"


def _rss_mb() -> float:
    """Current resident memory of this process (MB)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def prepare(root: Path, seed: int, years: int) -> dict[str, object]:
    """Child: simulate the world, write the whole and the cut source, ingest each."""
    import pandas as pd

    import simulator as sim
    from data.ingest import ingest
    from data.store import Store

    started = time.monotonic()
    world = sim.simulate(PRESET, seed=seed)
    whole = root / "source-whole"
    sim.write_source(world, whole, "parquet")
    del world
    cut = root / "source-cut"
    cut.mkdir(exist_ok=True)
    indicators = pd.read_parquet(whole / "indicators.parquet")
    last = pd.Period(indicators["month"].max(), freq="M")
    first = str(last - 12 * years + 1)
    indicators.loc[indicators["month"] >= first].to_parquet(cut / "indicators.parquet", index=False)
    rows = {"whole": len(indicators), "cut": int((indicators["month"] >= first).sum())}
    earliest = str(indicators["month"].min())
    del indicators
    incidents = pd.read_parquet(whole / "incidents.parquet")
    incidents.loc[incidents["started"] >= f"{first}-01"].to_parquet(cut / "incidents.parquet", index=False)
    shutil.copy(whole / "enterprises.parquet", cut / "enterprises.parquet")
    for name, source in (("whole", whole), ("cut", cut)):
        report = ingest(str(source), Store(root / f"store-{name}"), accept_volume=True)
        if report.status != "stored":
            sys.exit(f"{name}: ingest {report.status}")
    return {
        # The demo's night (`flows.demo.demo_as_of`): the 25th of the month after the last month.
        "as_of": str(((last + 1).start_time + pd.Timedelta(days=24)).date()),
        "first_month": {"whole": earliest, "cut": first},
        "rows": rows,
        "seconds": round(time.monotonic() - started),
    }


def measure(store_dir: Path, as_of: str, how: str, out: Path) -> dict[str, float | int]:
    """Child: read the store and build the night's features; time, rows, peak RSS."""
    import pandas as pd

    from data.store import Store
    from features.build import WINDOW_MONTHS, build_features, known_at

    imports = _rss_mb()
    day = pd.Timestamp(as_of)
    store = Store(store_dir)
    started = time.perf_counter()
    enterprises = store.load_enterprises()
    indicators = store.load_indicators() if how == "whole" else store.load_indicators_at(day, WINDOW_MONTHS)
    incidents = store.load_incidents()
    read = time.perf_counter() - started
    features = build_features(enterprises, *known_at(indicators, incidents, day), [day])
    seconds = time.perf_counter() - started
    features.to_parquet(out, index=False)
    return {
        "read_seconds": read,
        "seconds": seconds,
        "indicator_rows": len(indicators),
        "features": len(features),
        "imports_mb": imports,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(args: list[str]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args], capture_output=True, text=True, cwd=ROOT
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--years", type=int, default=3, help="years of history of the cut store")
    parser.add_argument("--workspace", help="keep the stores in this folder and reuse them on the next run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (medians are shown)")
    parser.add_argument("--child", choices=["prepare", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--as-of", help=argparse.SUPPRESS)
    parser.add_argument("--how", choices=["whole", "night"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "prepare":
        print(json.dumps(prepare(Path(args.root), args.seed, args.years)))
        return
    if args.child == "measure":
        print(json.dumps(measure(Path(args.store), args.as_of, args.how, Path(args.out))))
        return

    import pandas as pd

    with contextlib.ExitStack() as stack:
        root = Path(args.workspace or stack.enter_context(tempfile.TemporaryDirectory())).resolve()
        root.mkdir(parents=True, exist_ok=True)
        done = root / f"prepared-{args.seed}-{args.years}.json"
        if done.is_file():
            prepared = json.loads(done.read_text())
        else:
            prepared = _child(
                [
                    "--child",
                    "prepare",
                    "--root",
                    str(root),
                    "--seed",
                    str(args.seed),
                    "--years",
                    str(args.years),
                ]
            )
            done.write_text(json.dumps(prepared))
        load_before = os.getloadavg()[0]
        results: list[tuple[str, str, str, dict[str, float]]] = []
        for history in ("whole", "cut"):
            store = root / f"store-{history}"
            tables: dict[str, Path] = {}
            for how in ("whole", "night"):
                for cache in ("cold", "warm"):
                    out = root / f"features-{history}-{how}-{cache}.parquet"
                    run = ["--child", "measure", "--store", str(store), "--as-of", str(prepared["as_of"])]
                    runs = []
                    for _ in range(args.repeat):
                        if cache == "cold":
                            shutil.rmtree(store / "cache", ignore_errors=True)
                        runs.append(_child([*run, "--how", how, "--out", str(out)]))
                    median = {k: statistics.median(float(r[k]) for r in runs) for k in runs[0]}
                    results.append((history, how, cache, median))
                    tables[f"{how}-{cache}"] = out
            reference = pd.read_parquet(tables["whole-cold"])
            for name, path in tables.items():
                pd.testing.assert_frame_equal(pd.read_parquet(path), reference, obj=f"{history} {name}")
        load_after = os.getloadavg()[0]

    rows = prepared["rows"]
    print(
        f"setup, not timed: {prepared['seconds']} s; night {prepared['as_of']}; stored indicator rows: {rows}"
    )
    print("every run's feature table equals the whole-history cold run's, on both stores\n")
    print(
        "| history | read | cache | indicator rows read | read s | read + features s | peak RSS MB | imports MB |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|")
    first = prepared["first_month"]
    for history, how, cache, r in results:
        label = f"{first[history]}.. ({'8 years' if history == 'whole' else f'{args.years} years'})"
        print(
            f"| {label} | {how} | {cache} | {r['indicator_rows']:,.0f} | {r['read_seconds']:.1f} "
            f"| {r['seconds']:.1f} | {r['peak_mb']:,.0f} | {r['imports_mb']:,.0f} |"
        )
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\n{machine}; load average {load_before:.1f} → {load_after:.1f}")


if __name__ == "__main__":
    main()
