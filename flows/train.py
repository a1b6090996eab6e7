"""Train a challenger as of a date: backtest, fit, report, register, and promote when it earns it."""

from __future__ import annotations

import ast
import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from data.settings import Settings, code_version
from features.sets import feature_set
from flows import tasks
from flows.runtime import scheduled_as_of, scheduled_start
from judging import metrics
from judging.evaluate import paired_bootstrap_gain
from models import backtest, registry
from models.train import LEARNERS, ModelParams, model_input
from outputs import audit
from outputs.nights import retraining_superseded
from present import model_card as report
from present import plots

Promote = Literal["auto", "never"]
CHAMPION_RECIPE = "champion"
# The learners (boosted trees, the readable logistic model), a plain GBM on the raw latest
# figures, and the blend of the three (the mean of their columns: no extra fit per origin).
CANDIDATES = ("hgb", "logistic", "reference_gbm", "blend")

build_training_frame = task(name="build-training-frame", cache_policy=NO_CACHE)(backtest.build_training_frame)
run_backtest = task(name="rolling-origin-backtest", cache_policy=NO_CACHE)(backtest.run_backtest)
fit_final = task(name="fit-final", cache_policy=NO_CACHE)(backtest.fit_at)


def recipe_of(model_name: str, version: str) -> ModelParams:
    """The parameters a registered version was trained with. Versions from before the learner
    choice and early stopping were boosted trees with a fixed number of trees."""
    logged = registry.version_params(model_name, version)
    known: dict[str, Any] = {k: v for k, v in logged.items() if k in ModelParams.model_fields}
    if "target_kinds" in known:
        known["target_kinds"] = ast.literal_eval(known["target_kinds"])  # a logged tuple of str
    known.setdefault("learner", "hgb")
    known.setdefault("early_stopping", False)
    return ModelParams.model_validate(known)


def champion_recipe(model_name: str, champion: registry.ModelVersion | None) -> ModelParams | None:
    """The champion's parameters, to be backtested beside the challenger (None: no champion)."""
    return None if champion is None else recipe_of(model_name, champion.version)


def choose_learner(comparison: pd.DataFrame, params: ModelParams, candidates: tuple[str, ...]) -> str:
    """The learner to register: `params.learner`, or for 'auto' the learnable candidate with the
    highest pooled backtest PR-AUC (ties go to the first of `LEARNERS`)."""
    if params.learner != "auto":
        if params.learner not in candidates:
            raise ValueError(
                f"learner {params.learner!r} is not among the backtested candidates {candidates}"
            )
        return params.learner
    learnable = [name for name in LEARNERS if name in candidates]
    if not learnable:
        raise ValueError(f"the candidates {candidates} include none of the learners {LEARNERS}")
    pr_auc = comparison.loc[comparison["metric"] == "pr_auc"].set_index("model")["value"]
    return max(
        learnable,
        key=lambda name: (np.nan_to_num(pr_auc.get(name, np.nan), nan=-1.0), -learnable.index(name)),
    )


def decide(gain: dict[str, float] | None, has_champion: bool, promote: Promote) -> tuple[bool, str]:
    """Promote when there is no champion, or when the gain's 90% interval is above zero."""
    if promote == "never":
        return False, "promotion disabled (--promote never)"
    if not has_champion:
        return True, "no champion yet"
    if gain is None:
        return False, "same recipe as the champion on the same data: no gain"
    low = gain["pr_auc_gain_low"]
    words = f"backtest PR-AUC gain {gain['pr_auc_gain']:+.4f} (90% interval from {low:+.4f})"
    return (True, words) if low > 0 else (False, words + ": within the uncertainty")


def learner_choice_note(
    comparison: pd.DataFrame, learner: str, requested: str, candidates: tuple[str, ...]
) -> str:
    """One paragraph for the model card: which learner is registered, and why."""
    pr_auc = comparison.loc[comparison["metric"] == "pr_auc"].set_index("model")["value"]
    figures = ", ".join(
        f"`{name}` {pr_auc.get(name, float('nan')):.4f}" for name in LEARNERS if name in candidates
    )
    if requested == "auto":
        why = "chosen as the learner with the highest pooled PR-AUC on this backtest"
    elif learner == backtest.BLEND:
        why = (
            "set by the recipe: the mean of the calibrated probabilities of "
            + ", ".join(f"`{m}`" for m in backtest.BLEND_MEMBERS)
            + ", because which single learner ranks best changes from world to world and one "
            "backtest's PR-AUC, on a few dozen stoppages, cannot tell them apart reliably"
        )
    else:
        why = "set by the recipe"
    return (
        f"`{learner}`, {why} ({figures}). Every learner keeps the domain's guarantee that more months of "
        "wage arrears, insurance debt or debt streak never lower the risk: the boosted trees through monotone "
        "constraints, the logistic model by dropping any of these columns fitted with a negative coefficient, "
        "the blend as a mean of such models. "
        "Negatives are sampled at `negative_rate` before fitting and weighted 1/rate (no synthetic rows)."
    )


def _truth_probability(truth: str | None, rows: pd.DataFrame, horizon: int) -> np.ndarray | None:
    if not truth:
        return None
    hazard = pd.read_parquet(truth, columns=["enterprise_id", "month", "hazard"])
    return metrics.true_probability(hazard, rows[["as_of", "enterprise_id"]], horizon_months=horizon)


def _report_files(
    out: Path,
    bt: pd.DataFrame,
    comparison: pd.DataFrame,
    per_origin: pd.DataFrame,
    scores: dict[str, np.ndarray],
    lead: dict[str, float],
    slices: pd.DataFrame,
    learner: str,
    card_args: dict[str, Any],
) -> str:
    """Write plots, tables and the model card into `out`; return the card."""
    y = bt["y"].to_numpy()
    plots.plot_pr_curves(y, scores, out / "pr_curves.png")
    plots.plot_calibration(y, scores, out / "calibration.png")
    plots.plot_backtest(per_origin, out / "backtest_recall_at_k.png")
    comparison.to_csv(out / "backtest_summary.csv", index=False)
    # The latest origin's rows and scores: the reference nightly drift checks compare against.
    latest = bt.loc[bt["as_of"] == bt["as_of"].max()].drop(columns=["as_of", "y"])
    latest.rename(columns={learner: "score"}).to_parquet(out / registry.REFERENCE_FILE, index=False)
    per_origin.to_csv(out / "backtest_by_origin.csv", index=False)
    slices.to_csv(out / "backtest_slices.csv", index=False)
    metrics.calibration_table(y, scores[learner]).to_csv(out / "calibration_table.csv", index=False)
    card = report.model_card(
        comparison=comparison,
        lead=lead,
        slices=slices,
        figures={
            "PR curves on the backtest": "pr_curves.png",
            "Calibration": "calibration.png",
            "Recall in the monthly top k, per origin": "backtest_recall_at_k.png",
        },
        **card_args,
    )
    (out / "model_card.md").write_text(card, encoding="utf-8")
    return card


@flow(name="train", log_prints=False)
def train_flow(
    as_of: dt.date | None = None,
    promote: Promote = "auto",
    params: ModelParams | None = None,
    truth: str | None = None,
    candidates: tuple[str, ...] = CANDIDATES,
    scheduled: bool = False,
    fit_origins: bool = True,
) -> dict[str, Any]:
    """Backtest the candidates, fit the challenger on what was known at `as_of`, register it.

    `truth` (simulated worlds only) is the simulator's true-hazard file: the backtest then
    also reports the best possible ranking. Training never reads it. A `scheduled` run
    (the monthly deployment) that a later month's run has overtaken ends at once. With
    `fit_origins`, a history too short for the backtest's origins backtests fewer (warned);
    without, it is an error.
    """
    settings = Settings()
    logger = get_run_logger()
    start = scheduled_start() if scheduled else None
    if start is not None and retraining_superseded(start, dt.datetime.now(dt.UTC)):
        logger.info("retraining scheduled for %s skipped: a later month's retraining is due", start)
        return {"status": "superseded", "scheduled_for": str(start)}
    params = params or ModelParams(horizon_months=settings.horizon_months, seed=settings.seed)
    as_of_ts = pd.Timestamp(as_of or scheduled_as_of() or dt.date.today())
    frames = tasks.load_store(str(settings.store_dir))
    frame = build_training_frame(
        frames.enterprises,
        frames.indicators,
        frames.incidents,
        as_of=as_of_ts,
        params=params,
        fit_origins=fit_origins,
    )
    if frame.params.backtest_origins < params.backtest_origins:
        logger.warning(
            "only %d labelled months before %s: the backtest uses %d monthly origins instead of %d",
            len(frame.grid),
            as_of_ts.date(),
            frame.params.backtest_origins,
            params.backtest_origins,
        )
    params = frame.params
    champion = registry.alias_version(settings.model_name, registry.CHAMPION)
    recipe = champion_recipe(settings.model_name, champion)
    # A champion whose recipe differs from this run's only by its learner is already one of
    # the candidates' columns; any other recipe is refitted on the same origins.
    replayed = (
        recipe is not None
        and recipe.learner in candidates
        and recipe.model_copy(update={"learner": params.learner}) == params
    )
    recipes = {CHAMPION_RECIPE: recipe} if recipe is not None and not replayed else {}
    bt = run_backtest(frame, candidates=candidates, recipes=recipes)

    y = bt["y"].to_numpy()
    as_of_rows = bt["as_of"].to_numpy()
    scores = {name: bt[name].to_numpy() for name in candidates}
    truth_p = _truth_probability(truth, bt, params.horizon_months)
    comparison = metrics.compare(
        scores, y, as_of_rows, bt, truth_p, capacity=settings.capacity, n_boot=100, seed=params.seed
    )
    requested = params.learner
    learner = choose_learner(comparison, params, candidates)
    params = params.model_copy(update={"learner": learner})
    logger.info(
        "learner %s: %s",
        learner,
        learner_choice_note(comparison, learner, requested, candidates).split(". ")[0],
    )
    per_origin = report.backtest_table(
        {
            origin: metrics.compare(
                {name: s[mask] for name, s in scores.items()},
                y[mask],
                as_of_rows[mask],
                bt.loc[mask],
                None if truth_p is None else truth_p[mask],
                capacity=settings.capacity,
                n_boot=0,
            )
            for origin in np.unique(as_of_rows)
            for mask in [as_of_rows == origin]
        }
    )
    slices = metrics.compare_slices(
        scores, y, as_of_rows, bt, capacity=settings.capacity, n_boot=50, seed=params.seed
    )
    long = bt[["as_of", "enterprise_id"]].assign(score=scores[learner])
    lead = metrics.lead_time_summary(
        metrics.lead_times(
            long, frame.incidents, capacity=settings.capacity, horizon_months=params.horizon_months
        ),
        n_boot=100,
        seed=params.seed,
    )
    gain = None
    same_recipe = (
        recipe == params and champion is not None and champion.tags.get("data_digest") == frames.digest
    )
    if recipe is not None and not same_recipe:
        held = bt[CHAMPION_RECIPE] if CHAMPION_RECIPE in recipes else bt[recipe.learner]
        gain = paired_bootstrap_gain(y, scores[learner], held.to_numpy(), as_of_rows, seed=params.seed)

    final = fit_final(frame, frame.as_of, learner)
    # The columns the registered model reads (the blend's: the union of its members' sets).
    model_set = backtest.candidate_params(params, learner).feature_set
    columns = feature_set(model_set)
    headline = {(str(r["model"]), str(r["metric"])): float(r["value"]) for r in comparison.to_dict("records")}
    flat_metrics: dict[str, float] = {}
    for r in comparison.to_dict("records"):
        key = f"backtest_{r['model']}_{r['metric']}"
        flat_metrics.update(
            {key: float(r["value"]), f"{key}_low": float(r["low"]), f"{key}_high": float(r["high"])}
        )
    flat_metrics.update({f"lead_{k}": float(v) for k, v in lead.items()})
    if gain:
        flat_metrics.update({f"vs_champion_{k}": v for k, v in gain.items()})
    step_metrics = {
        f"origin_{model}_{metric}": list(group.sort_values("origin")["value"])
        for (model, metric), group in per_origin.groupby(["model", "metric"])
    }
    base_rate = float(
        np.nanmean(frame.labels(frame.as_of)[frame.table["as_of"].to_numpy() >= frame.full_from])
    )
    window = (str(pd.Timestamp(frame.grid[0]).date()), str(pd.Timestamp(frame.grid[-1]).date()))
    tags = {
        "as_of": str(as_of_ts.date()),
        "data_digest": frames.digest,
        "code_version": code_version(),
        "feature_set": model_set,
        "target": f"{'+'.join(params.target_kinds)} within {params.horizon_months} months",
        "base_rate": f"{base_rate:.6g}",
        "learner": learner,
        "valid_pr_auc": f"{headline.get((learner, 'pr_auc'), float('nan')):.4f}",
        "valid_recall_at_k": f"{headline.get((learner, 'recall_at_k'), float('nan')):.4f}",
        "backtest_origins": str(params.backtest_origins),
        "run_name": f"train-{as_of_ts.date()}",
    }
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        card = _report_files(
            out,
            bt,
            comparison,
            per_origin,
            scores,
            lead,
            slices,
            learner,
            {
                "name": settings.model_name,
                "model": learner,
                "as_of": str(as_of_ts.date()),
                "data_window": window,
                "feature_set": model_set,
                "features": columns,
                "capacity": settings.capacity,
                "horizon_months": params.horizon_months,
                "params": params.model_dump(),
                "choice": learner_choice_note(comparison, learner, requested, candidates),
            },
        )
        texts = {
            "feature_list.json": json.dumps({"feature_set": model_set, "columns": columns}, indent=1),
            "training_summary.json": json.dumps(
                {
                    "fit_rows": final.fit_rows,
                    "fit_positives": final.fit_positives,
                    "calibration_rows": final.calibration_rows,
                    "calibration_months": final.extra.get("calibration_months"),
                    "data_window": window,
                },
                indent=1,
            ),
        }
        example_rows = frame.table.loc[frame.table["as_of"] == frame.grid[-1]].head(5)
        version = tasks.log_model_version(
            final.model,
            model_name=settings.model_name,
            experiment=settings.experiment,
            artifact_root=settings.mlflow_artifact_root,
            params=params.model_dump(),
            metrics=flat_metrics,
            tags=tags,
            input_example=model_input(example_rows, columns),
            texts=texts,
            step_metrics=step_metrics,
            artifact_dir=out,
        )
    promoted, why = decide(gain, champion is not None, promote)
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
    create_markdown_artifact(key="model-card", markdown=card)
    summary_table = comparison.pivot(index="model", columns="metric", values="value")
    return {
        "model_name": settings.model_name,
        "version": version.version,
        "run_id": version.run_id,
        "as_of": str(as_of_ts.date()),
        "promoted": promoted,
        "decision": why,
        "backtest": {
            model: {m: (None if not np.isfinite(v) else round(float(v), 6)) for m, v in row.items()}
            for model, row in summary_table.iterrows()
        },
        "learner": learner,
        "backtest_origins": params.backtest_origins,
        "metrics": {
            "pr_auc": flat_metrics.get(f"backtest_{learner}_pr_auc"),
            "recall_at_k": flat_metrics.get(f"backtest_{learner}_recall_at_k"),
            "checklist_pr_auc": flat_metrics.get("backtest_checklist_pr_auc"),
            "checklist_recall_at_k": flat_metrics.get("backtest_checklist_recall_at_k"),
        },
    }
