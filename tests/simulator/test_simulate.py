"""Mechanics of the synthetic world on the fast 'tiny' preset."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import (
    ENTERPRISE_COLUMNS,
    INCIDENT_COLUMNS,
    INDICATOR_COLUMNS,
    TRUTH_COLUMNS,
    World,
    simulate,
    write_source,
)


@pytest.fixture(scope="module")
def world() -> World:
    return simulate("tiny", seed=0)


def test_frames_have_exactly_the_contract_columns(world: World) -> None:
    assert tuple(world.enterprises.columns) == ENTERPRISE_COLUMNS
    assert tuple(world.indicators.columns) == INDICATOR_COLUMNS
    assert tuple(world.incidents.columns) == INCIDENT_COLUMNS
    assert tuple(world.true_hazard.columns) == TRUTH_COLUMNS


def test_ids_are_unique_text_with_leading_zeros(world: World) -> None:
    ids = world.enterprises["enterprise_id"]
    assert ids.is_unique and world.incidents["incident_id"].is_unique
    assert pd.api.types.is_string_dtype(ids)
    assert ids.str.fullmatch(r"\d{10}").all()
    assert ids.str.startswith("0").any()
    assert world.indicators["month"].str.fullmatch(r"\d{4}-\d{2}").all()


def test_values_follow_the_contract(world: World) -> None:
    ent, ind, inc = world.enterprises, world.indicators, world.incidents
    assert set(ent["zone_type"]) <= {"industrial_zone", "industrial_cluster", "outside"}
    assert set(ent["ownership"]) == {"fdi", "private", "state"}
    assert ent["name"].str.contains("Công ty").any()
    assert ind["headcount"].notna().all() and (ind["headcount"] >= 0).all()
    assert ind["avg_wage_vnd"].isna().any()  # some cells not reported
    assert set(inc["kind"]) == {"work_stoppage", "slowdown", "gathering", "petition"}
    assert (inc["participants"].dropna() >= 1).all()
    assert inc["enterprise_id"].isin(ent["enterprise_id"]).all()
    assert ind["enterprise_id"].isin(ent["enterprise_id"]).all()
    stoppages = int((inc["kind"] == "work_stoppage").sum())
    assert 40 <= stoppages <= 80


def test_determinism(world: World) -> None:
    again = simulate("tiny", seed=0)
    other = simulate("tiny", seed=1)
    for name in ("enterprises", "indicators", "incidents", "true_hazard"):
        pd.testing.assert_frame_equal(getattr(world, name), getattr(again, name))
    assert not world.indicators.equals(other.indicators)


def test_revisions_come_later(world: World) -> None:
    ind = world.indicators
    month_end = pd.to_datetime(ind["month"] + "-01") + pd.offsets.MonthEnd(0)
    effective = pd.to_datetime(ind["reported_at"]).fillna(month_end + pd.Timedelta(days=20))
    frame = ind.assign(effective=effective)
    dup = frame[frame.duplicated(["enterprise_id", "month"], keep=False)]
    assert len(dup) > 0.01 * len(ind)
    first = dup.groupby(["enterprise_id", "month"])["effective"].agg(["first", "last"])
    assert (first["last"] > first["first"]).all()


def test_no_rows_outside_founded_and_closed(world: World) -> None:
    ent = world.enterprises.set_index("enterprise_id")
    ind = world.indicators
    founded = ent["founded"].reindex(ind["enterprise_id"]).str[:7].to_numpy(dtype=object)
    closed = ent["closed"].reindex(ind["enterprise_id"]).str[:7].to_numpy(dtype=object)
    month = ind["month"].to_numpy(dtype=object)
    has_f = pd.notna(founded)
    has_c = pd.notna(closed)
    assert (month[has_f] >= founded[has_f]).all()
    assert (month[has_c] < closed[has_c]).all()
    assert ent["closed"].notna().any()


def test_csv_round_trip_keeps_ids_and_empty_cells(world: World, tmp_path: Path) -> None:
    paths = write_source(world, tmp_path, "csv")
    assert {p.name for p in paths} >= {"enterprises.csv", "indicators.csv", "incidents.csv"}
    assert (tmp_path / "truth" / "true_hazard.parquet").exists()
    back = pd.read_csv(tmp_path / "enterprises.csv", dtype=str, keep_default_na=False)
    assert back["enterprise_id"].tolist() == world.enterprises["enterprise_id"].tolist()
    assert (back["closed"] == "").sum() == world.enterprises["closed"].isna().sum()
    text = (tmp_path / "indicators.csv").read_text(encoding="utf-8")
    header, first_row = text.splitlines()[:2]
    assert header == ",".join(INDICATOR_COLUMNS)
    assert ".0," not in first_row
    ind = pd.read_csv(tmp_path / "indicators.csv", dtype={"enterprise_id": str})
    assert ind["avg_wage_vnd"].isna().sum() == world.indicators["avg_wage_vnd"].isna().sum()
    again = tmp_path / "again"
    write_source(simulate("tiny", seed=0), again, "csv")
    for name in ("enterprises.csv", "indicators.csv", "incidents.csv"):
        assert (again / name).read_bytes() == (tmp_path / name).read_bytes()


def test_parquet_keeps_text_types(world: World, tmp_path: Path) -> None:
    write_source(world, tmp_path, "parquet")
    ent = pd.read_parquet(tmp_path / "enterprises.parquet")
    assert pd.api.types.is_string_dtype(ent["enterprise_id"])
    assert ent["enterprise_id"].tolist() == world.enterprises["enterprise_id"].tolist()
    truth = pd.read_parquet(tmp_path / "truth" / "true_hazard.parquet")
    assert np.allclose(truth["hazard"], world.true_hazard["hazard"])


def test_threshold_variant_changes_the_hazard_not_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """The robustness variant keeps registry and indicators, reshapes the hazard, keeps its targets."""
    from dataclasses import replace

    import simulator as sim

    variant = replace(
        sim.PRESETS["tiny"], name="tiny-threshold", hazard_shape="threshold", contagion_scale=1.8
    )
    monkeypatch.setitem(sim.PRESETS, "tiny-threshold", variant)  # type: ignore[index]
    base, other = simulate("tiny", seed=5), simulate("tiny-threshold", seed=5)
    pd.testing.assert_frame_equal(base.indicators, other.indicators)
    assert other.params["hazard_shape"] == "threshold" and other.params["contagion_scale"] == 1.8
    h_base, h_other = base.true_hazard["hazard"].to_numpy(), other.true_hazard["hazard"].to_numpy()
    assert np.corrcoef(h_base, h_other)[0, 1] < 0.95  # a different ranking of firms, not a rescaling
    expected_bd = other.true_hazard.loc[
        other.true_hazard["enterprise_id"].str.startswith("37"), "hazard"
    ].sum()
    assert expected_bd == pytest.approx(45.0, rel=0.15)  # Bình Dương's target count still holds
    # More months of wage arrears never lower the hazard: the steps only go up.
    latest = other.indicators.sort_values("reported_at").drop_duplicates(
        ["enterprise_id", "month"], keep="last"
    )
    months = latest.set_index(["enterprise_id", "month"])["wage_arrears_months"]
    truth = other.true_hazard.set_index(["enterprise_id", "month"])["hazard"]
    joined = pd.concat([months, truth], axis=1, join="inner").dropna()
    means = joined.groupby(np.minimum(joined["wage_arrears_months"], 2).round())["hazard"].mean()
    assert means.is_monotonic_increasing and means.iloc[-1] > 3 * means.iloc[0]
    assert (simulate("tiny-threshold", seed=5).true_hazard["hazard"] == other.true_hazard["hazard"]).all()
