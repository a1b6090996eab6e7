"""`bench_national_train`'s arithmetic: the projection to M machines and runs kept across sittings."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.bench_national_train import _makespan, merge_runs, projection  # noqa: E402


def _figures(runs: dict[str, Any], origins: int = 12) -> dict[str, Any]:
    return {
        "preset": "national",
        "scale": 1.0,
        "seed": 0,
        "as_of": "2026-11-25",
        "origins": origins,
        "runs": runs,
    }


def test_the_makespan_schedules_the_longest_fits_first() -> None:
    assert _makespan([3.0, 6.0, 4.0, 5.0], 2) == 9.0  # 6+3 and 5+4
    assert _makespan([3.0, 6.0, 4.0, 5.0], 1) == 18.0
    assert _makespan([3.0, 6.0, 4.0, 5.0], 8) == 6.0  # more slots than fits: the longest fit


def test_the_projection_adds_the_time_outside_the_backtest_and_the_overhead() -> None:
    # 100 s outside the backtest; four fits of 6, 5, 4, 3 s that took a 12 s backtest on 2 workers.
    tasks = [{"name": "build-training-frame", "seconds": 60.0}, {"name": "fit-final", "seconds": 40.0}]
    tasks += [{"name": f"backtest-fit[{i}]", "seconds": s} for i, s in enumerate([6.0, 5.0, 4.0, 3.0])]
    tasks.append({"name": "rolling-origin-backtest", "seconds": 1.0})
    p = projection({"seconds": 112.0, "tasks": tasks}, 2)
    assert p is not None
    assert (p["outside_backtest_seconds"], p["overhead_seconds"]) == (100.0, 3.0)  # 12 − makespan 9
    assert p["machines"] == {"1": 112.0, "2": 109.0, "4": 109.0, "8": 109.0}
    assert projection({"seconds": 112.0, "tasks": tasks}, 0) is None  # serial: no fits to schedule


def test_the_projection_to_machines_of_one_worker_whose_fits_use_every_core() -> None:
    # The same fits run one after another on 1 worker (2 threads a fit): a 20 s backtest.
    tasks = [{"name": "build-training-frame", "seconds": 60.0}, {"name": "fit-final", "seconds": 40.0}]
    tasks += [{"name": f"backtest-fit[{i}]", "seconds": s} for i, s in enumerate([6.0, 5.0, 4.0, 3.0])]
    p = projection({"seconds": 120.0, "tasks": tasks}, 1, per_machine=1)
    assert p is not None
    assert (p["outside_backtest_seconds"], p["overhead_seconds"], p["workers_per_machine"]) == (100.0, 2.0, 1)
    assert p["machines"] == {"1": 120.0, "2": 111.0, "4": 108.0, "8": 108.0}  # 18, 9, then the 6 s fit


def test_the_projection_takes_the_fits_span_from_their_start_and_end() -> None:
    # The same fits recorded with their times: 12 s from the first start to the last end, in a
    # 130 s run whose other 18 s were spent in the flow outside any task.
    spans = [(0.0, 6.0), (0.5, 5.5), (6.5, 10.5), (9.0, 12.0)]
    tasks = [{"name": "build-training-frame", "seconds": 60.0, "start": None, "end": None}]
    tasks += [
        {"name": f"backtest-fit[{i}]", "seconds": e - s, "start": s, "end": e}
        for i, (s, e) in enumerate(spans)
    ]
    p = projection({"seconds": 130.0, "tasks": tasks}, 2)
    assert p is not None
    assert (p["outside_backtest_seconds"], p["overhead_seconds"]) == (118.0, 3.0)
    assert p["machines"]["1"] == 130.0


def test_a_later_sitting_keeps_the_earlier_runs_of_the_same_world(tmp_path: Path) -> None:
    path = tmp_path / "national-train.json"
    assert merge_runs(path, _figures({"2": {"seconds": 1.0}})) == _figures({"2": {"seconds": 1.0}})
    path.write_text(json.dumps(_figures({"1": {"seconds": 5.0}, "2": {"seconds": 1.0}})))
    merged = merge_runs(path, _figures({"2": {"seconds": 2.0}}))
    assert merged["runs"] == {"1": {"seconds": 5.0}, "2": {"seconds": 2.0}}
    # Another number of origins is another benchmark: nothing of it is kept.
    assert merge_runs(path, _figures({"2": {"seconds": 2.0}}, origins=2))["runs"] == {"2": {"seconds": 2.0}}
