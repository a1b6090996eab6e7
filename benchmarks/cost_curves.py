"""Cost curves: time and memory of scoring and of training against enterprises and months of history.

Run: `.venv/bin/python benchmarks/cost_curves.py [--scales 0.0556 0.2222 1.0] [--seed 0]
[--origins 2] [--history-scale 0.0556] [--history-as-of 2022-11-25 2024-11-25 2026-11-25]
[--out DIR] [--report-only] [--skip-scoring] [--skip-training] [--rerun]`

The three scales are about 50,000, 200,000 and 900,000 enterprises (the `national` preset has
900,000 × scale). Steps, each a sibling benchmark run as a child process with this Python;
a step whose JSON is already in ``OUT`` (``benchmarks/out``) is reused unless ``--rerun``:

1. **Scoring against enterprises**: for each scale, ``bench_national.py --scale S --seed K``
   (world, the 34 ingests, a cheap champion, one timed nightly ``score_flow``), which writes
   ``OUT/national-s<K>-x<S>.json``. The point is the enterprises and indicator rows ingested
   (``rows_in`` summed over the provinces), the nightly wall time and its peak RSS.
2. **Training against enterprises**: for each scale, ``bench_national_train.py --scale S
   --seed K --workers 0 --origins N --as-of 2026-11-25`` (the serial monthly retraining, the
   default date made explicit so that its file name is known), which writes
   ``OUT/national-train-s<K>-x<S>-o<N>-<as_of>.json``. The point is its wall time, the peak
   RSS of its process tree and the seconds of its ``build-training-frame``,
   ``rolling-origin-backtest`` and ``fit-final`` tasks (matched by prefix: Prefect appends a
   suffix such as ``-2cb``). Its enterprises are those of the scoring JSON of the same scale,
   or 900,000 × scale without one.
3. **Training against months of history**: at ``--history-scale``, the same retraining as of
   each ``--history-as-of`` date: an earlier date trains on fewer months (counted from the
   preset's start, 2019-01, to the date's month).

Scoring against months of history is not run: ``bench_national.py`` has no supported way to
score as of another date (its ``--as-of`` is for its children only) and, by design, the
nightly read is bounded by the feature window, not by the stored history (docs/benchmarks.md,
"Nightly store read").

The slope between two consecutive points is the log-log slope
``(ln y2 − ln y1) / (ln x2 − ln x1)``: 1 when the cost grows in proportion (linear), below 1
sub-linear, above 1 super-linear; the words use 0.85–1.15 as linear. The last row of each
table is the slope from the first point to the last. ``--report-only`` runs nothing and builds
the tables from the JSON files already in ``OUT``. The tables are printed and written to
``OUT/cost-curves-s<seed>.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
ENTERPRISES_AT_SCALE_1 = 900_000
PRESET_START = (2019, 1)  # national_preset's default start, 2019-01
DEFAULT_AS_OF = "2026-11-25"  # the 25th of the month after national_preset's end (2026-10)
LINEAR = (0.85, 1.15)
TASKS = {
    "build_seconds": "build-training-frame",
    "backtest_seconds": "rolling-origin-backtest",
    "fit_final_seconds": "fit-final",
}
LABELS = {
    "enterprises": "enterprises",
    "months": "months of history",
    "indicator_rows": "indicator rows",
    "nightly_seconds": "nightly wall (s)",
    "nightly_peak_mb": "nightly peak RSS (MB)",
    "ingest_seconds": "34 ingests (s)",
    "seconds": "training wall (s)",
    "peak_tree_mb": "training peak RSS, tree (MB)",
    "build_seconds": "build-training-frame (s)",
    "backtest_seconds": "rolling-origin-backtest (s)",
    "fit_final_seconds": "fit-final (s)",
}
SCORING_Y = ["nightly_seconds", "nightly_peak_mb", "ingest_seconds"]
TRAINING_Y = ["seconds", "peak_tree_mb", "build_seconds", "backtest_seconds", "fit_final_seconds"]


def scoring_json(out: Path, seed: int, scale: float) -> Path:
    """Where ``bench_national.py`` writes its figures."""
    return out / f"national-s{seed}-x{scale:g}.json"


def training_json(out: Path, seed: int, scale: float, origins: int, as_of: str) -> Path:
    """Where ``bench_national_train.py`` writes its figures."""
    return out / f"national-train-s{seed}-x{scale:g}-o{origins}-{as_of}.json"


def months_of_history(as_of: str | None) -> int | None:
    """Whole months from the preset's start (2019-01) to the month of ``as_of``, if it parses."""
    if not as_of:
        return None
    try:
        day = dt.date.fromisoformat(str(as_of))
    except ValueError:
        return None
    return (day.year - PRESET_START[0]) * 12 + day.month - PRESET_START[1]


def scoring_point(figures: dict[str, Any]) -> dict[str, Any]:
    """One point of the scoring curve from a ``bench_national.py`` JSON."""
    ingests = figures.get("ingests") or []
    nightly = figures.get("nightly") or {}

    def rows(table: str) -> int:
        return sum(int(r["tables"][table]["rows_in"]) for r in ingests if table in r.get("tables", {}))

    return {
        "scale": figures.get("scale"),
        "as_of": figures.get("as_of"),
        "enterprises": rows("enterprises"),
        "indicator_rows": rows("indicators"),
        "ingest_seconds": round(sum(float(r["seconds"]) for r in ingests), 1) if ingests else None,
        "nightly_rows": nightly.get("rows"),
        "nightly_seconds": nightly.get("seconds"),
        "nightly_peak_mb": nightly.get("peak_mb"),
    }


def training_point(figures: dict[str, Any], workers: str = "0") -> dict[str, Any]:
    """One point of a training curve from a ``bench_national_train.py`` JSON (its serial run)."""
    runs = figures.get("runs") or {}
    run = runs.get(workers) or (next(iter(runs.values())) if runs else {})
    tasks = run.get("tasks") or []
    point: dict[str, Any] = {
        "scale": figures.get("scale"),
        "as_of": figures.get("as_of"),
        "months": months_of_history(figures.get("as_of")),
        "origins": figures.get("origins"),
        "seconds": run.get("seconds"),
        "peak_tree_mb": run.get("peak_tree_mb"),
    }
    for key, prefix in TASKS.items():
        found = [
            float(t["seconds"]) for t in tasks if t["name"] == prefix or t["name"].startswith(prefix + "-")
        ]
        point[key] = round(sum(found), 2) if found else None
    return point


def enterprises_for(scale: float, scoring: Sequence[dict[str, Any]]) -> int:
    """The enterprises at ``scale``: the scoring run's count, else the preset's 900,000 × scale."""
    for point in scoring:
        same = point.get("scale") is not None and math.isclose(float(point["scale"]), scale)
        if same and point.get("enterprises"):
            return int(point["enterprises"])
    return round(ENTERPRISES_AT_SCALE_1 * scale)


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def slope(x1: Any, y1: Any, x2: Any, y2: Any) -> float:
    """The log-log slope from (x1, y1) to (x2, y2); nan when a value is missing or not positive."""
    a, b, c, d = (_positive(v) for v in (x1, y1, x2, y2))
    if a is None or b is None or c is None or d is None or a == c:
        return math.nan
    return (math.log(d) - math.log(b)) / (math.log(c) - math.log(a))


def slopes(xs: Sequence[Any], ys: Sequence[Any]) -> list[float]:
    """The log-log slope between each pair of consecutive points (one fewer than the points)."""
    return [slope(xs[i - 1], ys[i - 1], xs[i], ys[i]) for i in range(1, min(len(xs), len(ys)))]


def growth_word(value: float | None) -> str:
    """'linear' for a slope in 0.85–1.15, 'sub-linear' below, 'super-linear' above, '–' if unknown."""
    if value is None or not math.isfinite(value):
        return "–"
    if value < LINEAR[0]:
        return "sub-linear"
    if value > LINEAR[1]:
        return "super-linear"
    return "linear"


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _slope_cell(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.2f} {growth_word(value)}"


def table(points: Sequence[dict[str, Any]], x_key: str, y_keys: Sequence[str]) -> str:
    """A Markdown table of ``points`` sorted by ``x_key``: each y and its slope from the row above.

    The last row gives each y's slope from the first point to the last, the overall growth.
    """
    rows = sorted((p for p in points if _positive(p.get(x_key)) is not None), key=lambda p: float(p[x_key]))
    header = [LABELS.get(x_key, x_key)]
    for key in y_keys:
        header += [LABELS.get(key, key), "slope"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    if not rows:
        return "\n".join([*lines, "| (no points) |" + " |" * (len(header) - 1)])
    xs = [p[x_key] for p in rows]
    steps = {key: [math.nan, *slopes(xs, [p.get(key) for p in rows])] for key in y_keys}
    for i, point in enumerate(rows):
        cells = [_number(point[x_key])]
        for key in y_keys:
            cells += [_number(point.get(key)), _slope_cell(steps[key][i]) if i else ""]
        lines.append("| " + " | ".join(cells) + " |")
    if len(rows) > 2:
        first, last = rows[0], rows[-1]
        cells = [f"**{_number(first[x_key])} → {_number(last[x_key])}**"]
        for key in y_keys:
            overall = slope(first[x_key], first.get(key), last[x_key], last.get(key))
            cells += ["", f"**{_slope_cell(overall)}**"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _read(path: Path) -> dict[str, Any] | None:
    return dict(json.loads(path.read_text())) if path.is_file() else None


def plan(args: argparse.Namespace, out: Path) -> list[tuple[list[str], Path]]:
    """The child commands to run, each with the JSON it writes; those already there are left out
    unless ``--rerun``. Order: per scale, scoring before training (training reuses its store)."""
    steps: list[tuple[list[str], Path]] = []
    seed = ["--seed", str(args.seed), "--out", str(out)]
    train = ["--workers", "0", "--origins", str(args.origins)]
    for scale in args.scales:
        if not args.skip_scoring:
            command = [str(BENCHMARKS / "bench_national.py"), "--scale", f"{scale:g}", *seed]
            steps.append((command, scoring_json(out, args.seed, scale)))
        if not args.skip_training:
            command = [
                str(BENCHMARKS / "bench_national_train.py"), "--scale", f"{scale:g}", *seed, *train,
                "--as-of", DEFAULT_AS_OF,
            ]  # fmt: skip
            steps.append((command, training_json(out, args.seed, scale, args.origins, DEFAULT_AS_OF)))
    if not args.skip_training:
        for as_of in args.history_as_of:
            scale = args.history_scale
            command = [
                str(BENCHMARKS / "bench_national_train.py"), "--scale", f"{scale:g}", *seed, *train,
                "--as-of", as_of,
            ]  # fmt: skip
            steps.append((command, training_json(out, args.seed, scale, args.origins, as_of)))
    unique: dict[Path, list[str]] = {}
    for command, path in steps:
        unique.setdefault(path, command)  # the history curve may repeat a point of the scale curve
    return [(command, path) for path, command in unique.items() if args.rerun or not path.is_file()]


def run_children(steps: Sequence[tuple[list[str], Path]]) -> None:
    """Run each child benchmark with this Python; its progress goes to stderr, its JSON to a file."""
    for command, path in steps:
        print(f"running {' '.join(command)} → {path.name}", file=sys.stderr)
        subprocess.run([sys.executable, *command], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def report(args: argparse.Namespace, out: Path) -> str:
    """The three Markdown tables from the JSON files in ``out`` (missing ones are listed)."""
    missing: list[str] = []

    def load(path: Path) -> dict[str, Any] | None:
        figures = _read(path)
        if figures is None:
            missing.append(path.name)
        return figures

    scoring = [scoring_point(f) for s in args.scales if (f := load(scoring_json(out, args.seed, s)))]
    training = []
    for scale in args.scales:
        figures = load(training_json(out, args.seed, scale, args.origins, DEFAULT_AS_OF))
        if figures:
            training.append({**training_point(figures), "enterprises": enterprises_for(scale, scoring)})
    history = []
    for as_of in args.history_as_of:
        figures = load(training_json(out, args.seed, args.history_scale, args.origins, as_of))
        if figures:
            point = training_point(figures)
            history.append({**point, "enterprises": enterprises_for(args.history_scale, scoring)})
    history_at = f"{enterprises_for(args.history_scale, scoring):,} enterprises"
    parts = [
        f"# Cost curves (national preset, seed {args.seed}, {args.origins} backtest origins)",
        "Slope: log-log between consecutive rows (1 linear, < 1 sub-linear, > 1 super-linear; "
        "0.85–1.15 counted as linear); last row: first to last point.",
        "## Nightly scoring against enterprises",
        table(scoring, "enterprises", ["indicator_rows", *SCORING_Y]),
        "## Monthly retraining (serial) against enterprises",
        table(training, "enterprises", TRAINING_Y),
        f"## Monthly retraining (serial) against months of history ({history_at})",
        table(history, "months", TRAINING_Y),
        "Scoring against months of history is not measured: the nightly read is bounded by the "
        "feature window by design (docs/benchmarks.md, “Nightly store read”).",
    ]
    if missing:
        parts.append("Missing (not run yet): " + ", ".join(f"`{name}`" for name in missing))
    return "\n\n".join(parts) + "\n"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--scales", type=float, nargs="+", default=[0.0556, 0.2222, 1.0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--origins", type=int, default=2)
    p.add_argument("--history-scale", type=float, default=0.0556)
    p.add_argument("--history-as-of", nargs="+", default=["2022-11-25", "2024-11-25", DEFAULT_AS_OF])
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    p.add_argument("--report-only", action="store_true", help="run nothing; tables from --out")
    p.add_argument("--skip-scoring", action="store_true")
    p.add_argument("--skip-training", action="store_true")
    p.add_argument("--rerun", action="store_true", help="run steps even if their JSON is there")
    return p


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        run_children(plan(args, out))
    text = report(args, out)
    (out / f"cost-curves-s{args.seed}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
