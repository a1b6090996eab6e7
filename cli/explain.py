"""`ews explain`: the score of one enterprise, its reasons, and the figures behind them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from data.errors import EwsError
from data.settings import Settings
from data.store import Store
from features.build import build_features, known_at
from outputs.rankings import read_ranking
from outputs.views import score_history
from vocab.formats import (
    format_date,
    format_month,
    format_number,
    format_probability,
    format_significant,
    plain_text,
)
from vocab.i18n import check_lang, label, t

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
    settings: Settings, enterprise_id: str, as_of: dt.date | None, console: Console, lang: str = "vi"
) -> None:
    """Print the published score and reasons, the feature values, 12 months of indicators and
    scores, in `lang` (words from the catalogue, numbers and dates as its readers write them).

    Names come from deliveries: they are printed as text, never read as markup.
    """
    lang = check_lang(lang)
    ranking = read_ranking(settings.db_path, str(as_of) if as_of else None)
    row = ranking.loc[ranking["enterprise_id"] == enterprise_id]
    as_of_ts = pd.Timestamp(ranking["as_of"].iloc[0])
    night = format_date(as_of_ts, lang)
    store = Store(settings.store_dir)
    enterprises = store.load_enterprises()
    if enterprise_id not in set(enterprises["enterprise_id"]):
        raise EwsError(f"unknown enterprise {enterprise_id!r}")
    if row.empty:
        console.print(t("not_scored", lang, night=night), markup=False, highlight=False)
    else:
        r = row.iloc[0]
        about = ", ".join(
            str(part)
            for part in (
                r["district"],
                r["zone_id"] or "-",
                f"{t('sector', lang)} {r['sector']}",
                label("ownership", r["ownership"], lang),
            )
        )
        console.print(Text(plain_text(f"{r['name']} ({enterprise_id}), {about}"), style="bold"))
        score_line = t(
            "score_line",
            lang,
            score=format_probability(r["score"], lang),
            rank=format_number(r["rank"], lang),
            total=format_number(len(ranking), lang),
            band=label("band", r["band"], lang),
        )
        reasons = r["reasons"] if lang == "vi" else r["reasons_en"]
        console.print(
            f"{t('as_of', lang)} {night} · {score_line} · {t('model', lang)} v{r['model_version']}\n"
            f"{t('reasons', lang)}: {reasons or '-'}",
            markup=False,
            highlight=False,
        )
    indicators, incidents = known_at(store.load_indicators(), store.load_incidents(), as_of_ts)
    # Contagion and peer features need every enterprise, so build the whole night and keep one row.
    features = build_features(enterprises, indicators, incidents, [as_of_ts])
    features = features.loc[features["enterprise_id"] == enterprise_id]
    if not features.empty:
        table = Table(title=t("features_as_of", lang, night=night))
        table.add_column(t("feature", lang))
        table.add_column(t("value", lang), justify="right")
        for name, value in features.iloc[0].items():
            if name in ("as_of", "enterprise_id"):
                continue
            shown = format_significant(value, lang) if isinstance(value, float) else str(value)
            table.add_row(Text(str(name)), Text(shown))
        console.print(table)
    if not features.empty:
        _print_movement(console, settings, enterprises, indicators, incidents, features, enterprise_id, lang)
    history = indicators.loc[indicators["enterprise_id"] == enterprise_id]
    history = history.sort_values(["month", "reported_at"]).groupby("month").tail(1).tail(12)
    sources = _month_sources(store, enterprise_id, as_of_ts)
    table = Table(title=t("indicators", lang, night=night))
    for column in HISTORY_COLUMNS:
        table.add_column(t(column, lang), justify="right")
    table.add_column(t("source", lang))
    for record in history.to_dict("records"):
        table.add_row(
            *(
                format_month(record[c], lang)
                if c == "month"
                else format_date(record[c], lang)
                if c == "reported_at"
                else format_number(record[c], lang)
                for c in HISTORY_COLUMNS
            ),
            Text(plain_text(sources.get(pd.Timestamp(record["month"]), ""))),
        )
    console.print(table)
    _print_provenance(console, store, enterprise_id, as_of_ts, lang)
    scores = score_history(settings.db_path, enterprise_id)
    scores = scores.loc[scores["as_of"] <= str(as_of_ts.date())].tail(12)
    if len(scores):
        table = Table(title=t("score_history", lang))
        for column in ("as_of", "rank", "score", "band", "model_version"):
            table.add_column(t(column, lang), justify="right")
        for rec in scores.to_dict("records"):
            table.add_row(
                format_date(rec["as_of"], lang),
                format_number(rec["rank"], lang),
                format_probability(rec["score"], lang),
                label("band", rec["band"], lang),
                str(rec["model_version"]),
            )
        console.print(table)
    past = incidents.loc[incidents["enterprise_id"] == enterprise_id]
    if len(past):
        console.print(
            f"{t('incidents', lang)}: "
            + "; ".join(
                f"{format_date(s, lang)} {label('kind', k, lang)}"
                for s, k in zip(past["started"], past["kind"], strict=True)
            ),
            markup=False,
            highlight=False,
        )


def _print_movement(
    console: Console,
    settings: Settings,
    enterprises: pd.DataFrame,
    indicators: pd.DataFrame,
    incidents: pd.DataFrame,
    features: pd.DataFrame,
    enterprise_id: str,
    lang: str,
) -> None:
    """Why the score moved since the previous scored night and since a month before: the
    champion scores the firm's features of both dates (as known then), and the change is
    split among the figures that changed (`present.movers.enterprise_movement`, shared with
    the analysts' page). Without a champion it says so."""
    from data.errors import ServiceUnavailable
    from features.sets import feature_set
    from models.champion import load_champion
    from present.movers import enterprise_movement, features_at, since_dates

    as_of = pd.Timestamp(features["as_of"].iloc[0])
    try:
        model, version = load_champion(settings.model_name, settings.db_path)
    except (EwsError, ServiceUnavailable, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        console.print(t("moved_unavailable", lang, reason=reason), markup=False, highlight=False)
        return
    nights = list(score_history(settings.db_path, enterprise_id)["as_of"])
    before = [
        (kind, then, features_at(enterprises, indicators, incidents, then))
        for kind, then in since_dates(nights, as_of)
    ]
    for moved in enterprise_movement(
        model, feature_set(version.feature_set), enterprise_id, features, before
    ):
        why = moved.why if lang == "vi" else moved.why_en
        console.print(
            t(
                "moved_since",
                lang,
                night=format_date(moved.then, lang),
                before=format_probability(moved.score_before, lang),
                now=format_probability(moved.score_now, lang),
                why=why or t("moved_for_no_figure", lang),
            ),
            markup=False,
            highlight=False,
        )


def _print_provenance(
    console: Console, store: Store, enterprise_id: str, as_of: pd.Timestamp, lang: str
) -> None:
    """Where each figure of the latest month known came from: source, delivery, file, row."""
    from data.store import field_provenance

    rows = store.indicator_rows([enterprise_id])
    found = field_provenance(rows.loc[rows["enterprise_id"] == enterprise_id], as_of)
    if found.empty:
        return
    month = found["month"].max()
    found = found.loc[found["month"] == month]
    table = Table(title=t("provenance", lang, month=format_month(month, lang)))
    for key in ("figure", "value", "reported_at", "source", "delivery", "file", "row"):
        table.add_column(t(key, lang), justify="right" if key in ("value", "row") else "left")
    for rec in found.to_dict("records"):
        table.add_row(
            Text(t(rec["field"], lang)),
            Text(format_number(rec["value"], lang)),
            Text(format_date(rec["reported_at"], lang)),
            Text(plain_text(rec["source"])),
            Text(plain_text(rec["delivery"])[:12]),
            Text(plain_text(rec["file"])),
            Text(str(rec["row"]) if int(rec["row"]) > 0 else "-"),
        )
    console.print(table)


def _month_sources(store: Store, enterprise_id: str, as_of: pd.Timestamp) -> dict[pd.Timestamp, str]:
    """Per month, the sources its figures known at ``as_of`` came from (e.g. "bhxh, labour")."""
    from data.store import field_provenance

    rows = store.indicator_rows([enterprise_id])
    found = field_provenance(rows.loc[rows["enterprise_id"] == enterprise_id], as_of)
    return {
        pd.Timestamp(str(month)): ", ".join(sorted(set(group["source"].astype(str))))
        for month, group in found.groupby("month")
    }
