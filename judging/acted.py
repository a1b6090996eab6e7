"""Evaluation that knows about actions: warnings acted on and warnings not acted on, apart.

An early-warning system changes what it measures: when an officer gets the overdue wages of
a flagged firm paid and no stoppage follows, a plain evaluation counts a false alarm. Here
each warning is marked *acted on* or *not acted on* from the recorded actions
(`outputs.actions`), and hit rates, stoppages and calibration are reported for each group.

Definitions (the same in `ews evaluate`, the nightly calibration check and the page):

- A **warning** is a published row of a night that is in the night's top k (k =
  `vocab.terms.capacity_count` of the night's rows and the capacity, `EWS_CAPACITY`) or in
  band ``high`` or ``elevated``: the analysts' list and the bands that call for a look.
- A warning of night D is **acted on** when an action on its enterprise *started* in
  (D, D + H months], H the target horizon (`EWS_HORIZON_MONTHS`): after the night (its
  ranking is published once the day D is over) and before the end of the window its
  outcome is judged on. Only actions recorded before the cutoff count
  (`outputs.actions.night_cutoff`): an action recorded later was not known.
- Its **outcome** is the training labels' (`features.labels`): a stoppage of the target kinds
  starting in (D, D + H], reported by the cutoff. A night counts only when D + H is on or
  before the cutoff (`judging.evaluate.outcomes_known_until`): an open window neither counts
  a stoppage nor proves its absence, and its actions are not all known yet.

An action taken after the stoppage (a mediation in response to it) still marks the warning
acted on; `struck_before_action` counts those, so a reader can tell prevention from reaction.
Everything here is pure: callers read the rankings, actions and incidents and pass them in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from features.labels import DEFAULT_KINDS, horizon_end
from outputs.actions import night_cutoff
from vocab.terms import BANDS, capacity_count

ACTED, NOT_ACTED = "acted", "not_acted"
GROUPS: tuple[str, ...] = (ACTED, NOT_ACTED)
#: Bands that make a row a warning whatever its rank.
WARNING_BANDS: tuple[str, ...] = ("high", "elevated")
#: The band label of a group's pooled row.
ALL = "all"
#: Columns of `acted_split` (after the grouping key, when there is one).
SPLIT_COLUMNS: tuple[str, ...] = (
    "group",
    "band",
    "warnings",
    "struck",
    "stoppages",
    "hit_rate",
    "mean_predicted",
    "ratio",
    "struck_before_action",
)
#: Columns of `judged_warnings`.
WARNING_COLUMNS: tuple[str, ...] = (
    "as_of",
    "enterprise_id",
    "rank",
    "score",
    "band",
    "acted",
    "first_action",
    "stoppages",
    "stoppage_ids",
    "struck",
    "struck_before_action",
)


def _days(values: Any) -> pd.DatetimeIndex:
    """Dates (text, dates or timestamps) as midnight timestamps without a timezone."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    return pd.DatetimeIndex(pd.to_datetime(series)).normalize()


def closed_mask(as_of: Any, *, cutoff: pd.Timestamp | str, horizon_months: int) -> np.ndarray:
    """True for the nights whose window (D, D + H] has closed by `cutoff`."""
    return np.asarray(horizon_end(_days(as_of), horizon_months) <= pd.Timestamp(cutoff).normalize())


def known_actions(actions: pd.DataFrame, cutoff: pd.Timestamp | str) -> pd.DataFrame:
    """The actions recorded before the end of the day `cutoff` in Vietnam: what was known then."""
    if actions.empty:
        return actions
    limit = pd.Timestamp(night_cutoff(str(pd.Timestamp(cutoff).date())))
    recorded = pd.to_datetime(actions["recorded_at"].astype(str), utc=True)
    return actions.loc[np.asarray(recorded < limit)]


def warning_mask(published: pd.DataFrame, capacity: float) -> np.ndarray:
    """True for the rows that are warnings: the night's top k, or band high or elevated.

    The rank is the published one when the frame has it, else the order of the scores
    within the night (ties by row order, as `outputs.ranking` ranks).
    """
    nights = pd.Series(_days(published["as_of"]), index=published.index)
    if "rank" in published.columns:
        rank = published["rank"].astype(float)
    else:
        rank = published["score"].groupby(nights).rank(method="first", ascending=False)
    size = nights.map(nights.value_counts())
    k = size.map({n: capacity_count(int(n), capacity) for n in size.unique()})
    return np.asarray((rank <= k) | published["band"].isin(WARNING_BANDS))


def mark_acted(
    rows: pd.DataFrame, actions: pd.DataFrame, *, cutoff: pd.Timestamp | str, horizon_months: int
) -> pd.DataFrame:
    """`rows` (as_of, enterprise_id, ...) with `acted` and `first_action` (the first start of
    an action on the firm in (D, D + H], among those recorded before the end of `cutoff`)."""
    out = rows.copy()
    out["acted"] = False
    out["first_action"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    known = known_actions(actions, cutoff)
    if out.empty or known.empty:
        return out
    nights = _days(out["as_of"])
    left = pd.DataFrame(
        {
            "row": np.arange(len(out)),
            "enterprise_id": out["enterprise_id"].astype(str).to_numpy(),
            "night": nights,
            "end": horizon_end(nights, horizon_months),
        }
    )
    right = pd.DataFrame(
        {"enterprise_id": known["enterprise_id"].astype(str).to_numpy(), "started": _days(known["started"])}
    )
    pairs = left.merge(right, on="enterprise_id", how="inner")
    pairs = pairs.loc[(pairs["started"] > pairs["night"]) & (pairs["started"] <= pairs["end"])]
    first = pairs.groupby("row")["started"].min().reindex(range(len(out)))
    out["acted"] = first.notna().to_numpy()
    out["first_action"] = first.to_numpy()
    return out


def mark_outcomes(
    rows: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    cutoff: pd.Timestamp | str,
    horizon_months: int,
    kinds: Sequence[str] = DEFAULT_KINDS,
) -> pd.DataFrame:
    """`rows` with the stoppages that followed each: incidents of `kinds` at the firm starting
    in (D, D + H] and reported by `cutoff` (`stoppages`, their ids, `first_stoppage`, `struck`)."""
    out = rows.copy()
    n = len(out)
    out["stoppages"] = np.zeros(n, dtype=np.int64)
    out["stoppage_ids"] = pd.Series([()] * n, index=out.index, dtype=object)
    out["first_stoppage"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    limit = pd.Timestamp(cutoff).normalize()
    events = incidents.loc[incidents["kind"].isin(list(kinds))]
    events = events.loc[np.asarray(_days(events["reported_at"]) <= limit)]
    if n and not events.empty:
        nights = _days(out["as_of"])
        left = pd.DataFrame(
            {
                "row": np.arange(n),
                "enterprise_id": out["enterprise_id"].astype(str).to_numpy(),
                "night": nights,
                "end": horizon_end(nights, horizon_months),
            }
        )
        right = pd.DataFrame(
            {
                "enterprise_id": events["enterprise_id"].astype(str).to_numpy(),
                "incident_id": events["incident_id"].astype(str).to_numpy(),
                "started": _days(events["started"]),
            }
        )
        pairs = left.merge(right, on="enterprise_id", how="inner")
        pairs = pairs.loc[(pairs["started"] > pairs["night"]) & (pairs["started"] <= pairs["end"])]
        grouped = pairs.groupby("row")
        found: dict[int, tuple[str, ...]] = {
            int(str(row)): tuple(sorted(set(ids))) for row, ids in grouped["incident_id"]
        }
        every = [found.get(row, ()) for row in range(n)]
        out["stoppage_ids"] = pd.Series(every, index=out.index, dtype=object)
        out["stoppages"] = np.array([len(ids) for ids in every], dtype=np.int64)
        out["first_stoppage"] = grouped["started"].min().reindex(range(n)).to_numpy()
    out["struck"] = out["stoppages"] > 0
    return out


def judged_warnings(
    published: pd.DataFrame,
    actions: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    cutoff: pd.Timestamp | str,
    horizon_months: int,
    capacity: float,
    kinds: Sequence[str] = DEFAULT_KINDS,
) -> pd.DataFrame:
    """One row per warning of the nights whose window closed by `cutoff`: acted on or not,
    and the stoppages that followed (columns `WARNING_COLUMNS`).

    `published`: published rows of one or more nights (as_of, enterprise_id, score, band, and
    rank when known), every row of each night (the top k is counted on them); `actions`: the
    recorded actions (enterprise_id, started, recorded_at); `incidents`: the store's incidents.
    """
    frame = published.reset_index(drop=True)
    if "rank" not in frame.columns:
        nights = pd.Series(_days(frame["as_of"]))
        frame = frame.assign(rank=frame["score"].groupby(nights).rank(method="first", ascending=False))
    frame = frame.loc[warning_mask(frame, capacity)]
    frame = frame.loc[closed_mask(frame["as_of"], cutoff=cutoff, horizon_months=horizon_months)]
    frame = frame.assign(as_of=_days(frame["as_of"]).strftime("%Y-%m-%d").to_numpy()).reset_index(drop=True)
    marked = mark_acted(frame, actions, cutoff=cutoff, horizon_months=horizon_months)
    judged = mark_outcomes(marked, incidents, cutoff=cutoff, horizon_months=horizon_months, kinds=kinds)
    judged["rank"] = judged["rank"].astype(np.int64)
    judged["score"] = judged["score"].astype(np.float64)
    judged["struck_before_action"] = (
        judged["acted"] & judged["struck"] & (judged["first_stoppage"] <= judged["first_action"])
    )
    return judged.loc[:, list(WARNING_COLUMNS)]


def _cell(rows: pd.DataFrame) -> dict[str, Any]:
    """The figures of one group (and band) of warnings."""
    warnings = len(rows)
    struck = int(rows["struck"].sum())
    distinct: set[str] = set()
    for ids in rows["stoppage_ids"]:
        distinct.update(ids)
    mean = float(rows["score"].mean()) if warnings else math.nan
    hit_rate = struck / warnings if warnings else math.nan
    return {
        "warnings": warnings,
        "struck": struck,
        "stoppages": len(distinct),
        "hit_rate": hit_rate,
        "mean_predicted": mean,
        "ratio": hit_rate / mean if warnings and mean > 0 else math.nan,
        "struck_before_action": int(rows["struck_before_action"].sum()),
    }


def acted_split(judged: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Hit rate, stoppages and calibration of the warnings acted on and not acted on.

    One row per (`by` value,) group and band, bands highest first, then the group's pooled
    row (band ``all``), which is there for both groups even when a group has no warning
    (its rates are then NaN). `stoppages` counts distinct stoppages: a firm warned on two
    nights before one stoppage counts it once; `struck` counts warnings followed by at
    least one; `hit_rate` = struck / warnings, the observed rate set against
    `mean_predicted` (calibration: `ratio` = observed / predicted).
    """
    keys: list[Any] = [None] if by is None else sorted(judged[by].unique())
    order = [*BANDS, *sorted(set(judged["band"]) - set(BANDS))]
    records: list[dict[str, Any]] = []
    for key in keys:
        part = judged if by is None else judged.loc[judged[by] == key]
        for group in GROUPS:
            rows = part.loc[part["acted"] == (group == ACTED)]
            lead = {} if by is None else {by: key}
            for band in order:
                in_band = rows.loc[rows["band"] == band]
                if len(in_band):
                    records.append({**lead, "group": group, "band": band, **_cell(in_band)})
            records.append({**lead, "group": group, "band": ALL, **_cell(rows)})
    columns = ([] if by is None else [by]) + list(SPLIT_COLUMNS)
    return pd.DataFrame.from_records(records, columns=columns)


def month_nights(nights: Sequence[str], months: Sequence[str]) -> dict[str, str]:
    """For each month YYYY-MM, its last published night (months without one are left out):
    one night a month, since consecutive nights judge the same firms over almost the same window."""
    days = _days(list(nights))
    chosen: dict[str, str] = {}
    for month in months:
        period = pd.Period(month, freq="M")
        inside = days[(days >= period.start_time) & (days <= period.end_time)]
        if len(inside):
            chosen[str(period)] = str(inside.max().date())
    return chosen


def monthly_split(
    published: pd.DataFrame,
    actions: pd.DataFrame,
    incidents: pd.DataFrame,
    months: Sequence[str],
    *,
    cutoff: pd.Timestamp | str,
    horizon_months: int,
    capacity: float,
    kinds: Sequence[str] = DEFAULT_KINDS,
) -> pd.DataFrame:
    """The acted / not-acted split per month, for the supervisors' page: a tidy frame with
    `month` (YYYY-MM), `night` (the month's last published night) and `acted_split`'s columns.

    A month counts with its last published night in `published`; a month without a
    published night, or whose night's window has not closed by `cutoff`, is left out (the
    page says which months it shows).
    """
    nights = month_nights(sorted(set(_days(published["as_of"]).strftime("%Y-%m-%d"))), months)
    picked = published.loc[_days(published["as_of"]).strftime("%Y-%m-%d").isin(list(nights.values()))]
    judged = judged_warnings(
        picked,
        actions,
        incidents,
        cutoff=cutoff,
        horizon_months=horizon_months,
        capacity=capacity,
        kinds=kinds,
    )
    closed = [
        (month, night)
        for month, night in nights.items()
        if closed_mask([night], cutoff=cutoff, horizon_months=horizon_months)[0]
    ]
    parts = []
    for month, night in closed:
        split = acted_split(judged.loc[judged["as_of"] == night])
        parts.append(split.assign(month=month, night=night))
    columns = ["month", "night", *SPLIT_COLUMNS]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True).loc[:, columns]


def split_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A split table as strict-JSON-ready records: plain Python numbers, None for a missing one."""

    def plain(value: Any) -> Any:
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value

    return [{str(k): plain(v) for k, v in row.items()} for row in table.to_dict("records")]


def evaluation_split(
    published: pd.DataFrame,
    actions: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    cutoff: pd.Timestamp | str,
    horizon_months: int,
    capacity: float,
    kinds: Sequence[str] = DEFAULT_KINDS,
) -> dict[str, Any]:
    """The acted / not-acted part of `ews evaluate`, ready for strict JSON: the pooled split
    by band (`table`), the split per month-end night (`by_month`, key `month`), how many
    actions were known by `cutoff`, and the definitions used."""
    judged = judged_warnings(
        published,
        actions,
        incidents,
        cutoff=cutoff,
        horizon_months=horizon_months,
        capacity=capacity,
        kinds=kinds,
    )
    by_month = acted_split(judged.rename(columns={"as_of": "month"}), by="month")
    return {
        "actions_known": len(known_actions(actions, cutoff)),
        "actions_known_until": str(pd.Timestamp(cutoff).date()),
        "window_months": horizon_months,
        "warning_bands": list(WARNING_BANDS),
        "capacity": capacity,
        "table": split_records(acted_split(judged)),
        "by_month": split_records(by_month),
    }


__all__ = [
    "ACTED",
    "ALL",
    "GROUPS",
    "NOT_ACTED",
    "SPLIT_COLUMNS",
    "WARNING_BANDS",
    "WARNING_COLUMNS",
    "acted_split",
    "closed_mask",
    "evaluation_split",
    "judged_warnings",
    "known_actions",
    "mark_acted",
    "mark_outcomes",
    "month_nights",
    "monthly_split",
    "split_records",
    "warning_mask",
]
