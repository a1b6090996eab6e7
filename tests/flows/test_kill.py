"""The nightly run killed with SIGKILL at named moments, and the catch-up after an outage.

One trained workspace is built per module (tiny world, one boosted model over 2 origins, two
nights published); every case works on its own copy. A case runs `ews score` as a
subprocess with `EWS_FAULT_PAUSE_AT=<point>` (data/faults.py), waits for the process to
report that it reached the point, kills it with SIGKILL, then checks what readers see and
that a rerun gives the rows of an uninterrupted run.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from data.faults import MARKER_ENV, PAUSE_ENV
from outputs import rankings
from present.exports import TEMP_PREFIX, export_paths, verify_exports

from ..conftest import same_rows, snapshot

pytestmark = pytest.mark.slow

TRAIN_AS_OF = dt.date(2025, 1, 25)
OTHER_NIGHTS = ("2024-09-30", "2024-12-31")  # 2024-09-30 has a closed horizon by January
NEW_NIGHT = "2025-01-25"
# Columns that differ between two runs of the same night: the run that wrote them.
RUN_COLUMNS = ["run_id"]


def _env(home: Path) -> dict[str, str]:
    return {"EWS_HOME": str(home), "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow' / 'mlflow.db'}"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Iterator[dict[str, Any]]:
    """A workspace with the tiny world, a champion and two published nights; and the reference
    ranking of the new night from an uninterrupted run (in a throw-away copy)."""
    import simulator as sim
    from flows.ingest import ingest_flow
    from flows.score import score_flow
    from flows.train import train_flow
    from models.train import ModelParams

    base = tmp_path_factory.mktemp("kill")
    home = base / "template"
    source = base / "source"
    sim.write_source(sim.simulate("tiny", seed=1), source, "csv")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in _env(home).items():
            mp.setenv(key, value)
        ingest_flow(str(source))
        train_flow(
            as_of=TRAIN_AS_OF,
            promote="auto",
            params=ModelParams(backtest_origins=2, learner="hgb"),
            candidates=("hgb",),
        )
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
    yield {"template": home, "reference": reference, "base": base}


def _score_until(home: Path, night: str, point: str, api_url: str) -> subprocess.Popen[bytes]:
    """Start `ews score --as-of night` and return once it is paused at `point`."""
    marker = home / "fault-marker"
    marker.unlink(missing_ok=True)
    env = {**os.environ, **_env(home), "PREFECT_API_URL": api_url, PAUSE_ENV: point, MARKER_ENV: str(marker)}
    ews = Path(sys.executable).parent / "ews"
    process = subprocess.Popen(
        [str(ews), "score", "--as-of", night], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 240
    while not marker.exists():
        if process.poll() is not None:
            _, stderr = process.communicate()
            pytest.fail(f"ews score ended before {point}: {stderr.decode(errors='replace')[-2000:]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"ews score did not reach {point}")
        time.sleep(0.2)
    assert marker.read_text(encoding="utf-8") == point
    return process


def _kill(process: subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


def _one_whole_version(seen: pd.DataFrame | None, previous: pd.DataFrame | None, new: pd.DataFrame) -> None:
    """A reader sees no rows of a night, its previous rows, or the new ones: never a mix."""
    if seen is None:
        assert previous is None or previous.empty
        return
    assert seen["run_id"].nunique() == 1
    if previous is not None and seen["run_id"].iloc[0] == previous["run_id"].iloc[0]:
        same_rows(seen, previous)
    else:
        same_rows(seen, new, ignore=RUN_COLUMNS)


# (point, night scored, the state of that night a reader must find after the kill)
CASES = [
    ("score.before_publish", NEW_NIGHT, "absent"),
    ("publish.after_delete", OTHER_NIGHTS[1], "previous"),  # inside the transaction, rows deleted
    ("publish.before_commit", NEW_NIGHT, "absent"),  # inside the transaction, rows inserted
    ("exports.before_replace", NEW_NIGHT, "new"),  # committed; temp export files on disk
    ("exports.after_replace_csv", OTHER_NIGHTS[1], "new"),  # committed; half the files renamed
    ("report.before_write", NEW_NIGHT, "new"),  # committed, exports written, no report yet
]


@pytest.mark.parametrize(("point", "night", "expected"), CASES, ids=[c[0] for c in CASES])
def test_sigkill_leaves_every_ranking_whole_and_the_rerun_completes(
    trained: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    point: str,
    night: str,
    expected: str,
) -> None:
    from prefect.settings import PREFECT_API_URL

    from data.settings import Settings
    from flows.score import score_flow
    from present.night import night_complete

    home = tmp_path / "home"
    shutil.copytree(trained["template"], home)
    before = snapshot(home)
    process = _score_until(home, night, point, str(PREFECT_API_URL.value()))
    try:
        # While the writer is paused (possibly holding the write lock), readers see whole nights.
        during = snapshot(home)
        for other in before["rows"]:
            if other != night:
                same_rows(during["rows"][other], before["rows"][other])
        _one_whole_version(during["rows"].get(night), before["rows"].get(night), trained["reference"][night])
    finally:
        _kill(process)

    after = snapshot(home)
    others = [n for n in before["rows"] if n != night]
    for other in others:  # the other nights: rows, ledger and files unchanged, exports verify
        same_rows(after["rows"][other], before["rows"][other])
        assert after["runs"].loc[other].equals(before["runs"].loc[other])
        assert verify_exports(home / "exports", other)
        for name, data in before["files"].items():
            if other in name:
                assert after["files"][name] == data, name
    reference = trained["reference"][night]
    if expected == "absent":
        assert night not in after["rows"]
    elif expected == "previous":
        same_rows(after["rows"][night], before["rows"][night])  # same run id too: nothing of the new run
        assert after["runs"].loc[night].equals(before["runs"].loc[night])
    else:
        same_rows(after["rows"][night], reference, ignore=RUN_COLUMNS)
        assert after["rows"][night]["run_id"].nunique() == 1
        assert after["runs"].loc[night, "run_id"] != (
            before["runs"].loc[night, "run_id"] if night in before["rows"] else None
        )
    leftovers = sorted(p.name for p in (home / "exports").glob(f"{TEMP_PREFIX}*"))
    if point == "exports.before_replace":
        assert leftovers, "the kill should have left temp files behind"
    if point == "exports.after_replace_csv":
        # Half-renamed set: no manifest, so readers are told the night's files are incomplete.
        assert not export_paths(home / "exports", night)["manifest"].exists()
        assert not verify_exports(home / "exports", night)

    for key, value in _env(home).items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    # Whole only where the previous publication survived; otherwise the catch-up scores it again.
    assert night_complete(settings, night) == (expected == "previous")
    score_flow(as_of=dt.date.fromisoformat(night))
    rerun = snapshot(home)
    same_rows(rerun["rows"][night], reference, ignore=RUN_COLUMNS)
    for other in others:
        same_rows(rerun["rows"][other], before["rows"][other])
    assert verify_exports(home / "exports", night) and night_complete(settings, night)
    assert not list((home / "exports").glob(f"{TEMP_PREFIX}*")) and not list(
        (home / "reports").glob(f"{TEMP_PREFIX}*")
    )
    exported = pd.read_csv(home / "exports" / f"ranking-{night}.csv", dtype=str).drop(columns=RUN_COLUMNS)
    assert (
        len(exported) == len(reference)
        and exported["enterprise_id"].tolist() == reference["enterprise_id"].tolist()
    )


def test_catch_up_scores_the_latest_missed_night_once(
    trained: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a three-night outage the latest night is scored once; a second catch-up and the
    late runs Prefect kept for the older nights score nothing."""
    from flows.schedule import catch_up
    from flows.score import score_flow
    from outputs import alerts
    from outputs.nights import as_of_for

    home = tmp_path / "home"
    shutil.copytree(trained["template"], home)
    for key, value in _env(home).items():
        monkeypatch.setenv(key, value)
    db = home / "ews.db"
    # The service stopped after publishing 2024-12-31 and came back at 09:00 on 4 January (ICT).
    now = dt.datetime(2025, 1, 4, 2, 0, tzinfo=dt.UTC)
    first = catch_up(now)
    assert first["night"] == dt.date(2025, 1, 3) and first["skipped"] is None
    assert first["older_missed"] == [dt.date(2025, 1, 1), dt.date(2025, 1, 2)]
    runs = rankings.score_runs(db).set_index("as_of")
    assert "2025-01-03" in runs.index and "2025-01-01" not in runs.index
    missed_alerts = alerts.read_alerts(db).query("kind == 'missed-nights'")
    assert len(missed_alerts) == 1 and "2025-01-01" in missed_alerts["message"].iloc[0]

    second = catch_up(now + dt.timedelta(minutes=5))
    assert second["skipped"] == "done"
    # The late runs Prefect kept for the missed nights (02:00 ICT on 2, 3 and 4 January).
    for scheduled in ("2025-01-01T19:00:00+00:00", "2025-01-02T19:00:00+00:00", "2025-01-03T19:00:00+00:00"):
        night = as_of_for(pd.Timestamp(scheduled))
        late = score_flow(as_of=night, scheduled=True, decided_at=now + dt.timedelta(minutes=10))
        assert late["skipped"] == ("done" if night == dt.date(2025, 1, 3) else "superseded")
    after = rankings.score_runs(db).set_index("as_of")
    assert after.loc["2025-01-03"].equals(runs.loc["2025-01-03"])  # never scored a second time
    assert sorted(after.index) == sorted(runs.index)
    assert len(alerts.read_alerts(db).query("kind == 'missed-nights'")) == 1


def test_the_night_judges_past_probabilities_against_outcomes(
    trained: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2024-09-30's horizon closed by 2025-01-25: its bands are compared with the incidents since,
    in the HTML report and the Prefect artifact; the manifest names the code and model bytes."""
    import json

    from prefect.artifacts import Artifact

    from flows.score import score_flow
    from models import registry
    from present.exports import export_paths

    home = tmp_path / "home"
    shutil.copytree(trained["template"], home)
    for key, value in _env(home).items():
        monkeypatch.setenv(key, value)
    score_flow(as_of=dt.date.fromisoformat(NEW_NIGHT))
    page = (home / "reports" / f"report-{NEW_NIGHT}.html").read_text(encoding="utf-8")
    section = page[page.index('id="calibration"') :]
    assert "Calibration against outcomes" in section and "<td>Tất cả</td>" in section and "status-" in section
    artifact = Artifact.get("night-checks")
    assert artifact is not None and f"Checks for {NEW_NIGHT}" in str(artifact.data)
    assert "## Calibration against outcomes" in str(artifact.data) and "| all |" in str(artifact.data)
    manifest = json.loads(export_paths(home / "exports", NEW_NIGHT)["manifest"].read_text(encoding="utf-8"))
    champion = registry.alias_version("labor-ews", registry.CHAMPION)
    assert champion is not None and manifest["model_sha256"] == champion.digest
    assert manifest["code_version"] and manifest["code_version"] != "None"
