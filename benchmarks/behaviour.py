"""Behaviour fingerprint: the backtest figures and one night's scores, through the `ews` commands only.

Run: `.venv/bin/python benchmarks/behaviour.py [--preset demo] [--seed 0] [--origins 12] [--out FILE]`.
Simulates a world into a temporary workspace, ingests it, trains as of the 25th after its
last month with the given backtest origins, scores that night, and prints one JSON object:
the backtest summary (every model, metric and interval, as `ews train` logged it), a
SHA-256 of the backtest per origin, and a SHA-256 of the night's ranking (enterprise, rank,
score written with every digit, band). Two runs of the same code give the same object; a
refactoring that keeps behaviour keeps it too. It drives only the command line, so the same
script checks code before and after a change of layout.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd


def _run(ews: str, env: dict[str, str], *args: str) -> str:
    result = subprocess.run([ews, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"ews {' '.join(args)} failed: {result.stderr.strip()[-400:]}")
    return result.stdout


def _strict(value: float) -> float | None:
    """A figure for strict JSON: NaN (a metric that does not apply) becomes null."""
    return None if value != value else float(value)


def _digest_csv(path: Path) -> str:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def fingerprint(preset: str, seed: int, origins: int) -> dict[str, object]:
    """Run the commands in a fresh workspace and return the fingerprint."""
    ews = str(Path(sys.executable).with_name("ews"))
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "EWS_HOME": home}
        for variable in ("MLFLOW_TRACKING_URI", "PREFECT_API_URL", "EWS_DB_URL"):
            env.pop(variable, None)
        source = Path(home) / "source"
        _run(
            ews,
            env,
            "simulate",
            "--preset",
            preset,
            "--seed",
            str(seed),
            "--out",
            str(source),
            "--format",
            "parquet",
        )
        _run(ews, env, "ingest", str(source))
        months = pd.read_parquet(source / "indicators.parquet", columns=["month"])["month"]
        as_of = ((pd.Period(str(months.max()), freq="M") + 1).start_time + pd.Timedelta(days=24)).date()
        truth = source / "truth" / "true_hazard.parquet"
        _run(ews, env, "train", "--as-of", str(as_of), "--origins", str(origins), "--truth", str(truth))
        _run(ews, env, "score", "--as-of", str(as_of))
        ranking = json.loads(_run(ews, env, "rank", "--as-of", str(as_of), "--top", "0", "--format", "json"))
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in sorted(ranking, key=lambda r: r["enterprise_id"]):
            writer.writerow([row["enterprise_id"], row["rank"], repr(float(row["score"])), row["band"]])
        artifacts = Path(home) / "mlflow"
        summary_file = next(artifacts.rglob("backtest_summary.csv"))
        per_origin = next(artifacts.rglob("backtest_by_origin.csv"))
        summary = pd.read_csv(summary_file)
        return {
            "world": f"{preset} seed {seed}",
            "as_of": str(as_of),
            "origins": origins,
            "backtest": {
                f"{r['model']} {r['metric']}": [_strict(r[c]) for c in ("value", "low", "high")]
                for r in summary.to_dict("records")
            },
            "backtest_by_origin_sha256": _digest_csv(per_origin),
            "ranking_rows": len(ranking),
            "ranking_sha256": hashlib.sha256(buffer.getvalue().encode()).hexdigest(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--origins", type=int, default=12)
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    args = parser.parse_args()
    result = fingerprint(args.preset, args.seed, args.origins)
    text = json.dumps(result, indent=1, sort_keys=True, default=str)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
