"""`ews brief`: the brief of a firm written atomically from a workspace, an unknown firm or
folder refused in one line. The command is `cli.main`'s, on a group reduced to it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from cli.main import brief

NIGHT = "2023-06-30"
runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """The ews group, reduced to the command under test."""

    app.command("brief")(brief)
    return app


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny world ingested, one night ranked by a plain stand-in order, one action recorded."""
    import simulator as sim
    from data.ingest import ingest
    from data.store import Store
    from outputs.actions import record_action
    from outputs.rankings import publish

    home = tmp_path_factory.mktemp("ews-brief")
    world = sim.simulate("tiny", seed=2, start="2022-01", end="2023-06")
    source = home / "sources" / "tiny"
    sim.write_source(world, source, "csv")
    ingest(str(source), Store(home / "store"))
    ent = Store(home / "store").load_enterprises().head(30)
    n = len(ent)
    publish(
        home / "ews.db",
        pd.DataFrame(
            {
                "as_of": NIGHT,
                "enterprise_id": ent["enterprise_id"].to_numpy(),
                "rank": np.arange(1, n + 1),
                "score": np.linspace(0.5, 0.01, n),
                "band": ["high"] + ["elevated"] * 2 + ["low"] * (n - 3),
                "reasons": "nợ lương kéo dài",
                "reasons_en": "long wage arrears",
                "name": ent["name"].to_numpy(),
                "province": ent["province"].to_numpy(),
                "district": ent["district"].to_numpy(),
                "zone_id": ent["zone_id"].to_numpy(),
                "sector": ent["sector"].to_numpy(),
                "ownership": ent["ownership"].to_numpy(),
                "model_name": "labor-ews",
                "model_version": "1",
                "run_id": "run-1",
                "input_digest": "0" * 64,
                "months_stale": 0.0,
                "stale": 0,
            }
        ),
    )
    first = str(ent["enterprise_id"].iloc[0])
    known = dt.datetime(2023, 6, 20, tzinfo=dt.UTC)  # recorded before the night ends
    record_action(
        home / "ews.db",
        enterprise_id=first,
        kind="mediation",
        started="2023-06-10",
        note="<b>gặp công đoàn</b>",
        recorded_by="Lan",
        now=known,
    )
    return home


def test_the_brief_of_a_ranked_firm_is_written(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EWS_HOME", str(workspace))
    from data.store import Store

    firm = Store(workspace / "store").load_enterprises().iloc[0]
    output = tmp_path / "brief.html"
    result = runner.invoke(_app(), ["brief", str(firm["enterprise_id"]), "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert f"wrote {output}" in result.stdout
    page = output.read_text(encoding="utf-8")
    assert "Xác suất: 50,0% · hạng 1/30 · mức: Cao" in page
    assert "Hòa giải" in page and "&lt;b&gt;gặp công đoàn&lt;/b&gt;" in page
    assert page.count("<svg ") == 2 and "30/06/2023" in page
    assert not list(tmp_path.glob("*.tmp*")) and sorted(p.name for p in tmp_path.iterdir()) == ["brief.html"]
    english = tmp_path / "en.html"
    result = runner.invoke(
        _app(), ["brief", str(firm["enterprise_id"]), "--night", NIGHT, "--lang", "en", "-o", str(english)]
    )
    assert result.exit_code == 0, result.output
    assert "band: High" in english.read_text(encoding="utf-8")


def test_an_unknown_firm_night_or_folder_is_one_line(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EWS_HOME", str(workspace))
    cases = [
        (["brief", "0000000000", "-o", str(tmp_path / "a.html")], "unknown enterprise '0000000000'"),
        (
            ["brief", "0000000000", "--night", "2023-05-31", "-o", str(tmp_path / "b.html")],
            "no ranking for 2023-05-31",
        ),
        (["brief", "0000000000", "-o", str(tmp_path / "no" / "c.html")], "does not exist"),
    ]
    for args, words in cases:
        result = runner.invoke(_app(), args)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], result.stderr
    assert not list(tmp_path.iterdir())
