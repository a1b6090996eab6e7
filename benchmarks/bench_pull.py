"""Benchmark: `ews pull` of a world written as the four agencies deliver it.

Run: `.venv/bin/python benchmarks/bench_pull.py [--preset demo] [--seed 0]`. Not timed: the
world is simulated and written by `ews simulate --form agencies` (agency files and the same
facts in the contract form). Timed, each in a fresh child process with its own workspace:
the first pull of every file (through `data.pull.pull_source`, the function each Prefect
task of `ews pull` runs), a second pull that finds nothing new, and `ews ingest` of the
contract form of the same facts. Then the two stores are compared: same enterprises, same
resolved indicators, same incidents (the store's content digest). Peak memory is each
child's peak RSS. Prints a Markdown row for docs/benchmarks.md with the machine's load.
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


def child_pull(agencies: str, home: str) -> dict[str, object]:
    """Pull every source once, then again; return times and the store's digest."""
    from data.pull import pull_source
    from data.sources import load_sources
    from data.store import Store

    sources = load_sources(Path(agencies) / "sources.toml")
    store = Store(Path(home) / "store")
    started = time.monotonic()
    reports = {n: pull_source(sources, n, store, Path(home)).to_json() for n in sources.names}
    first = time.monotonic() - started
    started = time.monotonic()
    again = {n: pull_source(sources, n, store, Path(home)).to_json() for n in sources.names}
    second = time.monotonic() - started
    return {
        "first_s": round(first, 1),
        "again_s": round(second, 1),
        "again_status": sorted({r["status"] for r in again.values()}),
        "tables": {n: r["tables"] for n, r in reports.items()},
        "refused": [line for r in reports.values() for line in r["refused"]],
        "digest": store.content_digest(),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def child_ingest(contract: str, home: str) -> dict[str, object]:
    """Ingest the contract form of the same facts; return time and the store's digest."""
    from data.ingest import ingest
    from data.store import Store

    store = Store(Path(home) / "store")
    started = time.monotonic()
    report = ingest(contract, store, max_bad_share=1.0)
    return {
        "ingest_s": round(time.monotonic() - started, 1),
        "tables": report.to_json()["tables"],
        "digest": store.content_digest(),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def _child(function: str, *args: str) -> dict[str, object]:
    code = f"import json,sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_pull as b; print(json.dumps(b.{function}(*sys.argv[1:])))"
    done = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pull-") as tmp:
        root = Path(tmp)
        started = time.monotonic()
        subprocess.run(
            [str(Path(sys.executable).parent / "ews"), "simulate", "--out", str(root / "world"), "--preset", args.preset,
             "--seed", str(args.seed), "--form", "agencies"],
            check=True, capture_output=True, env={**os.environ, "EWS_HOME": str(root / "sim-home")},
        )  # fmt: skip
        written = time.monotonic() - started
        pulled = _child("child_pull", str(root / "world" / "agencies"), str(root / "pulled"))
        ingested = _child("child_ingest", str(root / "world" / "contract"), str(root / "ingested"))
    same = pulled["digest"] == ingested["digest"]
    load = os.getloadavg()[0]
    print(
        json.dumps(
            {"written_s": round(written, 1), "pull": pulled, "ingest": ingested, "same_store": same}, indent=1
        )
    )
    print(
        f"| pull `{args.preset}` seed {args.seed} | write {written:.0f} s | first pull {pulled['first_s']} s, "
        f"peak {pulled['peak_mb']} MB | pull again {pulled['again_s']} s ({', '.join(pulled['again_status'])}) | "  # type: ignore[arg-type]
        f"contract ingest {ingested['ingest_s']} s, peak {ingested['peak_mb']} MB | same store: {same} | "
        f"{platform.machine()}, {os.cpu_count()} cores, load {load:.2f} |"
    )


if __name__ == "__main__":
    main()
