"""The soak in small: six nights through the scheduled flows on a real Prefect server, with
the five faults of `benchmarks/soak.py`, and the final state compared with a calm run.

The benchmark runs 60 nights and its figures are in docs/benchmarks.md; this runs the same
code on the shortest calendar that holds every fault on its own night (a monthly delivery
lands during the first of them), its two passes side by side, so that a change breaking any
promise of the soak fails `make test-on-demand`: nothing lost or half-published after each fault, each
fault's alert raised, and the faults pass ending equal to the calm one. As the reliability
matrix asks of the soak (`docs/reliability.md`), it runs on demand (marked `on_demand`), not in
`make test` or CI: 5 to 10 minutes of one process there, and each fault it injects also has a
shorter test of its own that `make test` runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.on_demand]

ROOT = Path(__file__).resolve().parents[2]


def test_six_nights_with_five_faults_end_as_a_calm_run(tmp_path: Path) -> None:
    figures = tmp_path / "soak.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--nights", "6", "--start", "2024-10-24"]
        + ["--work", str(tmp_path / "work"), "--json", str(figures), "--at-once"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3000,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(figures.read_text(encoding="utf-8"))
    assert summary["problems"] == []
    faults = {e["fault"]: e for e in summary["faults"]["events"] if e.get("fault")}
    assert set(faults) == {
        "tampered-model",
        "data-during-scoring",
        "mlflow-unreadable",
        "disk-full",
        "kill-publication",
    }
    kinds = {name: {a.split(":")[0] for a in event["alerts"]} for name, event in faults.items()}
    assert (
        "score-failed" in kinds["tampered-model"]
        and "ModelIntegrityError" in faults["tampered-model"]["failed_with"]
    )
    assert "score-failed" in kinds["disk-full"] and "No space left" in faults["disk-full"]["failed_with"]
    assert "score-failed" in kinds["mlflow-unreadable"]
    assert "data-during-scoring" in kinds["data-during-scoring"]
    assert {"run-interrupted", "score-interrupted"} <= kinds["kill-publication"]
    assert all(event["state"] == "COMPLETED" for event in faults.values())
    calm, faulted = summary["calm"]["final"], summary["faults"]["final"]
    assert calm["complete"] == faulted["complete"] and len(calm["complete"]) == 6
    assert calm["nights"] == faulted["nights"] and calm["exports"] == faulted["exports"]
