"""One Prefect server per workspace: commands find the one `ews serve` runs, never a stale one."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from data.settings import Settings, configure_environment
from data.workspace import running_server, server_file


@pytest.fixture
def health() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            self.send_response(200 if self.path == "/api/health" else 404)
            self.end_headers()
            self.wfile.write(b"true")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api"
    httpd.shutdown()


def _record(home: Path, url: str, pid: int) -> None:
    home.mkdir(parents=True, exist_ok=True)
    server_file(home).write_text(json.dumps({"api_url": url, "pid": pid}), encoding="utf-8")


def test_commands_use_the_server_ews_serve_runs(health: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "ws")
    _record(settings.prefect_dir, health, os.getpid())
    saved = dict(os.environ)
    try:
        os.environ.pop("PREFECT_API_URL", None)
        configure_environment(settings)
        assert os.environ["PREFECT_API_URL"] == health
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_a_stale_or_foreign_record_is_ignored(health: str, tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    _record(tmp_path, health, gone.pid)
    assert running_server(tmp_path) is None  # the service that wrote it is gone
    _record(tmp_path, health.replace("127.0.0.1", "example.org"), os.getpid())
    assert running_server(tmp_path) is None  # only a server on this machine's loopback
    _record(tmp_path, health.replace("/api", "/elsewhere"), os.getpid())
    assert running_server(tmp_path) is None  # it does not answer as a Prefect server
    _record(tmp_path, health, os.getpid())
    assert running_server(tmp_path) == health
    server_file(tmp_path).write_text("not json", encoding="utf-8")
    assert running_server(tmp_path) is None
