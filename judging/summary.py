"""The training summary: what a training run measured on its backtest, as tables, logged
metrics, registry tags and the dict `flows.train.train_flow` returns.

Pure: the flow reads the store, fits and registers; everything here only computes from the
backtest's rows (`models.backtest.run_backtest`: one row per enterprise and origin, with `y`
and one score column per candidate) and the training frame.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from judging import metrics
from models import backtest
from models.selection import champion_column
from models.train import ModelParams

# The columns of the simulator's true-hazard file the ceiling is computed from.
TRUTH_COLUMNS = ["enterprise_id", "month", "hazard"]


def backtest_table(results: Mapping[Any, pd.DataFrame]) -> pd.DataFrame:
    """Stack `metrics.compare` tables of several training origins into one, with an `origin` column."""
    frames = [table.assign(origin=pd.Timestamp(origin)) for origin, table in results.items()]
    out = pd.concat(frames, ignore_index=True)
    return out.loc[:, ["origin", *[c for c in out.columns if c != "origin"]]]


def candidate_scores(bt: pd.DataFrame, candidates: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Each candidate's backtest scores, by name."""
    return {name: bt[name].to_numpy() for name in candidates}


def truth_probability(hazard: pd.DataFrame | None, rows: pd.DataFrame, horizon: int) -> np.ndarray | None:
    """The simulator's true probability of each backtest row (None without a truth file): the ceiling."""
    if hazard is None:
        return None
    return metrics.true_probability(hazard, rows[["as_of", "enterprise_id"]], horizon_months=horizon)


def compare_candidates(
    bt: pd.DataFrame,
    candidates: tuple[str, ...],
    truth_p: np.ndarray | None,
    *,
    capacity: float,
    seed: int,
) -> pd.DataFrame:
    """The pooled comparison of the candidates over every origin (`metrics.compare`, 100 resamples)."""
    scores = candidate_scores(bt, candidates)
    y = bt["y"].to_numpy()
    as_of_rows = bt["as_of"].to_numpy()
    return metrics.compare(scores, y, as_of_rows, bt, truth_p, capacity=capacity, n_boot=100, seed=seed)


def per_origin_table(
    bt: pd.DataFrame, candidates: tuple[str, ...], truth_p: np.ndarray | None, *, capacity: float
) -> pd.DataFrame:
    """The comparison origin by origin (point values, no resampling), stacked by `backtest_table`."""
    scores = candidate_scores(bt, candidates)
    y = bt["y"].to_numpy()
    as_of_rows = bt["as_of"].to_numpy()
    return backtest_table(
        {
            origin: metrics.compare(
                {name: s[mask] for name, s in scores.items()},
                y[mask],
                as_of_rows[mask],
                bt.loc[mask],
                None if truth_p is None else truth_p[mask],
                capacity=capacity,
                n_boot=0,
            )
            for origin in np.unique(as_of_rows)
            for mask in [as_of_rows == origin]
        }
    )


def slice_table(bt: pd.DataFrame, candidates: tuple[str, ...], *, capacity: float, seed: int) -> pd.DataFrame:
    """The comparison within slices of the enterprises (`metrics.compare_slices`, 50 resamples)."""
    scores = candidate_scores(bt, candidates)
    y = bt["y"].to_numpy()
    as_of_rows = bt["as_of"].to_numpy()
    return metrics.compare_slices(scores, y, as_of_rows, bt, capacity=capacity, n_boot=50, seed=seed)


def lead_time(
    bt: pd.DataFrame,
    learner: str,
    incidents: pd.DataFrame,
    *,
    capacity: float,
    horizon_months: int,
    seed: int,
) -> dict[str, float]:
    """How early the chosen learner's monthly top k flagged the stoppages that followed."""
    long = bt[["as_of", "enterprise_id"]].assign(score=bt[learner].to_numpy())
    return metrics.lead_time_summary(
        metrics.lead_times(long, incidents, capacity=capacity, horizon_months=horizon_months),
        n_boot=100,
        seed=seed,
    )


def champion_gain(
    bt: pd.DataFrame,
    learner: str,
    recipe: ModelParams | None,
    recipes: dict[str, ModelParams],
    *,
    same_recipe: bool,
    seed: int,
) -> dict[str, float] | None:
    """The challenger's PR-AUC gain over the champion on the same backtest rows, with its
    interval; None without a champion or when it is the champion's recipe on the same data."""
    if recipe is None or same_recipe:
        return None
    held = bt[champion_column(recipe, recipes)]
    return metrics.paired_bootstrap_gain(
        bt["y"].to_numpy(), bt[learner].to_numpy(), held.to_numpy(), bt["as_of"].to_numpy(), seed=seed
    )


def base_rate(frame: backtest.TrainingFrame) -> float:
    """The share of positives over the fully kept months of the frame (every row, no sampling)."""
    return float(np.nanmean(frame.labels(frame.as_of)[frame.table["as_of"].to_numpy() >= frame.full_from]))


def data_window(frame: backtest.TrainingFrame) -> tuple[str, str]:
    """First and last month end of the training frame, as dates."""
    return (str(pd.Timestamp(frame.grid[0]).date()), str(pd.Timestamp(frame.grid[-1]).date()))


def flat_metrics(
    comparison: pd.DataFrame, lead: Mapping[str, float], gain: Mapping[str, float] | None
) -> dict[str, float]:
    """The metrics logged with the run: every pooled value with its interval, the lead times and
    the gain over the champion (when measured)."""
    flat: dict[str, float] = {}
    for r in comparison.to_dict("records"):
        key = f"backtest_{r['model']}_{r['metric']}"
        flat.update({key: float(r["value"]), f"{key}_low": float(r["low"]), f"{key}_high": float(r["high"])})
    flat.update({f"lead_{k}": float(v) for k, v in lead.items()})
    if gain:
        flat.update({f"vs_champion_{k}": v for k, v in gain.items()})
    return flat


def step_metrics(per_origin: pd.DataFrame) -> dict[str, list[float]]:
    """Each model's metric origin by origin (logged as steps, in origin order)."""
    return {
        f"origin_{model}_{metric}": list(group.sort_values("origin")["value"])
        for (model, metric), group in per_origin.groupby(["model", "metric"])
    }


@dataclass(frozen=True)
class BacktestSummary:
    """What the backtest measured, for the model card, the logged metrics and the tags."""

    comparison: pd.DataFrame  # pooled over every origin, with intervals (`compare_candidates`)
    per_origin: pd.DataFrame  # origin by origin (`per_origin_table`)
    slices: pd.DataFrame  # within slices of the enterprises (`slice_table`)
    lead: dict[str, float]  # how early the chosen learner flagged the stoppages (`lead_time`)
    gain: dict[str, float] | None  # over the champion, when measured (`champion_gain`)
    flat_metrics: dict[str, float]  # the run's metrics (`flat_metrics`)
    step_metrics: dict[str, list[float]]  # the run's per-origin series (`step_metrics`)
    base_rate: float  # of the frame's fully kept months (`base_rate`)
    window: tuple[str, str]  # of the training frame (`data_window`)


def summarise_backtest(
    bt: pd.DataFrame,
    frame: backtest.TrainingFrame,
    comparison: pd.DataFrame,
    *,
    candidates: tuple[str, ...],
    learner: str,
    truth_p: np.ndarray | None,
    gain: dict[str, float] | None,
    capacity: float,
    params: ModelParams,
) -> BacktestSummary:
    """Everything the run reports beside the pooled comparison, once the learner is chosen."""
    per_origin = per_origin_table(bt, candidates, truth_p, capacity=capacity)
    slices = slice_table(bt, candidates, capacity=capacity, seed=params.seed)
    lead = lead_time(
        bt,
        learner,
        frame.incidents,
        capacity=capacity,
        horizon_months=params.horizon_months,
        seed=params.seed,
    )
    return BacktestSummary(
        comparison=comparison,
        per_origin=per_origin,
        slices=slices,
        lead=lead,
        gain=gain,
        flat_metrics=flat_metrics(comparison, lead, gain),
        step_metrics=step_metrics(per_origin),
        base_rate=base_rate(frame),
        window=data_window(frame),
    )


def training_tags(
    *,
    as_of: str,
    data_digest: str,
    code_version: str,
    feature_set: str,
    params: ModelParams,
    base_rate: float,
    learner: str,
    comparison: pd.DataFrame,
) -> dict[str, str]:
    """The registry tags of the version: what it was trained on and how well its learner ranked."""
    headline = {(str(r["model"]), str(r["metric"])): float(r["value"]) for r in comparison.to_dict("records")}
    return {
        "as_of": as_of,
        "data_digest": data_digest,
        "code_version": code_version,
        "feature_set": feature_set,
        "target": f"{'+'.join(params.target_kinds)} within {params.horizon_months} months",
        "base_rate": f"{base_rate:.6g}",
        "learner": learner,
        "valid_pr_auc": f"{headline.get((learner, 'pr_auc'), float('nan')):.4f}",
        "valid_recall_at_k": f"{headline.get((learner, 'recall_at_k'), float('nan')):.4f}",
        "backtest_origins": str(params.backtest_origins),
        "run_name": f"train-{as_of}",
    }


def training_texts(
    final: backtest.Fitted, window: tuple[str, str], feature_set: str, columns: Sequence[str]
) -> dict[str, str]:
    """The text files logged with the run: the feature list and the final fit's summary."""
    return {
        "feature_list.json": json.dumps({"feature_set": feature_set, "columns": columns}, indent=1),
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


def training_result(
    *,
    model_name: str,
    version: str,
    run_id: str,
    as_of: str,
    promoted: bool,
    decision: str,
    comparison: pd.DataFrame,
    learner: str,
    backtest_origins: int,
    flat_metrics: Mapping[str, float],
) -> dict[str, Any]:
    """What `train_flow` returns: the version, the promotion decision and the backtest figures."""
    summary_table = comparison.pivot(index="model", columns="metric", values="value")
    return {
        "model_name": model_name,
        "version": version,
        "run_id": run_id,
        "as_of": as_of,
        "promoted": promoted,
        "decision": decision,
        "backtest": {
            model: {m: (None if not np.isfinite(v) else round(float(v), 6)) for m, v in row.items()}
            for model, row in summary_table.iterrows()
        },
        "learner": learner,
        "backtest_origins": backtest_origins,
        "metrics": {
            "pr_auc": flat_metrics.get(f"backtest_{learner}_pr_auc"),
            "recall_at_k": flat_metrics.get(f"backtest_{learner}_recall_at_k"),
            "checklist_pr_auc": flat_metrics.get("backtest_checklist_pr_auc"),
            "checklist_recall_at_k": flat_metrics.get("backtest_checklist_recall_at_k"),
        },
    }
