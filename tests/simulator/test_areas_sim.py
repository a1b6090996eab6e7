"""The simulator's area reference: every zone, district and commune its firms name, inside
their province, valid for `data.reference`, deterministic from the seed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from data.reference import read_areas, validate_areas
from simulator import national_preset, simulate, simulate_blocks, write_source
from simulator.geography import ZONE_SPREAD_DEG, area_table
from simulator.world import World
from simulator.write import areas_of

# Hải Dương's rough box (the package's bounds of the pre-2025 province, a little widened).
HD_BOX = (20.68, 106.12, 21.24, 106.62)


@pytest.fixture(scope="module")
def world() -> World:
    return simulate("tiny", seed=0, start="2023-01", end="2023-06")


def test_every_zone_and_district_of_the_firms_has_a_point_in_its_province(world: World) -> None:
    areas = validate_areas(areas_of(world).astype("str"))  # what a workspace would read
    ent = world.enterprises
    zones = areas.loc[areas["kind"].isin(["industrial_zone", "industrial_cluster"])]
    assert set(zones["area_id"]) == set(ent["zone_id"].dropna())
    districts = areas.loc[areas["kind"] == "district"]
    assert set(zip(districts["province"], districts["area_id"], strict=True)) == set(
        ent[["province", "district"]].dropna().itertuples(index=False, name=None)
    )
    hd = areas.loc[areas["province"] == "Hải Dương"]
    assert len(hd) > 0
    south, west, north, east = HD_BOX
    assert hd["latitude"].between(south, north).all() and hd["longitude"].between(west, east).all()
    city = districts.loc[(districts["province"] == "Hải Dương") & (districts["area_id"] == "Hải Dương")].iloc[
        0
    ]
    assert abs(city["latitude"] - 20.94) < 0.05 and abs(city["longitude"] - 106.33) < 0.05
    kinds = dict(zip(zones["area_id"], zones["kind"], strict=True))
    for zone in world.params["zones"]:
        if zone["zone_id"] in kinds:
            assert kinds[zone["zone_id"]] == zone["zone_type"]


def test_a_zone_lies_near_its_district_and_moves_with_the_seed_only(world: World) -> None:
    areas = areas_of(world)
    points = areas.set_index(["kind", "area_id"])
    for zone in world.params["zones"]:
        if zone["zone_id"] not in set(areas["area_id"]):
            continue
        key = ("district", zone["district"])
        if key not in points.index:
            continue
        here = points.loc[(zone["zone_type"], zone["zone_id"])]
        there = points.loc[key]
        assert abs(here["latitude"] - there["latitude"]) <= ZONE_SPREAD_DEG + 1e-9
        assert abs(here["longitude"] - there["longitude"]) <= ZONE_SPREAD_DEG + 1e-9
    again = area_table(world.enterprises, world.params["zones"], 0)
    pd.testing.assert_frame_equal(again, areas)
    other = area_table(world.enterprises, world.params["zones"], 1)
    is_zone = areas["kind"] != "district"
    assert (other.loc[is_zone, "latitude"] != areas.loc[is_zone, "latitude"]).any()
    pd.testing.assert_frame_equal(other.loc[~is_zone], areas.loc[~is_zone])


def test_write_source_writes_areas_the_workspace_can_read(world: World, tmp_path: Path) -> None:
    paths = write_source(world, tmp_path / "a", "csv")
    assert tmp_path / "a" / "areas.csv" in paths
    write_source(world, tmp_path / "b", "csv")
    assert (tmp_path / "a" / "areas.csv").read_bytes() == (tmp_path / "b" / "areas.csv").read_bytes()
    back = read_areas(tmp_path / "a" / "areas.csv")
    pd.testing.assert_frame_equal(back, areas_of(world))


def test_a_national_block_places_its_communes_at_their_centres() -> None:
    full = national_preset(0.01, start="2025-07", end="2025-09")
    preset = replace(full, provinces=tuple(p for p in full.provinces if p.legacy == "Hải Dương"))
    block = next(simulate_blocks(preset, seed=3))
    areas = validate_areas(areas_of(block).astype("str"))
    communes = areas.loc[areas["kind"] == "commune"]
    named = set(block.enterprises[["province", "commune"]].dropna().itertuples(index=False, name=None))
    assert len(communes) == len(named) > 0
    assert set(zip(communes["province"], communes["area_id"], strict=True)) == named
    south, west, north, east = HD_BOX
    assert communes["latitude"].between(south, north).all()
    assert communes["longitude"].between(west, east).all()
