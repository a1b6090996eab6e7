"""Validate a delivery and add it to the store; bad rows go to quarantine with reasons."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from data.settings import Settings
from data.store import Store
from data.urls import shown_url
from flows import tasks

#: Database URLs with their passwords, keyed by the same URL with the password hidden. Only
#: the hidden form is a flow parameter (Prefect stores parameters in its database, in
#: clear); the real one stays in this process's memory for the run.
_REAL_URLS: dict[str, str] = {}


def hide_password(source: str) -> str:
    """A source as it may be stored: a database URL's password replaced by ``***``; the real
    URL is kept in memory for :func:`ingest_flow` run in this process."""
    hidden = shown_url(source)
    if hidden != source:
        _REAL_URLS[hidden] = source
    return hidden


@flow(name="ingest", log_prints=False)
def ingest_flow(source: str, accept_volume: bool = False) -> dict[str, Any]:
    """Ingest one source (folder of CSV/Parquet files or SQLAlchemy URL) into the store.

    Pass a database URL through :func:`hide_password` first: `source` is stored by Prefect.
    ``accept_volume`` stores a delivery the volume check would refuse (``--accept-volume``).
    """
    settings = Settings()
    report = tasks.ingest_source(
        _REAL_URLS.get(source, source),
        Store(settings.store_dir),
        max_bad_share=settings.max_bad_share,
        max_file_bytes=int(settings.max_file_mb * 1024 * 1024),
        max_cell_bytes=int(settings.max_cell_kb * 1024),
        accept_volume=accept_volume,
    )
    summary = report.to_json()
    lines = [
        f"| {name} | {c['rows_in']} | {c['accepted']} | {c['quarantined']} |"
        for name, c in summary["tables"].items()
    ]
    create_markdown_artifact(
        key="ingest-summary",
        markdown=(
            f"# Ingest of `{source}`\n\nDelivery {summary['delivery_id'][:12]}: {summary['status']}\n\n"
            "| table | rows in | accepted | quarantined |\n|---|---|---|---|\n" + "\n".join(lines)
        ),
    )
    return summary
