"""A local Prefect server for `ews serve` when `PREFECT_API_URL` names none.

It listens on 127.0.0.1 with its database under `EWS_HOME`, is waited for until healthy,
and is stopped when the context ends. While it runs, its address is written to
`$EWS_HOME/prefect/server.json` (`data.workspace.server_file`): every other `ews` command of
the workspace then uses this server instead of starting a temporary one of its own on the
same database (`data.settings.configure_environment`).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from data.workspace import server_file


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def local_prefect_server(prefect_home: Path, *, wait_seconds: float = 180) -> Iterator[str]:
    """Start Prefect's server on 127.0.0.1 (database under `prefect_home`); yield its API URL."""
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(prefect_home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    log = open(prefect_home / "server.log", "ab")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + wait_seconds
        while not _healthy(api_url):
            if server.poll() is not None:
                raise RuntimeError(f"the Prefect server exited early; see {prefect_home / 'server.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not answer within {wait_seconds:.0f} s")
            time.sleep(1)
        record = server_file(prefect_home)
        tmp = record.with_suffix(".tmp")
        tmp.write_text(json.dumps({"api_url": api_url, "pid": os.getpid(), "server_pid": server.pid}))
        os.replace(tmp, record)
        yield api_url
    finally:
        with contextlib.suppress(OSError):
            server_file(prefect_home).unlink()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
