"""Figures of a trained model: PR curves, calibration, recall in the monthly top k per origin.

Drawn with matplotlib's Agg backend outside pyplot (no display, no global state) and
saved as PNG beside the model card.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from judging.metrics import CHECKLIST, TRUE_HAZARD, calibration_table, pr_curve

#: How each metric is named on the plots and in the model card.
METRIC_LABELS = {
    "pr_auc": "PR-AUC",
    "roc_auc": "ROC-AUC",
    "recall_at_k": "recall@k",
    "precision_at_k": "precision@k",
    "brier": "Brier",
    "lift_at_k": "lift@k over checklist",
}


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure on the Agg canvas, outside pyplot: no global state, no display needed."""
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def plot_pr_curves(
    y: np.ndarray, scores: Mapping[str, np.ndarray], path: str | Path, *, title: str = "Precision–recall"
) -> Path:
    """Precision–recall curves of several models on the same rows, PR-AUC in the legend."""
    y = np.asarray(y, dtype=np.float64)
    fig, ax = _figure(6, 4.5)
    for name, score in scores.items():
        if y.sum() <= 0:
            continue
        recall, precision = pr_curve(y, score)
        ap = float(np.sum(np.diff(recall) * precision[1:]))
        style = "--" if name in (CHECKLIST, TRUE_HAZARD) else "-"
        ax.step(recall, precision, where="post", linestyle=style, label=f"{name} (PR-AUC {ap:.3f})")
    ax.axhline(float(y.mean()), color="grey", linewidth=0.8, label=f"base rate {y.mean():.4f}")
    ax.set(xlabel="recall", ylabel="precision", title=title, xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_calibration(
    y: np.ndarray,
    probabilities: Mapping[str, np.ndarray],
    path: str | Path,
    *,
    n_bins: int = 10,
    strategy: str = "expected",
) -> Path:
    """Reliability diagram on log axes (rare events), with 90% Wilson intervals per bin."""
    fig, ax = _figure(5.5, 5)
    lowest, highest = 1.0, 0.0
    for name, p in probabilities.items():
        table = calibration_table(y, p, n_bins=n_bins, strategy=strategy)
        x = table["mean_predicted"].clip(lower=1e-6)
        ax.errorbar(
            x, table["observed"].clip(lower=1e-6),
            yerr=[
                (table["observed"] - table["low"]).clip(lower=0),
                (table["high"] - table["observed"]).clip(lower=0),
            ],
            marker="o", capsize=2, label=name,
        )  # fmt: skip
        lowest, highest = (
            min(lowest, float(x.min())),
            max(highest, float(table["high"].max()), float(x.max())),
        )
    edge = (max(lowest / 2, 1e-6), min(1.0, max(highest * 2, lowest * 10)))
    ax.plot(edge, edge, color="grey", linewidth=0.8, label="perfect calibration")
    ax.set(xscale="log", yscale="log", xlabel="mean predicted probability", ylabel="observed rate")
    ax.set_title("Calibration")
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_backtest(
    backtest: pd.DataFrame, path: str | Path, *, metric: str = "recall_at_k", origin: str = "origin"
) -> Path:
    """One metric per backtest origin and model, with its bootstrap interval.

    `backtest` is a tidy table with columns origin, model, metric, value, low, high
    (`backtest_table`).
    """
    part = backtest.loc[backtest["metric"] == metric].sort_values(origin)
    fig, ax = _figure(7, 4)
    for name, rows in part.groupby("model", sort=False):
        x = pd.to_datetime(rows[origin])
        ax.plot(x, rows["value"], marker="o", label=str(name))
        ax.fill_between(x, rows["low"], rows["high"], alpha=0.15)
    ax.set(
        xlabel="training origin (as-of)",
        ylabel=METRIC_LABELS.get(metric, metric),
        title=f"Backtest: {metric}",
    )
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    return _save(fig, path)
