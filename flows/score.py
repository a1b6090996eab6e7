"""One night's scoring: the verified champion ranks every enterprise in the universe."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from data.faults import pause_point
from data.locks import exclusive
from data.settings import Settings, code_version
from data.store import Store
from data.workspace import score_lock_path
from features.build import known_at
from features.sets import feature_set
from flows import fanout, tasks
from flows.backtest import backtest_runner
from flows.hooks import SCORE_TIMEOUT_SECONDS, alert_on_failure
from flows.runtime import scheduled_as_of
from judging import monitoring, night_checks
from judging.night_checks import Alert
from models import registry
from models.train import model_input, predict
from outputs import alerts, rankings
from outputs.actions import read_actions
from outputs.nights import nightly_decision
from outputs.ranking import assemble_ranking
from present.exports import check_writable, write_exports
from present.movers import why_it_moved
from present.night import (
    TOP_ROWS,
    band_counts,
    calibration_watch,
    night_checks_markdown,
    night_complete,
    previous_ranking,
    report_path,
    score_summary_markdown,
    top_table,
)
from present.nightly_report import render_report, write_report
from present.reasons import explain_scores
from vocab.months import today_in_vietnam
from vocab.terms import capacity_count

explain = task(name="explain-scores", cache_policy=NO_CACHE)(explain_scores)


def _record_and_deliver(
    settings: Settings,
    as_of: str,
    alert: Alert,
    logger: logging.Logger | logging.LoggerAdapter[Any],
) -> None:
    """Keep the alert in the workspace, log it, and push it to the operator's webhook if set."""
    kind, severity, message, _ = alert
    logger.warning("alert %s: %s", kind, message)
    delivered = alerts.record_and_push(
        settings.db_path,
        settings.alert_webhook_url,
        as_of=as_of,
        kind=kind,
        severity=severity,
        message=message,
        details=alert.recorded_details(),
    )
    if settings.alert_webhook_url and not delivered:
        logger.warning("could not deliver the %s alert to the webhook", kind)


@task(name="watch-the-night", cache_policy=NO_CACHE)
def watch_night(
    settings: Settings,
    ranking: pd.DataFrame,
    previous: pd.DataFrame | None,
    *,
    features: pd.DataFrame,
    indicators: pd.DataFrame,
    incidents: pd.DataFrame,
    enterprises: pd.DataFrame,
    as_of: str,
    version: registry.ModelVersion,
    why_moved: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Exports, the HTML report, freshness, drift, churn and calibration checks, alerts: after publication."""
    logger = get_run_logger()
    k = capacity_count(len(ranking), settings.capacity)
    actions = read_actions(settings.db_path, up_to=as_of)  # recorded by the night: shown beside firms
    exports = write_exports(
        ranking,
        settings.exports_dir,
        as_of=as_of,
        code_version=code_version(),
        model_sha256=version.digest,
        actions=actions,
    )
    fresh = night_checks.night_freshness(indicators, enterprises, ranking, as_of)
    reference = registry.reference_features(settings.model_name, version.version)
    drift = night_checks.night_drift(reference, features, ranking, version.feature_set)
    churn = monitoring.top_k_churn(previous, ranking, k)
    # The alert judges the warnings no one acted on: an action is meant to change the outcome.
    calibration, by_action = calibration_watch(settings, incidents, as_of, actions)
    html = render_report(
        ranking,
        previous,
        as_of=as_of,
        k=k,
        freshness_summary=fresh,
        drift=drift,
        churn=churn,
        dashboard_url=settings.dashboard_url,
        calibration=calibration,
        why_moved=why_moved,
        actions=actions,
    )
    written_report = write_report(html, report_path(settings, as_of))
    stale_share = night_checks.stale_share(ranking)
    raised = night_checks.night_alerts(
        drift=drift,
        churn=churn,
        k=k,
        has_previous=previous is not None,
        calibration=by_action.alerted,
        stale_share=stale_share,
    )
    raised = night_checks.without_repeated_drift(raised, alerts.read_alerts(settings.db_path), as_of)
    for alert in raised:
        _record_and_deliver(settings, as_of, alert, logger)
    create_markdown_artifact(
        key="night-checks",
        markdown=night_checks_markdown(
            as_of=as_of,
            report=written_report,
            exports=exports,
            k=k,
            churn_share=churn.get("churn"),
            stale_share=stale_share,
            alerts=raised,
            calibration=calibration,
        ),
    )
    return {
        "report": written_report,
        "exports": exports,
        "alerts": [alert.message for alert in raised],
        "calibration": calibration,
        "calibration_by_action": by_action.groups,
    }


#: How far back the previous night may be for the report to say why each mover moved: the
#: night's store read is widened by this many months so that it serves both nights.
MOVED_SINCE_MONTHS = 1


def why_moved_since(
    settings: Settings,
    model: Any,
    columns: tuple[str, ...],
    frames: tasks.StoreFrames,
    features: pd.DataFrame,
    ranking: pd.DataFrame,
    previous: pd.DataFrame | None,
    as_of: pd.Timestamp,
) -> pd.DataFrame | None:
    """For the firms the report may list as movers (the top 10·k), which changes of their
    figures since the previous night moved their score (`present.movers.why_it_moved`).

    The previous night's features are built again from tonight's read (as known then) and
    scored by tonight's model. None on a first night, or when the previous night is older
    than `MOVED_SINCE_MONTHS` months (the read does not reach back that far).
    """
    if previous is None or previous.empty:
        return None
    before = pd.Timestamp(previous["as_of"].iloc[0])
    if before < as_of - pd.DateOffset(months=MOVED_SINCE_MONTHS):
        return None
    indicators, incidents = known_at(frames.indicators, frames.incidents, before)
    then = tasks.build_features(frames.enterprises, indicators, incidents, [before])
    k = capacity_count(len(ranking), settings.capacity)
    firms = ranking.loc[ranking["rank"] <= 10 * k, "enterprise_id"].astype(str).tolist()
    return why_it_moved(model, columns, features, then, firms)


def resolve_as_of(as_of: dt.date | None) -> dt.date:
    """The night to score: the one asked for, else the scheduled run's night, else today (Vietnam)."""
    return as_of or scheduled_as_of() or today_in_vietnam()


@flow(
    name="score",
    log_prints=False,
    timeout_seconds=SCORE_TIMEOUT_SECONDS,
    on_failure=[alert_on_failure],
    on_crashed=[alert_on_failure],
)
def score_flow(
    as_of: dt.date | None = None, scheduled: bool = False, decided_at: dt.datetime | None = None
) -> dict[str, Any]:
    """Score every enterprise operating at `as_of` with the champion and publish the ranking.

    `scheduled` (the nightly deployment and the catch-up set it) skips a night already
    published whole or superseded by a later due night (`outputs.nights.nightly_decision`,
    judged at `decided_at`, default now); `ews score` always scores, replacing the night's rows.
    One scoring run per workspace at a time: a second one fails at once with
    :class:`~data.errors.WorkspaceBusy` (exit status 5), so that no night mixes the rows of
    one model with the exports of another.
    """
    settings = Settings()
    with exclusive(score_lock_path(settings.root), "a scoring run") as interrupted:
        return _score(settings, as_of, scheduled, decided_at, interrupted)


def _score(
    settings: Settings,
    as_of: dt.date | None,
    scheduled: bool,
    decided_at: dt.datetime | None,
    interrupted: str | None = None,
) -> dict[str, Any]:
    logger = get_run_logger()
    as_of_ts = pd.Timestamp(resolve_as_of(as_of))
    if interrupted:
        night_checked = str(as_of_ts.date())
        _record_and_deliver(
            settings, night_checked, night_checks.interrupted_run_alert(interrupted, night_checked), logger
        )
    if scheduled:
        now = decided_at or pd.Timestamp.now(tz="UTC").to_pydatetime()
        night = str(as_of_ts.date())
        decision = nightly_decision(as_of_ts.date(), now, complete=night_complete(settings, night))
        if decision != "score":
            logger.info("night %s not scored: %s", night, decision)
            return {"as_of": night, "skipped": decision, "rows": 0, "alerts": []}
    check_writable(settings.exports_dir, report_path(settings, str(as_of_ts.date())).parent)
    model, version = tasks.load_champion(settings.model_name, settings.db_path)
    frames = tasks.load_store(
        str(settings.store_dir), with_digest=False, as_of=as_of_ts, extra_months=MOVED_SINCE_MONTHS
    )
    indicators, incidents = known_at(frames.indicators, frames.incidents, as_of_ts)
    columns = feature_set(version.feature_set)
    # On Dask (EWS_DASK_ADDRESS or EWS_DASK_WORKERS) one task per province, else in this process.
    runner = backtest_runner(settings)
    scored = (
        None
        if runner is None
        else fanout.score_by_province(
            runner, model, columns, frames.enterprises, indicators, incidents, as_of_ts
        )
    )
    features = (
        scored.features
        if scored is not None
        else tasks.build_features(frames.enterprises, indicators, incidents, [as_of_ts])
    )
    if features.empty:
        raise ValueError(f"no enterprise has indicators known on {as_of_ts.date()}; nothing to score")
    if scored is not None:
        probability, reasons = scored.probability, scored.reasons
    else:
        probability = predict(model, features, columns)
        reasons = explain(model, model_input(features, columns))
    base_rate = float(version.tags["base_rate"]) if version.tags.get("base_rate") else None
    ranked = tasks.rank_scores(
        features, probability, capacity=settings.capacity, reasons=reasons, base_rate=base_rate
    )
    ranking = assemble_ranking(
        ranked,
        features,
        frames.enterprises,
        model_name=settings.model_name,
        model_version=version.version,
        run_id=str(flow_run.get_id() or "local"),
    )
    previous = previous_ranking(settings.db_path, str(as_of_ts.date()))
    moved = why_moved_since(settings, model, columns, frames, features, ranking, previous, as_of_ts)
    pause_point("score.before_publish")
    rows = tasks.publish_ranking(settings.db_path, ranking)
    logger.info(
        "published %d rows for %s with %s v%s", rows, as_of_ts.date(), settings.model_name, version.version
    )
    watch = watch_night(
        settings,
        ranking,
        previous,
        features=features,
        indicators=indicators,
        incidents=incidents,
        enterprises=frames.enterprises,
        as_of=str(as_of_ts.date()),
        version=version,
        why_moved=moved,
    )

    if Store(settings.store_dir).state() != frames.state:
        _record_and_deliver(
            settings, str(as_of_ts.date()), night_checks.data_arrived_alert(str(as_of_ts.date())), logger
        )
    rankings.complete_or_fail(settings.db_path, str(as_of_ts.date()), str(ranking["run_id"].iloc[0]))

    create_table_artifact(
        key="top-k",
        table=top_table(ranking),
        description=f"Top {TOP_ROWS} as of {as_of_ts.date()}",
    )
    bands = band_counts(ranking)
    create_markdown_artifact(
        key="score-summary",
        markdown=score_summary_markdown(
            as_of=str(as_of_ts.date()),
            model_name=settings.model_name,
            version=version.version,
            rows=rows,
            bands=bands,
        ),
    )
    return {
        "as_of": str(as_of_ts.date()),
        "skipped": None,
        "rows": rows,
        "report": str(watch["report"]),
        "exports": {k: str(v) for k, v in watch["exports"].items()},
        "alerts": watch["alerts"],
        "model_version": version.version,
        "bands": bands,
        "input_digest": ranking["input_digest"].iloc[0],
    }
