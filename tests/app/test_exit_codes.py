"""Exit statuses a script can rely on: 0 ok, 1 unexpected, 2 usage, 3 input refused,
4 integrity refused, 5 workspace busy (README, "Exit status")."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app, exit_status
from data.agency import PullRefused
from data.errors import IngestRefused, NotReady, StoreError, UsageError, WorkspaceBusy
from data.sources import SourcesError
from models.registry import ModelIntegrityError, NoModel
from present.exports import ExportError

runner = CliRunner()


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (UsageError("x"), 2),
        (NotReady("x"), 2),
        (NoModel("no model; run `ews train` first"), 2),
        (IngestRefused("x"), 3),
        (PullRefused("x"), 3),
        (SourcesError("x"), 3),
        (ModelIntegrityError("x"), 4),
        (ExportError("x"), 4),
        (WorkspaceBusy("x"), 5),
        (sqlite3.OperationalError("database is locked"), 5),
        (sqlite3.OperationalError("cannot rollback - no transaction is active"), 5),
        (StoreError("x"), 1),
        (RuntimeError("x"), 1),
        (ValueError("x"), 1),
        (KeyError("x"), 1),
    ],
)
def test_each_kind_of_failure_has_its_exit_status(exc: BaseException, status: int) -> None:
    assert exit_status(exc) == status


def test_a_refused_delivery_exits_3_and_wrong_usage_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EWS_HOME", str(tmp_path / "home"))
    refused = runner.invoke(app, ["ingest", str(tmp_path / "no-such-folder")])
    assert refused.exit_code == 3 and "no such folder" in refused.stderr, refused.stderr
    usage = runner.invoke(app, ["rank", "--lang", "fr"])
    assert usage.exit_code == 2
    unknown = runner.invoke(app, ["simulate", "--out", str(tmp_path / "w"), "--preset", "nowhere"])
    assert unknown.exit_code == 2 and "unknown preset" in unknown.stderr


def test_a_busy_database_says_so_in_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import typer

    from cli import main

    def locked() -> None:
        raise sqlite3.OperationalError("cannot rollback - no transaction is active")

    with pytest.raises(typer.Exit) as done:
        main._run(locked)
    assert done.value.exit_code == 5


def test_scoring_a_night_in_the_future_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EWS_HOME", str(tmp_path / "home"))
    result = runner.invoke(app, ["score", "--as-of", "2999-01-31"])
    assert result.exit_code == 2 and "is in the future" in result.stderr


def test_strict_json_has_null_for_missing_and_no_nan() -> None:
    import datetime as dt
    import json

    import numpy as np

    from cli.main import strict_json

    text = strict_json({"a": float("nan"), "b": [np.float64("inf"), np.int64(3)], "c": dt.date(2026, 1, 2)})
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict constant {c}")) == {
        "a": None,
        "b": [None, 3],
        "c": "2026-01-02",
    }


def test_models_list_prints_strict_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.setenv("EWS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    result = runner.invoke(app, ["models", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"model": "labor-ews", "versions": [], "champion_history": []}


@pytest.mark.parametrize(
    ("args", "level"),
    [
        (["models", "list"], "CRITICAL"),
        (["--verbose", "models", "list"], "INFO"),
        (["serve", "--list"], "INFO"),
    ],
)
def test_verbose_and_serve_show_the_runs_info_logs(
    args: list[str], level: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    from cli import main

    monkeypatch.setenv("EWS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.delenv("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", raising=False)
    monkeypatch.setattr(main._State, "verbose", False)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] == level
