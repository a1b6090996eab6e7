"""Schema rules: one small hand-checkable frame per rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandera.errors import SchemaError, SchemaErrors

from data.schemas import (
    ALL_COLUMNS,
    CAUSES,
    INCIDENT_KINDS,
    OWNERSHIPS,
    REQUIRED_COLUMNS,
    ZONE_TYPES,
    Enterprises,
    Incidents,
    Indicators,
    default_incident_reported_at,
    default_indicator_reported_at,
    example_frames,
)


def ent(**over: object) -> pd.DataFrame:
    row = {
        "enterprise_id": "0800123456",
        "name": "Công ty A",
        "province": "Hà Nội",
        "district": None,
        "commune": None,
        "zone_id": None,
        "zone_type": "outside",
        "sector": "14",
        "ownership": "fdi",
        "founded": "2010-01-01",
        "closed": None,
    }
    row.update(over)
    return pd.DataFrame([row]).astype("str")


def ind(**over: object) -> pd.DataFrame:
    row: dict[str, object] = {
        "enterprise_id": "0800123456",
        "month": "2024-01",
        "headcount": 10.0,
        "reported_at": None,
    }
    for c in ALL_COLUMNS["indicators"]:
        row.setdefault(c, np.nan)
    row.update(over)
    frame = pd.DataFrame([row])[list(ALL_COLUMNS["indicators"])]
    text = ["enterprise_id", "month", "reported_at"]
    return frame.astype({c: "str" for c in text} | {c: "float64" for c in frame if c not in text})


def inc(**over: object) -> pd.DataFrame:
    row = {
        "incident_id": "I-1",
        "enterprise_id": "0800123456",
        "started": "2024-03-02",
        "ended": None,
        "kind": "petition",
        "participants": np.nan,
        "cause": None,
        "reported_at": None,
    }
    row.update(over)
    return pd.DataFrame([row]).astype(
        {c: "str" for c in row if c != "participants"} | {"participants": "float64"}
    )


def fails(model: type, frame: pd.DataFrame) -> bool:
    try:
        model.validate(frame, lazy=True)
    except (SchemaError, SchemaErrors):
        return True
    return False


def test_valid_rows_pass():
    assert not fails(Enterprises, ent())
    assert not fails(Indicators, ind())
    # The amendment: a delivery may carry any subset of the indicators, headcount included.
    assert not fails(Indicators, ind(headcount=np.nan, insurance_debt_vnd=5_000.0))
    assert not fails(Incidents, inc())


def test_enums_and_columns_match_the_contract():
    assert ZONE_TYPES == ("industrial_zone", "industrial_cluster", "outside")
    assert OWNERSHIPS == ("fdi", "private", "state")
    assert INCIDENT_KINDS == ("work_stoppage", "slowdown", "gathering", "petition")
    assert CAUSES == ("wages", "wage_arrears", "tet_bonus", "insurance", "layoffs", "conditions", "other")
    assert REQUIRED_COLUMNS["indicators"] == ("enterprise_id", "month")
    assert REQUIRED_COLUMNS["incidents"] == ("incident_id", "enterprise_id", "started", "kind")
    assert len(ALL_COLUMNS["enterprises"]) == 11 and len(ALL_COLUMNS["indicators"]) == 11
    for model in (Enterprises, Indicators, Incidents):
        assert all(col.description for col in model.to_schema().columns.values())


@pytest.mark.parametrize(
    "over",
    [
        {"enterprise_id": None},
        {"enterprise_id": " 0800"},
        {"enterprise_id": "08\u200b00"},
        {"name": None},
        {"zone_type": "KCN"},
        {"ownership": "FDI"},
        {"sector": "1"},
        {"sector": "141"},
        {"founded": "2010-02-30"},
        {"founded": "01/02/2010"},
        {"closed": "2009-12-31"},
    ],
)
def test_enterprise_rule_violations(over):
    assert fails(Enterprises, ent(**over))


def test_enterprise_id_unique_and_leading_zero_kept():
    two = pd.concat([ent(), ent(name="B")], ignore_index=True)
    assert fails(Enterprises, two)
    assert Enterprises.validate(ent())["enterprise_id"].iloc[0] == "0800123456"


@pytest.mark.parametrize(
    "over",
    [
        {"month": "2024-13"},
        {"month": "2024-1"},
        {"month": "24-01"},
        {"month": None},
        {"headcount": -5.0},
        {"headcount": 1.5},
        {"headcount": np.inf},
        {"avg_wage_vnd": -1.0},
        {"wage_arrears_vnd": np.inf},
        {"layoffs": -1.0},
        {"reported_at": "2023-02-29"},
    ],
)
def test_indicator_rule_violations(over):
    assert fails(Indicators, ind(**over))


def test_indicator_missing_optional_values_are_allowed():
    assert not fails(Indicators, ind(avg_wage_vnd=np.nan, layoffs=np.nan, reported_at=None))
    assert not fails(Indicators, ind(reported_at="2024-02-29", wage_arrears_months=1.5))


@pytest.mark.parametrize(
    "over",
    [
        {"kind": "strike"},
        {"cause": "Wages"},
        {"participants": 0.0},
        {"started": None},
        {"ended": "2024-03-01"},
        {"started": "2024-03-32"},
    ],
)
def test_incident_rule_violations(over):
    assert fails(Incidents, inc(**over))


def test_incident_id_unique():
    assert fails(Incidents, pd.concat([inc(), inc()], ignore_index=True))


def test_strict_schema_rejects_extra_column():
    frame = ind()
    frame["risk_label"] = 1.0
    assert fails(Indicators, frame)


def test_default_reported_at_rules():
    months = pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01", "2023-12-01"]))
    got = default_indicator_reported_at(months)
    assert got.tolist() == [
        pd.Timestamp("2024-02-20"),
        pd.Timestamp("2024-03-20"),
        pd.Timestamp("2024-01-20"),
    ]
    assert got.dtype == "datetime64[ns]"
    started = pd.Series(pd.to_datetime(["2024-03-02"]))
    assert default_incident_reported_at(started).iloc[0] == pd.Timestamp("2024-03-02")


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_strategies_draw_valid_frames():
    for model in (Indicators, Incidents):
        frame = model.strategy(size=5).example()
        assert len(frame) == 5
        model.validate(frame)
    frames = example_frames(size=4, seed=1)
    for model, name in ((Enterprises, "enterprises"), (Indicators, "indicators"), (Incidents, "incidents")):
        model.validate(frames[name])
    assert set(frames["indicators"]["enterprise_id"]) <= set(frames["enterprises"]["enterprise_id"])
