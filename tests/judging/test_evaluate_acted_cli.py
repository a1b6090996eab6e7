"""`ews evaluate` shows the warnings acted on and not acted on apart: a rich table with
Vietnamese (default) or English words, and strict JSON (null, never NaN) with `--json`.

The flow is replaced by one that returns the real acted / not-acted part
(`judging.acted.evaluation_split`) of a small hand-made set beside a fixed model table:
what is tested here is the command's printing, not the model (the whole flow runs in
tests/flows/test_evaluate.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import flows.evaluate
from cli.main import app
from judging import acted

runner = CliRunner()


def _split() -> dict[str, Any]:
    """Night 2024-01-31, capacity 1: A (rank 1, high) acted on 02-10 and no stoppage followed;
    B (rank 2, elevated) not acted on, struck on 02-15; C (watch) is no warning."""
    published = pd.DataFrame(
        {
            "as_of": "2024-01-31",
            "enterprise_id": ["A", "B", "C"],
            "rank": [1, 2, 3],
            "score": [0.6, 0.3, 0.01],
            "band": ["high", "elevated", "watch"],
        }
    )
    actions = pd.DataFrame(
        {
            "id": [1],
            "enterprise_id": ["A"],
            "kind": ["wage_payment"],
            "started": ["2024-02-10"],
            "recorded_at": ["2024-02-10T03:00:00+00:00"],
        }
    )
    incidents = pd.DataFrame(
        {
            "incident_id": ["i1"],
            "enterprise_id": ["B"],
            "started": [pd.Timestamp("2024-02-15")],
            "kind": ["work_stoppage"],
            "reported_at": [pd.Timestamp("2024-02-15")],
        }
    )
    return acted.evaluation_split(
        published, actions, incidents, cutoff="2024-06-30", horizon_months=3, capacity=1.0
    )


@pytest.fixture
def evaluated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """An empty workspace and a flow that returns a fixed summary with the real split."""
    monkeypatch.setenv("EWS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EWS_DB_URL", raising=False)
    summary = {
        "model_version": "1",
        "learner": "blend",
        "trained_as_of": "2023-12-31",
        "outcomes_known_until": "2024-06-30",
        "open_months": [],
        "capacity": 1.0,
        "table": [
            {"month": "2024-01-31", "model": m, "rows": 3, "positives": 1, "pr_auc": 1.0, "caught_top_k": 0.0}
            for m in ("model", "reference_gbm", "checklist")
        ],
        "acted": _split(),
    }
    monkeypatch.setattr(flows.evaluate, "evaluate_flow", lambda first, last, train_as_of=None: summary)
    return summary


def test_json_is_strict_and_carries_the_split_with_null_rates(evaluated: dict[str, Any]) -> None:
    result = runner.invoke(app, ["evaluate", "--from", "2024-01", "--to", "2024-01", "--json"])
    assert result.exit_code == 0, result.output
    assert "NaN" not in result.stdout
    parsed = json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"non-strict JSON {name}"))
    rows = {(r["group"], r["band"]): r for r in parsed["acted"]["table"]}
    assert rows[("acted", "all")]["warnings"] == 1 and rows[("acted", "all")]["struck"] == 0
    assert rows[("not_acted", "all")]["hit_rate"] == 1.0 and rows[("not_acted", "all")]["stoppages"] == 1
    assert rows[("acted", "high")]["ratio"] == 0.0
    # No acted warning in band elevated: no row for it.
    assert ("acted", "elevated") not in rows
    assert parsed["acted"]["actions_known"] == 1 and parsed["acted"]["window_months"] == 3


def test_the_table_speaks_vietnamese_by_default_and_english_on_request(evaluated: dict[str, Any]) -> None:
    vi = runner.invoke(app, ["evaluate", "--from", "2024-01", "--to", "2024-01"])
    assert vi.exit_code == 0, vi.output
    assert "Đã xử lý" in vi.stdout and "Chưa xử lý" in vi.stdout and "Tỷ lệ trúng" in vi.stdout
    assert "100,0%" in vi.stdout  # the hit rate of the warnings not acted on, Vietnamese decimals
    en = runner.invoke(app, ["evaluate", "--from", "2024-01", "--to", "2024-01", "--lang", "en"])
    assert en.exit_code == 0, en.output
    assert "Acted on" in en.stdout and "Not acted on" in en.stdout and "100.0%" in en.stdout
    assert "reference_gbm" in en.stdout  # the model table is still there


def test_an_unknown_language_is_refused_in_one_line(evaluated: dict[str, Any]) -> None:
    result = runner.invoke(app, ["evaluate", "--from", "2024-01", "--to", "2024-01", "--lang", "fr"])
    assert result.exit_code == 2
    assert "--lang must be one of vi, en" in result.stderr


@pytest.mark.slow
def test_the_whole_command_splits_the_warnings_by_the_actions_known_at_the_cutoff(
    workspace: Path, tmp_path: Path
) -> None:
    """A tiny world trained once and backfilled; one action recorded in time, one recorded
    today (after the outcomes' cutoff): `ews evaluate --json` counts the first only, and the
    split adds up to the warnings and stoppages counted here from the rankings and the world."""
    import datetime as dt

    import simulator as sim
    from data.settings import Settings
    from outputs.actions import record_action
    from vocab.terms import capacity_count

    def ews(*args: str) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, f"ews {' '.join(args)} failed: {result.output}"
        return result.stdout

    world = sim.simulate("tiny", seed=2)
    sim.write_source(world, tmp_path / "source", "parquet")
    ews("ingest", str(tmp_path / "source"))
    ews("train", "--as-of", "2023-06-25", "--origins", "2")
    ews("backfill", "--from", "2023-07", "--to", "2023-09")
    nights = {
        night: pd.DataFrame(json.loads(ews("rank", "--as-of", night, "--top", "0", "--format", "json")))
        for night in ("2023-07-31", "2023-08-31", "2023-09-30")
    }
    first = str(nights["2023-07-31"].loc[0, "enterprise_id"])
    late = str(nights["2023-09-30"].loc[0, "enterprise_id"])
    db = Settings().db_path
    in_time = dt.datetime(2023, 8, 10, 5, tzinfo=dt.UTC)
    record_action(
        db, enterprise_id=first, kind="wage_payment", started="2023-08-10", recorded_by="t", now=in_time
    )
    record_action(db, enterprise_id=late, kind="inspection", started="2023-10-05", recorded_by="t")  # today

    result = json.loads(ews("evaluate", "--from", "2023-07", "--to", "2023-09", "--json"))
    split = result["acted"]
    assert split["actions_known"] == 1 and split["actions_known_until"] == result["outcomes_known_until"]

    stoppages = world.incidents.loc[world.incidents["kind"] == "work_stoppage"]
    started = pd.to_datetime(stoppages["started"])
    warnings, struck, acted_struck = 0, 0, 0
    for night, ranking in nights.items():
        day = pd.Timestamp(night)
        k = capacity_count(len(ranking), Settings().capacity)
        warned = ranking.loc[
            (ranking["rank"] <= k) | ranking["band"].isin(["high", "elevated"]), "enterprise_id"
        ]
        hit = set(
            stoppages.loc[(started > day) & (started <= day + pd.DateOffset(months=3)), "enterprise_id"]
        )
        warnings += len(warned)
        struck += int(warned.isin(hit).sum())
        if night == "2023-07-31":
            acted_struck = int(first in hit)
    rows = {(r["group"], r["band"]): r for r in split["table"]}
    assert rows[("acted", "all")]["warnings"] == 1  # `first` on 07-31 only: 08-10 is before 08-31
    assert rows[("acted", "all")]["struck"] == acted_struck
    assert rows[("not_acted", "all")]["warnings"] == warnings - 1
    assert rows[("not_acted", "all")]["struck"] == struck - acted_struck
    assert rows[("acted", "all")]["mean_predicted"] == pytest.approx(
        float(nights["2023-07-31"].loc[0, "score"])
    )
    monthly = [r for r in split["by_month"] if r["band"] == "all"]
    assert sorted({r["month"] for r in monthly}) == sorted(nights)
    assert sum(r["warnings"] for r in monthly) == warnings
