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
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.errors import EwsError
from data.ingest import CHANGED_WHILE_READ, Delivery, file_state
from data.matching import (
    Crosswalk,
    candidates,
    match_enterprises,
    match_keys,
    normalise_tax_code,
    pad_tax_code,
)
from data.schemas import ALL_COLUMNS, COLUMN_KINDS, NUMERIC_KINDS
from data.sources import UNITS, CrosswalkSpec, Source, Sources, Where
from data.urls import shown_url

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
            name, shown_url(location), f"cannot list files ({type(exc).__name__}: {exc})", FetchFailed
        ) from None
    out = sorted(f.full_name if "://" in source.location else f.path for f in files)
    return out


#: The keys of an fsspec ``info`` that change when a remote file does: its size, and
#: whichever of an ETag, a checksum, a version or a modification time the backend gives
#: (http: ETag, Content-MD5, Digest, Last-Modified; S3: ETag, LastModified, VersionId;
#: GCS: md5Hash, generation, updated).
_REMOTE_STATE_KEYS = (
    "size", "ETag", "etag", "Content-MD5", "Digest", "Last-Modified", "LastModified",
    "last_modified", "VersionId", "md5Hash", "generation", "updated", "mtime",
)  # fmt: skip


def _remote_state(url: str) -> tuple[tuple[str, str], ...] | None:
    """What the server or object store says of a file now (None when it says nothing)."""
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(url)
        fs.invalidate_cache(path)  # an object store's listing cache would answer the same twice
        info = fs.info(path)
    except Exception:  # noqa: BLE001 - a backend without info (or a HEAD refused) states nothing
        return None
    state = tuple((k, str(info[k])) for k in _REMOTE_STATE_KEYS if info.get(k) is not None)
    return state or None


def fetch(name: str, url: str, *, max_bytes: int = MAX_FILE_BYTES) -> Fetched:
    """Read one file's bytes through fsspec (refused above ``max_bytes``).

    A file that changes while it is read is still being written upstream and is refused,
    never half-read (B24): a local file's size, modification time and inode are compared
    before and after the read (and its size with the bytes read); a remote one's size and
    ETag, checksum or modification time, when its server or object store states them.
    """
    import stat

    import fsspec

    local = "://" not in url or url.startswith("file://")
    before: Any = None
    if local:
        # A local path: only a regular file (a named pipe would hang, a device never ends).
        path = Path(url.removeprefix("file://"))
        try:
            info = path.stat()
        except OSError:
            raise _refuse(name, shown_url(url), "no such file", FetchFailed) from None
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(
                name, shown_url(url), "not a regular file (a pipe, a device or a folder); refused, not read"
            )
        before = file_state(path)
    else:
        before = _remote_state(url)
    try:
        with fsspec.open(url, mode="rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise _refuse(name, shown_url(url), "no such file", FetchFailed) from None
    except Exception as exc:  # noqa: BLE001 - network, permission, backend errors
        raise _refuse(
            name, shown_url(url), f"cannot fetch ({type(exc).__name__}: {exc})", FetchFailed
        ) from None
    if len(data) > max_bytes:
        raise _refuse(name, shown_url(url), f"larger than {max_bytes} bytes; refused")
    if local:
        now = file_state(path)
        changed = now != before or (now is not None and now[0] != len(data))
    else:
        remote_now = _remote_state(url) if before is not None else None
        changed = remote_now is not None and remote_now != before
    if changed:
        raise _refuse(name, shown_url(url), CHANGED_WHILE_READ, FetchFailed)
    return Fetched(shown_url(url), data, dt.datetime.now(dt.UTC))


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


def _cell_text(value: Any, style: str) -> str | None:
    """A typed cell (spreadsheet, Parquet, SQL) as the text the file would have shown.

    Numbers are written in the source's own number style, so that one text parser reads
    typed and written numbers alike; dates as ISO (which every date parser also accepts).
    """
    if _missing(value):
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if float(value).is_integer():
            return str(int(value))
        text = repr(float(value))
        return text.replace(".", ",") if style == "vi" else text
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip() or None


@dataclass(frozen=True)
class Grid:
    """A file as read: its first rows as cells (to find the header), its rows as text.

    ``body`` holds the rows after ``header_row`` as text (positional columns, missing =
    NA) and ``numbers`` their 1-based row in the file.
    """

    head: list[list[Any]]
    body: pd.DataFrame
    numbers: np.ndarray


def _grid_of_rows(rows: list[list[Any]], header_row: int, style: str) -> Grid:
    body_rows = rows[header_row:]
    width = max((len(r) for r in rows[: max(header_row, 1)]), default=0)
    width = max(width, max((len(r) for r in body_rows), default=0))
    cells = [[_cell_text(v, style) for v in (r + [None] * width)[:width]] for r in body_rows]
    body = (
        pd.DataFrame(cells, columns=range(width), dtype="str")
        if cells
        else pd.DataFrame({i: pd.Series([], dtype="str") for i in range(width)})
    )
    numbers = np.arange(header_row + 1, header_row + 1 + len(body_rows))
    return Grid(head=rows[:_HEADER_SEARCH_ROWS], body=body, numbers=numbers)


def _grid_of_sheet(
    source: str, file: str, data: bytes, sheet: str | None, header_row: int, style: str
) -> Grid:
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
    rows = [list(r) for r in book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)]
    return _grid_of_rows(rows, header_row, style)


def _grid_of_csv(source: str, file: str, data: bytes, delimiter: str, encoding: str, header_row: int) -> Grid:
    """CSV through pyarrow (every column as text); the first rows through the csv module."""
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _refuse(source, file, f"not valid {encoding} at byte {exc.start}") from None
    if "\x00" in text:
        raise _refuse(source, file, "binary content (NUL byte), not a CSV file")
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    try:
        head = [
            list(r)
            for r in csv.reader(io.StringIO("\n".join(lines[:_HEADER_SEARCH_ROWS])), delimiter=delimiter)
        ]
    except csv.Error as exc:
        raise _refuse(source, file, f"malformed CSV ({exc})") from None
    width = len(head[header_row - 1]) if len(head) >= header_row else 0
    names = [f"c{i}" for i in range(width)]
    if width == 0 or len(lines) <= header_row:
        body = pd.DataFrame({i: pd.Series([], dtype="str") for i in range(width)})
        return Grid(head=head, body=body, numbers=np.zeros(0, dtype=np.int64))
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=header_row, block_size=1 << 26),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, ValueError) as exc:
        raise _refuse(source, file, f"malformed CSV ({str(exc).splitlines()[0][:200]})") from None
    body = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get)
    body.columns = pd.RangeIndex(width)
    body = body.astype("str")
    for column in body.columns:
        body[column] = body[column].str.strip().replace("", np.nan)
    # Row numbers: pyarrow skips blank lines; without quoted line breaks, count them back.
    if '"' not in text:
        filled = np.flatnonzero([bool(line.strip()) for line in lines[header_row:]])
        numbers = (filled + header_row + 1)[: len(body)]
    else:
        numbers = np.arange(header_row + 1, header_row + 1 + len(body))
    return Grid(head=head, body=body, numbers=numbers)


def _grid_of_parquet(source: str, file: str, data: bytes, style: str) -> Grid:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _refuse(source, file, f"unreadable Parquet ({str(exc).splitlines()[0][:200]})") from None
    columns = [str(c) for c in table.column_names]
    body = [list(r.values()) for r in table.to_pylist()]
    return _grid_of_rows([columns, *body], 1, style)


def read_grid(source: str, spec: Source | CrosswalkSpec, fetched: Fetched) -> Grid:
    """A fetched file as a :class:`Grid` (its first rows and its rows below the header)."""
    style = spec.formats.number if isinstance(spec, Source) else "plain"
    if spec.format == "xlsx":
        return _grid_of_sheet(source, fetched.name, fetched.data, spec.sheet, spec.header_row, style)
    if spec.format == "csv":
        return _grid_of_csv(
            source, fetched.name, fetched.data, spec.delimiter, spec.encoding, spec.header_row
        )
    if spec.format == "parquet":
        return _grid_of_parquet(source, fetched.name, fetched.data, style)
    raise _refuse(source, fetched.name, f"format {spec.format!r} is not read from a file")


def read_sql(source: str, spec: Source) -> tuple[Fetched, Grid]:
    """Run a SQL source's query; its result, as JSON, stands for the file's bytes."""
    import sqlalchemy as sa

    shown = shown_url(spec.location)
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
    fetched = Fetched(shown, payload, dt.datetime.now(dt.UTC))
    return fetched, _grid_of_rows([columns, *body], 1, spec.formats.number)


def locate_header(source: str, file: str, grid: Grid, header_row: int, wanted: list[str]) -> RawFile:
    """Name the columns of a grid from its header row; refuse when the header is not there."""
    rows = grid.head
    if len(rows) < header_row:
        raise _refuse(source, file, f"has {len(rows)} rows, the header should be in row {header_row}")
    header = [fold(str(c)) if not _missing(c) else "" for c in rows[header_row - 1]]
    missing = [w for w in wanted if fold(w) not in header]
    if missing:
        for i, row in enumerate(rows):
            cells = {fold(str(c)) for c in row if not _missing(c)}
            if i != header_row - 1 and all(fold(w) in cells for w in wanted):
                raise _refuse(
                    source, file, f"the header is in row {i + 1}, not row {header_row}: the header moved"
                )
        found = ", ".join(repr(str(c)) for c in rows[header_row - 1] if not _missing(c) and c != "")
        s = "s" if len(missing) > 1 else ""
        raise _refuse(
            source,
            file,
            f"column{s} {', '.join(repr(m) for m in missing)} not in the header (row {header_row}: {found or 'empty'})",
        )
    title = "\n".join(
        " ".join(str(c) for c in row if not _missing(c) and c != "") for row in rows[: header_row - 1]
    )
    body = grid.body.reindex(columns=range(len(header)))
    keep = body.notna().any(axis=1).to_numpy()  # blank lines say nothing
    body = body.loc[keep].reset_index(drop=True)
    body.columns = pd.Index(header)
    body = body.loc[:, ~body.columns.duplicated()]
    raw_header = [str(c) if not _missing(c) else "" for c in rows[header_row - 1]]
    return RawFile(header=raw_header, cells=body, row_numbers=grid.numbers[keep], title=title)


# ================================================================================= values


#: A currency written after an amount ("1.500.000 đ", "12.500 VNĐ"): not part of the number.
_CURRENCY = r"(?i)(?:₫|đ|đồng|vnđ|vnd)$"
_NUMBER_PATTERNS = {
    "vi": r"-?\d{1,3}(?:\.\d{3})*(?:,\d+)?|-?\d+(?:,\d+)?",
    "en": r"-?\d{1,3}(?:,\d{3})*(?:\.\d+)?|-?\d+(?:\.\d+)?",
    "plain": r"-?\d+(?:\.\d+)?",
}


def numbers_text(text: pd.Series, style: str, factor: int = 1) -> pd.Series:
    """Numbers written in ``style`` as canonical text ('1234.5'), times ``factor`` (a unit).

    Text that is no number in that style is kept as it is, so that validation quarantines
    it with the original shown. Scaling is exact: integers get zeros appended, decimals
    go through ``Decimal``.
    """
    compact = text.str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    ok = compact.str.fullmatch(_NUMBER_PATTERNS[style]).fillna(False).astype(bool)
    # A currency written after an amount: only text that is no number as it stands can end
    # in one, so only that text is stripped and tried again (the same result as stripping
    # every cell, without a regular expression over millions of plain numbers).
    retry = ~ok & compact.notna()
    if retry.any():
        stripped = compact[retry].str.replace(_CURRENCY, "", regex=True)
        compact = compact.copy()
        mask = retry.to_numpy()
        compact[mask] = stripped.to_numpy()
        ok[mask] = stripped.str.fullmatch(_NUMBER_PATTERNS[style]).fillna(False).astype(bool).to_numpy()
    if style == "vi":
        canonical = compact.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    elif style == "en":
        canonical = compact.str.replace(",", "", regex=False)
    else:
        canonical = compact
    out = canonical.where(ok, text)
    if factor != 1:
        whole = ok & ~canonical.str.contains(".", regex=False).fillna(False).astype(bool)
        zeros = str(factor)[1:]
        out = out.where(~whole, canonical + zeros)
        for index in out.index[ok & ~whole]:
            value = Decimal(str(canonical[index])) * factor
            out[index] = format(value.normalize(), "f")
    return out.astype("str")


def dates_text(text: pd.Series, fmt: str, *, month: bool = False) -> pd.Series:
    """Dates written as ``fmt`` (or ISO) as ISO text (``YYYY-MM`` for a month); others kept."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    if len(uniques) < len(text) // 2:  # files repeat a few dates: parse each once
        shown = _dates_text(pd.Series(uniques, dtype="str"), fmt, month=month).to_numpy(dtype=object)
        picked = shown[np.maximum(codes, 0)]
        picked[codes < 0] = None
        return pd.Series(picked, index=text.index, dtype="str")
    return _dates_text(text, fmt, month=month)


def _dates_text(text: pd.Series, fmt: str, *, month: bool) -> pd.Series:
    iso = "%Y-%m" if month else "%Y-%m-%d"
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    # ISO forms are unambiguous; a month column may also hold a spreadsheet date cell.
    for other in (iso, "%Y-%m-%d") if month else (iso,):
        if other != fmt:
            parsed = parsed.fillna(pd.to_datetime(text, format=other, errors="coerce"))
    values = parsed.to_numpy("datetime64[ns]")
    shown = np.datetime_as_string(values, unit="M" if month else "D")  # C speed, unlike strftime
    out = pd.Series(shown, index=text.index, dtype="str")
    return out.where(parsed.notna(), text).astype("str")


def folded(text: pd.Series) -> pd.Series:
    """:func:`fold` over a Series (NA stays NA)."""
    return text.str.normalize("NFC").str.casefold().str.replace(r"\s+", " ", regex=True).str.strip()


def _date_text(value: str, fmt: str, *, month: bool = False) -> str | None:
    """One date as ISO text, or None when it does not read as ``fmt`` (nor ISO)."""
    out = dates_text(pd.Series([value], dtype="str"), fmt, month=month).iloc[0]
    return None if pd.isna(out) else str(out)


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
    parsed = _date_text(text.strip(), fmt, month=month)
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


def known_ids(enterprises: pd.DataFrame) -> pd.Index:
    """The enterprise keys as a unique text index (built once per pull: its hash table is reused)."""
    return pd.Index(enterprises["enterprise_id"].dropna().astype("str")).unique()


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
    grid = read_grid(f"crosswalk {name}", spec, fetched)
    raw = locate_header(
        f"crosswalk {name}", fetched.name, grid, spec.header_row, [spec.key, spec.enterprise_id]
    )
    keys = raw.cells[fold(spec.key)]
    ids = raw.cells[fold(spec.enterprise_id)]
    ok = keys.notna() & ids.notna()
    return Crosswalk(name, dict(zip(keys[ok].astype(str), ids[ok].astype(str), strict=True)))


def map_file(
    name: str,
    spec: Source,
    fetched: Fetched,
    grid: Grid,
    *,
    enterprises: pd.DataFrame,
    crosswalks: Mapping[str, Crosswalk],
    confirmed: Mapping[str, str],
    config_digest: str,
    previous_header: list[str] | None,
    known: pd.Index | None = None,
) -> Mapped:
    """Map one fetched file onto its contract table (a :class:`Delivery` ready to ingest)."""
    raw = locate_header(name, fetched.name, grid, spec.header_row, wanted_columns(spec))
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
        if target == "month":
            out = dates_text(cells, spec.formats.month, month=True)
        elif target in _DATE_FIELDS:
            fmt = (
                spec.reported_at.format
                if target == "reported_at" and spec.reported_at and spec.reported_at.format
                else spec.formats.date
            )
            out = dates_text(cells, fmt)
        elif kind in NUMERIC_KINDS:
            factor = UNITS[spec.units[target]] if target in spec.units else 1
            out = numbers_text(cells, spec.formats.number, factor)
        else:
            out = cells
            if target in values:
                out = folded(cells).map(values[target]).fillna(cells)
        frame[target] = out.astype("str")
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
    alternates = [(raw.cells[fold(a.column)], crosswalks[a.crosswalk]) for a in spec.match.crosswalks]
    if table == "enterprises":
        # The registry defines the keys: a tax code its spreadsheet stored as a number lost
        # its leading zero(s); a tax code has 10 digits, so they are written back.
        frame["enterprise_id"] = pad_tax_code(normalise_tax_code(frame["enterprise_id"]))
        matched = pd.Series(True, index=frame.index)
    else:
        if known is None:
            known = known_ids(enterprises)
        result = match_enterprises(tax, known, alternates=alternates, confirmed=confirmed)
        matched = result.enterprise_id.notna()
        frame["enterprise_id"] = result.enterprise_id.astype("str")
    file_names = pd.Series(fetched.name, index=frame.index, dtype="str")
    row_numbers = pd.Series(raw.row_numbers, index=frame.index)
    unmatched: dict[str, pd.DataFrame] = {}
    if not matched.all():
        lost = ~matched
        names = raw.cells[fold(spec.match.name)] if spec.match.name else None
        provinces = None
        if spec.match.province:
            provinces = pd.Series(spec.match.province, index=frame.index, dtype="str")
        keys = match_keys(
            tax[lost] if tax is not None else None, [(values[lost], cw) for values, cw in alternates]
        )
        kept = frame.loc[lost].drop(columns=["enterprise_id"]).copy()
        kept.insert(0, "key", keys.to_numpy())
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
        coverage = _coverage(name, spec, fetched, raw, body)
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


def _coverage(name: str, spec: Source, fetched: Fetched, raw: RawFile, body: pd.DataFrame) -> pd.DataFrame:
    """The complete lists a file states: per month it covers, the enterprises it names.

    The list's date is the file's (``reported_at`` from its title, name or fetch time). Its
    month is the file's too, or each month its rows give (a list of several months).
    Every matched row names its enterprise, whether its figures pass validation or not: a
    firm on the list with a malformed amount owes something, not nothing.
    """
    assert spec.reported_at is not None  # the sources file requires it for a complete list
    fields = ",".join(spec.indicator_fields())
    reported = _whole_file_value(name, spec, spec.reported_at, fetched, raw, month=False)
    if spec.month is not None and spec.month.column is None:
        months = [_whole_file_value(name, spec, spec.month, fetched, raw, month=True)]
    else:
        valid = body["month"].str.fullmatch(r"\d{4}-\d{2}").fillna(False).astype(bool)
        months = sorted(pd.unique(body.loc[valid, "month"]))
    parts = []
    for month in months:
        named = (
            body.loc[body["month"] == month, "enterprise_id"] if len(months) > 1 else body["enterprise_id"]
        )
        listed = sorted(set(named.dropna()))
        parts.append(pd.DataFrame({
            "source": name, "month": month, "reported_at": reported, "fields": fields,
            "precedence": spec.precedence, "enterprise_id": pd.Series([*listed, None], dtype="str"),
        }))  # fmt: skip
    if not parts:
        return pd.DataFrame()
    coverage = pd.concat(parts, ignore_index=True)
    coverage["precedence"] = coverage["precedence"].astype("int64")
    return coverage


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
