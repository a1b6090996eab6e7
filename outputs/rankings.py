"""Published rankings: one row per (as_of, enterprise), replaced whole in one transaction.

Readers see either the previous ranking of a night or the new one, never a mix: a
publication deletes the night's rows and inserts the new ones inside a single SQLite
transaction (`BEGIN IMMEDIATE`, WAL journal), and records the run in the same
transaction. A process killed mid-way leaves the database as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from data.errors import EwsError
from data.faults import pause_point
from data.sqlite import open_db
from outputs.tables import RANKING, check_table

# The published columns in the `scores` table's order, as `outputs.tables.RANKING` declares them.
SCORE_COLUMNS: tuple[str, ...] = tuple(RANKING.columns)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    as_of TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    score REAL NOT NULL,
    band TEXT NOT NULL,
    reasons TEXT,
    reasons_en TEXT,
    name TEXT,
    province TEXT,
    district TEXT,
    zone_id TEXT,
    sector TEXT,
    ownership TEXT,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    run_id TEXT NOT NULL,
    input_digest TEXT NOT NULL,
    months_stale REAL,
    stale INTEGER,
    PRIMARY KEY (as_of, enterprise_id)
);
CREATE TABLE IF NOT EXISTS score_runs (
    as_of TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    input_digest TEXT NOT NULL,
    rows INTEGER NOT NULL,
    published_at TEXT NOT NULL,
    completed_at TEXT
);
"""


class PublishError(EwsError):
    """A ranking could not be published; the previous one is intact."""


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection with WAL, a busy timeout and the schema (migrated to the current columns)."""
    with open_db(path, _SCHEMA, _add_missing_columns) as conn:
        yield conn


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Bring a workspace made by an older version up to the current columns."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(scores)")}
    for column, kind in (("months_stale", "REAL"), ("stale", "INTEGER")):
        if column not in have:
            conn.execute(f"ALTER TABLE scores ADD COLUMN {column} {kind}")
    if "completed_at" not in {row[1] for row in conn.execute("PRAGMA table_info(score_runs)")}:
        conn.execute("ALTER TABLE score_runs ADD COLUMN completed_at TEXT")


def publish(path: Path, ranking: pd.DataFrame) -> int:
    """Replace the rankings of the as-of dates in `ranking` atomically; return rows written.

    `ranking` is checked against `outputs.tables.RANKING` first (columns, dtypes, NOT NULL
    columns, bands, one row per enterprise and night): a bad one is refused with a one-line
    PublishError before the database is touched.
    """
    check_table(RANKING, ranking, error=PublishError)
    frame = ranking.loc[:, list(SCORE_COLUMNS)].copy()
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d")
    frame = frame.astype(object).where(frame.notna(), None)
    rows = list(frame.itertuples(index=False, name=None))
    placeholders = ", ".join("?" for _ in SCORE_COLUMNS)
    published_at = pd.Timestamp.now(tz="UTC").isoformat()
    with connect(path) as conn:
        try:
            conn.execute("BEGIN IMMEDIATE")
            for as_of, group in frame.groupby("as_of"):
                conn.execute("DELETE FROM scores WHERE as_of = ?", (as_of,))
                pause_point("publish.after_delete")
                first = group.iloc[0]
                conn.execute(
                    "INSERT OR REPLACE INTO score_runs (as_of, run_id, model_name, model_version,"
                    " input_digest, rows, published_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                    (
                        as_of,
                        first["run_id"],
                        first["model_name"],
                        first["model_version"],
                        first["input_digest"],
                        len(group),
                        published_at,
                    ),
                )
            conn.executemany(f"INSERT INTO scores ({', '.join(SCORE_COLUMNS)}) VALUES ({placeholders})", rows)
            pause_point("publish.before_commit")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(rows)


def complete_or_fail(path: Path, as_of: str, run_id: str) -> None:
    """:func:`mark_complete`, and a :class:`PublishError` when it could not be: another run
    published the night since, so this run's exports and report are not the night's."""
    if not mark_complete(path, as_of, run_id):
        raise PublishError(
            f"night {as_of}: another run published it while this one ran; this run's exports and "
            "report are not the night's (score it again to make them agree)"
        )


def mark_complete(path: Path, as_of: str, run_id: str) -> bool:
    """Record that the run that published `as_of` also finished its exports, report and checks.

    A publication starts incomplete (`completed_at` NULL, set in its own transaction), so a
    run killed between the commit and this call leaves a night the catch-up scores again.
    Returns False when another run has published the night since.
    """
    stamp = pd.Timestamp.now(tz="UTC").isoformat()
    with connect(path) as conn:
        cursor = conn.execute(
            "UPDATE score_runs SET completed_at = ? WHERE as_of = ? AND run_id = ?", (stamp, as_of, run_id)
        )
        return cursor.rowcount == 1


def completed_dates(path: Path) -> list[str]:
    """As-of dates whose publishing run finished everything (rows, exports, report), oldest first."""
    if not path.exists():
        return []
    with connect(path) as conn:
        query = "SELECT as_of FROM score_runs WHERE completed_at IS NOT NULL ORDER BY as_of"
        return [r[0] for r in conn.execute(query)]


def scored_dates(path: Path) -> list[str]:
    """As-of dates with a published ranking, oldest first."""
    if not path.exists():
        return []
    with connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT as_of FROM score_runs ORDER BY as_of")]


def read_ranking(path: Path, as_of: str | None = None) -> pd.DataFrame:
    """The published ranking of one as-of date (default: the latest), ordered by rank."""
    dates = scored_dates(path)
    if not dates:
        raise EwsError("no ranking has been published yet; run `ews score` first")
    chosen = as_of or dates[-1]
    if chosen not in dates:
        raise EwsError(f"no ranking for {chosen}; scored dates: {', '.join(dates[-5:])}")
    with connect(path) as conn:
        frame = pd.read_sql_query(
            "SELECT * FROM scores WHERE as_of = ? ORDER BY rank", conn, params=(chosen,)
        )
    return frame


def read_scores(
    path: Path, dates: list[str], columns: tuple[str, ...] = ("as_of", "enterprise_id", "score", "band")
) -> pd.DataFrame:
    """Selected columns of the published rows of several nights (for calibration against outcomes)."""
    unknown = [c for c in columns if c not in SCORE_COLUMNS]
    if unknown:
        raise EwsError(f"unknown score columns {unknown}")
    if not dates or not path.exists():
        return pd.DataFrame(columns=list(columns))
    marks = ", ".join("?" for _ in dates)
    with connect(path) as conn:
        return pd.read_sql_query(
            f"SELECT {', '.join(columns)} FROM scores WHERE as_of IN ({marks}) ORDER BY as_of, rank",
            conn,
            params=tuple(dates),
        )


def score_runs(path: Path) -> pd.DataFrame:
    """The record of every published night."""
    with connect(path) as conn:
        return pd.read_sql_query("SELECT * FROM score_runs ORDER BY as_of", conn)
