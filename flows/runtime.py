"""What the running flow knows of itself: its scheduled start and so the night it scores;
and what to say when the Prefect API it talks to is gone."""

from __future__ import annotations

import datetime as dt

from data.errors import ServiceUnavailable, causes
from data.urls import shown_url
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


def prefect_unavailable(exc: BaseException) -> ServiceUnavailable | None:
    """A one-line :class:`ServiceUnavailable` naming the Prefect API and its address when
    `exc` comes from losing it (refused, reset, timed out), else None.

    Prefect's own words ("Failed to reach API at ...", "ConnectError: [Errno 111]
    Connection refused") name neither Prefect nor what to check.
    """
    import httpx
    from prefect.settings import PREFECT_API_URL

    for cause in causes(exc):
        reach = isinstance(cause, RuntimeError) and str(cause).startswith("Failed to reach API at")
        if isinstance(cause, httpx.TransportError) or reach:
            url = str(PREFECT_API_URL.value() or "")
            reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
            if reach:
                reason = "no answer"
            return ServiceUnavailable(
                f"the Prefect API at {shown_url(url) or '(unset)'} is unavailable ({reason}); check the "
                "server or PREFECT_API_URL (unset, each command uses a temporary local server)"
            )
    return None
