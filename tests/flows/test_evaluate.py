"""`ews evaluate`: a model trained as of one date, scored month by month, meets the outcomes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()
TRAIN_AS_OF = "2023-06-25"


def ews(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, f"ews {' '.join(args)} failed: {result.output}"
    return result.stdout


@pytest.mark.slow
def test_train_once_backfill_then_evaluate_month_by_month(workspace: Path, tmp_path: Path) -> None:
    import simulator as sim

    world = sim.simulate("tiny", seed=2)
    sim.write_source(world, tmp_path / "source", "parquet")
    ews("ingest", str(tmp_path / "source"))
    ews("train", "--as-of", TRAIN_AS_OF, "--origins", "2")
    ews("backfill", "--from", "2023-07", "--to", "2023-10")
    result = json.loads(ews("evaluate", "--from", "2023-07", "--to", "2023-10", "--json"))

    assert result["trained_as_of"] == TRAIN_AS_OF and result["open_months"] == []
    table = pd.DataFrame(result["table"])
    assert set(table["model"]) == {"model", "reference_gbm", "checklist"}
    assert list(table["month"].unique()) == ["2023-07-31", "2023-08-31", "2023-09-30", "2023-10-31", "all"]
    # Positives follow the training labels' definition, counted here from the world itself:
    # firms of the ranking with a work stoppage starting in (D, D + 3 months].
    stoppages = world.incidents.loc[world.incidents["kind"] == "work_stoppage"]
    started = pd.to_datetime(stoppages["started"])
    for month, rows in table.loc[table["model"] == "model"].set_index("month").iterrows():
        if month == "all":
            continue
        day = pd.Timestamp(month)
        ranked = pd.read_csv(
            io.StringIO(ews("rank", "--as-of", month, "--top", "0", "--format", "csv")), dtype=str
        )
        hit = stoppages.loc[(started > day) & (started <= day + pd.DateOffset(months=3)), "enterprise_id"]
        assert rows["rows"] == len(ranked)
        assert rows["positives"] == ranked["enterprise_id"].isin(set(hit)).sum()
    pooled = table.loc[table["month"] == "all"].set_index("model")
    assert (
        pooled.loc["model", "positives"]
        == table.loc[(table["model"] == "model") & (table["month"] != "all"), "positives"].sum()
        > 0
    )
    assert pooled[["pr_auc", "caught_top_k"]].notna().all().all()
    assert ((pooled["caught_top_k"] >= 0) & (pooled["caught_top_k"] <= 1)).all()

    printed = ews("evaluate", "--from", "2023-07", "--to", "2023-10")
    assert "reference_gbm" in printed and "2023-10-31" in printed
