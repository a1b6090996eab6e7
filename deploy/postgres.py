"""A throwaway PostgreSQL server in a folder, for the tests and the multi-machine rehearsal.

Debian's PostgreSQL (`apt-get install postgresql`, which `make postgres` does) provides
`initdb`, `pg_ctl` and `postgres`; nothing is mocked. The server listens on 127.0.0.1 only,
on a free port, with `trust` authentication for the one local user (`ews`): a test server,
never a production recipe. PostgreSQL refuses to run as root, so under root the cluster is
created and run as the `postgres` system user that Debian's package adds.

    with local_postgres() as server:
        url = server.create_database("ews_test")   # postgresql+psycopg://ews@127.0.0.1:port/ews_test
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

USER = "ews"
#: Debian installs the server's programs here, outside PATH.
_DEBIAN_BINS = "/usr/lib/postgresql/*/bin"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server programs on this machine (install Debian's `postgresql`)."""


def server_bin() -> Path:
    """The folder holding `initdb` and `pg_ctl`: on PATH, else Debian's newest version."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob(_DEBIAN_BINS), key=lambda p: int(Path(p).parent.name))
    if versions and (Path(versions[-1]) / "initdb").exists():
        return Path(versions[-1])
    raise PostgresUnavailable("PostgreSQL's initdb was not found: run `make postgres` (Debian's postgresql)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running server: where it listens and how to reach it."""

    port: int
    host: str = "127.0.0.1"

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """A SQLAlchemy URL for `database` (`driver="postgresql"` for a libpq URI)."""
        return f"{driver}://{USER}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create database `name` (a new, empty one) and return its SQLAlchemy URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"database name {name!r}: letters, digits and _ only")
        import psycopg

        with psycopg.connect(self.url(driver="postgresql"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_server_user() -> list[str]:
    """The prefix that runs a command as the `postgres` user when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresUnavailable("running as root and no `postgres` user to run the server as") from exc
    return ["runuser", "-u", "postgres", "--"]


@contextmanager
def local_postgres(folder: Path | None = None, port: int | None = None) -> Iterator[Server]:
    """Create a cluster in `folder` (a temporary one by default), start it, stop it on exit."""
    bins = server_bin()
    prefix = _as_server_user()
    owned = folder is None
    root = Path(tempfile.mkdtemp(prefix="ews-pg-")) if folder is None else Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    data = root / "data"
    if prefix:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        root.chmod(0o755)
    port = port or free_port()
    log = root / "server.log"
    run = {"check": True, "capture_output": True, "text": True}
    try:
        subprocess.run(
            [*prefix, str(bins / "initdb"), "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8"],
            **run,  # type: ignore[call-overload]
        )
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off"
        subprocess.run(
            [*prefix, str(bins / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
            **run,  # type: ignore[call-overload]
        )
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()[-1:] or [""]
        text = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        if owned:
            shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(f"PostgreSQL did not start: {detail[0]} {' '.join(text)}".strip()) from exc
    try:
        yield Server(port=port)
    finally:
        subprocess.run(
            [*prefix, str(bins / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )
        if owned:
            shutil.rmtree(root, ignore_errors=True)
