"""The whole job on a small generated world, through the `ews` command, in a temporary workspace."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import RANK_COLUMNS, app

runner = CliRunner()
AS_OF = "2025-01-25"


def ews(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, f"ews {' '.join(args)} failed: {result.output}"
    return result.stdout


@pytest.fixture(scope="module")
def tiny_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import simulator as sim

    out = tmp_path_factory.mktemp("tiny-source")
    sim.write_source(sim.simulate("tiny", seed=1), out, "csv")
    return out


@pytest.mark.slow
def test_ingest_train_score_rank(workspace: Path, tiny_source: Path) -> None:
    report = json.loads(ews("ingest", str(tiny_source), "--json"))
    for name in ("enterprises", "indicators", "incidents"):
        counts = report["tables"][name]
        assert set(counts) == {"rows_in", "accepted", "quarantined", "unmatched"}
        assert counts["rows_in"] == counts["accepted"] + counts["quarantined"] + counts["unmatched"]
        assert counts["quarantined"] == 0 and counts["unmatched"] == 0
    again = json.loads(ews("ingest", str(tiny_source), "--json"))
    assert again["status"] == "unchanged"

    ews("train", "--as-of", AS_OF, "--origins", "2")
    from models import registry

    champion = registry.alias_version("labor-ews", registry.CHAMPION)
    assert champion is not None and champion.version == "1"
    assert champion.tags["as_of"] == AS_OF and len(champion.digest) == 64

    ews("score", "--as-of", AS_OF)
    first = pd.read_csv(
        io.StringIO(ews("rank", "--as-of", AS_OF, "--top", "0", "--format", "csv")), dtype=str
    )
    assert list(first.columns[: len(RANK_COLUMNS)]) == list(RANK_COLUMNS)
    assert first["rank"].astype(int).tolist() == list(range(1, len(first) + 1))
    assert first["enterprise_id"].is_unique and len(first) > 1000
    assert first["score"].astype(float).between(0, 1).all()
    assert (first["band"] == "high").sum() >= 1

    # The night leaves its exports (verified by their manifest) and a self-contained report.
    from present.exports import verify_exports

    assert verify_exports(workspace / "exports", AS_OF)
    report = (workspace / "reports" / f"report-{AS_OF}.html").read_text(encoding="utf-8")
    assert "<html" in report.lower() and first["enterprise_id"].iloc[0] in report
    exported = pd.read_csv(workspace / "exports" / f"ranking-{AS_OF}.csv", dtype=str).drop(columns=["run_id"])

    # The same night scored again replaces its rows: identical, no second copy.
    ews("score", "--as-of", AS_OF)
    again_exported = pd.read_csv(workspace / "exports" / f"ranking-{AS_OF}.csv", dtype=str).drop(
        columns=["run_id"]
    )
    pd.testing.assert_frame_equal(exported, again_exported)  # only the run that wrote it differs
    second = pd.read_csv(
        io.StringIO(ews("rank", "--as-of", AS_OF, "--top", "0", "--format", "csv")), dtype=str
    )
    pd.testing.assert_frame_equal(first, second)

    # A second training with nothing new cannot beat the champion by more than the noise.
    ews("train", "--as-of", AS_OF, "--promote", "never", "--origins", "2")
    assert registry.alias_version("labor-ews", registry.CHAMPION).version == "1"  # type: ignore[union-attr]
    assert registry.alias_version("labor-ews", registry.CHALLENGER).version == "2"  # type: ignore[union-attr]

    # Why it moved: with a night a month earlier published, the night's report says for each
    # mover which figures moved it, and `ews explain` says it for one firm.
    ews("score", "--as-of", "2024-12-25")
    ews("score", "--as-of", AS_OF)
    report = (workspace / "reports" / f"report-{AS_OF}.html").read_text(encoding="utf-8")
    movers_section = report[report.index('id="movers"') :]
    assert "Vì sao thay đổi (so với đêm trước)" in movers_section
    assert re.search(r"(tăng|giảm) từ [\d,.]+ (lên|xuống) [\d,.]+", movers_section)
    top = first["enterprise_id"].iloc[0]
    text = ews("explain", top, "--as-of", AS_OF, "--lang", "en")
    assert "Since 2024-12-25: score" in text


@pytest.mark.slow
def test_the_demo_runs_the_whole_job_with_the_default_model(workspace: Path) -> None:
    """`make demo`'s path (`ews demo`) on the tiny world: the default learner is trained and scores."""
    text = ews("demo", "--preset", "tiny", "--seed", "1", "--top", "5")
    from models import registry
    from models.train import ModelParams

    champion = registry.alias_version("labor-ews", registry.CHAMPION)
    assert champion is not None and champion.tags["learner"] == ModelParams().learner
    assert champion.tags["learner"] in text
    nights = list((workspace / "reports").glob("report-*.html"))
    assert len(nights) == 1


@pytest.mark.slow
def test_a_short_history_backtests_the_origins_it_allows(workspace: Path, tiny_source: Path) -> None:
    """The default backtest fits itself to a short history (and says so); an explicit one fails."""
    ews("ingest", str(tiny_source))
    early = "2020-09-25"  # the tiny world starts in 2019-01: two origins fit
    asked = runner.invoke(app, ["train", "--as-of", early, "--origins", "12"])
    lines = [line for line in asked.stderr.splitlines() if line.strip()]
    assert asked.exit_code != 0 and len(lines) == 1
    assert "at most 2 backtest origins fit (--origins 2)" in lines[0]

    result = runner.invoke(app, ["train", "--as-of", early], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "backtest over 2 monthly origins" in result.stdout
    assert "allows only 2 backtest origins" in result.stderr
    from models import registry

    champion = registry.alias_version("labor-ews", registry.CHAMPION)
    assert champion is not None and champion.tags["backtest_origins"] == "2"


def test_scoring_without_a_model_fails_with_one_line(workspace: Path) -> None:
    result = runner.invoke(app, ["score", "--as-of", AS_OF])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "ews train" in lines[0]
    assert "Traceback" not in result.output


def test_dashboard_refuses_a_bad_host_with_one_line(workspace: Path) -> None:
    # The page itself is tested in tests/app (AppTest and a browser); here only the CLI's guard.
    result = runner.invoke(app, ["dashboard", "--host", "127.0.0.1; rm -rf /"])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--host" in lines[0]


def _known_by(world, day: pd.Timestamp):  # type: ignore[no-untyped-def]
    """The delivery a workspace would have received by `day`: rows reported by then."""
    from data.schemas import default_incident_reported_at, default_indicator_reported_at

    indicators = world.indicators
    month = pd.to_datetime(indicators["month"] + "-01")
    reported = pd.to_datetime(indicators["reported_at"]).fillna(default_indicator_reported_at(month))
    incidents = world.incidents
    started = pd.to_datetime(incidents["started"])
    incident_reported = pd.to_datetime(incidents["reported_at"]).fillna(default_incident_reported_at(started))
    return indicators.loc[reported <= day], incidents.loc[incident_reported <= day]


@pytest.mark.slow
def test_workspace_with_today_and_workspace_with_only_d_give_identical_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_server: None
) -> None:
    """Train as of D in a workspace holding data up to today and in one holding what was known at D."""
    import dataclasses

    import simulator as sim

    world = sim.simulate("tiny", seed=2)
    day = pd.Timestamp("2023-09-30")
    indicators, incidents = _known_by(world, day)
    assert len(indicators) < len(world.indicators) and len(incidents) < len(world.incidents)
    sources = {"today": world, "at_d": dataclasses.replace(world, indicators=indicators, incidents=incidents)}
    rankings = {}
    for name, source_world in sources.items():
        home = tmp_path / name
        monkeypatch.setenv("EWS_HOME", str(home))
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow' / 'mlflow.db'}")
        sim.write_source(source_world, tmp_path / f"source-{name}", "csv")
        ews("ingest", str(tmp_path / f"source-{name}"))
        ews("train", "--as-of", str(day.date()), "--origins", "2")
        ews("score", "--as-of", str(day.date()))
        text = ews("rank", "--as-of", str(day.date()), "--top", "0", "--format", "csv")
        rankings[name] = pd.read_csv(io.StringIO(text), dtype=str).drop(columns=["model_version"])
    pd.testing.assert_frame_equal(rankings["today"], rankings["at_d"])


def test_a_second_scoring_run_of_the_workspace_is_refused_with_status_5(workspace: Path) -> None:
    from data.locks import exclusive
    from data.workspace import score_lock_path

    with exclusive(score_lock_path(workspace), "a scoring run"):
        result = runner.invoke(app, ["score", "--as-of", AS_OF])
    assert result.exit_code == 5, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "a scoring run is already running in this workspace" in lines[0]
