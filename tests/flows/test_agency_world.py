"""A world written as the four agencies deliver it, pulled, equals the same facts in the contract form."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from data.store import Store
from features.build import build_features, known_at

runner = CliRunner()


def ews(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, f"ews {' '.join(args)} exited {result.exit_code}: {result.output}"
    return result.stdout


@pytest.fixture(scope="module")
def agency_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world over 2024-2025 (the 2025 reform inside), written in both forms."""
    out = tmp_path_factory.mktemp("agency-world")
    result = runner.invoke(
        app,
        ["simulate", "--out", str(out), "--preset", "tiny", "--seed", "3", "--start", "2024-01", "--end",
         "2025-12", "--form", "agencies"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_pulled_agency_files_give_the_store_and_features_of_the_same_facts_in_contract_form(
    agency_world: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = agency_world / "agencies" / "sources.toml"
    pulled = json.loads(ews("pull", "--sources", str(sources), "--json"))["sources"]
    manifest = json.loads((agency_world / "agencies" / "manifest.json").read_text(encoding="utf-8"))

    # Every row of every file is accounted for: accepted, quarantined or unmatched.
    by_source: dict[str, int] = {}
    for path, rows in manifest["files"].items():
        parts = Path(path).parts
        if parts[0] != "agencies" or parts[-1] == "ma-don-vi.csv":  # the crosswalk feeds no table
            continue
        by_source[parts[1]] = by_source.get(parts[1], 0) + rows
    assert set(by_source) == {"registry", "bhxh", "labour", "incidents"}
    unmatched_written = len(manifest["unmatched"])
    unmatched_pulled = 0
    for report in pulled:
        assert not report["refused"], report["refused"]
        ((_, counts),) = report["tables"].items()
        assert counts["rows_in"] == counts["accepted"] + counts["quarantined"] + counts["unmatched"]
        assert counts["rows_in"] == by_source[report["source"]], report["source"]
        unmatched_pulled += counts["unmatched"]
    assert unmatched_pulled == unmatched_written > 0

    listed = json.loads(ews("sources", "unmatched", "--json"))["unmatched"]
    assert len(listed) == unmatched_written and all(row["reason"] for row in listed)

    # Pulling again finds nothing new and changes nothing.
    pulled_store = Store(workspace / "store")
    digest = pulled_store.content_digest()
    again = json.loads(ews("pull", "--sources", str(sources), "--json"))["sources"]
    assert {r["status"] for r in again} == {"unchanged"}
    assert pulled_store.content_digest() == digest

    # The same facts, delivered in the contract form, into another workspace.
    other = workspace.parent / "contract-home"
    monkeypatch.setenv("EWS_HOME", str(other))
    ews("ingest", str(agency_world / "contract"))
    contract_store = Store(other / "store")
    for name in ("load_enterprises", "load_indicators", "load_incidents"):
        pd.testing.assert_frame_equal(getattr(pulled_store, name)(), getattr(contract_store, name)())
    assert contract_store.content_digest() == digest

    # Hence the same features (and, with one model, the same scores) on any night.
    as_of = pd.Timestamp("2025-11-30")
    frames = []
    for store in (pulled_store, contract_store):
        ind, inc = known_at(store.load_indicators(), store.load_incidents(), as_of)
        frames.append(build_features(store.load_enterprises(), ind, inc, [as_of]))
    pd.testing.assert_frame_equal(frames[0], frames[1])
    assert len(frames[0]) > 1000


def test_sources_check_dry_runs_every_source_and_stores_nothing(agency_world: Path, workspace: Path) -> None:
    sources = agency_world / "agencies" / "sources.toml"
    shown = ews("sources", "check", "--sources", str(sources))
    assert "4 sources, valid" in shown
    for name in ("registry", "bhxh", "labour", "incidents"):
        assert name in shown
    assert not (workspace / "store" / "deliveries").exists()


def test_a_broken_sources_file_is_one_line_naming_the_key(
    agency_world: Path, workspace: Path, tmp_path: Path
) -> None:
    text = (agency_world / "agencies" / "sources.toml").read_text(encoding="utf-8")
    bad = tmp_path / "sources.toml"
    bad.write_text(text.replace("header_row = 7", "header_row = -1"), encoding="utf-8")
    result = runner.invoke(app, ["sources", "check", "--sources", str(bad)], catch_exceptions=False)
    assert result.exit_code == 3  # input refused
    line = result.stderr.strip()
    assert "\n" not in line and "[sources.bhxh] header_row" in line, line
