"""Benchmark: what a command costs beyond its work, with and without the workspace's Prefect server.

Run: `.venv/bin/python benchmarks/bench_overhead.py`. A three-month tiny world is written
once. Then, in fresh workspaces, wall times of whole commands: `ews ingest` of it (a flow:
alone it starts Prefect's temporary server), the same while the workspace's server runs (as
under `ews serve`, found through `$EWS_HOME/prefect/server.json`), and commands that run no
flow (`ews models list`, `ews sources check`), which never start a server. Prints a Markdown
table for docs/benchmarks.md.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _timed(args: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(args, env=env, check=True, capture_output=True)
    return time.monotonic() - started


def main() -> None:
    ews = str(Path(sys.executable).parent / "ews")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        root = Path(tmp)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "MLFLOW_"))}
        world = root / "world"
        subprocess.run(
            [ews, "simulate", "--out", str(world), "--preset", "tiny", "--start", "2024-01", "--end", "2024-03"],
            env={**base, "EWS_HOME": str(root / "sim")}, check=True, capture_output=True,
        )  # fmt: skip
        alone = {**base, "EWS_HOME": str(root / "alone")}
        rows.append(
            ("ews ingest (tiny, 3 months), no server running", _timed([ews, "ingest", str(world)], alone))
        )
        shutil.copy(Path(__file__).parents[1] / "simulator" / "agency_sources.toml", root / "sources.toml")
        rows.append(("ews models list", _timed([ews, "models", "list"], alone)))
        rows.append(
            (
                "ews sources check (no files: refused at once)",
                _timed_any([ews, "sources", "check", "--sources", str(root / "sources.toml")], alone),
            )
        )
        served_home = root / "served"
        served = {**base, "EWS_HOME": str(served_home)}
        code = (
            "import sys, time; from data.settings import Settings, configure_environment; "
            "s = Settings(); configure_environment(s); from flows.server import local_prefect_server; "
            "cm = local_prefect_server(s.prefect_dir); cm.__enter__(); print('up', flush=True); time.sleep(3600)"
        )
        server = subprocess.Popen([sys.executable, "-c", code], env=served, stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "up"
            rows.append(
                (
                    "ews ingest (same), the workspace's server running",
                    _timed([ews, "ingest", str(world)], served),
                )
            )
        finally:
            server.terminate()
            server.wait(timeout=60)
    print("| command | wall |\n|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.1f} s |")
    print(f"\n{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")


def _timed_any(args: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(args, env=env, check=False, capture_output=True)
    return time.monotonic() - started


if __name__ == "__main__":
    main()
