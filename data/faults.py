"""Named fault points for kill tests and the soak: no-ops unless a test or the soak asks.

Two ways to ask, both read at each call, never at import:

- `EWS_FAULT_PAUSE_AT=<point>` makes the process that reaches `<point>` write the point's
  name to the file `EWS_FAULT_MARKER` (when set) and sleep, so that a test can SIGKILL it
  exactly there (`tests/flows/test_kill.py`).
- `EWS_FAULT_PLAN=<file>` names a small text file of lines `<action> <point>`, read at each
  call so that a long-lived process (the soak's Prefect runner, whose flow runs inherit its
  environment) can be given a different fault for each run. Actions: `pause` (as above, the
  marker is `<file>.marker`), `hold` (write the marker, then wait until it is removed: a run
  held while something else happens, then let go) and `enospc` (raise the "No space left on
  device" error a full disk gives).

Unset, a point costs one or two environment lookups.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

PAUSE_ENV = "EWS_FAULT_PAUSE_AT"
MARKER_ENV = "EWS_FAULT_MARKER"
PLAN_ENV = "EWS_FAULT_PLAN"
#: Long enough for any test to kill the process; short enough not to hang forever if it does not.
PAUSE_SECONDS = 600.0
ACTIONS = ("pause", "hold", "enospc")


def plan_marker(plan: Path) -> Path:
    """The marker file a planned `pause` or `hold` writes when the point is reached."""
    return plan.with_name(plan.name + ".marker")


def _planned(name: str) -> tuple[str, Path] | None:
    """The action the plan file gives for this point, and the plan's path; None if none."""
    plan = os.environ.get(PLAN_ENV)
    if not plan:
        return None
    try:
        lines = Path(plan).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[1] == name and parts[0] in ACTIONS:
            return parts[0], Path(plan)
    return None


def _write_marker(path: Path, name: str) -> None:
    """Write the marker whole (temp file, then rename): a watcher that sees it, reads it."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(name, encoding="utf-8")
    os.replace(tmp, path)


def pause_point(name: str) -> None:
    """Pause, hold or fail here when `EWS_FAULT_PAUSE_AT` or the plan file names this point."""
    if os.environ.get(PAUSE_ENV) == name:
        marker = os.environ.get(MARKER_ENV)
        if marker:
            _write_marker(Path(marker), name)
        time.sleep(PAUSE_SECONDS)
        return
    planned = _planned(name)
    if planned is None:
        return
    action, plan = planned
    if action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
    held = plan_marker(plan)
    _write_marker(held, name)
    if action == "pause":
        time.sleep(PAUSE_SECONDS)
        return
    deadline = time.monotonic() + PAUSE_SECONDS
    while held.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
