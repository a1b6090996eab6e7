"""`ews evaluate`: how the published month-end rankings did once their outcomes are known.

The done-when test of the project: a model trained as of one date scores month by month
(`ews backfill`) with what was known at each month end; here each month's published
ranking meets the stoppages that followed it, with the training labels' definition (an
incident of the target kinds starting in (D, D + H]). Beside it, on the same rows, a
reference gradient-boosting model on simple hand features (`reference_gbm`, trained as of
the same date on the same store) and the officers' checklist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from prefect import flow, get_run_logger

from data.settings import Settings
from flows import tasks
from flows.tasks import build_training_frame, fit_final
from judging import acted, metrics
from judging.evaluate import month_end_rows, month_ends_between, outcomes_known_until
from models import registry
from models.backtest import candidate_params, predict_rows
from models.baselines import checklist_score
from models.selection import recipe_of
from outputs import rankings
from outputs.actions import read_actions

MODEL = "model"
REFERENCE = "reference_gbm"


@flow(name="evaluate", log_prints=False)
def evaluate_flow(first: str, last: str, train_as_of: dt.date | None = None) -> dict[str, Any]:
    """Score each published month-end ranking in [first, last] against what happened next.

    `train_as_of` is the date the reference is trained as of; by default the training date
    of the model version that published the rankings (one version for the whole range).
    Months whose outcome window has not closed in the store are left out and listed.
    """
    settings = Settings()
    logger = get_run_logger()
    frames = tasks.load_store(str(settings.store_dir), with_digest=False)
    ends = month_ends_between(first, last)
    published = {day: rankings.read_ranking(settings.db_path, str(day.date())) for day in ends}
    versions = sorted({str(v) for r in published.values() for v in r["model_version"].unique()}, key=int)
    if len(versions) != 1 and train_as_of is None:
        raise ValueError(f"the rankings come from versions {', '.join(versions)}; pass --train-as-of")
    version = registry.get_version(settings.model_name, versions[0])
    params = recipe_of(settings.model_name, version.version).model_copy(update={"backtest_origins": 0})
    trained_at = pd.Timestamp(train_as_of or version.tags["as_of"])
    cutoff = outcomes_known_until(frames.indicators, frames.incidents)
    closed = [day for day in ends if day + pd.DateOffset(months=params.horizon_months) <= cutoff]
    open_months = [str(day.date()) for day in ends if day not in closed]
    if not closed:
        raise ValueError(
            f"no month in {first}..{last} has its {params.horizon_months}-month outcome known by {cutoff.date()}"
        )

    frame = build_training_frame(
        frames.enterprises, frames.indicators, frames.incidents, as_of=trained_at, params=params
    )
    reference = fit_final(frame, frame.as_of, REFERENCE).model
    parts = []
    for day in closed:
        features = month_end_rows(
            frames.enterprises,
            frames.indicators,
            frames.incidents,
            day,
            horizon_months=params.horizon_months,
            kinds=params.target_kinds,
            cutoff=cutoff,
        )
        ranking = published[day][["enterprise_id", "score"]]
        rows = features.merge(ranking, on="enterprise_id", how="inner", validate="one_to_one")
        parts.append(
            pd.DataFrame(
                {
                    "as_of": rows["as_of"].to_numpy(),
                    "y": rows["y"].to_numpy(),
                    MODEL: rows["score"].to_numpy(dtype=np.float64),
                    REFERENCE: predict_rows(reference, rows, candidate_params(params, REFERENCE)),
                    metrics.CHECKLIST: checklist_score(rows),
                }
            )  # fmt: skip
        )
    scored = pd.concat(parts, ignore_index=True)
    table = metrics.by_month(
        {name: scored[name].to_numpy() for name in (MODEL, REFERENCE, metrics.CHECKLIST)},
        scored["y"].to_numpy(),
        scored["as_of"].to_numpy(),
        capacity=settings.capacity,
    )
    # Actions recorded by the cutoff only: what the evaluation could know.
    split = acted.evaluation_split(
        pd.concat([published[day] for day in closed], ignore_index=True),
        read_actions(settings.db_path, up_to=str(cutoff.date())),
        frames.incidents,
        cutoff=cutoff,
        horizon_months=params.horizon_months,
        capacity=settings.capacity,
        kinds=params.target_kinds,
    )
    logger.info(
        "evaluated %d months of version %s against outcomes known by %s",
        len(closed),
        version.version,
        cutoff.date(),
    )
    return {
        "model_version": version.version,
        "learner": params.learner,
        "trained_as_of": str(trained_at.date()),
        "outcomes_known_until": str(cutoff.date()),
        "open_months": open_months,
        "capacity": settings.capacity,
        "table": table.to_dict("records"),
        "acted": split,
    }
