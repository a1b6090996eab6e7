"""A world written as a source folder: the three contract tables, and its truth aside."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from simulator.calibration import calibration_report
from simulator.world import World


def _write_atomic(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    if fmt == "csv":
        frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    else:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")
    os.replace(tmp, path)


def _integers_as_int(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns whose values are all whole become nullable Int64 (no '.0' in CSV)."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_float_dtype(values):
            finite = values.dropna()
            if (finite == np.round(finite)).all() and (finite.abs() < 2**53).all():
                out[col] = values.astype("Int64")
    return out


def write_source(world: World, out: Path, fmt: Literal["csv", "parquet"] = "csv") -> list[Path]:
    """Write the three contract tables to ``out`` and the truth to ``out/truth``.

    Files are written atomically (temporary file, then ``os.replace``); same world, same bytes.
    Returns the paths written, contract tables first.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}; use 'csv' or 'parquet'")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name in ("enterprises", "indicators", "incidents"):
        path = out / f"{name}.{fmt}"
        _write_atomic(_integers_as_int(getattr(world, name)), path, fmt)
        paths.append(path)
    return [*paths, *write_truth(world, out)]


def write_truth(world: World, out: Path) -> list[Path]:
    """Write the truth (true hazard, calibration report) to ``out/truth``, atomically."""
    truth = Path(out) / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    hazard_path = truth / "true_hazard.parquet"
    _write_atomic(world.true_hazard, hazard_path, "parquet")
    report_path = truth / "calibration.json"
    tmp = report_path.with_name(report_path.name + ".tmp")
    payload = {"report": calibration_report(world), "params": world.params}
    tmp.write_text(
        json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True, default=float), encoding="utf-8"
    )
    os.replace(tmp, report_path)
    return [hazard_path, report_path]
