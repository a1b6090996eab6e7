"""What training does with the enterprise-months an officer's action reached.

When an officer gets a flagged firm's overdue wages paid and no stoppage follows, the row
"firm with arrears, no stoppage" is not what the firm would have done untouched: a naive
retraining learns from it that arrears do not lead to stoppages, and the next warnings
miss the firms most worth acting on. The policy (`ModelParams.action_policy`):

- ``naive``: the rows are kept as they are (training as it was before actions existed).
- ``censor``: every row of an acted firm whose label window (D, D + H] meets the action's
  effect window is dropped, from the positives and from the negatives alike: its outcome
  was changed by the action, so it says nothing about the untreated risk.
- ``censor_before``: only the rows whose features predate the action and whose label window
  holds its start (D <= start <= D + H): the warning's row whose outcome the action then
  changed. The rows after the action stay: their features already show its effect (the
  arrears paid) and their outcomes follow from that state.
- ``censor_open``: the rows of ``censor``, except those whose window saw a stoppage start
  before the action did (D < stoppage <= action's start): that positive was observed
  untreated. Censoring "at the action", as survival analysis does: a firm is often acted
  on because it just had a stoppage (its score jumps), and dropping those positives
  would teach the model that the firms most like it are calm. (On the simulated loops it
  kept only a few rows more than ``censor``.)

The effect window of an action started on day s runs from s to the end of the month that is
`EFFECT_MONTHS[kind]` after s's month (the same documented, assumed durations the
simulated worlds act with; docs/calibration.md, "Actions").

Point in time: the policy is applied when the training table is built as of T, with the
actions known at T (started on or before T; the flow reads those recorded by T's night).
A row's label is itself only known after its window closes, so an action taken inside the
window (after the row's as-of date, before T) censors it: that is the case the issue is
about (flagged at D, paid a week later, no stoppage). The policy never changes a feature
and never reaches scoring: a firm's own state after a payment is in its indicators.

The default, ``naive``, was chosen by measurement on simulated two-year loops of acting on
the model's own warnings (`benchmarks/bench_action_loop.py`; docs/benchmarks.md, "Acting
on warnings: the two-year loop"): over 8 worlds naive retraining lost little against a
world nobody acted in, and each censoring policy ranked the untreated risk worse on
average than keeping the rows. A likely reason, not isolated by its own measurement: the acted
firms are the ones the model ranks highest, and dropping their recent rows (from the
later months that also decide the boosted trees' early stopping and the calibration)
costs the model more of what it knows about the top of the ranking than the actions'
outcomes mislead it. The censor policies stay, for measurement on other worlds.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from models.backtest import TrainingFrame
from models.train import ACTION_POLICIES
from outputs.actions import ACTION_KINDS

__all__ = [
    "ACTION_POLICIES",
    "EFFECT_MONTHS",
    "apply_action_policy",
    "censor_frame",
    "effect_windows",
    "reached_rows",
]

#: How many months after its start's month an action of each kind is taken to act: the
#: durations the simulated worlds assume (`simulator.actions.ACTION_EFFECTS`, which
#: learning may not import; a test keeps the two equal). Assumptions, none measured.
EFFECT_MONTHS: dict[str, int] = {
    "inspection": 3,
    "mediation": 3,
    "wage_payment": 6,
    "insurance_payment": 6,
    "support": 6,
}


def effect_windows(actions: pd.DataFrame, known_on: pd.Timestamp) -> pd.DataFrame:
    """The actions known on `known_on` (started on or before it) as effect windows:
    enterprise_id, start (the start day) and end (the last day of the effect's last month).

    ``actions`` has enterprise_id, kind (`outputs.actions.ACTION_KINDS`) and started
    ('YYYY-MM-DD' or a date). Raises ValueError on a missing column, an unknown kind or a
    start that is not a date.
    """
    missing = sorted({"enterprise_id", "kind", "started"} - set(actions.columns))
    if missing:
        raise ValueError(f"actions need the columns enterprise_id, kind and started; missing {missing}")
    unknown = sorted(set(actions["kind"].astype("str")) - set(ACTION_KINDS))
    if unknown:
        raise ValueError(f"unknown action kind(s) {unknown}; choose from {list(ACTION_KINDS)}")
    started = pd.to_datetime(actions["started"], errors="coerce", format="ISO8601")
    if started.isna().any():
        raise ValueError("an action's start is not a date; use YYYY-MM-DD")
    known = (started <= pd.Timestamp(known_on).normalize()).to_numpy()
    months = actions["kind"].astype("str").map(EFFECT_MONTHS).to_numpy()
    start = pd.DatetimeIndex(started.to_numpy()[known])
    periods = start.to_period("M") + months[known].astype(np.int64)
    end = periods.to_timestamp(how="end").normalize()
    return pd.DataFrame({
        "enterprise_id": actions["enterprise_id"].astype("str").to_numpy()[known],
        "start": start,
        "end": end,
    })  # fmt: skip


def reached_rows(
    table: pd.DataFrame,
    actions: pd.DataFrame,
    *,
    horizon_months: int,
    known_on: pd.Timestamp,
    before_only: bool = False,
    outcomes: pd.DataFrame | None = None,
) -> np.ndarray:
    """Mask of the rows (as_of, enterprise_id) whose label window (D, D + H] meets the
    effect window of an action known on `known_on` on the same enterprise; with
    `before_only`, only those with D <= the action's start <= D + H. With `outcomes` (the
    target incidents: enterprise_id, started), a row whose window saw one start in
    (D, action's start] is not reached by that action: its positive label was observed
    before the action could change it."""
    reached = np.zeros(len(table), dtype=bool)
    if table.empty or actions.empty:
        return reached
    windows = effect_windows(actions, known_on)
    if windows.empty:
        return reached
    as_of = pd.DatetimeIndex(table["as_of"]).normalize()
    window_end = as_of + pd.DateOffset(months=horizon_months)
    rows = pd.DataFrame({
        "row": np.arange(len(table)),
        "enterprise_id": table["enterprise_id"].astype("str").to_numpy(),
        "as_of": as_of,
        "window_end": window_end,
    })  # fmt: skip
    pairs = rows.merge(windows, on="enterprise_id", how="inner")
    # (D, D + H] meets [start, end] when start <= D + H and end > D.
    meets = (pairs["start"] <= pairs["window_end"]) & (pairs["end"] > pairs["as_of"])
    if before_only:
        meets &= pairs["start"] >= pairs["as_of"]
    if outcomes is not None and not outcomes.empty:
        meets &= ~_observed_before(pairs, outcomes)
    reached[pairs.loc[meets, "row"].to_numpy()] = True
    return reached


def _observed_before(pairs: pd.DataFrame, outcomes: pd.DataFrame) -> np.ndarray:
    """Per (row, action) pair: a target incident of the firm started in (D, min(start, D + H)]."""
    cut = np.minimum(pairs["start"].to_numpy(), pairs["window_end"].to_numpy())
    left = pd.DataFrame({
        "pair": np.arange(len(pairs)),
        "enterprise_id": pairs["enterprise_id"].to_numpy(),
        "as_of": pairs["as_of"].to_numpy(),
        "cut": cut,
    })  # fmt: skip
    events = pd.DataFrame({
        "enterprise_id": outcomes["enterprise_id"].astype("str").to_numpy(),
        "started": pd.to_datetime(outcomes["started"]).dt.normalize().to_numpy(),
    })  # fmt: skip
    both = left.merge(events, on="enterprise_id", how="inner")
    hits = both.loc[(both["started"] > both["as_of"]) & (both["started"] <= both["cut"]), "pair"]
    observed = np.zeros(len(pairs), dtype=bool)
    observed[hits.to_numpy()] = True
    return observed


def apply_action_policy(
    table: pd.DataFrame,
    actions: pd.DataFrame,
    policy: str,
    *,
    horizon_months: int,
    known_on: pd.Timestamp,
    outcomes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The training table under `policy` (`ACTION_POLICIES`): as given for ``naive`` or when
    no action is known; without the rows an action reached (`reached_rows`) for ``censor``,
    only those whose features predate it for ``censor_before``, and for ``censor_open``
    those of ``censor`` but the ones whose stoppage (`outcomes`: the target incidents known
    on `known_on`) came before the action. The rows kept stay in their order, with their index."""
    if policy not in ACTION_POLICIES:
        raise ValueError(f"unknown action policy {policy!r}; choose one of {list(ACTION_POLICIES)}")
    if policy == "naive" or actions.empty:
        return table
    reached = reached_rows(
        table,
        actions,
        horizon_months=horizon_months,
        known_on=known_on,
        before_only=policy == "censor_before",
        outcomes=outcomes if policy == "censor_open" else None,
    )
    return table if not reached.any() else table.loc[~reached]


def censor_frame(frame: TrainingFrame, actions: pd.DataFrame) -> TrainingFrame:
    """The training frame under its params' `action_policy`, with the actions known at its
    date: the same frame object when the policy changes nothing (no action, or ``naive``)."""
    table = apply_action_policy(
        frame.table,
        actions,
        frame.params.action_policy,
        horizon_months=frame.params.horizon_months,
        known_on=frame.as_of,
        outcomes=frame.incidents.loc[frame.incidents["kind"].isin(list(frame.params.target_kinds))],
    )
    if table is frame.table:
        return frame
    # The frame holds its rows as `source` (a table, or a Parquet file it reads back as its
    # fits need); the censored rows are a table in memory.
    return replace(frame, source=table.reset_index(drop=True))
