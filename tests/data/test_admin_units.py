"""Stable units across the 2025 reform: old- and new-form addresses of one place agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data import admin_units, reference

NA = pd.NA


def _units(rows: list[tuple[object, object, object]]) -> list[tuple[object, object]]:
    frame = pd.DataFrame(rows, columns=["province", "district", "commune"], dtype="str")
    units = admin_units.stable_units(frame["province"], frame["district"], frame["commune"])
    return [
        (p if isinstance(p, str) else None, d if isinstance(d, str) else None) for p, d in units.to_numpy()
    ]


def test_old_and_new_forms_of_a_place_give_the_same_stable_unit() -> None:
    communes = admin_units.communes_of_district("Hải Dương", "Cẩm Giàng")
    assert ("Thành phố Hải Phòng", "Xã Tuệ Tĩnh") in communes
    got = _units(
        [
            ("Hải Dương", "Cẩm Giàng", NA),
            ("Thành phố Hải Phòng", NA, "Xã Tuệ Tĩnh"),
            ("Hải Phòng", NA, "Tuệ Tĩnh"),
            ("hai phong", NA, "xa tue tinh"),
            ("Tỉnh Hải Dương", NA, "Xã Tuệ Tĩnh"),  # the former province stands for the new one
            ("Thành phố Hải Phòng", "Cẩm Giàng", NA),  # new province, old district
        ]
    )
    assert got == [("Hải Dương", "Cẩm Giàng")] * 6


def test_every_commune_of_a_district_maps_back_to_it() -> None:
    seen: set[tuple[str, str]] = set()
    for district in (
        "Hải Dương",
        "Chí Linh",
        "Kinh Môn",
        "Cẩm Giàng",
        "Kim Thành",
        "Thanh Miện",
        "Ninh Giang",
    ):
        communes = admin_units.communes_of_district("Hải Dương", district)
        assert communes and communes == sorted(communes)
        assert {p for p, _ in communes} == {"Thành phố Hải Phòng"}
        assert not seen & set(communes)
        seen |= set(communes)
        got = _units([(p, NA, c) for p, c in communes])
        assert got == [("Hải Dương", district)] * len(communes)
    assert admin_units.communes_of_district("Atlantis", "Cẩm Giàng") == []
    assert admin_units.communes_of_district("Hải Dương", "Không rõ") == []


def test_commune_goes_to_the_district_that_formed_most_of_it_ties_to_the_lowest_code() -> None:
    # Phường Việt Hòa was formed from two wards of Hải Dương city (district code 288) and two
    # of Cẩm Giàng (code 295): a tie, which goes to the lower code.
    assert _units([("Hải Phòng", NA, "Phường Việt Hòa")]) == [("Hải Dương", "Hải Dương")]
    # Phường Tứ Minh: more of Cẩm Giàng than of the city.
    assert _units([("Hải Phòng", NA, "Phường Tứ Minh")]) == [("Hải Dương", "Cẩm Giàng")]


def test_district_wins_over_commune() -> None:
    assert _units([("Hải Dương", "Kim Thành", "Xã Tuệ Tĩnh")]) == [("Hải Dương", "Kim Thành")]


def test_same_named_districts_of_different_provinces_stay_distinct() -> None:
    rows = [
        ("Long An", "Châu Thành", NA),
        ("Tiền Giang", "Châu Thành", NA),
        ("Bến Tre", "Huyện Châu Thành", NA),
    ]
    got = _units(rows)
    assert got == [("Long An", "Châu Thành"), ("Tiền Giang", "Châu Thành"), ("Bến Tre", "Châu Thành")]
    frame = pd.DataFrame(rows, columns=["province", "district", "commune"])
    assert admin_units.area_key(frame).nunique() == 3


def test_prefixes_case_and_accents_are_ignored() -> None:
    got = _units(
        [
            ("Tỉnh Hải Dương", "Huyện Cẩm Giàng", NA),
            ("hải dương", "huyện cẩm giàng", NA),
            ("HAI DUONG", "cam giang", NA),
            ("Hải Dương", " Cẩm  Giàng ", NA),
            ("Hải Dương", "TP. Hải Dương", NA),
            ("Hải Dương", "Thành phố Hải Dương", NA),
            ("Hải Dương", "TX. Kinh Môn", NA),
            ("Đồng Nai", "TP. Biên Hoà", NA),  # tone mark on the other vowel
        ]
    )
    assert got == [("Hải Dương", "Cẩm Giàng")] * 4 + [("Hải Dương", "Hải Dương")] * 2 + [
        ("Hải Dương", "Kinh Môn"),
        ("Đồng Nai", "Biên Hòa"),
    ]


def test_a_full_name_picks_between_a_town_and_a_district_of_one_name() -> None:
    got = _units(
        [("Hà Tĩnh", "Thị xã Kỳ Anh", NA), ("Hà Tĩnh", "Huyện Kỳ Anh", NA), ("Hà Tĩnh", "Kỳ Anh", NA)]
    )
    assert got[0] != got[1]
    assert got[2] == got[1]  # ambiguous: the lower code (the rural district)


def test_unknown_names_are_kept_cleaned_and_never_raise() -> None:
    got = _units(
        [
            ("Atlantis", "Quận Xanh", NA),
            ("Atlantis", "Xanh", NA),
            ("Hải Dương", "Không rõ", NA),
            ("Hải Phòng", NA, "Xã Không Có"),
            ("Hải Dương", NA, NA),
            (NA, NA, NA),
            ("", "  ", ""),
        ]
    )
    assert got == [
        ("Atlantis", "Xanh"),
        ("Atlantis", "Xanh"),
        ("Hải Dương", "Không rõ"),
        ("Hải Phòng", "Không Có"),  # an unknown commune stands for its own area
        ("Hải Dương", None),
        (None, None),
        (None, None),
    ]
    frame = pd.DataFrame({"province": ["Hải Dương", None], "district": [None, None]})
    assert admin_units.area_key(frame).tolist() == ["Hải Dương|?", "?|?"]


def test_stable_units_of_stable_units_are_themselves() -> None:
    frame = pd.DataFrame(
        {
            "province": ["Thành phố Hải Phòng", "Hà Tĩnh", "Atlantis", "Long An"],
            "district": [NA, "Thị xã Kỳ Anh", "Quận Xanh", "Châu Thành"],
            "commune": ["Xã Tuệ Tĩnh", NA, NA, NA],
        },
        dtype="str",
    )
    once = admin_units.stable_units(frame["province"], frame["district"], frame["commune"])
    twice = admin_units.stable_units(
        once["unit_province"], once["unit_district"], pd.Series(NA, index=once.index, dtype="str")
    )
    pd.testing.assert_frame_equal(once, twice)


def test_area_key_without_a_commune_column_and_with_units_given() -> None:
    frame = pd.DataFrame({"province": ["Hải Dương"], "district": ["Cẩm Giàng"]}, index=[7])
    key = admin_units.area_key(frame)
    assert key.tolist() == ["Hải Dương|Cẩm Giàng"] and key.index.tolist() == [7]
    units = pd.DataFrame({"unit_province": ["X"], "unit_district": [None]})
    assert admin_units.area_key(units).tolist() == ["X|?"]


def test_province_names() -> None:
    legacy, current = admin_units.legacy_province_names(), admin_units.current_province_names()
    assert len(legacy) == 63 and len(current) == 34
    assert "Hải Dương" in legacy and "Hải Dương" not in current and current <= legacy


def test_current_communes() -> None:
    got = admin_units.current_communes(
        pd.Series(["Hải Dương", "Hải Phòng", "Atlantis", "Hải Phòng"]),
        pd.Series(["xã cẩm giàng", "Xã Cẩm Giang", "Xã X", None]),
    )
    assert got["current_province"].tolist()[:2] == ["Thành phố Hải Phòng"] * 2
    assert got["current_commune"].tolist()[:2] == ["Xã Cẩm Giàng", "Xã Cẩm Giang"]
    assert got["current_province"].isna().tolist() == [False, False, True, False]
    assert got["current_commune"].isna().tolist() == [False, False, True, True]


def test_fifty_thousand_rows_with_few_places_are_resolved_by_place() -> None:
    rng = np.random.default_rng(0)
    places = [
        ("Hải Dương", "Cẩm Giàng", None),
        ("Thành phố Hải Phòng", None, "Xã Tuệ Tĩnh"),
        ("Long An", "Châu Thành", None),
        ("Tiền Giang", "Châu Thành", None),
        ("Atlantis", "Xanh", None),
        (None, None, None),
    ]
    pick = rng.integers(0, len(places), 50_000)
    frame = pd.DataFrame([places[i] for i in pick], columns=["province", "district", "commune"], dtype="str")
    frame.index = frame.index + 1000
    units = admin_units.stable_units(frame["province"], frame["district"], frame["commune"])
    assert units.index.equals(frame.index) and list(units.columns) == ["unit_province", "unit_district"]
    expected = admin_units.area_key(pd.DataFrame(places, columns=["province", "district", "commune"]))
    assert admin_units.area_key(frame).to_numpy().tolist() == expected.to_numpy()[pick].tolist()
    assert admin_units.area_key(frame).nunique() == 5  # old and new forms of Cẩm Giàng are one


@pytest.mark.parametrize(
    "name", ["Tỉnh Hải Dương", "TP. Hồ Chí Minh", "Thị xã Kỳ Anh", "Xã Tuệ Tĩnh", "  Quận  1 "]
)
def test_clean_name_drops_one_prefix(name: str) -> None:
    cleaned = admin_units.clean_name(name)
    assert cleaned and not cleaned.casefold().startswith(("tỉnh", "tp", "thị xã", "xã", "quận"))


def test_minimum_wage_region_is_continuous_across_the_reform() -> None:
    dates = ["2023-05-01", "2026-03-01"]
    old = reference.minimum_wage_region(["Hải Dương"] * 2, ["Cẩm Giàng"] * 2, dates)
    new = reference.minimum_wage_region(
        ["Thành phố Hải Phòng"] * 2, [None] * 2, dates, commune=["Xã Tuệ Tĩnh"] * 2
    )
    folded = reference.minimum_wage_region(["hai duong"] * 2, ["huyen cam giang"] * 2, dates)
    assert old.tolist() == new.tolist() == folded.tolist() == [3.0, 1.0]


def test_communes_listed_for_2026_take_their_region_from_then_on() -> None:
    dates = ["2025-12-31", "2026-01-01"]
    # Xã Nguyễn Lương Bằng came mostly from Thanh Miện (Region II in 2026 by the district
    # table), but Decree 293/2025 lists it in Region I.
    assert _units([("Hải Phòng", NA, "Xã Nguyễn Lương Bằng")]) == [("Hải Dương", "Thanh Miện")]
    by_district = reference.minimum_wage_region(["Hải Dương"] * 2, ["Thanh Miện"] * 2, dates)
    by_commune = reference.minimum_wage_region(
        ["Hải Dương"] * 2, ["Thanh Miện"] * 2, dates, commune=["Xã Nguyễn Lương Bằng"] * 2
    )
    assert by_district.tolist() == [4.0, 2.0] and by_commune.tolist() == [4.0, 1.0]
    # Communes of former Hải Phòng city: no district rows, regions from 2026 only.
    city = reference.minimum_wage_region(
        ["Hải Phòng"] * 2, [None] * 2, dates, commune=["Phường Hồng Bàng"] * 2
    )
    assert np.isnan(city[0]) and city[1] == 1.0


def test_every_listed_commune_is_a_known_commune() -> None:
    table = reference.commune_region_table()
    names = admin_units.current_communes(table["province"], table["commune"])
    assert names.notna().all(axis=None) and not names.duplicated().any()
    assert set(table["region"]) == {1} and set(table["effective"]) == {pd.Timestamp("2026-01-01")}
