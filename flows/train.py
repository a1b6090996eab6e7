"""Train a challenger as of a date: backtest, fit, report, register, and promote when it earns it."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from data.faults import pause_point
from data.settings import Settings, code_version
from data.store import Store
from features.sets import feature_set, union_name
from flows import tasks
from flows.backtest import run_backtest
from flows.hooks import TRAIN_TIMEOUT_SECONDS, alert_on_failure
from flows.runtime import scheduled_as_of, scheduled_start
from flows.tasks import build_training_frame, fit_final
from judging import summary
from models import backtest, leakage, registry
from models.censoring import censor_frame
from models.champion import record_training_aliases
from models.selection import (
    Promote,
    champion_recipe,
    choose_learner,
    decide,
    learner_choice_note,
    recipes_to_refit,
    same_recipe,
)
from models.train import ModelParams, model_input
from outputs.actions import read_actions
from outputs.nights import retraining_superseded
from present import model_card as report

# The learners (boosted trees, the readable logistic model), a plain GBM on the raw latest
# figures, and the blend of the three (the mean of their columns: no extra fit per origin).
CANDIDATES = ("hgb", "logistic", "reference_gbm", "blend")


@flow(
    name="train",
    log_prints=False,
    timeout_seconds=TRAIN_TIMEOUT_SECONDS,
    on_failure=[alert_on_failure],
    on_crashed=[alert_on_failure],
)
def train_flow(
    as_of: dt.date | None = None,
    promote: Promote = "auto",
    params: ModelParams | None = None,
    truth: str | None = None,
    candidates: tuple[str, ...] = CANDIDATES,
    scheduled: bool = False,
    fit_origins: bool = True,
    decided_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Backtest the candidates, fit the challenger on what was known at `as_of`, register it.

    `truth` (simulated worlds only) is the simulator's true-hazard file: the backtest then
    also reports the best possible ranking. Training never reads it. A `scheduled` run
    (the monthly deployment) that a later month's run has overtaken (judged at `decided_at`,
    default now) ends at once. With
    `fit_origins`, a history too short for the backtest's origins backtests fewer (warned);
    without, it is an error.
    """
    settings = Settings()
    logger = get_run_logger()
    start = scheduled_start() if scheduled else None
    if start is not None and retraining_superseded(start, decided_at or dt.datetime.now(dt.UTC)):
        logger.info("retraining scheduled for %s skipped: a later month's retraining is due", start)
        return {"status": "superseded", "scheduled_for": str(start)}
    params = params or ModelParams(horizon_months=settings.horizon_months, seed=settings.seed)
    as_of_ts = pd.Timestamp(as_of or scheduled_as_of() or dt.date.today())
    as_of_day = str(as_of_ts.date())
    # One state of the store while the table is built from it, a range of months at a time.
    with Store(settings.store_dir).snapshot():
        frames = tasks.load_training_store(str(settings.store_dir), as_of_ts)
        frame = build_training_frame(
            frames.enterprises,
            frames.indicators,
            frames.incidents,
            as_of=as_of_ts,
            params=params,
            fit_origins=fit_origins,
        )
    # Enterprise-months an officer's action reached, under the params' policy (`naive`, the
    # default, keeps them: nothing is read): the actions recorded by the training night.
    if params.action_policy != "naive":
        actions = read_actions(settings.db_path, up_to=as_of_day)
        censored = censor_frame(frame, actions)
        if censored is frame:
            logger.info(
                "action policy %s: no training row reached by %d recorded actions",
                params.action_policy,
                len(actions),
            )
        else:
            logger.info(
                "%d training rows reached by %d recorded actions left out (action policy %s)",
                len(frame.table) - len(censored.table),
                len(actions),
                params.action_policy,
            )
            frame = censored
    if frame.params.backtest_origins < params.backtest_origins:
        logger.warning(
            "only %d labelled months before %s: the backtest uses %d monthly origins instead of %d",
            len(frame.grid),
            as_of_ts.date(),
            frame.params.backtest_origins,
            params.backtest_origins,
        )
    params = frame.params
    # PIT3: no column may predict the label alone (a leak); refused before any fit.
    read = union_name(*(backtest.candidate_params(params, c).feature_set for c in candidates))
    aucs = leakage.check_training_frame(frame, feature_set(read))
    logger.info("target-leak sentinel: highest single-column AUC %.3f (%s)", aucs.max(), aucs.idxmax())

    # The champion's recipe is backtested beside the candidates (refitted unless replayed).
    champion = registry.alias_version(settings.model_name, registry.CHAMPION)
    recipe = champion_recipe(settings.model_name, champion)
    recipes = recipes_to_refit(recipe, params, candidates)
    # On Dask (EWS_DASK_ADDRESS or EWS_DASK_WORKERS) one task per (origin, member), else serial.
    bt = run_backtest(frame, candidates=candidates, recipes=recipes, settings=settings)

    # The learner, chosen on the pooled backtest, then the rest of the training summary.
    hazard = pd.read_parquet(truth, columns=summary.TRUTH_COLUMNS) if truth else None
    truth_p = summary.truth_probability(hazard, bt, params.horizon_months)
    comparison = summary.compare_candidates(
        bt, candidates, truth_p, capacity=settings.capacity, seed=params.seed
    )
    requested = params.learner
    learner = choose_learner(comparison, params, candidates)
    params = params.model_copy(update={"learner": learner})
    choice = learner_choice_note(comparison, learner, requested, candidates)
    logger.info("learner %s: %s", learner, choice.split(". ")[0])
    repeat = same_recipe(recipe, params, champion, frames.digest)
    gain = summary.champion_gain(bt, learner, recipe, recipes, same_recipe=repeat, seed=params.seed)
    judged = summary.summarise_backtest(
        bt,
        frame,
        comparison,
        candidates=candidates,
        learner=learner,
        truth_p=truth_p,
        gain=gain,
        capacity=settings.capacity,
        params=params,
    )

    final = fit_final(frame, frame.as_of, learner)
    # The columns the registered model reads (the blend's: the union of its members' sets).
    model_set = backtest.candidate_params(params, learner).feature_set
    columns = feature_set(model_set)
    tags = summary.training_tags(
        as_of=as_of_day,
        data_digest=frames.digest,
        code_version=code_version(),
        feature_set=model_set,
        params=params,
        base_rate=judged.base_rate,
        learner=learner,
        comparison=comparison,
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        card = report.write_model_files(
            out,
            bt,
            judged,
            summary.candidate_scores(bt, candidates),
            learner,
            reference_file=registry.REFERENCE_FILE,
            card_args={
                "name": settings.model_name,
                "model": learner,
                "as_of": as_of_day,
                "data_window": judged.window,
                "feature_set": model_set,
                "features": columns,
                "capacity": settings.capacity,
                "horizon_months": params.horizon_months,
                "params": params.model_dump(),
                "choice": choice,
            },
        )
        example_rows = frame.table.loc[frame.table["as_of"] == frame.grid[-1]].head(5)
        version = tasks.log_model_version(
            final.model,
            model_name=settings.model_name,
            experiment=settings.experiment,
            artifact_root=settings.mlflow_artifact_root,
            params=params.model_dump(),
            metrics=judged.flat_metrics,
            tags=tags,
            input_example=model_input(example_rows, columns),
            texts=summary.training_texts(final, judged.window, model_set, columns),
            step_metrics=judged.step_metrics,
            artifact_dir=out,
        )

    pause_point("train.before_aliases")  # registered, digest tagged; no workspace record, no alias
    promoted, why = decide(gain, champion is not None, promote)
    record_training_aliases(
        settings.model_name,
        settings.db_path,
        version.version,
        promoted=promoted,
        previous=champion.version if champion else None,
        reason=why,
        digest=version.digest,
    )
    logger.info("version %s registered; promoted=%s (%s)", version.version, promoted, why)
    create_markdown_artifact(key="model-card", markdown=card)
    return summary.training_result(
        model_name=settings.model_name,
        version=version.version,
        run_id=version.run_id,
        as_of=as_of_day,
        promoted=promoted,
        decision=why,
        comparison=comparison,
        learner=learner,
        backtest_origins=params.backtest_origins,
        flat_metrics=judged.flat_metrics,
    )
