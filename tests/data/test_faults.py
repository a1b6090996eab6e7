"""The fault plan file: a long-lived process is given a fault per run without a restart."""

from __future__ import annotations

import errno
import threading
import time
from pathlib import Path

import pytest

from data import faults


def test_a_planned_full_disk_fails_only_the_point_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan"
    monkeypatch.setenv(faults.PLAN_ENV, str(plan))
    faults.pause_point("exports.write")  # no plan file yet: nothing happens
    plan.write_text("enospc exports.write\nexplode exports.before_manifest\n", encoding="utf-8")
    with pytest.raises(OSError) as raised:
        faults.pause_point("exports.write")
    assert raised.value.errno == errno.ENOSPC
    faults.pause_point("exports.before_manifest")  # an unknown action is ignored
    faults.pause_point("score.before_publish")
    plan.unlink()
    faults.pause_point("exports.write")  # read at each call: the fault is gone


def test_a_held_point_waits_until_its_marker_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan"
    plan.write_text("hold score.before_publish\n", encoding="utf-8")
    monkeypatch.setenv(faults.PLAN_ENV, str(plan))
    marker = faults.plan_marker(plan)
    released = threading.Event()

    def run() -> None:
        faults.pause_point("score.before_publish")
        released.set()

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text(encoding="utf-8") == "score.before_publish"
    time.sleep(0.3)
    assert not released.is_set()  # still held
    marker.unlink()
    thread.join(timeout=30)
    assert released.is_set()
