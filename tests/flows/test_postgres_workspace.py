"""The workspace database on PostgreSQL (`EWS_DB_URL`): a night scored by `ews score` is published
there, whole and completed, and `ews rank` and `ews models list` read it back; no SQLite file
is made, and the URL's password reaches no output, file or Prefect record. The store, exports,
reports and MLflow stay in the workspace folder."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import RANK_COLUMNS, app
from data.database import Database, dispose

pytestmark = pytest.mark.slow

runner = CliRunner()
AS_OF = "2025-01-25"
#: The test server trusts its local user, so a password in the URL is carried and never needed.
PASSWORD = "s3cret-pw"


def ews(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, f"ews {' '.join(args)} failed: {result.output}"
    assert PASSWORD not in result.output
    return result.stdout


def _prefect_records() -> str:
    """Every flow run's parameters and every log line the Prefect server keeps."""
    from prefect.client.orchestration import get_client

    async def read() -> list[Any]:
        async with get_client() as client:
            runs = [run.parameters for run in await client.read_flow_runs()]
            logs = [log.message for log in await client.read_logs()]
            return [runs, logs]

    return json.dumps(asyncio.run(read()), default=str)


def test_a_night_scored_with_ews_db_url_is_published_in_postgresql_and_ranked_from_it(
    workspace: Path, postgres_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import simulator as sim
    from flows.ingest import ingest_flow
    from flows.train import train_flow
    from models.train import ModelParams
    from outputs import audit, rankings

    url = postgres_server.create_database("ews_flow").replace("://ews@", f"://ews:{PASSWORD}@")
    db = Database.of(url)
    monkeypatch.setenv("EWS_DB_URL", url)
    try:
        source = tmp_path / "source"
        sim.write_source(sim.simulate("tiny", seed=1), source, "csv")
        ingest_flow(str(source))
        # One boosted model over two origins: the quickest champion training registers.
        train_flow(
            as_of=dt.date.fromisoformat(AS_OF),
            promote="auto",
            params=ModelParams(backtest_origins=2, learner="hgb"),
            candidates=("hgb",),
        )

        ews("score", "--as-of", AS_OF)
        assert rankings.scored_dates(db) == [AS_OF] and rankings.completed_dates(db) == [AS_OF]
        published = rankings.read_ranking(db, AS_OF)
        assert len(published) > 1000 and published["enterprise_id"].is_unique

        ranked = pd.read_csv(
            io.StringIO(ews("rank", "--as-of", AS_OF, "--top", "0", "--format", "csv")), dtype=str
        )
        assert list(ranked.columns[: len(RANK_COLUMNS)]) == list(RANK_COLUMNS)
        assert ranked["enterprise_id"].tolist() == published["enterprise_id"].tolist()
        assert ranked["rank"].astype(int).tolist() == published["rank"].tolist()

        # The champion's move and its digest were recorded in PostgreSQL by training.
        history = json.loads(ews("models", "list", "--json"))["champion_history"]
        assert [move["version"] for move in history] == ["1"]
        assert audit.alias_history(db, "labor-ews")["version"].tolist() == ["1"]
        assert audit.model_digest(db, "labor-ews", "1") is not None

        # Files stay files; the database is not one of them.
        assert (workspace / "exports" / f"ranking-{AS_OF}.csv").is_file()
        assert (workspace / "reports" / f"report-{AS_OF}.html").is_file()
        assert not (workspace / "ews.db").exists()
        for path in (workspace / "exports").rglob("*"):
            assert not path.is_file() or PASSWORD.encode() not in path.read_bytes(), path
        assert PASSWORD not in (workspace / "reports" / f"report-{AS_OF}.html").read_text(encoding="utf-8")
        records = _prefect_records()
        assert AS_OF in records and PASSWORD not in records  # the scoring run is there, the password not
    finally:
        dispose(db)
