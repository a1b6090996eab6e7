"""Benchmark: one night's scoring of the `hai-duong` world (17,000 enterprises).

Run: `.venv/bin/python benchmarks/bench_score.py [--seed 0] [--nights 2]`. Not timed: a Prefect
server is started on 127.0.0.1 (as `ews serve` does); the default model (the blend) is trained on the
pooled demo world with the demo's 2-origin backtest (its own workspace, a shared MLflow
registry); the `hai-duong` world is simulated and ingested into the scoring workspace.
Timed, in a fresh child process: `score_flow` for one night (verify and load the champion,
features, scores, reasons, publication, exports, report, monitoring), then the following
nights in the same process. Peak memory is the child's peak RSS over its whole life, imports
included. Prints a Markdown row for docs/benchmarks.md with the machine's load average.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PRESET = "hai-duong"


def _configure() -> None:
    from data.settings import Settings, configure_environment

    configure_environment(Settings())


def train_pooled(seed: int) -> dict[str, str]:
    """Simulate and ingest the pooled demo world, train the default model (child process).

    The model is trained on the pooled provinces and scores Hải Dương alone, as the README
    recommends (Hải Dương has about 1.5 work stoppages a year: too few to train on).
    """
    _configure()
    import simulator as sim
    from data.settings import Settings
    from flows.demo import DEMO_BACKTEST_ORIGINS, demo_as_of
    from flows.ingest import ingest_flow
    from flows.train import train_flow
    from models.train import ModelParams

    started = time.monotonic()
    world = sim.simulate("demo", seed=seed)
    source = Settings().root / "sources" / "demo"
    sim.write_source(world, source, "parquet")
    ingest_flow(str(source))
    as_of = demo_as_of(str(world.params["end"])).date()
    train_flow(
        as_of=as_of,
        promote="auto",
        params=ModelParams(backtest_origins=DEMO_BACKTEST_ORIGINS),
    )
    return {"trained_as_of": str(as_of), "seconds": f"{time.monotonic() - started:.0f}"}


def prepare_world(seed: int) -> dict[str, str]:
    """Simulate and ingest the `hai-duong` world into the scoring workspace (child process)."""
    _configure()
    import simulator as sim
    from data.settings import Settings
    from flows.demo import demo_as_of
    from flows.ingest import ingest_flow

    started = time.monotonic()
    world = sim.simulate(PRESET, seed=seed)
    source = Settings().root / "sources" / PRESET
    sim.write_source(world, source, "parquet")
    ingest_flow(str(source))
    # The champion was registered from the training workspace: this workspace records its
    # digest as an operator would (`ews models trust N`), or scoring refuses to load it.
    from models import registry
    from models.champion import trust_version

    settings = Settings()
    champion = registry.alias_version(settings.model_name, registry.CHAMPION)
    if champion is None:
        sys.exit("no champion in the shared registry")
    trust_version(settings.model_name, settings.db_path, champion.version)
    as_of = demo_as_of(str(world.params["end"])).date()
    return {"as_of": str(as_of), "seconds": f"{time.monotonic() - started:.0f}"}


def score(as_of: str, nights: int, profile: str | None, profile_night: int = 0) -> dict[str, object]:
    """Score `nights` consecutive nights ending at `as_of` in this process; time each call.

    With `profile`, night `profile_night` (0: the first) runs under cProfile and the stats go
    to that file.
    """
    started = time.monotonic()
    _configure()
    from flows.score import score_flow

    imported = time.monotonic() - started
    walls = []
    rows = 0
    first = dt.date.fromisoformat(as_of) - dt.timedelta(days=nights - 1)
    for i in range(nights):
        profiler = cProfile.Profile() if profile and i == profile_night else None
        t0 = time.monotonic()
        if profiler is not None:
            profiler.enable()
        summary = score_flow(as_of=first + dt.timedelta(days=i))
        walls.append(time.monotonic() - t0)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(profile))
        rows = int(summary["rows"])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"import_seconds": imported, "walls": walls, "rows": rows, "peak_mb": peak_mb}


def _child(args: list[str], env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nights", type=int, default=2, help="nights scored in the timed process")
    parser.add_argument("--profile", help="write cProfile stats of one night to this file")
    parser.add_argument(
        "--profile-night", type=int, default=0, help="which night --profile profiles (0: the first)"
    )
    parser.add_argument(
        "--workspace", help="keep the prepared workspaces in this folder and reuse them on the next run"
    )
    parser.add_argument("--child", choices=["train", "world", "score"], help=argparse.SUPPRESS)
    parser.add_argument("--as-of", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "train":
        print(json.dumps(train_pooled(args.seed)))
        return
    if args.child == "world":
        print(json.dumps(prepare_world(args.seed)))
        return
    if args.child == "score":
        print(json.dumps(score(args.as_of, args.nights, args.profile, args.profile_night)))
        return

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from flows.server import local_prefect_server

    with contextlib.ExitStack() as stack:
        root = Path(args.workspace or stack.enter_context(tempfile.TemporaryDirectory())).resolve()
        env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        env.pop("PREFECT_API_URL", None)
        # One MLflow registry shared by the training workspace and the scoring workspace.
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow' / 'mlflow.db'}"
        (root / "mlflow").mkdir(parents=True, exist_ok=True)
        prefect_home = root / "prefect"
        prefect_home.mkdir(exist_ok=True)
        api_url = stack.enter_context(local_prefect_server(prefect_home))
        env["PREFECT_API_URL"] = api_url
        env["PREFECT_HOME"] = str(prefect_home)
        seed = ["--seed", str(args.seed)]
        scoring_env = {**env, "EWS_HOME": str(root / "score")}
        done = root / "prepared.json"
        if done.is_file():
            trained, prepared = json.loads(done.read_text())
        else:
            trained = _child(["--child", "train", *seed], {**env, "EWS_HOME": str(root / "train")})
            prepared = _child(["--child", "world", *seed], scoring_env)
            done.write_text(json.dumps([trained, prepared]))
        load_before = os.getloadavg()[0]
        nights = ["--nights", str(args.nights)]
        if args.profile:
            nights += [
                "--profile",
                str(Path(args.profile).resolve()),
                "--profile-night",
                str(args.profile_night),
            ]
        timed = _child(["--child", "score", "--as-of", str(prepared["as_of"]), *nights], scoring_env)
        load_after = os.getloadavg()[0]
    print(
        f"setup, not timed: train on the pooled demo world {trained['seconds']} s, "
        f"hai-duong world {prepared['seconds']} s"
    )
    walls = [float(w) for w in timed["walls"]]  # type: ignore[attr-defined]
    print(f"imports in the scoring process: {float(timed['import_seconds']):.1f} s")  # type: ignore[arg-type]
    print("score_flow per night: " + ", ".join(f"{w:.1f} s" for w in walls))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(
        f"| {PRESET}, {timed['rows']} enterprises, as of {prepared['as_of']} | first night {walls[0]:.1f} s"
        + (f", next {', '.join(f'{w:.1f}' for w in walls[1:])} s" if len(walls) > 1 else "")
        + f" | {float(timed['peak_mb']):,.0f} MB | {machine}; load average {load_before:.1f} → {load_after:.1f} |"  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    main()
