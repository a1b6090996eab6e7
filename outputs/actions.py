"""What was done about an enterprise: an inspection, mediation, enforced payment of wages or
insurance, support; with its dates, its outcome, who recorded it and when.

One row per action in the `actions` table of the workspace database (`ews.db`, or the
database `EWS_DB_URL` names). Like the reviews (`outputs.reviews`) the table is append-only:
a later outcome of the same action is a new row, and triggers refuse UPDATE and DELETE (and,
on PostgreSQL, TRUNCATE), so the history read back is the history recorded. A value that
does not fit (an unknown kind or outcome, an end before the start, a start in the future, a
note too long or with control characters) is refused whole with one line, `ActionRefused`;
nothing is silently cleaned away except surrounding spaces and the Unicode form (NFC).

A night sees the actions recorded on or before it: `recorded_at` (UTC) before the end of the
night's day in Asia/Ho_Chi_Minh, the timezone of every night of the project.
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

#: What was done (labels: the "action" family of `vocab.i18n`); the same codes as the
#: simulator's `ACTION_KINDS`. Declared here, like the review statuses, and not in
#: `vocab.terms`, whose codes are the documented data contract.
ACTION_KINDS: tuple[str, ...] = ("inspection", "mediation", "wage_payment", "insurance_payment", "support")
#: How an action ended, when known (labels: the "outcome" family of `vocab.i18n`).
ACTION_OUTCOMES: tuple[str, ...] = ("paid", "agreed", "no_change", "pending")
MAX_NOTE_CHARS = 1000
MAX_RECORDED_BY_CHARS = 80
#: Nights and action dates are days in Vietnam (UTC+7, no daylight saving time).
VIETNAM = dt.timezone(dt.timedelta(hours=7))
#: Enterprise ids are tax codes: ASCII letters, digits and a few separators.
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ACTION_COLUMNS: tuple[str, ...] = (
    "id",
    "enterprise_id",
    "kind",
    "started",
    "ended",
    "outcome",
    "note",
    "recorded_by",
    "recorded_at",
)


def _quoted(codes: tuple[str, ...]) -> str:
    return ", ".join(f"'{code}'" for code in codes)


_SCHEMA = Schema(
    tables=("actions",),
    statements=(
        f"""CREATE TABLE IF NOT EXISTS actions (
    id {{serial}},
    enterprise_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ({_quoted(ACTION_KINDS)})),
    started TEXT NOT NULL,
    ended TEXT,
    outcome TEXT CHECK (outcome IS NULL OR outcome IN ({_quoted(ACTION_OUTCOMES)})),
    note TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    CHECK (ended IS NULL OR ended >= started)
)""",
        "CREATE INDEX IF NOT EXISTS actions_by_enterprise ON actions (enterprise_id, recorded_at)",
    ),
    only=append_only("actions"),
)


class ActionRefused(EwsError):
    """An action record was refused; nothing was written."""


@dataclass(frozen=True)
class Action:
    """One recorded action, as stored."""

    id: int
    enterprise_id: str
    kind: str
    started: str
    ended: str | None
    outcome: str | None
    note: str | None
    recorded_by: str
    recorded_at: str


def _day(value: object, what: str) -> dt.date:
    """`value` as a calendar date written YYYY-MM-DD; anything else is refused."""
    if not isinstance(value, str) or not _DATE.match(value):
        raise ActionRefused(f"{what} {str(value)[:20]!r} must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ActionRefused(f"{what} {value!r} is not a calendar date") from None


def _text(value: object, what: str, limit: int, *, newlines: bool) -> str:
    """NFC text, trimmed; refused when it holds control characters or is over `limit`."""
    if not isinstance(value, str):
        raise ActionRefused(f"{what} must be text")
    text = unicodedata.normalize("NFC", value).strip()
    for ch in text:
        if (ch != "\n" or not newlines) and unicodedata.category(ch) in ("Cc", "Cf"):
            raise ActionRefused(f"{what} holds a control character (U+{ord(ch):04X})")
    if len(text) > limit:
        raise ActionRefused(f"{what} is {len(text)} characters long; the limit is {limit}")
    return text


def record_action(
    db: DatabaseLike,
    *,
    enterprise_id: str,
    kind: str,
    started: str,
    recorded_by: str,
    ended: str | None = None,
    outcome: str | None = None,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> Action:
    """Append one action (recorded at `now`, UTC, default the clock) and return it as stored.

    Every field is checked before anything is written: a refusal is one `ActionRefused` line.
    """
    if not isinstance(enterprise_id, str) or not ENTERPRISE_ID_TYPED.match(enterprise_id):
        raise ActionRefused(f"enterprise id {str(enterprise_id)[:40]!r} is not a valid id")
    if kind not in ACTION_KINDS:
        raise ActionRefused(f"kind {str(kind)[:40]!r} is not one of {', '.join(ACTION_KINDS)}")
    if outcome is not None and outcome not in ACTION_OUTCOMES:
        raise ActionRefused(f"outcome {str(outcome)[:40]!r} is not one of {', '.join(ACTION_OUTCOMES)}")
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    today = moment.astimezone(VIETNAM).date()
    start = _day(started, "start")
    if start > today:
        raise ActionRefused(f"start {started} is in the future (today is {today})")
    if ended is not None:
        end = _day(ended, "end")
        if end < start:
            raise ActionRefused(f"end {ended} is before the start {started}")
        if end > today:
            raise ActionRefused(f"end {ended} is in the future (today is {today})")
    clean_note = _text(note, "the note", MAX_NOTE_CHARS, newlines=True) if note is not None else ""
    clean_by = _text(recorded_by, "the recorder's name", MAX_RECORDED_BY_CHARS, newlines=False)
    if not clean_by:
        raise ActionRefused("the recorder's name is required")
    stored_note = clean_note or None
    stamp = moment.isoformat(timespec="seconds")
    values = {
        "enterprise_id": enterprise_id,
        "kind": kind,
        "started": started,
        "ended": ended,
        "outcome": outcome,
        "note": stored_note,
        "recorded_by": clean_by,
        "recorded_at": stamp,
    }
    with transaction(db, _SCHEMA) as conn:
        action_id = conn.execute(
            sa.text(
                f"INSERT INTO actions ({', '.join(values)}) VALUES"
                f" ({', '.join(':' + name for name in values)}) RETURNING id"
            ),
            values,
        ).scalar_one()
    return Action(int(action_id), enterprise_id, kind, started, ended, outcome, stored_note, clean_by, stamp)


def night_cutoff(night: str) -> str:
    """The first UTC instant after the night's day in Vietnam, as stored `recorded_at` text:
    an action recorded before it was known on that night."""
    day = _day(night, "night")
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=VIETNAM)
    return end.astimezone(dt.UTC).isoformat(timespec="seconds")


def _no_actions() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "id" else "object") for c in ACTION_COLUMNS})


def read_actions(
    db: DatabaseLike, *, enterprise_id: str | None = None, up_to: str | None = None
) -> pd.DataFrame:
    """Every action (of one enterprise; recorded on or before the night `up_to` when given),
    in the order recorded. Missing ends, outcomes and notes are None.

    Reading never writes, on a read-only connection: a workspace without actions (or without
    a database) has none.
    """
    clauses, params = [], {}
    if up_to is not None:
        clauses.append("recorded_at < :cutoff")
        params["cutoff"] = night_cutoff(up_to)
    if enterprise_id is not None:
        clauses.append("enterprise_id = :enterprise_id")
        params["enterprise_id"] = enterprise_id
    db = Database.of(db)
    if not db.exists():
        return _no_actions()
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    with read_only(db) as conn:
        if not has_table(conn, "actions"):
            return _no_actions()
        frame = pd.read_sql_query(
            sa.text(f"SELECT {', '.join(ACTION_COLUMNS)} FROM actions{where} ORDER BY recorded_at, id"),
            conn,
            params=params,
        )
    return frame.astype({c: object for c in ACTION_COLUMNS if c != "id"}).where(frame.notna(), None)


def latest_actions(db: DatabaseLike, *, up_to: str | None = None) -> pd.DataFrame:
    """The latest action of each enterprise known on the night `up_to` (every action when
    None), one row each, by enterprise id: what is shown beside the firm."""
    history = read_actions(db, up_to=up_to)
    latest = history.groupby("enterprise_id", sort=False).tail(1)
    return latest.sort_values("enterprise_id", kind="stable").reset_index(drop=True)


__all__ = [
    "ACTION_COLUMNS",
    "ACTION_KINDS",
    "ACTION_OUTCOMES",
    "MAX_NOTE_CHARS",
    "MAX_RECORDED_BY_CHARS",
    "Action",
    "ActionRefused",
    "latest_actions",
    "night_cutoff",
    "read_actions",
    "record_action",
]
