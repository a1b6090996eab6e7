"""The validated store: accepted rows of every delivery, atomic and idempotent.

Layout under ``root`` (e.g. ``$EWS_HOME/store``)::

    deliveries/000001-<delivery_id>/    one committed delivery
        enterprises.parquet             new accepted rows (typed)
        indicators.parquet
        incidents.parquet
        quarantine.parquet              refused rows: original text + reason
        unmatched.parquet               pulled rows that matched no enterprise: text + reason
        coverage.parquet                complete lists: (month, reported_at, fields) + who was listed
        manifest.json                   the ingest report + ingested_at (written last)
    deliveries/.tmp-*/                  unfinished writes; invisible, removed on next write
    cache/indicators-<digest>.parquet   the resolved vintages of the current deliveries (derived)
    cache/last-known-w<W>-<digest>.parquet  the older keys a night's read needs (derived)
    .lock                               advisory lock serialising writers

A delivery is written into a temp directory, fsynced, and moved into place with one
``os.replace``, so a kill at any moment leaves either the whole delivery or none of it.
The committed directories *are* the ingest log (their manifests), so the log can never
disagree with the data. Loading concatenates the committed deliveries in order.

Indicators are kept as delivered, with where each row came from (``_source``, ``_file``,
``_row``, ``_precedence``), and resolved when loaded (the contract's amendment "Several
agencies, one picture"): for each (enterprise, month, indicator) the value known at D is
the non-empty value with the latest ``reported_at`` ≤ D. Rows of one (enterprise, month,
reported_at) merge field by field (the higher precedence wins a field), then every field is
carried forward to later revisions of the month that leave it empty. A complete list adds
a 0 for each operating enterprise it leaves out, on the list's date.

Each delivery's ``indicators.parquet`` is written in month order, one row group per month,
so that a read of some months (:meth:`Store.load_indicators_at`, the nightly scoring) skips
the others by the row groups' statistics. Deliveries written before (one row group in
delivery order) read the same, only without the skipping.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from data.errors import StoreError
from data.schemas import KEYS, TABLES, empty_stored_frame, stored_dtypes
from vocab.months import day_number, month_number, month_starts

_COMMITTED = re.compile(r"^(\d{6})-([0-9a-f]{64})$")
_TMP_PREFIX = ".tmp-"
QUARANTINE_FILE = "quarantine.parquet"
UNMATCHED_FILE = "unmatched.parquet"
COVERAGE_FILE = "coverage.parquet"
MANIFEST_FILE = "manifest.json"
#: Version of the vintage resolution; part of the cache key, so a change recomputes.
_RESOLVER_VERSION = "vintages-1"
#: Version of the "last known" keys (:func:`last_known_keys`); part of their cache key.
_LAST_KNOWN_VERSION = "last-known-1"
#: Where a stored row came from; kept beside the contract columns, never fed to models.
PROVENANCE_COLUMNS: tuple[str, ...] = ("_source", "_file", "_row", "_precedence")
COVERAGE_COLUMNS: tuple[str, ...] = (
    "source",
    "month",
    "reported_at",
    "fields",
    "precedence",
    "enterprise_id",
)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: Stored indicator rows up to which a store's history is read and resolved whole (once,
#: then cached: see ``Store.load_indicators``); longer histories are read a range of months
#: at a time (the content digest, training's ``IndicatorWindows``), so that memory follows
#: the range, not the history (70.8 M rows at national scale do not fit in 24 GB).
WHOLE_HISTORY_ROWS = 8_000_000


class Store:
    """Append-only store of validated deliveries rooted at ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._dir = self.root / "deliveries"

    # ------------------------------------------------------------------ reading

    def _committed(self) -> list[tuple[int, str, Path]]:
        """Committed delivery directories as (seq, delivery_id, path), in commit order."""
        if not self._dir.is_dir():
            return []
        out = []
        for p in self._dir.iterdir():
            m = _COMMITTED.match(p.name)
            if m and (p / MANIFEST_FILE).is_file():
                out.append((int(m.group(1)), m.group(2), p))
        return sorted(out)

    def has_delivery(self, delivery_id: str) -> bool:
        """Whether a delivery with this content digest was already committed."""
        return any(d == delivery_id for _, d, _ in self._committed())

    def state(self) -> str:
        """Which deliveries are committed, as one short token: it changes with every
        delivery and costs a directory listing (no table is read)."""
        committed = "|".join(f"{seq}:{d}" for seq, d, _ in self._committed())
        return hashlib.sha256(committed.encode()).hexdigest()[:24]

    def _read_table(
        self,
        table: str,
        enterprise_ids: list[str] | None = None,
        *,
        provenance: bool | str = False,
        months: list[pd.Timestamp] | None = None,
        delivery_id: str | None = None,
        since: pd.Timestamp | None = None,
        known_by: pd.Timestamp | None = None,
        until: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """All stored rows of ``table`` in commit order, typed; only these enterprises when given.

        Columns added to the contract since a delivery was stored (``commune``) read as
        empty. With ``provenance``, also ``_seq``, ``_delivery`` and :data:`PROVENANCE_COLUMNS`
        (deliveries stored before provenance was kept: the manifest's source, no file).
        With ``provenance="light"``, only ``_seq`` and ``_precedence`` (what resolving needs).
        ``months``, ``since`` (months from this one on), ``until`` (months up to this one)
        and ``known_by`` (``reported_at`` up to this day) filter indicator rows while
        reading: row groups outside them are skipped.
        """
        dtypes = stored_dtypes(table)
        parts = [(seq, d, p / f"{table}.parquet") for seq, d, p in self._committed()]
        parts = [(seq, d, p) for seq, d, p in parts if p.is_file() and delivery_id in (None, d)]
        if not parts:
            frame = empty_stored_frame(table)
            if provenance == "light":
                return frame.assign(
                    _seq=pd.Series([], dtype="int64"), _precedence=pd.Series([], dtype="int64")
                )
            return _with_empty_provenance(frame) if provenance else frame
        filters: list[tuple[str, str, Any]] = []
        if enterprise_ids is not None:
            filters.append(("enterprise_id", "in", list(enterprise_ids)))
        if months is not None:
            filters.append(("month", "in", [pd.Timestamp(m).to_datetime64() for m in months]))
        if since is not None:
            filters.append(("month", ">=", pd.Timestamp(since).to_datetime64()))
        if until is not None:
            filters.append(("month", "<=", pd.Timestamp(until).to_datetime64()))
        if known_by is not None:
            filters.append(("reported_at", "<=", pd.Timestamp(known_by).to_datetime64()))
        frames = []
        try:
            for seq, delivery, path in parts:
                wanted = None
                if provenance == "light":
                    present = set(pq.read_schema(path).names)
                    wanted = [c for c in [*dtypes, "_precedence"] if c in present]
                part = pq.read_table(path, columns=wanted, filters=filters or None).to_pandas()
                for column, dtype in dtypes.items():
                    if column not in part.columns:
                        part[column] = pd.Series(pd.NA, index=part.index, dtype=dtype)
                if provenance == "light":
                    part["_seq"] = seq
                    if "_precedence" not in part.columns:
                        part["_precedence"] = 0
                    frames.append(part[[*dtypes, "_seq", "_precedence"]].astype({"_precedence": "int64"}))
                elif provenance:
                    part = _provenance(part, seq, delivery, path.parent)
                    frames.append(part[[*dtypes, "_seq", "_delivery", *PROVENANCE_COLUMNS]])
                else:
                    frames.append(part[list(dtypes)])
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(f"store {self.root}: cannot read {table}: {exc}") from exc
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        return frame.astype(dtypes)

    def load_enterprises(self) -> pd.DataFrame:
        """Latest delivered version of every enterprise, sorted by ``enterprise_id``."""
        return self._latest("enterprises")

    def load_indicators(self, enterprise_ids: list[str] | None = None) -> pd.DataFrame:
        """Every indicator vintage, one row per (enterprise_id, month, reported_at), sorted.

        Each row holds, per field, the non-empty value with the latest ``reported_at`` up to
        its own (see the module docstring); complete lists' zeros are included. With
        ``enterprise_ids``, only their rows: the filter is applied while reading, so a page
        about one enterprise does not load the whole table.
        """
        if enterprise_ids is None:
            return self._resolved_cached()
        return self._resolve(enterprise_ids)

    def _resolve(self, enterprise_ids: list[str] | None) -> pd.DataFrame:
        return resolve_vintages(self._rows_with_zeros(enterprise_ids, light=True))

    def _resolved_cached(self) -> pd.DataFrame:
        """Every vintage, resolved once per state of the store and kept as a file.

        Resolving millions of rows (merging, complete lists' zeros, carrying forward) costs
        seconds that every night's scoring would pay again; the result depends only on the
        committed deliveries, so it is cached under their digest (and the resolver's
        version), written atomically, and older copies are removed. A cache that cannot be
        read or written is only a lost shortcut: the vintages are resolved again.
        """
        committed = "|".join(d for _, d, _ in self._committed())
        if not committed:  # reading never creates a store
            return self._resolve(None)
        key = hashlib.sha256(f"{_RESOLVER_VERSION}|{committed}".encode()).hexdigest()[:24]
        folder = self.root / "cache"
        path = folder / f"indicators-{key}.parquet"
        if path.is_file():
            try:
                frame = pd.read_parquet(path)
                return frame.astype(stored_dtypes("indicators"))[list(stored_dtypes("indicators"))]
            except (OSError, pa.ArrowException, ValueError, KeyError):
                pass
        frame = self._resolve(None)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".tmp-{uuid.uuid4().hex}.parquet"
            frame.to_parquet(tmp, index=False, compression="zstd")
            os.replace(tmp, path)
            for old in folder.glob("indicators-*.parquet"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError:
            pass
        return frame

    def load_indicators_at(self, as_of: pd.Timestamp, window_months: int) -> pd.DataFrame:
        """What features as of ``as_of`` read of the indicators, without reading the rest.

        Features at D read the months of a window of ``window_months`` months ending with
        D's month; of older months they read only which one is each enterprise's latest
        known at D (how stale it is, and whether it is in the universe at all), and the
        nightly freshness its latest ``reported_at``. So this returns, of the rows known at
        D (``reported_at`` ≤ D):

        - every resolved vintage of the months from the window's first on (later months
          too: a month reported before it ended counts as the as-of month), resolved from
          those months' stored rows and complete lists alone (vintages never cross months);
        - of older months, only the keys (enterprise_id, month, reported_at) that give each
          enterprise's latest month known at D and latest ``reported_at`` known at D
          (:func:`last_known_keys`), with empty figures and ``reported_at_imputed`` False:
          nothing reads the figures of a month outside the window.

        With the features' own window (``features.build.WINDOW_MONTHS``), the feature table
        at D, and each enterprise's latest month and ``reported_at`` known at D (the nightly
        freshness), equal those computed from :meth:`load_indicators`. Sorted like it. The
        result is for D alone: other as-of dates need their own read. Memory follows the
        window and the number of enterprises, not the length of the history; the older
        keys are computed once per state of the store and cached.
        """
        return self.load_indicators_between(as_of, as_of, window_months)

    def load_indicators_between(
        self, first: pd.Timestamp, last: pd.Timestamp, window_months: int
    ) -> pd.DataFrame:
        """:meth:`load_indicators_at` for every as-of date from ``first`` to ``last`` at once.

        The rows known by ``last`` of the months from ``first``'s window on, and of older
        months the last-known keys (which serve every as-of date: see
        :func:`last_known_keys`). Features at any date D between the two computed from it
        equal those computed from :meth:`load_indicators`: rows reported after D are
        invisible to them, and the months between ``first``'s window and D's are read
        whole. Training reads its years of as-of dates so, a range at a time
        (:class:`IndicatorWindows`).
        """
        if window_months < 1:
            raise ValueError(f"window_months must be at least 1, not {window_months}")
        cutoff = pd.Timestamp(last).normalize()
        start = int(month_number(pd.Timestamp(first).normalize())) - window_months + 1
        since = pd.Timestamp(month_starts(np.array([start]))[0])
        window = self._resolved_months(since, None, cutoff)
        older = self._last_known(window_months)
        older = older.loc[(older["month"] < since) & (older["reported_at"] <= cutoff)]
        if older.empty:
            return window
        dtypes = stored_dtypes("indicators")
        stubs = older.reindex(columns=list(dtypes))
        stubs["reported_at_imputed"] = False
        out = pd.concat([window, stubs.astype(dtypes)], ignore_index=True)
        return out.sort_values(list(KEYS["indicators"]), kind="stable").reset_index(drop=True)

    def _resolved_months(
        self, since: pd.Timestamp | None, until: pd.Timestamp | None, known_by: pd.Timestamp | None
    ) -> pd.DataFrame:
        """Every resolved vintage of the months ``since..until`` known by ``known_by`` (None:
        no bound), from those months' stored rows and complete lists alone: vintages never
        cross months, so no other month is read."""
        rows = self._read_table("indicators", provenance="light", since=since, until=until, known_by=known_by)
        coverage = self.coverage()
        if len(coverage):
            listed = pd.to_datetime(coverage["month"].astype("str"))
            dated = pd.to_datetime(coverage["reported_at"].astype("str"))
            keep = np.ones(len(coverage), dtype=bool)
            if since is not None:
                keep &= (listed >= since).to_numpy()
            if until is not None:
                keep &= (listed <= until).to_numpy()
            if known_by is not None:
                keep &= (dated <= known_by).to_numpy()
            coverage = coverage.loc[keep]
        if len(coverage):
            zeros = complete_list_zeros(coverage, self.load_enterprises(), rows, light=True)
            if len(zeros):
                rows = pd.concat([rows, zeros[rows.columns].astype(rows.dtypes.to_dict())], ignore_index=True)
        return resolve_vintages(rows)

    def indicator_windows(self, known_by: pd.Timestamp, window_months: int) -> IndicatorWindows:
        """The indicators known by ``known_by``, for a feature build over many as-of dates."""
        return IndicatorWindows(self, pd.Timestamp(known_by).normalize(), window_months)

    def _last_known(self, window_months: int) -> pd.DataFrame:
        """The keys :func:`last_known_keys` keeps, for every state of the store once (cached).

        Computed from the key columns of every stored row and the complete lists' zeros,
        never their figures; cached as ``cache/last-known-w<window>-<digest>.parquet`` like
        the resolved vintages (a cache that cannot be read or written is rebuilt).
        """
        committed = "|".join(d for _, d, _ in self._committed())
        columns = list(KEYS["indicators"])
        if not committed:
            return empty_stored_frame("indicators")[columns]
        key = hashlib.sha256(f"{_LAST_KNOWN_VERSION}|{window_months}|{committed}".encode()).hexdigest()[:24]
        folder = self.root / "cache"
        prefix = f"last-known-w{window_months}-"
        path = folder / f"{prefix}{key}.parquet"
        dtypes = {c: stored_dtypes("indicators")[c] for c in columns}
        if path.is_file():
            try:
                return pd.read_parquet(path).astype(dtypes)[columns]
            except (OSError, pa.ArrowException, ValueError, KeyError):
                pass
        enterprises = self.load_enterprises()
        ids = pd.Index(enterprises["enterprise_id"].astype("str"))
        codes, month, reported = self._indicator_keys(enterprises)
        kept = last_known_keys(codes, month, reported, window_months)
        frame = pd.DataFrame(
            {
                "enterprise_id": ids.take(codes[kept]),
                "month": month_starts(month[kept]).astype("datetime64[ns]"),
                "reported_at": reported[kept].astype("datetime64[D]").astype("datetime64[ns]"),
            }
        ).astype(dtypes)
        del codes, month, reported
        frame = frame.drop_duplicates().sort_values(columns, kind="stable").reset_index(drop=True)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".tmp-{uuid.uuid4().hex}.parquet"
            frame.to_parquet(tmp, index=False, compression="zstd")
            os.replace(tmp, path)
            for old in folder.glob(f"{prefix}*.parquet"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError:
            pass
        return frame

    def _indicator_keys(self, enterprises: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(position in ``enterprises``, month number, ``reported_at`` day number) of every
        stored indicator row and every complete list's zero, as int32 arrays.

        Reads only the key columns, one row group at a time, into arrays sized beforehand:
        12 bytes a row. Rows of enterprises not in ``enterprises`` are left out (features
        drop them too).
        """
        ids = pd.Index(enterprises["enterprise_id"].astype("str"))
        paths = [p / "indicators.parquet" for _, _, p in self._committed()]
        coverage = self.coverage()
        # A row that states a list's field has the same key as the zero it replaces.
        lists = list(_left_out_of_lists(coverage, enterprises)) if len(coverage) else []
        try:
            files = [pq.ParquetFile(path) for path in paths if path.is_file()]
            size = sum(f.metadata.num_rows for f in files) + sum(int(out.sum()) for _, out in lists)
            codes, months, days = (np.empty(size, dtype=np.int32) for _ in range(3))
            n = 0
            for parquet in files:
                for group in range(parquet.num_row_groups):
                    part = parquet.read_row_group(group, columns=["enterprise_id", "month", "reported_at"])
                    encoded = pc.dictionary_encode(part.column("enterprise_id").combine_chunks())
                    where = ids.get_indexer(pd.Index(encoded.dictionary.to_pandas(), dtype="str"))
                    code = where[encoded.indices.to_numpy(zero_copy_only=False)]
                    known = code >= 0
                    k = int(known.sum())
                    codes[n : n + k] = code[known]
                    months[n : n + k] = month_number(part.column("month").to_numpy())[known]
                    days[n : n + k] = day_number(part.column("reported_at").to_numpy())[known]
                    n += k
                    del part, encoded, code
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(f"store {self.root}: cannot read indicators: {exc}") from exc
        for spec, left_out in lists:
            k = int(left_out.sum())
            codes[n : n + k] = np.flatnonzero(left_out)
            months[n : n + k] = month_number(pd.DatetimeIndex([str(spec.month)]))[0]
            days[n : n + k] = day_number(pd.DatetimeIndex([str(spec.reported_at)]))[0]
            n += k
        return codes[:n], months[:n], days[:n]

    def indicator_rows(self, enterprise_ids: list[str] | None = None) -> pd.DataFrame:
        """Indicator rows as delivered, with provenance, plus complete lists' zeros."""
        return self._rows_with_zeros(enterprise_ids, light=False)

    def _rows_with_zeros(self, enterprise_ids: list[str] | None, *, light: bool) -> pd.DataFrame:
        """Stored indicator rows and the zeros complete lists imply (``light``: only what
        resolving needs, without the provenance text columns)."""
        rows = self._read_table("indicators", enterprise_ids, provenance="light" if light else True)
        coverage = self.coverage()
        if len(coverage):
            zeros = complete_list_zeros(coverage, self.load_enterprises(), rows, enterprise_ids, light=light)
            if len(zeros):
                rows = pd.concat([rows, zeros[rows.columns].astype(rows.dtypes.to_dict())], ignore_index=True)
        return rows

    def stored_indicator_rows(
        self,
        enterprise_ids: list[str] | None = None,
        months: list[pd.Timestamp] | None = None,
        *,
        delivery_id: str | None = None,
    ) -> pd.DataFrame:
        """Indicator rows as delivered (no complete lists' zeros), with provenance; optionally
        only some enterprises, months or one delivery (filters applied while reading)."""
        return self._read_table(
            "indicators", enterprise_ids, provenance=True, months=months, delivery_id=delivery_id
        )

    def coverage(self) -> pd.DataFrame:
        """Every complete list stored: one row per listed enterprise (plus one with none)."""
        frames = [
            pd.read_parquet(p / COVERAGE_FILE)
            for _, _, p in self._committed()
            if (p / COVERAGE_FILE).is_file()
        ]
        if not frames:
            return pd.DataFrame({c: pd.Series([], dtype="str") for c in COVERAGE_COLUMNS})
        return pd.concat(frames, ignore_index=True)

    def load_incidents(self) -> pd.DataFrame:
        """Latest delivered version of every incident, sorted by ``incident_id``."""
        return self._latest("incidents")

    def _latest(self, table: str) -> pd.DataFrame:
        key = list(KEYS[table])
        frame = self._read_table(table).drop_duplicates(key, keep="last")
        return frame.sort_values(key, kind="stable").reset_index(drop=True)

    def unmatched(self) -> pd.DataFrame:
        """Every pulled row that matched no enterprise: its text, reason, candidates, file."""
        parts = [p / UNMATCHED_FILE for _, _, p in self._committed()]
        frames = [pd.read_parquet(p) for p in parts if p.is_file()]
        if not frames:
            cols = ["delivery_id", "source", "table", "file", "row_number", "key", "reason", "candidates"]
            return pd.DataFrame({c: pd.Series([], dtype="str") for c in cols})
        return pd.concat(frames, ignore_index=True)

    def manifests(self) -> list[dict[str, Any]]:
        """Every committed delivery's manifest, in commit order."""
        return [
            json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8")) for _, _, path in self._committed()
        ]

    def quarantine(self) -> pd.DataFrame:
        """Every quarantined row: original text values plus table, reason, delivery_id."""
        parts = [p / QUARANTINE_FILE for _, _, p in self._committed()]
        frames = [pd.read_parquet(p) for p in parts if p.is_file()]
        if not frames:
            cols = ["delivery_id", "table", "row_number", "reason"]
            return pd.DataFrame({c: pd.Series([], dtype="str") for c in cols})
        return pd.concat(frames, ignore_index=True)

    def deliveries(self) -> pd.DataFrame:
        """The ingest log: one row per committed delivery, in commit order."""
        rows: list[dict[str, Any]] = []
        for seq, _, path in self._committed():
            m = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
            row: dict[str, Any] = {
                "seq": seq,
                "delivery_id": m["delivery_id"],
                "source": m["source"],
                "ingested_at": m["ingested_at"],
                "status": m["status"],
            }
            for table, counts in m["tables"].items():
                for k, v in counts.items():
                    row[f"{table}_{k}"] = v
            for table, n in m["new_rows"].items():
                row[f"{table}_new"] = n
            rows.append(row)
        frame = pd.DataFrame(
            rows, columns=None if rows else ["seq", "delivery_id", "source", "ingested_at", "status"]
        )
        frame["ingested_at"] = pd.to_datetime(frame["ingested_at"], utc=True)
        return frame

    def content_digest(self) -> str:
        """sha256 over the stored (loaded, sorted) tables; independent of delivery order
        details and of the quarantine, so it identifies the data a model was fed.

        The indicators are resolved and hashed a range of months at a time, in month order
        (:meth:`_month_ranges`): at national scale the whole history with its vintages does
        not fit in memory, and vintages never cross months.
        """
        h = hashlib.sha256()

        def add(table: str, frames: Iterator[pd.DataFrame], month_major: bool = False) -> None:
            h.update(table.encode())
            for n, frame in enumerate(frames):
                if n == 0:
                    h.update(json.dumps([[c, str(frame[c].dtype)] for c in frame.columns]).encode())
                hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
                if month_major:
                    # Resolved vintages come one row per key, sorted by (enterprise_id, month,
                    # reported_at) (`resolve_vintages`): a stable order by month alone is the
                    # (month, enterprise_id, reported_at) order. The rows' hashes are put in it,
                    # not the frame (a sort of millions of rows by a text column costs seconds).
                    hashes = hashes[np.argsort(frame["month"].to_numpy("datetime64[ns]"), kind="stable")]
                h.update(hashes.tobytes())

        def by_month() -> Iterator[pd.DataFrame]:
            # Month-major order: the ranges' boundaries, which follow the stored row counts,
            # leave the hashed sequence of rows unchanged. One range: the whole (cached) read.
            ranges = self._month_ranges()
            for since, until in ranges:
                yield (
                    self.load_indicators() if len(ranges) == 1 else self._resolved_months(since, until, None)
                )

        add("enterprises", iter([self.load_enterprises()]))
        add("indicators", by_month(), month_major=True)
        add("incidents", iter([self.load_incidents()]))
        return h.hexdigest()

    def stored_indicator_count(self) -> int:
        """How many indicator rows the committed deliveries hold (their files' metadata)."""
        try:
            return sum(
                pq.ParquetFile(path / "indicators.parquet").metadata.num_rows
                for _, _, path in self._committed()
                if (path / "indicators.parquet").is_file()
            )
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(f"store {self.root}: cannot read indicators: {exc}") from exc

    def _month_ranges(self, rows: int | None = None) -> list[tuple[pd.Timestamp | None, pd.Timestamp | None]]:
        """Consecutive ranges of months of about ``rows`` (default :data:`WHOLE_HISTORY_ROWS`)
        stored indicator rows each, from the files' row-group statistics (one row group per
        month); a store within one range, or whose groups do not say their month (written
        before), is one range."""
        rows = WHOLE_HISTORY_ROWS if rows is None else rows
        if self.stored_indicator_count() <= rows:
            return [(None, None)]
        counts: dict[pd.Timestamp, int] = {}
        try:
            for _, _, path in self._committed():
                file = path / "indicators.parquet"
                if not file.is_file():
                    continue
                meta = pq.ParquetFile(file).metadata
                column = meta.schema.names.index("month")
                for group in range(meta.num_row_groups):
                    stats = meta.row_group(group).column(column).statistics
                    if stats is None or not stats.has_min_max or stats.min != stats.max:
                        return [(None, None)]
                    month = pd.Timestamp(stats.min)
                    counts[month] = counts.get(month, 0) + meta.row_group(group).num_rows
        except (OSError, pa.ArrowException, ValueError) as exc:
            raise StoreError(f"store {self.root}: cannot read indicators: {exc}") from exc
        # Complete lists' months hold zeros too: every listed month falls in some range.
        coverage = self.coverage()
        for month in pd.to_datetime(coverage["month"].astype("str")).unique() if len(coverage) else []:
            counts.setdefault(pd.Timestamp(month), 0)
        if not counts:
            return [(None, None)]
        ranges: list[tuple[pd.Timestamp | None, pd.Timestamp | None]] = []
        start, total = None, 0
        for month in sorted(counts):
            if start is None:
                start, total = month, 0
            total += counts[month]
            if total >= rows:
                ranges.append((start, month))
                start = None
        if start is not None:
            ranges.append((start, max(counts)))
        # The first range reaches back and the last forward without bound: nothing is missed.
        ranges[0] = (None, ranges[0][1])
        ranges[-1] = (ranges[-1][0], None)
        return ranges

    def first_indicator_month(self, known_by: pd.Timestamp) -> pd.Timestamp:
        """The earliest month of an indicator row or complete list reported by ``known_by``
        (NaT when none): read from the month and date columns alone, a file at a time."""
        known_by = pd.Timestamp(known_by).normalize()
        first: pd.Timestamp | None = None
        try:
            for _, _, path in self._committed():
                file = path / "indicators.parquet"
                if not file.is_file():
                    continue
                table = pq.read_table(
                    file,
                    columns=["month"],
                    filters=[("reported_at", "<=", known_by.to_datetime64())],
                )
                if table.num_rows:
                    month = pd.Timestamp(pc.min(table.column("month")).as_py())
                    first = month if first is None else min(first, month)
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(f"store {self.root}: cannot read indicators: {exc}") from exc
        coverage = self.coverage()
        if len(coverage):
            listed = pd.to_datetime(coverage["month"].astype("str"))
            dated = pd.to_datetime(coverage["reported_at"].astype("str"))
            known = listed[(dated <= known_by).to_numpy()]
            if len(known):
                first = known.min() if first is None else min(first, known.min())
        return pd.Timestamp("NaT") if first is None else pd.Timestamp(first)

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Read the store as one state: writers wait until the block ends (a shared lock),
        so the enterprises, indicators and incidents read inside it belong together."""
        if not self.root.exists():
            yield
            return
        with open(self.root / ".lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive writer lock (blocks until other ingests finish)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def clean_temp(self) -> None:
        """Remove leftovers of interrupted writes (call while holding the lock)."""
        if self._dir.is_dir():
            for p in self._dir.iterdir():
                if p.name.startswith(_TMP_PREFIX):
                    shutil.rmtree(p, ignore_errors=True)

    def commit(
        self,
        delivery_id: str,
        new_rows: dict[str, pd.DataFrame],
        quarantine: pd.DataFrame,
        manifest: dict[str, Any],
        *,
        unmatched: pd.DataFrame | None = None,
        coverage: pd.DataFrame | None = None,
    ) -> Path:
        """Write one delivery atomically (call while holding :meth:`lock`)."""
        if not re.fullmatch(r"[0-9a-f]{64}", delivery_id):
            raise StoreError(f"store {self.root}: bad delivery id {delivery_id!r}")
        self._dir.mkdir(parents=True, exist_ok=True)
        committed = self._committed()
        seq = committed[-1][0] + 1 if committed else 1
        tmp = self._dir / f"{_TMP_PREFIX}{uuid.uuid4().hex}"
        final = self._dir / f"{seq:06d}-{delivery_id}"
        try:
            tmp.mkdir()
            for table in TABLES:
                frame = new_rows.get(table)
                if frame is not None and len(frame):
                    write = self._write_indicators if table == "indicators" else self._write_parquet
                    write(frame, tmp / f"{table}.parquet")
            if len(quarantine):
                self._write_parquet(quarantine, tmp / QUARANTINE_FILE)
            if unmatched is not None and len(unmatched):
                self._write_parquet(unmatched, tmp / UNMATCHED_FILE)
            if coverage is not None and len(coverage):
                self._write_parquet(coverage, tmp / COVERAGE_FILE)
            man = tmp / MANIFEST_FILE
            man.write_text(
                json.dumps({**manifest, "seq": seq}, ensure_ascii=False, indent=1), encoding="utf-8"
            )
            _fsync_path(man)
            _fsync_path(tmp)
            os.replace(tmp, final)
            _fsync_path(self._dir)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreError(f"store {self.root}: cannot write delivery: {exc}") from exc
        return final

    @staticmethod
    def _write_indicators(frame: pd.DataFrame, path: Path) -> None:
        """Indicator rows in month order (stable: rows of one month keep their order), one
        row group per month, so that a read of some months skips the others."""
        frame = frame.sort_values("month", kind="stable").reset_index(drop=True)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        month = frame["month"].to_numpy("datetime64[ns]")
        bounds = [0, *np.flatnonzero(month[1:] != month[:-1]) + 1, len(frame)]
        with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
                writer.write_table(table.slice(lo, hi - lo), row_group_size=hi - lo)
        _fsync_path(path)

    @staticmethod
    def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
        table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
        pq.write_table(table, path, compression="zstd")
        _fsync_path(path)


class IndicatorWindows:
    """The indicators known by a date, read a range of as-of dates at a time.

    Training builds features at every month end of years of history; the whole history
    with its vintages does not fit in memory at national scale (70.8 M stored rows). The
    feature builder (``features.build.IndicatorSource``) asks for each range of as-of dates
    only what those dates read (:meth:`Store.load_indicators_between`), never past
    ``known_by``. Each call reads the store as it is then: hold :meth:`Store.snapshot`
    around the whole build for one state of it. A history of at most
    :data:`WHOLE_HISTORY_ROWS` stored rows is read whole instead, once (from the resolved
    cache the content digest leaves), and every range is served from it: the same features,
    without resolving the same vintages again for each range.
    """

    def __init__(self, store: Store, known_by: pd.Timestamp, window_months: int) -> None:
        self.store = store
        self.known_by = pd.Timestamp(known_by).normalize()
        self.window_months = window_months
        self._first_month: pd.Timestamp | None = None
        self._whole: pd.DataFrame | None = None

    @property
    def first_month(self) -> pd.Timestamp:
        """The earliest month of any indicator row or complete list known by ``known_by``
        (NaT when none is): what ``load_indicators()["month"].min()`` gives after the cutoff."""
        if self._first_month is None:
            self._first_month = self.store.first_indicator_month(self.known_by)
        return self._first_month

    def between(self, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
        """What features at the as-of dates ``first..last`` read, known by both ``last`` and
        ``known_by``."""
        last = min(pd.Timestamp(last).normalize(), self.known_by)
        if self._whole is None and self.store.stored_indicator_count() <= WHOLE_HISTORY_ROWS:
            whole = self.store.load_indicators()
            self._whole = whole.loc[whole["reported_at"] <= self.known_by]
        if self._whole is not None:
            return self._whole.loc[self._whole["reported_at"] <= last]
        return self.store.load_indicators_between(first, last, self.window_months)

    def __getstate__(self) -> dict[str, object]:
        # A copy sent elsewhere (a Dask worker) reads the store again rather than carry a history.
        return {**self.__dict__, "_whole": None}


# ================================================================== vintages, complete lists

_FIELDS_SEPARATOR = ","


def _with_empty_provenance(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["_seq"] = pd.Series([], dtype="int64")
    out["_delivery"] = pd.Series([], dtype="str")
    for column in PROVENANCE_COLUMNS:
        out[column] = pd.Series([], dtype="int64" if column in ("_row", "_precedence") else "str")
    return out


def _provenance(part: pd.DataFrame, seq: int, delivery: str, folder: Path) -> pd.DataFrame:
    """Provenance columns of one delivery's rows (defaults for deliveries stored before)."""
    part["_seq"] = seq
    part["_delivery"] = delivery
    if "_source" not in part.columns:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        part["_source"] = str(manifest.get("source_name") or manifest.get("source") or "")
    if "_file" not in part.columns:
        part["_file"] = pd.Series(pd.NA, index=part.index, dtype="str")
    if "_row" not in part.columns:
        part["_row"] = -1
    if "_precedence" not in part.columns:
        part["_precedence"] = 0
    part["_source"] = part["_source"].astype("str")
    part["_file"] = part["_file"].astype("str")
    part["_row"] = part["_row"].astype("int64")
    part["_precedence"] = part["_precedence"].astype("int64")
    return part


def operating_in_month(enterprises: pd.DataFrame, month_end: pd.Timestamp) -> pd.Series:
    """Enterprise ids operating at a month's last day: founded by then, not closed by then."""
    founded = enterprises["founded"].isna() | (enterprises["founded"] <= month_end)
    open_ = enterprises["closed"].isna() | (enterprises["closed"] > month_end)
    return enterprises.loc[founded & open_, "enterprise_id"]


_LIST_KEYS: tuple[str, ...] = ("source", "month", "reported_at", "fields")


def _left_out_of_lists(coverage: pd.DataFrame, enterprises: pd.DataFrame) -> Iterator[tuple[Any, np.ndarray]]:
    """Each complete list (one row per (source, month, list date, fields), in the order of
    ``coverage``) and a mask over ``enterprises``: operating at the month's end and named by
    no delivery of that list."""
    keys = list(_LIST_KEYS)
    lists = coverage.drop_duplicates(keys).reset_index(drop=True)
    named = coverage.dropna(subset=["enterprise_id"]).groupby(keys)["enterprise_id"].agg(list).to_dict()
    ids = pd.Index(enterprises["enterprise_id"].astype("str"))
    founded = enterprises["founded"].to_numpy("datetime64[ns]")
    closed = enterprises["closed"].to_numpy("datetime64[ns]")
    for spec in lists.itertuples(index=False):
        month = pd.Timestamp(str(spec.month))
        month_end = (month + pd.offsets.MonthEnd(0)).to_datetime64()
        alive = (np.isnat(founded) | (founded <= month_end)) & (np.isnat(closed) | (closed > month_end))
        out_of_list = ids.get_indexer(pd.Index(named.get(tuple(spec[:4]), []), dtype="str"))
        alive[out_of_list[out_of_list >= 0]] = False
        yield spec, alive


def complete_list_zeros(
    coverage: pd.DataFrame,
    enterprises: pd.DataFrame,
    rows: pd.DataFrame,
    enterprise_ids: list[str] | None = None,
    *,
    light: bool = False,
) -> pd.DataFrame:
    """The zeros complete lists imply: for each (source, month, list date, fields), every
    enterprise operating that month that no delivery of the list named, and that no row of
    that (enterprise, month, date) states a value for, gets 0 in those fields.

    Columns as :meth:`Store.indicator_rows` (``light``: only ``_precedence`` and ``_seq``
    besides the contract's, as :meth:`Store.load_indicators` needs).
    """
    from data.schemas import STORED_COLUMNS

    lists = coverage.drop_duplicates(list(_LIST_KEYS)).reset_index(drop=True)
    if lists.empty:
        return pd.DataFrame()
    ids = pd.Index(enterprises["enterprise_id"].astype("str"))
    wanted = np.ones(len(ids), dtype=bool)
    if enterprise_ids is not None:
        wanted[:] = False
        hit = ids.get_indexer(pd.Index(list(enterprise_ids), dtype="str"))
        wanted[hit[hit >= 0]] = True
    dates = pd.to_datetime(lists["reported_at"].astype("str"))
    stated = rows.loc[rows["reported_at"].isin(dates)]
    picked: list[np.ndarray] = []
    specs: list[np.ndarray] = []
    for i, (spec, left_out) in enumerate(_left_out_of_lists(coverage, enterprises)):
        month = pd.Timestamp(str(spec.month))
        reported = pd.Timestamp(str(spec.reported_at))
        fields = str(spec.fields).split(_FIELDS_SEPARATOR)
        alive = wanted & left_out
        here = (stated["month"] == month) & (stated["reported_at"] == reported)
        here &= stated[fields].notna().any(axis=1)
        said = ids.get_indexer(pd.Index(stated.loc[here, "enterprise_id"], dtype="str"))
        alive[said[said >= 0]] = False
        chosen = np.flatnonzero(alive)
        picked.append(chosen)
        specs.append(np.full(len(chosen), i))
    position, which = np.concatenate(picked), np.concatenate(specs)
    if not len(position):
        return pd.DataFrame()
    out: dict[str, Any] = {
        "enterprise_id": ids.take(position),
        "month": pd.to_datetime(lists["month"].astype("str")).to_numpy()[which],
        "reported_at": dates.to_numpy()[which],
        "reported_at_imputed": np.zeros(len(position), dtype=bool),
    }
    field_sets = [set(str(f).split(_FIELDS_SEPARATOR)) for f in lists["fields"]]
    for column in STORED_COLUMNS["indicators"]:
        if column not in out:
            states = np.array([column in f for f in field_sets])
            out[column] = np.where(states[which], 0.0, np.nan)
    out["_seq"] = np.zeros(len(position), dtype="int64")
    out["_precedence"] = lists["precedence"].astype("int64").to_numpy()[which]
    if not light:
        out["_delivery"] = ""
        out["_source"] = lists["source"].astype("str").to_numpy()[which]
        out["_file"] = "(absent from the complete list)"
        out["_row"] = np.full(len(position), -1, dtype="int64")
    frame = pd.DataFrame(out)
    return frame.astype(
        stored_dtypes("indicators") | {"_delivery": "str", "_source": "str", "_file": "str"}
        if not light
        else stored_dtypes("indicators")
    )


def _vintage_order(
    codes: np.ndarray, month: np.ndarray, reported: np.ndarray, precedence: np.ndarray, seq: np.ndarray
) -> np.ndarray:
    """Row order by (enterprise, month, reported_at, precedence, delivery): one int64 key
    when the ranges fit in 63 bits (the usual case), else a lexsort."""
    parts = []
    for values in (codes, month, reported, precedence, seq):
        values = np.asarray(values, dtype=np.int64)
        low = int(values.min()) if len(values) else 0
        span = (int(values.max()) - low + 1) if len(values) else 1
        parts.append((values - low, max(span, 1)))
    bits = sum(int(span - 1).bit_length() for _, span in parts)
    if bits > 62:
        return np.lexsort((seq, precedence, reported, month, codes))
    key = np.zeros(len(codes), dtype=np.int64)
    for values, span in parts:
        key = key * np.int64(1 << int(span - 1).bit_length()) + values
    return np.argsort(key, kind="stable")


def last_known_keys(
    codes: np.ndarray, month: np.ndarray, reported: np.ndarray, window_months: int, *, chunk: int = 1 << 18
) -> np.ndarray:
    """Positions of the keys some as-of date needs from before its window of ``window_months``.

    ``codes``, ``month`` and ``reported`` describe every indicator key (enterprise code,
    month number, ``reported_at`` day number; one entry per stored row or complete list's
    zero, repeats allowed). At an as-of day D whose window starts at month S (D's month −
    ``window_months`` + 1), what is read of months before S is, per enterprise, the latest
    month known at D (a month is known from its first revision) and the latest
    ``reported_at`` ≤ D, and only when no month from S on gives it. A key can give one of
    them only on the days from its own ``reported_at`` until the enterprise's next step:
    the first revision of a later month, or its next ``reported_at`` of any month. So the
    key is kept when that span reaches past the day its month leaves the window (the first
    day of month + ``window_months``):

    - the first revision (m, r) of a month when max(r, start(m + W)) < the earliest first
      revision of any later month of the enterprise;
    - of the keys of one (enterprise, r), the one of the latest month, when
      max(r, start(m + W)) < the enterprise's next ``reported_at``.

    Steady reporters keep only their last month; an enterprise silent for years keeps
    the key before each long silence. The choice looks ahead, but every key kept is a key
    that exists, used only on days it is known: the figures read at D are those of the
    whole history (see :meth:`Store.load_indicators_at`).
    """
    codes = np.asarray(codes)
    if len(codes) <= chunk:
        return _last_known_chunk(codes, month, reported, window_months)
    # Enterprises are independent: a range of them at a time (about `chunk` keys), so that
    # the sorts' temporaries stay small however long the history.
    running = np.cumsum(np.bincount(codes))
    cuts = np.searchsorted(running, np.arange(chunk, len(codes), chunk), side="left") + 1
    bounds = np.unique(np.r_[0, cuts, len(running)])
    kept = []
    for low, high in zip(bounds[:-1], bounds[1:], strict=True):
        at = np.flatnonzero((codes >= low) & (codes < high))
        kept.append(at[_last_known_chunk(codes[at], month[at], reported[at], window_months)])
    return np.sort(np.concatenate(kept))


def _last_known_chunk(
    codes: np.ndarray, month: np.ndarray, reported: np.ndarray, window_months: int
) -> np.ndarray:
    """:func:`last_known_keys` of some enterprises at once (positions in these arrays)."""
    n = len(codes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    never = np.iinfo(np.int64).max
    zero = np.zeros(n, dtype=np.int64)
    codes, month, reported = (np.asarray(a, dtype=np.int64) for a in (codes, month, reported))

    # Months: the first revision of each (enterprise, month), by (enterprise, month).
    order = _vintage_order(codes, month, reported, zero, zero)
    e, m, r = codes[order], month[order], reported[order]
    first = np.ones(n, dtype=bool)
    first[1:] = (e[1:] != e[:-1]) | (m[1:] != m[:-1])
    e, m, r, at = e[first], m[first], r[first], order[first]
    # The earliest first revision of a later month: a suffix minimum within each enterprise
    # (an offset per enterprise keeps one enterprise's values from reaching another's).
    low = int(r.min())
    span = int(r.max()) - low + 1
    shifted = (r - low) + e * span
    suffix = np.minimum.accumulate(shifted[::-1])[::-1]
    later = np.full(len(e), never, dtype=np.int64)
    same = e[1:] == e[:-1]
    later[:-1] = np.where(same, suffix[1:] - e[:-1] * span + low, never)
    leaves = month_starts(m + window_months).astype(np.int64)
    by_month = at[np.maximum(r, leaves) < later]

    # Report dates: of each (enterprise, reported_at), its latest month, by (enterprise, r).
    order = _vintage_order(codes, reported, month, zero, zero)
    e, r, m = codes[order], reported[order], month[order]
    last = np.ones(n, dtype=bool)
    last[:-1] = (e[1:] != e[:-1]) | (r[1:] != r[:-1])
    e, r, m, at = e[last], r[last], m[last], order[last]
    following = np.full(len(e), never, dtype=np.int64)
    following[:-1] = np.where(e[1:] == e[:-1], r[1:], never)
    leaves = month_starts(m + window_months).astype(np.int64)
    by_date = at[np.maximum(r, leaves) < following]
    return np.union1d(by_month, by_date)


def _last_valid_in_run(values: np.ndarray, run_start: np.ndarray) -> np.ndarray:
    """Each position's latest non-NaN value within its run (rows ``run_start[i]``..i); NaN if none."""
    positions = np.arange(len(values))
    last = np.maximum.accumulate(np.where(np.isnan(values), -1, positions))
    out = values[np.maximum(last, 0)]
    return np.where(last >= run_start, out, np.nan)


def resolve_vintages(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (enterprise_id, month, reported_at) holding the values known from then on.

    Rows of one key merge field by field, the higher ``_precedence`` and then the later
    delivery winning a field; each field is then carried forward to the later revisions of
    the month that leave it empty (an empty cell states nothing, it never erases).
    Vectorised over integer codes: millions of rows are resolved in a few seconds.
    """
    from data.schemas import STORED_COLUMNS

    columns = list(STORED_COLUMNS["indicators"])
    if rows.empty:
        return rows[columns].reset_index(drop=True).astype(stored_dtypes("indicators"))
    fields = [c for c in columns if c not in KEYS["indicators"] and c != "reported_at_imputed"]
    codes, ids = pd.factorize(rows["enterprise_id"], sort=True)
    month = rows["month"].to_numpy("datetime64[ns]").view("int64")
    reported = rows["reported_at"].to_numpy("datetime64[ns]").view("int64")
    precedence = (
        rows["_precedence"].to_numpy("int64") if "_precedence" in rows else np.zeros(len(rows), "int64")
    )
    seq = rows["_seq"].to_numpy("int64") if "_seq" in rows else np.zeros(len(rows), "int64")
    order = _vintage_order(codes, month, reported, precedence, seq)
    codes, month, reported = codes[order], month[order], reported[order]
    n = len(order)
    new_month = np.ones(n, dtype=bool)
    new_month[1:] = (codes[1:] != codes[:-1]) | (month[1:] != month[:-1])
    new_key = new_month.copy()
    new_key[1:] |= reported[1:] != reported[:-1]
    key_start = np.maximum.accumulate(np.where(new_key, np.arange(n), 0))
    month_start = np.maximum.accumulate(np.where(new_month, np.arange(n), 0))
    last_of_key = np.ones(n, dtype=bool)
    last_of_key[:-1] = new_key[1:]
    keep = np.flatnonzero(last_of_key)
    out: dict[str, Any] = {
        "enterprise_id": ids.take(codes[keep]),
        "month": month[keep].view("datetime64[ns]"),
    }
    one_row_per_key = bool(new_key.all())
    for field in fields:
        values = rows[field].to_numpy("float64", na_value=np.nan)[order]
        # Field by field within one key, then forward over the month's revisions.
        merged = values if one_row_per_key else _last_valid_in_run(values, key_start)
        carried = _last_valid_in_run(merged, month_start) if np.isnan(merged).any() else merged
        out[field] = carried[keep]
    out["reported_at"] = reported[keep].view("datetime64[ns]")
    imputed = rows["reported_at_imputed"].to_numpy(bool)[order]
    # A key is imputed only when every row of it was.
    explicit = np.zeros(n, dtype=bool)
    np.logical_or.at(explicit, key_start, ~imputed)
    out["reported_at_imputed"] = ~explicit[key_start[keep]]
    frame = pd.DataFrame(out)
    return frame[columns].astype(stored_dtypes("indicators"))


def field_provenance(rows: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """For each (enterprise, month, figure), the row that gives the value known at ``as_of``.

    ``rows`` are indicator rows with provenance (:meth:`Store.indicator_rows`). Returns
    enterprise_id, month, field, value, reported_at, source, delivery, file, row: the
    non-empty value with the latest ``reported_at`` ≤ ``as_of`` (the higher precedence,
    then the later delivery, among rows of one date), as :func:`resolve_vintages` resolves it.
    """
    from data.schemas import STORED_COLUMNS

    fields = [
        c for c in STORED_COLUMNS["indicators"] if c not in KEYS["indicators"] and c != "reported_at_imputed"
    ]
    known = rows.loc[rows["reported_at"] <= as_of]
    long = known.melt(
        id_vars=[
            "enterprise_id",
            "month",
            "reported_at",
            "_precedence",
            "_seq",
            "_source",
            "_delivery",
            "_file",
            "_row",
        ],
        value_vars=fields,
        var_name="field",
        value_name="value",
    ).dropna(subset=["value"])
    long = long.sort_values(
        ["enterprise_id", "month", "field", "reported_at", "_precedence", "_seq"], kind="stable"
    )
    last = long.groupby(["enterprise_id", "month", "field"], sort=True).tail(1)
    out = last.rename(columns={"_source": "source", "_delivery": "delivery", "_file": "file", "_row": "row"})
    columns = ["enterprise_id", "month", "field", "value", "reported_at", "source", "delivery", "file", "row"]
    return out[columns].reset_index(drop=True)
