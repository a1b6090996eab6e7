"""`ews actions add|list`: record an action, list it as a table or strict JSON, refuse a bad
one with one line and exit status 3 (input refused)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workspace on its own SQLite file."""
    monkeypatch.setenv("EWS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EWS_DB_URL", raising=False)
    return tmp_path / "home"


def test_an_added_action_is_listed_as_a_table_and_as_strict_json(home: Path) -> None:
    added = runner.invoke(
        app,
        [
            "actions", "add", "0800123456", "--kind", "wage_payment", "--started", "2024-05-02",
            "--ended", "2024-05-20", "--outcome", "paid", "--note", "[bold]Đã trả[/bold]", "--by", "Lan",
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "action 1: wage_payment at 0800123456 recorded by Lan" in added.stdout
    runner.invoke(app, ["actions", "add", "0100000001", "--kind", "mediation", "--started", "2024-06-01"])

    listed = runner.invoke(app, ["actions", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    document = json.loads(listed.stdout, parse_constant=lambda name: pytest.fail(f"not strict JSON: {name}"))
    first, second = document["actions"]
    assert {k: first[k] for k in ("id", "enterprise_id", "kind", "started", "ended", "outcome", "note")} == {
        "id": 1,
        "enterprise_id": "0800123456",
        "kind": "wage_payment",
        "started": "2024-05-02",
        "ended": "2024-05-20",
        "outcome": "paid",
        "note": "[bold]Đã trả[/bold]",
    }
    assert first["recorded_by"] == "Lan" and first["recorded_at"].endswith("+00:00")
    assert (second["kind"], second["ended"], second["outcome"], second["note"]) == (
        "mediation",
        None,
        None,
        None,
    )

    one = runner.invoke(app, ["actions", "list", "--enterprise", "0100000001", "--json"])
    assert [a["enterprise_id"] for a in json.loads(one.stdout)["actions"]] == ["0100000001"]

    table = runner.invoke(app, ["actions", "list", "--lang", "en"])
    assert table.exit_code == 0, table.output
    assert "Enforced payment of wages" in table.stdout and "Mediation" in table.stdout
    assert "[bold]Đã trả[/bold]" in table.stdout  # a note is shown as written, never as markup
    vietnamese = runner.invoke(app, ["actions", "list"])
    assert "Buộc trả lương" in vietnamese.stdout and "Đã trả" in vietnamese.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--kind", "arrest", "--started", "2024-05-02"], "kind 'arrest' is not one of"),
        (["--kind", "inspection", "--started", "2024-05-02", "--outcome", "won"], "outcome 'won'"),
        (["--kind", "inspection", "--started", "2024-05-02", "--ended", "2024-05-01"], "before the start"),
        (["--kind", "inspection", "--started", "2999-01-01"], "in the future"),
        (["--kind", "inspection", "--started", "2024-05-02", "--note", "x\x1b[2J"], "control character"),
    ],
)
def test_a_refused_action_exits_3_with_one_line_and_writes_nothing(
    home: Path, extra: list[str], message: str
) -> None:
    refused = runner.invoke(app, ["actions", "add", "0800123456", *extra])
    assert refused.exit_code == 3, refused.output
    assert refused.stderr.count("\n") == 1 and message in refused.stderr
    listed = runner.invoke(app, ["actions", "list", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout) == {"actions": []}


def test_an_unknown_language_is_wrong_usage(home: Path) -> None:
    assert runner.invoke(app, ["actions", "list", "--lang", "fr"]).exit_code == 2
