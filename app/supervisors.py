"""Did the warnings work? The supervisors' page's figures, as plain functions of frames.

Everything is judged as of the night the page shows, from what was known then: the
stoppages are the incidents of the target kinds reported by that night, the nights are the
published rankings up to it. A stoppage counts as warned when its enterprise was in the top
k (the analysts' capacity, `vocab.terms.capacity_count` of that night's ranking) of a night
in the horizon before its start; the lead is the days from the first such night to the
start. A month is closed when it ended by the night. No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vocab.terms import BANDS, TARGET_KINDS, capacity_count

EVENT_COLUMNS: tuple[str, ...] = ("enterprise_id", "started", "month", "warned", "first_warned", "lead_days")
MONTH_COLUMNS: tuple[str, ...] = ("month", "stoppages", "warned", "warned_share", "median_lead_days")
CALIBRATION_COLUMNS: tuple[str, ...] = ("band", "rows", "predicted", "observed", "nights", "complete")


def top_k_rows(scores: pd.DataFrame, capacity: float) -> pd.DataFrame:
    """The rows of each night's ranking within that night's top k (by the published rank)."""
    if scores.empty:
        return scores.iloc[0:0]
    size = scores.groupby("as_of")["enterprise_id"].transform("size").to_numpy()
    k = np.array([capacity_count(int(n), capacity) for n in size])
    return scores.loc[scores["rank"].to_numpy() <= k]


def stoppages_known(incidents: pd.DataFrame, night: str, kinds: Sequence[str] = TARGET_KINDS) -> pd.DataFrame:
    """The stoppages (incidents of `kinds`) reported by `night`, one row per enterprise and start."""
    cutoff = pd.Timestamp(night)
    known = incidents.loc[incidents["kind"].isin(list(kinds)) & (incidents["reported_at"] <= cutoff)]
    out = known.loc[:, ["enterprise_id", "started"]].copy()
    out["enterprise_id"] = out["enterprise_id"].astype(str)
    out["started"] = pd.to_datetime(out["started"])
    return (
        out.drop_duplicates().sort_values(["started", "enterprise_id"], kind="stable").reset_index(drop=True)
    )


def closed_month_events(
    scores: pd.DataFrame,
    incidents: pd.DataFrame,
    night: str,
    *,
    capacity: float,
    horizon_months: int = 3,
) -> pd.DataFrame:
    """Each stoppage of a closed month after the first scored night, and whether its
    enterprise was in the top k of a night in the `horizon_months` before its start
    (`EVENT_COLUMNS`; `first_warned` and `lead_days` empty when it was not).

    `scores`: the published rows (as_of, enterprise_id, rank) of the nights up to `night`.
    """
    cutoff = pd.Timestamp(night)
    nights = pd.to_datetime(pd.Series(sorted(set(scores["as_of"])), dtype=object))
    nights = nights.loc[nights <= cutoff]
    events = stoppages_known(incidents, night)
    month_end = events["started"].dt.to_period("M").dt.to_timestamp(how="end").dt.normalize()
    keep = month_end <= cutoff
    if len(nights):
        keep &= events["started"] > nights.iloc[0]
    else:
        keep &= False
    events = events.loc[keep].reset_index(drop=True)
    events["month"] = events["started"].dt.strftime("%Y-%m")
    top = top_k_rows(scores.loc[pd.to_datetime(scores["as_of"]) <= cutoff], capacity)
    top = top.assign(as_of=pd.to_datetime(top["as_of"]), enterprise_id=top["enterprise_id"].astype(str))
    hits = events.reset_index(names="event").merge(top.loc[:, ["as_of", "enterprise_id"]], on="enterprise_id")
    window = (hits["as_of"] < hits["started"]) & (
        hits["as_of"] >= hits["started"] - pd.DateOffset(months=horizon_months)
    )
    first = hits.loc[window].groupby("event")["as_of"].min()
    events["first_warned"] = first.reindex(range(len(events))).to_numpy()
    events["first_warned"] = pd.to_datetime(events["first_warned"])
    events["warned"] = events["first_warned"].notna()
    events["lead_days"] = (events["started"] - events["first_warned"]).dt.days.astype("Float64")
    return events.loc[:, list(EVENT_COLUMNS)]


def monthly_summary(events: pd.DataFrame) -> pd.DataFrame:
    """Per closed month with stoppages: how many, how many warned, their share, the median lead."""
    if events.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in MONTH_COLUMNS})
    grouped = events.groupby("month", sort=True)
    out = pd.DataFrame(
        {
            "stoppages": grouped.size(),
            "warned": grouped["warned"].sum().astype(int),
            "median_lead_days": grouped["lead_days"].median(),
        }
    ).reset_index()
    out["warned_share"] = out["warned"] / out["stoppages"]
    return out.loc[:, list(MONTH_COLUMNS)]


def band_calibration(
    scores: pd.DataFrame, incidents: pd.DataFrame, night: str, *, horizon_months: int = 3
) -> pd.DataFrame:
    """Per band (highest first): rows, mean predicted probability, observed share with a
    stoppage starting in the horizon after the night (known by `night`), nights used, and
    whether every night's horizon has closed by `night` (else the observed share is a floor).

    `scores`: the published rows (as_of, enterprise_id, score, band) of the nights to judge.
    """
    cutoff = pd.Timestamp(night)
    rows = scores.loc[pd.to_datetime(scores["as_of"]) < cutoff].copy()
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CALIBRATION_COLUMNS})
    rows["as_of"] = pd.to_datetime(rows["as_of"])
    rows["enterprise_id"] = rows["enterprise_id"].astype(str)
    events = stoppages_known(incidents, night)
    pairs = rows.reset_index(names="row").merge(events, on="enterprise_id")
    after = (pairs["started"] > pairs["as_of"]) & (
        pairs["started"] <= pairs["as_of"] + pd.DateOffset(months=horizon_months)
    )
    hit = set(pairs.loc[after, "row"])
    rows["y"] = [i in hit for i in rows.index]
    rows["closed"] = rows["as_of"] + pd.DateOffset(months=horizon_months) <= cutoff
    grouped = rows.groupby("band")
    out = pd.DataFrame(
        {
            "rows": grouped.size(),
            "predicted": grouped["score"].mean(),
            "observed": grouped["y"].mean(),
            "nights": grouped["as_of"].nunique(),
            "complete": grouped["closed"].all(),
        }
    )
    order = [b for b in BANDS if b in out.index] + sorted(set(out.index) - set(BANDS))
    return out.loc[order].reset_index().loc[:, list(CALIBRATION_COLUMNS)]


def champion_changes(history: pd.DataFrame) -> pd.DataFrame:
    """The champion alias's recorded moves, newest first (`outputs.audit.alias_history` rows)."""
    if history.empty:
        return history.loc[:, [c for c in ("at", "version", "previous", "actor", "reason") if c in history]]
    moves = history.loc[history["alias"] == "champion"]
    return (
        moves.sort_values("at", ascending=False, kind="stable")
        .loc[:, ["at", "version", "previous", "actor", "reason"]]
        .reset_index(drop=True)
    )


def night_versions(runs: pd.DataFrame, night: str) -> pd.DataFrame:
    """The model version that scored each night up to `night` (as_of, model_version as a number)."""
    shown = runs.loc[runs["as_of"] <= night, ["as_of", "model_version"]].copy()
    shown["model_version"] = pd.to_numeric(shown["model_version"], errors="coerce")
    return shown.sort_values("as_of", kind="stable").reset_index(drop=True)


def alerts_up_to(alerts: pd.DataFrame, night: str) -> pd.DataFrame:
    """The alerts recorded for nights up to `night`, newest night first."""
    if alerts.empty:
        return alerts
    shown = alerts.loc[alerts["as_of"].astype(str) <= night]
    return shown.sort_values(["as_of", "id"], ascending=False, kind="stable").reset_index(drop=True)


__all__ = [
    "CALIBRATION_COLUMNS",
    "EVENT_COLUMNS",
    "MONTH_COLUMNS",
    "alerts_up_to",
    "band_calibration",
    "champion_changes",
    "closed_month_events",
    "monthly_summary",
    "night_versions",
    "stoppages_known",
    "top_k_rows",
]
