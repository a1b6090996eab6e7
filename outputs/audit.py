"""Who was champion when: the operators' record of every alias move, kept in the workspace DB."""

from __future__ import annotations

import getpass
import sqlite3
from pathlib import Path

import pandas as pd

from data.sqlite import BUSY_TIMEOUT_SECONDS

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alias_history (
    at TEXT NOT NULL,
    model_name TEXT NOT NULL,
    alias TEXT NOT NULL,
    version TEXT NOT NULL,
    previous TEXT,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS model_digests (
    model_name TEXT NOT NULL,
    version TEXT NOT NULL,
    digest TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (model_name, version)
);
"""


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    conn.executescript(_SCHEMA)
    return conn


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def record_alias_change(
    path: Path,
    *,
    model_name: str,
    alias: str,
    version: str,
    previous: str | None,
    reason: str,
) -> None:
    """Append one alias move with the time (UTC), the operator and the reason."""
    conn = _connect(path)
    try:
        with conn:
            conn.execute(
                "INSERT INTO alias_history VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
                    model_name,
                    alias,
                    version,
                    previous,
                    _actor(),
                    reason,
                ),
            )
    finally:
        conn.close()


def alias_history(path: Path, model_name: str) -> pd.DataFrame:
    """Every recorded alias move of a model, oldest first."""
    conn = _connect(path)
    try:
        return pd.read_sql_query(
            "SELECT * FROM alias_history WHERE model_name = ? ORDER BY rowid", conn, params=(model_name,)
        )
    finally:
        conn.close()


def record_model_digest(path: Path, *, model_name: str, version: str, digest: str) -> None:
    """Keep a registered version's artifact digest in the workspace DB, beside MLflow's copy.

    The model files and MLflow's tag can be rewritten together by whoever writes to the
    MLflow store; this copy is written only by training (or an operator's `ews models
    trust`), so a model is loaded only when both copies and the files agree. A digest once
    recorded for a version is never replaced.
    """
    conn = _connect(path)
    try:
        with conn:
            conn.execute(
                "INSERT OR IGNORE INTO model_digests VALUES (?, ?, ?, ?, ?)",
                (
                    model_name,
                    version,
                    digest,
                    pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
                    _actor(),
                ),
            )
    finally:
        conn.close()


def model_digest(path: Path, model_name: str, version: str) -> str | None:
    """The digest the workspace recorded for a version, or None."""
    if not path.exists():
        return None
    conn = _connect(path)
    try:
        row = conn.execute(
            "SELECT digest FROM model_digests WHERE model_name = ? AND version = ?", (model_name, version)
        ).fetchone()
    finally:
        conn.close()
    return str(row[0]) if row else None
