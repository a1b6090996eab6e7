"""The checks of one scored night and the alerts they raise.

Drift of the features and scores against the training reference, churn of the top k since
the previous night, calibration of past nights against their outcomes, and the share of
stale enterprises. Pure: the flow reads the reference and the past nights, then records
(`outputs.alerts.record_alert`) and delivers (`outputs.alerts.notify`) what is returned here.

Thresholds and why:

- Drift and calibration alert on the rows `judging.monitoring` marks ``alert`` (PSI above
  its sample-size-aware threshold; a calibration band off both by ratio and beyond chance):
  the rules and their thresholds live there, once.
- `CHURN_ALERT` = 0.5: the indicators are monthly, so from one night to the next few inputs
  change; more than half of the list analysts work from replaced overnight points to a data
  or model problem rather than to a change of risk.
- `STALE_SHARE_ALERT` = 0.2: one enterprise late with its report is the enterprise's
  matter (its `stale` flag); more than a fifth of the ranking on out-of-date figures
  (`outputs.ranking.STALE_AFTER_MONTHS`) is rather a delivery missing from the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import pandas as pd

from features.labels import DEFAULT_KINDS
from features.sets import feature_set
from judging import acted, monitoring
from outputs.ranking import STALE_AFTER_MONTHS

# Share of the top k that may change from one night to the next before an alert.
CHURN_ALERT = 0.5
# Share of stale enterprises in the ranking above which a freshness alert is raised.
STALE_SHARE_ALERT = 0.2


class Alert(NamedTuple):
    """One alert of a night: what kind, how severe, the sentence shown, and its figures."""

    kind: str
    severity: str
    message: str
    details: dict[str, Any]

    def recorded_details(self) -> dict[str, Any]:
        """The details as the alerts table keeps them: scalars as they are, anything else as text."""
        return {
            k2: (v if isinstance(v, (int, float, str, bool)) or v is None else str(v))
            for k2, v in self.details.items()
        }


#: Features that are the same for every firm on a night, or for every firm of a province:
#: the calendar (Tết, minimum-wage rises) and province-wide counts, and nominal levels that
#: follow the calendar. A night's distribution of them is one point (or a few), or moves with
#: the date, never comparable with a reference pooled over months, so they would "drift"
#: every night; they are left out of the drift check.
DRIFT_EXCLUDED: tuple[str, ...] = (
    "months_to_tet",
    "months_since_minimum_wage_rise",
    "months_to_minimum_wage_rise",
    "minimum_wage_region_change_12m",
    "province_stoppages_1m",
    # A nominal level that grows with every minimum-wage rise; its real content is in
    # wage_to_minimum_wage and wage_to_peers, which are checked.
    "avg_wage_vnd",
)


#: Firms a sector needs, tonight and in the reference, to be checked for drift on its own.
SECTOR_MIN_ROWS = 1_000
#: The signals a shock to one industry moves (orders cut: hours, jobs, then wages and
#: contributions unpaid). Slow trends (firms' age, wages against a minimum that rose) and
#: the 6- and 12-month headcount changes, which carry a sector's past year of growth or
#: recovery for a year, are left to the whole-population check: within one sector they
#: drifted every month on a simulated world with no new shock.
SECTOR_DRIFT_FEATURES: tuple[str, ...] = (
    "reduced_hours_share",
    "layoffs_share_1m",
    "layoffs_share_3m",
    "headcount_change_3m",
    "wage_arrears_months",
    "insurance_debt_months",
)


def night_drift(
    reference: pd.DataFrame | None,
    features: pd.DataFrame,
    ranking: pd.DataFrame,
    feature_set_name: str,
) -> pd.DataFrame | None:
    """PSI of each model column and of the score against the version's training reference
    (None when the version has no reference sample)."""
    if reference is None:
        return None
    columns = [c for c in feature_set(feature_set_name) if c in reference.columns and c not in DRIFT_EXCLUDED]
    parts = [
        monitoring.feature_drift(reference, features, columns),
        monitoring.score_drift(reference, ranking[["score"]]),
    ]
    # A shock to one industry (an order slump in apparel and footwear) is diluted in the
    # whole population: the large sectors are also checked alone, at a level shared among
    # them (Bonferroni), so that more checks do not mean more false alarms.
    if "sector" in reference.columns and "sector" in features.columns:
        numeric = [c for c in SECTOR_DRIFT_FEATURES if c in columns]
        tonight = features["sector"].astype("str")
        before = reference["sector"].astype("str")
        counts = tonight.value_counts()
        sectors = sorted(
            str(s)
            for s, n in counts.items()
            if n >= SECTOR_MIN_ROWS and (before == s).sum() >= SECTOR_MIN_ROWS
        )
        for sector in sectors:
            part = monitoring.feature_drift(
                reference.loc[before == sector],
                features.loc[tonight == sector],
                numeric,
                alpha=0.01 / len(sectors),
            )
            part["column"] = part["column"] + f" (sector {sector})"
            parts.append(part)
    return pd.concat(parts, ignore_index=True)


def night_freshness(
    indicators: pd.DataFrame, enterprises: pd.DataFrame, ranking: pd.DataFrame, as_of: str
) -> pd.DataFrame:
    """Data freshness per province over the enterprises ranked tonight (the operating ones)."""
    operating = enterprises.loc[enterprises["enterprise_id"].isin(ranking["enterprise_id"])]
    return monitoring.data_freshness(indicators, operating, as_of, STALE_AFTER_MONTHS)


def stale_share(ranking: pd.DataFrame) -> float:
    """The share of ranked enterprises flagged stale."""
    return float(ranking["stale"].mean())


def drift_alerts(drift: pd.DataFrame | None) -> list[Alert]:
    """One alert per column whose drift `judging.monitoring` marks ``alert``."""
    raised: list[Alert] = []
    if drift is not None:
        for record in drift.loc[drift["status"] == "alert"].to_dict("records"):
            row = {str(key): value for key, value in record.items()}
            message = f"{row['column']}: PSI {row['psi']:.3f} above the alert threshold {row.get('alert_threshold')}"
            raised.append(Alert("drift", "warn", message, row))
    return raised


def churn_alerts(churn: dict[str, Any], k: int, *, has_previous: bool) -> list[Alert]:
    """An alert when more than `CHURN_ALERT` of the top k changed since the previous night."""
    churn_share = churn.get("churn")
    if has_previous and churn_share is not None and churn_share > CHURN_ALERT:
        return [
            Alert(
                "churn",
                "warn",
                f"{churn['churn']:.0%} of the top {k} changed since the previous night",
                churn,
            )
        ]
    return []


def calibration_alerts(calibration: pd.DataFrame) -> list[Alert]:
    """One alert per band whose calibration `judging.monitoring.calibration_check` marks ``alert``."""
    raised: list[Alert] = []
    for record in calibration.loc[calibration["status"] == "alert"].to_dict("records"):
        row = {str(key): value for key, value in record.items()}
        scope = " (not acted on)" if row.get("scope") == acted.NOT_ACTED else ""
        message = (
            f"band {row['band']}{scope}: {row['events']} events observed where {row['expected']:.1f} were predicted "
            f"over {row['nights']} past nights (z {row['z']:+.1f})"
        )
        if scope:
            message += f"; acted on: {row.get('acted_events', 0)} events in {row.get('acted_rows', 0)} rows"
        raised.append(Alert("calibration", "warn", message, row))
    return raised


class ActedCalibration(NamedTuple):
    """The calibration of past nights with the actions known: what the alert judges, and both groups.

    `alerted` has the columns of `monitoring.calibration_check` plus `scope` (``not_acted``
    when actions are known, else ``all``) and the acted group's figures of the same band
    (`acted_rows`, `acted_events`, `acted_mean_predicted`, `acted_observed_rate`), so that an
    alert's recorded details carry both; `groups` is the checked table of each group
    (column `group`: ``acted``, ``not_acted``), one row per group and band.
    """

    alerted: pd.DataFrame
    groups: pd.DataFrame
    scope: str


#: The acted group's figures set beside each band of the table the alert judges.
ACTED_FIGURES: dict[str, str] = {
    "rows": "acted_rows",
    "events": "acted_events",
    "mean_predicted": "acted_mean_predicted",
    "observed_rate": "acted_observed_rate",
}


def calibration_by_action(
    published: pd.DataFrame,
    incidents: pd.DataFrame,
    actions: pd.DataFrame,
    *,
    as_of: str,
    horizon_months: int,
    kinds: Sequence[str] = DEFAULT_KINDS,
) -> ActedCalibration:
    """Calibration of the published past nights against their outcomes, acted-on rows apart.

    An officer's action on a flagged firm (wages paid, a mediation) is meant to make the
    stoppage less likely: pooled with the rest it would pull a band's observed rate down and
    raise a false "over-predicted" alert, or hide a real under-prediction. So when actions
    are known on the night `as_of` (recorded by the end of its day), the alert compares the
    rows *not* acted on only; a row of night D is acted on when an action on its firm started
    in (D, D + H] (`judging.acted`; every band, since an action changes the outcome whatever
    the band). Without any known action the table is exactly `monitoring.calibration_check`'s
    over every row, as before. `published`: as_of, enterprise_id, score, band of the nights
    to judge (`monitoring.calibration_nights`); `incidents`: those known on `as_of`.
    """
    nights = int(pd.Series(published["as_of"]).nunique())
    design_effect = float(min(horizon_months, max(nights, 1)))
    rows = published.loc[:, ["as_of", "enterprise_id", "score", "band"]].reset_index(drop=True)
    marked = acted.mark_acted(rows, actions, cutoff=as_of, horizon_months=horizon_months)

    def checked(part: pd.DataFrame) -> pd.DataFrame:
        table = monitoring.calibration_against_outcomes(
            part.loc[:, ["as_of", "enterprise_id", "score", "band"]],
            incidents,
            horizon_months,
            as_of_cutoff=as_of,
            kinds=kinds,
        )
        return monitoring.calibration_check(table, design_effect=design_effect)

    by_group = {
        group: checked(marked.loc[marked["acted"] == (group == acted.ACTED)]) for group in acted.GROUPS
    }
    groups = (
        pd.concat(
            [table.assign(group=group) for group, table in by_group.items() if not table.empty],
            ignore_index=True,
        )
        if any(not table.empty for table in by_group.values())
        else pd.DataFrame(columns=["group"])
    )
    groups = groups.loc[:, ["group", *[c for c in groups.columns if c != "group"]]]
    has_actions = not acted.known_actions(actions, as_of).empty
    scope = acted.NOT_ACTED if has_actions else "all"
    alerted = by_group[acted.NOT_ACTED] if has_actions else checked(marked)
    beside = by_group[acted.ACTED].loc[:, ["band", *ACTED_FIGURES]].rename(columns=ACTED_FIGURES)
    alerted = alerted.merge(beside, on="band", how="left")
    alerted["acted_rows"] = alerted["acted_rows"].fillna(0).astype(int)
    alerted["acted_events"] = alerted["acted_events"].fillna(0).astype(int)
    alerted["scope"] = scope
    return ActedCalibration(alerted=alerted, groups=groups, scope=scope)


#: A column that keeps drifting is alerted again only after this many days: the operator
#: hears of a drift when it starts, not every night it lasts (the nightly report still lists
#: it every night). Without it, a lasting shift (data arriving later than in training, a
#: sector in a slump) alerts nightly and the webhook is muted within a week.
DRIFT_REMINDER_DAYS = 30


def without_repeated_drift(raised: list[Alert], recent: pd.DataFrame, night: str) -> list[Alert]:
    """`raised` less the drift alerts of columns already alerted within `DRIFT_REMINDER_DAYS`
    before `night` (`recent`: the alerts table, with `as_of`, `kind` and `details`)."""
    if recent.empty:
        return raised
    day = pd.Timestamp(night)
    since = day - pd.Timedelta(days=DRIFT_REMINDER_DAYS)
    dates = pd.to_datetime(recent["as_of"])
    window = recent.loc[(recent["kind"] == "drift") & (dates > since) & (dates < day)]
    alerted = {str(d.get("column")) for d in window["details"] if isinstance(d, dict)}
    return [a for a in raised if a.kind != "drift" or str(a.details.get("column")) not in alerted]


def interrupted_run_alert(holder: str, night: str) -> Alert:
    """The scoring run before this one died without ending (killed, out of memory, power cut).

    Its publication is atomic, so nothing it half-wrote is visible; but an operator should
    know, and a night it left unfinished is scored again by this run or the catch-up.
    """
    return Alert(
        "score-interrupted",
        "warn",
        f"the previous scoring run ({holder}) was interrupted before it ended; "
        f"nothing it left half-written is visible, and night {night} is being scored now",
        {"holder": holder},
    )


def data_arrived_alert(night: str) -> Alert:
    """A delivery landed while the night was being scored: the ranking uses the store as it
    was when the run read it, so the new figures count only from the next night."""
    return Alert(
        "data-during-scoring",
        "info",
        f"new data arrived while night {night} was being scored; this ranking uses the data "
        "known when the run started (score the night again to include it)",
        {},
    )


def freshness_alerts(share: float) -> list[Alert]:
    """An alert when more than `STALE_SHARE_ALERT` of the ranked enterprises are stale."""
    if share > STALE_SHARE_ALERT:
        return [
            Alert(
                "freshness",
                "warn",
                f"{share:.0%} of enterprises have no report for {STALE_AFTER_MONTHS}+ months",
                {"share": share},
            )
        ]
    return []


def night_alerts(
    *,
    drift: pd.DataFrame | None,
    churn: dict[str, Any],
    k: int,
    has_previous: bool,
    calibration: pd.DataFrame,
    stale_share: float,
) -> list[Alert]:
    """Every alert of the night, in order: drift, churn, calibration, freshness."""
    return [
        *drift_alerts(drift),
        *churn_alerts(churn, k, has_previous=has_previous),
        *calibration_alerts(calibration),
        *freshness_alerts(stale_share),
    ]
