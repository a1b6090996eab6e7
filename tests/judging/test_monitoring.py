"""Monitoring functions on small hand-checkable cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from judging.monitoring import (
    calibration_against_outcomes,
    calibration_check,
    calibration_nights,
    data_freshness,
    feature_drift,
    freshness,
    psi,
    psi_threshold,
    score_drift,
    top_k_churn,
)


def test_psi_identical_is_zero_and_shift_is_large() -> None:
    rng = np.random.default_rng(0)
    ref = rng.normal(size=5000)
    assert psi(ref, ref) == pytest.approx(0.0, abs=1e-12)
    assert psi(ref, rng.normal(size=5000)) < 0.02
    assert psi(ref, ref + 1.0) > 0.5


def test_psi_nan_is_its_own_bin() -> None:
    ref = np.arange(100, dtype=float)
    cur = ref.copy()
    cur[:30] = np.nan
    assert psi(ref, cur) > 0.25
    assert np.isfinite(psi(ref, np.full(10, np.nan)))


def test_psi_hand_checked_two_bins() -> None:
    ref = np.array([0.0, 0.0, 1.0, 1.0])  # median edge 0.5: shares 0.5 / 0.5
    cur = np.array([0.0, 1.0, 1.0, 1.0])  # shares 0.25 / 0.75
    expected = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)
    assert psi(ref, cur, bins=2) == pytest.approx(expected, rel=1e-3)


def test_threshold_shrinks_with_n_down_to_the_floor() -> None:
    small, medium, large = (psi_threshold(n, n, 10) for n in (50, 500, 100_000))
    assert small > medium >= large
    assert large == pytest.approx(0.10)
    assert psi_threshold(100_000, 100_000, 10, floor=0.25) == pytest.approx(0.25)
    # chi2_9(0.99) = 21.666; (1/50 + 1/50) * 21.666 = 0.8666
    assert small == pytest.approx(0.8666, rel=1e-3)
    assert psi_threshold(0, 10, 10) == float("inf")


def test_feature_drift_numeric_and_categorical() -> None:
    rng = np.random.default_rng(1)
    n = 4000
    ref = pd.DataFrame(
        {"x": rng.normal(size=n), "sector": rng.choice(["10", "14", "25"], n), "y": rng.normal(size=n)}
    )
    cur = pd.DataFrame({"x": rng.normal(size=n) + 2, "sector": ["14"] * n, "y": rng.normal(size=n)})
    out = feature_drift(ref, cur, ["x", "sector", "y"]).set_index("column")
    assert out.loc["x", "status"] == "alert" and out.loc["x", "kind"] == "numeric"
    assert out.loc["sector", "status"] == "alert" and out.loc["sector", "kind"] == "categorical"
    assert out.loc["y", "status"] == "ok"
    assert (out["alert_threshold"] >= out["threshold"]).all()


def test_small_samples_do_not_alert_on_noise() -> None:
    rng = np.random.default_rng(2)
    ref, cur = pd.DataFrame({"x": rng.normal(size=60)}), pd.DataFrame({"x": rng.normal(size=60)})
    row = feature_drift(ref, cur, ["x"]).iloc[0]
    assert row["psi"] > 0.1  # the rule of thumb would warn...
    assert row["status"] == "ok"  # ...the sample-size-aware threshold does not


def test_score_drift_has_means() -> None:
    ref = pd.DataFrame({"score": np.linspace(0, 0.1, 1000)})
    cur = pd.DataFrame({"score": np.linspace(0.05, 0.15, 1000)})
    row = score_drift(ref, cur).iloc[0]
    assert row["column"] == "score" and row["status"] == "alert"
    assert row["mean_current"] == pytest.approx(0.1)


def _ranking(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"enterprise_id": ids, "rank": range(1, len(ids) + 1), "score": np.linspace(1, 0, len(ids))}
    )


def test_top_k_churn() -> None:
    prev = _ranking(["a", "b", "c", "d", "e", "f"])
    cur = _ranking(["a", "e", "b", "f", "c", "d"])
    out = top_k_churn(prev, cur, k=3)
    assert out["entrants"] == ["e"] and out["leavers"] == ["c"]
    assert out["churn"] == pytest.approx(1 / 3)
    assert out["jaccard"] == pytest.approx(2 / 4)
    first = top_k_churn(None, cur, k=3)
    assert first["churn"] is None and first["entrants"] == []


def test_calibration_against_outcomes() -> None:
    published = pd.DataFrame(
        {
            "as_of": ["2025-01-31"] * 4 + ["2025-02-28"] * 4 + ["2025-12-31"] * 4,
            "enterprise_id": ["a", "b", "c", "d"] * 3,
            "score": [0.8, 0.6, 0.1, 0.1] * 3,
            "band": ["high", "high", "low", "low"] * 3,
        }
    )
    incidents = pd.DataFrame(
        {
            "enterprise_id": ["a", "c", "b", "d"],
            "kind": ["work_stoppage", "work_stoppage", "petition", "work_stoppage"],
            "started": pd.to_datetime(["2025-03-10", "2025-05-20", "2025-02-10", "2025-04-01"]),
            "reported_at": pd.to_datetime(["2025-03-11", "2025-05-21", "2025-02-11", "2025-07-15"]),
        }
    )
    out = calibration_against_outcomes(published, incidents, 3, as_of_cutoff="2025-06-30").set_index("band")
    # The December night is excluded: its horizon is still open at the cutoff.
    assert out.loc["all", "nights"] == 2 and out.loc["all", "rows"] == 8
    # a: 03-10 is inside (01-31, 04-30] and (02-28, 05-28]; b's petition is not a work stoppage.
    assert out.loc["high", "events"] == 2
    assert out.loc["high", "observed_rate"] == pytest.approx(0.5)
    assert out.loc["high", "mean_predicted"] == pytest.approx(0.7)
    # c: 05-20 only inside (02-28, 05-28]; d's stoppage was reported after the cutoff.
    assert out.loc["low", "events"] == 1
    assert out.loc["low", "observed_rate"] == pytest.approx(0.25)
    assert out.loc["all", "events"] == 3
    assert list(out.index) == ["high", "low", "all"]
    per_night = calibration_against_outcomes(
        published, incidents, 3, as_of_cutoff="2025-06-30", per_night=True
    )
    assert set(per_night["as_of"].dt.strftime("%Y-%m-%d")) == {"2025-01-31", "2025-02-28"}


def test_freshness_flags() -> None:
    indicators = pd.DataFrame(
        {
            "enterprise_id": ["a", "a", "b", "c"],
            "month": pd.to_datetime(["2025-11-01", "2025-12-01", "2025-08-01", "2025-12-01"]),
            "reported_at": pd.to_datetime(["2025-12-20", "2026-01-20", "2025-09-20", "2026-02-20"]),
        }
    )
    enterprises = pd.DataFrame(
        {
            "enterprise_id": ["a", "b", "c", "d"],
            "province": ["Hải Dương", "Hải Dương", "Bắc Ninh", "Bắc Ninh"],
        }
    )
    out = freshness(indicators, "2026-01-31", 3, enterprises=enterprises).set_index("enterprise_id")
    assert out.loc["a", "months_stale"] == 1 and not out.loc["a", "stale"]
    assert out.loc["b", "months_stale"] == 5 and out.loc["b", "stale"]
    assert out.loc["c", "stale"]  # its only row was reported after as_of
    assert pd.isna(out.loc["d", "latest_month"]) and out.loc["d", "stale"]
    summary = data_freshness(indicators, enterprises, "2026-01-31", 3).set_index("province")
    assert summary.loc["Hải Dương", "share_stale"] == pytest.approx(0.5)
    assert summary.loc["Bắc Ninh", "share_stale"] == pytest.approx(1.0)
    assert summary.loc["Hải Dương", "latest_reported_at"] == pd.Timestamp("2026-01-20")


def test_calibration_nights_one_a_month_with_closed_horizon() -> None:
    published = ["2025-01-30", "2025-01-31", "2025-02-27", "2025-03-31", "2025-04-30", "2025-06-01"]
    # Cutoff 2025-06-30, H = 3: nights up to 2025-03-31 have a closed horizon; one per month, the last.
    assert calibration_nights(published, "2025-06-30", 3) == ["2025-01-31", "2025-02-27", "2025-03-31"]
    assert calibration_nights(published, "2025-06-30", 3, months=2) == ["2025-02-27", "2025-03-31"]
    assert calibration_nights([], "2025-06-30", 3) == []
    assert calibration_nights(["2025-06-01"], "2025-06-30", 3) == []


def _band(rows: int, mean: float, events: int) -> dict[str, float]:
    return {
        "band": "b",
        "nights": 3,
        "rows": rows,
        "events": events,
        "mean_predicted": mean,
        "observed_rate": events / rows,
        "ratio": events / rows / mean,
    }


@pytest.mark.parametrize(
    ("rows", "mean", "events", "design_effect", "status"),
    [
        (10_000, 0.01, 100, 3.0, "ok"),  # calibrated
        (10_000, 0.01, 300, 3.0, "alert"),  # three times the predicted rate on 100 expected events
        (10_000, 0.01, 20, 3.0, "alert"),  # a fifth of it: over-prediction is flagged too
        (100, 0.01, 3, 3.0, "n/a"),  # same ratio, 1 expected event: too few outcomes to judge
        (1_000_000, 0.01, 10_500, 1.0, "ok"),  # significant (z 5) but only 5% off: not actionable
        (2_000, 0.01, 42, 1.0, "alert"),  # z 4.9 if nights were independent ...
        (2_000, 0.01, 42, 3.0, "warn"),  # ... z 2.9 once overlapping horizons are accounted for
    ],
)
def test_calibration_check_is_sample_size_aware(
    rows: int, mean: float, events: int, design_effect: float, status: str
) -> None:
    out = calibration_check(pd.DataFrame([_band(rows, mean, events)]), design_effect=design_effect)
    assert out["expected"].iloc[0] == pytest.approx(rows * mean)
    assert out["status"].iloc[0] == status


def test_calibration_check_of_an_empty_table() -> None:
    empty = calibration_against_outcomes(
        pd.DataFrame(columns=["as_of", "enterprise_id", "score", "band"]),
        pd.DataFrame(columns=["enterprise_id", "kind", "started", "reported_at"]),
        3,
        as_of_cutoff="2025-06-30",
    )
    out = calibration_check(empty, design_effect=3.0)
    assert out.empty and {"expected", "z", "status"} <= set(out.columns)
