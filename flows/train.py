"""Train a challenger as of a date, log and register it, and promote it when it earns it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from data import audit
from features.sets import feature_set
from flows import tasks
from flows.settings import Settings
from models import registry
from models.evaluate import paired_bootstrap_gain
from models.train import ModelParams, model_input, predict

Promote = Literal["auto", "never"]


def code_version() -> str:
    """The git commit of the running code, or 'unknown' outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def _decide(
    challenger_metrics: dict[str, float],
    gain: dict[str, float] | None,
    has_champion: bool,
    promote: Promote,
) -> tuple[bool, str]:
    """Promote when there is no champion, or when the gain's lower bound is above zero."""
    if promote == "never":
        return False, "promotion disabled (--promote never)"
    if not has_champion:
        return True, "no champion yet"
    assert gain is not None
    if gain["pr_auc_gain_low"] > 0:
        return True, (
            f"PR-AUC gain {gain['pr_auc_gain']:+.4f} (90% interval from {gain['pr_auc_gain_low']:+.4f})"
        )
    return False, (
        f"PR-AUC gain {gain['pr_auc_gain']:+.4f} is within the uncertainty "
        f"(90% interval from {gain['pr_auc_gain_low']:+.4f})"
    )


@flow(name="train", log_prints=False)
def train_flow(
    as_of: dt.date | None = None,
    promote: Promote = "auto",
    params: ModelParams | None = None,
) -> dict[str, Any]:
    """Fit a challenger on what was known at `as_of`, register it, maybe promote it."""
    settings = Settings()
    logger = get_run_logger()
    params = params or ModelParams(horizon_months=settings.horizon_months, seed=settings.seed)
    as_of_ts = pd.Timestamp(as_of or dt.date.today())
    frames = tasks.load_store(str(settings.store_dir))
    table = tasks.build_training_table(
        frames.enterprises, frames.indicators, frames.incidents, as_of=as_of_ts, params=params
    )
    data = tasks.split_by_time(table, params)
    model = tasks.fit(data, params)
    columns = feature_set(params.feature_set)
    valid = data.valid
    y_valid = valid[data.target].to_numpy().astype(int)
    probability = predict(model, valid, columns)
    metrics = tasks.evaluate_model(
        y_valid, probability, valid["as_of"].to_numpy(), valid, capacity=settings.capacity
    )

    champion = registry.alias_version(settings.model_name, registry.CHAMPION)
    gain = None
    if champion is not None:
        champion_model, _ = registry.load_verified(settings.model_name, registry.CHAMPION)
        champion_columns = feature_set(champion.tags.get("feature_set", params.feature_set))
        champion_probability = predict(champion_model, valid, champion_columns)
        gain = paired_bootstrap_gain(
            y_valid, probability, champion_probability, valid["as_of"].to_numpy(), seed=params.seed
        )
        metrics.update({f"vs_champion_{k}": v for k, v in gain.items()})

    train_rows = data.train
    tags = {
        "as_of": str(as_of_ts.date()),
        "data_digest": frames.digest,
        "code_version": code_version(),
        "feature_set": params.feature_set,
        "target": data.target,
        "valid_from": str(pd.Timestamp(valid["as_of"].min()).date()),
        "valid_pr_auc": f"{metrics['pr_auc']:.4f}",
        "valid_recall_at_k": f"{metrics['recall_at_k']:.4f}",
        "run_name": f"train-{as_of_ts.date()}",
    }
    texts = {
        "feature_list.json": json.dumps({"feature_set": params.feature_set, "columns": columns}, indent=1),
        "metrics.json": json.dumps(metrics, indent=1, sort_keys=True, default=float),
        "training_summary.json": json.dumps(
            {
                "train_rows": int(len(train_rows)),
                "train_positives": int(train_rows[data.target].sum()),
                "train_from": str(pd.Timestamp(train_rows["as_of"].min()).date()),
                "train_to": str(pd.Timestamp(train_rows["as_of"].max()).date()),
                "valid_rows": int(len(valid)),
                "valid_positives": int(y_valid.sum()),
            },
            indent=1,
        ),
    }
    version = tasks.log_model_version(
        model,
        model_name=settings.model_name,
        experiment=settings.experiment,
        artifact_root=settings.mlflow_artifact_root,
        params=params.model_dump(),
        metrics=metrics,
        tags=tags,
        input_example=model_input(valid, columns),
        texts=texts,
    )
    promoted, why = _decide(metrics, gain, champion is not None, promote)
    registry.set_alias(settings.model_name, registry.CHALLENGER, version.version)
    if promoted:
        registry.set_alias(settings.model_name, registry.CHAMPION, version.version)
        audit.record_alias_change(
            settings.db_path,
            model_name=settings.model_name,
            alias=registry.CHAMPION,
            version=version.version,
            previous=champion.version if champion else None,
            reason=f"train: {why}",
        )
    logger.info("version %s registered; promoted=%s (%s)", version.version, promoted, why)
    summary = {
        "model_name": settings.model_name,
        "version": version.version,
        "run_id": version.run_id,
        "as_of": str(as_of_ts.date()),
        "promoted": promoted,
        "decision": why,
        "metrics": {k: (None if not np.isfinite(v) else round(float(v), 6)) for k, v in metrics.items()},
    }
    create_markdown_artifact(
        key="train-summary",
        markdown=(
            f"# Training as of {as_of_ts.date()}\n\n"
            f"Version **{version.version}**; promoted: **{promoted}** ({why}).\n\n"
            f"| metric | value |\n|---|---|\n"
            + "\n".join(f"| {k} | {v:.4f} |" for k, v in sorted(metrics.items()) if np.isfinite(v))
        ),
    )
    return summary
