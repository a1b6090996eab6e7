"""Ranking exports (Parquet, CSV, JSON) published atomically with a manifest written last.

Publish protocol: every file is first written to a temp file in the destination directory
and fsynced; the set is validated; the previous manifest is removed; each temp file is
`os.replace`d into place and the directory fsynced; the manifest (SHA-256 of every file,
rows, as_of, model and run) is written last the same way. A reader
that finds a manifest whose hashes match sees a complete, consistent set; a failed or killed
run leaves the previous files intact (or, if it died between renames, no manifest, which
`verify_exports` reports). Same input gives byte-identical files: nothing time-dependent is
written. Leftover temp files of a killed run are removed by the next call.

CSV cells are escaped against spreadsheet formula injection (OWASP ASVS 1.2.10, B31).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data.errors import EwsError, StoreError
from data.faults import pause_point
from outputs.actions import night_cutoff

try:  # POSIX advisory lock; other platforms rely on the deployment's concurrency limit.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

#: First characters that make a spreadsheet read a cell as a formula (ASVS 1.2.10; \r, NUL too).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\0")
TEMP_PREFIX = ".tmp-"
_AS_OF = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LOCK_NAME = ".exports.lock"
#: Published files get the mode the operator's umask gives a new file (mkstemp creates 0600).
FILE_MODE = 0o666


def _file_mode() -> int:
    """0666 less the process umask (read from /proc where it can be, without changing it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return FILE_MODE & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return FILE_MODE & ~mask


FORMATS: tuple[str, ...] = ("parquet", "csv", "json")


class ExportError(EwsError):
    """An export could not be written or validated; the previous export is intact."""


def escape_formula(value: object) -> object:
    """Prefix a text cell starting with a formula character with `'` (OWASP ASVS 1.2.10).

    Non-text values (numbers, None, NaN) are returned unchanged: only text is interpreted
    as a formula, and numeric columns must stay numeric for the analysts.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _fsync_dir(directory: Path) -> None:
    """Make renames in `directory` durable (a rename alone is atomic, not durable)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FolderNotWritable(StoreError):
    """An output folder cannot be written (permissions, read-only mount, no space): found
    before anything is scored, so that no night is published without its exports."""


def check_writable(*folders: Path) -> None:
    """Create and remove a temp file in each folder (creating it if missing); raise
    :class:`FolderNotWritable` naming the first that refuses. A scoring run calls it first:
    otherwise a read-only exports folder is found only after the night's rows are published,
    leaving a night that readers see without its files."""
    for folder in folders:
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}probe.", dir=folder)
            os.close(fd)
            os.unlink(name)
        except OSError as exc:
            raise FolderNotWritable(
                f"{folder}: cannot be written ({exc.strerror or type(exc).__name__}); nothing was "
                "scored. Make it writable (or free space), then score the night again"
            ) from None


def _write_temp(directory: Path, final_name: str, data: bytes) -> Path:
    """Write `data` to a fsynced temp file next to its destination; remove it on failure."""
    fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{final_name}.", dir=directory)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            pause_point("exports.write")  # where a full disk fails (the soak injects ENOSPC here)
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), _file_mode())
            os.fsync(fh.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Replace `path` with `data` atomically and durably: temp, fsync, `os.replace`, fsync dir."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _write_temp(path.parent, path.name, data)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def remove_leftovers(directory: Path) -> list[Path]:
    """Delete temp files a killed run left in `directory`; return what was removed."""
    removed = []
    for leftover in sorted(Path(directory).glob(f"{TEMP_PREFIX}*")):
        if leftover.is_file():
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Exclusive lock on the export directory, so cleaning temp files never races a writer."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(directory / _LOCK_NAME, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_text(series: pd.Series) -> bool:
    return not (
        pd.api.types.is_numeric_dtype(series)
        or pd.api.types.is_bool_dtype(series)
        or pd.api.types.is_datetime64_any_dtype(series)
    )


def _normalise(ranking: pd.DataFrame) -> pd.DataFrame:
    """Deterministic frame: a fresh index, datetimes as ISO dates/timestamps."""
    frame = ranking.reset_index(drop=True).copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            values = frame[column]
            midnight = values.dropna().eq(values.dropna().dt.normalize()).all()
            frame[column] = values.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%dT%H:%M:%S")
    return frame


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _formula_cells(values: pd.Series) -> np.ndarray:
    """Which cells `escape_formula` changes: text starting with a formula character.

    Vectorised (`.str` gives NaN for a cell that is not text); a column without any text has
    no such cell (`.str` refuses it).
    """
    try:
        starts = values.str.startswith(FORMULA_PREFIXES)
    except AttributeError:
        return np.zeros(len(values), dtype=bool)
    return starts.fillna(False).to_numpy(dtype=bool)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    safe = frame.copy()
    for column in safe.columns:
        if _is_text(safe[column]):
            values = safe[column].astype(object)
            risky = _formula_cells(values)
            if risky.any():
                values[risky] = values[risky].map(escape_formula)
            safe[column] = values
    text = safe.to_csv(index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return text.encode("utf-8-sig")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _json_bytes(frame: pd.DataFrame) -> bytes:
    # Rows zipped with the column names (pandas' `to_dict("records")` boxes every cell in
    # Python); NumPy scalars left are written by `_json_default`, numbers as numbers.
    values = frame.astype(object).where(frame.notna(), None).to_numpy(dtype=object)
    columns = [str(c) for c in frame.columns]
    records = [dict(zip(columns, row, strict=True)) for row in values]
    text = json.dumps(records, ensure_ascii=False, default=_json_default, allow_nan=False)
    return (text + "\n").encode("utf-8")


def _single(ranking: pd.DataFrame, column: str) -> Any:
    """The one value of a per-run column (model_version, run_id, ...), or None."""
    if column not in ranking.columns:
        return None
    values = ranking[column].dropna().unique()
    if len(values) > 1:
        raise ExportError(f"ranking mixes several values of {column}: {sorted(map(str, values))[:5]}")
    return _json_default(values[0]) if len(values) else None


def _validate(ranking: pd.DataFrame, as_of: str) -> None:
    if not _AS_OF.match(as_of):
        raise ExportError(f"as_of must be YYYY-MM-DD, got {as_of!r}")
    if "as_of" in ranking.columns and len(ranking):
        dates = pd.to_datetime(ranking["as_of"]).dt.strftime("%Y-%m-%d").unique()
        if list(dates) != [as_of]:
            raise ExportError(f"ranking holds as_of {sorted(dates)[:5]}, expected only {as_of}")
    if "enterprise_id" in ranking.columns and ranking["enterprise_id"].duplicated().any():
        raise ExportError("ranking holds an enterprise twice")


#: A firm's latest recorded action as an export carries it (`outputs.actions`): the codes of its
#: kind and outcome, its start and end dates; all None for a firm without one.
ACTION_EXPORT_COLUMNS: tuple[str, ...] = ("action_kind", "action_started", "action_ended", "action_outcome")
_ACTION_SOURCES: tuple[str, ...] = ("kind", "started", "ended", "outcome")


def with_latest_actions(ranking: pd.DataFrame, actions: pd.DataFrame, *, as_of: str) -> pd.DataFrame:
    """`ranking` plus `ACTION_EXPORT_COLUMNS`: each firm's latest action known on the night `as_of`.

    `actions` holds rows of `outputs.actions.read_actions` or `latest_actions`; those recorded
    after the night (`recorded_at` at or after `night_cutoff(as_of)`) are left out, so a night
    exported again later shows what was known that night. `ranking` is not modified.
    """
    known = actions
    if "recorded_at" in known.columns and len(known):
        known = known.loc[known["recorded_at"].astype(str) < night_cutoff(as_of)]
        order = [c for c in ("recorded_at", "id") if c in known.columns]
        known = known.sort_values(order, kind="stable")
    latest = known.groupby(known["enterprise_id"].astype(str), sort=False).tail(1)
    latest = latest.set_index(latest["enterprise_id"].astype(str))
    out = ranking.copy()
    ids = out["enterprise_id"].astype(str)
    for source, column in zip(_ACTION_SOURCES, ACTION_EXPORT_COLUMNS, strict=True):
        values = ids.map(latest[source]) if source in latest.columns else pd.Series(None, index=out.index)
        known_values = [None if pd.isna(v) else v for v in values.to_numpy(dtype=object)]
        out[column] = pd.Series(known_values, index=out.index, dtype=object)  # None, not NaN, where none
    return out


def export_paths(out_dir: Path, as_of: str) -> dict[str, Path]:
    """Where the exports of one night live: parquet, csv, json and manifest."""
    out_dir = Path(out_dir)
    paths = {fmt: out_dir / f"ranking-{as_of}.{fmt}" for fmt in FORMATS}
    paths["manifest"] = out_dir / f"ranking-{as_of}.manifest.json"
    return paths


def write_exports(
    ranking: pd.DataFrame,
    out_dir: Path,
    *,
    as_of: str,
    code_version: str | None = None,
    model_sha256: str | None = None,
    actions: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Publish one night's ranking as Parquet, CSV (BOM, formulas escaped) and JSON, then a manifest.

    With `actions` (rows of `outputs.actions.read_actions` or `latest_actions`), each row
    also carries its firm's latest action known on the night (`with_latest_actions`).

    The manifest also records the code version and the SHA-256 of the model's artifact (I5),
    so that each file can be traced to the code and the exact model bytes that produced it.
    Returns the paths keyed by `parquet`, `csv`, `json`, `manifest`. Raises `ExportError` on
    invalid input; any failure leaves the previous export of that night intact.
    """
    _validate(ranking, as_of)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = export_paths(out_dir, as_of)
    frame = _normalise(ranking if actions is None else with_latest_actions(ranking, actions, as_of=as_of))
    with _locked(out_dir):
        remove_leftovers(out_dir)
        contents = {"parquet": _parquet_bytes(frame), "csv": _csv_bytes(frame), "json": _json_bytes(frame)}
        temps: dict[str, Path] = {}
        try:
            for fmt, data in contents.items():
                temps[fmt] = _write_temp(out_dir, paths[fmt].name, data)
            # Validate what is on disk before anything becomes visible.
            for fmt, temp in temps.items():
                if _sha256(temp.read_bytes()) != _sha256(contents[fmt]):
                    raise ExportError(f"{paths[fmt].name}: the bytes on disk differ from those written")
            if pq.read_metadata(temps["parquet"]).num_rows != len(frame):
                raise ExportError("parquet row count differs from the ranking")
            pause_point("exports.before_replace")
            # From here on the set changes: no manifest means "incomplete" to a reader.
            paths["manifest"].unlink(missing_ok=True)
            for fmt, temp in temps.items():
                os.replace(temp, paths[fmt])
                pause_point(f"exports.after_replace_{fmt}")
            _fsync_dir(out_dir)
        finally:
            for temp in temps.values():
                temp.unlink(missing_ok=True)
        manifest = {
            "as_of": as_of,
            "rows": len(frame),
            "columns": [str(c) for c in frame.columns],
            "model_name": _single(ranking, "model_name"),
            "model_version": _single(ranking, "model_version"),
            "run_id": _single(ranking, "run_id"),
            "input_digest": _single(ranking, "input_digest"),
            "code_version": code_version,
            "model_sha256": model_sha256,
            "files": {
                paths[fmt].name: {"sha256": _sha256(data), "bytes": len(data)}
                for fmt, data in contents.items()
            },
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        pause_point("exports.before_manifest")
        atomic_write_bytes(paths["manifest"], text.encode("utf-8"))
    return paths


def verify_exports(out_dir: Path, as_of: str) -> bool:
    """True when the night's manifest exists and every file it lists has the recorded SHA-256."""
    manifest_path = export_paths(out_dir, as_of)["manifest"]
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        return all(
            _sha256((Path(out_dir) / name).read_bytes()) == entry["sha256"]
            for name, entry in manifest["files"].items()
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


__all__ = [
    "ACTION_EXPORT_COLUMNS",
    "FORMULA_PREFIXES",
    "ExportError",
    "atomic_write_bytes",
    "escape_formula",
    "export_paths",
    "remove_leftovers",
    "verify_exports",
    "with_latest_actions",
    "write_exports",
]


# --- files an analyst downloads (the page, `ews rank --format xlsx`) -------------------------

#: Rows one Excel sheet holds below its header.
MAX_XLSX_ROWS = 1_048_575


def _escaped(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot be read as spreadsheet formulas."""
    safe = frame.copy()
    for column in safe.columns:
        if not (pd.api.types.is_numeric_dtype(safe[column]) or pd.api.types.is_bool_dtype(safe[column])):
            safe[column] = safe[column].astype(object).map(escape_formula)
    safe.columns = [str(escape_formula(str(c))) for c in safe.columns]
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV with a BOM (Excel reads Vietnamese right), formulas escaped."""
    text = _escaped(frame).to_csv(index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return text.encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "ranking") -> bytes:
    """The frame as one Excel sheet, text cells escaped so that none becomes a formula."""
    if len(frame) > MAX_XLSX_ROWS:
        raise EwsError(f"{len(frame)} rows do not fit in one Excel sheet; filter or use CSV")
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    safe = _escaped(frame)
    for column in safe.columns:
        # pandas 3 keeps text as the "str" dtype, not object: test for text, not for object.
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(
                lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v
            )
    sink = io.BytesIO()
    with pd.ExcelWriter(sink, engine="openpyxl") as writer:
        safe.to_excel(writer, sheet_name=sheet[:31], index=False)
    return sink.getvalue()
