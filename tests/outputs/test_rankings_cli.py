"""`ews rank --kind acute|structural`: a published night's warnings of one kind, in every format."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from outputs.rankings import publish

from .conftest import small_ranking

runner = CliRunner()
NIGHT = "2024-06-30"
KINDS = ["structural", "acute", "structural", "acute", None]


def _night(as_of: str, kinds: list[str | None] | None) -> pd.DataFrame:
    n = len(KINDS)
    return small_ranking(
        as_of,
        kinds,
        n=n,
        bands=["high"] * 2 + ["elevated"] * 3,
        reasons=([f"lý do {i}" for i in range(n)], [f"reason {i}" for i in range(n)]),
    )


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A workspace with two published nights: one with kinds, an older one without."""
    saved = dict(os.environ)
    monkeypatch.setenv("EWS_HOME", str(tmp_path))
    publish(tmp_path / "ews.db", _night("2024-05-31", None))
    publish(tmp_path / "ews.db", _night(NIGHT, KINDS))
    try:
        yield tmp_path
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_rank_keeps_the_warnings_of_one_kind(home: Path) -> None:
    result = runner.invoke(app, ["rank", "--kind", "acute", "--format", "json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["enterprise_id"] for r in records] == ["0800000001", "0800000003"]
    assert {r["warning_kind"] for r in records} == {"acute"}
    csv = runner.invoke(app, ["rank", "--kind", "structural", "--format", "csv", "--top", "0"])
    frame = pd.read_csv(io.StringIO(csv.stdout), dtype=str)
    assert frame["enterprise_id"].tolist() == ["0800000000", "0800000002"]
    everything = json.loads(runner.invoke(app, ["rank", "--format", "json"]).stdout)
    assert [r["warning_kind"] for r in everything] == KINDS  # null for the unclassified firm


def test_an_older_night_has_no_kinds_to_filter_on(home: Path) -> None:
    result = runner.invoke(app, ["rank", "--kind", "acute", "--format", "json", "--as-of", "2024-05-31"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_table_names_the_kind_in_the_language_asked_for(home: Path, lang: str) -> None:
    result = runner.invoke(app, ["rank", "--kind", "acute", "--lang", lang], terminal_width=250)
    assert result.exit_code == 0, result.output
    assert ("Cấp tính" if lang == "vi" else "Acute") in result.stdout
    assert "Công ty 1" in result.stdout and "Công ty 0" not in result.stdout


def test_an_unknown_kind_is_refused_with_one_line(home: Path) -> None:
    result = runner.invoke(app, ["rank", "--kind", "[red]urgent"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["error: --kind '[red]urgent' is not one of acute, structural"]
