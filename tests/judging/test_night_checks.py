"""The alert rules of a night: each alert fires above its threshold and not at or below it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from judging.night_checks import (
    CHURN_ALERT,
    STALE_SHARE_ALERT,
    Alert,
    calibration_alerts,
    churn_alerts,
    drift_alerts,
    freshness_alerts,
    night_alerts,
    night_drift,
    stale_share,
)
from outputs.ranking import STALE_AFTER_MONTHS


def _churn(share: float | None, k: int = 10) -> dict[str, Any]:
    return {"k": k, "n_current": k, "n_previous": k, "entrants": ["e1"], "leavers": ["l1"], "churn": share}


def _drift(*statuses: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "column": [f"c{i}" for i in range(len(statuses))],
            "psi": [0.5 - 0.1 * i for i in range(len(statuses))],
            "alert_threshold": [0.25] * len(statuses),
            "status": list(statuses),
        }
    )


def _calibration(*statuses: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "band": ["high", "elevated", "watch", "low"][: len(statuses)],
            "nights": [3] * len(statuses),
            "events": [12] * len(statuses),
            "expected": [4.04] * len(statuses),
            "z": [3.456] * len(statuses),
            "status": list(statuses),
        }
    )


def test_churn_alerts_above_half_of_the_top_k_only() -> None:
    assert CHURN_ALERT == 0.5
    (alert,) = churn_alerts(_churn(0.6), 10, has_previous=True)
    assert alert == Alert("churn", "warn", "60% of the top 10 changed since the previous night", _churn(0.6))
    assert churn_alerts(_churn(CHURN_ALERT), 10, has_previous=True) == []  # at the threshold: no alert
    assert churn_alerts(_churn(0.4), 10, has_previous=True) == []
    assert churn_alerts(_churn(0.9), 10, has_previous=False) == []  # first night: nothing to compare
    assert churn_alerts(_churn(None), 10, has_previous=True) == []


def test_freshness_alerts_above_a_fifth_of_stale_enterprises_only() -> None:
    assert STALE_SHARE_ALERT == 0.2
    (alert,) = freshness_alerts(0.25)
    assert alert == Alert(
        "freshness",
        "warn",
        f"25% of enterprises have no report for {STALE_AFTER_MONTHS}+ months",
        {"share": 0.25},
    )
    assert freshness_alerts(STALE_SHARE_ALERT) == []
    assert freshness_alerts(0.1) == []


def test_drift_alerts_one_per_column_marked_alert() -> None:
    raised = drift_alerts(_drift("alert", "warn", "ok", "alert"))
    assert [a.kind for a in raised] == ["drift", "drift"]
    assert raised[0].message == "c0: PSI 0.500 above the alert threshold 0.25"
    assert raised[1].details["column"] == "c3"
    assert drift_alerts(_drift("warn", "ok")) == []
    assert drift_alerts(None) == []


def test_calibration_alerts_one_per_band_marked_alert() -> None:
    (alert,) = calibration_alerts(_calibration("alert", "warn", "n/a"))
    assert alert.kind == "calibration" and alert.severity == "warn"
    assert (
        alert.message == "band high: 12 events observed where 4.0 were predicted over 3 past nights (z +3.5)"
    )
    assert calibration_alerts(_calibration("ok", "warn", "n/a")) == []
    assert calibration_alerts(_calibration()) == []


def test_night_alerts_keeps_the_order_drift_churn_calibration_freshness() -> None:
    raised = night_alerts(
        drift=_drift("alert"),
        churn=_churn(0.8),
        k=10,
        has_previous=True,
        calibration=_calibration("alert"),
        stale_share=0.5,
    )
    assert [a.kind for a in raised] == ["drift", "churn", "calibration", "freshness"]
    quiet = night_alerts(
        drift=_drift("ok"),
        churn=_churn(0.1),
        k=10,
        has_previous=True,
        calibration=_calibration("ok"),
        stale_share=0.0,
    )
    assert quiet == []


def test_recorded_details_keep_scalars_and_write_the_rest_as_text() -> None:
    alert = churn_alerts(_churn(0.6), 10, has_previous=True)[0]
    details = alert.recorded_details()
    assert details["k"] == 10 and details["churn"] == 0.6
    assert details["entrants"] == "['e1']" and details["leavers"] == "['l1']"


def test_stale_share_and_drift_without_a_reference() -> None:
    ranking = pd.DataFrame({"score": [0.1, 0.2, 0.3, 0.4], "stale": [True, False, False, False]})
    assert stale_share(ranking) == pytest.approx(0.25)
    assert night_drift(None, ranking, ranking, "ews-v1") is None


def test_night_drift_checks_the_model_columns_and_the_score() -> None:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"score": rng.random(500), "not_a_feature": rng.random(500)})
    current = pd.DataFrame({"score": rng.random(400) * 0.2 + 0.8})
    drift = night_drift(reference, current, current, "ews-v1")
    assert drift is not None and drift["column"].tolist() == ["score"]  # no model column in the reference
    assert drift_alerts(drift)[0].message.startswith("score: PSI ")


def test_a_lasting_drift_is_alerted_when_it_starts_and_again_after_the_reminder_days(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Night after night of the same drifting column: one alert, then one more once
    `DRIFT_REMINDER_DAYS` have passed; another column, or another kind, is not held back."""
    from judging.night_checks import DRIFT_REMINDER_DAYS, without_repeated_drift
    from outputs import alerts

    db = tmp_path / "ews.db"
    kept_nights = []
    start = pd.Timestamp("2024-10-01")
    for day in range(45):
        night = str((start + pd.Timedelta(days=day)).date())
        raised = drift_alerts(_drift("alert", *(("alert",) if day == 10 else ())))
        raised += churn_alerts({"churn": 0.9, "turnover": 9}, 10, has_previous=True)
        kept = without_repeated_drift(raised, alerts.read_alerts(db), night)
        for alert in kept:
            alerts.record_alert(
                db, as_of=night, kind=alert.kind, severity=alert.severity, message=alert.message,
                details=alert.recorded_details(),
            )  # fmt: skip
        drifting = [a.details["column"] for a in kept if a.kind == "drift"]
        if drifting:
            kept_nights.append((day, drifting))
        assert any(a.kind == "churn" for a in kept)  # other kinds every night, as raised
    assert kept_nights == [(0, ["c0"]), (10, ["c1"]), (DRIFT_REMINDER_DAYS, ["c0"])]
