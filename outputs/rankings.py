"""Published rankings: one row per (as_of, enterprise), replaced whole in one transaction.

Readers see either the previous ranking of a night or the new one, never a mix: a
publication deletes the night's rows and inserts the new ones inside a single transaction
of the workspace database (`data.database`: SQLite's `BEGIN IMMEDIATE` with its WAL journal,
or PostgreSQL, where publications queue on an advisory lock), and records the run in the
same transaction. A process killed mid-way leaves the database as it was.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from data.database import Database, DatabaseLike, Schema, connect, insert_rows, transaction
from data.errors import EwsError
from data.faults import pause_point
from outputs.tables import RANKING, RANKING_ADDED, check_table

# The published columns in the `scores` table's order, as `outputs.tables.RANKING` declares them,
# then the columns added since (`outputs.tables.RANKING_ADDED`).
SCORE_COLUMNS: tuple[str, ...] = tuple(RANKING.columns) + tuple(RANKING_ADDED.columns)

_SCHEMA = Schema(
    tables=("scores", "score_runs"),
    statements=(
        """CREATE TABLE IF NOT EXISTS scores (
    as_of TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    score {float} NOT NULL,
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
    months_stale {float},
    stale INTEGER,
    warning_kind TEXT,
    PRIMARY KEY (as_of, enterprise_id)
)""",
        """CREATE TABLE IF NOT EXISTS score_runs (
    as_of TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    input_digest TEXT NOT NULL,
    rows INTEGER NOT NULL,
    published_at TEXT NOT NULL,
    completed_at TEXT
)""",
    ),
    # Columns added since the first release: a workspace made by an older version gets them.
    added=(
        ("scores", "months_stale", "{float}"),
        ("scores", "stale", "INTEGER"),
        ("score_runs", "completed_at", "TEXT"),
        ("scores", "warning_kind", "TEXT"),
    ),
    # One firm's history (`ews explain`, the page's chart) without reading every night's rows.
    indexes=(("scores_by_enterprise", "scores", ("enterprise_id", "as_of")),),
)

_RECORD_RUN = sa.text(
    "INSERT INTO score_runs (as_of, run_id, model_name, model_version, input_digest, rows, published_at,"
    " completed_at) VALUES (:as_of, :run_id, :model_name, :model_version, :input_digest, :rows,"
    " :published_at, NULL) ON CONFLICT (as_of) DO UPDATE SET run_id = excluded.run_id,"
    " model_name = excluded.model_name, model_version = excluded.model_version,"
    " input_digest = excluded.input_digest, rows = excluded.rows, published_at = excluded.published_at,"
    " completed_at = NULL"
)


class PublishError(EwsError):
    """A ranking could not be published; the previous one is intact."""


def publish(db: DatabaseLike, ranking: pd.DataFrame) -> int:
    """Replace the rankings of the as-of dates in `ranking` atomically; return rows written.

    `ranking` is checked against `outputs.tables.RANKING` first (columns, dtypes, NOT NULL
    columns, bands, one row per enterprise and night): a bad one is refused with a one-line
    PublishError before the database is touched. Columns added since the first release
    (`outputs.tables.RANKING_ADDED`, e.g. `warning_kind`) may be absent: they are stored NULL.
    """
    check_table(RANKING, ranking, error=PublishError)
    absent = {c: None for c in RANKING_ADDED.columns if c not in ranking.columns}
    ranking = ranking.assign(**absent) if absent else ranking
    check_table(RANKING_ADDED, ranking, error=PublishError)
    frame = ranking.loc[:, list(SCORE_COLUMNS)].copy()
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d")
    # The flag is stored as 0/1 on both backends (PostgreSQL will not take True for an INTEGER).
    frame["stale"] = frame["stale"].astype("float64").astype("Int64")
    frame = frame.astype(object).where(frame.notna(), None)
    rows = list(frame.itertuples(index=False, name=None))
    published_at = pd.Timestamp.now(tz="UTC").isoformat()
    with transaction(db, _SCHEMA, queue="publish") as conn:
        for as_of, group in frame.groupby("as_of"):
            conn.execute(sa.text("DELETE FROM scores WHERE as_of = :as_of"), {"as_of": as_of})
            pause_point("publish.after_delete")
            first = group.iloc[0]
            conn.execute(
                _RECORD_RUN,
                {
                    "as_of": as_of,
                    "run_id": first["run_id"],
                    "model_name": first["model_name"],
                    "model_version": first["model_version"],
                    "input_digest": first["input_digest"],
                    "rows": len(group),
                    "published_at": published_at,
                },
            )
        insert_rows(conn, "scores", SCORE_COLUMNS, rows)
        pause_point("publish.before_commit")
    return len(rows)


def complete_or_fail(db: DatabaseLike, as_of: str, run_id: str) -> None:
    """:func:`mark_complete`, and a :class:`PublishError` when it could not be: another run
    published the night since, so this run's exports and report are not the night's."""
    if not mark_complete(db, as_of, run_id):
        raise PublishError(
            f"night {as_of}: another run published it while this one ran; this run's exports and "
            "report are not the night's (score it again to make them agree)"
        )


def mark_complete(db: DatabaseLike, as_of: str, run_id: str) -> bool:
    """Record that the run that published `as_of` also finished its exports, report and checks.

    A publication starts incomplete (`completed_at` NULL, set in its own transaction), so a
    run killed between the commit and this call leaves a night the catch-up scores again.
    Returns False when another run has published the night since.
    """
    stamp = pd.Timestamp.now(tz="UTC").isoformat()
    with transaction(db, _SCHEMA) as conn:
        result = conn.execute(
            sa.text("UPDATE score_runs SET completed_at = :stamp WHERE as_of = :as_of AND run_id = :run_id"),
            {"stamp": stamp, "as_of": as_of, "run_id": run_id},
        )
        return result.rowcount == 1


def completed_dates(db: DatabaseLike) -> list[str]:
    """As-of dates whose publishing run finished everything (rows, exports, report), oldest first."""
    db = Database.of(db)
    if not db.exists():
        return []
    with connect(db, _SCHEMA) as conn:
        query = "SELECT as_of FROM score_runs WHERE completed_at IS NOT NULL ORDER BY as_of"
        return [str(r[0]) for r in conn.execute(sa.text(query))]


def scored_dates(db: DatabaseLike) -> list[str]:
    """As-of dates with a published ranking, oldest first."""
    db = Database.of(db)
    if not db.exists():
        return []
    with connect(db, _SCHEMA) as conn:
        return [str(r[0]) for r in conn.execute(sa.text("SELECT as_of FROM score_runs ORDER BY as_of"))]


def read_ranking(db: DatabaseLike, as_of: str | None = None) -> pd.DataFrame:
    """The published ranking of one as-of date (default: the latest), ordered by rank."""
    dates = scored_dates(db)
    if not dates:
        raise EwsError("no ranking has been published yet; run `ews score` first")
    chosen = as_of or dates[-1]
    if chosen not in dates:
        raise EwsError(f"no ranking for {chosen}; scored dates: {', '.join(dates[-5:])}")
    with connect(db, _SCHEMA) as conn:
        return pd.read_sql_query(
            sa.text(f"SELECT {', '.join(SCORE_COLUMNS)} FROM scores WHERE as_of = :as_of ORDER BY rank"),
            conn,
            params={"as_of": chosen},
        )


def read_scores(
    db: DatabaseLike, dates: list[str], columns: tuple[str, ...] = ("as_of", "enterprise_id", "score", "band")
) -> pd.DataFrame:
    """Selected columns of the published rows of several nights (for calibration against outcomes)."""
    unknown = [c for c in columns if c not in SCORE_COLUMNS]
    if unknown:
        raise EwsError(f"unknown score columns {unknown}")
    db = Database.of(db)
    if not dates or not db.exists():
        return pd.DataFrame(columns=list(columns))
    query = sa.text(
        f"SELECT {', '.join(columns)} FROM scores WHERE as_of IN :dates ORDER BY as_of, rank"
    ).bindparams(sa.bindparam("dates", expanding=True))
    with connect(db, _SCHEMA) as conn:
        return pd.read_sql_query(query, conn, params={"dates": list(dates)})


def read_history(
    db: DatabaseLike,
    enterprise_id: str,
    columns: tuple[str, ...] = ("as_of", "rank", "score", "band", "model_version", "reasons", "reasons_en"),
) -> pd.DataFrame:
    """Selected columns of every published row of one enterprise, oldest night first."""
    unknown = [c for c in columns if c not in SCORE_COLUMNS]
    if unknown:
        raise EwsError(f"unknown score columns {unknown}")
    with connect(db, _SCHEMA) as conn:
        return pd.read_sql_query(
            sa.text(
                f"SELECT {', '.join(columns)} FROM scores WHERE enterprise_id = :enterprise_id ORDER BY as_of"
            ),
            conn,
            params={"enterprise_id": enterprise_id},
        )


def score_runs(db: DatabaseLike) -> pd.DataFrame:
    """The record of every published night."""
    with connect(db, _SCHEMA) as conn:
        return pd.read_sql_query(sa.text("SELECT * FROM score_runs ORDER BY as_of"), conn)


def publication_stamp(db: DatabaseLike) -> tuple[str, ...]:
    """Changes whenever a night is published or completed: for readers that cache what they
    read (the analysts' page) where the database is not a file whose time they could watch."""
    with connect(db, _SCHEMA) as conn:
        row = conn.execute(
            sa.text("SELECT COUNT(*), MAX(published_at), MAX(completed_at) FROM score_runs")
        ).one()
    return tuple("" if value is None else str(value) for value in row)
