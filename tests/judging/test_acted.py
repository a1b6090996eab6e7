"""Evaluation that knows about actions (`judging.acted`, `night_checks.calibration_by_action`).

A hand-made world of five firms A..E, three month-end nights and a few actions and
incidents; every expected figure below is worked out by hand in the comments.

Capacity 2 (a count), horizon 3 months, cutoff 2024-06-30 unless a test says otherwise.

    night 2024-01-31: A r1 .60 high, B r2 .40 high, C r3 .30 elevated, D r4 .05 watch, E r5 .01 low
                      warnings: A, B (top 2), C (elevated); window (01-31, 04-30]
    night 2024-02-29: A r1 .50 high, C r2 .20 elevated, B r3 .10 watch, D r4 .04 watch, E r5 .02 low
                      warnings: A, C (top 2; C also elevated); window (02-29, 05-29]
    night 2024-05-31: window (05-31, 08-31] still open at the cutoff: left out

    actions: a1 A started 02-10 (recorded 02-10)   -> acts on A of 01-31 only
             a2 B started 03-01 (recorded 07-05)   -> unknown at 06-30
             a3 C started 01-31 (on the night)     -> not after the night: acts on nothing
             a4 C started 05-20 (recorded 05-20)   -> acts on C of 02-29 only
             a5 D started 02-05 (recorded 02-05)   -> D of 01-31 (not a warning)
             a6 A started 06-05 (recorded 06-05)   -> night 05-31 is open
    incidents: i1 A stoppage 03-20                  -> follows A of 01-31 and of 02-29
               i2 B stoppage 02-15                  -> follows B of 01-31
               i3 D stoppage 02-20                  -> D is no warning
               i4 C petition 03-01                  -> not a target kind
               i5 C stoppage 04-10 reported 07-10   -> unknown at 06-30
               i6 C stoppage 05-01                  -> follows C of 02-29, before its action a4
               i7 A stoppage 06-10                  -> follows the open night only
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from judging import acted, monitoring
from judging.night_checks import calibration_alerts, calibration_by_action

CUTOFF = "2024-06-30"
H = 3
K = 2.0


def _nights() -> pd.DataFrame:
    rows = [
        ("2024-01-31", "A", 1, 0.60, "high"),
        ("2024-01-31", "B", 2, 0.40, "high"),
        ("2024-01-31", "C", 3, 0.30, "elevated"),
        ("2024-01-31", "D", 4, 0.05, "watch"),
        ("2024-01-31", "E", 5, 0.01, "low"),
        ("2024-02-29", "A", 1, 0.50, "high"),
        ("2024-02-29", "C", 2, 0.20, "elevated"),
        ("2024-02-29", "B", 3, 0.10, "watch"),
        ("2024-02-29", "D", 4, 0.04, "watch"),
        ("2024-02-29", "E", 5, 0.02, "low"),
        ("2024-05-31", "A", 1, 0.70, "high"),
        ("2024-05-31", "B", 2, 0.30, "high"),
        ("2024-05-31", "C", 3, 0.10, "watch"),
        ("2024-05-31", "D", 4, 0.05, "watch"),
        ("2024-05-31", "E", 5, 0.01, "low"),
    ]
    return pd.DataFrame(rows, columns=["as_of", "enterprise_id", "rank", "score", "band"])


def _actions() -> pd.DataFrame:
    rows = [
        (1, "A", "wage_payment", "2024-02-10", "2024-02-10T03:00:00+00:00"),
        (2, "B", "inspection", "2024-03-01", "2024-07-05T00:00:00+00:00"),
        (3, "C", "mediation", "2024-01-31", "2024-01-31T02:00:00+00:00"),
        (4, "C", "support", "2024-05-20", "2024-05-20T02:00:00+00:00"),
        (5, "D", "inspection", "2024-02-05", "2024-02-05T02:00:00+00:00"),
        (6, "A", "mediation", "2024-06-05", "2024-06-05T02:00:00+00:00"),
    ]
    frame = pd.DataFrame(rows, columns=["id", "enterprise_id", "kind", "started", "recorded_at"])
    return frame.assign(ended=None, outcome=None, note=None, recorded_by="analyst")


def _incidents() -> pd.DataFrame:
    rows = [
        ("i1", "A", "2024-03-20", "work_stoppage", "2024-03-20"),
        ("i2", "B", "2024-02-15", "work_stoppage", "2024-02-15"),
        ("i3", "D", "2024-02-20", "work_stoppage", "2024-02-20"),
        ("i4", "C", "2024-03-01", "petition", "2024-03-01"),
        ("i5", "C", "2024-04-10", "work_stoppage", "2024-07-10"),
        ("i6", "C", "2024-05-01", "work_stoppage", "2024-05-01"),
        ("i7", "A", "2024-06-10", "work_stoppage", "2024-06-10"),
    ]
    frame = pd.DataFrame(rows, columns=["incident_id", "enterprise_id", "started", "kind", "reported_at"])
    return frame.assign(
        started=pd.to_datetime(frame["started"]), reported_at=pd.to_datetime(frame["reported_at"])
    )


def _judged(cutoff: str = CUTOFF, actions: pd.DataFrame | None = None) -> pd.DataFrame:
    return acted.judged_warnings(
        _nights(),
        _actions() if actions is None else actions,
        _incidents(),
        cutoff=cutoff,
        horizon_months=H,
        capacity=K,
    )


def _cell(table: pd.DataFrame, group: str, band: str) -> dict[str, object]:
    (row,) = table.loc[(table["group"] == group) & (table["band"] == band)].to_dict("records")
    return row


def test_each_warning_is_marked_acted_and_followed_as_worked_out_by_hand() -> None:
    judged = _judged()
    got = {
        (r["as_of"], r["enterprise_id"]): (r["acted"], r["stoppage_ids"], r["struck_before_action"])
        for r in judged.to_dict("records")
    }
    assert got == {
        ("2024-01-31", "A"): (True, ("i1",), False),
        ("2024-01-31", "B"): (False, ("i2",), False),
        ("2024-01-31", "C"): (False, (), False),
        ("2024-02-29", "A"): (False, ("i1",), False),
        ("2024-02-29", "C"): (True, ("i6",), True),
    }
    first = judged.set_index(["as_of", "enterprise_id"])["first_action"]
    assert first[("2024-01-31", "A")] == pd.Timestamp("2024-02-10")
    assert first[("2024-02-29", "C")] == pd.Timestamp("2024-05-20")
    assert list(judged.columns) == list(acted.WARNING_COLUMNS)


def test_the_pooled_split_by_band_matches_the_hand_count() -> None:
    table = acted.acted_split(_judged())
    assert list(table.columns) == list(acted.SPLIT_COLUMNS)
    assert [(g, b) for g, b in zip(table["group"], table["band"], strict=True)] == [
        ("acted", "high"),
        ("acted", "elevated"),
        ("acted", "all"),
        ("not_acted", "high"),
        ("not_acted", "elevated"),
        ("not_acted", "all"),
    ]
    # acted: A of 01-31 (.60, struck by i1) and C of 02-29 (.20, struck by i6 before the action)
    acted_all = _cell(table, "acted", "all")
    assert (acted_all["warnings"], acted_all["struck"], acted_all["stoppages"]) == (2, 2, 2)
    assert acted_all["struck_before_action"] == 1
    assert acted_all["hit_rate"] == pytest.approx(1.0)
    assert acted_all["mean_predicted"] == pytest.approx((0.60 + 0.20) / 2)
    assert acted_all["ratio"] == pytest.approx(1.0 / 0.40)
    assert _cell(table, "acted", "elevated")["ratio"] == pytest.approx(1.0 / 0.20)
    # not acted: B of 01-31 (.40, i2), C of 01-31 (.30, none), A of 02-29 (.50, i1)
    rest = _cell(table, "not_acted", "all")
    assert (rest["warnings"], rest["struck"], rest["stoppages"], rest["struck_before_action"]) == (3, 2, 2, 0)
    assert rest["hit_rate"] == pytest.approx(2 / 3)
    assert rest["mean_predicted"] == pytest.approx((0.40 + 0.30 + 0.50) / 3)
    assert rest["ratio"] == pytest.approx((2 / 3) / 0.40)
    high = _cell(table, "not_acted", "high")
    assert (high["warnings"], high["struck"], high["stoppages"]) == (2, 2, 2)
    assert high["mean_predicted"] == pytest.approx(0.45)
    elevated = _cell(table, "not_acted", "elevated")
    assert (elevated["warnings"], elevated["struck"], elevated["hit_rate"]) == (1, 0, 0.0)


def test_a_stoppage_after_two_warnings_of_one_group_is_counted_once() -> None:
    # Without any action, A is warned on 01-31 and 02-29 before the one stoppage i1.
    table = acted.acted_split(_judged(actions=_actions().iloc[0:0]))
    rest = _cell(table, "not_acted", "all")
    assert (rest["warnings"], rest["struck"], rest["stoppages"]) == (5, 4, 3)  # i1, i2, i6
    nothing = _cell(table, "acted", "all")
    assert nothing["warnings"] == 0 and math.isnan(nothing["hit_rate"]) and math.isnan(nothing["ratio"])


def test_an_action_recorded_after_the_cutoff_is_not_known() -> None:
    at_june = _judged().set_index(["as_of", "enterprise_id"])
    assert not at_june.loc[("2024-01-31", "B"), "acted"]  # a2 was recorded on 07-05
    at_july = _judged("2024-07-31").set_index(["as_of", "enterprise_id"])
    assert at_july.loc[("2024-01-31", "B"), "acted"]
    # ... and an incident reported after the cutoff is not known either (i5, reported 07-10).
    assert at_june.loc[("2024-01-31", "C"), "stoppage_ids"] == ()
    assert at_july.loc[("2024-01-31", "C"), "stoppage_ids"] == ("i5",)
    assert at_july.loc[("2024-02-29", "C"), "stoppage_ids"] == ("i5", "i6")
    # The pure function filters itself: the same actions read up to June give the same marks.
    assert acted.known_actions(_actions(), CUTOFF)["id"].tolist() == [1, 3, 4, 5, 6]


def test_a_night_whose_horizon_is_open_is_not_counted() -> None:
    assert "2024-05-31" not in set(_judged()["as_of"])  # 05-31 + 3 months = 08-31 > 06-30
    assert "2024-05-31" not in set(_judged("2024-08-30")["as_of"])
    closed = _judged("2024-08-31").set_index(["as_of", "enterprise_id"])
    assert closed.loc[("2024-05-31", "A"), "acted"]  # a6, started 06-05
    assert closed.loc[("2024-05-31", "A"), "stoppage_ids"] == ("i7",)
    assert closed.loc[("2024-05-31", "B"), "stoppage_ids"] == ()


def test_warnings_are_the_top_k_or_the_high_and_elevated_bands() -> None:
    nights = _nights()
    mask = acted.warning_mask(nights, K)
    assert nights.loc[mask, ["as_of", "enterprise_id"]].apply(tuple, axis=1).tolist() == [
        ("2024-01-31", "A"),
        ("2024-01-31", "B"),
        ("2024-01-31", "C"),
        ("2024-02-29", "A"),
        ("2024-02-29", "C"),
        ("2024-05-31", "A"),
        ("2024-05-31", "B"),
    ]
    # Without a published rank the order of the scores gives the same top k.
    assert (acted.warning_mask(nights.drop(columns="rank"), K) == mask).all()
    # A share as capacity: 40% of 5 firms is 2.
    assert (acted.warning_mask(nights, 0.4) == mask).all()


def test_the_monthly_split_for_the_page_is_tidy_and_leaves_open_months_out() -> None:
    frame = acted.monthly_split(
        _nights(),
        _actions(),
        _incidents(),
        ["2024-01", "2024-02", "2024-03", "2024-05"],
        cutoff=CUTOFF,
        horizon_months=H,
        capacity=K,
    )
    assert list(frame.columns) == ["month", "night", *acted.SPLIT_COLUMNS]
    assert sorted(set(frame["month"])) == ["2024-01", "2024-02"]  # 03: no night; 05: open
    pooled = frame.loc[frame["band"] == "all"].set_index(["month", "group"])
    assert pooled.loc[("2024-01", "acted"), ["warnings", "struck"]].tolist() == [1, 1]
    assert pooled.loc[("2024-01", "not_acted"), ["warnings", "struck"]].tolist() == [2, 1]
    assert pooled.loc[("2024-02", "acted"), ["warnings", "struck_before_action"]].tolist() == [1, 1]
    assert pooled.loc[("2024-02", "not_acted"), "hit_rate"] == pytest.approx(1.0)
    assert set(frame["night"]) == {"2024-01-31", "2024-02-29"}


def test_the_month_night_is_the_last_published_night_of_the_month() -> None:
    assert acted.month_nights(
        ["2024-01-15", "2024-01-31", "2024-02-10"], ["2024-01", "2024-02", "2024-03"]
    ) == {
        "2024-01": "2024-01-31",
        "2024-02": "2024-02-10",
    }


def test_the_evaluation_part_is_strict_json_with_null_for_missing_rates() -> None:
    part = acted.evaluation_split(
        _nights(), _actions().iloc[0:0], _incidents(), cutoff=CUTOFF, horizon_months=H, capacity=K
    )
    text = json.dumps(part, allow_nan=False)  # raises on NaN
    back = json.loads(text)
    (empty,) = [r for r in back["table"] if r["group"] == "acted" and r["band"] == "all"]
    assert empty["warnings"] == 0 and empty["hit_rate"] is None and empty["ratio"] is None
    assert back["actions_known"] == 0 and back["window_months"] == H
    assert {r["month"] for r in back["by_month"]} == {"2024-01-31", "2024-02-29"}


# ---------------------------------------------------------------- the nightly calibration check


def test_calibration_by_action_splits_the_rows_and_judges_the_not_acted_ones() -> None:
    published = _nights().drop(columns="rank")
    result = calibration_by_action(published, _incidents(), _actions(), as_of=CUTOFF, horizon_months=H)
    assert result.scope == "not_acted"
    # Acted rows (any band): A and D of 01-31 (a1, a5), C of 02-29 (a4): 3 of the 10 closed rows.
    pooled = result.alerted.set_index("band").loc["all"]
    assert pooled["rows"] == 7 and pooled["acted_rows"] == 3
    # not acted events: B 01-31 (i2), A 02-29 (i1); acted events: A 01-31 (i1), D 01-31 (i3), C 02-29 (i6)
    assert pooled["events"] == 2 and pooled["acted_events"] == 3
    groups = result.groups.set_index(["group", "band"])
    assert groups.loc[("acted", "all"), "rows"] == 3 and groups.loc[("not_acted", "all"), "rows"] == 7
    assert groups.loc[("acted", "watch"), "events"] == 1  # D of 01-31
    assert "status" in result.groups.columns and "status" in result.alerted.columns


def test_without_actions_the_check_is_the_plain_one() -> None:
    published = _nights()
    result = calibration_by_action(
        published[["as_of", "enterprise_id", "score", "band"]],
        _incidents(),
        _actions().iloc[0:0],
        as_of=CUTOFF,
        horizon_months=H,
    )
    plain = monitoring.calibration_check(
        monitoring.calibration_against_outcomes(published, _incidents(), H, as_of_cutoff=CUTOFF),
        design_effect=3.0,
    )
    assert result.scope == "all"
    pd.testing.assert_frame_equal(result.alerted.loc[:, list(plain.columns)], plain)


def _one_band_night(acted_struck: int, rest_struck: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """100 firms in band high at .30 on 2024-01-31: the first 50 acted on, with `acted_struck`
    stoppages among them, and `rest_struck` among the other 50."""
    ids = [f"F{i:03d}" for i in range(100)]
    published = pd.DataFrame({"as_of": "2024-01-31", "enterprise_id": ids, "score": 0.30, "band": "high"})
    actions = pd.DataFrame(
        {
            "id": np.arange(50),
            "enterprise_id": ids[:50],
            "kind": "inspection",
            "started": "2024-02-05",
            "recorded_at": "2024-02-05T02:00:00+00:00",
        }
    )
    struck = ids[:acted_struck] + ids[50 : 50 + rest_struck]
    incidents = pd.DataFrame(
        {
            "incident_id": [f"s{i}" for i in range(len(struck))],
            "enterprise_id": struck,
            "started": pd.Timestamp("2024-03-01"),
            "kind": "work_stoppage",
            "reported_at": pd.Timestamp("2024-03-01"),
        }
    )
    return published, incidents, actions


def test_firms_acted_on_no_longer_raise_an_over_prediction_alert() -> None:
    # Pooled: 12 events where 30 were predicted (ratio .4, z = -18 / sqrt(21) = -3.9): an alert.
    # Not acted: 12 where 15 were predicted (ratio .8, z = -0.9): no alert.
    published, incidents, actions = _one_band_night(acted_struck=0, rest_struck=12)
    plain = calibration_by_action(published, incidents, actions.iloc[0:0], as_of=CUTOFF, horizon_months=H)
    assert [a.details["band"] for a in calibration_alerts(plain.alerted)] == ["high", "all"]
    split = calibration_by_action(published, incidents, actions, as_of=CUTOFF, horizon_months=H)
    assert calibration_alerts(split.alerted) == []
    # The acted figures are still recorded beside the judged ones.
    high = split.alerted.set_index("band").loc["high"]
    assert (high["rows"], high["events"], high["acted_rows"], high["acted_events"]) == (50, 12, 50, 0)


def test_an_alert_on_the_not_acted_rows_says_so_and_records_both_groups() -> None:
    # Not acted: 40 events where 15 were predicted (ratio 2.7, z = 25 / sqrt(10.5) = 7.7).
    published, incidents, actions = _one_band_night(acted_struck=5, rest_struck=40)
    split = calibration_by_action(published, incidents, actions, as_of=CUTOFF, horizon_months=H)
    alert = next(a for a in calibration_alerts(split.alerted) if a.details["band"] == "high")
    assert "(not acted on)" in alert.message and "acted on: 5 events in 50 rows" in alert.message
    details = alert.recorded_details()
    assert details["scope"] == "not_acted" and details["acted_rows"] == 50 and details["acted_events"] == 5
    assert details["events"] == 40 and details["rows"] == 50
