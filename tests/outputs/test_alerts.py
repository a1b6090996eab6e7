"""Alerts: recorded once per night (on SQLite and on PostgreSQL), read back, pushed to a local
webhook without network."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

import outputs.alerts as alerts
from data.database import Database
from outputs.alerts import ALERT_COLUMNS, AlertError, notify, read_alerts, record_alert


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_record_and_read(database: Database) -> None:
    db = database
    assert read_alerts(db).empty
    record_alert(
        db, as_of="2026-01-31", kind="drift", severity="warn", message="x drifted", details={"psi": 0.3}
    )
    record_alert(
        db, as_of="2026-01-31", kind="drift", severity="warn", message="x drifted", details={"psi": 0.3}
    )
    record_alert(
        db,
        as_of="2026-02-28",
        kind="freshness",
        severity="alert",
        message="x'); DROP TABLE alerts;--",
        details={"share": 0.5},
    )
    everything = read_alerts(db)
    assert len(everything) == 2  # the rerun of the same alert is a no-op
    night = read_alerts(db, as_of="2026-01-31")
    assert night["details"].iloc[0] == {"psi": 0.3}
    assert read_alerts(db, "2026-02-28")["message"].iloc[0] == "x'); DROP TABLE alerts;--"
    assert list(everything.columns) == list(ALERT_COLUMNS)
    assert everything["id"].tolist() == sorted(everything["id"]) and everything["id"].is_unique
    # The same kind on the same night with other words is another alert.
    record_alert(db, as_of="2026-01-31", kind="drift", severity="warn", message="y drifted", details={})
    assert read_alerts(db, "2026-01-31")["message"].tolist() == ["x drifted", "y drifted"]
    with pytest.raises(AlertError):
        record_alert(db, as_of="2026-01-31", kind="drift", severity="panic", message="", details={})
    assert len(read_alerts(db)) == 3


def test_reading_a_workspace_without_a_database_creates_none(tmp_path: Path) -> None:
    assert read_alerts(tmp_path / "missing.sqlite").empty
    assert not (tmp_path / "missing.sqlite").exists()


class _Handler(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        length = int(self.headers["Content-Length"])
        _Handler.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ALERT = {
    "as_of": "2026-01-31",
    "kind": "drift",
    "severity": "alert",
    "message": "Điểm trôi",
    "details": {"psi": 0.4},
}


def test_webhook_success(webhook: str) -> None:
    _Handler.received.clear()
    assert notify(ALERT, webhook_url=webhook, smtp=None, timeout=5)
    assert _Handler.received == [ALERT]


def test_webhook_refused_returns_false_quickly() -> None:
    start = time.monotonic()
    assert not notify(ALERT, webhook_url=f"http://127.0.0.1:{_closed_port()}/hook", smtp=None, timeout=2)
    assert time.monotonic() - start < 2.5


def test_silent_server_times_out() -> None:
    with socket.socket() as listener:  # accepts the connection, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        start = time.monotonic()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
        assert not notify(ALERT, webhook_url=url, smtp=None, timeout=0.5)
        assert time.monotonic() - start < 3


def test_bad_configuration_never_raises() -> None:
    assert not notify(ALERT, webhook_url="file:///etc/passwd", smtp=None)
    assert not notify(ALERT, webhook_url="not a url", smtp=None)
    assert not notify(ALERT, webhook_url=None, smtp=None)
    smtp = {"host": "127.0.0.1", "port": _closed_port(), "sender": "ews@example.org", "to": "ops@example.org"}
    assert not notify(ALERT, webhook_url=None, smtp=smtp, timeout=2)


def test_smtp_message(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Any] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            assert (host, port, timeout) == ("mail.local", 2525, 3)

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: Any) -> None:
            pass

        def send_message(self, message: Any) -> None:
            sent.append(message)

    monkeypatch.setattr(alerts.smtplib, "SMTP", FakeSMTP)
    smtp = {
        "host": "mail.local",
        "port": 2525,
        "sender": "ews@example.org",
        "to": ["a@example.org", "b@example.org"],
    }
    assert notify(ALERT, webhook_url=None, smtp=smtp, timeout=3)
    assert sent[0]["To"] == "a@example.org, b@example.org"
    assert "drift" in sent[0]["Subject"] and "Điểm trôi" in sent[0].get_content()
