"""Remote sources over http (a server on this machine): fetched, retried, refused alone."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()
REGISTRY = (
    "enterprise_id,name,province,zone_type,sector,ownership\n"
    "0800000001,Công ty A,Hải Dương,outside,14,fdi\n"
    "0800000002,Công ty B,Hải Dương,outside,15,private\n"
)
LABOUR = "Mã số thuế;Tháng;Số lao động\n0800000001;03/2024;120\n0800000002;03/2024;80\n"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """An http server on 127.0.0.1 serving a folder; yields its URL and the paths asked for."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "registry.csv").write_text(REGISTRY, encoding="utf-8")
    (root / "labour.csv").write_text(LABOUR, encoding="utf-8")
    asked: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            asked.append(self.path)
            super().do_GET()

        def do_HEAD(self) -> None:  # noqa: N802
            asked.append(self.path)
            super().do_HEAD()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", asked
    httpd.shutdown()


def _sources(url: str, labour: str) -> str:
    return f"""
[sources.registry]
table = "enterprises"
location = "{url}/registry.csv"
format = "csv"
[sources.registry.columns]
enterprise_id = "enterprise_id"
name = "name"
province = "province"
zone_type = "zone_type"
sector = "sector"
ownership = "ownership"

[sources.labour]
table = "indicators"
location = "{url}/{labour}"
format = "csv"
delimiter = ";"
retries = 1
retry_delay = 0
reported_at = {{ fetch = true }}
formats = {{ month = "%m/%Y" }}
[sources.labour.columns]
"Mã số thuế" = "enterprise_id"
"Tháng" = "month"
"Số lao động" = "headcount"
"""


def test_a_remote_source_is_fetched_and_its_rows_stored(server, workspace: Path, tmp_path: Path) -> None:
    url, _ = server
    path = tmp_path / "sources.toml"
    path.write_text(_sources(url, "labour.csv"), encoding="utf-8")
    result = runner.invoke(app, ["pull", "--sources", str(path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    reports = {r["source"]: r for r in json.loads(result.stdout)["sources"]}
    assert reports["labour"]["tables"]["indicators"] == {
        "rows_in": 2,
        "accepted": 2,
        "quarantined": 0,
        "unmatched": 0,
    }
    assert reports["labour"]["files"][0]["file"] == f"{url}/labour.csv"


def test_a_remote_source_that_cannot_be_fetched_is_retried_then_refused_alone(
    server, workspace: Path, tmp_path: Path
) -> None:
    url, asked = server
    path = tmp_path / "sources.toml"
    path.write_text(_sources(url, "missing.csv"), encoding="utf-8")
    result = runner.invoke(app, ["pull", "--sources", str(path), "--json"], catch_exceptions=False)
    assert result.exit_code == 3  # input refused
    reports = {r["source"]: r for r in json.loads(result.stdout)["sources"]}
    assert reports["registry"]["status"] == "stored"
    (line,) = reports["labour"]["refused"]
    assert "source labour" in line and "missing.csv" in line and "\n" not in line
    assert sum(1 for p in asked if p == "/missing.csv") >= 2  # the first try and one retry


def test_a_remote_source_that_fails_once_is_retried_and_stored(workspace: Path, tmp_path: Path) -> None:
    """The first fetches of the labour file get HTTP 503; Prefect tries the source again and
    the second try stores its rows (before, a failed fetch was reported, never retried)."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "registry.csv").write_text(REGISTRY, encoding="utf-8")
    (root / "labour.csv").write_text(LABOUR, encoding="utf-8")
    failing = {"left": 1}

    class Flaky(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            if self.path == "/labour.csv" and failing["left"] > 0:
                failing["left"] -= 1
                self.send_error(503, "busy")
                return
            super().do_GET()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Flaky, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        path = tmp_path / "sources.toml"
        path.write_text(_sources(url, "labour.csv"), encoding="utf-8")
        result = runner.invoke(app, ["pull", "--sources", str(path), "--json"], catch_exceptions=False)
    finally:
        httpd.shutdown()
    assert failing["left"] == 0  # the failure was served
    assert result.exit_code == 0, result.output
    reports = {r["source"]: r for r in json.loads(result.stdout)["sources"]}
    assert reports["labour"]["refused"] == []
    assert reports["labour"]["tables"]["indicators"]["accepted"] == 2
