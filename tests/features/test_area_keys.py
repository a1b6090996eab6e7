"""Area keys: every one includes its province, and old- and new-form addresses of one place agree.

E1 and E2 lie in districts both named Châu Thành, of Long An and of Tiền Giang: not
neighbours. E3 is addressed the old way (Hải Dương, Cẩm Giàng), E4 and E5 the post-2025
way (Hải Phòng, Xã Tuệ Tĩnh, a commune formed from Cẩm Giàng): one area. E2 and E3 strike
in April 2025.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import build_features, feature_names

AS_OF = pd.Timestamp("2025-04-30")
WAGES = {"E1": 5_000_000.0, "E2": 7_000_000.0, "E3": 6_000_000.0, "E4": 4_000_000.0, "E5": 5_000_000.0}


def _enterprises(with_commune: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "enterprise_id": list(WAGES),
            "name": ["A", "B", "C", "D", "E"],
            "province": ["Long An", "Tiền Giang", "Hải Dương", "Thành phố Hải Phòng", "Hải Phòng"],
            "district": ["Châu Thành", "Châu Thành", "Cẩm Giàng", None, None],
            "commune": [None, None, None, "Xã Tuệ Tĩnh", "xã tuệ tĩnh"],
            "zone_id": [None] * 5,
            "zone_type": ["outside"] * 5,
            "sector": ["15", "15", "14", "14", "14"],
            "ownership": ["private"] * 5,
            "founded": pd.to_datetime(["2015-01-01"] * 5),
            "closed": pd.to_datetime([None] * 5),
        }
    )
    frame = frame.astype({c: "str" for c in frame.columns if c not in ("founded", "closed")})
    return frame if with_commune else frame.drop(columns="commune")


def _indicators() -> pd.DataFrame:
    rows = [
        {
            "enterprise_id": eid,
            "month": month,
            "headcount": 100.0,
            "avg_wage_vnd": wage,
            "wage_arrears_vnd": 0.0,
            "wage_arrears_months": 0.0,
            "insurance_debt_vnd": 0.0,
            "insurance_debt_months": 0.0,
            "layoffs": 0.0,
            "reduced_hours_workers": 0.0,
            "reported_at": month + pd.offsets.MonthEnd(0) + pd.Timedelta(days=20),
            "reported_at_imputed": False,
        }
        for eid, wage in WAGES.items()
        for month in pd.date_range("2024-10-01", "2025-03-01", freq="MS")
    ]
    return pd.DataFrame(rows).astype({"enterprise_id": "str"})


def _incidents() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "incident_id": ["A", "B"],
            "enterprise_id": ["E2", "E3"],
            "kind": ["work_stoppage", "work_stoppage"],
            "cause": ["wages", "wages"],
            "started": pd.to_datetime(["2025-04-05", "2025-04-10"]),
            "ended": pd.to_datetime([None, None]),
            "reported_at": pd.to_datetime(["2025-04-06", "2025-04-11"]),
            "participants": [150.0, 180.0],
            "reported_at_imputed": [False, False],
        }
    )
    return frame.astype({c: "str" for c in ("incident_id", "enterprise_id", "kind", "cause")})


@pytest.fixture(scope="module")
def april() -> pd.DataFrame:
    return build_features(_enterprises(), _indicators(), _incidents(), [AS_OF]).set_index("enterprise_id")


def test_same_named_districts_of_two_provinces_are_not_neighbours(april: pd.DataFrame) -> None:
    assert april.loc["E1", "district_sector_stoppages_3m"] == 0.0  # E2's Châu Thành is in Tiền Giang
    assert april.loc["E1", "wage_to_peers"] == 1.0  # its own peer group: E2 is elsewhere
    assert april.loc["E2", "wage_to_peers"] == 1.0


def test_new_form_address_is_a_neighbour_of_the_old_form_of_its_place(april: pd.DataFrame) -> None:
    assert april.loc["E4", "district_sector_stoppages_3m"] == 1.0  # E3's stoppage
    assert april.loc["E5", "district_sector_stoppages_3m"] == 1.0
    assert april.loc["E3", "district_sector_stoppages_3m"] == 0.0  # its own does not count
    assert april.loc["E4", "province_stoppages_1m"] == 1.0  # the province of its stable unit
    # Peers in the same area and sector: wages 6, 4 and 5 million, median 5 million.
    assert april.loc["E3", "wage_to_peers"] == pytest.approx(6 / 5)
    assert april.loc["E4", "wage_to_peers"] == pytest.approx(4 / 5)


def test_new_form_address_gets_the_minimum_wage_of_its_place(april: pd.DataFrame) -> None:
    # Cẩm Giàng is region III until 2026 (3,860,000 VND from July 2024).
    assert april.loc["E3", "wage_to_minimum_wage"] == pytest.approx(6_000_000 / 3_860_000)
    assert april.loc["E4", "wage_to_minimum_wage"] == pytest.approx(4_000_000 / 3_860_000)
    later = build_features(_enterprises(), _indicators(), _incidents(), [pd.Timestamp("2026-03-31")])
    change = later.set_index("enterprise_id")["minimum_wage_region_change_12m"]
    assert change["E3"] == change["E4"] == 2.0  # region III → I


def test_features_are_unchanged_in_name_and_without_a_commune_column(april: pd.DataFrame) -> None:
    assert set(feature_names()) <= set(april.columns)
    old_store = build_features(_enterprises(with_commune=False), _indicators(), _incidents(), [AS_OF])
    old_store = old_store.set_index("enterprise_id")
    # (The province categories differ: without a commune, E4 and E5 stay "Hải Phòng".)
    pd.testing.assert_frame_equal(
        old_store.loc[["E1", "E2"]], april.loc[["E1", "E2"]], check_categorical=False
    )
    # Without a commune, E4 and E5 only have a province: an area of their own, so E3 has
    # no peers left and E4 no neighbour.
    pd.testing.assert_series_equal(
        old_store.loc["E3"].drop("wage_to_peers").astype(str),
        april.loc["E3"].drop("wage_to_peers").astype(str),
    )
    assert old_store.loc["E3", "wage_to_peers"] == 1.0
    assert old_store.loc["E4", "district_sector_stoppages_3m"] == 0.0
    assert np.isnan(old_store.loc["E4", "wage_to_minimum_wage"])  # Hải Phòng has no regions before 2026


def test_the_model_sees_one_province_category_for_both_forms_of_an_address():
    table = build_features(_enterprises(), _indicators(), _incidents(), [AS_OF]).set_index("enterprise_id")
    # E4 and E5 write "Thành phố Hải Phòng" / "Hải Phòng" and a commune: to the model they
    # are in Hải Dương, the category their history and the training rows were recorded under.
    assert list(table.loc[["E3", "E4", "E5"], "province"]) == ["Hải Dương"] * 3
    assert list(table.loc[["E3", "E4", "E5"], "district"]) == ["Cẩm Giàng"] * 3
