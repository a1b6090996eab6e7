"""`bench_national`'s world, one delivery folder per post-2025 province, and their ingest."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from data.store import Store
from simulator.presets import NATIONAL_PROVINCES

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.bench_national import (  # noqa: E402
    backfill_months,
    ingest_folder,
    province_folders,
    world_dir,
    write_world,
)


def test_every_province_folder_ingests_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = world_dir(tmp_path, 0, 0.002)
    write_world(world, 0, 0.002)
    assert (world / "written.json").is_file() and (world / "truth" / "true_hazard.parquet").is_file()
    assert not list(world.glob("*.parquet"))  # no national file: only the provinces' folders
    folders = province_folders(world)
    assert [f.name for f in folders] == sorted(code for code, _ in NATIONAL_PROVINCES)
    written = {
        table: sum(pq.ParquetFile(f / f"{table}.parquet").metadata.num_rows for f in folders)
        for table in ("enterprises", "indicators", "incidents")
    }
    # Each folder into its own workspace: the benchmark's one store costs O(folders²) reads
    # of the stored files (each ingest checks its rows against every stored delivery), too
    # slow for a quick test; the provinces' enterprises are disjoint, so one store holds them all.
    accepted = dict.fromkeys(written, 0)
    ids: set[str] = set()
    for folder in folders:
        monkeypatch.setenv("EWS_HOME", str(tmp_path / "homes" / folder.name))
        report = ingest_folder(folder)
        assert report["status"] == "stored", folder.name
        for table, counts in report["tables"].items():
            assert counts["quarantined"] == 0, (folder.name, table)
            assert counts["accepted"] == counts["rows_in"]
            accepted[table] += counts["accepted"]
        store = Store(tmp_path / "homes" / folder.name / "store")
        stored = set(store.load_enterprises()["enterprise_id"])
        assert len(stored) == report["tables"]["enterprises"]["accepted"] and stored.isdisjoint(ids)
        assert store.quarantine().empty
        ids |= stored
    assert accepted == written
    assert len(ids) == written["enterprises"] > 1_500


def test_the_backfill_takes_the_months_before_the_nightly_one() -> None:
    """`--backfill N` scores the N month ends before the nightly's month, across a year's turn."""
    assert backfill_months("2026-11-25", 6) == ("2026-05", "2026-10")
    assert backfill_months("2026-02-25", 3) == ("2025-11", "2026-01")
    assert backfill_months("2026-01-01", 1) == ("2025-12", "2025-12")
