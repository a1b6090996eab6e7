"""Read a delivery (folder of CSV/Parquet files or a SQLAlchemy URL), validate it against
:mod:`data.schemas`, and add it to the :class:`~data.store.Store`.

Two kinds of problems, two answers:

* a broken *delivery* (missing or unreadable table, not UTF-8, wrong delimiter, missing,
  duplicate or unknown columns, no data rows, too many bad rows) is refused as a whole
  with :class:`~data.errors.IngestRefused`: nothing is stored, nothing quarantined;
* a bad *row* (wrong type, negative count, bad date, unknown enum or enterprise,
  conflicting duplicate, conflict with a stored row) goes to quarantine with a reason,
  and the rest proceeds. For every table ``rows_in == accepted + quarantined``.

Two whole-delivery checks look beyond the rows: a file that changes while it is read is
still being written upstream and is refused, never half-read (:func:`file_state`); and an
indicators table whose newest months name far fewer or far more enterprises than the
month before is a broken export until the operator says otherwise (:func:`volume_anomalies`,
``accept_volume``).

All sources are first turned into frames of text (pandas ``str``, missing = NA), so one
validation path serves CSV, Parquet and SQL alike.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pandera.errors import SchemaError, SchemaErrors

from data.errors import IngestRefused
from data.schemas import (
    ALL_COLUMNS,
    COLUMN_KINDS,
    COLUMN_RULES,
    KEYS,
    MODELS,
    NUMERIC_KINDS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    STORED_COLUMNS,
    STORED_DATE_COLUMNS,
    TABLES,
    default_incident_reported_at,
    default_indicator_reported_at,
    parse_dates,
    parse_months,
)
from data.store import Store
from data.urls import shown_url
from vocab import progress

#: Default ceiling on the share of bad rows per table. Above it the delivery is refused
#: rather than quarantined row by row: 5% bad rows means the export itself is broken
#: (wrong unit, shifted columns, truncated file), and training or scoring on the
#: remaining 95% would silently bias the risk scores.
DEFAULT_MAX_BAD_SHARE = 0.05

_BOM = codecs.BOM_UTF8
#: Defaults of `EWS_MAX_FILE_MB` and `EWS_MAX_CELL_KB` (see `data.settings`): a delivered
#: file or cell beyond them is a broken or hostile export, refused before it fills memory.
DEFAULT_MAX_FILE_BYTES = 4096 * 1024 * 1024
DEFAULT_MAX_CELL_BYTES = 64 * 1024
#: Months further ahead than this (from today, Asia/Ho_Chi_Minh) describe no real figures.
FUTURE_MONTHS_ALLOWED = 1
#: The refusal of a file whose size, modification time or inode changed between the start
#: and the end of reading it (shared by `ews ingest` and `ews pull`).
CHANGED_WHILE_READ = (
    "changed while being read (still being written?); nothing stored — deliver it again when complete"
)
#: Volume check (B27) of the indicators, month against the previous month known for the
#: same table (contract form) or source (agency pull). The bounds are those of the test
#: matrix (docs/reliability.md, B27: < 50 %, > 3x): a month naming under half the
#: enterprises of the month before is a cut or filtered export (one district, one sheet),
#: over three times a duplicated or merged one (a file appended twice, another province's
#: rows). The simulated worlds stay well inside them: in the contract form a month names
#: 0.99-1.01 times the enterprises of the month before; a pulled labour report's newest
#: month 0.90-0.94 times (its late reports come in later files); the social-insurance
#: office's debtor lists 0.70-1.8 times ('tiny', seeds 0-7) and 0.95-1.42 times ('demo').
VOLUME_COLLAPSE = 0.5
VOLUME_EXPLOSION = 3.0
#: Below this many enterprises on both sides a ratio says nothing (a debtor list of 6 firms
#: becoming 19 is news, not a broken file; the simulated debtor lists start at 5 to 15).
VOLUME_MIN_ENTERPRISES = 20
_VOLUME_FIELDS = tuple(
    c for c in ALL_COLUMNS["indicators"] if c not in ("enterprise_id", "month", "reported_at")
)
_ID_COLUMNS = ("enterprise_id", "incident_id")
_WIDE_CHECKS = {
    "closed_not_before_founded": ("closed", "closed: must not be before founded"),
    "ended_not_before_started": ("ended", "ended: must not be before started"),
}
_VALUE_COLUMNS = {t: [c for c in STORED_COLUMNS[t] if c != "reported_at_imputed"] for t in TABLES}


@dataclass(frozen=True)
class TableCounts:
    """Row accounting of one table of one delivery: rows_in = accepted + quarantined + unmatched.

    ``unmatched`` counts pulled rows whose ids reached no enterprise (always 0 for a
    delivery in the contract's form, where an unknown enterprise is quarantined).
    """

    rows_in: int
    accepted: int
    quarantined: int
    unmatched: int = 0


@dataclass(frozen=True)
class Delivery:
    """One delivery as text frames in the contract's columns, with where its rows came from.

    ``frames`` holds the tables it carries (a pulled source usually one). ``files`` and
    ``rows`` give, per table, each row's file and 1-based row in it. ``unmatched`` holds,
    per table, rows set aside before validation because their ids reached no enterprise
    (stored for ``ews sources unmatched``); ``coverage`` the complete lists it states.
    """

    frames: dict[str, pd.DataFrame]
    source: str
    source_name: str = "contract"
    precedence: int = 0
    files: dict[str, pd.Series] | None = None
    rows: dict[str, pd.Series] | None = None
    unmatched: dict[str, pd.DataFrame] | None = None
    coverage: pd.DataFrame | None = None
    delivery_id: str | None = None
    record_always: bool = False
    extra_manifest: dict[str, Any] | None = None


@dataclass(frozen=True)
class IngestReport:
    """What one ingest did; ``status`` is ``"stored"`` or ``"unchanged"``."""

    delivery_id: str
    source: str
    tables: dict[str, TableCounts]
    new_rows: dict[str, int]
    status: str

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-serialisable form (the CLI prints it, the store logs it)."""
        return {
            "delivery_id": self.delivery_id,
            "source": self.source,
            "status": self.status,
            "tables": {
                t: {
                    "rows_in": c.rows_in,
                    "accepted": c.accepted,
                    "quarantined": c.quarantined,
                    "unmatched": c.unmatched,
                }
                for t, c in self.tables.items()
            },
            "new_rows": dict(self.new_rows),
        }


# =============================================================================== reading


def _refuse(label: str, problem: str) -> IngestRefused:
    return IngestRefused(f"{label}: {problem}".replace("\n", " ").replace("\r", " "))


def _quote_list(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _normalise(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower().replace(" ", "_").replace("-", "_")


def _check_columns(table: str, label: str, columns: list[str]) -> None:
    """Refuse duplicate, missing-required or unknown columns (order does not matter)."""
    dups = sorted({c for c in columns if columns.count(c) > 1})
    if dups:
        raise _refuse(label, f"duplicate column name(s) {_quote_list(dups)}")
    if len(columns) == 1:
        for sep in (";", "\t", "|"):
            if sep in columns[0]:
                raise _refuse(
                    label,
                    f"only one column found, header splits on {sep!r}: "
                    "wrong delimiter, the contract requires ','",
                )
    allowed = ALL_COLUMNS[table]
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in columns]
    unknown = [c for c in columns if c not in allowed]
    problems = []
    if missing:
        hints = []
        for m in missing:
            near = [u for u in unknown if _normalise(u) == m]
            near = near or difflib.get_close_matches(m, unknown, n=1, cutoff=0.75)
            if near:
                hints.append(f"{near[0]!r} for {m!r}")
        s = "s" if len(missing) > 1 else ""
        msg = f"missing required column{s} {_quote_list(missing)}"
        problems.append(msg + (f" (did you mean {', '.join(hints)}?)" if hints else ""))
    if unknown:
        s = "s" if len(unknown) > 1 else ""
        hints = []
        for u in unknown:
            near = [a for a in allowed if a == _normalise(u)]
            near = near or difflib.get_close_matches(u, allowed, n=1, cutoff=0.75)
            if near and not missing:
                hints.append(f"{near[0]!r} for {u!r}")
        msg = f"unknown column{s} {_quote_list(unknown)} (allowed: {', '.join(allowed)})"
        problems.append(msg + (f"; did you mean {', '.join(hints)}?" if hints else ""))
    if problems:
        raise _refuse(label, "; ".join(problems))


def _finish(table: str, label: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Checks shared by all readers; returns the text frame with every contract column."""
    _check_columns(table, label, [str(c) for c in frame.columns])
    # A month without incidents is normal; a delivery without enterprises or indicators is not.
    if len(frame) == 0 and table != "incidents":
        raise _refuse(label, "no data rows (empty or header only)")
    for c in OPTIONAL_COLUMNS[table]:
        if c not in frame.columns:
            frame[c] = pd.Series(pd.NA, index=frame.index, dtype="str")
    frame = frame[list(ALL_COLUMNS[table])].astype("str")
    frame.attrs["label"] = label
    return frame


def check_regular_file(path: Path, folder: Path, max_bytes: int) -> None:
    """Refuse what is not a regular file inside ``folder`` (a named pipe would hang the
    read, a device such as /dev/zero would fill memory, a symbolic link may point anywhere),
    or is larger than ``max_bytes``; nothing of it is read."""
    import stat

    label = path.name
    try:
        target = path.resolve(strict=True)
        info = target.stat()
    except OSError as exc:
        raise _refuse(label, f"cannot read file: {exc.strerror or exc}") from None
    if folder.resolve() not in target.parents:
        raise _refuse(label, "a link to a file outside the delivery folder; refused, not read")
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(label, "not a regular file (a pipe, a device or a folder); refused, not read")
    if info.st_size > max_bytes:
        raise _refuse(label, f"{info.st_size} bytes, above the limit of {max_bytes} (EWS_MAX_FILE_MB)")


#: A file's (size, modification time in ns, inode): an appending or rewriting writer changes
#: the first two, one that writes a new file and renames it over the old the third.
FileState = tuple[int, int, int]


def file_state(path: Path) -> FileState | None:
    """What a file looks like now (None when it cannot be stat'ed), compared before and
    after reading it: a file still being written upstream must never be half-read (B24)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ino)


def _refuse_if_changed(read: list[tuple[Path, FileState | None]]) -> None:
    """Refuse the delivery when a file read so far is no longer as it was before its read."""
    for path, before in read:
        if file_state(path) != before:
            raise _refuse(path.name, CHANGED_WHILE_READ)


def _check_cells(frame: pd.DataFrame, label: str, max_cell_bytes: int) -> None:
    """Refuse a table with a cell longer than ``max_cell_bytes`` (a broken or hostile export)."""
    for column in frame.columns:
        lengths = frame[column].str.len()
        if len(lengths) and lengths.max() > max_cell_bytes:
            row = int(lengths.to_numpy(dtype="float64", na_value=0).argmax())
            raise _refuse(
                label,
                f"column {column!r} row {row + 1}: a cell of {int(lengths.max())} characters, above "
                f"the limit of {max_cell_bytes} (EWS_MAX_CELL_KB)",
            )


def _read_csv(table: str, path: Path) -> pd.DataFrame:
    """CSV → text frame. Strict UTF-8 (BOM stripped), RFC 4180 quoting, '' → missing."""
    label = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _refuse(label, f"cannot read file: {exc.strerror or exc}") from exc
    offset = 0
    if data.startswith(_BOM):
        data, offset = data[len(_BOM) :], len(_BOM)
    if not data.strip():
        raise _refuse(label, "file is empty (0 bytes)" if not data else "file is empty")
    try:
        codecs.decode(data, "utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise _refuse(
            label,
            f"not valid UTF-8 at byte {exc.start + offset} "
            f"(byte 0x{data[exc.start]:02x}); re-export as UTF-8",
        ) from None
    if b"\x00" in data:
        raise _refuse(label, f"binary content (NUL byte at byte {data.index(0) + offset}), not a CSV file")
    head = data[: 1 << 16].decode("utf-8", errors="ignore")
    try:
        header = next(csv.reader(io.StringIO(head)))
    except (StopIteration, csv.Error) as exc:
        raise _refuse(label, f"cannot read the header row: {exc}") from None
    header = [h for h in header]
    _check_columns(table, label, header)
    try:
        tbl = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 26),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa_arrow.string() for h in header},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa_arrow.ArrowException, ValueError) as exc:
        first = str(exc).splitlines()[0][:200]
        raise _refuse(label, f"malformed CSV ({first})") from None
    return _finish(table, label, tbl.to_pandas())


def _arrow_to_text(arr: pa_arrow.ChunkedArray, column: str, label: str) -> pd.Series:
    """Canonical text form of a typed Parquet/SQL column, so one validator serves all.

    Integers and floats print in their shortest form (``5.0`` → ``"5"``), NaN is missing,
    dates and timestamps print as ``YYYY-MM-DD`` (``YYYY-MM`` for ``month``).
    """
    t = arr.type
    if pa_arrow.types.is_dictionary(t):
        arr = pc.cast(arr, t.value_type)
        t = arr.type
    if pa_arrow.types.is_string(t) or pa_arrow.types.is_large_string(t):
        out = pc.cast(arr, pa_arrow.string())
    elif pa_arrow.types.is_null(t):
        out = pa_arrow.chunked_array([pa_arrow.nulls(len(arr), pa_arrow.string())])
    elif pa_arrow.types.is_floating(t):
        out = pc.cast(pc.if_else(pc.is_nan(arr), None, arr), pa_arrow.string())
    elif pa_arrow.types.is_integer(t) or pa_arrow.types.is_decimal(t) or pa_arrow.types.is_boolean(t):
        out = pc.cast(arr, pa_arrow.string())
    elif pa_arrow.types.is_date(t) or pa_arrow.types.is_timestamp(t):
        if pa_arrow.types.is_date(t):
            arr = pc.cast(arr, pa_arrow.timestamp("s"))
        elif t.tz is not None:  # an instant: its date is the date in Vietnam, not in UTC
            arr = pc.cast(arr, pa_arrow.timestamp(t.unit, tz="Asia/Ho_Chi_Minh"))
        out = pc.strftime(arr, format="%Y-%m" if column == "month" else "%Y-%m-%d")
    else:
        raise _refuse(label, f"column {column!r} has unsupported type {t}")
    return pd.Series(out.to_pandas(), dtype="str")


def _read_parquet(table: str, path: Path) -> pd.DataFrame:
    label = path.name
    if path.stat().st_size == 0:
        raise _refuse(label, "file is empty (0 bytes)")
    try:
        tbl = pq.read_table(path)
    except (pa_arrow.ArrowException, OSError, ValueError) as exc:
        first = str(exc).splitlines()[0][:200]
        raise _refuse(label, f"unreadable or corrupt Parquet file ({first})") from None
    names = [str(n) for n in tbl.column_names]
    _check_columns(table, label, names)
    for i, name in enumerate(names):
        kind = tbl.column(i).type
        if name in _ID_COLUMNS and not (
            pa_arrow.types.is_string(kind) or pa_arrow.types.is_large_string(kind)
        ):
            raise _refuse(
                label,
                f"column {name!r} is stored as {kind}, not text: ids are text (a tax code's leading zero "
                "would be lost); write it as a string column",
            )
    frame = pd.DataFrame({n: _arrow_to_text(tbl.column(i), n, label) for i, n in enumerate(names)})
    return _finish(table, label, frame)


def _read_sql(url: str) -> dict[str, pd.DataFrame]:
    import sqlalchemy as sa

    shown = shown_url(url)
    try:
        engine = sa.create_engine(url)
    except Exception as exc:  # noqa: BLE001 - bad URL, unknown dialect, missing driver
        raise _refuse(shown, f"cannot open database URL ({type(exc).__name__}: {exc})") from None
    frames: dict[str, pd.DataFrame] = {}
    try:
        with engine.connect() as con:
            present = set(sa.inspect(con).get_table_names())
            for table in TABLES:
                label = f"table {table!r}"
                if table not in present:
                    raise _refuse(shown, f"missing table {table!r}")
                raw = pd.read_sql_table(table, con)
                names = [str(c) for c in raw.columns]
                _check_columns(table, label, names)
                cols: dict[str, pd.Series] = {}
                for i, name in enumerate(names):
                    col = raw.iloc[:, i]
                    try:
                        arr = pa_arrow.chunked_array([pa_arrow.Array.from_pandas(col)])
                        cols[name] = _arrow_to_text(arr, name, label)
                    except (pa_arrow.ArrowException, TypeError, IngestRefused):
                        # SQLite is dynamically typed: mixed values in one column.
                        cols[name] = pd.Series(
                            [
                                None
                                if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                                else _scalar_text(v)
                                for v in col
                            ],
                            dtype="str",
                        )
                frames[table] = _finish(table, label, pd.DataFrame(cols))
    except IngestRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - connection/driver errors of any dialect
        first = str(exc).splitlines()[0][:200]
        raise _refuse(shown, f"cannot read database ({type(exc).__name__}: {first})") from None
    finally:
        engine.dispose()
    return frames


def _scalar_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="strict")
    return str(v)


def read_source(
    source: str, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, max_cell_bytes: int = DEFAULT_MAX_CELL_BYTES
) -> dict[str, pd.DataFrame]:
    """Read the three contract tables of a source as text frames (missing = NA).

    ``source`` is a folder holding ``NAME.csv`` or ``NAME.parquet`` per table, or a
    SQLAlchemy URL holding tables of the same names. Structural problems raise
    :class:`IngestRefused`; each frame has exactly the contract columns, in contract
    order (absent optional columns are added empty) and ``attrs["label"]`` naming its file.
    """
    if "://" in source:
        return _read_sql(source)
    folder = Path(source)
    if not folder.exists():
        raise _refuse(source, "no such folder")
    if not folder.is_dir():
        raise _refuse(
            source,
            "not a folder (expected a folder with enterprises, indicators "
            "and incidents as .csv or .parquet, or a SQLAlchemy URL)",
        )
    frames = {}
    # Each file's state before its read, checked again once every table is read: a file
    # that grew, shrank or was replaced meanwhile is still being written (B24).
    read: list[tuple[Path, FileState | None]] = []
    for table in TABLES:
        csv_path, pq_path = folder / f"{table}.csv", folder / f"{table}.parquet"
        if csv_path.exists() and pq_path.exists():
            raise _refuse(str(folder), f"both {csv_path.name} and {pq_path.name} present; deliver one")
        if csv_path.exists() or csv_path.is_symlink():
            path, reader = csv_path, _read_csv
        elif pq_path.exists() or pq_path.is_symlink():
            path, reader = pq_path, _read_parquet
        else:
            raise _refuse(str(folder), f"missing table file {table}.csv or {table}.parquet")
        check_regular_file(path, folder, max_file_bytes)
        read.append((path, file_state(path)))
        try:
            frames[table] = reader(table, path)
            _check_cells(frames[table], frames[table].attrs.get("label", table), max_cell_bytes)
        except IngestRefused:
            _refuse_if_changed(read)  # a half-written file reads as broken: name the real cause
            raise
    _refuse_if_changed(read)
    return frames


# ============================================================================ validation


def delivery_digest(frames: dict[str, pd.DataFrame]) -> str:
    """sha256 of a delivery's content, independent of row order, column order and format."""
    h = hashlib.sha256()
    for table in TABLES:
        cols = sorted(ALL_COLUMNS[table])
        frame = frames[table]
        h.update(json.dumps([table, cols]).encode())
        rows = pd.util.hash_pandas_object(frame[cols].astype("str"), index=False).to_numpy()
        h.update(np.sort(rows).tobytes())
    return h.hexdigest()


def _schema_without_unique(table: str) -> pa.DataFrameSchema:
    schema = MODELS[table].to_schema()
    return schema.update_columns({c: {"unique": False} for c in schema.columns})


_ROW_SCHEMAS = {t: _schema_without_unique(t) for t in TABLES}


def _to_float(text: pd.Series) -> np.ndarray:
    """Text → float64 (vectorised; anything unparsable → NaN)."""
    try:
        return np.asarray(
            pc.cast(pa_arrow.array(text), pa_arrow.float64()).to_numpy(zero_copy_only=False), dtype="float64"
        )
    except (pa_arrow.ArrowException, TypeError):
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


class _Problems:
    """Reasons collected per (row position, column); first reason per pair wins."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(self, pos: Iterable[int], col: str, msgs: Iterable[str] | str) -> None:
        pos = np.asarray(list(pos), dtype="int64")
        if len(pos) == 0:
            return
        msgs = [msgs] * len(pos) if isinstance(msgs, str) else list(msgs)
        self._parts.append(pd.DataFrame({"pos": pos, "col": col, "msg": msgs}))

    def positions(self) -> np.ndarray:
        if not self._parts:
            return np.array([], dtype="int64")
        return np.unique(np.concatenate([p["pos"].to_numpy() for p in self._parts]))

    def reasons(self) -> pd.Series:
        """One '; '-joined reason per failing row position."""
        if not self._parts:
            return pd.Series([], dtype="str")
        allp = pd.concat(self._parts, ignore_index=True).drop_duplicates(["pos", "col"])
        return allp.groupby("pos", sort=True)["msg"].agg("; ".join).astype("str")


def _got(raw: pd.DataFrame, pos: np.ndarray, col: str) -> list[str]:
    # Only the failing rows are taken out of Arrow, not the whole column (a million cells).
    vals = raw[col].iloc[pos].to_numpy()
    return [repr(v) if isinstance(v, str) else "empty" for v in vals]


def _validate_rows(table: str, raw: pd.DataFrame, probs: _Problems) -> pd.DataFrame:
    """Per-row checks of one table; returns typed rows that passed (index = position)."""
    kinds, rules = COLUMN_KINDS[table], COLUMN_RULES[table]
    canon = raw.copy()
    for c, kind in kinds.items():
        if kind in NUMERIC_KINDS:
            num = _to_float(raw[c])
            bad = np.flatnonzero(raw[c].notna().to_numpy() & np.isnan(num))
            probs.add(bad, c, [f"{c}: {rules[c]} (got {g})" for g in _got(raw, bad, c)])
            canon[c] = num
    try:
        _ROW_SCHEMAS[table].validate(canon, lazy=True)
    except (SchemaError, SchemaErrors) as exc:
        fc = exc.failure_cases
        if not isinstance(fc, pd.DataFrame):
            raise IngestRefused(f"{raw.attrs.get('label', table)}: {exc}") from None
        if fc["index"].isna().any():
            first = fc[fc["index"].isna()].iloc[0]
            raise IngestRefused(
                f"{raw.attrs.get('label', table)}: column {first['column']!r} fails {first['check']}"
            ) from None
        fc = fc.drop_duplicates(["index", "column", "check"])
        for (col_key, check), grp in fc.groupby(["column", "check"], sort=False, dropna=False):
            col = str(col_key)
            pos = grp["index"].astype("int64").to_numpy()
            if check in _WIDE_CHECKS:
                wcol, msg = _WIDE_CHECKS[check]
                probs.add(np.unique(pos), wcol, msg)
            elif check == "not_nullable":
                probs.add(pos, col, f"{col}: required value missing")
            else:
                probs.add(pos, col, [f"{col}: {rules[col]} (got {g})" for g in _got(raw, pos, col)])
    keep = np.ones(len(raw), dtype=bool)
    keep[probs.positions()] = False
    ok = canon.loc[keep]
    typed = pd.DataFrame(index=ok.index)
    for c in STORED_COLUMNS[table]:
        if c == "reported_at_imputed":
            continue
        if c == "month":
            typed[c] = parse_months(ok[c])
        elif c in STORED_DATE_COLUMNS[table]:
            typed[c] = parse_dates(ok[c])
        elif kinds[c] in NUMERIC_KINDS:
            typed[c] = ok[c].astype("float64")
        else:
            typed[c] = ok[c].astype("str")
    if table == "indicators":
        _indicator_time_rules(raw, typed, probs)
        default = default_indicator_reported_at(typed["month"])
    elif table == "incidents":
        default = default_incident_reported_at(typed["started"])
    else:
        return typed
    imputed = typed["reported_at"].isna()
    typed["reported_at"] = typed["reported_at"].where(~imputed, default)
    typed["reported_at_imputed"] = imputed.astype(bool)
    return typed[list(STORED_COLUMNS[table])]


def _indicator_time_rules(raw: pd.DataFrame, typed: pd.DataFrame, probs: _Problems) -> None:
    """Quarantine indicator rows whose dates cannot be true: a month more than
    :data:`FUTURE_MONTHS_ALLOWED` ahead of today, or a ``reported_at`` before the last day of
    the month it describes (month-end figures are not known before the month ends). Both
    would hide staleness: a row "known" early makes a firm look freshly reported."""
    today = pd.Timestamp.now(tz="Asia/Ho_Chi_Minh").tz_localize(None).normalize()
    limit = today + pd.offsets.MonthBegin(0) if today.day == 1 else today - pd.offsets.MonthBegin(1)
    limit = limit + pd.DateOffset(months=FUTURE_MONTHS_ALLOWED)
    month = typed["month"]
    future = np.flatnonzero((month > limit).to_numpy())
    probs.add(
        typed.index[future],
        "month",
        [f"month: {m:%Y-%m} is in the future (today is {today:%Y-%m-%d})" for m in month.iloc[future]],
    )
    month_end = month + pd.offsets.MonthEnd(0)
    early = np.flatnonzero((typed["reported_at"] < month_end).fillna(False).to_numpy())
    probs.add(
        typed.index[early],
        "reported_at",
        [
            f"reported_at: {r:%Y-%m-%d} is before the month {m:%Y-%m} ended"
            for r, m in zip(typed["reported_at"].iloc[early], month.iloc[early], strict=True)
        ],
    )


def _same(a: pd.DataFrame, b: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Row-wise equality of two aligned frames, missing == missing."""
    eq = np.ones(len(a), dtype=bool)
    for c in cols:
        x, y = a[c], b[c]
        both_na = x.isna().to_numpy() & y.isna().to_numpy()
        eq &= (x.to_numpy() == y.to_numpy()) | both_na
    return eq


def _key_text(table: str) -> str:
    key = KEYS[table]
    return key[0] if len(key) == 1 else "(" + ", ".join(key) + ")"


def _resolve_duplicates(table: str, typed: pd.DataFrame, probs: _Problems) -> pd.DataFrame:
    """Within one delivery: exact duplicates collapse to one row, rows sharing a key with
    different values are all quarantined (never 'last one wins')."""
    key, vals = list(KEYS[table]), _VALUE_COLUMNS[table]
    dupkey = typed.duplicated(key, keep=False).to_numpy()
    if not dupkey.any():
        return typed
    sub = typed.loc[dupkey]
    if table == "indicators":
        # Per field: rows of one key conflict only where a field has two different values;
        # an empty cell states nothing, so rows stating different fields merge.
        fields = [c for c in vals if c not in key]
        distinct = sub.groupby(key)[fields].nunique(dropna=True)
        conflicting = distinct.index[(distinct > 1).any(axis=1).to_numpy()]
    else:
        variants = sub.drop_duplicates(vals).groupby(key).size()
        conflicting = variants[variants > 1].index
    in_conflict = pd.MultiIndex.from_frame(sub[key]).isin(
        conflicting if isinstance(conflicting, pd.MultiIndex) else pd.MultiIndex.from_arrays([conflicting])
    )
    bad = sub.index[in_conflict]
    probs.add(
        bad,
        "_key",
        f"conflicting duplicate: another row of this delivery has the "
        f"same {_key_text(table)} with different values",
    )
    rest = typed.drop(index=bad)
    if "reported_at_imputed" in rest.columns:  # prefer the explicitly reported copy
        rest = rest.sort_values("reported_at_imputed", kind="stable")
    return rest.drop_duplicates(vals, keep="first").sort_index()


def _against_store(
    table: str, new: pd.DataFrame, stored: pd.DataFrame, probs: _Problems, precedence: int = 0
) -> pd.DataFrame:
    """Drop rows already stored as they are; enterprises/incidents that differ are updates,
    indicators are compared field by field (:func:`_against_stored_indicators`)."""
    if stored.empty or new.empty:
        return new
    key, vals = list(KEYS[table]), _VALUE_COLUMNS[table]
    if table == "indicators":
        return _against_stored_indicators(new, stored, probs, precedence)
    right = stored[vals].drop_duplicates(key, keep="last")
    merged = new[vals].reset_index(names="_pos").merge(right, on=key, how="inner", suffixes=("", "_old"))
    if merged.empty:
        return new
    other = [c for c in vals if c not in key]
    old = merged[[f"{c}_old" for c in other]].set_axis(other, axis=1)
    same = _same(merged, old, other)
    drop = merged.loc[same, "_pos"].to_numpy()
    return new.drop(index=drop)


def _against_stored_indicators(
    new: pd.DataFrame, stored: pd.DataFrame, probs: _Problems, precedence: int
) -> pd.DataFrame:
    """Indicator rows against stored rows of the same (enterprise_id, month, reported_at).

    A row whose every stated field equals what one stored row says adds nothing and is
    dropped (a delivery ingested again). A field stated with a different value by a stored
    row of the same precedence is a conflict: the row is quarantined. A different
    precedence resolves it when the store is read (the higher wins that field).
    """
    key = list(KEYS["indicators"])
    fields = [c for c in _VALUE_COLUMNS["indicators"] if c not in key]
    right = stored[[*key, *fields, "_precedence"]]
    merged = (
        new[[*key, *fields]]
        .reset_index(names="_pos")
        .merge(right, on=key, how="inner", suffixes=("", "_old"))
    )
    if merged.empty:
        return new
    covered = np.ones(len(merged), dtype=bool)
    clash = np.zeros(len(merged), dtype=bool)
    same_rank = merged["_precedence"].to_numpy() == precedence
    for c in fields:
        x, y = merged[c], merged[f"{c}_old"]
        stated, old_stated = x.notna().to_numpy(), y.notna().to_numpy()
        equal = (x.to_numpy() == y.to_numpy()) & stated & old_stated
        covered &= ~stated | equal
        clash |= stated & old_stated & ~equal & same_rank
    pos = merged["_pos"].to_numpy()
    conflict = np.unique(pos[clash])
    redundant = np.setdiff1d(np.unique(pos[covered]), conflict)
    probs.add(
        conflict,
        "_key",
        "conflicts with a stored row of an earlier delivery with the same (enterprise_id, month, reported_at)",
    )
    return new.drop(index=pd.Index(np.concatenate([redundant, conflict])))


def _quarantine_frame(
    table: str, raw: pd.DataFrame, reasons: pd.Series, delivery_id: str, delivery: Delivery
) -> pd.DataFrame:
    pos = reasons.index.to_numpy()
    q = raw.iloc[pos].reset_index(drop=True).astype("str")
    q.insert(0, "reason", reasons.to_numpy())
    rows = delivery.rows.get(table) if delivery.rows else None
    numbers = rows.to_numpy()[pos] if rows is not None else pos + 1
    q.insert(0, "row_number", pd.Series(numbers).astype("str"))
    if delivery.files and table in delivery.files:
        q.insert(0, "file", pd.Series(delivery.files[table].to_numpy()[pos]).astype("str"))
    q.insert(0, "source", delivery.source_name)
    q.insert(0, "table", table)
    q.insert(0, "delivery_id", delivery_id)
    return q.astype("str")


# ================================================================================ volume


@dataclass(frozen=True)
class VolumeAnomaly:
    """A month naming far fewer or far more enterprises than the previous month known."""

    month: str
    count: int
    previous_month: str
    previous_count: int

    @property
    def kind(self) -> str:
        """``"collapse"`` or ``"explosion"``."""
        return "collapse" if self.count < self.previous_count else "explosion"

    def describe(self) -> str:
        """One clause naming the counts and the months."""
        return (
            f"volume {self.kind}: {self.month} names {self.count} enterprises, "
            f"{self.count / self.previous_count:.0%} of the {self.previous_count} of {self.previous_month}"
        )


def volume_anomalies(
    before: Mapping[str, int],
    after: Mapping[str, int],
    *,
    collapse: float = VOLUME_COLLAPSE,
    explosion: float = VOLUME_EXPLOSION,
    min_enterprises: int = VOLUME_MIN_ENTERPRISES,
) -> list[VolumeAnomaly]:
    """The months a delivery would add whose enterprise count leaves ``[collapse, explosion]``
    times the count of the month before (pure: counts in, anomalies out).

    ``before`` and ``after`` map ``YYYY-MM`` to the number of enterprises known for that
    month before and after the delivery (the union of stored and delivered rows, so a late
    or partial delivery of a month only adds to it). Only *new* months are judged: those
    after the newest month known before. A correction or late rows for a known month
    cannot collapse it and are never blocked; nothing known before (a first delivery) makes
    every month after the delivery's first one new, so a history delivered at once is
    judged month by month. Each new month is compared with the previous month that has
    any enterprise (a gap of a month or two is skipped over). Pairs where both counts are
    below ``min_enterprises`` are not judged: there the ratio is noise.
    """
    known = [m for m, n in before.items() if n > 0]
    newest_known = max(known) if known else None
    months = sorted(m for m, n in after.items() if n > 0)
    out = []
    for previous, month in zip(months, months[1:], strict=False):
        if newest_known is not None and month <= newest_known:
            continue
        count, base = after[month], after[previous]
        if max(count, base) < min_enterprises:
            continue
        if count < collapse * base or count > explosion * base:
            out.append(VolumeAnomaly(month, count, previous, base))
    return out


class MonthlyEnterprises:
    """The enterprises one source's indicator rows name, month by month: what the volume
    check compares a delivery with.

    Only rows stating at least one of ``fields`` count, so a delivery carrying a few of
    the indicator columns (one agency's, in the contract form) is compared with the rows
    that carried them too, and a row stating nothing counts for no month.
    """

    def __init__(self, fields: Iterable[str]) -> None:
        self.fields = tuple(fields)
        self._ids: dict[str, set[str]] = {}  # sets: a union or a membership test is one hash lookup per id

    @classmethod
    def of(cls, rows: pd.DataFrame, source: str, fields: Iterable[str]) -> MonthlyEnterprises:
        """From stored rows with provenance: those of ``source``."""
        out = cls(fields)
        out.add(rows.loc[(rows["_source"] == source).to_numpy()])
        return out

    def _by_month(self, rows: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
        """The enterprise ids of ``rows`` per month (rows stating one of the fields), in numpy:
        a pull calls this for every file, and building frames of text per call costs more
        than the check itself."""
        fields = [f for f in self.fields if f in rows.columns]
        if fields:
            stating = np.zeros(len(rows), dtype=bool)
            for f in fields:
                stating |= rows[f].notna().to_numpy()
            rows = rows.loc[stating]
        if rows.empty:
            return []
        month = rows["month"].to_numpy("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
        codes, uniques = pd.factorize(month, sort=True)
        order = np.argsort(codes, kind="stable")
        ids = rows["enterprise_id"].to_numpy(dtype=object)[order]
        bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
        labels = np.datetime_as_string(np.asarray(uniques).astype("datetime64[M]"), unit="M")
        return [(str(m), ids[bounds[i] : bounds[i + 1]]) for i, m in enumerate(labels)]

    def add(self, rows: pd.DataFrame) -> None:
        """Rows just stored for this source."""
        for month, ids in self._by_month(rows):
            self._ids.setdefault(month, set()).update(ids)

    def counts(self) -> dict[str, int]:
        """Enterprises per month known so far."""
        return {m: len(ids) for m, ids in self._ids.items()}

    def counts_with(self, rows: pd.DataFrame) -> dict[str, int]:
        """Enterprises per month once ``rows`` are added (nothing is changed)."""
        out = self.counts()
        for month, ids in self._by_month(rows):
            known = self._ids.get(month, set())
            out[month] = len(known) + len(set(ids).difference(known))
        return out


def _volume_refusal(anomalies: list[VolumeAnomaly], source_name: str) -> str:
    first = anomalies[0]
    bound = f"below {VOLUME_COLLAPSE:.0%}" if first.kind == "collapse" else f"above {VOLUME_EXPLOSION:.0%}"
    more = f"; {len(anomalies) - 1} more month(s) alike" if len(anomalies) > 1 else ""
    return (
        f"{first.describe()} (the previous month known from source {source_name!r}; {bound} is "
        f"refused){more}; nothing stored — check the export, or rerun with --accept-volume if the "
        "change is real"
    )


def _source_text(source: str) -> str:
    return shown_url(source) if "://" in source else str(Path(source).resolve())


def ingest(
    source: str,
    store: Store,
    *,
    max_bad_share: float = DEFAULT_MAX_BAD_SHARE,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_cell_bytes: int = DEFAULT_MAX_CELL_BYTES,
    accept_volume: bool = False,
) -> IngestReport:
    """Validate a delivery and add its new rows to ``store``; bad rows go to quarantine.

    ``max_bad_share`` (default 5%, see :data:`DEFAULT_MAX_BAD_SHARE`) is the largest
    share of quarantined rows tolerated in any table; above it the whole delivery is
    refused, because that many bad rows means a broken export, not a few typos.
    ``accept_volume`` stores a delivery the volume check would refuse (the operator
    knows the change is real). Ingesting the same delivery again changes nothing (status
    ``"unchanged"``).
    """
    if not 0.0 <= max_bad_share <= 1.0:
        raise ValueError("max_bad_share must be within [0, 1]")
    raw = read_source(source, max_file_bytes=max_file_bytes, max_cell_bytes=max_cell_bytes)
    files = {t: pd.Series(raw[t].attrs.get("label", t), index=raw[t].index, dtype="str") for t in TABLES}
    delivery = Delivery(frames=raw, source=_source_text(source), files=files)
    return ingest_delivery(delivery, store, max_bad_share=max_bad_share, accept_volume=accept_volume)


def _with_provenance(table: str, frame: pd.DataFrame, delivery: Delivery) -> pd.DataFrame:
    """The accepted rows of ``table`` with the provenance columns the store keeps."""
    out = frame.copy()
    pos = out.index.to_numpy()
    files = delivery.files.get(table) if delivery.files else None
    rows = delivery.rows.get(table) if delivery.rows else None
    out["_source"] = delivery.source_name
    out["_file"] = (
        files.to_numpy()[pos] if files is not None else pd.Series(table, index=out.index, dtype="str")
    )
    out["_row"] = rows.to_numpy()[pos].astype("int64") if rows is not None else (pos + 1).astype("int64")
    out["_precedence"] = np.int64(delivery.precedence)
    return out.astype({"_source": "str", "_file": "str"})


def ingest_delivery(
    delivery: Delivery,
    store: Store,
    *,
    max_bad_share: float = DEFAULT_MAX_BAD_SHARE,
    stored_indicators: Callable[[list[Any]], pd.DataFrame] | None = None,
    stored_enterprises: pd.DataFrame | None = None,
    accept_volume: bool = False,
    volume: MonthlyEnterprises | None = None,
) -> IngestReport:
    """Validate one :class:`Delivery` and add its new rows to ``store`` (see :func:`ingest`).

    Tables the delivery does not carry are left alone. A pulled file (``record_always``) is
    recorded even when it adds nothing, so that pulling it again is recognised and skipped.
    ``stored_indicators`` (months → the store's indicator rows of those months as
    delivered, kept by a caller that ingests many files in a row) spares reading them
    from the store for every file; ``stored_enterprises`` likewise, for a delivery that
    carries no enterprises; ``volume`` likewise, the enterprises per month known for the
    delivery's source (else read from the store, over the fields the delivery states).

    New indicator rows whose months fail the volume check (:func:`volume_anomalies`) refuse
    the delivery, unless ``accept_volume``: then it is stored and its manifest keeps what
    was accepted (``volume_accepted``).
    """
    if not 0.0 <= max_bad_share <= 1.0:
        raise ValueError("max_bad_share must be within [0, 1]")
    raw = delivery.frames
    tables = [t for t in TABLES if t in raw]
    delivery_id = delivery.delivery_id or delivery_digest(raw)
    unmatched_in = delivery.unmatched or {}
    with store.lock():
        store.clean_temp()
        probs = {t: _Problems() for t in tables}
        typed = {}
        for done, t in enumerate(tables):
            progress.advance("validate tables", done, len(tables))
            typed[t] = _validate_rows(t, raw[t], probs[t])
        progress.advance("validate tables", len(tables), len(tables))
        reuse = stored_enterprises is not None and "enterprises" not in tables
        stored_ent = (
            stored_enterprises if reuse and stored_enterprises is not None else store.load_enterprises()
        )
        accepted_new: dict[str, pd.DataFrame] = {}
        known = pd.Index(stored_ent["enterprise_id"])
        if "enterprises" in tables:
            ent = _resolve_duplicates("enterprises", typed["enterprises"], probs["enterprises"])
            known = pd.Index(ent["enterprise_id"]).union(known)
            accepted_new["enterprises"] = _against_store("enterprises", ent, stored_ent, probs["enterprises"])

        def stored_for(t: str, frame: pd.DataFrame) -> pd.DataFrame:
            if t == "incidents":
                return store.load_incidents()
            # Unique values first: a Python set of a million months boxes a Timestamp per row
            # (a third of a Hải Dương world's ingest).
            months = sorted(pd.Timestamp(m) for m in pd.unique(frame["month"]))
            if stored_indicators is not None:
                return stored_indicators(months)
            return store.stored_indicator_rows(sorted(pd.unique(frame["enterprise_id"])), months)

        for t in ("indicators", "incidents"):
            if t not in tables:
                continue
            frame = typed[t]
            unknown = pd.Index(known).get_indexer(pd.Index(frame["enterprise_id"])) < 0
            bad = frame.index[unknown]
            probs[t].add(
                bad,
                "enterprise_id",
                [
                    f"enterprise_id: unknown enterprise {v!r} (not in this delivery nor in the store)"
                    for v in frame.loc[bad, "enterprise_id"]
                ],
            )
            frame = _resolve_duplicates(t, frame.loc[~unknown], probs[t])
            stored_rows = stored_for(t, frame) if len(frame) else pd.DataFrame()
            accepted_new[t] = _against_store(t, frame, stored_rows, probs[t], delivery.precedence)

        counts: dict[str, TableCounts] = {}
        quarantine: list[pd.DataFrame] = []
        for t in tables:
            reasons = probs[t].reasons()
            n, q = len(raw[t]), len(reasons)
            u = len(unmatched_in.get(t, ()))
            counts[t] = TableCounts(rows_in=n + u, accepted=n - q, quarantined=q, unmatched=u)
            label = raw[t].attrs.get("label", t)
            if n and q > max_bad_share * n:
                first = reasons.iloc[0]
                raise _refuse(
                    label,
                    f"{q} of {n} rows ({q / n:.1%}) are invalid, above "
                    f"max_bad_share {max_bad_share:.0%}; first: row "
                    f"{_row_label(delivery, t, int(reasons.index[0]))}: {first}",
                )
            if q:
                quarantine.append(_quarantine_frame(t, raw[t], reasons, delivery_id, delivery))
        new_rows = {t: len(accepted_new[t]) for t in tables}
        unmatched = _unmatched_frame(unmatched_in, delivery_id, delivery.source_name)
        states_something = any(new_rows.values()) or quarantine or len(unmatched)
        has_coverage = delivery.coverage is not None and len(delivery.coverage) > 0
        if store.has_delivery(delivery_id):
            unchanged = True
        else:
            unchanged = not (states_something or has_coverage or delivery.record_always)
        accepted_volume: list[str] = []
        new_indicators = accepted_new.get("indicators")
        if not unchanged and new_indicators is not None and len(new_indicators):
            history = volume
            if history is None:
                stating = [f for f in _VOLUME_FIELDS if typed["indicators"][f].notna().any()]
                # Only months after the newest one known are judged: when the store already
                # holds this source's rows for the delivery's last month, no month is new and
                # the whole stored history (tens of millions of rows nationally) is not read.
                last = [pd.Timestamp(new_indicators["month"].max())]
                newest = MonthlyEnterprises.of(
                    store.stored_indicator_rows(months=last), delivery.source_name, stating
                )
                if not newest.counts():
                    history = MonthlyEnterprises.of(
                        store.stored_indicator_rows(), delivery.source_name, stating
                    )
            anomalies = (
                volume_anomalies(history.counts(), history.counts_with(new_indicators))
                if history is not None
                else []
            )
            if anomalies and not accept_volume:
                label = raw["indicators"].attrs.get("label", "indicators")
                raise _refuse(label, _volume_refusal(anomalies, delivery.source_name))
            accepted_volume = [a.describe() for a in anomalies]
        report = IngestReport(
            delivery_id=delivery_id,
            source=delivery.source,
            tables=counts,
            new_rows=new_rows if not unchanged else {t: 0 for t in tables},
            status="unchanged" if unchanged else "stored",
        )
        if not unchanged:
            qframe = pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame()
            manifest = {
                **report.to_json(),
                "source_name": delivery.source_name,
                **(delivery.extra_manifest or {}),
                **({"volume_accepted": accepted_volume} if accepted_volume else {}),
                "ingested_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            rows = {t: _with_provenance(t, f, delivery) for t, f in accepted_new.items()}
            store.commit(delivery_id, rows, qframe, manifest, unmatched=unmatched, coverage=delivery.coverage)
    return report


def _row_label(delivery: Delivery, table: str, pos: int) -> str:
    """A row's place for messages: its row in the file when known, else its position."""
    if delivery.rows and table in delivery.rows:
        return f"{int(delivery.rows[table].iloc[pos])}"
    return f"{pos + 1}"


def _unmatched_frame(unmatched: dict[str, pd.DataFrame], delivery_id: str, source_name: str) -> pd.DataFrame:
    """Rows set aside as unmatched, as text, with their delivery, source and table."""
    parts = []
    for table, frame in unmatched.items():
        if len(frame):
            part = frame.astype("str").reset_index(drop=True)
            part.insert(0, "table", table)
            part.insert(0, "source", source_name)
            part.insert(0, "delivery_id", delivery_id)
            parts.append(part)
    return pd.concat(parts, ignore_index=True).astype("str") if parts else pd.DataFrame()
