"""Artifacts of a trained model: PR, calibration and backtest plots, feature list, bands, model card.

Figures are drawn with matplotlib's Agg backend (no display) and saved as PNG; the model
card is Markdown built from the tables of `models.metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import features.build as feature_docs
from features.build import CATEGORICAL
from models.evaluate import capacity_count
from models.metrics import CHECKLIST, TRUE_HAZARD, calibration_table, pr_curve

BANDS = ("high", "elevated", "watch", "low")
METRIC_LABELS = {
    "pr_auc": "PR-AUC",
    "roc_auc": "ROC-AUC",
    "recall_at_k": "recall@k",
    "precision_at_k": "precision@k",
    "brier": "Brier",
    "lift_at_k": "lift@k over checklist",
}
_CATEGORICAL_DOCS = {
    "province": "Province of the enterprise (category).",
    "sector": "VSIC 2-digit sector (category).",
    "ownership": "Ownership: private, FDI or state (category).",
    "zone_type": "Industrial zone, industrial cluster or outside (category).",
}


# --- bands ---------------------------------------------------------------------------------


def bands_from_probability(
    prob: np.ndarray, n: int | None, capacity: float, *, base_rate: float | None = None
) -> np.ndarray:
    """Band of each enterprise from its calibrated probability and the monthly capacity.

    With k = `capacity_count(n, capacity)` (n defaults to len(prob)), r the rank by
    probability (1 = highest, ties by order) and b the base rate (default: the mean
    calibrated probability, i.e. the expected share of firms with a stoppage):

    - ``high``: r ≤ k and p ≥ 2b. What analysts can visit this month, but only firms at
      least twice as risky as the average one: a quiet month does not fill it with noise.
    - ``elevated``: not high, and (r ≤ 3k and p ≥ 2b) or p ≥ 5b. The next 2k, plus any firm
      at five times the base rate that did not fit in the capacity (it is never hidden).
    - ``watch``: not above, and r ≤ 10k or p ≥ 2b.
    - ``low``: the rest.
    """
    p = np.asarray(prob, dtype=np.float64)
    k = capacity_count(len(p) if n is None else int(n), capacity)
    b = float(np.mean(p)) if base_rate is None else float(base_rate)
    rank = np.empty(len(p), dtype=np.int64)
    rank[np.argsort(-p, kind="stable")] = np.arange(1, len(p) + 1)
    high = (rank <= k) & (p >= 2 * b)
    elevated = ~high & (((rank <= 3 * k) & (p >= 2 * b)) | (p >= 5 * b))
    watch = ~high & ~elevated & ((rank <= 10 * k) | (p >= 2 * b))
    return np.select([high, elevated, watch], list(BANDS[:3]), BANDS[3]).astype(object)


# --- figures -------------------------------------------------------------------------------


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


def backtest_table(results: Mapping[Any, pd.DataFrame]) -> pd.DataFrame:
    """Stack `metrics.compare` tables of several training origins into one, with an `origin` column."""
    frames = [table.assign(origin=pd.Timestamp(origin)) for origin, table in results.items()]
    out = pd.concat(frames, ignore_index=True)
    return out.loc[:, ["origin", *[c for c in out.columns if c != "origin"]]]


# --- feature list and model card -----------------------------------------------------------


def feature_list(columns: Sequence[str]) -> pd.DataFrame:
    """feature, kind (numeric/categorical) and the one-line description from `features.build`."""
    rows = []
    for column in columns:
        function = getattr(feature_docs, column, None)
        doc = (function.__doc__ or "").strip().splitlines()[0] if callable(function) else ""
        rows.append({
            "feature": column,
            "kind": "categorical" if column in CATEGORICAL else "numeric",
            "description": _CATEGORICAL_DOCS.get(column, doc),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["feature", "kind", "description"])


def _fmt(value: float) -> str:
    value = float(value)
    if not np.isfinite(value):
        return "–"
    return f"{value:.3f}" if abs(value) >= 0.001 or value == 0 else f"{value:.2e}"


def _metrics_markdown(comparison: pd.DataFrame) -> str:
    metrics = [m for m in METRIC_LABELS if m in set(comparison["metric"])]
    lines = [
        "| model | " + " | ".join(METRIC_LABELS[m] for m in metrics) + " |",
        "|---" * (len(metrics) + 1) + "|",
    ]
    for name, rows in comparison.groupby("model", sort=False):
        cells = []
        for metric in metrics:
            row = rows.loc[rows["metric"] == metric]
            if row.empty:
                cells.append("–")
                continue
            r = row.iloc[0]
            cells.append(
                f"{_fmt(r['value'])} [{_fmt(r['low'])}, {_fmt(r['high'])}]"
                if np.isfinite(r["value"])
                else "–"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _value(comparison: pd.DataFrame, model: str, metric: str) -> float:
    row = comparison.loc[(comparison["model"] == model) & (comparison["metric"] == metric), "value"]
    return float(row.iloc[0]) if len(row) else float("nan")


def model_card(
    *,
    name: str,
    model: str,
    as_of: str | pd.Timestamp,
    data_window: tuple[str, str],
    feature_set: str,
    features: Sequence[str],
    comparison: pd.DataFrame,
    capacity: float,
    horizon_months: int = 3,
    version: str | None = None,
    lead: Mapping[str, float] | None = None,
    slices: pd.DataFrame | None = None,
    figures: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    choice: str | None = None,
    level: float = 0.9,
) -> str:
    """The model card in Markdown: purpose, data, features, metrics with intervals, bands, limits, use.

    `comparison` is the output of `models.metrics.compare` on the held-out rows; `model` names
    its row of the model being documented. `lead` is `metrics.lead_time_summary`, `slices`
    `metrics.compare_slices`, `figures` relative paths of the plots by caption, `choice` how
    the learner was chosen (one paragraph).
    """
    attrs = comparison.attrs
    k = attrs.get("k_per_month", float("nan"))
    share = f"{capacity:.1%} of enterprises" if capacity < 1 else f"{capacity:g} enterprises"
    recall = _value(comparison, model, "recall_at_k")
    checklist_recall = _value(comparison, CHECKLIST, "recall_at_k")
    ceiling = _value(comparison, TRUE_HAZARD, "recall_at_k")
    lines = [
        f"# Model card: {name}" + (f" version {version}" if version else ""),
        "",
        "## Purpose",
        f"Ranks enterprises by the probability that a collective work stoppage starts within the next "
        f"{horizon_months} months, so that labor authorities can act first (get wages and social insurance "
        "paid, mediate). Each ranked enterprise comes with its three strongest warning signs in Vietnamese "
        "and English.",
        "",
        "## Data",
        f"- As-of date: {pd.Timestamp(as_of).date()} (only data known on that date was used).",
        f"- Data window: {data_window[0]} to {data_window[1]}.",
        f"- Held-out evaluation: {attrs.get('rows', float('nan')):,.0f} enterprise-months over "
        f"{attrs.get('months', float('nan')):.0f} months, {attrs.get('positives', float('nan')):.0f} positives "
        f"(base rate {attrs.get('base_rate', float('nan')):.4%}).",
        "- Enterprise-level indicators only: no data about individual workers.",
        "",
        "## Features",
        f"Feature set `{feature_set}` ({len(features)} columns): "
        + ", ".join(f"`{f}`" for f in features)
        + ".",
    ]
    if choice:
        lines += ["", "## Learner", choice]
    if params:
        lines += ["", "Parameters: " + ", ".join(f"`{key}={value}`" for key, value in params.items()) + "."]
    lines += [
        "",
        "## Metrics",
        f"Monthly capacity k = {share} (≈ {k:.0f} per month). Values with {level:.0%} bootstrap intervals "
        "(whole as-of months resampled). `checklist` is the officers' rule (wage arrears ≥ 1 month or "
        "insurance debt ≥ 3 months)"
        + (
            ", `true_hazard` the simulator's true probability (the ceiling)."
            if TRUE_HAZARD in set(comparison["model"])
            else "."
        ),
        "",
        _metrics_markdown(comparison),
        "",
        f"Within its monthly top k the model finds {_fmt(recall)} of the stoppages, against {_fmt(checklist_recall)} "
        "for the checklist" + (f" and {_fmt(ceiling)} for the true hazard." if np.isfinite(ceiling) else "."),
    ]
    if lead:
        lines += [
            "",
            "## Lead time",
            f"{lead.get('flagged', float('nan')):.0f} of {lead.get('events', float('nan')):.0f} stoppages "
            f"({_fmt(lead.get('flagged_share', float('nan')))}, interval [{_fmt(lead.get('flagged_share_low', float('nan')))}, "
            f"{_fmt(lead.get('flagged_share_high', float('nan')))}]) were in the top k before they started; median lead "
            f"{_fmt(lead.get('median_lead_months', float('nan')))} months.",
        ]
    if slices is not None and not slices.empty:
        part = slices.loc[(slices["model"] == model) & (slices["metric"] == "recall_at_k")]
        lines += [
            "",
            "## By slice (recall@k)",
            "| column | slice | positives | recall@k |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {r['column']} | {r['slice']} | {r['positives']} | "
            f"{_fmt(float(r['value']))} [{_fmt(float(r['low']))}, {_fmt(float(r['high']))}] |"
            for r in part.to_dict("records")
        ]
    lines += [
        "",
        "## Bands",
        "On the calibrated probability p and the capacity k, with b the base rate (mean calibrated probability) "
        "and r the rank: `high` = r ≤ k and p ≥ 2b; `elevated` = (r ≤ 3k and p ≥ 2b) or p ≥ 5b; "
        "`watch` = r ≤ 10k or p ≥ 2b; `low` = the rest.",
    ]
    if figures:
        lines += ["", "## Figures", *(f"![{caption}]({path})" for caption, path in figures.items())]
    lines += [
        "",
        "## Limitations",
        "- Stoppages are very rare: intervals are wide and a few events move every metric.",
        "- Probabilities are calibrated on the latest held-out year; a new wave or a reporting change can shift them.",
        "- Late or missing reports hide debt; staleness is a feature, not a fix.",
        "- Reasons describe what drives the score (tree path or coefficient contributions), not causes.",
        "",
        "## Intended use",
        "Enterprise-level prioritization of preventive visits and mediation by labor authorities. Not for any "
        "decision about individual workers, not for sanctions, not as evidence that a stoppage will happen.",
        "",
    ]
    return "\n".join(lines)
