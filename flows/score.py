"""One night's scoring: the verified champion ranks every enterprise in the universe."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from data.faults import pause_point
from data.settings import Settings, code_version
from features.build import known_at
from features.sets import feature_set
from flows import tasks
from flows.runtime import scheduled_as_of
from judging import monitoring
from models import registry
from models.train import model_input, predict
from outputs import alerts, rankings
from outputs.nights import nightly_decision
from present.exports import verify_exports, write_exports
from present.nightly_report import render_report, write_report
from present.reasons import explain_scores
from vocab.terms import capacity_count

explain = task(name="explain-scores", cache_policy=NO_CACHE)(explain_scores)

ENTERPRISE_COLUMNS = ("name", "province", "district", "zone_id", "sector", "ownership")
# An enterprise whose latest report is older than this many months is flagged stale.
STALE_AFTER_MONTHS = 3
# Share of the top k that may change from one night to the next before an alert.
CHURN_ALERT = 0.5


def previous_ranking(db_path: Path, as_of: str) -> pd.DataFrame | None:
    """The latest ranking published before `as_of`, for movers and churn (None: first night)."""
    earlier = [d for d in rankings.scored_dates(db_path) if d < as_of]
    return rankings.read_ranking(db_path, earlier[-1]) if earlier else None


def report_path(settings: Settings, as_of: str) -> Path:
    """Where the HTML report of one night is written."""
    return settings.root / "reports" / f"report-{as_of}.html"


def night_complete(settings: Settings, as_of: str) -> bool:
    """True when the night is published whole: the run that wrote its rows also finished its
    exports (which still verify), report and checks (`rankings.mark_complete`).

    A run killed after the database commit but before the end is not complete, so the
    catch-up scores that night again.
    """
    return (
        as_of in rankings.completed_dates(settings.db_path)
        and verify_exports(settings.exports_dir, as_of)
        and report_path(settings, as_of).is_file()
    )


def calibration_watch(settings: Settings, incidents: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """Published probabilities of past nights (one a month, horizon closed) against the outcomes."""
    horizon = settings.horizon_months
    nights = monitoring.calibration_nights(rankings.scored_dates(settings.db_path), as_of, horizon)
    published = rankings.read_scores(settings.db_path, nights)
    table = monitoring.calibration_against_outcomes(published, incidents, horizon, as_of_cutoff=as_of)
    design_effect = float(min(horizon, max(len(nights), 1)))
    return monitoring.calibration_check(table, design_effect=design_effect)


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
) -> dict[str, Any]:
    """Exports, the HTML report, freshness, drift, churn and calibration checks, alerts: after publication."""
    logger = get_run_logger()
    k = capacity_count(len(ranking), settings.capacity)
    exports = write_exports(
        ranking, settings.exports_dir, as_of=as_of, code_version=code_version(), model_sha256=version.digest
    )
    operating = enterprises.loc[enterprises["enterprise_id"].isin(ranking["enterprise_id"])]
    fresh = monitoring.data_freshness(indicators, operating, as_of, STALE_AFTER_MONTHS)
    reference = registry.reference_features(settings.model_name, version.version)
    drift = None
    if reference is not None:
        columns = [
            c for c in feature_set(version.tags.get("feature_set", "ews-v1")) if c in reference.columns
        ]
        drift = pd.concat(
            [
                monitoring.feature_drift(reference, features, columns),
                monitoring.score_drift(reference, ranking[["score"]]),
            ],
            ignore_index=True,
        )
    churn = monitoring.top_k_churn(previous, ranking, k)
    calibration = calibration_watch(settings, incidents, as_of)
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
    )
    written_report = write_report(html, report_path(settings, as_of))
    raised: list[tuple[str, str, str, dict[str, Any]]] = []
    if drift is not None:
        for record in drift.loc[drift["status"] == "alert"].to_dict("records"):
            row = {str(key): value for key, value in record.items()}
            message = f"{row['column']}: PSI {row['psi']:.3f} above the alert threshold {row.get('alert_threshold')}"
            raised.append(("drift", "warn", message, row))
    churn_share = churn.get("churn")
    if previous is not None and churn_share is not None and churn_share > CHURN_ALERT:
        raised.append(
            ("churn", "warn", f"{churn['churn']:.0%} of the top {k} changed since the previous night", churn)
        )
    for record in calibration.loc[calibration["status"] == "alert"].to_dict("records"):
        row = {str(key): value for key, value in record.items()}
        message = (
            f"band {row['band']}: {row['events']} events observed where {row['expected']:.1f} were predicted "
            f"over {row['nights']} past nights (z {row['z']:+.1f})"
        )
        raised.append(("calibration", "warn", message, row))
    stale_share = float(ranking["stale"].mean())
    if stale_share > 0.2:
        raised.append(
            (
                "freshness",
                "warn",
                f"{stale_share:.0%} of enterprises have no report for {STALE_AFTER_MONTHS}+ months",
                {"share": stale_share},
            )
        )
    for kind, severity, message, details in raised:
        alerts.record_alert(
            settings.db_path,
            as_of=as_of,
            kind=kind,
            severity=severity,
            message=message,
            details={
                k2: (v if isinstance(v, (int, float, str, bool)) or v is None else str(v))
                for k2, v in details.items()
            },
        )
        logger.warning("alert %s: %s", kind, message)
        if settings.alert_webhook_url and not alerts.notify(
            {"as_of": as_of, "kind": kind, "severity": severity, "message": message},
            webhook_url=settings.alert_webhook_url,
            smtp=None,
        ):
            logger.warning("could not deliver the %s alert to the webhook", kind)
    create_markdown_artifact(
        key="night-checks",
        markdown=(
            f"# Checks for {as_of}\n\n- report: `{written_report}`\n- exports: `{exports['csv'].parent}`\n"
            f"- top-{k} churn: {'n/a (first night)' if churn_share is None else f'{churn_share:.0%}'}\n- stale enterprises: {stale_share:.1%}\n"
            + "".join(f"- **{kind}** ({severity}): {message}\n" for kind, severity, message, _ in raised)
            + "\n## Calibration against outcomes\n\n"
            + (calibration_markdown(calibration) or "No past night has a closed horizon yet.\n")
        ),
    )
    return {
        "report": written_report,
        "exports": exports,
        "alerts": [m for _, _, m, _ in raised],
        "calibration": calibration,
    }


def calibration_markdown(calibration: pd.DataFrame) -> str:
    """The calibration table as Markdown for the Prefect artifact (empty string when empty)."""
    if calibration.empty:
        return ""
    columns = [
        "band",
        "nights",
        "rows",
        "events",
        "expected",
        "mean_predicted",
        "observed_rate",
        "z",
        "status",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for record in calibration.loc[:, columns].to_dict("records"):
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in record.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def input_digest(features: pd.DataFrame) -> str:
    """SHA-256 of the feature rows scored: same inputs, same digest."""
    hashed = pd.util.hash_pandas_object(features, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def today_in_vietnam() -> dt.date:
    """Today's date in Asia/Ho_Chi_Minh, the default as-of date of interactive runs."""
    return pd.Timestamp.now(tz="Asia/Ho_Chi_Minh").date()


def resolve_as_of(as_of: dt.date | None) -> dt.date:
    """The night to score: the one asked for, else the scheduled run's night, else today (Vietnam)."""
    return as_of or scheduled_as_of() or today_in_vietnam()


@flow(name="score", log_prints=False)
def score_flow(
    as_of: dt.date | None = None, scheduled: bool = False, decided_at: dt.datetime | None = None
) -> dict[str, Any]:
    """Score every enterprise operating at `as_of` with the champion and publish the ranking.

    `scheduled` (the nightly deployment and the catch-up set it) skips a night already
    published whole or superseded by a later due night (`outputs.nights.nightly_decision`,
    judged at `decided_at`, default now); `ews score` always scores, replacing the night's rows.
    """
    settings = Settings()
    logger = get_run_logger()
    as_of_ts = pd.Timestamp(resolve_as_of(as_of))
    if scheduled:
        now = decided_at or pd.Timestamp.now(tz="UTC").to_pydatetime()
        night = str(as_of_ts.date())
        decision = nightly_decision(as_of_ts.date(), now, complete=night_complete(settings, night))
        if decision != "score":
            logger.info("night %s not scored: %s", night, decision)
            return {"as_of": night, "skipped": decision, "rows": 0, "alerts": []}
    model, version = tasks.load_champion(settings.model_name)
    frames = tasks.load_store(str(settings.store_dir), with_digest=False)
    indicators, incidents = known_at(frames.indicators, frames.incidents, as_of_ts)
    features = tasks.build_features(frames.enterprises, indicators, incidents, [as_of_ts])
    if features.empty:
        raise ValueError(f"no enterprise has indicators known on {as_of_ts.date()}; nothing to score")
    columns = feature_set(version.tags.get("feature_set", "ews-v1"))
    probability = predict(model, features, columns)
    reasons = explain(model, model_input(features, columns))
    base_rate = float(version.tags["base_rate"]) if version.tags.get("base_rate") else None
    ranking = tasks.rank_scores(
        features, probability, capacity=settings.capacity, reasons=reasons, base_rate=base_rate
    )
    attributes = frames.enterprises.set_index("enterprise_id").loc[
        ranking["enterprise_id"], list(ENTERPRISE_COLUMNS)
    ]
    for column in ENTERPRISE_COLUMNS:
        ranking[column] = attributes[column].to_numpy()
    ranking["model_name"] = settings.model_name
    ranking["model_version"] = version.version
    ranking["run_id"] = str(flow_run.get_id() or "local")
    ranking["input_digest"] = input_digest(features)
    staleness = features.set_index("enterprise_id")["months_since_last_report"]
    ranking["months_stale"] = staleness.loc[ranking["enterprise_id"]].to_numpy()
    ranking["stale"] = ranking["months_stale"] > STALE_AFTER_MONTHS
    previous = previous_ranking(settings.db_path, str(as_of_ts.date()))
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
    )

    rankings.mark_complete(settings.db_path, str(as_of_ts.date()), str(ranking["run_id"].iloc[0]))

    top = ranking.head(20)
    create_table_artifact(
        key="top-k",
        table=[
            {str(k): v for k, v in r.items()}
            for r in top[["rank", "enterprise_id", "name", "score", "band", "reasons"]].to_dict(
                orient="records"
            )
        ],
        description=f"Top 20 as of {as_of_ts.date()}",
    )
    bands = ranking["band"].value_counts().to_dict()
    create_markdown_artifact(
        key="score-summary",
        markdown=(
            f"# Scoring as of {as_of_ts.date()}\n\n"
            f"Model {settings.model_name} v{version.version}; {rows} enterprises scored.\n\n"
            + "\n".join(f"- {band}: {count}" for band, count in sorted(bands.items()))
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
