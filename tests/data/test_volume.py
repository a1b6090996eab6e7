"""The volume check (B27) as a pure function: enterprises per month before and after a
delivery in, the months that collapse or explode out; and the per-month index it reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.ingest import (
    VOLUME_COLLAPSE,
    VOLUME_EXPLOSION,
    VOLUME_MIN_ENTERPRISES,
    MonthlyEnterprises,
    VolumeAnomaly,
    volume_anomalies,
)


def test_the_thresholds_are_those_of_the_reliability_notes() -> None:
    assert (VOLUME_COLLAPSE, VOLUME_EXPLOSION, VOLUME_MIN_ENTERPRISES) == (0.5, 3.0, 20)


def test_a_first_delivery_of_one_month_has_nothing_to_be_compared_with() -> None:
    assert volume_anomalies({}, {"2024-03": 7}) == []
    assert volume_anomalies({}, {"2024-03": 70_000}) == []


@pytest.mark.parametrize(
    ("count", "blocked"),
    [(49, True), (50, False), (100, False), (300, False), (301, True)],
)
def test_a_new_month_is_judged_against_the_month_before_at_the_bounds(count: int, blocked: bool) -> None:
    before = {"2024-01": 100, "2024-02": 100}
    found = volume_anomalies(before, {**before, "2024-03": count})
    if blocked:
        assert found == [VolumeAnomaly("2024-03", count, "2024-02", 100)]
    else:
        assert found == []


def test_the_anomaly_names_its_kind_counts_and_months() -> None:
    low = VolumeAnomaly("2024-03", 40, "2024-02", 100)
    high = VolumeAnomaly("2024-03", 400, "2024-02", 100)
    assert low.kind == "collapse" and high.kind == "explosion"
    assert low.describe() == "volume collapse: 2024-03 names 40 enterprises, 40% of the 100 of 2024-02"
    assert high.describe() == "volume explosion: 2024-03 names 400 enterprises, 400% of the 100 of 2024-02"


def test_a_correction_or_late_rows_of_a_known_month_are_never_blocked() -> None:
    before = {"2024-01": 100, "2024-02": 100, "2024-03": 100}
    # Late reports of February arrive with nothing newer: February can only grow.
    assert volume_anomalies(before, {**before, "2024-02": 104}) == []
    # A re-delivery of an old month that explodes it (a duplicate file re-sent) is not new.
    assert volume_anomalies(before, {**before, "2024-01": 900}) == []


def test_late_rows_of_the_month_before_count_towards_it() -> None:
    """A labour file holds most of last month and the late reports of the month before:
    the new month is compared with everything known of the previous one."""
    before = {"2024-01": 60}  # only the early reports of January so far
    after = {"2024-01": 100, "2024-02": 45}  # the file adds January's late ones and February
    assert volume_anomalies(before, after) == [VolumeAnomaly("2024-02", 45, "2024-01", 100)]
    assert volume_anomalies(before, {"2024-01": 100, "2024-02": 90}) == []


def test_a_gap_compares_with_the_last_month_known() -> None:
    before = {"2024-01": 100}
    assert volume_anomalies(before, {**before, "2024-04": 30}) == [
        VolumeAnomaly("2024-04", 30, "2024-01", 100)
    ]
    assert volume_anomalies(before, {**before, "2024-04": 95, "2024-02": 0}) == []


def test_every_new_month_of_a_delivery_is_compared_with_the_one_before_it() -> None:
    before = {"2024-01": 100}
    # Two new months at once, the first cut in half by the export: caught though the newest is fine.
    after = {**before, "2024-02": 40, "2024-03": 100}
    assert volume_anomalies(before, after) == [VolumeAnomaly("2024-02", 40, "2024-01", 100)]
    # Each month against its own predecessor: February at 45 % of January, March at 4x February.
    after = {**before, "2024-02": 45, "2024-03": 180}
    assert volume_anomalies(before, after) == [
        VolumeAnomaly("2024-02", 45, "2024-01", 100),
        VolumeAnomaly("2024-03", 180, "2024-02", 45),
    ]


def test_a_first_delivery_of_a_history_is_judged_month_by_month() -> None:
    history = {f"2024-{m:02d}": 1000 + 10 * m for m in range(1, 13)}
    assert volume_anomalies({}, history) == []
    assert volume_anomalies({}, {**history, "2024-12": 300}) == [
        VolumeAnomaly("2024-12", 300, "2024-11", 1110)
    ]


def test_small_counts_are_noise_and_not_judged() -> None:
    before = {"2024-01": 12}
    assert volume_anomalies(before, {**before, "2024-02": 5}) == []
    assert volume_anomalies(before, {**before, "2024-02": 19}) == []
    # Once one side reaches the floor the ratio counts: 6 debtors becoming 60 is judged.
    assert volume_anomalies({"2024-01": 6}, {"2024-01": 6, "2024-02": 60}) == [
        VolumeAnomaly("2024-02", 60, "2024-01", 6)
    ]


def test_the_bounds_can_be_given() -> None:
    before = {"2024-01": 100}
    assert volume_anomalies(before, {**before, "2024-02": 80}, collapse=0.9) != []
    assert volume_anomalies(before, {**before, "2024-02": 150}, explosion=1.2) != []
    assert volume_anomalies({"2024-01": 3}, {"2024-01": 3, "2024-02": 1}, min_enterprises=0) != []


def _rows(source: str, month: str, ids: list[str], **fields: float) -> pd.DataFrame:
    n = len(ids)
    frame = pd.DataFrame(
        {
            "enterprise_id": pd.Series(ids, dtype="str"),
            "month": pd.Series(pd.Timestamp(month), index=range(n)),
            "headcount": np.full(n, fields.get("headcount", np.nan)),
            "insurance_debt_months": np.full(n, fields.get("insurance_debt_months", np.nan)),
        }
    )
    frame["_source"] = source
    return frame


def test_monthly_enterprises_counts_one_sources_rows_that_state_its_fields() -> None:
    rows = pd.concat(
        [
            _rows("labour", "2024-01", ["a", "b", "c"], headcount=10),
            _rows("labour", "2024-01", ["a"], headcount=11),  # a revision: the same enterprise
            _rows("labour", "2024-02", ["a", "b"]),  # states nothing: counts for no month
            _rows("bhxh", "2024-02", ["a", "b", "c", "d"], insurance_debt_months=1),
            _rows("north", "2024-01", ["x", "y"], headcount=5),  # another office, the same field
        ],
        ignore_index=True,
    )
    labour = MonthlyEnterprises.of(rows, "labour", ["headcount"])
    assert labour.counts() == {"2024-01": 3}
    insurance = MonthlyEnterprises.of(rows, "bhxh", ["insurance_debt_months"])
    assert insurance.counts() == {"2024-02": 4}
    # counts_with is the union with the rows given and changes nothing; add keeps them.
    new = _rows("labour", "2024-01", ["c", "d"], headcount=1)
    assert labour.counts_with(new) == {"2024-01": 4}
    assert labour.counts() == {"2024-01": 3}
    labour.add(new)
    assert labour.counts() == {"2024-01": 4}
