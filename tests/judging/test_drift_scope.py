"""The nightly drift check: calendar features left out, a shock to one sector seen."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.sets import DEFAULT_FEATURE_SET, feature_set
from judging.night_checks import DRIFT_EXCLUDED, night_drift


def _frame(n: int, seed: int, *, shock: float = 0.0, tet: float | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns = feature_set(DEFAULT_FEATURE_SET)
    frame = pd.DataFrame({c: rng.normal(size=n) for c in columns})
    frame["sector"] = np.where(np.arange(n) % 10 == 0, "14", "26")  # apparel: a tenth of the firms
    for c in ("province", "ownership", "zone_type"):
        frame[c] = "x"
    frame["months_to_tet"] = rng.uniform(0, 12, n) if tet is None else tet  # one value on a night
    frame["reduced_hours_share"] = rng.beta(1, 20, n)
    apparel = frame["sector"] == "14"
    frame.loc[apparel, "reduced_hours_share"] += shock
    frame["score"] = rng.uniform(0, 0.01, n)
    return frame


def test_calendar_features_are_not_checked_and_a_one_sector_shock_is_seen() -> None:
    reference = _frame(60_000, 0)
    tonight = _frame(20_000, 1, shock=0.25, tet=2.4)
    drift = night_drift(reference, tonight, tonight[["score"]], DEFAULT_FEATURE_SET)
    assert drift is not None
    checked = set(drift["column"])
    assert not checked & set(DRIFT_EXCLUDED)  # months_to_tet would "drift" every night
    status = drift.set_index("column")["status"]
    assert status["reduced_hours_share (sector 14)"] == "alert"
    # A calm night raises nothing.
    calm = _frame(20_000, 2, tet=2.4)
    quiet = night_drift(reference, calm, calm[["score"]], DEFAULT_FEATURE_SET)
    assert quiet is not None and not (quiet["status"] == "alert").any()
