"""What a trained model is logged with: the model card, its feature list, its tables and plots.

The card is Markdown built from the tables of `judging.metrics` and `judging.summary`; the
plots are `present.plots`'s. `write_model_files` writes them all into the folder logged
beside the registered model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import features.build as feature_docs
from features.build import CATEGORICAL
from judging import summary
from judging.metrics import CHECKLIST, TRUE_HAZARD, calibration_table
from present.plots import METRIC_LABELS, plot_backtest, plot_calibration, plot_pr_curves

_CATEGORICAL_DOCS = {
    "province": "Province of the enterprise (category).",
    "sector": "VSIC 2-digit sector (category).",
    "ownership": "Ownership: private, FDI or state (category).",
    "zone_type": "Industrial zone, industrial cluster or outside (category).",
}


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

    `comparison` is the output of `judging.metrics.compare` on the held-out rows; `model` names
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


#: Rows of the pooled drift reference kept with a model (a sample when the backtest has more).
REFERENCE_ROWS = 200_000


def write_model_files(
    out: Path,
    bt: pd.DataFrame,
    judged: summary.BacktestSummary,
    scores: dict[str, np.ndarray],
    learner: str,
    *,
    reference_file: str,
    card_args: dict[str, Any],
) -> str:
    """Write the plots, the backtest tables, the drift reference (`reference_file`) and the model
    card of a training run into `out`, the folder logged beside the model; return the card."""
    y = bt["y"].to_numpy()
    plot_pr_curves(y, scores, out / "pr_curves.png")
    plot_calibration(y, scores, out / "calibration.png")
    plot_backtest(judged.per_origin, out / "backtest_recall_at_k.png")
    judged.comparison.to_csv(out / "backtest_summary.csv", index=False)
    # The reference nightly drift checks compare against: the rows and scores of every backtest
    # origin pooled (a year of nights, not one month's), sampled to a bounded size.
    pooled = bt.drop(columns=["as_of", "y"])
    if len(pooled) > REFERENCE_ROWS:
        pooled = pooled.sample(n=REFERENCE_ROWS, random_state=0).sort_index()
    pooled.rename(columns={learner: "score"}).to_parquet(out / reference_file, index=False)
    judged.per_origin.to_csv(out / "backtest_by_origin.csv", index=False)
    judged.slices.to_csv(out / "backtest_slices.csv", index=False)
    calibration_table(y, scores[learner]).to_csv(out / "calibration_table.csv", index=False)
    card = model_card(
        comparison=judged.comparison,
        lead=judged.lead,
        slices=judged.slices,
        figures={
            "PR curves on the backtest": "pr_curves.png",
            "Calibration": "calibration.png",
            "Recall in the monthly top k, per origin": "backtest_recall_at_k.png",
        },
        **card_args,
    )
    (out / "model_card.md").write_text(card, encoding="utf-8")
    return card
