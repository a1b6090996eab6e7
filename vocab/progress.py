"""Progress of long steps, reported to whoever listens (the `ews` command's progress bars).

The code that does the work (a pull, a backtest, a backfill) calls :func:`advance`; nothing
listens by default, so it costs nothing in scheduled runs. `ews` listens, and draws bars
only when its output is a terminal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

Listener = Callable[[str, int, int], None]
_listeners: list[Listener] = []


def advance(step: str, done: int, total: int) -> None:
    """``done`` of ``total`` units of ``step`` are finished."""
    for listener in list(_listeners):
        listener(step, done, total)


@contextlib.contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call ``listener(step, done, total)`` on every :func:`advance` within the block."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)
