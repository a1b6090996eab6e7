"""The policy for enterprise-months after an action (`models.censoring`), on hand-made rows.

Rows are (as_of, enterprise_id) month ends; H = 3. A row is censored when its label window
(D, D + 3 months] meets an action's effect window [start day, end of the month that is
`ACTION_EFFECTS[kind].months` after the start's month]. Expected rows worked out by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.backtest import TrainingFrame
from models.censoring import EFFECT_MONTHS, apply_action_policy, censor_frame, effect_windows, reached_rows
from models.train import ModelParams

MONTH_ENDS = pd.date_range("2023-11-30", "2024-09-30", freq="ME")  # 11 month ends


def _table() -> pd.DataFrame:
    ids = ["A"] * len(MONTH_ENDS) + ["B"] * len(MONTH_ENDS)
    return pd.DataFrame(
        {"as_of": list(MONTH_ENDS) * 2, "enterprise_id": ids, "x": np.arange(2 * len(MONTH_ENDS))}
    )


#: A: wage arrears paid on 2024-03-15, 6 months: effect window 2024-03-15 .. 2024-09-30.
#: B: inspection on 2024-05-31, 3 months: effect window 2024-05-31 .. 2024-08-31.
ACTIONS = pd.DataFrame({
    "enterprise_id": ["A", "B", "Z"],
    "kind": ["wage_payment", "inspection", "mediation"],
    "started": ["2024-03-15", "2024-05-31", "2024-01-10"],
})  # fmt: skip


def _censored(table: pd.DataFrame, mask: np.ndarray) -> set[tuple[str, str]]:
    return {
        (e, str(d.date()))
        for e, d in zip(table.loc[mask, "enterprise_id"], table.loc[mask, "as_of"], strict=True)
    }


def test_effect_months_are_the_simulators() -> None:
    from outputs.actions import ACTION_KINDS
    from simulator.actions import ACTION_EFFECTS

    assert {kind: effect.months for kind, effect in ACTION_EFFECTS.items()} == EFFECT_MONTHS
    assert set(EFFECT_MONTHS) == set(ACTION_KINDS)


def test_effect_windows_by_hand() -> None:
    windows = effect_windows(ACTIONS, pd.Timestamp("2024-12-31"))
    assert windows["start"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-15", "2024-05-31", "2024-01-10"]
    # wage_payment 6 months after March: September; inspection 3 after May: August;
    # mediation 3 after January: April.
    assert windows["end"].dt.strftime("%Y-%m-%d").tolist() == ["2024-09-30", "2024-08-31", "2024-04-30"]


def test_censored_rows_by_hand() -> None:
    table = _table()
    mask = reached_rows(table, ACTIONS, horizon_months=3, known_on=pd.Timestamp("2024-12-31"))
    # A: D + 3 months >= 2024-03-15 from D = 2023-12-31 (window to 2024-03-31), and D < 2024-09-30.
    a = {("A", d) for d in ["2023-12-31", "2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30",
                            "2024-05-31", "2024-06-30", "2024-07-31", "2024-08-31"]}  # fmt: skip
    # B: 2024-02-29 + 3 months is 2024-05-29, before the inspection: kept; from 2024-03-31
    # to 2024-07-31 (2024-08-31 is the window's end, not after D).
    b = {("B", d) for d in ["2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31"]}
    assert _censored(table, mask) == a | b
    # The firm "Z" is in no row: nothing of it is censored, nothing fails.
    assert mask.sum() == 14


def test_censor_before_keeps_the_rows_after_the_action() -> None:
    table = _table()
    mask = reached_rows(
        table, ACTIONS, horizon_months=3, known_on=pd.Timestamp("2024-12-31"), before_only=True
    )
    # D <= start <= D + 3 months. A (2024-03-15): 2023-12-31, 2024-01-31, 2024-02-29.
    # B (2024-05-31): 2024-03-31, 2024-04-30 and 2024-05-31 itself (the night it was taken).
    assert _censored(table, mask) == {
        ("A", "2023-12-31"), ("A", "2024-01-31"), ("A", "2024-02-29"),
        ("B", "2024-03-31"), ("B", "2024-04-30"), ("B", "2024-05-31"),
    }  # fmt: skip
    kept = apply_action_policy(
        table, ACTIONS, "censor_before", horizon_months=3, known_on=pd.Timestamp("2024-12-31")
    )
    assert len(kept) == len(table) - 6


def test_censor_open_keeps_the_stoppages_seen_before_the_action() -> None:
    table = _table()
    known = pd.Timestamp("2024-12-31")
    # A struck on 2024-02-10, before its payment (2024-03-15); B on 2024-06-15, after its
    # inspection (2024-05-31): that one was not seen untreated.
    outcomes = pd.DataFrame({"enterprise_id": ["A", "B"], "started": ["2024-02-10", "2024-06-15"]})
    mask = reached_rows(table, ACTIONS, horizon_months=3, known_on=known, outcomes=outcomes)
    # A's rows of 2023-12-31 and 2024-01-31 saw the stoppage in (D, 2024-03-15]: kept.
    a = {("A", d) for d in ["2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30",
                            "2024-07-31", "2024-08-31"]}  # fmt: skip
    b = {("B", d) for d in ["2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31"]}
    assert _censored(table, mask) == a | b
    kept = apply_action_policy(
        table, ACTIONS, "censor_open", horizon_months=3, known_on=known, outcomes=outcomes
    )
    assert len(kept) == len(table) - 12
    # The other policies ignore the outcomes.
    assert (
        len(
            apply_action_policy(table, ACTIONS, "censor", horizon_months=3, known_on=known, outcomes=outcomes)
        )
        == len(table) - 14
    )


def test_only_actions_known_at_the_training_date() -> None:
    """Training as of T knows the actions started by T: B's inspection (2024-05-31) is not
    known on 2024-05-30, so B's rows stay, while A's payment already censors its rows,
    those whose window runs past T included (their labels are not yet known either)."""
    table = _table()
    mask = reached_rows(table, ACTIONS, horizon_months=3, known_on=pd.Timestamp("2024-05-30"))
    assert not mask[(table["enterprise_id"] == "B").to_numpy()].any()
    assert mask[(table["enterprise_id"] == "A").to_numpy()].sum() == 9
    none_yet = reached_rows(table, ACTIONS, horizon_months=3, known_on=pd.Timestamp("2024-01-09"))
    assert not none_yet.any()


def test_horizon_changes_the_rows() -> None:
    table = _table()
    one = reached_rows(table, ACTIONS.iloc[:1], horizon_months=1, known_on=pd.Timestamp("2024-12-31"))
    # (D, D + 1 month] meets 2024-03-15 .. 2024-09-30 from D = 2024-02-29 to 2024-08-31.
    assert _censored(table, one) == {
        ("A", d) for d in ["2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30",
                           "2024-07-31", "2024-08-31"]
    }  # fmt: skip


def test_policies() -> None:
    table = _table()
    known = pd.Timestamp("2024-12-31")
    assert apply_action_policy(table, ACTIONS, "naive", horizon_months=3, known_on=known) is table
    empty = ACTIONS.iloc[:0]
    assert apply_action_policy(table, empty, "censor", horizon_months=3, known_on=known) is table
    censored = apply_action_policy(table, ACTIONS, "censor", horizon_months=3, known_on=known)
    assert len(censored) == len(table) - 14
    assert censored["x"].is_monotonic_increasing  # kept rows in their order
    with pytest.raises(ValueError, match="unknown action policy"):
        apply_action_policy(table, ACTIONS, "weight", horizon_months=3, known_on=known)


def test_bad_actions_refused() -> None:
    with pytest.raises(ValueError, match="unknown action kind"):
        effect_windows(ACTIONS.assign(kind="prayer"), pd.Timestamp("2024-12-31"))
    with pytest.raises(ValueError, match="not a date"):
        effect_windows(ACTIONS.assign(started="soon"), pd.Timestamp("2024-12-31"))
    with pytest.raises(ValueError, match="missing"):
        effect_windows(ACTIONS.drop(columns="started"), pd.Timestamp("2024-12-31"))


def _frame(policy: str) -> TrainingFrame:
    params = ModelParams(action_policy=policy)  # type: ignore[arg-type]
    grid = pd.DatetimeIndex(MONTH_ENDS)
    incidents = pd.DataFrame({"enterprise_id": [], "kind": [], "started": [], "reported_at": []})
    as_of = pd.Timestamp("2024-12-31")
    return TrainingFrame(_table(), incidents, as_of, grid, grid[0], params)


def test_censor_frame_follows_the_params() -> None:
    assert ModelParams().action_policy == "naive"  # chosen by measurement (docs/benchmarks.md)
    frame = _frame("censor")
    assert censor_frame(frame, ACTIONS.iloc[:0]) is frame  # no action: the same frame, trained as before
    naive = _frame("naive")
    assert censor_frame(naive, ACTIONS) is naive
    censored = censor_frame(frame, ACTIONS)
    assert len(censored.table) == len(frame.table) - 14
    assert censored.table.index.equals(pd.RangeIndex(len(censored.table)))
    assert censored.params == frame.params and censored.as_of == frame.as_of


def test_recorded_actions_censor_a_real_training_frame(
    tiny_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """The train flow's path: actions read back from the workspace database (recorded up to
    the training night) censor the tiny world's training frame, and the frame still fits."""
    import datetime as dt

    from models.backtest import build_training_frame, fit_at
    from outputs.actions import read_actions, record_action

    enterprises, indicators, incidents = tiny_frames
    as_of = pd.Timestamp("2023-12-20")
    params = ModelParams(backtest_origins=0, max_iter=30, action_policy="censor")
    frame = build_training_frame(enterprises, indicators, incidents, as_of=as_of, params=params)
    firm = str(frame.table["enterprise_id"].iloc[-1])
    db = tmp_path / "ews.db"
    record_action(
        db, enterprise_id=firm, kind="wage_payment", started="2023-06-10", recorded_by="t",
        now=dt.datetime(2023, 6, 10, 3, tzinfo=dt.UTC),
    )  # fmt: skip
    # Recorded after the training night: not known to it.
    record_action(
        db, enterprise_id=firm, kind="inspection", started="2023-12-01", recorded_by="t",
        now=dt.datetime(2023, 12, 21, 3, tzinfo=dt.UTC),
    )  # fmt: skip
    actions = read_actions(db, up_to=str(as_of.date()))
    assert actions["kind"].tolist() == ["wage_payment"]
    censored = censor_frame(frame, actions)
    rows = frame.table
    # Label windows (D, D + 3 months] meeting 2023-06-10 .. 2023-12-31: D from 2023-03-31
    # (window to 2023-06-30) to 2023-11-30 (the frame's as-of dates end three months before its date).
    as_of_dates = pd.DatetimeIndex(rows["as_of"])
    expected = (
        (rows["enterprise_id"] == firm).to_numpy()
        & (as_of_dates >= pd.Timestamp("2023-03-31"))
        & (as_of_dates <= pd.Timestamp("2023-11-30"))
    )
    assert expected.sum() > 0
    assert len(censored.table) == len(rows) - int(expected.sum())
    assert not ((censored.table["enterprise_id"] == firm) & (censored.table["as_of"] >= "2023-03-31")).any()
    assert fit_at(censored, censored.as_of, "hgb").fit_rows > 0
    assert censor_frame(frame, read_actions(tmp_path / "none.db")) is frame
