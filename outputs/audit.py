"""Who was champion when: the operators' record of every alias move, kept in the workspace DB."""

from __future__ import annotations

import getpass

import pandas as pd
import sqlalchemy as sa

from data.database import Database, DatabaseLike, Schema, connect, transaction

#: The columns of a move, as :func:`alias_history` returns them.
HISTORY_COLUMNS: tuple[str, ...] = ("at", "model_name", "alias", "version", "previous", "actor", "reason")

_SCHEMA = Schema(
    tables=("alias_history", "model_digests"),
    statements=(
        # Moves are ordered by `rowid`: SQLite's own row number, a column on PostgreSQL.
        """CREATE TABLE IF NOT EXISTS alias_history (
    {rowid}
    at TEXT NOT NULL,
    model_name TEXT NOT NULL,
    alias TEXT NOT NULL,
    version TEXT NOT NULL,
    previous TEXT,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL
)""",
        """CREATE TABLE IF NOT EXISTS model_digests (
    model_name TEXT NOT NULL,
    version TEXT NOT NULL,
    digest TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (model_name, version)
)""",
    ),
)


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def record_alias_change(
    db: DatabaseLike,
    *,
    model_name: str,
    alias: str,
    version: str,
    previous: str | None,
    reason: str,
) -> None:
    """Append one alias move with the time (UTC), the operator and the reason."""
    with transaction(db, _SCHEMA) as conn:
        conn.execute(
            sa.text(
                f"INSERT INTO alias_history ({', '.join(HISTORY_COLUMNS)})"
                " VALUES (:at, :model_name, :alias, :version, :previous, :actor, :reason)"
            ),
            {
                "at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
                "model_name": model_name,
                "alias": alias,
                "version": version,
                "previous": previous,
                "actor": _actor(),
                "reason": reason,
            },
        )


def alias_history(db: DatabaseLike, model_name: str) -> pd.DataFrame:
    """Every recorded alias move of a model, oldest first."""
    with connect(db, _SCHEMA) as conn:
        return pd.read_sql_query(
            sa.text(
                f"SELECT {', '.join(HISTORY_COLUMNS)} FROM alias_history"
                " WHERE model_name = :model_name ORDER BY rowid"
            ),
            conn,
            params={"model_name": model_name},
        )


def record_model_digest(db: DatabaseLike, *, model_name: str, version: str, digest: str) -> None:
    """Keep a registered version's artifact digest in the workspace DB, beside MLflow's copy.

    The model files and MLflow's tag can be rewritten together by whoever writes to the
    MLflow store; this copy is written only by training (or an operator's `ews models
    trust`), so a model is loaded only when both copies and the files agree. A digest once
    recorded for a version is never replaced.
    """
    with transaction(db, _SCHEMA) as conn:
        conn.execute(
            sa.text(
                "INSERT INTO model_digests (model_name, version, digest, at, actor)"
                " VALUES (:model_name, :version, :digest, :at, :actor)"
                " ON CONFLICT (model_name, version) DO NOTHING"
            ),
            {
                "model_name": model_name,
                "version": version,
                "digest": digest,
                "at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
                "actor": _actor(),
            },
        )


def model_digest(db: DatabaseLike, model_name: str, version: str) -> str | None:
    """The digest the workspace recorded for a version, or None."""
    db = Database.of(db)
    if not db.exists():
        return None
    with connect(db, _SCHEMA) as conn:
        row = conn.execute(
            sa.text("SELECT digest FROM model_digests WHERE model_name = :model_name AND version = :version"),
            {"model_name": model_name, "version": version},
        ).first()
    return str(row[0]) if row else None
