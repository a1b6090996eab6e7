"""Read a delivery (folder of CSV/Parquet files or a SQLAlchemy URL), validate it against
:mod:`data.schemas`, and add it to the :class:`~data.store.Store`.

Two kinds of problems, two answers:

* a broken *delivery* (missing or unreadable table, not UTF-8, wrong delimiter, missing,
  duplicate or unknown columns, no data rows, too many bad rows) is refused as a whole
  with :class:`~data.errors.IngestRefused`: nothing is stored, nothing quarantined;
* a bad *row* (wrong type, negative count, bad date, unknown enum or enterprise,
  conflicting duplicate, conflict with a stored row) goes to quarantine with a reason,
  and the rest proceeds. For every table ``rows_in == accepted + quarantined``.

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
from collections.abc import Iterable
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

#: Default ceiling on the share of bad rows per table. Above it the delivery is refused
#: rather than quarantined row by row: 5% bad rows means the export itself is broken
#: (wrong unit, shifted columns, truncated file), and training or scoring on the
#: remaining 95% would silently bias the risk scores.
DEFAULT_MAX_BAD_SHARE = 0.05

_BOM = codecs.BOM_UTF8
_WIDE_CHECKS = {
    "closed_not_before_founded": ("closed", "closed: must not be before founded"),
    "ended_not_before_started": ("ended", "ended: must not be before started"),
}
_VALUE_COLUMNS = {t: [c for c in STORED_COLUMNS[t] if c != "reported_at_imputed"] for t in TABLES}


@dataclass(frozen=True)
class TableCounts:
    """Row accounting of one table of one delivery: rows_in = accepted + quarantined."""

    rows_in: int
    accepted: int
    quarantined: int


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
                t: {"rows_in": c.rows_in, "accepted": c.accepted, "quarantined": c.quarantined}
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
    frame = pd.DataFrame({n: _arrow_to_text(tbl.column(i), n, label) for i, n in enumerate(names)})
    return _finish(table, label, frame)


def _safe_url(url: str) -> str:
    try:
        import sqlalchemy as sa

        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - any unparsable URL is shown only by its scheme
        return url.split("://", 1)[0] + "://…"


def _read_sql(url: str) -> dict[str, pd.DataFrame]:
    import sqlalchemy as sa

    shown = _safe_url(url)
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


def read_source(source: str) -> dict[str, pd.DataFrame]:
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
    for table in TABLES:
        csv_path, pq_path = folder / f"{table}.csv", folder / f"{table}.parquet"
        if csv_path.exists() and pq_path.exists():
            raise _refuse(str(folder), f"both {csv_path.name} and {pq_path.name} present; deliver one")
        if csv_path.exists():
            frames[table] = _read_csv(table, csv_path)
        elif pq_path.exists():
            frames[table] = _read_parquet(table, pq_path)
        else:
            raise _refuse(str(folder), f"missing table file {table}.csv or {table}.parquet")
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
    vals = raw[col].to_numpy()[pos]
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
        default = default_indicator_reported_at(typed["month"])
    elif table == "incidents":
        default = default_incident_reported_at(typed["started"])
    else:
        return typed
    imputed = typed["reported_at"].isna()
    typed["reported_at"] = typed["reported_at"].where(~imputed, default)
    typed["reported_at_imputed"] = imputed.astype(bool)
    return typed[list(STORED_COLUMNS[table])]


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


def _against_store(table: str, new: pd.DataFrame, stored: pd.DataFrame, probs: _Problems) -> pd.DataFrame:
    """Drop rows already stored as they are; indicators that differ from a stored row
    with the same key are conflicts, enterprises/incidents that differ are updates."""
    if stored.empty or new.empty:
        return new
    key, vals = list(KEYS[table]), _VALUE_COLUMNS[table]
    right = stored[vals].drop_duplicates(key, keep="last")
    merged = new[vals].reset_index(names="_pos").merge(right, on=key, how="inner", suffixes=("", "_old"))
    if merged.empty:
        return new
    other = [c for c in vals if c not in key]
    old = merged[[f"{c}_old" for c in other]].set_axis(other, axis=1)
    same = _same(merged, old, other)
    drop = merged.loc[same, "_pos"].to_numpy()
    if table == "indicators":
        conflict = merged.loc[~same, "_pos"].to_numpy()
        probs.add(
            conflict,
            "_key",
            "conflicts with a stored row of an earlier delivery "
            "with the same (enterprise_id, month, reported_at)",
        )
        drop = np.concatenate([drop, conflict])
    return new.drop(index=drop)


def _quarantine_frame(table: str, raw: pd.DataFrame, reasons: pd.Series, delivery_id: str) -> pd.DataFrame:
    pos = reasons.index.to_numpy()
    q = raw.iloc[pos].reset_index(drop=True).astype("str")
    q.insert(0, "reason", reasons.to_numpy())
    q.insert(0, "row_number", pd.Series(pos + 1).astype("str"))
    q.insert(0, "table", table)
    q.insert(0, "delivery_id", delivery_id)
    return q.astype("str")


def _source_text(source: str) -> str:
    return _safe_url(source) if "://" in source else str(Path(source).resolve())


def ingest(source: str, store: Store, *, max_bad_share: float = DEFAULT_MAX_BAD_SHARE) -> IngestReport:
    """Validate a delivery and add its new rows to ``store``; bad rows go to quarantine.

    ``max_bad_share`` (default 5%, see :data:`DEFAULT_MAX_BAD_SHARE`) is the largest
    share of quarantined rows tolerated in any table; above it the whole delivery is
    refused, because that many bad rows means a broken export, not a few typos.
    Ingesting the same delivery again changes nothing (status ``"unchanged"``).
    """
    if not 0.0 <= max_bad_share <= 1.0:
        raise ValueError("max_bad_share must be within [0, 1]")
    raw = read_source(source)
    delivery_id = delivery_digest(raw)
    with store.lock():
        store.clean_temp()
        probs = {t: _Problems() for t in TABLES}
        typed = {t: _validate_rows(t, raw[t], probs[t]) for t in TABLES}
        stored_ent = store.load_enterprises()
        ent = _resolve_duplicates("enterprises", typed["enterprises"], probs["enterprises"])
        known = pd.Index(ent["enterprise_id"]).union(pd.Index(stored_ent["enterprise_id"]))
        accepted_new: dict[str, pd.DataFrame] = {
            "enterprises": _against_store("enterprises", ent, stored_ent, probs["enterprises"])
        }
        stored = {"indicators": store.load_indicators, "incidents": store.load_incidents}
        for t in ("indicators", "incidents"):
            frame = typed[t]
            unknown = ~frame["enterprise_id"].isin(known).to_numpy()
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
            accepted_new[t] = _against_store(t, frame, stored[t](), probs[t])

        counts: dict[str, TableCounts] = {}
        quarantine: list[pd.DataFrame] = []
        for t in TABLES:
            reasons = probs[t].reasons()
            n, q = len(raw[t]), len(reasons)
            counts[t] = TableCounts(rows_in=n, accepted=n - q, quarantined=q)
            label = raw[t].attrs.get("label", t)
            if q > max_bad_share * n:
                first = reasons.iloc[0]
                raise _refuse(
                    label,
                    f"{q} of {n} rows ({q / n:.1%}) are invalid, above "
                    f"max_bad_share {max_bad_share:.0%}; first: row "
                    f"{reasons.index[0] + 1}: {first}",
                )
            if q:
                quarantine.append(_quarantine_frame(t, raw[t], reasons, delivery_id))
        new_rows = {t: len(accepted_new[t]) for t in TABLES}
        unchanged = store.has_delivery(delivery_id) or (not any(new_rows.values()) and not quarantine)
        report = IngestReport(
            delivery_id=delivery_id,
            source=_source_text(source),
            tables=counts,
            new_rows=new_rows if not unchanged else {t: 0 for t in TABLES},
            status="unchanged" if unchanged else "stored",
        )
        if not unchanged:
            qframe = pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame()
            manifest = {
                **report.to_json(),
                "ingested_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            store.commit(delivery_id, accepted_new, qframe, manifest)
    return report
