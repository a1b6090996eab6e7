"""Benchmark: `ews demo` end to end (world, ingest, train, score) in a fresh workspace.

Run: `.venv/bin/python benchmarks/bench_demo.py` (or `make bench`). Prints wall time, the
peak resident memory of the demo process, and the machine, as a Markdown row for
docs/benchmarks.md.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ews = Path(sys.executable).with_name("ews")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "EWS_HOME": home}
        env.pop("MLFLOW_TRACKING_URI", None)
        env.pop("PREFECT_API_URL", None)
        started = time.monotonic()
        result = subprocess.run([str(ews), "demo"], env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"ews demo failed: {result.stderr.strip().splitlines()[-1:]}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    steps = [line for line in result.stdout.splitlines() if line.startswith("[")]
    print("\n".join(steps))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"| ews demo | {wall:.0f} s | {peak_mb:,.0f} MB | {machine} |")


if __name__ == "__main__":
    main()
