"""The published rows of a night: attributes, model and run, input digest and staleness."""

from __future__ import annotations

import numpy as np
import pandas as pd

from outputs.ranking import (
    ENTERPRISE_COLUMNS,
    STALE_AFTER_MONTHS,
    assemble_ranking,
    input_digest,
    rank_scores,
)

AS_OF = pd.Timestamp("2025-01-31")


def _features() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "as_of": [AS_OF] * 4,
            "enterprise_id": ["e1", "e2", "e3", "e4"],
            "months_since_last_report": [1.0, STALE_AFTER_MONTHS, STALE_AFTER_MONTHS + 1, 7.0],
            "wage_arrears_months": [0.0, 2.0, 1.0, 0.0],
        }
    )


def _enterprises() -> pd.DataFrame:
    ids = ["e4", "e3", "e2", "e1", "e0"]  # another order, and one firm not scored tonight
    return pd.DataFrame(
        {
            "enterprise_id": ids,
            "name": [f"Firm {i}" for i in ids],
            "province": ["HN", "HN", "HCM", "DN", "HN"],
            "district": ["d1", "d2", "d3", "d4", "d5"],
            "zone_id": ["z1", None, "z2", "z3", "z4"],
            "sector": ["10", "14", "14", "25", "10"],
            "ownership": ["private", "fdi", "state", "private", "fdi"],
            "founded": [2000, 2001, 2002, 2003, 2004],  # not carried
        }
    )


def _ranked(features: pd.DataFrame) -> pd.DataFrame:
    reasons = pd.DataFrame({"reasons": ["lý do"] * 4, "reasons_en": ["reason"] * 4})
    return rank_scores(features, np.array([0.1, 0.4, 0.3, 0.2]), capacity=1, reasons=reasons)


def test_the_ranking_carries_attributes_model_run_digest_and_staleness() -> None:
    features = _features()
    ranked = _ranked(features)
    before = ranked.copy()
    ranking = assemble_ranking(
        ranked, features, _enterprises(), model_name="labor-ews", model_version="3", run_id="run-1"
    )
    pd.testing.assert_frame_equal(ranked, before)  # the input is left as it was
    assert ranking["enterprise_id"].tolist() == ["e2", "e3", "e4", "e1"]  # rank order kept
    assert list(ranking.columns) == [
        *before.columns,
        *ENTERPRISE_COLUMNS,
        "model_name",
        "model_version",
        "run_id",
        "input_digest",
        "months_stale",
        "stale",
    ]
    assert ranking["name"].tolist() == ["Firm e2", "Firm e3", "Firm e4", "Firm e1"]
    assert ranking["province"].tolist() == ["HCM", "HN", "HN", "DN"]
    assert ranking["zone_id"].isna().tolist() == [False, True, False, False]
    assert set(ranking["model_name"]) == {"labor-ews"} and set(ranking["model_version"]) == {"3"}
    assert set(ranking["run_id"]) == {"run-1"}
    assert set(ranking["input_digest"]) == {input_digest(features)}
    assert ranking["months_stale"].tolist() == [STALE_AFTER_MONTHS, STALE_AFTER_MONTHS + 1, 7.0, 1.0]
    assert ranking["stale"].tolist() == [False, True, True, False]  # stale strictly beyond the months


def test_the_input_digest_follows_the_feature_rows() -> None:
    features = _features()
    digest = input_digest(features)
    assert len(digest) == 64 and digest == input_digest(features.copy())
    changed = features.assign(wage_arrears_months=[0.0, 2.0, 1.0, 1.0])
    assert input_digest(changed) != digest
    assert input_digest(features.set_axis([9, 8, 7, 6])) == digest  # the index is not an input
