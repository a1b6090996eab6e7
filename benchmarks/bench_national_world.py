"""Benchmark: the `national` world (34 provinces, ~900,000 enterprises, 2019-01..2026-10).

Run: `.venv/bin/python benchmarks/bench_national_world.py [--seed 0] [--format parquet]
[--out DIR]`. It runs `ews simulate --preset national` in a child process (the world is
written block by block, see `simulator.write.write_blocks`) and prints: wall time, the
child's peak resident memory, rows and size of every file written, and the calibration
figures of `truth/calibration.json`: stoppages per year nationally and by region beside
the sourced counts, by province, and the sourced checks. Without ``--out`` the world goes
to a temporary folder, removed at the end. It takes about ten minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq


def _rows(path: Path) -> int:
    if path.suffix == ".parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    with open(path, "rb") as handle:  # CSV: lines less the header (no field spans lines here)
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1


def _figures(report: dict[str, Any]) -> None:
    print("\n| year | expected | realized | source (§1A) |\n|---|---|---|---|")
    for year, row in report["by_year"].items():
        source = row["source"] if row["source"] is not None else "not found (assumed)"
        print(f"| {year} | {row['expected']:.1f} | {row['realized']} | {source} |")
    regions = report["by_region"]
    years = list(report["by_year"])
    print("\n| region | " + " | ".join(years) + " | total | share |")
    print("|---" * (len(years) + 3) + "|")
    for region, row in regions.items():
        cells = [f"{e:.1f} / {r}" for e, r in (row["by_year"][y] for y in years)]
        share = f"{row['share_expected']:.0%} exp., {row['share_realized']:.0%} real."
        print(
            f"| {region} | " + " | ".join(cells) + f" | {row['expected']:.1f} / {row['realized']} | {share} |"
        )
    print("\n| province (post-2025) | expected | realized |\n|---|---|---|")
    for province, (expected, realized) in sorted(report["by_province"].items(), key=lambda kv: -kv[1][0]):
        print(f"| {province} | {expected:.1f} | {realized} |")
    print("\n| sourced check | source | expected | realized |\n|---|---|---|---|")
    for what, row in report["checks"].items():
        print(f"| {what} | {row['source']} | {row['expected']:.1f} | {row['realized']} |")
    keys = ("provinces", "blocks", "enterprises", "enterprises_operating_at_end", "workers", "stoppages_expected",
            "stoppages_realized", "fdi_share_expected", "fdi_share_realized", "tet_share_expected",
            "mean_participants_expected", "mean_participants_realized")  # fmt: skip
    print("\n" + "\n".join(f"{key}: {report[key]}" for key in keys))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--out", type=Path, default=None, help="keep the world in this folder")
    args = parser.parse_args()
    ews = Path(sys.executable).with_name("ews")
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch) / "national"
        command = [str(ews), "simulate", "--preset", "national", "--seed", str(args.seed),
                   "--format", args.format, "--out", str(out)]  # fmt: skip
        started = time.monotonic()
        result = subprocess.run(
            command, capture_output=True, text=True, env={**os.environ, "EWS_HOME": scratch}
        )
        wall = time.monotonic() - started
        if result.returncode != 0:
            sys.exit(f"ews simulate failed ({result.returncode}): {result.stderr.strip()[-500:]}")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(result.stdout.strip())
        print("\n| file | rows | MB |\n|---|---|---|")
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            rows = _rows(path) if path.suffix in (".parquet", ".csv") else ""
            print(f"| {path.relative_to(out)} | {rows:,} | {path.stat().st_size / 2**20:,.1f} |" if rows != ""
                  else f"| {path.relative_to(out)} | | {path.stat().st_size / 2**20:,.1f} |")  # fmt: skip
        report = json.loads((out / "truth" / "calibration.json").read_text(encoding="utf-8"))["report"]
    _figures(report)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(
        f"\n| ews simulate --preset national ({args.format}) | {wall:.0f} s | {peak_mb:,.0f} MB | {machine} |"
    )


if __name__ == "__main__":
    main()
