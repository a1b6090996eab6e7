"""Validate a delivery and add it to the store; bad rows go to quarantine with reasons."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from data.settings import Settings
from data.store import Store
from flows import tasks


@flow(name="ingest", log_prints=False)
def ingest_flow(source: str) -> dict[str, Any]:
    """Ingest one source (folder of CSV/Parquet files or SQLAlchemy URL) into the store."""
    settings = Settings()
    report = tasks.ingest_source(
        source,
        Store(settings.store_dir),
        max_bad_share=settings.max_bad_share,
        max_file_bytes=int(settings.max_file_mb * 1024 * 1024),
        max_cell_bytes=int(settings.max_cell_kb * 1024),
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
