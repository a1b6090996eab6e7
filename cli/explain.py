"""`ews explain`: the score of one enterprise, its reasons, and the figures behind them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from rich.console import Console
from rich.table import Table

from data.errors import EwsError
from data.settings import Settings
from data.store import Store
from features.build import build_features, known_at
from outputs.rankings import read_ranking
from outputs.views import score_history

HISTORY_COLUMNS = (
    "month",
    "headcount",
    "avg_wage_vnd",
    "wage_arrears_months",
    "insurance_debt_months",
    "layoffs",
    "reduced_hours_workers",
    "reported_at",
)


def explain_enterprise(
    settings: Settings, enterprise_id: str, as_of: dt.date | None, console: Console
) -> None:
    """Print the published score and reasons, the feature values, 12 months of indicators and scores."""
    ranking = read_ranking(settings.db_path, str(as_of) if as_of else None)
    row = ranking.loc[ranking["enterprise_id"] == enterprise_id]
    as_of_ts = pd.Timestamp(ranking["as_of"].iloc[0])
    store = Store(settings.store_dir)
    enterprises = store.load_enterprises()
    if enterprise_id not in set(enterprises["enterprise_id"]):
        raise EwsError(f"unknown enterprise {enterprise_id!r}")
    if row.empty:
        console.print(
            f"{enterprise_id} was not scored on {as_of_ts.date()} (closed, not yet founded, or no indicators)"
        )
    else:
        r = row.iloc[0]
        console.print(
            f"[bold]{r['name']}[/bold] ({enterprise_id}), {r['district']}, zone {r['zone_id'] or '-'}, "
            f"sector {r['sector']}, {r['ownership']}\n"
            f"as of {r['as_of']}: score {r['score']:.4f}, rank {r['rank']} of {len(ranking)}, band {r['band']} "
            f"(model v{r['model_version']})\n"
            f"lý do: {r['reasons'] or '-'}\nreasons: {r['reasons_en'] or '-'}"
        )
    indicators, incidents = known_at(store.load_indicators(), store.load_incidents(), as_of_ts)
    # Contagion and peer features need every enterprise, so build the whole night and keep one row.
    features = build_features(enterprises, indicators, incidents, [as_of_ts])
    features = features.loc[features["enterprise_id"] == enterprise_id]
    if not features.empty:
        table = Table(title=f"features as of {as_of_ts.date()}")
        table.add_column("feature")
        table.add_column("value", justify="right")
        for name, value in features.iloc[0].items():
            if name in ("as_of", "enterprise_id"):
                continue
            table.add_row(str(name), f"{value:.4g}" if isinstance(value, float) else str(value))
        console.print(table)
    history = indicators.loc[indicators["enterprise_id"] == enterprise_id]
    history = history.sort_values(["month", "reported_at"]).groupby("month").tail(1).tail(12)
    table = Table(title="indicator history known at that date (latest revision per month)")
    for column in HISTORY_COLUMNS:
        table.add_column(column, justify="right")
    for record in history.to_dict("records"):
        table.add_row(
            *(
                pd.Timestamp(record[c]).strftime("%Y-%m" if c == "month" else "%Y-%m-%d")
                if c in ("month", "reported_at")
                else ("" if pd.isna(record[c]) else f"{record[c]:,.0f}")
                for c in HISTORY_COLUMNS
            )
        )
    console.print(table)
    scores = score_history(settings.db_path, enterprise_id)
    scores = scores.loc[scores["as_of"] <= str(as_of_ts.date())].tail(12)
    if len(scores):
        table = Table(title="score history (published nights)")
        for column in ("as_of", "rank", "score", "band", "model_version"):
            table.add_column(column, justify="right")
        for rec in scores.to_dict("records"):
            table.add_row(
                rec["as_of"], str(rec["rank"]), f"{rec['score']:.4f}", rec["band"], str(rec["model_version"])
            )
        console.print(table)
    past = incidents.loc[incidents["enterprise_id"] == enterprise_id]
    if len(past):
        console.print(
            "incidents: "
            + "; ".join(
                f"{pd.Timestamp(s).date()} {k}" for s, k in zip(past["started"], past["kind"], strict=True)
            )
        )
