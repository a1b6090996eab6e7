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


def test_the_next_holder_learns_that_the_one_before_it_was_killed(tmp_path: Path) -> None:
    """A holder that ends normally, even by an error, leaves nothing; one that dies (here
    `os._exit` inside the block, as a SIGKILL would) leaves its pid for the next holder."""
    import subprocess
    import sys

    lock = tmp_path / ".score.lock"
    with exclusive(lock, "a scoring run") as before:
        assert before is None
    with pytest.raises(RuntimeError), exclusive(lock, "a scoring run"):
        raise RuntimeError("a failed night")
    with exclusive(lock, "a scoring run") as before:
        assert before is None
    code = (
        "import os, sys\nfrom pathlib import Path\nfrom data.locks import exclusive\n"
        "with exclusive(Path(sys.argv[1]), 'a scoring run'):\n    os._exit(9)\n"
    )
    died = subprocess.run([sys.executable, "-c", code, str(lock)], check=False)
    assert died.returncode == 9
    with exclusive(lock, "a scoring run") as before:
        assert before is not None and before.startswith("pid ")
    with exclusive(lock, "a scoring run") as before:  # told once only
        assert before is None
