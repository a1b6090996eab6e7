"""The validated store: accepted rows of every delivery, atomic and idempotent.

Layout under ``root`` (e.g. ``$EWS_HOME/store``)::

    deliveries/000001-<delivery_id>/    one committed delivery
        enterprises.parquet             new accepted rows (typed)
        indicators.parquet
        incidents.parquet
        quarantine.parquet              refused rows: original text + reason
        manifest.json                   the ingest report + ingested_at (written last)
    deliveries/.tmp-*/                  unfinished writes; invisible, removed on next write
    .lock                               advisory lock serialising writers

A delivery is written into a temp directory, fsynced, and moved into place with one
``os.replace``, so a kill at any moment leaves either the whole delivery or none of it.
The committed directories *are* the ingest log (their manifests), so the log can never
disagree with the data. Loading concatenates the committed deliveries in order.
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

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data.errors import StoreError
from data.schemas import KEYS, TABLES, empty_stored_frame, stored_dtypes

_COMMITTED = re.compile(r"^(\d{6})-([0-9a-f]{64})$")
_TMP_PREFIX = ".tmp-"
QUARANTINE_FILE = "quarantine.parquet"
MANIFEST_FILE = "manifest.json"


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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

    def _read_table(self, table: str, enterprise_ids: list[str] | None = None) -> pd.DataFrame:
        """All stored rows of ``table`` in commit order, typed; only these enterprises when given."""
        parts = [p / f"{table}.parquet" for _, _, p in self._committed()]
        parts = [p for p in parts if p.is_file()]
        if not parts:
            return empty_stored_frame(table)
        filters = None if enterprise_ids is None else [("enterprise_id", "in", list(enterprise_ids))]
        try:
            tables = [pq.read_table(p, filters=filters) for p in parts]
            frame = pa.concat_tables(tables, promote_options="default").to_pandas()
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(f"store {self.root}: cannot read {table}: {exc}") from exc
        return frame.astype(stored_dtypes(table))[list(stored_dtypes(table))]

    def load_enterprises(self) -> pd.DataFrame:
        """Latest delivered version of every enterprise, sorted by ``enterprise_id``."""
        return self._latest("enterprises")

    def load_indicators(self, enterprise_ids: list[str] | None = None) -> pd.DataFrame:
        """Every indicator revision, sorted by (enterprise_id, month, reported_at).

        With ``enterprise_ids``, only their rows: the filter is applied while reading, so a
        page about one enterprise does not load the whole table.
        """
        frame = self._read_table("indicators", enterprise_ids)
        frame = frame.sort_values(list(KEYS["indicators"]), kind="stable")
        return frame.reset_index(drop=True)

    def load_incidents(self) -> pd.DataFrame:
        """Latest delivered version of every incident, sorted by ``incident_id``."""
        return self._latest("incidents")

    def _latest(self, table: str) -> pd.DataFrame:
        key = list(KEYS[table])
        frame = self._read_table(table).drop_duplicates(key, keep="last")
        return frame.sort_values(key, kind="stable").reset_index(drop=True)

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
        details and of the quarantine, so it identifies the data a model was fed."""
        h = hashlib.sha256()
        loaded = {
            "enterprises": self.load_enterprises(),
            "indicators": self.load_indicators(),
            "incidents": self.load_incidents(),
        }
        for table, frame in loaded.items():
            h.update(table.encode())
            h.update(json.dumps([[c, str(frame[c].dtype)] for c in frame.columns]).encode())
            h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        return h.hexdigest()

    # ------------------------------------------------------------------ writing

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
                    self._write_parquet(frame, tmp / f"{table}.parquet")
            if len(quarantine):
                self._write_parquet(quarantine, tmp / QUARANTINE_FILE)
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
    def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
        table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
        pq.write_table(table, path, compression="zstd")
        _fsync_path(path)
