"""The `national` preset and the block writer (on a scaled-down national world), and the
other presets left exactly as they were."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from data import admin_units
from data.ingest import ingest
from data.store import Store
from simulator import (
    COMMUNE_ENTERPRISE_COLUMNS,
    PRESETS,
    Preset,
    World,
    national_preset,
    simulate,
    simulate_blocks,
    write_blocks,
)
from simulator.presets import LEGACY_PROVINCES, NATIONAL_PROVINCES, NATIONAL_YEAR_FACTOR, REGION_SHARE
from simulator.write import _integers_as_int

TABLES = ("enterprises", "indicators", "incidents")


def _small(scale: float = 0.02, provinces: tuple[str, ...] = ("Hải Phòng", "Tây Ninh")) -> Preset:
    """Two post-2025 provinces of the national preset (four blocks: Hải Dương and Hải Phòng,
    Long An and Tây Ninh), scaled down so that a test runs in seconds."""
    full = national_preset(scale)
    return replace(full, provinces=tuple(p for p in full.provinces if p.name in provinces))


# ------------------------------------------------------------------ the preset


def test_the_preset_has_the_34_post_2025_provinces_of_the_package() -> None:
    from vietnamadminunits.database import get_data

    spec = PRESETS["national"]
    names = {p.name for p in spec.provinces}
    assert len(names) == 34 and names == admin_units.current_province_names()
    package = {(r["provinceCode"], r["provinceShort"]) for r in get_data(["provinceCode", "provinceShort"])}
    assert set(NATIONAL_PROVINCES) == package
    assert {p.province_code for p in spec.provinces} == {code for code, _ in NATIONAL_PROVINCES}
    # 63 blocks: every pre-2025 province once, with the package's code and urban wards.
    assert {p.legacy for p in spec.provinces} == admin_units.legacy_province_names()
    legacy = get_data(["provinceShort", "provinceCode", "wardCode", "wardType"], "admin_units_legacy")
    wards = pd.DataFrame(legacy).assign(urban=lambda f: f["wardType"] == "Phường")
    counted = wards.groupby(["provinceShort", "provinceCode"])["urban"].sum()
    assert {(n, c): u for n, c, _, u in LEGACY_PROVINCES} == counted.to_dict()
    assert len({p.code for p in spec.provinces}) == len({p.tax_prefix for p in spec.provinces}) == 63


def test_the_preset_is_calibrated_to_the_national_counts() -> None:
    spec = PRESETS["national"]
    assert (spec.start, spec.end, spec.blockwise) == ("2019-01", "2026-10", True)
    assert abs(sum(p.n_enterprises for p in spec.provinces) - 900_000) < 100
    # Whole-period targets add up to the national series less Hải Dương (its own window).
    factors = sum(NATIONAL_YEAR_FACTOR[y] for y in range(2019, 2026)) + NATIONAL_YEAR_FACTOR[2026] * 10 / 12
    others = sum(p.target_stoppages for p in spec.provinces if p.legacy != "Hải Dương")
    assert others == pytest.approx(121 * factors - 20.6, rel=1e-9)
    by_region = {
        r: sum(p.target_stoppages for p in spec.provinces if p.macro_region == r) for r in REGION_SHARE
    }
    assert by_region["south"] > 3 * by_region["north"] > 3 * by_region["central"]
    target = {p.legacy: p.target_stoppages for p in spec.provinces}
    assert target["Long An"] > target["Đồng Nai"] > target["Bình Dương"] > target["Hồ Chí Minh"]
    hd = next(p for p in spec.provinces if p.legacy == "Hải Dương")
    assert (hd.name, hd.n_enterprises, hd.target_stoppages, hd.target_window) == (
        "Hải Phòng", 17_000, 7.0, ("2021-01", "2024-06"),
    )  # fmt: skip


def test_the_national_preset_is_not_one_world() -> None:
    with pytest.raises(ValueError, match="in blocks"):
        simulate("national")


# ------------------------------------------------------------------ the block writer


@pytest.fixture(scope="module")
def blocks() -> list[World]:
    return list(simulate_blocks(_small(), seed=5))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("national") / "source"
    write_blocks(_small(), 5, out, "parquet")
    return out


def test_blocks_are_the_preset_blocks_with_post_2025_addresses(blocks: list[World]) -> None:
    assert [w.params["legacy"] for w in blocks] == ["Hải Dương", "Hải Phòng", "Tây Ninh", "Long An"]
    for world in blocks:
        ent = world.enterprises
        assert tuple(ent.columns) == COMMUNE_ENTERPRISE_COLUMNS
        assert ent["district"].isna().all() and ent["commune"].notna().mean() > 0.98
        # Every address is a post-2025 commune of its province and maps back to the block.
        known = ent.dropna(subset=["commune"])
        current = admin_units.current_communes(known["province"], known["commune"])
        assert current.notna().all(axis=None)
        units = admin_units.stable_units(
            known["province"], pd.Series(pd.NA, index=known.index), known["commune"]
        )
        assert (units["unit_province"] == world.params["legacy"]).all()


def test_the_writer_writes_the_blocks_rows(blocks: list[World], written: Path) -> None:
    for name in TABLES:
        expected = pd.concat([_integers_as_int(getattr(w, name)) for w in blocks], ignore_index=True)
        got = pd.read_parquet(written / f"{name}.parquet")
        assert len(got) == len(expected) > 0
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    truth = pd.read_parquet(written / "truth" / "true_hazard.parquet")
    pd.testing.assert_frame_equal(
        truth, pd.concat([w.true_hazard for w in blocks], ignore_index=True), check_dtype=False
    )
    report = json.loads((written / "truth" / "calibration.json").read_text(encoding="utf-8"))
    summary = report["report"]
    assert summary["provinces"] == 2 and summary["blocks"] == 4
    stoppages = sum(int((w.incidents["kind"] == "work_stoppage").sum()) for w in blocks)
    assert summary["stoppages_realized"] == stoppages
    assert summary["stoppages_expected"] == pytest.approx(
        sum(w.true_hazard["hazard"].sum() for w in blocks), abs=0.1
    )
    assert sum(v["realized"] for v in summary["by_year"].values()) == stoppages
    assert set(report["blocks"]) == {w.params["block"] for w in blocks}


def test_the_writer_is_deterministic(written: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    write_blocks(_small(), 5, again, "parquet")
    other = tmp_path / "other"
    write_blocks(_small(), 6, other, "parquet")
    for rel in (*(f"{t}.parquet" for t in TABLES), "truth/true_hazard.parquet", "truth/calibration.json"):
        assert (again / rel).read_bytes() == (written / rel).read_bytes(), rel
    assert (other / "indicators.parquet").read_bytes() != (written / "indicators.parquet").read_bytes()
    assert not list(again.rglob("*.tmp"))


def test_a_block_does_not_depend_on_the_others() -> None:
    """Blocks draw from their own (seed, block) key and share only the national terms: a
    block drawn alone is the same block."""
    alone = next(simulate_blocks(_small(provinces=("Tây Ninh",)), seed=5))
    together = list(simulate_blocks(_small(), seed=5))[2]
    assert alone.params["legacy"] == together.params["legacy"] == "Tây Ninh"
    for name in ("enterprises", "indicators", "incidents", "true_hazard"):
        pd.testing.assert_frame_equal(getattr(alone, name), getattr(together, name))


def test_the_written_folder_ingests_without_quarantine(written: Path, tmp_path: Path) -> None:
    report = ingest(str(written), Store(tmp_path / "store"))
    assert report.status == "stored"
    assert {t: c.quarantined for t, c in report.tables.items()} == dict.fromkeys(TABLES, 0)
    assert report.new_rows["enterprises"] == len(pd.read_parquet(written / "enterprises.parquet"))


def test_csv_blocks_have_one_header(tmp_path: Path, blocks: list[World]) -> None:
    write_blocks(_small(), 5, tmp_path, "csv")
    text = (tmp_path / "incidents.csv").read_text(encoding="utf-8")
    assert text.count("incident_id,") == 1
    frame = pd.read_csv(tmp_path / "indicators.csv", dtype=str)
    assert len(frame) == sum(len(w.indicators) for w in blocks)


def test_the_command_writes_the_national_preset_in_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.main import app

    monkeypatch.setenv("EWS_HOME", str(tmp_path / "home"))
    seen: list[tuple[object, ...]] = []

    def fake(preset: str, seed: int, out: Path, fmt: str, **period: str | None) -> list[Path]:
        seen.append((preset, seed, fmt, period))
        return write_blocks(_small(0.01, ("Tây Ninh",)), seed, out, "parquet", **period)

    monkeypatch.setattr("simulator.write_blocks", fake)
    runner = CliRunner()
    done = runner.invoke(
        app, ["simulate", "--preset", "national", "--out", str(tmp_path / "w"), "--format", "parquet"]
    )
    assert done.exit_code == 0, done.output
    assert seen == [("national", 0, "parquet", {"start": None, "end": None})]
    assert "enterprises:" in done.output and (tmp_path / "w" / "indicators.parquet").exists()
    refused = runner.invoke(
        app, ["simulate", "--preset", "national", "--form", "agencies", "--out", str(tmp_path / "a")]
    )
    assert refused.exit_code == 2 and "agencies" in refused.output
