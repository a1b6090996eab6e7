"""Night arithmetic: which night a scheduled run scores, which nights are due, missed or superseded.

The as-of date of a scheduled run comes from the time it was scheduled for, never from the
wall clock: a run scheduled for 02:00 on 2 March (Asia/Ho_Chi_Minh) scores as of 1 March,
the day that just ended, whenever it actually starts. Pure functions of dates; the flows
ask Prefect for the scheduled time and pass it in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Literal

import pandas as pd

TIMEZONE = "Asia/Ho_Chi_Minh"
NIGHTLY_CRON = "0 2 * * *"
MONTHLY_CRON = "0 3 1 * *"


def as_of_for(scheduled: dt.datetime | pd.Timestamp) -> dt.date:
    """The as-of date of a run scheduled at `scheduled`: the local day before it."""
    stamp = pd.Timestamp(scheduled)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return (stamp.tz_convert(TIMEZONE) - pd.Timedelta(days=1)).date()


def _aware(moment: dt.datetime | pd.Timestamp) -> pd.Timestamp:
    """A timestamp in Asia/Ho_Chi_Minh; a naive one is taken as UTC."""
    stamp = pd.Timestamp(moment)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).tz_convert(TIMEZONE)


def nightly_fire_times(
    start: dt.datetime | pd.Timestamp, end: dt.datetime | pd.Timestamp
) -> list[pd.Timestamp]:
    """Nightly cron times (02:00 Asia/Ho_Chi_Minh) in (start, end], oldest first."""
    first, last = _aware(start), _aware(end)
    days = pd.date_range(first.normalize(), last.normalize(), freq="D")
    fires = [pd.Timestamp(day.year, day.month, day.day, 2, tz=TIMEZONE) for day in days]
    return [t for t in fires if first < t <= last]


def latest_due_night(now: dt.datetime | pd.Timestamp) -> dt.date:
    """The as-of date of the latest nightly run due by `now` (its 02:00 has passed)."""
    stamp = _aware(now)
    fire = nightly_fire_times(stamp - pd.Timedelta(days=2), stamp)[-1]
    return as_of_for(fire)


def missed_nights(
    published: Collection[str], now: dt.datetime | pd.Timestamp, *, max_nights: int = 31
) -> list[dt.date]:
    """Nights due by `now`, later than the latest published night, not published; oldest first.

    With nothing published yet only the latest due night counts as missed (a new workspace
    has no history to catch up). At most the `max_nights` most recent are listed.
    """
    latest = latest_due_night(now)
    done = {dt.date.fromisoformat(d) for d in published}
    if not done:
        return [latest]
    newest = max(done)
    span = (latest - newest).days
    nights = [newest + dt.timedelta(days=i) for i in range(1, span + 1)]
    return [d for d in nights if d not in done][-max_nights:]


Decision = Literal["score", "done", "superseded"]


def nightly_decision(as_of: dt.date, now: dt.datetime | pd.Timestamp, *, complete: bool) -> Decision:
    """What a scheduled run of night `as_of` does at `now`.

    "done" when the night is already published whole (a second late run, or the catch-up
    got there first); "superseded" when a later night is already due (a late run left over
    from an outage: only the latest night is scored); "score" otherwise.
    """
    if complete:
        return "done"
    if as_of < latest_due_night(now):
        return "superseded"
    return "score"


def retraining_superseded(scheduled: dt.datetime | pd.Timestamp, now: dt.datetime | pd.Timestamp) -> bool:
    """Whether a monthly retraining scheduled at `scheduled` was overtaken by a later one due by `now`.

    After an outage of more than a month the server holds one late retraining per missed
    month; only the latest is worth its ten minutes, so the older ones end at once.
    """
    first, last = _aware(scheduled), _aware(now)
    months = pd.date_range(first.normalize().replace(day=1), last.normalize(), freq="MS")
    fires = (pd.Timestamp(m.year, m.month, 1, 3, tz=TIMEZONE) for m in months)
    return any(first < fire <= last for fire in fires)
