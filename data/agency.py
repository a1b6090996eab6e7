"""Read an agency's file in its own form and map it onto the contract's columns.

A file is fetched through fsspec (a local path or glob, http(s), an object store) or read
from a database with SQLAlchemy; spreadsheets are read with python-calamine. What comes
out is a :class:`~data.ingest.Delivery` in the contract's text form, so the same
validation and quarantine as ``ews ingest`` apply, plus the rows whose ids reached no
enterprise (kept as unmatched, with a reason and the closest candidates).

Everything that makes a whole file unusable (cannot be fetched, a sheet or column that is
not there, a header that moved, an undeclared unit, columns that changed since the last
file) raises :class:`PullRefused` with one line naming the source, the file and the
problem; nothing of that file is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.errors import EwsError
from data.ingest import Delivery
from data.matching import Crosswalk, candidates, match_enterprises, match_keys, normalise_tax_code
from data.schemas import ALL_COLUMNS, COLUMN_KINDS, NUMERIC_KINDS
from data.sources import UNITS, CrosswalkSpec, Source, Sources, Where

#: Largest file a pull reads (bytes); a bigger one is refused, not read into memory.
MAX_FILE_BYTES = 512 * 1024 * 1024
_DATE_FIELDS = frozenset({"founded", "closed", "started", "ended", "reported_at"})
_HEADER_SEARCH_ROWS = 40
_UNIT_IN_TITLE = re.compile(r"(?:đơn vị tính|đvt)\s*:\s*([^\n]+)", re.IGNORECASE)


class PullRefused(EwsError):
    """A source's file cannot be used as a whole; nothing of it was stored."""


class FetchFailed(PullRefused):
    """A file could not be listed or fetched (worth retrying when it is remote)."""


def _refuse(source: str, file: str, problem: str, kind: type[PullRefused] = PullRefused) -> PullRefused:
    line = f"source {source}: {file}: {problem}" if file else f"source {source}: {problem}"
    return kind(line.replace("\n", " ").replace("\r", " "))


def fold(text: str) -> str:
    """Header and label comparison form: NFC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


# ================================================================================ fetching


@dataclass(frozen=True)
class Fetched:
    """One fetched file: its name as shown, its bytes and when it was fetched."""

    name: str
    data: bytes
    fetched_at: dt.datetime

    @property
    def digest(self) -> str:
        """sha256 of the bytes: an unchanged file is recognised and not pulled again."""
        return hashlib.sha256(self.data).hexdigest()


def _shown(url: str) -> str:
    """A location without any password, for messages and the store."""
    if "://" in url and "@" in url.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = url.split("://", 1)
        host = rest.split("@", 1)[1]
        return f"{scheme}://***@{host}"
    return url


def _is_sql(location: str) -> bool:
    scheme = location.split("://", 1)[0].lower() if "://" in location else ""
    return scheme.split("+", 1)[0] in {
        "sqlite",
        "postgresql",
        "postgres",
        "mysql",
        "mssql",
        "oracle",
        "duckdb",
    }


def list_files(name: str, source: Source | CrosswalkSpec, base: Path) -> list[str]:
    """The files a source's location names, sorted (a glob may name many)."""
    import fsspec

    location = source.location
    if isinstance(source, Source) and source.format == "sql":
        return [location]
    if "://" not in location:
        path = Path(location)
        location = str(path if path.is_absolute() else base / path)
    if location.startswith(("http://", "https://")):
        return [location]
    try:
        files = fsspec.open_files(location, mode="rb")
    except Exception as exc:  # noqa: BLE001 - any fsspec backend error or missing driver
        raise _refuse(
            name, _shown(location), f"cannot list files ({type(exc).__name__}: {exc})", FetchFailed
        ) from None
    out = sorted(f.full_name if "://" in source.location else f.path for f in files)
    return out


def fetch(name: str, url: str, *, max_bytes: int = MAX_FILE_BYTES) -> Fetched:
    """Read one file's bytes through fsspec (refused above ``max_bytes``)."""
    import fsspec

    try:
        with fsspec.open(url, mode="rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise _refuse(name, _shown(url), "no such file", FetchFailed) from None
    except Exception as exc:  # noqa: BLE001 - network, permission, backend errors
        raise _refuse(name, _shown(url), f"cannot fetch ({type(exc).__name__}: {exc})", FetchFailed) from None
    if len(data) > max_bytes:
        raise _refuse(name, _shown(url), f"larger than {max_bytes} bytes; refused")
    return Fetched(_shown(url), data, dt.datetime.now(dt.UTC))


# ================================================================================= reading


@dataclass(frozen=True)
class RawFile:
    """A file's cells below its header (Python values: str, int, float, date, None)."""

    header: list[str]
    cells: pd.DataFrame
    row_numbers: np.ndarray
    title: str


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _cell(value: Any) -> Any:
    if _missing(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _rows_of_sheet(source: str, file: str, data: bytes, sheet: str | None) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise _refuse(source, file, f"not a readable spreadsheet ({exc})") from None
    names = list(book.sheet_names)
    if sheet is None:
        if not names:
            raise _refuse(source, file, "the workbook has no sheet")
        sheet = names[0]
    if sheet not in names:
        raise _refuse(source, file, f"no sheet {sheet!r} (sheets: {', '.join(names)})")
    return [list(r) for r in book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)]


def _rows_of_csv(source: str, file: str, data: bytes, delimiter: str, encoding: str) -> list[list[Any]]:
    import csv

    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _refuse(source, file, f"not valid {encoding} at byte {exc.start}") from None
    if "\x00" in text:
        raise _refuse(source, file, "binary content (NUL byte), not a CSV file")
    text = text.removeprefix("\ufeff")
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise _refuse(source, file, f"malformed CSV ({exc})") from None


def _rows_of_parquet(source: str, file: str, data: bytes) -> list[list[Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _refuse(source, file, f"unreadable Parquet ({str(exc).splitlines()[0][:200]})") from None
    columns = [str(c) for c in table.column_names]
    body = [list(r.values()) for r in table.to_pylist()]
    return [columns, *body]


def read_rows(source: str, spec: Source | CrosswalkSpec, fetched: Fetched) -> list[list[Any]]:
    """Every row of a fetched file as a list of cells (header and title rows included)."""
    if spec.format == "xlsx":
        return _rows_of_sheet(source, fetched.name, fetched.data, spec.sheet)
    if spec.format == "csv":
        return _rows_of_csv(source, fetched.name, fetched.data, spec.delimiter, spec.encoding)
    if spec.format == "parquet":
        return _rows_of_parquet(source, fetched.name, fetched.data)
    raise _refuse(source, fetched.name, f"format {spec.format!r} is not read from a file")


def read_sql(source: str, spec: Source) -> tuple[Fetched, list[list[Any]]]:
    """Run a SQL source's query; its result, as JSON, stands for the file's bytes."""
    import sqlalchemy as sa

    shown = _shown(spec.location)
    try:
        engine = sa.create_engine(spec.location)
        with engine.connect() as con:
            result = con.execute(sa.text(spec.query or ""))
            columns = [str(c) for c in result.keys()]  # noqa: SIM118 - a Result, not a dict
            body = [list(r) for r in result.fetchall()]
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - connection, driver and SQL errors of any dialect
        first = str(exc).splitlines()[0][:200]
        raise _refuse(source, shown, f"cannot run the query ({type(exc).__name__}: {first})") from None
    payload = json.dumps([columns, *body], default=str, ensure_ascii=False).encode()
    return Fetched(shown, payload, dt.datetime.now(dt.UTC)), [columns, *body]


def locate_header(
    source: str, file: str, rows: list[list[Any]], header_row: int, wanted: list[str]
) -> RawFile:
    """Split rows into title, header and cells; refuse when the header is not where declared."""
    if len(rows) < header_row:
        raise _refuse(source, file, f"has {len(rows)} rows, the header should be in row {header_row}")
    header = [fold(str(c)) if c is not None else "" for c in rows[header_row - 1]]
    missing = [w for w in wanted if fold(w) not in header]
    if missing:
        for i, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
            cells = {fold(str(c)) for c in row if c is not None}
            if i != header_row - 1 and all(fold(w) in cells for w in wanted):
                raise _refuse(
                    source, file, f"the header is in row {i + 1}, not row {header_row}: the header moved"
                )
        found = ", ".join(repr(str(c)) for c in rows[header_row - 1] if c not in (None, ""))
        s = "s" if len(missing) > 1 else ""
        raise _refuse(
            source,
            file,
            f"column{s} {', '.join(repr(m) for m in missing)} not in the header (row {header_row}: {found or 'empty'})",
        )
    title = "\n".join(" ".join(str(c) for c in row if c not in (None, "")) for row in rows[: header_row - 1])
    body = rows[header_row:]
    width = len(header)
    body = [(r + [None] * width)[:width] for r in body]
    table = pd.DataFrame(body, columns=range(width), dtype=object).map(_cell)
    keep = table.notna().any(axis=1).to_numpy()  # blank lines say nothing
    numbers = np.arange(header_row + 1, header_row + 1 + len(body))[keep]
    table = table.loc[keep].reset_index(drop=True)
    table.columns = pd.Index(header)
    table = table.loc[:, ~table.columns.duplicated()]
    return RawFile(header=[str(c) if c is not None else "" for c in rows[header_row - 1]], cells=table,
                   row_numbers=numbers, title=title)  # fmt: skip


# ================================================================================= values


def _number_text(value: Any, style: str) -> str | None:
    """A number cell as canonical text ('1234.5'); text kept as it is when it is no number."""
    if _missing(value):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if style == "vi":
        candidate = text.replace(".", "").replace(",", ".")
        if re.fullmatch(r"-?\d{1,3}(\.\d{3})*(,\d+)?|-?\d+(,\d+)?", text):
            return candidate
        return text
    if style == "en":
        if re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d+)?|-?\d+(\.\d+)?", text):
            return text.replace(",", "")
        return text
    return text


def _scaled(text: str | None, factor: int) -> str | None:
    if text is None or factor == 1:
        return text
    try:
        value = Decimal(text) * factor
    except InvalidOperation:
        return text
    out = format(value.normalize(), "f")
    return out


def _date_text(value: Any, fmt: str, *, month: bool = False) -> str | None:
    """A date cell as ISO text (YYYY-MM for a month); unparsable text kept as it is."""
    if _missing(value):
        return None
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        value = value.date() if not isinstance(value, pd.Timestamp) else value.to_pydatetime().date()
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m" if month else "%Y-%m-%d")
    text = str(value).strip()
    for pattern in (fmt, "%Y-%m" if month else "%Y-%m-%d"):
        try:
            parsed = dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
        return parsed.strftime("%Y-%m" if month else "%Y-%m-%d")
    return text


def _plain_text(value: Any) -> str | None:
    if _missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip() or None


def _whole_file_value(
    source: str, spec: Source, where: Where, fetched: Fetched, raw: RawFile, *, month: bool
) -> str:
    """A month or date stated once for the whole file (title rows, file name, fetch time)."""
    what = "month" if month else "reported_at"
    fmt = where.format or (spec.formats.month if month else spec.formats.date)
    if where.fetch:
        local = fetched.fetched_at.astimezone(dt.timezone(dt.timedelta(hours=7)))
        return local.strftime("%Y-%m" if month else "%Y-%m-%d")
    if where.value is not None:
        text = where.value
    else:
        pattern = where.title if where.title is not None else where.filename
        haystack = raw.title if where.title is not None else Path(fetched.name).name
        place = "the title rows" if where.title is not None else "the file name"
        found = re.search(str(pattern), haystack, flags=re.IGNORECASE)
        if not found:
            raise _refuse(source, fetched.name, f"{what}: {pattern!r} not found in {place}")
        text = found.group(1)
    parsed = _date_text(text, fmt, month=month)
    if parsed is None or not re.fullmatch(r"\d{4}-\d{2}" if month else r"\d{4}-\d{2}-\d{2}", parsed):
        raise _refuse(source, fetched.name, f"{what}: {text!r} does not read as {fmt}")
    return parsed


def _check_title_unit(source: str, spec: Source, fetched: Fetched, raw: RawFile) -> None:
    """Refuse a file whose title states a unit the sources file does not declare."""
    found = _UNIT_IN_TITLE.search(raw.title)
    if not found:
        return
    stated = fold(found.group(1)).strip(" .;")
    units = {fold(u) for u in UNITS}
    declared = {fold(u) for u in spec.units.values()}
    if stated not in units:
        raise _refuse(source, fetched.name, f"undeclared unit {found.group(1).strip()!r} in the title rows")
    if declared and stated not in declared:
        raise _refuse(
            source,
            fetched.name,
            f"the title says amounts are in {stated}, the sources file declares {', '.join(sorted(declared))}",
        )


# ================================================================================= mapping


@dataclass
class Mapped:
    """One file mapped: a delivery to ingest, plus what a dry run shows."""

    delivery: Delivery
    header: list[str]
    preview: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def wanted_columns(spec: Source) -> list[str]:
    """Columns a file of this source must have."""
    wanted = list(spec.columns)
    wanted += [a.column for a in spec.match.crosswalks]
    wanted += [c for c in (spec.match.name,) if c]
    return list(dict.fromkeys(wanted))


def load_crosswalk(name: str, spec: CrosswalkSpec, base: Path) -> Crosswalk:
    """Read a declared crosswalk file into a :class:`Crosswalk`."""
    files = list_files(f"crosswalk {name}", spec, base)
    if not files:
        raise _refuse(f"crosswalk {name}", spec.location, "no such file")
    fetched = fetch(f"crosswalk {name}", files[-1])
    rows = read_rows(f"crosswalk {name}", spec, fetched)
    raw = locate_header(
        f"crosswalk {name}", fetched.name, rows, spec.header_row, [spec.key, spec.enterprise_id]
    )
    keys = raw.cells[fold(spec.key)].map(_plain_text)
    ids = raw.cells[fold(spec.enterprise_id)].map(_plain_text)
    ok = keys.notna() & ids.notna()
    return Crosswalk(name, dict(zip(keys[ok].astype(str), ids[ok].astype(str), strict=True)))


def map_file(
    name: str,
    spec: Source,
    fetched: Fetched,
    rows: list[list[Any]],
    *,
    enterprises: pd.DataFrame,
    crosswalks: Mapping[str, Crosswalk],
    confirmed: Mapping[str, str],
    config_digest: str,
    previous_header: list[str] | None,
) -> Mapped:
    """Map one fetched file onto its contract table (a :class:`Delivery` ready to ingest)."""
    raw = locate_header(name, fetched.name, rows, spec.header_row, wanted_columns(spec))
    if previous_header is not None:
        before, now = [fold(c) for c in previous_header if c], [fold(c) for c in raw.header if c]
        if before != now:
            added = [c for c in now if c not in before]
            removed = [c for c in before if c not in now]
            diff = "; ".join(
                part
                for part in (
                    f"added {', '.join(map(repr, added))}" if added else "",
                    f"removed {', '.join(map(repr, removed))}" if removed else "",
                    "same columns in another order" if not added and not removed else "",
                )
                if part
            )
            raise _refuse(
                name, fetched.name, f"its columns changed since the last file ({diff}); refused, not remapped"
            )
    _check_title_unit(name, spec, fetched, raw)
    table = spec.table
    kinds = COLUMN_KINDS[table]
    frame = pd.DataFrame(index=raw.cells.index)
    values = {f: {fold(k): v for k, v in m.items()} for f, m in spec.values.items()}
    for column, target in spec.columns.items():
        cells = raw.cells[fold(column)]
        kind = kinds[target]
        if target == "enterprise_id":
            out = cells.map(_plain_text)
        elif target == "month":
            out = cells.map(lambda v: _date_text(v, spec.formats.month, month=True))
        elif target in _DATE_FIELDS:
            fmt = (
                spec.reported_at.format
                if target == "reported_at" and spec.reported_at and spec.reported_at.format
                else spec.formats.date
            )
            out = cells.map(lambda v, fmt=fmt: _date_text(v, fmt))
        elif kind in NUMERIC_KINDS:
            factor = UNITS[spec.units[target]] if target in spec.units else 1
            out = cells.map(lambda v, f=factor: _scaled(_number_text(v, spec.formats.number), f))
        else:
            out = cells.map(_plain_text)
            if target in values:
                mapping = values[target]
                out = out.map(lambda v, m=mapping: None if _missing(v) else m.get(fold(str(v)), v))
        frame[target] = pd.Series(out, dtype="str")
    if spec.month is not None and spec.month.column is None:
        frame["month"] = _whole_file_value(name, spec, spec.month, fetched, raw, month=True)
    if spec.reported_at is not None and spec.reported_at.column is None:
        frame["reported_at"] = _whole_file_value(name, spec, spec.reported_at, fetched, raw, month=False)
    for column in ALL_COLUMNS[table]:
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="str")
    frame = frame[list(ALL_COLUMNS[table])].astype("str")
    frame.attrs["label"] = fetched.name

    # The enterprise key.
    tax = frame["enterprise_id"] if "enterprise_id" in spec.columns.values() else None
    alternates = [
        (raw.cells[fold(a.column)].map(_plain_text).astype("str"), crosswalks[a.crosswalk])
        for a in spec.match.crosswalks
    ]
    if table == "enterprises":
        frame["enterprise_id"] = normalise_tax_code(frame["enterprise_id"])
        matched = pd.Series(True, index=frame.index)
    else:
        known = pd.Index(enterprises["enterprise_id"])
        result = match_enterprises(tax, known, alternates=alternates, confirmed=confirmed)
        matched = result.enterprise_id.notna()
        keys = match_keys(tax, alternates)
        frame["enterprise_id"] = result.enterprise_id.astype("str")
    file_names = pd.Series(fetched.name, index=frame.index, dtype="str")
    row_numbers = pd.Series(raw.row_numbers, index=frame.index)
    unmatched: dict[str, pd.DataFrame] = {}
    if not matched.all():
        lost = ~matched
        names = raw.cells[fold(spec.match.name)].map(_plain_text).astype("str") if spec.match.name else None
        provinces = None
        if spec.match.province:
            provinces = pd.Series(spec.match.province, index=frame.index, dtype="str")
        kept = frame.loc[lost].drop(columns=["enterprise_id"]).copy()
        kept.insert(0, "key", keys[lost].to_numpy())
        kept.insert(0, "row_number", row_numbers[lost].astype("str").to_numpy())
        kept.insert(0, "file", fetched.name)
        kept["reason"] = result.reason[lost].to_numpy()
        kept["name"] = names[lost].to_numpy() if names is not None else pd.NA
        if names is not None:
            cands = candidates(names[lost], provinces[lost] if provinces is not None else None, enterprises)
            kept["candidates"] = cands.to_numpy()
        else:
            kept["candidates"] = pd.NA
        unmatched[table] = kept.astype("str").reset_index(drop=True)
    body = frame.loc[matched].reset_index(drop=True)
    body.attrs["label"] = fetched.name
    files = file_names.loc[matched].reset_index(drop=True)
    numbers = row_numbers.loc[matched].reset_index(drop=True)

    coverage = None
    if spec.complete:
        fields = ",".join(spec.indicator_fields())
        assert spec.month is not None and spec.reported_at is not None  # the sources file checks
        month = _whole_file_value(name, spec, spec.month, fetched, raw, month=True)
        reported = _whole_file_value(name, spec, spec.reported_at, fetched, raw, month=False)
        listed = sorted(set(body["enterprise_id"].dropna()))
        coverage = pd.DataFrame({
            "source": name, "month": month, "reported_at": reported, "fields": fields,
            "precedence": str(spec.precedence), "enterprise_id": pd.Series([*listed, None], dtype="str"),
        })  # fmt: skip
        coverage["precedence"] = coverage["precedence"].astype("int64")
    delivery_id = hashlib.sha256(f"{fetched.digest}|{config_digest}".encode()).hexdigest()
    delivery = Delivery(
        frames={table: body},
        source=f"{name}: {fetched.name}",
        source_name=name,
        precedence=spec.precedence,
        files={table: files},
        rows={table: numbers},
        unmatched=unmatched,
        coverage=coverage,
        delivery_id=delivery_id,
        record_always=True,
        extra_manifest={"file": fetched.name, "file_digest": fetched.digest, "header": raw.header},
    )
    preview = frame.head(5).copy()
    return Mapped(delivery=delivery, header=raw.header, preview=preview)


def config_digest(
    sources: Sources, name: str, crosswalks: Mapping[str, Crosswalk], confirmed: Mapping[str, str]
) -> str:
    """Digest of everything besides the file that decides how its rows map.

    A file is pulled again when this changes (a confirmed match, a new crosswalk entry, a
    corrected mapping); rows already stored are recognised and not stored twice.
    """
    spec = sources.source(name)
    used = {a.crosswalk: sorted(crosswalks[a.crosswalk].mapping.items()) for a in spec.match.crosswalks}
    payload = json.dumps(
        {"spec": spec.model_dump(mode="json"), "crosswalks": used, "confirmed": sorted(confirmed.items())},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()
