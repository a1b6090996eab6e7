"""What the running flow knows of itself: its scheduled start and so the night it scores."""

from __future__ import annotations

import datetime as dt

from outputs.nights import as_of_for


def scheduled_start() -> dt.datetime | None:
    """The current flow run's scheduled start (None outside a flow run)."""
    from prefect.runtime import flow_run

    if flow_run.get_id() is None:
        return None
    scheduled: dt.datetime | None = flow_run.scheduled_start_time
    return scheduled


def scheduled_as_of() -> dt.date | None:
    """The as-of date from the current flow run's scheduled start (None outside a flow run)."""
    scheduled = scheduled_start()
    return as_of_for(scheduled) if scheduled is not None else None
