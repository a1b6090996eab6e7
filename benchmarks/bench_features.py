"""Benchmark: the point-in-time training table, Python builder vs the DuckDB SQL reference.

Run: `.venv/bin/python benchmarks/bench_features.py [--sizes 10000 100000 1000000] [--months 36]`.

For each size a synthetic panel (`benchmarks.synthetic_panel`) is generated once in its own
process and written to Parquet; then, each in a fresh subprocess so that peak memory is per
implementation, the panel is loaded and timed through (a) `features.build.build_features`
and (b) `benchmarks.features_duckdb.duckdb_features`, for every month-end as-of date of the
panel (the training table). Wall time covers the feature call only; peak RSS is the child's
whole life (its inputs included). Prints a Markdown table with per-row cost, so that linear
growth is visible, and the machine. `--profile N` prints a cProfile of the Python builder at
N enterprises instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TABLES = ("enterprises", "indicators", "incidents")


def _rss_mb() -> float:
    """Current resident memory of this process (MB)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _generate(n: int, months: int, folder: Path) -> None:
    from benchmarks.synthetic_panel import make_panel

    started = time.perf_counter()
    frames = make_panel(n, months)
    seconds = time.perf_counter() - started
    for name, frame in zip(TABLES, frames, strict=True):
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    print(json.dumps({"seconds": seconds, "indicator_rows": len(frames[1]), "incidents": len(frames[2])}))


def _run(which: str, folder: Path, months: int, profile: bool = False, parquet: bool = False) -> None:
    """Child process: load the panel, build the table once, report wall, rows and peak RSS.

    With `parquet`, the table is streamed to a Parquet file (`write_features`, DuckDB's
    `COPY ... TO`) instead of returned in memory.
    """
    import functools

    import pandas as pd

    from benchmarks.features_duckdb import duckdb_features
    from benchmarks.synthetic_panel import panel_as_of
    from features.build import build_features, write_features

    frames = [pd.read_parquet(folder / f"{name}.parquet") for name in TABLES]
    as_of = panel_as_of(months)
    loaded_mb = _rss_mb()
    build: Callable[..., pd.DataFrame] = build_features if which == "python" else duckdb_features
    if parquet:
        out = str(folder / f"features-{which}.parquet")
        if which == "python":

            def build(*args: object) -> pd.DataFrame:
                return pd.DataFrame(index=pd.RangeIndex(write_features(*args, path=out)))  # type: ignore[arg-type]
        else:
            build = functools.partial(duckdb_features, path=out)
    enterprises, indicators, incidents = frames
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        started = time.perf_counter()
        table = profiler.runcall(build, enterprises, indicators, incidents, as_of)
        print(f"# {which}: {time.perf_counter() - started:.1f} s, {len(table):,} rows", file=sys.stderr)
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_stats(25)
        return
    started = time.perf_counter()
    table = build(enterprises, indicators, incidents, as_of)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rows": len(table), "peak_mb": peak_mb, "inputs_mb": loaded_mb}))


def _child(args: list[str], timeout: float) -> dict[str, float] | None:
    """Run this script as a child with `args`; its JSON line, or None on failure/timeout."""
    try:
        done = subprocess.run(
            [sys.executable, __file__, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        print(f"  {' '.join(args[:2])}: timed out after {timeout:.0f} s", file=sys.stderr)
        return None
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        print(f"  {' '.join(args[:2])}: failed (exit {done.returncode}): {tail}", file=sys.stderr)
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def machine() -> str:
    """One line describing the machine and library versions."""
    import duckdb
    import numpy
    import pandas

    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} cores (nproc), {mem_gb:.0f} GB RAM, "
        f"Python {platform.python_version()}, pandas {pandas.__version__}, numpy {numpy.__version__}, "
        f"duckdb {duckdb.__version__}, {dt.date.today().isoformat()}"
    )


def _cell(result: dict[str, float] | None, key: str, fmt: str) -> str:
    return format(result[key], fmt) if result else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per implementation run")
    parser.add_argument(
        "--parquet-from",
        type=int,
        default=1_000_000,
        metavar="N",
        help="from N firms on, both implementations stream the table to Parquet instead of memory",
    )
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile the Python builder at N firms")
    parser.add_argument("--child", nargs=2, metavar=("WHAT", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, folder = args.child
        if what.startswith("generate:"):
            _generate(int(what.split(":")[1]), args.months, Path(folder))
        else:
            which, _, flag = what.partition(":")
            _run(which, Path(folder), args.months, flag == "profile", flag == "parquet")
        return

    sizes = [args.profile] if args.profile else args.sizes
    print(f"machine: {machine()}")
    rows = [
        "| enterprises | mode | months | indicator rows | rows out | python s | python peak MB | duckdb s "
        "| duckdb peak MB | python / duckdb | python µs/row | duckdb µs/row |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-features-") as folder:
            common = ["--months", str(args.months), "--timeout", str(args.timeout)]
            panel = _child(["--child", f"generate:{n}", folder, *common], args.timeout)
            if panel is None:
                break
            print(
                f"{n:,} firms: panel in {panel['seconds']:.1f} s, {panel['indicator_rows']:,} indicator rows",
                file=sys.stderr,
                flush=True,
            )
            if args.profile:
                subprocess.run([sys.executable, __file__, "--child", "python:profile", folder, *common])
                return
            mode = "parquet" if n >= args.parquet_from else "memory"
            suffix = ":parquet" if mode == "parquet" else ""
            py = _child(["--child", f"python{suffix}", folder, *common], args.timeout)
            db = _child(["--child", f"duckdb{suffix}", folder, *common], args.timeout)
        if py and db and py["rows"] != db["rows"]:
            print(f"  row counts differ: python {py['rows']}, duckdb {db['rows']}", file=sys.stderr)
        out = (py or db or {}).get("rows")
        ratio = f"{py['seconds'] / db['seconds']:.2f}" if py and db else "—"
        per_row = {
            k: f"{r['seconds'] / r['rows'] * 1e6:.2f}" if r else "—" for k, r in (("py", py), ("db", db))
        }
        rows.append(
            f"| {n:,} | {mode} | {args.months} | {int(panel['indicator_rows']):,} | "
            f"{f'{int(out):,}' if out else '—'} | {_cell(py, 'seconds', '.1f')} | "
            f"{_cell(py, 'peak_mb', ',.0f')} | {_cell(db, 'seconds', '.1f')} | {_cell(db, 'peak_mb', ',.0f')} | "
            f"{ratio} | {per_row['py']} | {per_row['db']} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
