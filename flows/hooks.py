"""What happens when a flow run fails, crashes or times out: an alert, recorded and pushed.

Without it a night that failed at 02:00 left no trace but Prefect's own database, and the
operator's webhook stayed silent. The hook records an ``alert`` in the workspace (the
analysts' page and `ews` show it) and posts it to ``EWS_ALERT_WEBHOOK_URL`` when set. A run
refused because another one holds the workspace is not an incident: the other run is alive.
"""

from __future__ import annotations

from typing import Any

from data.errors import WorkspaceBusy
from data.settings import Settings
from outputs import alerts
from outputs.nights import as_of_for
from vocab.months import today_in_vietnam

#: Wall-clock limits of the scheduled flows (a hung run must end, fail, and alert).
SCORE_TIMEOUT_SECONDS = 2 * 3600
TRAIN_TIMEOUT_SECONDS = 10 * 3600
PULL_TIMEOUT_SECONDS = 4 * 3600


def _night(flow_run: Any) -> str:
    """The night a failed run was about: its `as_of`, else the night its schedule gave it
    (a scheduled run carries no `as_of`; it failing at 02:00 is about the day before), else
    today in Vietnam."""
    parameters = dict(getattr(flow_run, "parameters", {}) or {})
    as_of = parameters.get("as_of")
    if as_of:
        return str(as_of)[:10]
    scheduled = getattr(flow_run, "expected_start_time", None)
    if parameters.get("scheduled") and scheduled is not None:
        return as_of_for(scheduled).isoformat()
    return today_in_vietnam().isoformat()


def alert_on_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect hook (``on_failure``, ``on_crashed``): record the failed run and push it."""
    try:
        cause = state.result(raise_on_failure=False)
    except Exception as exc:  # noqa: BLE001 - a crashed run may hold no result at all
        cause = exc
    if isinstance(cause, WorkspaceBusy):
        return
    settings = Settings()
    night = _night(flow_run)
    what = (
        "crashed"
        if state.is_crashed()
        else "timed out"
        if "timed out" in str(state.message or "").lower()
        else "failed"
    )
    detail = str(cause).strip().splitlines()[0][:300] if str(cause).strip() else type(cause).__name__
    message = f"the {flow.name} run {getattr(flow_run, 'name', '')} {what}: {detail}"
    alerts.record_and_push(
        settings.db_path,
        settings.alert_webhook_url,
        as_of=night,
        kind=f"{flow.name}-{what.replace(' ', '-')}",
        severity="alert",
        message=message,
        details={"flow_run_id": str(getattr(flow_run, "id", "")), "state": str(state.type.value)},
    )
