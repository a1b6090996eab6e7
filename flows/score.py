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

from data import alerts, rankings
from data.exports import write_exports
from features.build import known_at
from features.sets import feature_set
from flows import tasks
from flows.schedule import scheduled_as_of
from flows.settings import Settings
from models import monitoring, registry
from models.evaluate import capacity_count
from models.nightly_report import render_report, write_report
from models.scoring import explain_scores
from models.train import model_input, predict

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


@task(name="watch-the-night", cache_policy=NO_CACHE)
def watch_night(
    settings: Settings,
    ranking: pd.DataFrame,
    previous: pd.DataFrame | None,
    *,
    features: pd.DataFrame,
    indicators: pd.DataFrame,
    enterprises: pd.DataFrame,
    as_of: str,
    version: registry.ModelVersion,
) -> dict[str, Any]:
    """Exports, the HTML report, freshness, drift and churn checks, alerts: after publication."""
    logger = get_run_logger()
    k = capacity_count(len(ranking), settings.capacity)
    exports = write_exports(ranking, settings.exports_dir, as_of=as_of)
    operating = enterprises.loc[enterprises["enterprise_id"].isin(ranking["enterprise_id"])]
    fresh = monitoring.data_freshness(indicators, operating, as_of, STALE_AFTER_MONTHS)
    reference = registry.reference_features(settings.model_name, version.version)
    drift = None
    if reference is not None:
        columns = [c for c in feature_set(version.tags.get("feature_set", "ews-v1")) if c in reference.columns]
        drift = pd.concat(
            [
                monitoring.feature_drift(reference, features, columns),
                monitoring.score_drift(reference, ranking[["score"]]),
            ],
            ignore_index=True,
        )
    churn = monitoring.top_k_churn(previous, ranking, k)
    html = render_report(
        ranking, previous, as_of=as_of, k=k, freshness_summary=fresh, drift=drift, churn=churn,
        dashboard_url=settings.dashboard_url,
    )
    report_path = write_report(html, settings.root / "reports" / f"report-{as_of}.html")
    raised: list[tuple[str, str, str, dict[str, Any]]] = []
    if drift is not None:
        for record in drift.loc[drift["status"] == "alert"].to_dict("records"):
            row = {str(key): value for key, value in record.items()}
            message = f"{row['column']}: PSI {row['psi']:.3f} above the alert threshold {row.get('alert_threshold')}"
            raised.append(("drift", "warn", message, row))
    churn_share = churn.get("churn")
    if previous is not None and churn_share is not None and churn_share > CHURN_ALERT:
        raised.append(("churn", "warn", f"{churn['churn']:.0%} of the top {k} changed since the previous night", churn))
    stale_share = float(ranking["stale"].mean())
    if stale_share > 0.2:
        raised.append(("freshness", "warn", f"{stale_share:.0%} of enterprises have no report for {STALE_AFTER_MONTHS}+ months", {"share": stale_share}))
    for kind, severity, message, details in raised:
        alerts.record_alert(settings.db_path, as_of=as_of, kind=kind, severity=severity, message=message,
                            details={k2: (v if isinstance(v, (int, float, str, bool)) or v is None else str(v)) for k2, v in details.items()})
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
            f"# Checks for {as_of}\n\n- report: `{report_path}`\n- exports: `{exports['csv'].parent}`\n"
            f"- top-{k} churn: {'n/a (first night)' if churn_share is None else f'{churn_share:.0%}'}\n- stale enterprises: {stale_share:.1%}\n"
            + "".join(f"- **{kind}** ({severity}): {message}\n" for kind, severity, message, _ in raised)
        ),
    )
    return {"report": report_path, "exports": exports, "alerts": [m for _, _, m, _ in raised]}


def input_digest(features: pd.DataFrame) -> str:
    """SHA-256 of the feature rows scored: same inputs, same digest."""
    hashed = pd.util.hash_pandas_object(features, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def today_in_vietnam() -> dt.date:
    """Today's date in Asia/Ho_Chi_Minh, the default as-of date of interactive runs."""
    return pd.Timestamp.now(tz="Asia/Ho_Chi_Minh").date()


@flow(name="score", log_prints=False)
def score_flow(as_of: dt.date | None = None) -> dict[str, Any]:
    """Score every enterprise operating at `as_of` with the champion and publish the ranking."""
    settings = Settings()
    logger = get_run_logger()
    as_of_ts = pd.Timestamp(as_of or scheduled_as_of() or today_in_vietnam())
    model, version = tasks.load_champion(settings.model_name)
    frames = tasks.load_store(str(settings.store_dir))
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
    attributes = frames.enterprises.set_index("enterprise_id").loc[ranking["enterprise_id"], list(ENTERPRISE_COLUMNS)]
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
    rows = tasks.publish_ranking(settings.db_path, ranking)
    logger.info("published %d rows for %s with %s v%s", rows, as_of_ts.date(), settings.model_name, version.version)
    watch = watch_night(
        settings,
        ranking,
        previous,
        features=features,
        indicators=indicators,
        enterprises=frames.enterprises,
        as_of=str(as_of_ts.date()),
        version=version,
    )

    top = ranking.head(20)
    create_table_artifact(
        key="top-k",
        table=[
            {str(k): v for k, v in r.items()}
            for r in top[["rank", "enterprise_id", "name", "score", "band", "reasons"]].to_dict(orient="records")
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
        "rows": rows,
        "report": str(watch["report"]),
        "exports": {k: str(v) for k, v in watch["exports"].items()},
        "alerts": watch["alerts"],
        "model_version": version.version,
        "bands": bands,
        "input_digest": ranking["input_digest"].iloc[0],
    }
