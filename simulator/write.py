"""A world written as a source folder: the three contract tables, and its truth aside.

`write_source` writes one World; `write_blocks` writes a world generated in blocks (the
`national` preset) one block at a time, appending to the same files, so that only one
block is ever in memory. Both write beside the tables the world's area reference
(``areas.csv``, `write_areas`): coordinates of its zones, districts and communes, which a
workspace declares as ``EWS_HOME/areas.csv`` (docs/contract.md, "areas").
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.calibration import calibration_report, monthly_stoppages, national_summary
from simulator.geography import area_table
from simulator.presets import PRESETS, Preset
from simulator.world import World, simulate_blocks
from vocab import progress


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


def areas_of(world: World) -> pd.DataFrame:
    """The area reference of a world (`simulator.geography.area_table`): its zones holding
    enterprises, districts and communes with coordinates; deterministic from the seed."""
    legacy = world.params.get("legacy")
    return area_table(
        world.enterprises, world.params["zones"], int(world.params["seed"]), str(legacy) if legacy else None
    )


def write_areas(world: World, path: Path) -> Path:
    """Write the world's area reference as a UTF-8 CSV at ``path``, atomically; same world,
    same bytes. A workspace takes it as ``EWS_HOME/areas.csv``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(areas_of(world), path, "csv")
    return path


def write_source(
    world: World, out: Path, fmt: Literal["csv", "parquet"] = "csv", *, truth: bool = True
) -> list[Path]:
    """Write the three contract tables to ``out``, the area reference to ``out/areas.csv``
    and the truth to ``out/truth`` (unless ``truth`` is False: a caller that keeps the
    World needs no copy of it, and its calibration report takes seconds).

    Files are written atomically (temporary file, then ``os.replace``); same world, same bytes.
    Returns the paths written, contract tables first, then ``areas.csv``.
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
    paths.append(write_areas(world, out / "areas.csv"))
    return [*paths, *write_truth(world, out)] if truth else paths


def write_truth(world: World, out: Path, *, report: dict[str, Any] | None = None) -> list[Path]:
    """Write the truth (true hazard, calibration report, and for a world given officers'
    actions the actions with their effects: ``actions.parquet``) to ``out/truth``, atomically.

    ``report`` is the world's `calibration_report` when the caller has made it already (it
    takes seconds on the demo world); without it, it is made here."""
    truth = Path(out) / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    hazard_path = truth / "true_hazard.parquet"
    _write_atomic(world.true_hazard, hazard_path, "parquet")
    actions: list[Path] = []
    if world.actions is not None:
        actions.append(truth / "actions.parquet")
        _write_atomic(world.actions, actions[0], "parquet")
    report_path = truth / "calibration.json"
    tmp = report_path.with_name(report_path.name + ".tmp")
    payload = {"report": calibration_report(world) if report is None else report, "params": world.params}
    tmp.write_text(
        json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True, default=float), encoding="utf-8"
    )
    os.replace(tmp, report_path)
    return [hazard_path, *actions, report_path]


class _Appender:
    """One table file written block by block to ``PATH.tmp``: Parquet row groups (the first
    block's schema; later blocks are cast to it, and a value that does not fit raises) or
    CSV rows under one header. `commit` renames it into place."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt = path, fmt
        self.tmp = path.with_name(path.name + ".tmp")
        self.columns: list[str] | None = None
        self.rows = 0
        self._parquet: pq.ParquetWriter | None = None
        self._csv: IO[str] | None = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.columns is None:
            self.columns = list(frame.columns)
        elif list(frame.columns) != self.columns:
            raise ValueError(
                f"{self.path.name}: block columns {list(frame.columns)} differ from {self.columns}"
            )
        if self.fmt == "csv":
            first = self._csv is None
            if self._csv is None:
                self._csv = open(self.tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
            frame.to_csv(self._csv, header=first, index=False, lineterminator="\n")
        else:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.tmp, table.schema, compression="zstd")
            else:
                table = table.cast(self._parquet.schema)
            self._parquet.write_table(table)
        self.rows += len(frame)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        if self._csv is not None:
            self._csv.close()
            self._csv = None

    def commit(self) -> Path:
        self.close()
        os.replace(self.tmp, self.path)
        return self.path


def write_blocks(
    preset: str | Preset,
    seed: int,
    out: Path,
    fmt: Literal["csv", "parquet"] = "parquet",
    *,
    start: str | None = None,
    end: str | None = None,
    by_province: bool = False,
) -> list[Path]:
    """Write a world generated in blocks (`simulate_blocks`) as a source folder.

    The same files as `write_source`: ``enterprises``, ``indicators`` and ``incidents``
    (one file per table, as the contract wants; Parquet row groups or CSV rows appended
    block by block), ``areas.csv`` (every block's areas; beside the tables, also when
    ``by_province``), ``truth/true_hazard.parquet`` and ``truth/calibration.json`` (the
    `national_summary` under ``report``, each block's `calibration_report` and monthly
    stoppages under ``blocks``, their params under ``params``). Each file is written to a
    temporary name and renamed when every block is done; on failure nothing is renamed and
    the temporary files are removed. Same arguments, same rows. Reports progress
    ("world blocks") through `vocab.progress`. Returns the paths, contract tables first.

    ``by_province`` writes the contract tables as one delivery folder per post-2025
    province instead, ``out/provinces/<province code>/``, as each province's agencies
    would deliver them (its blocks' enterprises, indicators and incidents; the same rows,
    split); the truth stays whole in ``out/truth``.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}; use 'csv' or 'parquet'")
    spec = PRESETS[preset] if isinstance(preset, str) else preset
    out = Path(out)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    names = ("enterprises", "indicators", "incidents")
    folders = {
        province.code: out / "provinces" / (province.province_code or province.code) if by_province else out
        for province in spec.provinces
    }
    sinks = {
        (folder, name): _Appender(folder / f"{name}.{fmt}", fmt)
        for folder in dict.fromkeys(folders.values())
        for name in names
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    truth = _Appender(out / "truth" / "true_hazard.parquet", "parquet")
    blocks: dict[str, dict[str, Any]] = {}
    params: dict[str, Any] = {}
    areas: list[pd.DataFrame] = []
    try:
        for done, world in enumerate(simulate_blocks(spec, seed=seed, start=start, end=end), start=1):
            folder = folders[str(world.params["block"])]
            for name in names:
                sinks[folder, name].write(_integers_as_int(getattr(world, name)))
            truth.write(world.true_hazard)
            areas.append(areas_of(world))
            monthly = monthly_stoppages(world)
            code = str(world.params["block"])
            with warnings.catch_warnings():  # a small block may have no stoppage: NaN shares
                warnings.simplefilter("ignore", RuntimeWarning)
                report = calibration_report(world)
            blocks[code] = {
                "province": world.params["provinces"][code],
                "legacy": world.params["legacy"],
                "macro_region": world.params["macro_region"],
                "report": report,
                "monthly": {m: [float(e), int(r)] for m, e, r in monthly.itertuples()},
            }
            params[code] = world.params
            del world
            progress.advance("world blocks", done, len(spec.provinces))
        paths = [sink.commit() for sink in sinks.values()]
        areas_path = out / "areas.csv"
        _write_atomic(pd.concat(areas, ignore_index=True), areas_path, "csv")
        paths.append(areas_path)
        paths.append(truth.commit())
    except BaseException:
        for sink in (*sinks.values(), truth):
            sink.close()
            sink.tmp.unlink(missing_ok=True)
        raise
    report_path = out / "truth" / "calibration.json"
    tmp = report_path.with_name(report_path.name + ".tmp")
    payload = {
        "report": {"preset": spec.name, "seed": seed, **national_summary(list(blocks.values()))},
        "blocks": blocks,
        "params": params,
    }
    tmp.write_text(
        json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True, default=float), encoding="utf-8"
    )
    os.replace(tmp, report_path)
    return [*paths, report_path]
