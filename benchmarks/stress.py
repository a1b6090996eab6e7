"""Stress (reliability matrix L3): grow one delivery until ingest or scoring fails under a memory cap.

Run: `.venv/bin/python benchmarks/stress.py [--cap-gb 4] [--start-scale 0.01] [--max-steps 8]
[--seed 0] [--out DIR]`. Steps:

1. **Champion**, not timed, as `bench_national.py` makes it (its own child modes are run): a
   hgb champion (30 trees, one backtest origin) trained on the `national` preset at scale
   0.02 (its per-province world cached in ``OUT/national-s<seed>-x0.02``), registered in an
   MLflow registry shared by every workspace below, each of which trusts its digest.
2. **Sizes** ``S, 2S, 4S, ...`` (``--start-scale``, at most ``--max-steps``): the `national`
   preset at that scale written as ONE delivery folder (``simulator.write_blocks``, cached
   in ``OUT/stress/world-s<seed>-x<scale>``), then, in a fresh workspace, `ews ingest FOLDER`
   and `ews score --as-of D` (D the 25th of the month after the world's end), each a fresh
   process whose address space is capped with ``setrlimit(RLIMIT_AS)`` at ``--cap-gb``. A
   Prefect server on 127.0.0.1 (uncapped) records the runs, as under `ews serve`. Recorded:
   enterprises, indicator rows, wall time, peak RSS (``wait4``: the process and the children
   it waited for), exit status and the last line of stderr. The run stops at the first size
   that fails.
3. **Failure mode**: the failing command must exit 1 (README "Exit status": memory
   exhausted), print one line ``error: ...`` and no traceback (no ``--debug``), and leave no
   partial output. This is checked in the failing workspace and again in a workspace that
   has a published night: for a failed ingest, a copy of the last size that passed (store
   and night) receiving the same delivery; for a failed scoring, a copy of the failing
   workspace with the night before published uncapped, then the capped night again. Each
   workspace must read the same before and after (published nights and the run ledger,
   export and report bytes, stored deliveries) and hold no temporary file (``.tmp-*``,
   ``tmp/``).

Prints a Markdown table, the checks, the ceiling ("between X and Y enterprises under a G GB
cap") and its linear extrapolation to 24 GB (an extrapolation, not a measurement); writes the
figures to ``OUT/stress/stress-s<seed>-cap<G>.json``. Exits 1 when a check of the failure
mode fails. The champion is kept (``OUT/stress/champion.json`` and its registry) and reused by
the next run. The cap bounds address space, not resident memory: `ews ingest` of the
smallest world peaked at about 2.6 GB of address space for 0.9 GB resident, so a cap of G GB
stops a command well before it holds G GB.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_national  # noqa: E402  (a sibling benchmark script)

#: The CLI's status for memory exhausted (README, "Exit status"; `cli.main.EXIT_UNEXPECTED`).
EXIT_OUT_OF_MEMORY = 1
TEMP_PREFIX = ".tmp-"  # `present.exports.TEMP_PREFIX`, also the store's temporary deliveries
REFERENCE_GB = 24


def write_world(world: Path, seed: int, scale: float) -> dict[str, Any]:
    """Write the national world at `scale` as one delivery folder (cached; child process)."""
    import pyarrow.parquet as pq

    import simulator as sim

    done = world / "written.json"
    if not done.is_file():
        shutil.rmtree(world, ignore_errors=True)
        started = time.monotonic()
        sim.write_blocks(sim.national_preset(scale), seed, world, "parquet")
        figures = {
            "seconds": round(time.monotonic() - started, 1),
            "peak_mb": round(bench_national._peak_mb()),
        }
        figures.update(
            {
                table: int(pq.ParquetFile(world / f"{table}.parquet").metadata.num_rows)
                for table in ("enterprises", "indicators")
            }
        )
        done.write_text(json.dumps(figures))
    return dict(json.loads(done.read_text()))


def run_capped(args: list[str], env: dict[str, str], cap_bytes: int | None, logs: Path) -> dict[str, Any]:
    """Run `ews ARGS` in a child whose address space is capped at `cap_bytes` (None: no cap).

    Returns its exit status (negative: killed by that signal), wall time, peak RSS from
    ``wait4`` and what stderr holds: its last line, its non-blank line count, a traceback.
    """
    logs.mkdir(parents=True, exist_ok=True)
    name = args[0]
    out_path, err_path = logs / f"{name}.stdout", logs / f"{name}.stderr"

    def cap() -> None:
        if cap_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))

    ews = Path(sys.executable).with_name("ews")
    started = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen(
            [str(ews), *args], env=env, stdout=out, stderr=err, cwd=ROOT, preexec_fn=cap
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    lines = [line for line in stderr.splitlines() if line.strip()]
    return {
        "command": "ews " + " ".join(args),
        "exit": process.returncode,
        "seconds": round(seconds, 1),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "stderr_lines": len(lines),
        "stderr_last": lines[-1] if lines else "",
        "traceback": "Traceback (most recent call last)" in stderr,
        "stdout_tail": out_path.read_text(encoding="utf-8", errors="replace")[-2000:],
    }


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def workspace_state(home: Path) -> dict[str, Any]:
    """What readers of a workspace see: published nights (rows digest), the run ledger,
    export and report bytes, the stored deliveries (names, sizes); and its temporary files."""
    from outputs import rankings

    db = home / "ews.db"
    nights: dict[str, str] = {}
    ledger = ""
    if db.is_file():
        for night in rankings.scored_dates(db):
            rows = rankings.read_ranking(db, night).to_csv(index=False).encode()
            nights[night] = hashlib.sha256(rows).hexdigest()
        ledger = rankings.score_runs(db).to_csv(index=False)
    files = {
        p.relative_to(home).as_posix(): _digest(p)
        for folder in ("exports", "reports")
        for p in sorted((home / folder).glob("*"))
        if p.is_file() and not p.name.startswith(".")
    }
    deliveries = {
        p.relative_to(home).as_posix(): p.stat().st_size
        for p in sorted((home / "store" / "deliveries").rglob("*"))
        if p.is_file()
    }
    temp = sorted(
        p.relative_to(home).as_posix()
        for p in home.rglob(f"{TEMP_PREFIX}*")
        if p.relative_to(home).parts[0] not in ("prefect", "mlflow")
    )
    scratch = home / "tmp"
    temp += sorted(p.relative_to(home).as_posix() for p in scratch.rglob("*")) if scratch.is_dir() else []
    return {"nights": nights, "ledger": ledger, "files": files, "deliveries": deliveries, "temp": temp}


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [key for key in ("nights", "ledger", "files", "deliveries") if before[key] != after[key]]


def check_failure(result: dict[str, Any], state: dict[str, Any] | None, before: dict[str, Any] | None,
                  where: str) -> list[dict[str, Any]]:  # fmt: skip
    """The failure-mode checks of one failed command (and of its workspace, before and after)."""
    checks = [
        {
            "check": f"{where}: exit status {EXIT_OUT_OF_MEMORY} (memory exhausted)",
            "ok": result["exit"] == EXIT_OUT_OF_MEMORY,
            "seen": f"exit {result['exit']}",
        },
        {
            "check": f"{where}: one line `error: ...` on stderr, no traceback",
            "ok": result["stderr_lines"] == 1
            and result["stderr_last"].startswith("error: ")
            and not result["traceback"],
            "seen": f"{result['stderr_lines']} line(s), traceback: {result['traceback']}; "
            f"last: {result['stderr_last'][:200]}",
        },
        {
            "check": f"{where}: the line says memory ran out",
            "ok": "memory" in result["stderr_last"].lower(),
            "seen": result["stderr_last"][:200],
        },
    ]
    if state is not None:
        checks.append(
            {"check": f"{where}: no temporary file left", "ok": not state["temp"], "seen": state["temp"][:5]}
        )
    if before is not None and state is not None:
        changed = _differences(before, state)
        checks.append(
            {
                "check": f"{where}: published nights, ledger, exports, reports and store unchanged",
                "ok": not changed,
                "seen": f"changed: {changed}" if changed else f"{len(before['nights'])} night(s) kept",
            }
        )
    return checks


def _copy_workspace(source: Path | None, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    if source is None:
        target.mkdir(parents=True)
    else:
        shutil.copytree(source, target, symlinks=True)


def failure_mode(
    step: str,
    measured: dict[str, Any],
    failing_ws: Path,
    previous_ws: Path | None,
    world: Path,
    as_of: str,
    env_of: Callable[[Path], dict[str, str]],
    cap_bytes: int,
    out: Path,
) -> list[dict[str, Any]]:
    """Check the measured failure, then fail the same step again in a workspace with a
    published night and check that nothing readers see has changed (see the docstring)."""
    state = workspace_state(failing_ws)
    checks = check_failure(measured, state, None, "measured")
    if step == "ingest":
        kept = {
            "check": "measured: nothing stored",
            "ok": not state["deliveries"],
            "seen": len(state["deliveries"]),
        }
    else:
        published = [name for name in state["files"] if as_of in name]
        kept = {
            "check": f"measured: no night {as_of} and no export of it",
            "ok": as_of not in state["nights"] and not published,
            "seen": f"nights {sorted(state['nights'])}, files {published}",
        }
    checks.append(kept)
    check_ws = out / "failure-check-workspace"
    if step == "ingest":
        _copy_workspace(previous_ws, check_ws)
        args = ["ingest", str(world), "--json"]
        seeded = "a copy of the last size that passed" if previous_ws else "an empty workspace"
    else:
        _copy_workspace(failing_ws, check_ws)
        night_before = str(dt.date.fromisoformat(as_of) - dt.timedelta(days=1))
        logs = out / "logs" / "check-publish"
        first = run_capped(["score", "--as-of", night_before, "--json"], env_of(check_ws), None, logs)
        if first["exit"] != 0:
            raise SystemExit(f"publishing {night_before} uncapped failed: {first['stderr_last']}")
        args = ["score", "--as-of", as_of, "--json"]
        seeded = f"the failing workspace with {night_before} published"
    before = workspace_state(check_ws)
    again = run_capped(args, env_of(check_ws), cap_bytes, out / "logs" / "check")
    after = workspace_state(check_ws)
    where = f"again in {seeded} ({len(before['nights'])} night(s), {len(before['deliveries'])} stored files)"
    if again["exit"] == 0:
        return [*checks, {"check": f"{where}: fails again", "ok": False, "seen": "it passed this time"}]
    return checks + check_failure(again, after, before, where)


def run(cap_gb: float, start_scale: float, max_steps: int, seed: int, out: Path) -> dict[str, Any]:
    """The benchmark; returns its figures."""
    from flows.demo import demo_as_of
    from flows.server import local_prefect_server
    from simulator import national_preset

    out = out.resolve()
    base = out / "stress"
    base.mkdir(parents=True, exist_ok=True)
    cap_bytes = int(cap_gb * 2**30)
    as_of = str(demo_as_of(national_preset(start_scale).end).date())
    figures: dict[str, Any] = {
        "preset": "national",
        "seed": seed,
        "cap_gb": cap_gb,
        "as_of": as_of,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sizes": [],
    }
    env = {
        **os.environ,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",  # its bars would share stderr with the line
        "MLFLOW_TRACKING_URI": f"sqlite:///{base / 'mlflow' / 'mlflow.db'}",
    }
    env.pop("PREFECT_API_URL", None)
    seeds = ["--seed", str(seed)]
    train_world = bench_national.world_dir(out, seed, bench_national.TRAIN_SCALE)
    with contextlib.ExitStack() as stack:
        prefect_home = base / "prefect"
        shutil.rmtree(prefect_home, ignore_errors=True)
        prefect_home.mkdir()
        env["PREFECT_API_URL"] = stack.enter_context(local_prefect_server(prefect_home))
        env["PREFECT_HOME"] = str(prefect_home)

        def env_of(home: Path) -> dict[str, str]:
            return {**env, "EWS_HOME": str(home)}

        champion = base / "champion.json"
        if not champion.is_file():  # a registry of an earlier run is reused
            shutil.rmtree(base / "mlflow", ignore_errors=True)
            (base / "mlflow").mkdir()
            national = bench_national.__file__
            train_scale = f"{bench_national.TRAIN_SCALE:g}"
            bench_national._child(
                ["--child", "write", "--scale", train_scale, *seeds, "--out", str(out)], env, national
            )
            shutil.rmtree(base / "train", ignore_errors=True)
            trained = bench_national._child(
                ["--child", "train", "--world", str(train_world), "--as-of", as_of], env_of(base / "train"), national
            )  # fmt: skip
            champion.write_text(json.dumps(trained))
        figures["champion"] = json.loads(champion.read_text())
        print(f"champion: {figures['champion']}", file=sys.stderr)

        previous: Path | None = None
        scale = start_scale
        for _ in range(max_steps):
            world = base / f"world-s{seed}-x{scale:g}"
            written = bench_national._child(
                ["--child", "write", "--scale", f"{scale:g}", *seeds, "--world", str(world)], env, __file__
            )
            home = base / f"workspace-x{scale:g}"
            _copy_workspace(None, home)
            row: dict[str, Any] = {
                "scale": scale,
                "enterprises": written["enterprises"],
                "indicator_rows": written["indicators"],
                "world_seconds": written["seconds"],
                "load_before": bench_national._load(),
            }
            logs = base / "logs" / home.name
            row["ingest"] = run_capped(["ingest", str(world), "--json"], env_of(home), cap_bytes, logs)
            failed = "ingest" if row["ingest"]["exit"] != 0 else None
            if failed is None:
                bench_national._child(["--child", "trust"], env_of(home), bench_national.__file__)
                args = ["score", "--as-of", as_of, "--json"]
                row["score"] = run_capped(args, env_of(home), cap_bytes, logs)
                failed = "score" if row["score"]["exit"] != 0 else None
            row["failed"] = failed
            figures["sizes"].append(row)
            print(_row(row), file=sys.stderr)
            if failed is not None:
                figures["checks"] = failure_mode(
                    failed, row[failed], home, previous, world, as_of, env_of, cap_bytes, base
                )
                break
            if previous is not None:
                shutil.rmtree(previous)
            previous = home
            scale *= 2
    return figures


def _step(result: dict[str, Any] | None) -> str:
    if result is None:
        return "not run"
    return f"{result['seconds']} s, {result['peak_mb']:,} MB, exit {result['exit']}"


def _row(row: dict[str, Any]) -> str:
    last = next((row[s]["stderr_last"] for s in ("score", "ingest") if s in row and row[s]["exit"]), "")
    last = last.replace("|", "\\|")[:160]
    return (
        f"| {row['scale']:g} | {row['enterprises']:,} | {row['indicator_rows']:,} | "
        f"{_step(row.get('ingest'))} | {_step(row.get('score'))} | {row['failed'] or 'passed'} | "
        f"{f'`{last}`' if last else ''} |"
    )


def report(figures: dict[str, Any]) -> str:
    """The Markdown table, the checks, the ceiling and its extrapolation."""
    lines = [
        f"cap: RLIMIT_AS {figures['cap_gb']:g} GB per command; {figures['machine']}; as of {figures['as_of']}",
        "",
        "| scale | enterprises | indicator rows | `ews ingest` (wall, peak RSS, exit) "
        "| `ews score` (wall, peak RSS, exit) | result | last line of stderr (failure) |",
        "|---|---:|---:|---|---|---|---|",
        *(_row(row) for row in figures["sizes"]),
    ]
    sizes = figures["sizes"]
    passed = [row for row in sizes if row["failed"] is None]
    failed = [row for row in sizes if row["failed"] is not None]
    cap = figures["cap_gb"]
    factor = REFERENCE_GB / cap
    if failed:
        lines += ["", "| failure-mode check | ok | seen |", "|---|---|---|"]
        for check in figures["checks"]:
            seen = str(check["seen"]).replace("|", "\\|")
            lines.append(f"| {check['check']} | {'yes' if check['ok'] else '**NO**'} | {seen} |")
        bottom = passed[-1]["enterprises"] if passed else 0
        top = failed[0]["enterprises"]
        lines += [
            "",
            f"ceiling: between {bottom:,} and {top:,} enterprises under a {cap:g} GB cap "
            f"({failed[0]['failed']} failed first)",
            f"linear extrapolation to {REFERENCE_GB} GB (an extrapolation, not measured): between "
            f"{bottom * factor:,.0f} and {top * factor:,.0f} enterprises",
        ]
    elif passed:
        lines += [
            "",
            f"no failure: every size passed up to {passed[-1]['enterprises']:,} enterprises under a "
            f"{cap:g} GB cap (raise --max-steps)",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cap-gb", type=float, default=4.0, help="address-space cap of each command")
    parser.add_argument("--start-scale", type=float, default=0.01, help="national_preset(scale) first")
    parser.add_argument("--max-steps", type=int, default=8, help="sizes at most (each twice the last)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--child", choices=["write"], help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--world", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "write":
        print(json.dumps(write_world(args.world.resolve(), args.seed, args.scale)))
        return
    figures = run(args.cap_gb, args.start_scale, args.max_steps, args.seed, args.out)
    path = args.out.resolve() / "stress" / f"stress-s{args.seed}-cap{args.cap_gb:g}.json"
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(report(figures))
    if not all(check["ok"] for check in figures.get("checks", [])):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
