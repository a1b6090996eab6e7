"""The optional area reference (`data.reference` areas): a good file is typed, a bad one is
refused whole in one line naming the row, and docs/contract.md lists its fields."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from data.reference import (
    AREA_COLUMNS,
    AREA_KINDS,
    AreasRefused,
    areas_path,
    read_areas,
    validate_areas,
)

GOOD = {
    "area_id": ["HD-KCN-01", "HD-CCN-01", "Cẩm Giàng", "Phường Thành Đông"],
    "kind": ["industrial_zone", "industrial_cluster", "district", "commune"],
    "name": ["Khu công nghiệp Đại An", "Cụm công nghiệp Hoàng Diệu", "Cẩm Giàng", "Phường Thành Đông"],
    "province": ["Hải Dương", "Hải Dương", "Hải Dương", "Hải Phòng"],
    "latitude": ["20.9363", "20.8555", "20.947949", "20.94"],
    "longitude": ["106.278", "106.2937", "106.22868", "106.33"],
}


def _frame(**changes: list[str]) -> pd.DataFrame:
    return pd.DataFrame({**GOOD, **changes}, dtype="str")


def test_a_good_table_is_typed_and_kept_in_order() -> None:
    out = validate_areas(_frame())
    assert tuple(out.columns) == AREA_COLUMNS
    assert out["area_id"].tolist() == GOOD["area_id"]
    assert out["latitude"].dtype == "float64" and out["longitude"].dtype == "float64"
    assert out["latitude"].tolist() == [float(v) for v in GOOD["latitude"]]


@pytest.mark.parametrize(
    ("changes", "row", "words"),
    [
        ({"kind": ["industrial_zone", "industrial_cluster", "district", "ward"]}, 5, "kind 'ward'"),
        ({"latitude": ["20.9", "20.8", "206.9", "20.9"]}, 4, "latitude 206.9 is outside Vietnam"),
        ({"longitude": ["106.2", "20.9", "106.2", "106.3"]}, 3, "longitude 20.9 is outside Vietnam"),
        ({"latitude": ["20.9", "north", "20.9", "20.9"]}, 3, "latitude 'north' is not a number"),
        ({"latitude": ["20.9", "20.8", "", "20.9"]}, 4, "latitude '' is not a number"),
        ({"latitude": ["nan", "20.8", "20.9", "20.9"]}, 2, "latitude nan is outside Vietnam"),
        ({"area_id": ["HD-KCN-01", " HD-CCN-01", "Cẩm Giàng", "X"]}, 3, "area_id must be 1 to 64"),
        ({"area_id": ["HD-KCN-01", "HD\u200bCCN", "Cẩm Giàng", "X"]}, 3, "invisible character"),
        ({"area_id": ["HD-KCN-01", "x" * 65, "Cẩm Giàng", "X"]}, 3, "area_id must be 1 to 64"),
        ({"name": ["A", "B", " ", "D"]}, 4, "name is empty"),
        ({"province": ["A", "", "C", "D"]}, 3, "province is empty"),
    ],
)
def test_a_bad_row_refuses_the_file_in_one_line_naming_the_row(
    changes: dict[str, list[str]], row: int, words: str
) -> None:
    with pytest.raises(AreasRefused) as caught:
        validate_areas(_frame(**changes), "areas.csv")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"areas.csv: row {row}: "), message
    assert words in message


def test_a_key_listed_twice_is_refused_zones_across_kinds_and_places_by_normalized_province() -> None:
    zone_twice = _frame(
        area_id=["HD-KCN-01", "HD-KCN-01", "Cẩm Giàng", "P"],
        kind=["industrial_zone", "industrial_cluster", "district", "commune"],
    )
    with pytest.raises(AreasRefused, match=r"row 3: area 'HD-KCN-01' is listed twice"):
        validate_areas(zone_twice)
    place_twice = _frame(
        area_id=["Z1", "Cẩm Giàng", "Cẩm Giàng", "P"],
        kind=["industrial_zone", "district", "district", "commune"],
        province=["Hải Dương", "Hải Dương", "Tỉnh Hải Dương", "Hải Phòng"],
    )
    with pytest.raises(AreasRefused, match=r"row 4: area 'Cẩm Giàng' is listed twice"):
        validate_areas(place_twice)
    # The same name as a district and as a commune, or in two provinces, is two areas.
    fine = _frame(
        area_id=["Z1", "An Lão", "An Lão", "An Lão"],
        kind=["industrial_zone", "district", "commune", "district"],
        province=["Hải Phòng", "Hải Phòng", "Hải Phòng", "Bình Định"],
    )
    assert len(validate_areas(fine)) == 4


def test_missing_or_unknown_columns_are_named() -> None:
    with pytest.raises(AreasRefused, match="missing column\\(s\\) latitude"):
        validate_areas(_frame().drop(columns="latitude"))
    with pytest.raises(AreasRefused, match="unknown column\\(s\\) lat"):
        validate_areas(_frame().assign(lat="1"))


def test_the_workspace_file_is_optional_and_read_as_text(tmp_path: Path) -> None:
    path = areas_path(tmp_path)
    assert path == tmp_path / "areas.csv"
    empty = read_areas(path)
    assert empty.empty and tuple(empty.columns) == AREA_COLUMNS
    _frame().assign(area_id=["007", "HD-CCN-01", "Cẩm Giàng", "P"]).to_csv(path, index=False)
    back = read_areas(path)
    assert back["area_id"].iloc[0] == "007"  # ids stay text: the leading zeros are kept
    path.write_bytes(b"area_id,kind\n\xff\xfe,x\n")
    with pytest.raises(AreasRefused, match="areas.csv: cannot be read as a UTF-8 CSV"):
        read_areas(path)


def test_the_contract_lists_the_fields_and_kinds_of_the_code() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs/contract.md").read_text(encoding="utf-8")
    section = re.split(r"^## +", text, flags=re.MULTILINE)
    body = next(part for part in section if part.startswith("areas"))
    fields = re.findall(r"^\| `([a-z_]+)` \|", body, flags=re.MULTILINE)
    assert tuple(fields) == AREA_COLUMNS
    kind_row = next(line for line in body.splitlines() if line.startswith("| `kind`"))
    assert tuple(re.findall(r"`([a-z_]+)`", kind_row)[1:]) == AREA_KINDS
