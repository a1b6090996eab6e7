"""Analysts' review records: what was decided about an enterprise on a night, by whom, when.

One row per review in the `reviews` table of the workspace database (`ews.db`, or the
database `EWS_DB_URL` names). The table is append-only: a later review of the same
enterprise is a new row, never an update, and triggers refuse UPDATE and DELETE (and, on
PostgreSQL, TRUNCATE), so the history an analyst sees is the history that was recorded. Text is cleaned before it is stored (Unicode NFC, control characters
removed, lengths capped) and every statement uses placeholders.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from data.database import Database, DatabaseLike, Schema, append_only, has_table, read_only, transaction
from data.errors import EwsError
from vocab.terms import ENTERPRISE_ID_TYPED

#: What an analyst can record: looked at it; acted on it; the warning was wrong.
STATUSES: tuple[str, ...] = ("reviewed", "action_taken", "false_alarm")
MAX_NOTE_CHARS = 1000
MAX_REVIEWER_CHARS = 80
#: Enterprise ids are tax codes: ASCII letters, digits and a few separators.
_AS_OF = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REVIEW_COLUMNS: tuple[str, ...] = (
    "review_id",
    "enterprise_id",
    "as_of",
    "status",
    "note",
    "reviewer",
    "recorded_at",
)

_SCHEMA = Schema(
    tables=("reviews",),
    statements=(
        f"""CREATE TABLE IF NOT EXISTS reviews (
    review_id {{serial}},
    enterprise_id TEXT NOT NULL,
    as_of TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ({", ".join(f"'{s}'" for s in STATUSES)})),
    note TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL,
    recorded_at TEXT NOT NULL
)""",
        "CREATE INDEX IF NOT EXISTS reviews_by_enterprise ON reviews (enterprise_id, recorded_at)",
    ),
    only=append_only("reviews"),
)


class ReviewError(EwsError):
    """A review record was refused; nothing was written."""


@dataclass(frozen=True)
class Review:
    """One recorded review, as stored."""

    review_id: int
    enterprise_id: str
    as_of: str
    status: str
    note: str
    reviewer: str
    recorded_at: str


def clean_text(text: str, limit: int) -> str:
    """NFC text without control characters (newlines kept), trimmed; refused when over `limit`."""
    normalised = unicodedata.normalize("NFC", str(text))
    kept = "".join(ch for ch in normalised if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf"))
    kept = kept.strip()
    if len(kept) > limit:
        raise ReviewError(f"text is {len(kept)} characters long; the limit is {limit}")
    return kept


def record_review(
    db: DatabaseLike,
    *,
    enterprise_id: str,
    as_of: str,
    status: str,
    reviewer: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> Review:
    """Append one review (recorded at `now`, UTC, default the clock) and return it as stored."""
    if not isinstance(enterprise_id, str) or not ENTERPRISE_ID_TYPED.match(enterprise_id):
        raise ReviewError(f"enterprise id {str(enterprise_id)[:40]!r} is not a valid id")
    if not isinstance(as_of, str) or not _AS_OF.match(as_of):
        raise ReviewError(f"night {str(as_of)[:20]!r} must be a date YYYY-MM-DD")
    try:
        dt.date.fromisoformat(as_of)
    except ValueError:
        raise ReviewError(f"night {as_of!r} is not a calendar date") from None
    if status not in STATUSES:
        raise ReviewError(f"status {str(status)[:40]!r} is not one of {', '.join(STATUSES)}")
    clean_note = clean_text(note or "", MAX_NOTE_CHARS)
    clean_reviewer = clean_text(reviewer or "", MAX_REVIEWER_CHARS).replace("\n", " ")
    if not clean_reviewer:
        raise ReviewError("the reviewer's name is required")
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds")
    with transaction(db, _SCHEMA) as conn:
        review_id = conn.execute(
            sa.text(
                "INSERT INTO reviews (enterprise_id, as_of, status, note, reviewer, recorded_at) VALUES"
                " (:enterprise_id, :as_of, :status, :note, :reviewer, :recorded_at) RETURNING review_id"
            ),
            {
                "enterprise_id": enterprise_id,
                "as_of": as_of,
                "status": status,
                "note": clean_note,
                "reviewer": clean_reviewer,
                "recorded_at": stamp,
            },
        ).scalar_one()
    return Review(int(review_id), enterprise_id, as_of, status, clean_note, clean_reviewer, stamp)


def _no_reviews() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series([], dtype="int64" if c == "review_id" else "str") for c in REVIEW_COLUMNS}
    )


def read_reviews(
    db: DatabaseLike, *, enterprise_id: str | None = None, up_to: str | None = None
) -> pd.DataFrame:
    """Every review (of one enterprise, of nights up to `up_to` when given), oldest first.

    Reading never writes, on a read-only connection: a workspace without reviews (or without
    a database) has none.
    """
    db = Database.of(db)
    if not db.exists():
        return _no_reviews()
    clauses, params = [], {}
    if enterprise_id is not None:
        clauses.append("enterprise_id = :enterprise_id")
        params["enterprise_id"] = enterprise_id
    if up_to is not None:
        clauses.append("as_of <= :up_to")
        params["up_to"] = up_to
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    with read_only(db) as conn:
        if not has_table(conn, "reviews"):
            return _no_reviews()
        return pd.read_sql_query(
            sa.text(
                f"SELECT {', '.join(REVIEW_COLUMNS)} FROM reviews{where} ORDER BY recorded_at, review_id"
            ),
            conn,
            params=params,
        )


def latest_reviews(db: DatabaseLike, *, up_to: str | None = None) -> pd.DataFrame:
    """The most recent review of each enterprise (of nights up to `up_to`), one row each."""
    history = read_reviews(db, up_to=up_to)
    return history.groupby("enterprise_id", sort=True).tail(1).reset_index(drop=True)


__all__ = [
    "MAX_NOTE_CHARS",
    "MAX_REVIEWER_CHARS",
    "REVIEW_COLUMNS",
    "STATUSES",
    "Review",
    "ReviewError",
    "clean_text",
    "latest_reviews",
    "read_reviews",
    "record_review",
]
