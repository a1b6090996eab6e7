"""Workspace locks: a second scoring run is refused at once; readers see one store state."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from data.errors import WorkspaceBusy
from data.locks import exclusive
from data.store import Store


def test_a_second_holder_is_refused_at_once_and_told_who_holds_it(tmp_path: Path) -> None:
    lock = tmp_path / ".score.lock"
    with (
        exclusive(lock, "a scoring run"),
        pytest.raises(
            WorkspaceBusy, match=r"a scoring run is already running in this workspace \(pid \d+ since"
        ),
        exclusive(lock, "a scoring run"),
    ):
        pass
    with exclusive(lock, "a scoring run"):  # released: free again
        pass


def test_a_delivery_waits_while_the_store_is_read_as_one_state(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    store.root.mkdir()
    wrote = threading.Event()

    def writer() -> None:
        with store.lock():
            wrote.set()

    with store.snapshot():
        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(0.3)
        assert not wrote.is_set()  # the writer waits for the readers
    thread.join(timeout=10)
    assert wrote.is_set()
