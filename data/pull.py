"""Pull one declared source: list its files, skip those already pulled, map and ingest the rest.

Pure orchestration over :mod:`data.agency` and :mod:`data.ingest`; the Prefect flow
(``flows.pull``) runs one of these per source as a task, with retries for remote fetches.
A file already pulled under the same mapping (same bytes, same sources entry, same
crosswalks and confirmed matches) is recognised by its delivery id and skipped: pulling
an unchanged file again changes nothing. A file refused as a whole stores nothing; the
source's other files, and the other sources, are still pulled. That includes a file that
changed while it was read and one whose newest months fail the volume check against the
source's earlier files (unless ``accept_volume``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from data import agency
from data.agency import Fetched, FetchFailed, PullRefused
from data.errors import EwsError, IngestRefused
from data.ingest import IngestReport, MonthlyEnterprises, ingest_delivery
from data.matching import Crosswalk, load_confirmed
from data.sources import Sources
from data.store import Store
from vocab import progress

COUNT_KEYS = ("rows_in", "accepted", "quarantined", "unmatched")


def confirmed_path(home: Path) -> Path:
    """The workspace's file of operator-confirmed matches (``ews sources confirm``)."""
    return home / "sources" / "confirmed.csv"


@dataclass
class SourceReport:
    """What pulling one source did, summed over its files."""

    source: str
    table: str
    files: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    fetch_failed: bool = False

    def totals(self) -> dict[str, int]:
        """rows_in, accepted, quarantined, unmatched over the files pulled now."""
        out = dict.fromkeys(COUNT_KEYS, 0)
        for f in self.files:
            for k in COUNT_KEYS:
                out[k] += int(f.get(k, 0))
        return out

    @property
    def status(self) -> str:
        """'refused' (nothing usable), 'stored', or 'unchanged' (nothing new found)."""
        if self.refused and not any(f["status"] == "stored" for f in self.files):
            return "refused"
        return "stored" if any(f["status"] == "stored" for f in self.files) else "unchanged"

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form: per table the counts, with rows_in = accepted + quarantined + unmatched."""
        return {
            "source": self.source,
            "status": self.status,
            "tables": {self.table: self.totals()},
            "files": self.files,
            "refused": self.refused,
        }


class StoredByMonth:
    """The store's indicator rows as delivered, by month, kept up to date during a pull.

    A pull ingests file after file; reading the store's rows again for each file (or
    filtering millions of rows by month) would make a pull of many files quadratic.
    """

    def __init__(self, rows: pd.DataFrame) -> None:
        self._empty = rows.iloc[:0]
        self._parts: dict[pd.Timestamp, list[pd.DataFrame]] = {}
        self.add(rows)

    def add(self, rows: pd.DataFrame) -> None:
        """Rows just stored."""
        for month, part in rows.groupby("month", sort=False):
            self._parts.setdefault(pd.Timestamp(str(month)), []).append(part)

    def __call__(self, months: list[Any]) -> pd.DataFrame:
        parts = [p for m in months for p in self._parts.get(pd.Timestamp(m), [])]
        if not parts:
            return self._empty
        return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _previous_header(store: Store, name: str) -> list[str] | None:
    for manifest in reversed(store.manifests()):
        if manifest.get("source_name") == name and manifest.get("header"):
            return [str(h) for h in manifest["header"]]
    return None


def load_crosswalks(sources: Sources, name: str) -> dict[str, Crosswalk]:
    """The crosswalks a source's match section uses."""
    spec = sources.source(name)
    out: dict[str, Crosswalk] = {}
    for alt in spec.match.crosswalks:
        out[alt.crosswalk] = agency.load_crosswalk(
            alt.crosswalk, sources.spec.crosswalks[alt.crosswalk], sources.base
        )
    return out


def _file_entry(fetched: Fetched, report: IngestReport | None, status: str, table: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"file": fetched.name, "digest": fetched.digest, "status": status}
    if report is not None:
        counts = report.tables[table]
        entry.update(
            rows_in=counts.rows_in,
            accepted=counts.accepted,
            quarantined=counts.quarantined,
            unmatched=counts.unmatched,
        )
    return entry


def pull_source(
    sources: Sources,
    name: str,
    store: Store,
    home: Path,
    *,
    files: list[str] | None = None,
    accept_volume: bool = False,
) -> SourceReport:
    """Pull every new file of one source into ``store`` (see the module docstring).

    ``accept_volume`` stores files the volume check would refuse (the operator knows the
    change in the number of enterprises is real).
    """
    spec = sources.source(name)
    report = SourceReport(source=name, table=spec.table)
    try:
        crosswalks = load_crosswalks(sources, name)
        confirmed = load_confirmed(confirmed_path(home), name)
        urls = files if files is not None else agency.list_files(name, spec, sources.base)
    except (EwsError, ValueError) as exc:
        report.fetch_failed = isinstance(exc, FetchFailed)
        report.refused.append(str(exc))
        return report
    if not urls:
        report.refused.append(f"source {name}: no file matches {spec.location!r}")
        return report
    digest = agency.config_digest(sources, name, crosswalks, confirmed)
    # Read once per source, then kept up to date file by file (not re-read for every file).
    enterprises = store.load_enterprises()
    known = agency.known_ids(enterprises)
    previous_header = _previous_header(store, name)
    stored, volume = None, None
    if spec.table == "indicators":
        rows = store.stored_indicator_rows()
        stored = StoredByMonth(rows)
        # The enterprises this source named month by month: what the volume check compares
        # each new file with (kept up to date file by file, like `stored`).
        volume = MonthlyEnterprises.of(rows, name, spec.indicator_fields())
        del rows
    for position, url in enumerate(urls):
        progress.advance(f"pull {name}", position, len(urls))
        try:
            grid: agency.Grid | None = None
            if spec.format == "sql":
                fetched, grid = agency.read_sql(name, spec)
            else:
                fetched = agency.fetch(name, url)
            delivery_id = hashlib.sha256(f"{fetched.digest}|{digest}".encode()).hexdigest()
            if store.has_delivery(delivery_id):
                report.files.append(_file_entry(fetched, None, "unchanged", spec.table))
                continue
            if grid is None:
                grid = agency.read_grid(name, spec, fetched)
            mapped = agency.map_file(
                name,
                spec,
                fetched,
                grid,
                enterprises=enterprises,
                crosswalks=crosswalks,
                confirmed=confirmed,
                config_digest=digest,
                previous_header=previous_header,
                known=known,
            )
            result = ingest_delivery(
                mapped.delivery,
                store,
                max_bad_share=spec.max_bad_share,
                stored_indicators=stored,
                stored_enterprises=enterprises,
                accept_volume=accept_volume,
                volume=volume,
            )
        except (PullRefused, IngestRefused) as exc:
            report.fetch_failed |= isinstance(exc, FetchFailed)
            text = str(exc)
            report.refused.append(text if text.startswith("source ") else f"source {name}: {text}")
            continue
        report.files.append(_file_entry(fetched, result, result.status, spec.table))
        if result.status == "stored":
            previous_header = mapped.header
            if spec.table == "enterprises":
                enterprises = store.load_enterprises()
                known = agency.known_ids(enterprises)
            if stored is not None and volume is not None and result.new_rows.get("indicators"):
                added = store.stored_indicator_rows(delivery_id=result.delivery_id)
                stored.add(added)
                volume.add(added)
    progress.advance(f"pull {name}", len(urls), len(urls))
    return report


def dry_run(
    sources: Sources, name: str, store: Store, home: Path, *, rows: int = 5
) -> tuple[str, pd.DataFrame]:
    """Map the newest file of a source without storing anything: (file, its first rows mapped)."""
    spec = sources.source(name)
    crosswalks = load_crosswalks(sources, name)
    confirmed = load_confirmed(confirmed_path(home), name)
    if spec.format == "sql":
        fetched, cells = agency.read_sql(name, spec)
    else:
        urls = agency.list_files(name, spec, sources.base)
        if not urls:
            raise PullRefused(f"source {name}: no file matches {spec.location!r}")
        fetched = agency.fetch(name, urls[-1])
        cells = agency.read_grid(name, spec, fetched)
    mapped = agency.map_file(
        name,
        spec,
        fetched,
        cells,
        enterprises=store.load_enterprises(),
        crosswalks=crosswalks,
        confirmed=confirmed,
        config_digest="dry-run",
        previous_header=None,
    )
    return fetched.name, mapped.preview.head(rows)
