"""Process faults: SIGKILL mid-training (F03), memory exhausted in the feature build (F04),
a read-only exports folder (F09) and SIGTERM during scoring (F19).

One trained workspace is built per module (tiny world, one boosted model over 2 origins, two
nights published), as in `tests/flows/test_kill.py`; every case works on its own copy. A case
runs the command as a subprocess, injects the fault there (a named pause point of
`data/faults.py` then a signal, a memory limit, a folder it may not write), then checks what
readers, MLflow and Prefect hold, and that a rerun completes with the rows of an
uninterrupted run.

Two faults need a hook no product file carries, so the subprocess starts through
`LAUNCHER`, which installs it and then runs the command unchanged: the points inside
`models.registry.log_model_version` (after the MLflow run started, before the version is
complete), and the memory limit, set when the feature build starts (a limit fixed at the
start cannot aim at it: the process holds ~2.7 GB of address space, a varying amount with
its threads, before a build that adds tens of MB).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from data.faults import MARKER_ENV, PAUSE_ENV
from outputs import rankings
from present.exports import TEMP_PREFIX, export_paths, verify_exports

from ..conftest import same_rows, snapshot

TRAIN_AS_OF = dt.date(2025, 1, 25)
OTHER_NIGHTS = ("2024-09-30", "2024-12-31")
NEW_NIGHT = "2025-01-25"
MODEL = "labor-ews"
RUN_COLUMNS = ["run_id"]  # the only column two runs of the same night write differently
OOM_ENV = "EWS_TEST_LIMIT_MEMORY_IN_FEATURE_BUILD"
#: Where a command stopped by SIGTERM ends (cli.main.EXIT_TERMINATED) and an unexpected
#: failure, a store that cannot be written or memory exhausted among them (EXIT_UNEXPECTED).
EXIT_TERMINATED = 143
EXIT_UNEXPECTED = 1

# Runs `ews ARGS...` (or `train-tiny DATE`: the module's training recipe, which the CLI's
# `ews train` cannot narrow to one learner) with the hooks its environment asks for.
LAUNCHER = r"""
import os, re, resource, sys

from data.faults import PAUSE_ENV, pause_point

if os.environ.get(PAUSE_ENV, "").startswith("mlflow."):
    import mlflow.sklearn
    from mlflow import MlflowClient

    log_model, set_tag = mlflow.sklearn.log_model, MlflowClient.set_model_version_tag

    def paused_log_model(*args, **kwargs):  # the run is open: params, metrics, report logged
        pause_point("mlflow.log_model")
        return log_model(*args, **kwargs)

    def paused_set_tag(self, *args, **kwargs):  # the version exists, its digest is not tagged
        pause_point("mlflow.set_model_version_tag")
        return set_tag(self, *args, **kwargs)

    mlflow.sklearn.log_model = paused_log_model
    MlflowClient.set_model_version_tag = paused_set_tag

if os.environ.get("EWS_TEST_LIMIT_MEMORY_IN_FEATURE_BUILD"):
    import faulthandler

    import features.build

    faulthandler.enable()  # a crash in C under the limit names its threads in the failure

    build = features.build.build_features

    def limited_build(*args, **kwargs):  # no address space beyond what the process holds
        with open("/proc/self/status") as fh:
            size = int(re.search(r"VmSize:\s+(\d+) kB", fh.read()).group(1)) * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (size, hard))
        try:
            return build(*args, **kwargs)
        finally:  # the build's memory is exhausted, not the handling's: what unwinds is freed
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

    features.build.build_features = limited_build

if sys.argv[1] == "train-tiny":
    import datetime as dt

    from flows.train import train_flow
    from models.train import ModelParams

    train_flow(
        as_of=dt.date.fromisoformat(sys.argv[2]),
        promote="auto",
        params=ModelParams(backtest_origins=2, learner="hgb"),
        candidates=("hgb",),
    )
else:
    from cli.main import main

    sys.argv[0] = "ews"
    main()
"""
assert OOM_ENV in LAUNCHER


def _env(home: Path) -> dict[str, str]:
    return {"EWS_HOME": str(home), "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow' / 'mlflow.db'}"}


def _train_tiny() -> dict[str, Any]:
    """The module's training recipe, in this process (the workspace comes from the environment)."""
    from flows.train import train_flow
    from models.train import ModelParams

    return train_flow(
        as_of=TRAIN_AS_OF,
        promote="auto",
        params=ModelParams(backtest_origins=2, learner="hgb"),
        candidates=("hgb",),
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Iterator[dict[str, Any]]:
    """A workspace with the tiny world, a champion and two published nights; and the ranking
    of the new night from an uninterrupted run (in a throw-away copy)."""
    import simulator as sim
    from flows.ingest import ingest_flow
    from flows.score import score_flow

    base = tmp_path_factory.mktemp("process-faults")
    home = base / "template"
    source = base / "source"
    sim.write_source(sim.simulate("tiny", seed=1), source, "csv")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in _env(home).items():
            mp.setenv(key, value)
        ingest_flow(str(source))
        _train_tiny()
        for night in OTHER_NIGHTS:
            score_flow(as_of=dt.date.fromisoformat(night))
    reference_home = base / "reference"
    shutil.copytree(home, reference_home)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in _env(reference_home).items():
            mp.setenv(key, value)
        score_flow(as_of=dt.date.fromisoformat(NEW_NIGHT))
    reference = {
        night: rankings.read_ranking(reference_home / "ews.db", night) for night in (*OTHER_NIGHTS, NEW_NIGHT)
    }
    yield {"template": home, "reference": reference}


@pytest.fixture
def home(trained: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the trained workspace; this process reads and reruns in it."""
    copy = tmp_path / "home"
    shutil.copytree(trained["template"], copy)
    for key, value in _env(copy).items():
        monkeypatch.setenv(key, value)
    return copy


# --- running a command and faulting it -------------------------------------------------------


def _start(
    home: Path,
    args: list[str],
    *,
    point: str | None = None,
    launcher: bool = False,
    extra_env: dict[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.Popen[bytes]:
    """Start `ews ARGS` on `home` (through `LAUNCHER` when a hook is needed), pausing at `point`."""
    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        **_env(home),
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        # MLflow's download bars would share stderr with the CLI's one line.
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        **(extra_env or {}),
    }
    if point:
        env |= {PAUSE_ENV: point, MARKER_ENV: str(home / "fault-marker")}
    command = [sys.executable, "-c", LAUNCHER] if launcher else [str(Path(sys.executable).parent / "ews")]
    return subprocess.Popen(
        [*command, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=preexec_fn,  # noqa: PLW1509 - the child only calls prctl before exec
    )


def _wait_for(process: subprocess.Popen[bytes], home: Path, point: str) -> None:
    """Return once the process reports that it paused at `point`; on any failure it is killed."""
    marker = home / "fault-marker"
    deadline = time.monotonic() + 900  # a guard against a hang; CI's busy cores are slow
    try:
        while not marker.exists():
            if process.poll() is not None:
                _, stderr = process.communicate()
                pytest.fail(f"the command ended before {point}: {stderr.decode(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the command did not reach {point}")
            time.sleep(0.2)
        assert marker.read_text(encoding="utf-8") == point
    except BaseException:
        if process.poll() is None:
            process.kill()
            process.communicate()
        raise


def _stderr_lines(stderr: bytes) -> list[str]:
    return [line for line in stderr.decode(errors="replace").splitlines() if line.strip()]


def _one_error_line(stderr: bytes) -> str:
    """The single line a failed command prints: `error: ...`, and no traceback."""
    lines = _stderr_lines(stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), lines[-30:]
    return lines[0]


# --- what readers, Prefect and MLflow hold ---------------------------------------------------


def _others_untouched(home: Path, before: dict[str, Any], after: dict[str, Any], night: str) -> None:
    """Every other night: rows, ledger and files as before, exports verifying."""
    for other in (n for n in before["rows"] if n != night):
        same_rows(after["rows"][other], before["rows"][other])
        assert after["runs"].loc[other].equals(before["runs"].loc[other])
        assert verify_exports(home / "exports", other)
        for name, data in before["files"].items():
            if other in name:
                assert after["files"][name] == data, name


def _temp_files(home: Path) -> list[str]:
    return sorted(
        p.name for folder in ("exports", "reports") for p in (home / folder).glob(f"{TEMP_PREFIX}*")
    )


def _flow_runs(flow_name: str) -> dict[str, Any]:
    """The Prefect test server's runs of a flow, by id."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])))
    return {str(run.id): run for run in runs}


def _new_run(flow_name: str, before: dict[str, Any]) -> Any:
    """The one run of `flow_name` the faulted command made."""
    new = [run for run_id, run in _flow_runs(flow_name).items() if run_id not in before]
    assert len(new) == 1, [(r.name, r.state_type) for r in new]
    return new[0]


def _task_states(flow_run_id: Any) -> dict[str, str]:
    """The state of each task run of a flow run, by task name (`name-NNN` without the suffix)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {task.name.rsplit("-", 1)[0]: task.state_type.value if task.state_type else "" for task in tasks}


def _rerun_gives_the_reference(home: Path, night: str, reference: pd.DataFrame) -> None:
    """Score `night` again without the fault: the reference rows, the night whole, no temp file."""
    from data.settings import Settings
    from flows.score import score_flow
    from present.night import night_complete

    score_flow(as_of=dt.date.fromisoformat(night))
    same_rows(rankings.read_ranking(home / "ews.db", night), reference, ignore=RUN_COLUMNS)
    assert night_complete(Settings(), night) and verify_exports(home / "exports", night)
    assert not _temp_files(home)


# --- F03: SIGKILL mid-training ------------------------------------------------------------------

# (point, what the kill leaves in MLflow and the workspace)
F03_CASES = [
    ("mlflow.log_model", "run open"),  # MLflow run started and partly logged; no version
    ("mlflow.set_model_version_tag", "version without digest"),  # registered, digest not tagged
    ("train.before_aliases", "version not recorded"),  # digest tagged; no workspace record, no alias
    ("train.before_champion_alias", "challenger moved"),  # recorded, challenger moved; champion not
]


@pytest.mark.slow
@pytest.mark.parametrize(("point", "left"), F03_CASES, ids=[c[0] for c in F03_CASES])
def test_f03_sigkill_mid_training_moves_no_alias_to_a_half_logged_model(
    trained: dict[str, Any], home: Path, point: str, left: str
) -> None:
    """Killed at each step of logging, registering and moving aliases: every alias still
    points at a version that verifies, the champion has not moved, scoring ranks as before
    with it, a version left half-logged cannot be promoted, and training again completes."""
    from mlflow import MlflowClient

    from data.settings import Settings
    from flows.score import score_flow
    from models import registry
    from models.champion import promote_version, workspace_digest
    from outputs import audit

    db = home / "ews.db"
    client = MlflowClient()
    experiment = client.get_experiment_by_name(Settings().experiment)
    assert experiment is not None
    champion = registry.alias_version(MODEL, registry.CHAMPION)
    assert champion is not None
    versions_before = {row["version"] for row in registry.list_versions(MODEL)}
    mlflow_runs_before = {run.info.run_id for run in client.search_runs([experiment.experiment_id])}
    prefect_before = _flow_runs("train")

    process = _start(home, ["train-tiny", TRAIN_AS_OF.isoformat()], point=point, launcher=True)
    _wait_for(process, home, point)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL

    # No alias points at a version that does not verify; the champion has not moved.
    aliases = {alias: str(v) for alias, v in client.get_registered_model(MODEL).aliases.items()}
    for alias, version in aliases.items():
        registry.load_verified(MODEL, alias, workspace_digest=workspace_digest(db, MODEL, version))
    after = registry.alias_version(MODEL, registry.CHAMPION)
    assert after is not None and (after.version, after.digest) == (champion.version, champion.digest)
    new_versions = sorted({row["version"] for row in registry.list_versions(MODEL)} - versions_before)
    killed_run = [
        run
        for run in client.search_runs([experiment.experiment_id])
        if run.info.run_id not in mlflow_runs_before
    ]
    if left == "run open":
        assert not new_versions
        assert [run.info.status for run in killed_run] == ["RUNNING"]  # never ended; no alias reads it
    else:
        assert len(new_versions) == 1 and len(killed_run) == 1
        half = new_versions[0]
        assert killed_run[0].info.status == ("RUNNING" if left == "version without digest" else "FINISHED")
        recorded = audit.model_digest(db, MODEL, half)
        if left == "challenger moved":
            assert recorded and aliases.get(registry.CHALLENGER) == half
        else:
            assert recorded is None and half not in aliases.values()
            if left == "version without digest":
                assert registry.get_version(MODEL, half).digest == ""
            # An operator cannot make it champion either: no digest, or none the workspace kept.
            with pytest.raises(registry.ModelIntegrityError):
                promote_version(MODEL, db, half, "test: promote a half-recorded version")
            assert registry.alias_version(MODEL, registry.CHAMPION).version == champion.version  # type: ignore[union-attr]
            assert registry.alias_version(MODEL, registry.CANDIDATE) is None
    # Nobody is left to report a SIGKILLed run's end to Prefect: it is at least not a success.
    assert _new_run("train", prefect_before).state_type.value != "COMPLETED"

    # Scoring uses the previous champion and ranks exactly as before the kill.
    result = score_flow(as_of=dt.date.fromisoformat(NEW_NIGHT))
    assert result["model_version"] == champion.version
    same_rows(rankings.read_ranking(db, NEW_NIGHT), trained["reference"][NEW_NIGHT], ignore=RUN_COLUMNS)

    # Training again completes and registers a whole version beside whatever the kill left.
    rerun = _train_tiny()
    assert rerun["version"] not in versions_before | set(new_versions)
    assert registry.alias_version(MODEL, registry.CHALLENGER).version == rerun["version"]  # type: ignore[union-attr]
    registry.load_verified(
        MODEL, registry.CHALLENGER, workspace_digest=workspace_digest(db, MODEL, rerun["version"])
    )


# --- F04: memory exhausted in the feature build -------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads the address space from /proc")
def test_f04_memory_exhausted_in_the_feature_build_fails_in_one_line_and_publishes_nothing(
    trained: dict[str, Any], home: Path
) -> None:
    """`ews train` with no address space beyond what it holds when its feature build starts
    (training's: scoring's build of the tiny world fits in memory the process already holds,
    so its failure lands at varying later steps): status 1 and one line, the feature-build
    task and the run failed in Prefect, no MLflow run or version, no alias moved, nothing of
    the workspace changed; then scoring ranks as before and training again completes."""
    from mlflow import MlflowClient

    from data.settings import Settings
    from models import registry
    from models.champion import workspace_digest

    client = MlflowClient()
    experiment = client.get_experiment_by_name(Settings().experiment)
    assert experiment is not None
    before = snapshot(home)
    versions_before = registry.list_versions(MODEL)
    aliases_before = dict(client.get_registered_model(MODEL).aliases)
    mlflow_runs_before = {run.info.run_id for run in client.search_runs([experiment.experiment_id])}
    prefect_before = _flow_runs("train")
    args = ["train", "--as-of", TRAIN_AS_OF.isoformat(), "--origins", "2"]
    process = _start(home, args, launcher=True, extra_env={OOM_ENV: "1"})
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == EXIT_UNEXPECTED, stderr.decode(errors="replace")[-3000:]
    line = _one_error_line(stderr)
    assert "MemoryError" in line or "out of memory" in line

    run = _new_run("train", prefect_before)
    assert run.state_type.value == "FAILED"
    assert _task_states(run.id).get("build-training-frame") == "FAILED"  # where memory ran out
    assert registry.list_versions(MODEL) == versions_before
    assert dict(client.get_registered_model(MODEL).aliases) == aliases_before
    assert {r.info.run_id for r in client.search_runs([experiment.experiment_id])} == mlflow_runs_before
    after = snapshot(home)
    _others_untouched(home, before, after, night="")
    assert after["files"] == before["files"] and not _temp_files(home)

    # The workspace is whole: scoring ranks as before, and training again completes.
    _rerun_gives_the_reference(home, NEW_NIGHT, trained["reference"][NEW_NIGHT])
    rerun = _train_tiny()
    registry.get_version(MODEL, rerun["version"])
    registry.load_verified(
        MODEL,
        registry.CHALLENGER,
        workspace_digest=workspace_digest(home / "ews.db", MODEL, rerun["version"]),
    )


# --- F09: a read-only exports folder --------------------------------------------------------

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def _without_permission_override() -> None:
    """preexec_fn for root: drop the capabilities that let root write where modes forbid it
    (from the bounding set, so the command runs without them after exec)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@pytest.fixture(scope="module")
def readonly_exports_run(trained: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`ews score` of the new night on a copy whose exports folder is mode 0500 (as root,
    without the capabilities that ignore modes): its result and what readers saw after it."""
    home = tmp_path_factory.mktemp("readonly") / "home"
    shutil.copytree(trained["template"], home)
    exports = home / "exports"
    mode = stat.S_IMODE(exports.stat().st_mode)
    preexec = _without_permission_override if os.geteuid() == 0 else None
    exports.chmod(0o500)
    try:
        probe = subprocess.run(
            [sys.executable, "-c", f"open({str(exports / 'probe')!r}, 'w')"],
            preexec_fn=preexec,  # noqa: PLW1509
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            pytest.skip("this process can write into a mode-0500 folder (root keeping its capabilities)")
        before = snapshot(home)
        with pytest.MonkeyPatch.context() as mp:
            for key, value in _env(home).items():
                mp.setenv(key, value)
            prefect_before = _flow_runs("score")
            process = _start(home, ["score", "--as-of", NEW_NIGHT], preexec_fn=preexec)
            _, stderr = process.communicate(timeout=300)
            run = _new_run("score", prefect_before)
        after = snapshot(home)
    finally:
        exports.chmod(mode)
    return {
        "home": home,
        "returncode": process.returncode,
        "stderr": stderr,
        "run": run,
        "before": before,
        "after": after,
    }


@pytest.mark.slow
def test_f09_a_read_only_exports_folder_is_refused_before_anything_is_published(
    trained: dict[str, Any], readonly_exports_run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line naming the folder, status 1, checked before scoring (the pre-flight probe):
    the night absent, the other nights and their exports unchanged, no temp file; writable
    again, a rerun completes. (A disk that fills during the exports themselves, after the
    probe, leaves the night published but incomplete: the soak's disk-full fault.)"""
    from data.settings import Settings
    from present.night import night_complete

    faulted = readonly_exports_run
    home: Path = faulted["home"]
    for key, value in _env(home).items():
        monkeypatch.setenv(key, value)
    assert faulted["returncode"] == EXIT_UNEXPECTED, faulted["stderr"].decode(errors="replace")[-3000:]
    line = _one_error_line(faulted["stderr"])
    assert str(home / "exports") in line and "cannot be written (Permission denied)" in line
    assert faulted["run"].state_type.value == "FAILED"
    assert "watch-the-night" not in _task_states(faulted["run"].id)

    before, after = faulted["before"], faulted["after"]
    _others_untouched(home, before, after, NEW_NIGHT)
    assert after["files"] == before["files"]  # nothing written in exports or reports
    assert NEW_NIGHT not in after["rows"]
    assert not night_complete(Settings(), NEW_NIGHT)
    assert not _temp_files(home)

    _rerun_gives_the_reference(home, NEW_NIGHT, trained["reference"][NEW_NIGHT])


# --- F19: SIGTERM during scoring ---------------------------------------------------------------

# (point, night scored, the state of that night a reader must find after the signal)
F19_CASES = [
    ("score.before_publish", NEW_NIGHT, "absent"),
    ("publish.after_delete", OTHER_NIGHTS[1], "previous"),  # inside the transaction, rows deleted
    ("exports.before_replace", NEW_NIGHT, "new"),  # committed; temp export files on disk
    ("exports.after_replace_csv", OTHER_NIGHTS[1], "new"),  # committed; half the files renamed
]


@pytest.mark.slow
@pytest.mark.parametrize(("point", "night", "expected"), F19_CASES, ids=[c[0] for c in F19_CASES])
def test_f19_sigterm_during_scoring_cleans_up_and_publishes_no_half_night(
    trained: dict[str, Any], home: Path, point: str, night: str, expected: str
) -> None:
    """SIGTERM at each point: the transaction rolls back, temp files are removed, Prefect
    records the run Crashed, the command says so in one line with status 143, a half-written
    night is never marked complete, and a rerun completes."""
    from data.settings import Settings
    from outputs import alerts
    from present.night import night_complete

    before = snapshot(home)
    prefect_before = _flow_runs("score")
    process = _start(home, ["score", "--as-of", night], point=point)
    _wait_for(process, home, point)
    os.kill(process.pid, signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == EXIT_TERMINATED, stderr.decode(errors="replace")[-3000:]
    assert "SIGTERM" in _one_error_line(stderr)
    assert _new_run("score", prefect_before).state_type.value == "CRASHED"
    assert "score-crashed" in set(alerts.read_alerts(home / "ews.db")["kind"])

    after = snapshot(home)
    _others_untouched(home, before, after, night)
    assert not _temp_files(home)  # SIGKILL leaves them to the next run; SIGTERM removes them
    if expected == "absent":
        assert night not in after["rows"] and night not in after["runs"].index
    elif expected == "previous":  # rolled back: the previous rows, ledger and files
        same_rows(after["rows"][night], before["rows"][night])
        assert after["runs"].loc[night].equals(before["runs"].loc[night])
        assert {k: v for k, v in after["files"].items() if night in k} == {
            k: v for k, v in before["files"].items() if night in k
        }
    else:  # committed whole, but the night is not complete: its exports lack their manifest
        same_rows(after["rows"][night], trained["reference"][night], ignore=RUN_COLUMNS)
        assert after["rows"][night]["run_id"].nunique() == 1
        assert pd.isna(after["runs"].loc[night, "completed_at"])
        assert not export_paths(home / "exports", night)["manifest"].exists()
    assert night_complete(Settings(), night) == (expected == "previous")

    _rerun_gives_the_reference(home, night, trained["reference"][night])
