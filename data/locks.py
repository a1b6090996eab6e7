"""Workspace locks: one scoring run at a time, never waiting silently.

An advisory ``flock`` on a file of the workspace; the kernel releases it when the process
ends, so a killed run never leaves a stale lock behind. The holder writes who it is into the
file and clears it when it ends normally; what a killed holder wrote stays, so the next
holder learns that the run before it was interrupted (and the nightly run says so in an alert).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from data.errors import WorkspaceBusy


@contextlib.contextmanager
def exclusive(path: Path, what: str) -> Iterator[str | None]:
    """Hold ``path``'s lock for the block, or raise :class:`WorkspaceBusy` at once when
    another process holds it (saying since when and which process, as it wrote them).

    Yields what an earlier holder left in the file when it did not end normally (killed,
    out of memory, machine stopped): "pid N since T", else None.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip()[:200] or "another process"
            raise WorkspaceBusy(f"{what} is already running in this workspace ({holder})") from None
        try:
            fh.seek(0)
            interrupted = fh.read().strip()[:200] or None
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()} since {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}")
            fh.flush()
            yield interrupted
            fh.seek(0)
            fh.truncate()  # ended normally (an error raised in the block is a normal end too)
            fh.flush()
        except BaseException:
            fh.seek(0)
            fh.truncate()
            fh.flush()
            raise
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
