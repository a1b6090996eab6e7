"""A one-page brief of one enterprise for a field visit: printable HTML, Vietnamese first.

What an officer takes to the enterprise: who it is and where, its score, band, rank and
reasons on the night, why it moved, small charts of its wage arrears and insurance debt
over the 24 months up to the night, its past incidents and the actions recorded. One
self-contained page: inline CSS (with an A4 print stylesheet) and inline SVG, no script,
no external URL, so it prints or saves as PDF from any browser, offline.

Point in time: only what was known on the night appears. Indicator figures are resolved
field by field (the non-empty value with the latest ``reported_at`` on or before the
night, as `data.store` resolves vintages), incidents reported by the night, actions
recorded by the end of the night's day in Vietnam. Every value from the data is
HTML-escaped; numbers and dates are written by `vocab.formats` in the reader's language.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from data.schemas import INDICATOR_REPORT_LAG_DAYS
from outputs.actions import night_cutoff
from vocab.formats import format_date, format_month, format_number, format_probability, plain_text
from vocab.i18n import check_lang, has_label, label, t

#: Months drawn in the charts, the night's month included.
BRIEF_MONTHS = 24
#: Incidents and actions listed at most (latest first): the page must fit one A4 sheet.
MAX_LISTED = 6
#: Characters of an action's note shown (a note may hold 1000): the rest is cut with "…".
NOTE_CHARS = 120
#: Indicator fields the brief reads.
BRIEF_FIELDS: tuple[str, ...] = (
    "headcount",
    "wage_arrears_vnd",
    "wage_arrears_months",
    "insurance_debt_vnd",
    "insurance_debt_months",
)
_CHART_W, _CHART_H, _PAD_L, _PAD_B, _PAD_T = 330, 100, 44, 16, 8

_CSS = """
* { box-sizing: border-box; }
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; font-size: 11pt; color: #111;
       margin: 0 auto; max-width: 190mm; padding: 8mm; line-height: 1.3; }
h1 { font-size: 15pt; margin: 0 0 1mm; }
h2 { font-size: 11pt; margin: 3mm 0 1mm; border-bottom: 1px solid #999; }
.sub { color: #444; font-size: 9pt; margin: 0; }
.facts { display: grid; grid-template-columns: auto 1fr auto 1fr; gap: 0.5mm 3mm; margin: 2mm 0; }
.facts dt { color: #444; } .facts dd { margin: 0; }
.score { font-size: 13pt; font-weight: bold; }
.band-high { color: #b00000; } .band-elevated { color: #c05800; }
.charts { display: flex; gap: 4mm; flex-wrap: wrap; }
.chart { flex: 1 1 80mm; } .chart svg { width: 100%; height: auto; }
.chart p { margin: 0; font-size: 9pt; font-weight: bold; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { border-bottom: 1px solid #ccc; text-align: left; padding: 0.4mm 1.5mm; vertical-align: top; }
ul { margin: 0; padding-left: 5mm; }
.empty, .note { color: #555; font-size: 9pt; }
@page { size: A4; margin: 10mm; }
@media print {
  body { font-size: 8.5pt; padding: 0; max-width: none; line-height: 1.2; }
  h1 { font-size: 13pt; } h2 { font-size: 10pt; margin: 2mm 0 0.5mm; }
  .score { font-size: 11pt; margin: 1mm 0; }
  table { font-size: 8pt; }
  h2, table, .chart { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(value: object) -> str:
    """A value from the data as HTML text: control characters replaced, then escaped."""
    return html.escape(plain_text(value), quote=True)


def _months(values: pd.Series) -> pd.Series:
    """Month values (``YYYY-MM`` text, dates, timestamps) as the first day of their month."""
    stamps = _days(values)
    return pd.Series(stamps.dt.to_period("M").dt.to_timestamp(), index=values.index)


def _days(values: pd.Series) -> pd.Series:
    """Date values as timestamps without time zone (NaT when missing or unreadable)."""
    text = values.astype("object").where(values.notna(), "").astype("str")
    return pd.Series(pd.to_datetime(text, format="mixed", errors="coerce"), index=values.index)


def known_history(indicators: pd.DataFrame, night: str, months: int = BRIEF_MONTHS) -> pd.DataFrame:
    """One row per month of the `months` up to the night's month (month, `BRIEF_FIELDS`):
    each field's non-empty value with the latest ``reported_at`` on or before `night`.

    Rows as delivered or as resolved by the store alike (an empty cell never hides an older
    value); a row without ``reported_at`` counts as known 20 days after its month's end,
    as the contract says. Months with nothing known hold NaN.
    """
    cutoff = pd.Timestamp(night)
    end = cutoff.to_period("M").to_timestamp()
    window = pd.date_range(end - pd.DateOffset(months=months - 1), end, freq="MS")
    out = pd.DataFrame({"month": window})
    if indicators.empty:
        return out.assign(**{f: np.nan for f in BRIEF_FIELDS})
    month = _months(indicators["month"])
    reported = (
        _days(indicators["reported_at"])
        if "reported_at" in indicators
        else pd.Series(pd.NaT, index=month.index)
    )
    default = month + pd.offsets.MonthEnd(0) + pd.Timedelta(days=INDICATOR_REPORT_LAG_DAYS)
    reported = reported.fillna(default)
    fields = {
        f: pd.to_numeric(indicators[f], errors="coerce") if f in indicators else np.nan for f in BRIEF_FIELDS
    }
    rows = pd.DataFrame({"month": month, "reported_at": reported, **fields})
    rows = rows.loc[(rows["reported_at"] <= cutoff) & rows["month"].isin(window)]
    # groupby().last() takes each column's last non-missing value: field-by-field vintages.
    latest = (
        rows.sort_values(["month", "reported_at"], kind="stable").groupby("month")[list(BRIEF_FIELDS)].last()
    )
    return out.merge(latest.reset_index(), on="month", how="left")


def known_incidents(incidents: pd.DataFrame, night: str) -> pd.DataFrame:
    """Incidents reported on or before `night` (an empty ``reported_at`` is the day the
    incident started), latest first."""
    if incidents.empty:
        return incidents.iloc[0:0]
    started = _days(incidents["started"])
    reported = _days(incidents["reported_at"]) if "reported_at" in incidents else started
    known = reported.fillna(started) <= pd.Timestamp(night)
    out = incidents.loc[known].assign(_started=started[known])
    return out.sort_values("_started", ascending=False, kind="stable").drop(columns="_started")


def known_actions(actions: pd.DataFrame, night: str) -> pd.DataFrame:
    """Actions recorded by the end of the night's day in Vietnam (`outputs.actions.night_cutoff`),
    latest first; an action without a readable ``recorded_at`` is left out."""
    if actions.empty or "recorded_at" not in actions:
        return actions.iloc[0:0]
    recorded = pd.to_datetime(actions["recorded_at"].astype("str"), utc=True, format="mixed", errors="coerce")
    known = recorded < pd.Timestamp(night_cutoff(night))
    return actions.loc[known.to_numpy()].iloc[::-1]


def svg_line_chart(values: Sequence[float], months: Sequence[pd.Timestamp], lang: str) -> str:
    """A small inline SVG line chart of monthly `values` (NaN: a gap), its y axis from 0 to
    the largest value, the first and last months under the x axis."""
    width, height = _CHART_W, _CHART_H
    plot_w, plot_h = width - _PAD_L - 6, height - _PAD_B - _PAD_T
    finite = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    top = max(finite) if finite and max(finite) > 0 else 1.0
    n = max(len(values) - 1, 1)

    def x(i: int) -> float:
        return _PAD_L + plot_w * i / n

    def y(v: float) -> float:
        return _PAD_T + plot_h * (1 - v / top)

    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-hidden="true">',
        f'<line x1="{_PAD_L}" y1="{y(0):.1f}" x2="{width - 6}" y2="{y(0):.1f}" stroke="#888"/>',
        f'<line x1="{_PAD_L}" y1="{_PAD_T}" x2="{_PAD_L}" y2="{y(0):.1f}" stroke="#888"/>',
        f'<text x="{_PAD_L - 3}" y="{_PAD_T + 8}" text-anchor="end" font-size="9">'
        f"{_e(format_number(top, lang, 1 if top < 10 else 0))}</text>",
        f'<text x="{_PAD_L - 3}" y="{y(0):.1f}" text-anchor="end" font-size="9">0</text>',
    ]
    runs: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if isinstance(v, (int, float)) and math.isfinite(v):
            runs[-1].append(f"{x(i):.1f},{y(v):.1f}")
        elif runs[-1]:
            runs.append([])
    for run in runs:
        if len(run) > 1:
            parts.append(
                f'<polyline fill="none" stroke="#b00000" stroke-width="1.6" points="{" ".join(run)}"/>'
            )
        elif run:
            cx, cy = run[0].split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="1.8" fill="#b00000"/>')
    if months:
        parts.append(
            f'<text x="{_PAD_L}" y="{height - 4}" font-size="9">{_e(format_month(months[0], lang))}</text>'
            f'<text x="{width - 6}" y="{height - 4}" font-size="9" text-anchor="end">'
            f"{_e(format_month(months[-1], lang))}</text>"
        )
    if not finite:
        parts.append(
            f'<text x="{_PAD_L + plot_w / 2:.1f}" y="{_PAD_T + plot_h / 2:.1f}" font-size="10" '
            f'text-anchor="middle" fill="#555">{_e(t("brief_no_figures", lang))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _label_or_text(family: str, code: object, lang: str) -> str:
    """The catalogue's words for a stored code, else the code as it is (escaped later)."""
    if code is None or (isinstance(code, float) and math.isnan(code)) or code == "":
        return ""
    return label(family, code, lang) if has_label(family, code) else plain_text(code)


def _facts(pairs: Sequence[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in pairs if v)
    return f'<dl class="facts">{rows}</dl>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending with "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _more(total: int, lang: str) -> str:
    return (
        f'<p class="note">{_e(t("brief_more", lang, n=total - MAX_LISTED))}</p>' if total > MAX_LISTED else ""
    )


def _cell(record: pd.Series, column: str) -> object:
    value = record.get(column)
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def brief_html(
    enterprise_id: str,
    night: str,
    ranking: pd.DataFrame,
    indicators: pd.DataFrame,
    incidents: pd.DataFrame,
    actions: pd.DataFrame,
    *,
    why_moved: str | None = None,
    lang: str = "vi",
) -> str:
    """One self-contained printable HTML page about `enterprise_id` on `night` (see the
    module docstring): inline CSS with an A4 ``@media print`` stylesheet, inline SVG charts,
    no script and no external URL. Every value from the data is escaped.

    ``ranking`` is the night's whole ranking (rank out of its rows); ``indicators``,
    ``incidents`` and ``actions`` may hold other firms' rows too (they are filtered) and
    rows unknown on the night (they are left out). A firm absent from the ranking gets a
    page that says it was not scored that night.
    """
    lang = check_lang(lang)
    night = str(pd.Timestamp(night).date())
    night_text = format_date(night, lang)

    def mine(frame: pd.DataFrame) -> pd.DataFrame:
        if "enterprise_id" not in frame.columns:
            return frame.iloc[0:0]
        return frame.loc[frame["enterprise_id"].astype("str") == enterprise_id]

    row = mine(ranking)
    record = row.iloc[0] if len(row) else pd.Series(dtype="object")
    name = _cell(record, "name") or enterprise_id
    place = ", ".join(
        plain_text(v)
        for v in (
            _cell(record, "zone_id"),
            _cell(record, "commune"),
            _cell(record, "district"),
            _cell(record, "province"),
        )
        if v
    )
    sector = _cell(record, "sector")
    facts = [
        (t("enterprise_id", lang), _e(enterprise_id)),
        (t("brief_place", lang), _e(place)),
        (
            t("sector", lang),
            _e(
                f"{label('sector', sector, lang)} ({sector})" if has_label("sector", sector) else sector or ""
            ),
        ),
        (t("ownership", lang), _e(_label_or_text("ownership", _cell(record, "ownership"), lang))),
        (t("night", lang), _e(night_text)),
    ]
    if len(row):
        band = str(_cell(record, "band") or "")
        score = t(
            "score_line",
            lang,
            score=format_probability(_cell(record, "score"), lang),
            rank=format_number(_cell(record, "rank"), lang),
            total=format_number(len(ranking), lang),
            band=_label_or_text("band", band, lang),
        )
        reasons_text = _cell(record, "reasons" if lang == "vi" else "reasons_en") or ""
        reasons = [r.strip() for r in str(reasons_text).split(";") if r.strip()]
        reasons_html = (
            "<ul>" + "".join(f"<li>{_e(r)}</li>" for r in reasons) + "</ul>"
            if reasons
            else '<p class="empty">-</p>'
        )
        score_html = (
            f'<p class="score band-{_e(band)}">{_e(score)}</p><h2>{_e(t("reasons", lang))}</h2>{reasons_html}'
        )
    else:
        score_html = f'<p class="score">{_e(t("not_scored", lang, night=night_text))}</p>'
    if why_moved:
        score_html += f"<h2>{_e(t('why_moved', lang))}</h2><p>{_e(why_moved)}</p>"

    history = known_history(mine(indicators), night)
    months = list(history["month"])
    charts = ""
    for key, column in (
        ("brief_chart_arrears", "wage_arrears_vnd"),
        ("brief_chart_insurance", "insurance_debt_vnd"),
    ):
        values = [float(v) / 1e6 for v in history[column].to_numpy(dtype="float64")]
        charts += f'<div class="chart"><p>{_e(t(key, lang))}</p>{svg_line_chart(values, months, lang)}</div>'
    known_rows = history.dropna(how="all", subset=list(BRIEF_FIELDS))
    latest = ""
    if len(known_rows):
        last = known_rows.iloc[-1]
        latest = f"<h2>{_e(t('brief_latest', lang, month=format_month(last['month'], lang)))}</h2>" + _table(
            [t(f, lang) for f in BRIEF_FIELDS],
            [[_e(format_number(last[f], lang, 1 if f.endswith("months") else 0)) for f in BRIEF_FIELDS]],
        )

    past = known_incidents(mine(incidents), night)
    if len(past):
        rows = [
            [
                _e(format_date(_cell(r, "started"), lang)),
                _e(format_date(_cell(r, "ended"), lang)),
                _e(_label_or_text("kind", _cell(r, "kind"), lang)),
                _e(format_number(_cell(r, "participants"), lang)),
                _e(_label_or_text("cause", _cell(r, "cause"), lang)),
            ]
            for _, r in past.head(MAX_LISTED).iterrows()
        ]
        headers = [t(k, lang) for k in ("started", "ended", "kind", "participants", "cause")]
        incidents_html = _table(headers, rows) + _more(len(past), lang)
    else:
        incidents_html = f'<p class="empty">{_e(t("no_incidents", lang))}</p>'

    done = known_actions(mine(actions), night)
    if len(done):
        rows = [
            [
                _e(_label_or_text("action", _cell(r, "kind"), lang)),
                _e(format_date(_cell(r, "started"), lang)),
                _e(format_date(_cell(r, "ended"), lang)),
                _e(_label_or_text("outcome", _cell(r, "outcome"), lang)),
                _e(_shorten(str(_cell(r, "note") or ""), NOTE_CHARS)),
            ]
            for _, r in done.head(MAX_LISTED).iterrows()
        ]
        headers = [t(k, lang) for k in ("action", "started", "ended", "outcome", "note")]
        actions_html = _table(headers, rows) + _more(len(done), lang)
    else:
        actions_html = f'<p class="empty">{_e(t("brief_no_actions", lang))}</p>'

    title = f"{t('brief_heading', lang)}: {plain_text(name)}"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body>\n"
        f'<p class="sub">{_e(t("brief_heading", lang))} · {_e(t("brief_for_visit", lang))}</p>'
        f"<h1>{_e(name)}</h1>\n{_facts(facts)}\n{score_html}\n"
        f"<h2>{_e(t('indicators', lang, night=night_text))}</h2>"
        f'<div class="charts">{charts}</div>{latest}\n'
        f"<h2>{_e(t('incidents', lang))}</h2>{incidents_html}\n"
        f"<h2>{_e(t('actions', lang))}</h2>{actions_html}\n"
        f'<p class="note">{_e(t("brief_known_note", lang, night=night_text))}</p>\n'
        "</body></html>\n"
    )
