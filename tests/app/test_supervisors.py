"""The supervisors' figures (`app.supervisors`) on small hand-made frames whose answers can be
counted by hand: which stoppage was warned, how long before, calibration by band."""

from __future__ import annotations

import pandas as pd
import pytest

from app import supervisors
from app.views import action_column, actions_table, keyed_table, moved_text
from present.movers import MovedSince


def _night(as_of: str, order: list[str], scores: list[float] | None = None) -> pd.DataFrame:
    """A night's published rows: `order` ranked 1, 2, ...; bands high for rank 1, low after."""
    n = len(order)
    return pd.DataFrame(
        {
            "as_of": as_of,
            "enterprise_id": order,
            "rank": range(1, n + 1),
            "score": scores if scores is not None else [0.5 / r for r in range(1, n + 1)],
            "band": ["high"] + ["low"] * (n - 1),
        }
    )


FIRMS = [f"E{i:02d}" for i in range(20)]


def _incidents(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"enterprise_id": e, "kind": k, "started": pd.Timestamp(s), "reported_at": pd.Timestamp(r)}
            for e, k, s, r in rows
        ]
    )


@pytest.fixture
def scores() -> pd.DataFrame:
    # Capacity 0.1 of 20 firms: the top 2 of each night.
    return pd.concat(
        [
            _night("2024-01-31", FIRMS),  # E00, E01 in the top
            _night("2024-02-29", [FIRMS[5], FIRMS[0], *[f for f in FIRMS if f not in ("E05", "E00")]]),
            _night("2024-03-31", FIRMS[::-1]),  # E19, E18
        ],
        ignore_index=True,
    )


def test_a_stoppage_is_warned_when_its_firm_was_in_a_top_k_before_it(scores: pd.DataFrame) -> None:
    incidents = _incidents(
        [
            ("E00", "work_stoppage", "2024-02-10", "2024-02-11"),  # top on 31/01: 10 days ahead
            ("E05", "work_stoppage", "2024-03-20", "2024-03-21"),  # top on 29/02 only: 20 days
            ("E07", "work_stoppage", "2024-03-05", "2024-03-06"),  # never in the top
            ("E19", "work_stoppage", "2024-03-31", "2024-04-01"),  # reported after the night
            ("E01", "petition", "2024-02-03", "2024-02-04"),  # not a stoppage
            ("E18", "work_stoppage", "2024-04-02", "2024-04-02"),  # April is not closed on 31/03
        ]
    )
    events = supervisors.closed_month_events(scores, incidents, "2024-03-31", capacity=0.1)
    got: dict[str, tuple[str, bool, float]] = {
        str(row["enterprise_id"]): (str(row["month"]), bool(row["warned"]), float(row["lead_days"]))
        for row in events.astype({"lead_days": "float64"}).to_dict("records")
    }
    assert got.keys() == {"E00", "E05", "E07"}
    assert got["E00"] == ("2024-02", True, 10)
    assert got["E05"] == ("2024-03", True, 20)
    assert got["E07"][:2] == ("2024-03", False) and pd.isna(got["E07"][2])

    monthly = supervisors.monthly_summary(events).set_index("month")
    assert [monthly.at["2024-02", "stoppages"], monthly.at["2024-02", "warned"]] == [1, 1]
    assert [monthly.at["2024-03", "stoppages"], monthly.at["2024-03", "warned"]] == [2, 1]
    assert monthly.at["2024-03", "warned_share"] == pytest.approx(0.5)
    assert monthly.at["2024-03", "median_lead_days"] == pytest.approx(20)

    # On a later night April closes, the E19 report is known, and E18's stoppage counts
    # (E18 was in the top on 31/03: 2 days ahead).
    later = supervisors.closed_month_events(scores, incidents, "2024-04-30", capacity=0.1)
    assert set(later["enterprise_id"]) == {"E00", "E05", "E07", "E19", "E18"}
    assert later.set_index("enterprise_id").at["E18", "lead_days"] == 2


def test_a_warning_older_than_the_horizon_does_not_count(scores: pd.DataFrame) -> None:
    incidents = _incidents([("E00", "work_stoppage", "2024-06-15", "2024-06-16")])
    events = supervisors.closed_month_events(scores, incidents, "2024-06-30", capacity=0.1, horizon_months=3)
    assert not events["warned"].iloc[0]  # in the top on 31/01 and 29/02 only: over 3 months before
    wider = supervisors.closed_month_events(scores, incidents, "2024-06-30", capacity=0.1, horizon_months=6)
    assert (
        wider["warned"].iloc[0]
        and wider["lead_days"].iloc[0] == (pd.Timestamp("2024-06-15") - pd.Timestamp("2024-01-31")).days
    )


def test_no_night_no_event() -> None:
    empty = _night("2024-01-31", FIRMS).iloc[0:0]
    incidents = _incidents([("E00", "work_stoppage", "2024-02-10", "2024-02-11")])
    events = supervisors.closed_month_events(empty, incidents, "2024-03-31", capacity=0.1)
    assert events.empty and supervisors.monthly_summary(events).empty


def test_calibration_by_band_counts_stoppages_in_the_horizon_after_each_night(scores: pd.DataFrame) -> None:
    incidents = _incidents(
        [
            ("E00", "work_stoppage", "2024-02-10", "2024-02-11"),  # after 31/01 (E00 high that night)
            ("E07", "work_stoppage", "2024-03-05", "2024-03-06"),  # after 31/01 and 29/02 (low)
        ]
    )
    table = supervisors.band_calibration(scores, incidents, "2024-03-31", horizon_months=3)
    # Nights before 31/03 only: 31/01 and 29/02, 20 rows each; high is one row a night.
    assert list(table["band"]) == ["high", "low"]
    high = table.set_index("band").loc["high"]
    assert high["rows"] == 2 and high["nights"] == 2
    assert high["observed"] == pytest.approx(0.5)  # E00 on 31/01 yes; E05 on 29/02 no
    assert high["predicted"] == pytest.approx(0.5)
    low = table.set_index("band").loc["low"]
    assert low["rows"] == 38
    # E07 after both nights; E00 is low on 29/02 but its stoppage (10/02) was before that night.
    assert low["observed"] == pytest.approx(2 / 38)
    assert not high["complete"]  # 31/01 + 3 months is after 31/03
    assert bool(
        supervisors.band_calibration(scores, incidents, "2024-06-30").set_index("band").at["high", "complete"]
    )


def test_champion_changes_newest_first_and_alerts_up_to_the_night() -> None:
    history = pd.DataFrame(
        {
            "at": ["2024-01-01T00:00:00", "2024-02-01T00:00:00", "2024-02-02T00:00:00"],
            "model_name": "m",
            "alias": ["champion", "challenger", "champion"],
            "version": ["1", "2", "2"],
            "previous": [None, None, "1"],
            "actor": "a",
            "reason": ["first", "x", "better"],
        }
    )
    moves = supervisors.champion_changes(history)
    assert list(moves["version"]) == ["2", "1"] and list(moves.columns) == [
        "at",
        "version",
        "previous",
        "actor",
        "reason",
    ]
    alerts = pd.DataFrame(
        {"id": [1, 2, 3], "as_of": ["2024-01-31", "2024-02-29", "2024-03-31"], "severity": "warn"}
    )
    assert list(supervisors.alerts_up_to(alerts, "2024-02-29")["id"]) == [2, 1]
    runs = pd.DataFrame({"as_of": ["2024-01-31", "2024-02-29"], "model_version": ["1", "2"]})
    assert supervisors.night_versions(runs, "2024-01-31")["model_version"].tolist() == [1]


def test_actions_are_shown_latest_first_in_the_readers_words() -> None:
    actions = pd.DataFrame(
        {
            "id": [1, 2],
            "enterprise_id": ["A", "A"],
            "kind": ["inspection", "wage_payment"],
            "started": ["2024-06-01", "2024-06-20"],
            "ended": [None, "2024-06-25"],
            "outcome": [None, "paid"],
            "note": ["<b>x</b>", None],
            "recorded_by": ["An", "Bình"],
            "recorded_at": ["2024-06-02T01:00:00+00:00", "2024-06-26T01:00:00+00:00"],
        }
    )
    table = actions_table(actions, "vi")
    assert list(table["Hành động"]) == ["Buộc trả lương", "Thanh tra, kiểm tra"]
    assert table["Bắt đầu"].iloc[0] == "20/06/2024" and table["Kết thúc"].iloc[1] == ""
    assert table["Ghi chú"].iloc[1] == "<b>x</b>"  # a grid cell shows text as text
    ranking = pd.DataFrame({"enterprise_id": ["B", "A"]})
    column = action_column(ranking, actions.tail(1), "en")
    assert list(column) == ["", "Enforced payment of wages (2024-06-20, Paid)"]


def test_keyed_table_heads_columns_from_the_catalogue() -> None:
    frame = pd.DataFrame({"month": ["2024-02"], "stoppages": [3], "band": ["high"]})
    table = keyed_table(frame, "en", "sv_")
    assert list(table.columns) == ["Month", "Stoppages", "Band"] and table["Band"].iloc[0] == "High"


def test_the_brief_and_the_page_say_a_move_as_ews_explain_does() -> None:
    moved = MovedSince(
        kind="previous_night",
        then=pd.Timestamp("2024-05-31"),
        score_before=0.01,
        score_now=0.05,
        why="nợ BHXH tăng từ 2 lên 5 tháng",
        why_en="social-insurance debt up from 2 to 5 months",
        contributions=pd.DataFrame(),
        residual=0.0,
    )
    assert moved_text([moved], "vi") == "So với 31/05/2024: điểm 1,00% → 5,00%; nợ BHXH tăng từ 2 lên 5 tháng"
    assert moved_text([moved], "en").startswith("Since 2024-05-31: score 1.00% → 5.00%; social-insurance")
    assert moved_text([], "vi") == ""
