"""One night's scoring: the verified champion ranks every enterprise in the universe."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from features.build import known_at
from features.sets import feature_set
from flows import tasks
from flows.settings import Settings
from models.scoring import explain_scores
from models.train import model_input, predict

explain = task(name="explain-scores", cache_policy=NO_CACHE)(explain_scores)

ENTERPRISE_COLUMNS = ("name", "province", "district", "zone_id", "sector", "ownership")


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
    as_of_ts = pd.Timestamp(as_of or today_in_vietnam())
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
    rows = tasks.publish_ranking(settings.db_path, ranking)
    logger.info("published %d rows for %s with %s v%s", rows, as_of_ts.date(), settings.model_name, version.version)

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
        "model_version": version.version,
        "bands": bands,
        "input_digest": ranking["input_digest"].iloc[0],
    }
