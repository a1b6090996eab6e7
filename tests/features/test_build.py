"""Hand-checkable fixtures for the point-in-time features, labels and the snapshot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import build_features, feature_names, known_at
from features.labels import add_labels

NAN = float("nan")


def _enterprises() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "enterprise_id": ["0800000001", "0800000002", "0800000003"],
            "name": ["Công ty A", "Công ty B", "Công ty C"],
            "province": ["Hải Dương"] * 3,
            "district": ["Cẩm Giàng"] * 3,
            "zone_id": ["HD-KCN-01", "HD-KCN-01", pd.NA],
            "zone_type": ["industrial_zone", "industrial_zone", "outside"],
            "sector": ["14", "14", "46"],
            "ownership": ["fdi", "fdi", "private"],
            "founded": pd.to_datetime(["2015-01-01", "2018-06-01", "2010-01-01"]),
            "closed": pd.to_datetime([None, None, "2024-04-15"]),
        }
    ).astype(
        {
            c: "str"
            for c in (
                "enterprise_id",
                "name",
                "province",
                "district",
                "zone_id",
                "zone_type",
                "sector",
                "ownership",
            )
        }
    )


def _row(eid: str, month: str, reported: str, **values: float) -> dict[str, object]:
    base: dict[str, object] = {
        "enterprise_id": eid,
        "month": pd.Timestamp(month + "-01"),
        "headcount": 100.0,
        "avg_wage_vnd": 6_000_000.0,
        "wage_arrears_vnd": 0.0,
        "wage_arrears_months": 0.0,
        "insurance_debt_vnd": 0.0,
        "insurance_debt_months": 0.0,
        "layoffs": 0.0,
        "reduced_hours_workers": 0.0,
        "reported_at": pd.Timestamp(reported),
        "reported_at_imputed": False,
    }
    base.update(values)
    return base


def _indicators() -> pd.DataFrame:
    rows = [
        _row("0800000001", "2024-01", "2024-02-20", headcount=120.0),
        _row("0800000001", "2024-02", "2024-03-20", headcount=110.0, insurance_debt_months=1.0),
        _row("0800000001", "2024-03", "2024-04-20", headcount=100.0, insurance_debt_months=2.0, layoffs=10.0),
        _row(
            "0800000001",
            "2024-04",
            "2024-05-20",
            headcount=90.0,
            insurance_debt_months=3.0,
            wage_arrears_months=1.0,
            wage_arrears_vnd=540_000_000.0,
            layoffs=10.0,
            reduced_hours_workers=45.0,
        ),
        # A revision of April known only from June: arrears were 2 months, not 1.
        _row(
            "0800000001",
            "2024-04",
            "2024-06-10",
            headcount=90.0,
            insurance_debt_months=3.0,
            wage_arrears_months=2.0,
            wage_arrears_vnd=1_080_000_000.0,
            layoffs=10.0,
            reduced_hours_workers=45.0,
        ),
        _row("0800000001", "2024-05", "2024-06-20", headcount=80.0),
        _row("0800000002", "2024-01", "2024-02-20", avg_wage_vnd=8_000_000.0),
        _row("0800000002", "2024-02", "2024-03-20", avg_wage_vnd=8_000_000.0, wage_arrears_months=NAN),
        _row("0800000003", "2024-01", "2024-02-20"),
    ]
    return pd.DataFrame(rows)


def _incidents() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "incident_id": ["I1", "I2"],
            "enterprise_id": ["0800000002", "0800000001"],
            "kind": ["work_stoppage", "work_stoppage"],
            "cause": ["wages", "wage_arrears"],
            "started": pd.to_datetime(["2024-04-10", "2024-07-15"]),
            "ended": pd.to_datetime(["2024-04-11", pd.NaT]),
            "reported_at": pd.to_datetime(["2024-04-12", "2024-07-16"]),
            "participants": [300.0, 80.0],
            "reported_at_imputed": [False, False],
        }
    )


def _features(as_of: str) -> pd.DataFrame:
    table = build_features(_enterprises(), _indicators(), _incidents(), [pd.Timestamp(as_of)])
    return table.set_index("enterprise_id")


def test_latest_month_known_is_read_with_its_revision_at_the_time() -> None:
    """As of 31 May, April is known at its first revision; from 10 June the revision wins."""
    may = _features("2024-05-31").loc["0800000001"]
    assert may["wage_arrears_months"] == 1.0
    assert may["insurance_debt_months"] == 3.0
    assert may["months_since_last_report"] == 1.0
    june = _features("2024-06-15").loc["0800000001"]
    assert june["wage_arrears_months"] == 2.0
    assert june["wage_arrears_vnd_per_worker"] == pytest.approx(12_000_000.0)


def test_workforce_features_by_hand() -> None:
    row = _features("2024-05-31").loc["0800000001"]
    assert row["headcount_change_3m"] == pytest.approx(90 / 120 - 1)
    assert row["layoffs_share_1m"] == pytest.approx(10 / 90)
    assert row["layoffs_share_3m"] == pytest.approx(20 / 120)
    assert row["reduced_hours_share"] == pytest.approx(0.5)
    assert row["insurance_debt_trend_3m"] == pytest.approx(3.0)
    assert row["debt_streak_months"] == 3.0
    assert row["debt_first_appearance"] == 0.0
    assert row["insurance_debt_turning_to_wage_arrears"] == 0.0  # 3 months before April: no debt yet


def test_not_reported_stays_missing_not_zero() -> None:
    row = _features("2024-03-31").loc["0800000002"]
    assert np.isnan(row["wage_arrears_months"])
    assert row["wage_arrears_reported"] == 0.0
    assert row["insurance_debt_reported"] == 1.0


def test_universe_excludes_closed_and_not_yet_reporting() -> None:
    assert set(_features("2024-03-31").index) == {"0800000001", "0800000002", "0800000003"}
    assert set(_features("2024-04-30").index) == {"0800000001", "0800000002"}  # C closed on 15 April
    assert _features("2024-02-15").empty  # nothing was reported before 20 February


def test_contagion_counts_other_firms_in_the_zone_once_known() -> None:
    before = _features("2024-04-11").loc["0800000001"]
    after = _features("2024-04-30").loc["0800000001"]
    assert before["zone_stoppages_3m"] == 0.0  # I1 started on 10 April, reported on 12 April
    assert after["zone_stoppages_3m"] == 1.0
    assert _features("2024-04-30").loc["0800000002", "zone_stoppages_3m"] == 0.0  # its own does not count
    assert _features("2024-04-30").loc["0800000002", "stoppages_12m"] == 1.0
    assert _features("2024-08-31").loc["0800000001", "zone_stoppages_3m"] == 0.0  # more than 3 months ago


def test_pay_against_peers_and_minimum_wage() -> None:
    row = _features("2024-03-31")
    # Same zone and sector: A earns 6M, B 8M, median 7M.
    assert row.loc["0800000001", "wage_to_peers"] == pytest.approx(6 / 7)
    # Cẩm Giàng is region III: 3,640,000 VND in February 2024.
    assert row.loc["0800000001", "wage_to_minimum_wage"] == pytest.approx(6_000_000 / 3_640_000)


def test_labels_look_only_at_the_horizon_and_close_on_time() -> None:
    table = build_features(
        _enterprises(),
        _indicators(),
        _incidents(),
        pd.to_datetime(["2024-03-31", "2024-04-30", "2024-05-31"]),
    )
    labelled = add_labels(table, _incidents(), horizons=(1, 3), label_cutoff=pd.Timestamp("2024-08-31"))
    got = labelled.set_index(["as_of", "enterprise_id"])
    assert got.loc[(pd.Timestamp("2024-03-31"), "0800000002"), "target_1m"] == 1.0
    assert got.loc[(pd.Timestamp("2024-04-30"), "0800000002"), "target_1m"] == 0.0
    assert got.loc[(pd.Timestamp("2024-04-30"), "0800000001"), "target_3m"] == 1.0  # 15 July ≤ 31 July
    assert got.loc[(pd.Timestamp("2024-03-31"), "0800000001"), "target_3m"] == 0.0
    assert got.loc[(pd.Timestamp("2024-05-31"), "0800000001"), "target_3m"] == 1.0  # window closes 31 Aug
    early = add_labels(table, _incidents(), horizons=(3,), label_cutoff=pd.Timestamp("2024-08-30"))
    early = early.set_index(["as_of", "enterprise_id"])
    assert np.isnan(early.loc[(pd.Timestamp("2024-05-31"), "0800000001"), "target_3m"])  # not over yet
    assert early.loc[(pd.Timestamp("2024-04-30"), "0800000001"), "target_3m"] == 1.0


def test_every_feature_is_written() -> None:
    table = build_features(_enterprises(), _indicators(), _incidents(), [pd.Timestamp("2024-05-31")])
    assert set(feature_names()) <= set(table.columns)


def test_known_at_keeps_only_rows_reported_by_the_date() -> None:
    indicators, incidents = known_at(_indicators(), _incidents(), pd.Timestamp("2024-04-20"))
    assert indicators["reported_at"].max() == pd.Timestamp("2024-04-20")
    assert list(incidents["incident_id"]) == ["I1"]
