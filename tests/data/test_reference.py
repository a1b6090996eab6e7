"""Hand-checkable lookups in the shipped reference data."""

import numpy as np
import pandas as pd
import pytest

from data import reference


def test_region_of_cam_giang_moves_from_iii_to_i_in_2026() -> None:
    dates = np.array(["2023-05-01", "2026-03-01", "2025-12-31"], dtype="datetime64[D]")
    got = reference.minimum_wage_region(["Hải Dương"] * 3, ["Cẩm Giàng"] * 3, dates)
    assert got.tolist() == [3.0, 1.0, 3.0]


def test_region_fallbacks_and_unknowns() -> None:
    dates = pd.to_datetime(["2023-05-01"] * 4)
    got = reference.minimum_wage_region(
        ["Hải Dương", "hải dương", "Atlantis", None], ["Không rõ", "huyện Thanh Hà", "X", None], dates
    )
    assert got[0] == 3.0  # province mode: 7 of 12 districts are region III
    assert got[1] == 4.0  # prefix and case are normalized
    assert np.isnan(got[2]) and np.isnan(got[3])


def test_minimum_wage_levels() -> None:
    dates = pd.to_datetime(["2024-07-01", "2024-06-30", "2017-03-01", "2016-12-31"])
    got = reference.minimum_wage_vnd([1, 1, 4, 1], dates)
    assert got[:3].tolist() == [4_960_000, 4_680_000, 2_580_000]
    assert np.isnan(got[3])
    assert np.isnan(reference.minimum_wage_vnd([np.nan], ["2024-07-01"])[0])


def test_change_dates_and_tet() -> None:
    changes = reference.minimum_wage_change_dates()
    assert pd.Timestamp("2022-07-01") in changes and pd.Timestamp("2021-01-01") not in changes
    assert len(reference.tet_dates()) == 16
    assert reference.tet_dates()[9] == pd.Timestamp("2024-02-10")


def test_months_to_next_tet_and_wage_rises() -> None:
    assert reference.months_to_next_tet(["2024-01-10"])[0] == pytest.approx(31 / 30.44)
    assert reference.months_to_next_tet(["2024-02-10"])[0] == 0.0
    assert np.isnan(reference.months_to_next_tet(["2030-03-01"])[0])
    assert reference.months_since_minimum_wage_rise(["2024-08-01"])[0] == pytest.approx(31 / 30.44)
    assert np.isnan(reference.months_since_minimum_wage_rise(["2016-06-01"])[0])
    assert reference.months_to_next_minimum_wage_rise(["2024-06-01"])[0] == pytest.approx(30 / 30.44)
    assert np.isnan(reference.months_to_next_minimum_wage_rise(["2026-01-01"])[0])


def test_dates_before_the_tables_start_are_unknown_not_guessed() -> None:
    """Before the first listed Tết or rise, an unlisted one may come first: NaN, not a guess."""
    first_tet = reference.tet_dates()[0]
    assert reference.months_to_next_tet([first_tet - pd.Timedelta(days=30)])[0] == pytest.approx(30 / 30.44)
    assert np.isnan(reference.months_to_next_tet([first_tet - pd.Timedelta(days=400)])[0])
    first_rise = reference.minimum_wage_change_dates()[0]
    assert np.isnan(reference.months_to_next_minimum_wage_rise([first_rise - pd.Timedelta(days=30)])[0])
    assert reference.months_to_next_minimum_wage_rise([first_rise])[0] > 0
