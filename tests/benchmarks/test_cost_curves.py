"""The cost curves (`benchmarks/cost_curves.py`): points read from made-up benchmark JSON,
log-log slopes, their words, the Markdown tables and a `--report-only` run that starts nothing."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from benchmarks import cost_curves as curves  # noqa: E402


def _ingest(province: str, enterprises: int, indicators: int, seconds: float) -> dict[str, Any]:
    counts = {"enterprises": enterprises, "indicators": indicators, "incidents": 0}
    return {
        "province": province,
        "seconds": seconds,
        "peak_mb": 376,
        "status": "stored",
        "tables": {name: {"rows_in": n, "accepted": n, "quarantined": 0} for name, n in counts.items()},
        "load_before": 0.5,
    }


def _header(scale: float, as_of: str) -> dict[str, Any]:
    """The fields both benchmarks' JSON files open with."""
    return {
        "preset": "national",
        "scale": scale,
        "seed": 0,
        "as_of": as_of,
        "machine": "x86_64, 2 cores, Python 3.11.7",
    }


def scoring_figures(scale: float, per_province: int, nightly_seconds: float) -> dict[str, Any]:
    """Shaped like `national-s0-x<scale>.json`: two provinces here instead of 34."""
    return {
        **_header(scale, "2026-11-25"),
        "world": {"seconds": 4.6, "peak_mb": 376},
        "ingests": [
            _ingest("01", per_province, 80 * per_province, 1.5),
            _ingest("02", per_province, 80 * per_province, 2.5),
        ],
        "champion": {"seconds": 53.7, "version": "1"},
        "nightly": {
            "import_seconds": 3.5,
            "seconds": nightly_seconds,
            "total_seconds": nightly_seconds + 3.5,
            "rows": 2 * per_province,
            "peak_mb": 600,
            "load_before": 1.0,
            "load_after": 1.1,
        },
    }


def training_figures(scale: float, as_of: str, seconds: float) -> dict[str, Any]:
    """Shaped like `national-train-s0-x<scale>-o2-<as_of>.json` (Prefect's suffixed task names)."""
    return {
        **_header(scale, as_of),
        "origins": 2,
        "runs": {
            "0": {
                "seconds": seconds,
                "peak_tree_mb": 1000,
                "version": "1",
                "learner": "blend",
                "backtest_origins": 2,
                "tasks": [
                    {"name": "build-training-frame-2cb", "seconds": seconds / 4},
                    {"name": "fit-final-213", "seconds": seconds / 5},
                    {"name": "load-training-store-888", "seconds": 9.0},
                    {"name": "log-and-register-477", "seconds": 3.0},
                    {"name": "rolling-origin-backtest-6f4", "seconds": seconds / 2},
                ],
                "load_before": 1.0,
                "load_after": 1.4,
                "projection": None,
            }
        },
    }


def test_scoring_point_sums_the_provinces() -> None:
    point = curves.scoring_point(scoring_figures(0.002, 900, 4.1))
    assert point["enterprises"] == 1800
    assert point["indicator_rows"] == 144_000
    assert point["ingest_seconds"] == 4.0
    assert point["nightly_seconds"] == 4.1
    assert point["nightly_peak_mb"] == 600
    assert point["scale"] == 0.002


def test_scoring_point_without_a_nightly_run() -> None:
    figures = scoring_figures(0.002, 900, 4.1)
    del figures["nightly"]
    point = curves.scoring_point(figures)
    assert point["enterprises"] == 1800
    assert point["nightly_seconds"] is None


def test_training_point_matches_tasks_by_prefix() -> None:
    point = curves.training_point(training_figures(1.0, "2026-11-25", 1600.0))
    assert point["seconds"] == 1600.0
    assert point["peak_tree_mb"] == 1000
    assert point["build_seconds"] == 400.0
    assert point["backtest_seconds"] == 800.0
    assert point["fit_final_seconds"] == 320.0
    assert point["as_of"] == "2026-11-25"
    assert point["months"] == 94  # 2019-01 .. 2026-10, the preset's whole span


def test_training_point_missing_task_is_none() -> None:
    figures = training_figures(1.0, "2022-11-25", 100.0)
    figures["runs"]["0"]["tasks"] = [{"name": "fit-final-1", "seconds": 7.0}]
    point = curves.training_point(figures)
    assert point["months"] == 46
    assert point["fit_final_seconds"] == 7.0
    assert point["build_seconds"] is None
    assert point["backtest_seconds"] is None


def test_months_of_history() -> None:
    assert curves.months_of_history("2019-02-25") == 1
    assert curves.months_of_history("2024-11-25") == 70
    assert curves.months_of_history(None) is None
    assert curves.months_of_history("not a date") is None


def test_slopes_linear_and_quadratic() -> None:
    xs = [50_000, 200_000, 900_000]
    assert curves.slopes(xs, [3 * x for x in xs]) == pytest.approx([1.0, 1.0])
    assert curves.slopes(xs, [x**2 for x in xs]) == pytest.approx([2.0, 2.0])
    assert curves.slopes(xs, [7.0, 7.0, 7.0]) == pytest.approx([0.0, 0.0])


def test_slopes_are_nan_safe() -> None:
    result = curves.slopes([1, 2, 4, 8, 8], [1.0, None, 4.0, float("nan"), 3.0])
    assert len(result) == 4
    assert all(math.isnan(v) for v in result)
    assert math.isnan(curves.slopes([1, 2], [0.0, 5.0])[0])
    assert curves.slopes([1], [1]) == []


def test_growth_word_thresholds() -> None:
    assert curves.growth_word(1.0) == "linear"
    assert curves.growth_word(0.85) == "linear"
    assert curves.growth_word(1.15) == "linear"
    assert curves.growth_word(0.84) == "sub-linear"
    assert curves.growth_word(1.16) == "super-linear"
    assert curves.growth_word(2.0) == "super-linear"
    assert curves.growth_word(math.nan) == "–"
    assert curves.growth_word(None) == "–"


def test_table_rows_slopes_and_words() -> None:
    points = [  # given out of order: the table sorts by x
        {"enterprises": 200_000, "linear": 20.0, "square": 4.0},
        {"enterprises": 50_000, "linear": 5.0, "square": 0.25},
        {"enterprises": 900_000, "linear": 90.0, "square": 81.0},
    ]
    text = curves.table(points, "enterprises", ["linear", "square"])
    lines = text.splitlines()
    assert lines[0] == "| enterprises | linear | slope | square | slope |"
    assert len(lines) == 2 + 3 + 1
    assert lines[2].startswith("| 50,000 | 5 |")
    assert lines[3] == "| 200,000 | 20 | 1.00 linear | 4 | 2.00 super-linear |"
    assert lines[4] == "| 900,000 | 90 | 1.00 linear | 81 | 2.00 super-linear |"
    assert lines[5].startswith("| **50,000 → 900,000** |")
    assert "**1.00 linear**" in lines[5] and "**2.00 super-linear**" in lines[5]


def test_table_sub_linear_and_empty() -> None:
    points = [{"months": 46, "s": 10.0}, {"months": 94, "s": 12.0}]
    text = curves.table(points, "months", ["s"])
    assert "sub-linear" in text
    assert "months of history" in text.splitlines()[0]
    assert "(no points)" in curves.table([], "months", ["s"])


def test_enterprises_for_prefers_the_scoring_count() -> None:
    scoring = [curves.scoring_point(scoring_figures(0.0556, 25_000, 30.0))]
    assert curves.enterprises_for(0.0556, scoring) == 50_000
    assert curves.enterprises_for(1.0, scoring) == 900_000


def _write(path: Path, figures: dict[str, Any]) -> None:
    path.write_text(json.dumps(figures))


def test_report_only_writes_the_tables_and_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_child(*args: object, **kwargs: object) -> None:
        raise AssertionError("--report-only started a subprocess")

    monkeypatch.setattr(subprocess, "run", no_child)
    monkeypatch.setattr(subprocess, "Popen", no_child)
    for scale, per_province, seconds in [(0.0556, 25_000, 400.0), (0.2222, 100_000, 1600.0)]:
        _write(tmp_path / f"national-s0-x{scale:g}.json", scoring_figures(scale, per_province, seconds / 10))
        _write(
            tmp_path / f"national-train-s0-x{scale:g}-o2-2026-11-25.json",
            training_figures(scale, "2026-11-25", seconds),
        )
    _write(
        tmp_path / "national-train-s0-x0.0556-o2-2022-11-25.json",
        training_figures(0.0556, "2022-11-25", 200.0),
    )
    curves.main(["--report-only", "--out", str(tmp_path)])

    written = (tmp_path / "cost-curves-s0.md").read_text()
    assert written.strip() == capsys.readouterr().out.strip()
    assert "## Nightly scoring against enterprises" in written
    assert "| 50,000 | 4,000,000 |" in written  # enterprises and indicator rows summed
    assert "| 200,000 | 16,000,000 |" in written
    assert "| 50,000 | 400 |" in written
    assert "| 200,000 | 1,600 | 1.00 linear | 1,000 | 0.00 sub-linear | 400 | 1.00 linear |" in written
    history = written.split("against months of history")[1]
    assert "| 46 | 200 |" in history and "| 94 | 400 |" in history
    assert "linear" in written
    # the 1.0 scale and 2024 history point were never run: listed, not invented
    assert "`national-s0-x1.json`" in written
    assert "`national-train-s0-x0.0556-o2-2024-11-25.json`" in written


def test_plan_reuses_existing_json_unless_rerun(tmp_path: Path) -> None:
    _write(tmp_path / "national-s0-x0.0556.json", scoring_figures(0.0556, 1, 1.0))
    args = curves.parser().parse_args(["--scales", "0.0556", "1", "--out", str(tmp_path)])
    steps = curves.plan(args, tmp_path)
    paths = [path.name for _, path in steps]
    assert "national-s0-x0.0556.json" not in paths
    assert paths == [
        "national-train-s0-x0.0556-o2-2026-11-25.json",
        "national-s0-x1.json",
        "national-train-s0-x1-o2-2026-11-25.json",
        "national-train-s0-x0.0556-o2-2022-11-25.json",
        "national-train-s0-x0.0556-o2-2024-11-25.json",
    ]  # the 2026 history point is the scale curve's, run once
    train = steps[2][0]  # the 1.0 scale's training
    assert train[0].endswith("bench_national_train.py")
    assert train[train.index("--workers") + 1] == "0"
    assert train[train.index("--as-of") + 1] == "2026-11-25"
    rerun = curves.plan(curves.parser().parse_args(["--rerun", "--skip-training"]), tmp_path)
    assert [path.name for _, path in rerun][0] == "national-s0-x0.0556.json"
    assert all(command[0].endswith("bench_national.py") for command, _ in rerun)
