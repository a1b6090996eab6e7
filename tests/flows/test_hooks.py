"""A failed night and a refused agency file reach the alerts and the operator's webhook."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from data.errors import NotReady
from outputs.alerts import read_alerts


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict]]:
    received: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setenv("EWS_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{httpd.server_address[1]}/hook")
    yield received
    httpd.shutdown()


def test_a_failed_scoring_run_is_recorded_and_pushed(workspace: Path, webhook: list[dict]) -> None:
    from flows.score import score_flow

    with pytest.raises(NotReady):
        score_flow(as_of=dt.date(2024, 6, 30))
    recorded = read_alerts(workspace / "ews.db", "2024-06-30")
    assert list(recorded["kind"]) == ["score-failed"] and "run `ews train` first" in recorded["message"][0]
    assert [a["kind"] for a in webhook] == ["score-failed"] and webhook[0]["severity"] == "alert"


def test_a_refused_agency_file_is_an_alert(workspace: Path, webhook: list[dict], tmp_path: Path) -> None:
    from flows.pull import pull_flow

    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[sources.labour]\ntable = "indicators"\nlocation = "nowhere/*.csv"\nformat = "csv"\n'
        '[sources.labour.columns]\nenterprise_id = "enterprise_id"\nmonth = "month"\n',
        encoding="utf-8",
    )
    (report,) = pull_flow(str(sources))
    assert report["refused"]
    recorded = read_alerts(workspace / "ews.db")
    assert "pull-refused" in set(recorded["kind"]) and any(a["kind"] == "pull-refused" for a in webhook)


def test_a_database_password_never_reaches_prefects_database(workspace: Path) -> None:
    import asyncio

    from prefect.client.orchestration import get_client
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["ingest", "postgresql+psycopg://ews:s3cret-pw@127.0.0.1:1/agency"])
    assert result.exit_code == 3 and "s3cret-pw" not in result.output

    async def parameters() -> list[dict]:
        async with get_client() as client:
            return [run.parameters for run in await client.read_flow_runs()]

    stored = json.dumps(asyncio.run(parameters()))
    assert "127.0.0.1:1/agency" in stored and "s3cret-pw" not in stored


def test_a_failed_scheduled_run_is_recorded_under_the_night_its_schedule_gave_it() -> None:
    """A scheduled run has no `as_of`: its failure at 02:00 on 3 March (Vietnam) is about 2 March."""
    from types import SimpleNamespace

    from flows.hooks import _night

    scheduled = dt.datetime(2024, 3, 2, 19, 0, tzinfo=dt.UTC)  # 02:00 on 3 March in Vietnam
    run = SimpleNamespace(parameters={"scheduled": True}, expected_start_time=scheduled)
    assert _night(run) == "2024-03-02"
    assert (
        _night(SimpleNamespace(parameters={"as_of": "2024-01-31"}, expected_start_time=scheduled))
        == "2024-01-31"
    )
    manual = SimpleNamespace(parameters={}, expected_start_time=scheduled)
    from vocab.months import today_in_vietnam

    assert _night(manual) == today_in_vietnam().isoformat()
