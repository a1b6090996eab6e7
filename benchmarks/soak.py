"""Soak: many nights and monthly retrainings through the scheduled flows, with faults injected.

Run: `.venv/bin/python benchmarks/soak.py` (60 nights, 2024-10-02 to 2024-11-30, of the tiny
world, seed 1; about half an hour on 2 cores). `--nights N` shortens it; `--json FILE` keeps
the figures. Prints a Markdown summary for docs/benchmarks.md.

What runs. The same calendar twice, each time in a fresh workspace with its own Prefect
server (`prefect server start`, a real one) and a runner serving the project's deployments
(`flows.schedule.deployments()`: nightly scoring, monthly retraining, one run at a time):

- the **calm** pass: no fault;
- the **faults** pass: the same nights, with five faults injected on chosen nights.

The soak's clock stands in for the server's scheduler (which only creates runs for real
times): each night's scoring run is created for 02:00 of the next day (Asia/Ho_Chi_Minh), so
the flow takes its night from its scheduled time exactly as under `ews serve`, and decides
"score / done / superseded" at that simulated moment; each month's retraining is created for
03:00 on the 1st. Agency data arrive monthly, on the 25th (the rows reported since the
previous delivery), as `ews ingest` deliveries. Every run is a flow run the runner executes in its own process.

The faults (each on its own night of the faults pass), and what must follow:

- **tampered model**: a byte of the champion's model file changed. The run must fail before
  loading it (integrity), with an alert; the file restored, the night is run again.
- **data during scoring**: a delivery lands while the run is held after reading the store.
  The run must publish from the state it read and say so in an alert.
- **MLflow store unreadable**: the tracking database's bytes replaced. The run must fail with
  an alert; restored, the night is run again.
- **disk full during exports**: the export write fails with ENOSPC. The night must not be
  marked complete, no temp file left, an alert; the night is run again.
- **kill during publication**: the runner and its flow run are SIGKILLed inside the
  publication transaction. Nothing of it may be visible; the restarted runner's next run says
  that the previous one was interrupted (an alert), and the night is run again.

After each fault the soak checks that every published night is whole (complete, or the
faulted night not complete and not visible as complete), that earlier nights are untouched
and that no temp file is left; at the end, that the faults pass equals the calm pass (every
night's ranking and exports, the score-run ledger, the model versions and the champion)
apart from its extra alerts. It fails loudly (exit 1) when any of this does not hold.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TIMEZONE = "Asia/Ho_Chi_Minh"
FAULTS = ("tampered-model", "data-during-scoring", "mlflow-unreadable", "disk-full", "kill-publication")
# The alert each fault must raise (kinds recorded in the workspace's alerts table).
EXPECTED_ALERT = {
    "tampered-model": {"score-failed"},
    "data-during-scoring": {"data-during-scoring"},
    "mlflow-unreadable": {"score-failed"},
    "disk-full": {"score-failed"},
    # The restarted service marks the orphaned run crashed; the next scoring run finds the
    # lock of the killed one and says so too.
    "kill-publication": {"run-interrupted", "score-interrupted"},
}
DELIVERY_DAY = 25
RUN_TIMEOUT_SECONDS = 1800.0
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
# Small but real retrainings: two backtest origins, the boosted and the readable learner.
TRAIN_PARAMETERS: dict[str, Any] = {
    "promote": "auto",
    "scheduled": True,
    "params": {"backtest_origins": 2, "max_iter": 60, "calibration_months": 6, "learner": "hgb"},
    "candidates": ["hgb", "logistic"],
}


# ---------------------------------------------------------------------------- the calendar


def fire_time(day: dt.date, hour: int) -> pd.Timestamp:
    """`hour`:00 of `day` in Vietnam, as UTC."""
    return pd.Timestamp(day.year, day.month, day.day, hour, tz=TIMEZONE).tz_convert("UTC")


def calendar(start: dt.date, nights: int) -> list[tuple[str, dt.date]]:
    """The soak's events in order: ("score", night) for each night and ("train", as_of) at
    03:00 on each 1st, after that day's 02:00 scoring (the first retraining, before the first
    night, trains the initial champion)."""
    events: list[tuple[str, dt.date]] = [("train", start.replace(day=1) - dt.timedelta(days=1))]
    for i in range(nights):
        night = start + dt.timedelta(days=i)
        events.append(("score", night))
        fired = night + dt.timedelta(days=1)
        if fired.day == 1:
            events.append(("train", night))
    return events


def delivery_days(start: dt.date, nights: int) -> list[dt.date]:
    """When agency data arrive: once before the first retraining (everything reported by
    then), then on the 25th of each month, when most of the previous month's reports are in
    (monthly files, as the agencies send them; a month sent in small pieces would meet the
    volume check, see the README)."""
    first = start.replace(day=1) - dt.timedelta(days=1)
    span = [start + dt.timedelta(days=i) for i in range(nights)]
    return [first, *(d for d in span if d.day == DELIVERY_DAY)]


def fault_nights(start: dt.date, nights: int) -> dict[dt.date, str]:
    """Each fault on its own night: the delivery during scoring on the first delivery night
    of the span, the others spread over it (never the first night)."""
    during = next((d for d in delivery_days(start, nights)[1:] if d > start), None)
    if during is None:
        raise SystemExit(f"the soak needs a delivery day (the {DELIVERY_DAY}th) after its first night")
    taken = {start, during}
    out = {during: "data-during-scoring"}
    others = [k for k in FAULTS if k != "data-during-scoring"]
    for share, kind in zip([0.1, 0.4, 0.65, 0.9], others, strict=True):
        night = start + dt.timedelta(days=max(1, int(share * nights)))
        while night in taken:
            night += dt.timedelta(days=1)
        if night >= start + dt.timedelta(days=nights):
            raise SystemExit("too few nights for every fault on its own night")
        taken.add(night)
        out[night] = kind
    return dict(sorted(out.items()))


# ---------------------------------------------------------------------------- the deliveries


def write_deliveries(
    folder: Path, preset: str, seed: int, start: dt.date, nights: int
) -> dict[dt.date, Path]:
    """The world's indicator rows cut into deliveries by the date they were reported
    (`delivery_days`).
    Returns night → delivery folder (delivered after that night's scoring, or during it)."""
    import simulator as sim

    world = folder / "world"
    sim.write_source(sim.simulate(preset, seed=seed), world, "parquet")
    enterprises = pd.read_parquet(world / "enterprises.parquet")
    tables = {name: pd.read_parquet(world / f"{name}.parquet") for name in ("indicators", "incidents")}
    days = delivery_days(start, nights)
    out: dict[dt.date, Path] = {}
    previous: dt.date | None = None
    for day in days:
        target = folder / "deliveries" / day.isoformat()
        target.mkdir(parents=True)
        # A contract-form delivery holds the three tables: the registry as it stands, the
        # incidents reported so far (known ones again: a no-op), the new indicator rows.
        enterprises.to_parquet(target / "enterprises.parquet", index=False)
        for name, frame in tables.items():
            reported = pd.to_datetime(frame["reported_at"]).dt.date
            keep = reported <= day
            if name == "indicators" and previous is not None:
                keep &= reported > previous
            frame.loc[keep].to_parquet(target / f"{name}.parquet", index=False)
        out[day] = target
        previous = day
    return out


# ---------------------------------------------------------------------------- one pass


class SoakFailure(AssertionError):
    """A promise of the soak did not hold."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SoakFailure(message)


def serve_runner() -> None:
    """The runner process: serve the scheduled deployments with their schedules removed
    (the soak's clock creates each run at its cron time instead)."""
    from prefect import serve

    from flows.schedule import deployments, reap_interrupted_runs

    reap_interrupted_runs()  # as `ews serve` does when it starts again after a kill
    served = deployments()
    for deployment in served:
        deployment.schedules = []  # type: ignore[attr-defined]
    serve(*served, pause_on_shutdown=False, limit=1)  # type: ignore[arg-type]


class Pass:
    """One pass over the calendar in a fresh workspace, with or without faults."""

    def __init__(
        self, home: Path, deliveries: dict[dt.date, Path], faults: dict[dt.date, str], during: dt.date
    ) -> None:
        self.home = home
        self.deliveries = deliveries
        self.faults = faults
        self.during = during  # the night whose delivery lands during (or, calm, just after) its scoring
        self.plan = home.parent / f"{home.name}.fault-plan"
        self.marker = self.plan.with_name(self.plan.name + ".marker")
        self.events: list[dict[str, Any]] = []
        self.growth: list[dict[str, Any]] = []

    # -- environment and Prefect -------------------------------------------------------

    def env(self, api_url: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "MLFLOW_", "EWS_"))}
        return {
            **base,
            "EWS_HOME": str(self.home),
            "MLFLOW_TRACKING_URI": f"sqlite:///{self.home / 'mlflow' / 'mlflow.db'}",
            "PREFECT_API_URL": api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "EWS_FAULT_PLAN": str(self.plan),
        }

    def create_run(self, kind: str, day: dt.date) -> str:
        """A run of the nightly-scoring (or monthly-retraining) deployment at its cron time."""
        from prefect.deployments import run_deployment

        if kind == "score":
            fire = fire_time(day + dt.timedelta(days=1), 2)
            name, parameters = "score/nightly-scoring", {"scheduled": True}
        else:
            fire = fire_time(day + dt.timedelta(days=1), 3)
            name, parameters = "train/monthly-retraining", dict(TRAIN_PARAMETERS)
        parameters["decided_at"] = (fire + pd.Timedelta(minutes=5)).isoformat()
        run = run_deployment(name=name, parameters=parameters, scheduled_time=fire.to_pydatetime(), timeout=0)
        return str(run.id)

    def wait(self, run_id: str, timeout: float = RUN_TIMEOUT_SECONDS) -> tuple[str, float, str]:
        """Wait for a flow run to end: its state type, wall seconds and message."""
        from prefect.client.orchestration import get_client

        deadline = time.monotonic() + timeout
        with get_client(sync_client=True) as client:
            while True:
                run = client.read_flow_run(run_id)  # type: ignore[arg-type]
                state = run.state
                if state is not None and state.type.value in FINAL:
                    return (
                        state.type.value,
                        float(run.total_run_time.total_seconds()),
                        str(state.message or ""),
                    )
                check(time.monotonic() < deadline, f"run {run_id} did not end within {timeout:.0f} s")
                time.sleep(0.5)

    def wait_marker(self, process: subprocess.Popen[bytes], point: str) -> None:
        deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
        while not self.marker.exists():
            check(process.poll() is None, f"the runner ended before {point}")
            check(time.monotonic() < deadline, f"no run reached {point}")
            time.sleep(0.2)
        check(self.marker.read_text(encoding="utf-8") == point, f"paused at the wrong point, not {point}")

    # -- workspace facts ---------------------------------------------------------------

    def ingest(self, folder: Path) -> None:
        from flows.ingest import ingest_flow

        ingest_flow(str(folder))

    def alerts(self) -> pd.DataFrame:
        from outputs.alerts import read_alerts

        return read_alerts(self.home / "ews.db")

    def published(self) -> dict[str, Any]:
        """What readers see: each night's rows (run ids left out) and whether it is complete."""
        from outputs import rankings
        from present.exports import TEMP_PREFIX

        db = self.home / "ews.db"
        nights = rankings.scored_dates(db) if db.exists() else []
        complete = set(rankings.completed_dates(db)) if db.exists() else set()
        temps = [
            p.name for folder in ("exports", "reports") for p in (self.home / folder).glob(f"{TEMP_PREFIX}*")
        ]
        return {
            "rows": {n: _frame_digest(rankings.read_ranking(db, n).drop(columns=["run_id"])) for n in nights},
            "complete": complete,
            "temps": temps,
        }

    def check_whole(self, before: dict[str, Any], faulted: str | None) -> dict[str, Any]:
        """Every night published before is untouched; the faulted night is not complete."""
        from present.exports import verify_exports

        now = self.published()
        check(not now["temps"], f"temp files left behind: {now['temps']}")
        for night in before["complete"]:
            if night != faulted:
                check(now["rows"].get(night) == before["rows"][night], f"night {night} changed under a fault")
                check(night in now["complete"], f"night {night} lost its completeness under a fault")
                check(verify_exports(self.home / "exports", night), f"exports of {night} no longer verify")
        if faulted is not None:
            check(faulted not in now["complete"], f"the faulted night {faulted} is marked complete")
        return now

    def sizes(self, night: dt.date) -> None:
        self.growth.append(
            {
                "night": night.isoformat(),
                "ews_db_bytes": _size(self.home / "ews.db"),
                "mlflow_db_bytes": _size(self.home / "mlflow" / "mlflow.db"),
                "workspace_bytes": sum(p.stat().st_size for p in self.home.rglob("*") if p.is_file()),
            }
        )

    # -- the faults --------------------------------------------------------------------

    def champion_file(self) -> Path:
        from mlflow.tracking import MlflowClient

        from models.registry import CHAMPION

        client = MlflowClient()
        version = client.get_model_version_by_alias("labor-ews", CHAMPION)
        folder = Path(
            client.get_model_version_download_uri("labor-ews", version.version).removeprefix("file://")
        )
        files = sorted(folder.rglob("*.skops"))
        check(len(files) == 1, f"expected one skops file under {folder}, found {files}")
        return files[0]

    def run_night(
        self, night: dt.date, process: subprocess.Popen[bytes], api_url: str
    ) -> subprocess.Popen[bytes]:
        """Score one night (with its fault, if any); returns the runner (restarted after a kill)."""
        kind = self.faults.get(night)
        before_alerts = len(self.alerts())
        before = self.published()
        record: dict[str, Any] = {"event": "score", "night": night.isoformat(), "fault": kind}
        if kind is None:
            state, seconds, message = self.wait(self.create_run("score", night))
            check(state == "COMPLETED", f"night {night}: {state} {message}")
            record.update(state=state, seconds=seconds)
            self.events.append(record)
            return process

        restore: bytes | None = None
        target: Path | None = None
        if kind == "tampered-model":
            target = self.champion_file()
            restore = target.read_bytes()
            tampered = bytearray(restore)
            tampered[len(tampered) // 2] ^= 0xFF
            target.write_bytes(bytes(tampered))
        elif kind == "mlflow-unreadable":
            target = self.home / "mlflow" / "mlflow.db"
            restore = target.read_bytes()
            target.write_bytes(b"this is not an SQLite database\n" * 64)
        elif kind == "disk-full":
            self.plan.write_text("enospc exports.write\n", encoding="utf-8")
        elif kind == "data-during-scoring":
            self.plan.write_text("hold score.before_publish\n", encoding="utf-8")
        elif kind == "kill-publication":
            self.plan.write_text("pause publish.before_commit\n", encoding="utf-8")

        run_id = self.create_run("score", night)
        if kind == "data-during-scoring":
            self.wait_marker(process, "score.before_publish")
            self.ingest(self.deliveries.pop(night))  # lands while the run holds its snapshot
            self.marker.unlink()
            state, seconds, message = self.wait(run_id)
            self.plan.unlink()
            check(state == "COMPLETED", f"night {night} with a delivery during scoring: {state} {message}")
            record.update(state=state, seconds=seconds)
        elif kind == "kill-publication":
            self.wait_marker(process, "publish.before_commit")
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            self.plan.unlink()
            self.marker.unlink()
            record["killed"] = True
            self.check_whole(before, night.isoformat())
            process = self._restart(api_url)
            state, seconds, message = self.wait(self.create_run("score", night))
            check(state == "COMPLETED", f"night {night} after the kill: {state} {message}")
            record.update(state=state, seconds=seconds, rerun=True)
        else:
            state, _, message = self.wait(run_id)
            check(state == "FAILED", f"night {night} under {kind} ended {state}, not FAILED: {message}")
            record["failed_with"] = message[:300]
            self.check_whole(before, night.isoformat())
            if target is not None and restore is not None:
                target.write_bytes(restore)
            self.plan.unlink(missing_ok=True)
            state, seconds, message = self.wait(self.create_run("score", night))
            check(state == "COMPLETED", f"night {night} run again after {kind}: {state} {message}")
            record.update(state=state, seconds=seconds, rerun=True)
        raised = self.alerts().iloc[before_alerts:]
        record["alerts"] = [f"{k}: {m}" for k, m in zip(raised["kind"], raised["message"], strict=True)]
        check(
            EXPECTED_ALERT[kind] <= set(raised["kind"]),
            f"night {night}: {kind} raised no {EXPECTED_ALERT[kind]} alert (got {list(raised['kind'])})",
        )
        self.events.append(record)
        return process

    def _restart(self, api_url: str) -> subprocess.Popen[bytes]:
        handle = open(self.home.parent / f"{self.home.name}.runner.log", "ab")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "runner"],
            env=self.env(api_url),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._runners.append((process, handle))
        return process

    # -- the whole pass ------------------------------------------------------------------

    def run(self, events: list[tuple[str, dt.date]]) -> dict[str, Any]:
        from flows.server import local_prefect_server

        prefect_home = self.home.parent / f"{self.home.name}.prefect"
        prefect_home.mkdir(parents=True)
        self.home.mkdir(parents=True)
        started = time.monotonic()
        with local_prefect_server(prefect_home) as api_url:
            env = self.env(api_url)
            os.environ.update(env)  # this process's ingests and Prefect client (set before importing Prefect)
            self._runners: list[tuple[subprocess.Popen[bytes], Any]] = []
            process = self._restart(api_url)
            try:
                self._wait_for_deployments()
                for kind, day in events:
                    # A delivery of rows reported up to day D is in before night D is scored,
                    # except the one that lands during its night (after it, in the calm pass).
                    for due in sorted(
                        d for d in self.deliveries if d < day or (d == day and d != self.during)
                    ):
                        self.ingest(self.deliveries.pop(due))
                    if kind == "train":
                        state, seconds, message = self.wait(self.create_run("train", day))
                        check(state == "COMPLETED", f"retraining as of {day}: {state} {message}")
                        self.events.append({"event": "train", "as_of": day.isoformat(), "seconds": seconds})
                        continue
                    process = self.run_night(day, process, api_url)
                    if day in self.deliveries:  # the calm pass: the same delivery, just after the night
                        self.ingest(self.deliveries.pop(day))
                    self.sizes(day)
            finally:
                for proc, handle in self._runners:
                    if proc.poll() is None:
                        os.killpg(proc.pid, signal.SIGTERM)
                        try:
                            proc.wait(timeout=60)
                        except subprocess.TimeoutExpired:
                            os.killpg(proc.pid, signal.SIGKILL)
                            proc.wait()
                    handle.close()
        return {"seconds": time.monotonic() - started, "events": self.events, "growth": self.growth}

    def _wait_for_deployments(self) -> None:
        from prefect.client.orchestration import get_client

        deadline = time.monotonic() + 300
        with get_client(sync_client=True) as client:
            while True:
                try:
                    client.read_deployment_by_name("score/nightly-scoring")
                    client.read_deployment_by_name("train/monthly-retraining")
                    return
                except Exception:  # noqa: BLE001 - not served yet
                    check(time.monotonic() < deadline, "the runner did not serve the deployments")
                    time.sleep(1)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _frame_digest(frame: pd.DataFrame) -> str:
    ordered = frame.sort_values(list(frame.columns[:2])).reset_index(drop=True)
    return hashlib.sha256(pd.util.hash_pandas_object(ordered, index=False).to_numpy().tobytes()).hexdigest()


def final_state(home: Path) -> dict[str, Any]:
    """What the pass left: each night's rows and exports (run ids aside), the ledger, the
    model versions and the champion."""
    from models import registry
    from outputs import rankings

    db = home / "ews.db"
    runs = rankings.score_runs(db)
    exports = {}
    for csv in sorted((home / "exports").glob("ranking-*.csv")):
        frame = pd.read_csv(csv, dtype=str).drop(columns=["run_id"])
        exports[csv.name] = _frame_digest(frame)
    versions = registry.list_versions("labor-ews")
    return {
        "nights": {
            n: _frame_digest(rankings.read_ranking(db, n).drop(columns=["run_id"])) for n in runs["as_of"]
        },
        "ledger": runs[["as_of", "model_version", "rows", "input_digest"]].to_dict("records"),
        "complete": sorted(rankings.completed_dates(db)),
        "exports": exports,
        "versions": [
            {k: v.get(k) for k in ("version", "aliases", "learner", "status") if k in v} for v in versions
        ],
    }


def one_pass(args: argparse.Namespace) -> None:
    """A pass in this process (its own Prefect server and environment); writes its result."""
    work = Path(args.work)
    deliveries = {dt.date.fromisoformat(p.name): p for p in sorted((work / "deliveries").iterdir())}
    start = dt.date.fromisoformat(args.start)
    faults = fault_nights(start, args.nights) if args.with_faults else {}
    name = "faults" if args.with_faults else "calm"
    copied = work / f"{name}-deliveries"
    shutil.copytree(work / "deliveries", copied)
    deliveries = {d: copied / p.name for d, p in deliveries.items()}
    during = next(n for n, k in fault_nights(start, args.nights).items() if k == "data-during-scoring")
    soak = Pass(work / name, deliveries, faults, during)
    result = soak.run(calendar(start, args.nights))
    result["final"] = final_state(soak.home)
    result["alerts"] = soak.alerts()[["as_of", "kind", "message"]].to_dict("records")
    (work / f"{name}.json").write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")


def compare(calm: dict[str, Any], faults: dict[str, Any]) -> list[str]:
    """Differences between the two passes' final states (alerts aside); empty when equal."""
    problems = []
    for key in ("nights", "ledger", "complete", "exports", "versions"):
        if calm["final"][key] != faults["final"][key]:
            problems.append(f"{key} differ between the calm and the faults pass")
    extra = {(a["as_of"], a["kind"]) for a in calm["alerts"]} - {
        (a["as_of"], a["kind"]) for a in faults["alerts"]
    }
    if extra:
        problems.append(f"alerts of the calm pass missing from the faults pass: {sorted(extra)}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="soak", choices=("soak", "pass", "runner"))
    parser.add_argument("--nights", type=int, default=60)
    parser.add_argument("--start", default="2024-10-02")
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", default=None, help="keep the workspaces here (default: a temp folder)")
    parser.add_argument("--with-faults", action="store_true")
    parser.add_argument(
        "--at-once",
        action="store_true",
        help="run the calm and the faults pass side by side (each in its own workspace and Prefect "
        "server); their timings then share the machine",
    )
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args()
    if args.mode == "runner":
        serve_runner()
        return
    if args.mode == "pass":
        one_pass(args)
        return
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="ews-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    start = dt.date.fromisoformat(args.start)
    write_deliveries(work, args.preset, args.seed, start, args.nights)
    base = [sys.executable, str(Path(__file__).resolve()), "pass", "--work", str(work)]
    base += ["--nights", str(args.nights), "--start", args.start]
    timings = {}
    passes = (("calm", []), ("faults", ["--with-faults"]))
    if args.at_once:  # two processes side by side (the test's short soak on two cores)
        began = time.monotonic()
        running = {name: subprocess.Popen([*base, *extra]) for name, extra in passes}
        for name, process in running.items():
            if process.wait() != 0:
                raise subprocess.CalledProcessError(process.returncode, [*base, name])
            timings[name] = time.monotonic() - began
    else:
        for name, extra in passes:
            began = time.monotonic()
            subprocess.run([*base, *extra], check=True)
            timings[name] = time.monotonic() - began
    calm = json.loads((work / "calm.json").read_text(encoding="utf-8"))
    faults = json.loads((work / "faults.json").read_text(encoding="utf-8"))
    problems = compare(calm, faults)
    summary = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "nights": args.nights,
        "start": args.start,
        "timings": timings,
        "problems": problems,
        "calm": calm,
        "faults": faults,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
    print(markdown(summary))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)


def markdown(summary: dict[str, Any]) -> str:
    """The figures as docs/benchmarks.md shows them."""
    lines = [
        f"Soak: {summary['nights']} nights from {summary['start']} ({summary['machine']}).",
        "",
        "| pass | wall | nights scored | retrainings | mean night (s) | max night (s) | ews.db | mlflow.db | alerts |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("calm", "faults"):
        result = summary[name]
        nights = [e for e in result["events"] if e["event"] == "score"]
        trains = [e for e in result["events"] if e["event"] == "train"]
        seconds = [e["seconds"] for e in nights if "seconds" in e]
        growth = result["growth"][-1] if result["growth"] else {}
        lines.append(
            f"| {name} | {summary['timings'][name] / 60:.1f} min | {len(nights)} | {len(trains)} | "
            f"{sum(seconds) / max(len(seconds), 1):.1f} | {max(seconds, default=0):.1f} | "
            f"{growth.get('ews_db_bytes', 0) / 1e6:.1f} MB | {growth.get('mlflow_db_bytes', 0) / 1e6:.1f} MB | "
            f"{len(result['alerts'])} |"
        )
    lines += ["", "| night | fault | first run | alert raised | then |", "|---|---|---|---|---|"]
    for event in summary["faults"]["events"]:
        if event.get("fault"):
            first = (
                "killed"
                if event.get("killed")
                else (
                    "failed: " + event.get("failed_with", "")[:80]
                    if event.get("failed_with")
                    else "completed"
                )
            )
            lines.append(
                f"| {event['night']} | {event['fault']} | {first} | {', '.join(sorted({a.split(':')[0] for a in event.get('alerts', [])}))} | "
                f"{event['state'].lower()}{' (run again)' if event.get('rerun') else ''} |"
            )
    lines.append("")
    lines.append(
        "Final state of the faults pass equal to the calm pass: "
        + ("yes" if not summary["problems"] else "NO")
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
