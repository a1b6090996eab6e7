"""One hand-checkable case for each feature family not covered in test_build.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import build_features


def _enterprises() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "enterprise_id": ["E1", "E2", "E3"],
            "name": ["A", "B", "C"],
            "province": ["Hải Dương"] * 3,
            "district": ["Cẩm Giàng", "Cẩm Giàng", "Kim Thành"],
            "zone_id": ["Z1", pd.NA, pd.NA],
            "zone_type": ["industrial_zone", "outside", "outside"],
            "sector": ["15", "15", "15"],
            "ownership": ["fdi", "private", "private"],
            "founded": pd.to_datetime(["2014-07-01", None, "2020-01-01"]),
            "closed": pd.to_datetime([None, None, None]),
        }
    )
    return frame.astype({c: "str" for c in frame.columns if c not in ("founded", "closed")})


def _indicators() -> pd.DataFrame:
    months = pd.date_range("2024-01-01", "2025-03-01", freq="MS")
    rows = []
    for eid in ("E1", "E2", "E3"):
        for i, month in enumerate(months):
            debt = eid == "E1" and i >= 11  # insurance debt from Dec 2024
            arrears = eid == "E1" and i >= 14  # wage arrears from Mar 2025
            rows.append(
                {
                    "enterprise_id": eid,
                    "month": month,
                    "headcount": 1000.0 - 10 * i if eid == "E1" else 200.0,
                    "avg_wage_vnd": 5_000_000.0,
                    "wage_arrears_vnd": 2_500_000_000.0 if arrears else 0.0,
                    "wage_arrears_months": 1.0 if arrears else 0.0,
                    "insurance_debt_vnd": 300_000_000.0 * (i - 10) if debt else 0.0,
                    "insurance_debt_months": float(i - 10) if debt else 0.0,
                    "layoffs": 0.0,
                    "reduced_hours_workers": 0.0,
                    "reported_at": month + pd.offsets.MonthEnd(0) + pd.Timedelta(days=20),
                    "reported_at_imputed": False,
                }
            )
    frame = pd.DataFrame(rows)
    return frame.astype({"enterprise_id": "str"})


def _incidents() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "incident_id": ["A", "B", "C"],
            "enterprise_id": ["E2", "E3", "E1"],
            "kind": ["work_stoppage", "work_stoppage", "petition"],
            "cause": ["wages", "wages", "wages"],
            "started": pd.to_datetime(["2025-04-05", "2025-04-20", "2024-06-10"]),
            "ended": pd.to_datetime([None, None, None]),
            "reported_at": pd.to_datetime(["2025-04-06", "2025-04-21", "2024-06-11"]),
            "participants": [150.0, 180.0, np.nan],
            "reported_at_imputed": [False, False, False],
        }
    )
    return frame.astype({c: "str" for c in ("incident_id", "enterprise_id", "kind", "cause")})


@pytest.fixture(scope="module")
def april() -> pd.DataFrame:
    """As of 30 April 2025: March 2025 is the latest month known (reported 20 April)."""
    return build_features(
        _enterprises(), _indicators(), _incidents(), [pd.Timestamp("2025-04-30")]
    ).set_index("enterprise_id")


def test_debt_family(april: pd.DataFrame) -> None:
    e1 = april.loc["E1"]
    assert e1["insurance_debt_months"] == 4.0  # Dec, Jan, Feb, Mar
    assert e1["insurance_debt_vnd_per_worker"] == pytest.approx(1_200_000_000 / 860)
    assert e1["wage_arrears_to_minimum_wage"] == pytest.approx(2_500_000_000 / 860 / 3_860_000)  # region III
    assert e1["debt_streak_months"] == 4.0
    assert e1["debt_first_appearance"] == 0.0  # debt started 3 months before the latest month
    assert e1["insurance_debt_turning_to_wage_arrears"] == 1.0  # Dec: insurance only; Mar: wages too


def test_first_appearance_on_the_first_month_of_debt() -> None:
    table = build_features(_enterprises(), _indicators(), _incidents(), [pd.Timestamp("2025-01-31")])
    e1 = table.set_index("enterprise_id").loc["E1"]  # latest month: Dec 2024, the first with debt
    assert e1["debt_first_appearance"] == 1.0 and e1["debt_streak_months"] == 1.0


def test_workforce_family(april: pd.DataFrame) -> None:
    e1 = april.loc["E1"]  # headcount 1000 - 10 i; March 2025 is i = 14
    assert e1["headcount"] == 860.0
    assert e1["log_headcount"] == pytest.approx(np.log1p(860.0))
    assert e1["headcount_change_6m"] == pytest.approx(860 / 920 - 1)
    assert e1["headcount_change_12m"] == pytest.approx(860 / 980 - 1)


def test_contagion_and_history(april: pd.DataFrame) -> None:
    # E2's stoppage (5 April) and E3's (20 April): same sector; E2 same district as E1.
    assert april.loc["E1", "district_sector_stoppages_3m"] == 1.0
    assert april.loc["E2", "district_sector_stoppages_3m"] == 0.0  # its own does not count
    assert april.loc["E1", "province_stoppages_1m"] == 2.0
    assert april.loc["E1", "zone_stoppages_3m"] == 0.0  # nobody else in Z1
    assert np.isnan(april.loc["E2", "zone_stoppages_3m"])  # outside any zone
    assert april.loc["E1", "incidents_12m"] == 1.0  # the June 2024 petition
    assert april.loc["E1", "stoppages_12m"] == 0.0
    assert april.loc["E1", "months_since_last_incident"] == pytest.approx(324 / 30.4375)
    assert april.loc["E2", "months_since_last_incident"] == pytest.approx(25 / 30.4375)


def test_calendar_family(april: pd.DataFrame) -> None:
    e1 = april.loc["E1"]
    assert e1["months_to_tet"] == pytest.approx(
        (pd.Timestamp("2026-02-17") - pd.Timestamp("2025-04-30")).days / 30.44, rel=1e-3
    )
    assert e1["months_since_minimum_wage_rise"] == pytest.approx(
        (pd.Timestamp("2025-04-30") - pd.Timestamp("2024-07-01")).days / 30.44, rel=1e-3
    )
    assert np.isnan(e1["months_to_minimum_wage_rise"])  # January 2026 is more than 3 months away
    late = build_features(_enterprises(), _indicators(), _incidents(), [pd.Timestamp("2025-11-30")])
    assert late.set_index("enterprise_id").loc["E1", "months_to_minimum_wage_rise"] == pytest.approx(
        32 / 30.44, rel=1e-2
    )


def test_region_change_is_a_cost_shock() -> None:
    table = build_features(
        _enterprises(), _indicators(), _incidents(), [pd.Timestamp("2026-03-31")]
    ).set_index("enterprise_id")
    assert table.loc["E1", "minimum_wage_region_change_12m"] == 2.0  # Cẩm Giàng: region III → I
    assert table.loc["E1", "months_since_last_report"] == 12.0  # last month reported: March 2025


def test_static_family(april: pd.DataFrame) -> None:
    assert april.loc["E1", "age_years"] == pytest.approx(
        (pd.Timestamp("2025-04-30") - pd.Timestamp("2014-07-01")).days / 365.25
    )
    assert np.isnan(april.loc["E2", "age_years"])  # founding date not reported
    assert april.loc["E1", "zone_type"] == "industrial_zone" and april.loc["E2", "sector"] == "15"
    assert april.loc["E1", "wage_to_minimum_wage"] == pytest.approx(
        5_000_000 / 3_860_000
    )  # region III, July 2024
