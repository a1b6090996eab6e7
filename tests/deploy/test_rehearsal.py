"""The README's multi-machine recipe, run: separate processes stand in for the machines
(`deploy/rehearse.py`): PostgreSQL under the Prefect server, the MLflow server and the
workspace database; a Dask scheduler with two workers for the backtest; a Prefect process
worker that runs the nightly scoring deployed to its pool."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from deploy import rehearse


@pytest.mark.slow
def test_the_multi_machine_recipe_trains_on_dask_and_scores_through_a_worker(postgres_server: object) -> None:
    # `postgres_server` only makes the test skip (outside CI) where PostgreSQL is missing:
    # the rehearsal starts its own server, as an installation would have its own.
    root = Path(tempfile.mkdtemp(prefix="ews-rehearsal-"))
    try:
        summary = rehearse.rehearse(root)
    except rehearse.StepFailed:
        print_log_tails(root / "logs")  # CI's temporary folder is gone after the run
        raise
    print(json.dumps(summary, indent=2, default=str))

    # Training registered a version on the MLflow server (PostgreSQL behind it) and made it
    # champion; its backtest's fits ran on both Dask workers.
    assert summary["train"]["version"] == "1" and summary["train"]["promoted"] is True
    worked = summary["dask_transitions_during_train"]
    assert len(worked) == 2 and all(count > 0 for count in worked.values()), worked
    # The nightly scoring ran on the pool's worker, and the analyst reads the night back from
    # the workspace database on PostgreSQL.
    assert summary["scoring_run"]["state"] == "COMPLETED"
    assert summary["workspace_db"]["backend"] == "postgresql"
    assert summary["workspace_db"]["scores_rows"] > 1000
    assert summary["workspace_db"]["sqlite_files"] == []
    assert len(summary["ranking_top"]) == 5 and all(summary["ranking_top"])


def print_log_tails(folder: Path, lines: int = 40) -> None:
    """The last lines of every service's and step's log, for pytest to show with a failure."""
    for log in sorted(folder.glob("*.log")):
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        print(f"--- {log.name}, its last {len(tail)} lines", *tail, sep="\n")
