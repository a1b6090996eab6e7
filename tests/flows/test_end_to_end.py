"""The whole job on a small generated world, through the `ews` command, in a temporary workspace."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import RANK_COLUMNS, app

runner = CliRunner()
AS_OF = "2025-01-25"


def ews(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, f"ews {' '.join(args)} failed: {result.output}"
    return result.stdout


@pytest.fixture(scope="module")
def tiny_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from data import simulate as sim

    out = tmp_path_factory.mktemp("tiny-source")
    sim.write_source(sim.simulate("tiny", seed=1), out, "csv")
    return out


@pytest.mark.slow
def test_ingest_train_score_rank(workspace: Path, tiny_source: Path) -> None:
    report = json.loads(ews("ingest", str(tiny_source), "--json"))
    for name in ("enterprises", "indicators", "incidents"):
        counts = report["tables"][name]
        assert set(counts) == {"rows_in", "accepted", "quarantined"}
        assert counts["rows_in"] == counts["accepted"] + counts["quarantined"]
        assert counts["quarantined"] == 0
    again = json.loads(ews("ingest", str(tiny_source), "--json"))
    assert again["status"] == "unchanged"

    ews("train", "--as-of", AS_OF)
    from models import registry

    champion = registry.alias_version("labor-ews", registry.CHAMPION)
    assert champion is not None and champion.version == "1"
    assert champion.tags["as_of"] == AS_OF and len(champion.digest) == 64

    ews("score", "--as-of", AS_OF)
    first = pd.read_csv(io.StringIO(ews("rank", "--as-of", AS_OF, "--top", "0", "--format", "csv")), dtype=str)
    assert list(first.columns[: len(RANK_COLUMNS)]) == list(RANK_COLUMNS)
    assert first["rank"].astype(int).tolist() == list(range(1, len(first) + 1))
    assert first["enterprise_id"].is_unique and len(first) > 1000
    assert first["score"].astype(float).between(0, 1).all()
    assert (first["band"] == "high").sum() >= 1

    # The same night scored again replaces its rows: identical, no second copy.
    ews("score", "--as-of", AS_OF)
    second = pd.read_csv(io.StringIO(ews("rank", "--as-of", AS_OF, "--top", "0", "--format", "csv")), dtype=str)
    pd.testing.assert_frame_equal(first, second)

    # A second training with nothing new cannot beat the champion by more than the noise.
    ews("train", "--as-of", AS_OF, "--promote", "never")
    assert registry.alias_version("labor-ews", registry.CHAMPION).version == "1"  # type: ignore[union-attr]
    assert registry.alias_version("labor-ews", registry.CHALLENGER).version == "2"  # type: ignore[union-attr]


def test_scoring_without_a_model_fails_with_one_line(workspace: Path) -> None:
    result = runner.invoke(app, ["score", "--as-of", AS_OF])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "ews train" in lines[0]
    assert "Traceback" not in result.output


def test_commands_not_built_yet_say_so(workspace: Path) -> None:
    for command in ("serve", "dashboard"):
        result = runner.invoke(app, [command])
        assert result.exit_code == 3
        assert "not available yet" in result.stderr
