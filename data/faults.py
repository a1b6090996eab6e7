"""Named fault points for kill tests: a no-op unless a test asks to pause at one.

`EWS_FAULT_PAUSE_AT=<point>` makes the process that reaches `<point>` write the point's name
to the file `EWS_FAULT_MARKER` (when set) and sleep, so that a test can SIGKILL it exactly
there (`tests/flows/test_kill.py`). Read at each call, never at import; unset, it costs one lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_ENV = "EWS_FAULT_PAUSE_AT"
MARKER_ENV = "EWS_FAULT_MARKER"
#: Long enough for any test to kill the process; short enough not to hang forever if it does not.
PAUSE_SECONDS = 600.0


def pause_point(name: str) -> None:
    """Pause here (marker file, then sleep) when `EWS_FAULT_PAUSE_AT` names this point."""
    if os.environ.get(PAUSE_ENV) != name:
        return
    marker = os.environ.get(MARKER_ENV)
    if marker:
        Path(marker).write_text(name, encoding="utf-8")
    time.sleep(PAUSE_SECONDS)
