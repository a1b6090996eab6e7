"""Per-field vintages and complete lists (the contract's amendment), as properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.schemas import STORED_COLUMNS
from data.store import complete_list_zeros, resolve_vintages

FIELDS = ("headcount", "wage_arrears_months", "insurance_debt_vnd")
DAY0 = pd.Timestamp("2024-02-01")


@st.composite
def deliveries(draw: st.DrawFn) -> pd.DataFrame:
    """Rows of two enterprises and two months, each stating a random subset of fields.

    Two rows of one (enterprise, month, reported_at) never disagree within one precedence,
    as ingest guarantees (a disagreement is quarantined there).
    """
    n = draw(st.integers(1, 14))
    rows = []
    truth: dict[tuple, float] = {}
    for i in range(n):
        e = draw(st.sampled_from(["E1", "E2"]))
        m = draw(st.sampled_from(["2024-01", "2024-02"]))
        day = draw(st.integers(0, 40))
        prec = draw(st.sampled_from([0, 10]))
        row: dict = {
            "enterprise_id": e,
            "month": pd.Timestamp(m),
            "reported_at": DAY0 + pd.Timedelta(days=day),
        }
        for f in FIELDS:
            if draw(st.booleans()):
                key = (e, m, day, prec, f)
                value = truth.setdefault(key, float(draw(st.integers(0, 9))))
                row[f] = value
            else:
                row[f] = np.nan
        row["_precedence"], row["_seq"] = prec, i
        rows.append(row)
    frame = pd.DataFrame(rows)
    for c in STORED_COLUMNS["indicators"]:
        if c not in frame:
            frame[c] = False if c == "reported_at_imputed" else np.nan
    return frame


def known_at(resolved: pd.DataFrame, e: str, m: str, field: str, day: pd.Timestamp) -> float:
    """What the panel reads at D: the latest resolved row of (e, m) reported by D."""
    sub = resolved[(resolved["enterprise_id"] == e) & (resolved["month"] == pd.Timestamp(m))]
    sub = sub[sub["reported_at"] <= day]
    return float(sub.iloc[-1][field]) if len(sub) else np.nan


def brute_force(raw: pd.DataFrame, e: str, m: str, field: str, day: pd.Timestamp) -> float:
    """The amendment's words: the non-empty value with the latest reported_at ≤ D (the higher
    precedence first among rows of that date)."""
    sub = raw[(raw["enterprise_id"] == e) & (raw["month"] == pd.Timestamp(m)) & (raw["reported_at"] <= day)]
    sub = sub.dropna(subset=[field]).sort_values(["reported_at", "_precedence", "_seq"])
    return float(sub.iloc[-1][field]) if len(sub) else np.nan


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(deliveries(), st.integers(-1, 45))
def test_the_value_known_at_a_date_is_the_latest_non_empty_one(raw, offset):
    day = DAY0 + pd.Timedelta(days=offset)
    resolved = resolve_vintages(raw)
    assert not resolved.duplicated(["enterprise_id", "month", "reported_at"]).any()
    for e in ("E1", "E2"):
        for m in ("2024-01", "2024-02"):
            for f in FIELDS:
                got, want = known_at(resolved, e, m, f, day), brute_force(raw, e, m, f, day)
                assert (np.isnan(got) and np.isnan(want)) or got == want, (e, m, f, got, want)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(deliveries(), deliveries(), st.integers(0, 40))
def test_rows_unknown_at_a_date_change_nothing_at_that_date(early, late, offset):
    day = DAY0 + pd.Timedelta(days=offset)
    late = late.assign(reported_at=late["reported_at"] + pd.Timedelta(days=60), _seq=late["_seq"] + 100)
    alone = resolve_vintages(early)
    both = resolve_vintages(pd.concat([early, late], ignore_index=True))
    for e in ("E1", "E2"):
        for m in ("2024-01", "2024-02"):
            for f in FIELDS:
                a, b = known_at(alone, e, m, f, day), known_at(both, e, m, f, day)
                assert (np.isnan(a) and np.isnan(b)) or a == b


def _enterprises(ids: list[str], founded: list[str | None], closed: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {"enterprise_id": ids, "founded": pd.to_datetime(founded), "closed": pd.to_datetime(closed)}
    )


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(st.booleans(), min_size=4, max_size=4),
    st.lists(st.sampled_from([None, "2023-01-01", "2024-03-15"]), min_size=4, max_size=4),
    st.lists(st.sampled_from([None, "2024-01-10", "2024-02-20"]), min_size=4, max_size=4),
)
def test_a_complete_list_gives_zero_to_every_operating_firm_it_leaves_out(listed, founded, closed):
    ids = ["A", "B", "C", "D"]
    ent = _enterprises(ids, founded, closed)
    named = [i for i, on in zip(ids, listed, strict=True) if on]
    coverage = pd.DataFrame({
        "source": "bhxh", "month": "2024-02", "reported_at": "2024-03-15",
        "fields": "insurance_debt_vnd,insurance_debt_months", "precedence": 20,
        "enterprise_id": pd.Series([*named, None], dtype="str"),
    })  # fmt: skip
    rows = pd.DataFrame({c: pd.Series([], dtype="float64") for c in STORED_COLUMNS["indicators"]})
    rows["enterprise_id"] = rows["enterprise_id"].astype("str")
    rows["month"] = pd.to_datetime(rows["month"])
    rows["reported_at"] = pd.to_datetime(rows["reported_at"])
    zeros = complete_list_zeros(coverage, ent, rows)
    month_end = pd.Timestamp("2024-02-29")
    expect = {
        i
        for i, f, c, on in zip(ids, founded, closed, listed, strict=True)
        if not on
        and (f is None or pd.Timestamp(f) <= month_end)
        and (c is None or pd.Timestamp(c) > month_end)
    }
    got = set(zeros["enterprise_id"]) if len(zeros) else set()
    assert got == expect
    if len(zeros):
        assert (zeros["insurance_debt_vnd"] == 0).all() and (zeros["insurance_debt_months"] == 0).all()
        assert zeros["headcount"].isna().all()
        assert (zeros["reported_at"] == pd.Timestamp("2024-03-15")).all()


def test_an_empty_cell_of_a_later_revision_never_erases():
    raw = pd.DataFrame({
        "enterprise_id": ["E1", "E1"], "month": pd.to_datetime(["2024-01-01"] * 2),
        "reported_at": pd.to_datetime(["2024-02-20", "2024-03-20"]),
        "headcount": [100.0, 90.0], "wage_arrears_months": [2.0, np.nan],
        "_precedence": [0, 0], "_seq": [1, 2],
    })  # fmt: skip
    for c in STORED_COLUMNS["indicators"]:
        if c not in raw:
            raw[c] = False if c == "reported_at_imputed" else np.nan
    resolved = resolve_vintages(raw)
    assert list(resolved["headcount"]) == [100.0, 90.0]
    assert list(resolved["wage_arrears_months"]) == [2.0, 2.0]
