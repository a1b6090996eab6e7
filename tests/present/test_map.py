"""The map of areas: counts per area by hand, one area per firm, offline chart, text as data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from present.map import COUNT_COLUMNS, area_counts, area_map, areas_table

AREAS = pd.DataFrame(
    {
        "area_id": ["HD-KCN-01", "HD-CCN-01", "Cẩm Giàng", "Phường Thành Đông", "HD-KCN-09"],
        "kind": ["industrial_zone", "industrial_cluster", "district", "commune", "industrial_zone"],
        "name": ["<b>Đại An</b>", "CCN Hoàng Diệu", "Cẩm Giàng", "Phường Thành Đông", "KCN trống"],
        "province": ["Hải Dương", "Hải Dương", "Hải Dương", "Hải Phòng", "Hải Dương"],
        "latitude": [20.93, 20.85, 20.95, 20.94, 20.90],
        "longitude": [106.27, 106.29, 106.23, 106.33, 106.30],
    }
)


def _ranking() -> pd.DataFrame:
    rows = [
        # enterprise, band, province, district, zone_id, commune
        ("1", "high", "Hải Dương", "Cẩm Giàng", "HD-KCN-01", None),
        ("2", "high", "Hải Dương", "Hải Dương", "HD-KCN-01", None),
        ("3", "elevated", "Hải Dương", "Cẩm Giàng", "HD-KCN-01", None),
        ("4", "low", "Hải Dương", "Cẩm Giàng", "HD-KCN-01", None),
        ("5", "elevated", "Hải Dương", "Cẩm Giàng", None, None),
        ("6", "watch", "Tỉnh Hải Dương", "huyện Cẩm Giàng", None, None),  # same district, other spelling
        ("7", "low", "Hải Dương", "Cẩm Giàng", "HD-CCN-01", None),
        ("8", "high", "Hải Phòng", None, None, "Phường Thành Đông"),
        ("9", "elevated", "Hải Dương", "Tứ Kỳ", None, None),  # a district without coordinates
        ("10", "high", "Hải Dương", None, None, None),  # names no area
    ]
    frame = pd.DataFrame(
        rows, columns=["enterprise_id", "band", "province", "district", "zone_id", "commune"]
    )
    return frame.assign(as_of="2024-06-30", score=0.1, rank=range(1, len(rows) + 1))


def test_counts_per_area_by_hand_each_firm_in_one_area() -> None:
    counts = area_counts(_ranking(), AREAS)
    assert tuple(counts.columns) == COUNT_COLUMNS
    got = {
        r.area_id: (r.kind, r.enterprises, r.high, r.elevated, r.flagged)
        for r in counts.itertuples(index=False)
    }
    assert got == {
        "HD-KCN-01": ("industrial_zone", 4, 2, 1, 3),  # firms 1-4: zone before district
        "Cẩm Giàng": ("district", 2, 0, 1, 1),  # firms 5, 6
        "HD-CCN-01": ("industrial_cluster", 1, 0, 0, 0),
        "Phường Thành Đông": ("commune", 1, 1, 0, 1),
        "Tứ Kỳ": ("district", 1, 0, 1, 1),
    }
    assert counts["enterprises"].sum() == 9  # firm 10 names no area; the empty zone is not listed
    first = counts.iloc[0]
    assert first["area_id"] == "HD-KCN-01" and abs(first["share_high"] - 2 / 3) < 1e-12
    assert pd.isna(counts.set_index("area_id").loc["HD-CCN-01", "share_high"])
    unlisted = counts.set_index("area_id").loc["Tứ Kỳ"]
    assert pd.isna(unlisted["latitude"]) and unlisted["name"] == "Tứ Kỳ"
    assert unlisted["province"] == "Hải Dương"


def test_the_map_is_offline_points_with_names_as_data() -> None:
    chart = area_map(_ranking(), AREAS, "vi")
    assert chart is not None
    spec = chart.to_dict()
    assert spec["mark"]["type"] == "circle"
    assert spec["projection"] == {"type": "equirectangular"}
    assert spec["encoding"]["longitude"]["field"] == "longitude"
    assert spec["encoding"]["size"]["field"] == "flagged"
    text = json.dumps(spec, ensure_ascii=False)
    assert '"url"' not in text and "tile" not in text  # inline values, no tile or geo service
    values = next(iter(spec["datasets"].values()))
    names = {v["name"] for v in values}
    assert names == {"<b>Đại An</b>", "CCN Hoàng Diệu", "Cẩm Giàng", "Phường Thành Đông"}  # placed only
    assert "<b>" not in json.dumps({k: v for k, v in spec.items() if k != "datasets"}, ensure_ascii=False)
    assert {v["kind_label"] for v in values} >= {"Khu công nghiệp (KCN)", "Xã / phường"}
    assert not re.search(r"\b(map|area)[._][a-z_]+", text)  # every word found in the catalogue
    english = area_map(_ranking(), AREAS, "en")
    assert english is not None
    assert "Industrial zone" in json.dumps(english.to_dict(), ensure_ascii=False)


def test_no_map_without_coordinates(tmp_path: Path) -> None:
    assert area_map(_ranking(), areas_table(tmp_path)) is None  # the workspace declares none
    far = AREAS.loc[AREAS["area_id"] == "HD-KCN-09"]
    assert area_map(_ranking(), far) is None  # coordinates, but of no area the ranking names


def test_areas_table_reads_the_workspace_file(tmp_path: Path) -> None:
    AREAS.to_csv(tmp_path / "areas.csv", index=False)
    table = areas_table(tmp_path)
    assert table["area_id"].tolist() == AREAS["area_id"].tolist()
    assert area_counts(_ranking(), table).equals(area_counts(_ranking(), AREAS.astype({"area_id": "str"})))
