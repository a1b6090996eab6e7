"""The nightly report: one self-contained HTML page for the analysts and the operator.

No external assets (inline CSS, the chart as an inline base64 PNG, a restrictive
Content-Security-Policy), so the page can be mailed or archived and opened offline. Every
piece of text from data (names, reasons, districts) goes through `htmllib.escape`: names may hold
`<script>` or `=HYPERLINK(...)`. Labels come from the catalogue (`vocab.i18n`): Vietnamese with
English in parentheses by default, English alone with `lang="en"`. Figures are written as the
reader of the language writes them (`vocab.formats`): in Vietnamese `31/01/2026`, `3.000`,
`0,00905%`, band codes as their labels ("Cao"), never a scientific `9.051e-05`.
"""

from __future__ import annotations

import base64
import datetime as dt
import html as htmllib
import io
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from data.faults import pause_point
from present.exports import atomic_write_bytes, remove_leftovers, with_latest_actions
from present.signals import ACUTE, STRUCTURAL, kind_label
from vocab.formats import (
    format_date,
    format_month,
    format_number,
    format_percent,
    format_probability,
    format_significant,
)
from vocab.i18n import check_lang, label, t
from vocab.terms import BANDS

MOVER_COLUMNS: tuple[str, ...] = (
    "kind",
    "enterprise_id",
    "name",
    "rank",
    "previous_rank",
    "rank_change",
    "score",
    "previous_score",
    "band",
    "reasons",
    "reasons_en",
)

#: Columns whose header the report translates (others, e.g. of the drift table, stay technical).
_HEADERS: frozenset[str] = frozenset(
    {
        "rank",
        "enterprise_id",
        "name",
        "district",
        "sector",
        "score",
        "band",
        "reasons",
        "kind",
        "previous_rank",
        "rank_change",
        "why_moved",
        "warning_kind",
        "latest_action",
    }
)
#: Columns holding probabilities, shown as percentages (`vocab.formats.format_probability`).
_PROBABILITY_COLUMNS: frozenset[str] = frozenset(
    {"score", "previous_score", "mean_predicted", "observed_rate"}
)
#: Columns holding months, shown as `11/2026`.
_MONTH_COLUMNS: frozenset[str] = frozenset({"month", "latest_month"})

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em;color:#222;max-width:80em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.status-alert{background:#f8d7da}.status-warn{background:#fff3cd}.muted{color:#777}
img{max-width:100%}
"""


def _words(key: str, lang: str, **values: object) -> str:
    """A label of the catalogue: English alone, or Vietnamese with the English in parentheses."""
    en = t(key, "en", **values)
    return en if lang == "en" else f"{t(key, 'vi', **values)} ({en})"


def _label(key: str, lang: str, **values: object) -> str:
    """`_words`, escaped as HTML text."""
    return htmllib.escape(_words(key, lang, **values))


def _text(value: Any, lang: str, column: str | None = None) -> str:
    """`value` as the reader of `lang` writes it: numbers, dates and band codes in `lang`.

    Probabilities are percentages without scientific notation, counts have thousands
    separators, other numbers four significant digits; missing values are empty.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_text(v, lang) for v in value)
    if isinstance(value, bool | np.bool_):
        return t("yes" if value else "no", lang)
    if isinstance(value, int | np.integer):
        return format_number(value, lang)
    if isinstance(value, float | np.floating):
        if column in _PROBABILITY_COLUMNS:
            return format_probability(value, lang)
        return format_significant(value, lang)
    if isinstance(value, pd.Timestamp | dt.date):
        return format_month(value, lang) if column in _MONTH_COLUMNS else format_date(value, lang)
    if column == "band" and isinstance(value, str):
        return t("all", lang) if value == "all" else label("band", value, lang)
    return str(value)


def _e(value: Any, lang: str, column: str | None = None) -> str:
    """`_text`, escaped as HTML text: names may hold `<script>`."""
    return htmllib.escape(_text(value, lang, column))


def _table(
    frame: pd.DataFrame,
    columns: Sequence[str],
    lang: str,
    *,
    status_column: str | None = None,
    link: Callable[[dict[Any, Any]], str | None] | None = None,
) -> str:
    """An HTML table of `columns`; headers translated when known, every cell escaped.

    `link` maps a row to the URL its `enterprise_id` cell points at (the analysts' page).
    """
    head = "".join(f"<th>{_label(c, lang) if c in _HEADERS else _e(c, lang)}</th>" for c in columns)
    rows = []
    for record in frame.loc[:, list(columns)].to_dict(orient="records"):
        css = (
            f' class="status-{htmllib.escape(str(record[status_column]), quote=True)}"'
            if status_column and status_column in record
            else ""
        )
        href = link(record) if link is not None and "enterprise_id" in record else None
        cells = "".join(
            f'<td class="num">{_e(v, lang, str(c))}</td>'
            if isinstance(v, int | float | np.number) and not isinstance(v, bool)
            else f'<td><a href="{htmllib.escape(href, quote=True)}" rel="noopener noreferrer">{_e(v, lang)}</a></td>'
            if href is not None and c == "enterprise_id"
            else f"<td>{_e(v, lang, str(c))}</td>"
            for c, v in record.items()
        )
        rows.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


#: What the report and the analysts' page show of each mover.
MOVER_TABLE_COLUMNS: tuple[str, ...] = (
    "kind",
    "rank",
    "previous_rank",
    "rank_change",
    "enterprise_id",
    "name",
    "score",
    "band",
    "reasons",
    "why_moved",
)


def _why_moved(table: pd.DataFrame | None, lang: str) -> pd.Series | None:
    """enterprise_id → the words of its move in `lang` (None without a table)."""
    if table is None or table.empty:
        return None
    column = "why_en" if lang == "en" and "why_en" in table.columns else "why"
    return pd.Series(table[column].to_numpy(), index=table["enterprise_id"].astype(str))


def movers(
    current: pd.DataFrame, previous: pd.DataFrame | None, k: int, *, within: int | None = None
) -> pd.DataFrame:
    """Enterprises new in the top k, then the k biggest rank rises since the previous night.

    Rises count only for enterprises now within the top `within` (default 10·k, the `watch`
    band depth): in the long tail of near-zero scores rank jumps are noise. `rank_change` is
    previous rank − current rank (positive = rose). Without a previous night: empty.
    """
    if previous is None or previous.empty or current.empty:
        return pd.DataFrame(columns=list(MOVER_COLUMNS))
    within = 10 * k if within is None else within
    prev = previous.loc[:, ["enterprise_id", "rank", "score"]].rename(
        columns={"rank": "previous_rank", "score": "previous_score"}
    )
    merged = current.merge(prev, on="enterprise_id", how="left").sort_values("rank", kind="stable")
    merged["rank_change"] = merged["previous_rank"] - merged["rank"]
    new = merged.loc[(merged["rank"] <= k) & ~(merged["previous_rank"] <= k)].assign(kind="new_in_top_k")
    rest = merged.loc[(merged["rank"] <= within) & (merged["rank_change"] > 0)]
    rest = rest.loc[~rest["enterprise_id"].isin(new["enterprise_id"])]
    risers = rest.sort_values(["rank_change", "rank"], ascending=[False, True], kind="stable").head(k)
    out = pd.concat([new, risers.assign(kind="riser")], ignore_index=True)
    for column in MOVER_COLUMNS:
        if column not in out.columns:
            out[column] = None
    return out.loc[:, list(MOVER_COLUMNS)]


def _distribution_png(scores: np.ndarray, lang: str) -> str:
    """The histogram of the probabilities (log count axis) as a base64 PNG, deterministic bytes."""
    fig = Figure(figsize=(7, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    values = scores[np.isfinite(scores)]
    ax.hist(
        values, bins=50, range=(0, max(1e-9, float(values.max()) if len(values) else 1.0)), color="#b03a2e"
    )
    if len(values):
        ax.set_yscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: format_probability(x, lang, 2)))
    ax.set_xlabel(_words("score", lang))
    ax.set_ylabel(_words("enterprises", lang))
    # Fixed margins: tight_layout took 0.5 s of a profiled night.
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.17, top=0.96)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links: an escaped `javascript:` URL is still executable."""
    if not url:
        return None
    return url if urllib.parse.urlsplit(url).scheme.lower() in ("http", "https") else None


def page_url(base: str | None, **params: str) -> str | None:
    """`base` (an http(s) URL) with `params` added to its query; None when `base` is not safe."""
    url = _safe_url(base)
    if url is None:
        return None
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in query if k not in params] + list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _section(title: str, body: str, anchor: str) -> str:
    return f'<section id="{anchor}"><h2>{title}</h2>{body}</section>'


def _definition_list(items: Iterable[tuple[str, Any]], lang: str) -> str:
    """Rows of (escaped label, value); values written and escaped by `_e`."""
    return "<table>" + "".join(f"<tr><th>{k}</th><td>{_e(v, lang)}</td></tr>" for k, v in items) + "</table>"


def _action_text(record: pd.Series, lang: str) -> str:
    """A firm's latest action in words: "Hòa giải, 03/11/2026 – 05/11/2026, Đã thỏa thuận"; "" without one."""
    kind = record.get("action_kind")
    if kind is None or (isinstance(kind, float) and np.isnan(kind)):
        return ""
    started, ended, outcome = (record.get(c) for c in ("action_started", "action_ended", "action_outcome"))
    dates = format_date(started, lang) or str(started)
    if isinstance(ended, str) and ended:
        dates += f" – {format_date(ended, lang) or ended}"
    parts = [label("action", kind, lang), dates]
    if isinstance(outcome, str) and outcome:
        parts.append(label("outcome", outcome, lang))
    return ", ".join(parts)


def _with_action_text(frame: pd.DataFrame, actions: pd.DataFrame, as_of: str, lang: str) -> pd.DataFrame:
    """`frame` plus `latest_action`: each firm's latest action known on the night, in words."""
    acted = with_latest_actions(frame, actions, as_of=as_of)
    return frame.assign(latest_action=[_action_text(r, lang) for _, r in acted.iterrows()])


def _kind_counts(ranking: pd.DataFrame, lang: str) -> str:
    """High and elevated warnings by kind: "Cao: Cấp tính 12, Cơ cấu 424; Khá cao: …"."""
    kinds = ranking["warning_kind"]
    parts = []
    for band in BANDS[:2]:
        in_band = kinds[ranking["band"] == band]
        counts = [(kind_label(k, lang), int((in_band == k).sum())) for k in (ACUTE, STRUCTURAL)]
        unknown = int((~in_band.isin([ACUTE, STRUCTURAL])).sum())
        if unknown:
            counts.append((t("top_unclassified", lang), unknown))
        shown = ", ".join(f"{words} {format_number(n, lang)}" for words, n in counts)
        parts.append(f"{label('band', band, lang)}: {shown}")
    return "; ".join(parts)


def render_report(
    ranking: pd.DataFrame,
    previous: pd.DataFrame | None,
    *,
    as_of: str,
    k: int,
    freshness_summary: pd.DataFrame | None,
    drift: pd.DataFrame | None,
    churn: dict[str, Any] | None,
    dashboard_url: str | None,
    lang: str = "vi",
    calibration: pd.DataFrame | None = None,
    why_moved: pd.DataFrame | None = None,
    actions: pd.DataFrame | None = None,
) -> str:
    """The nightly report as one self-contained, escaped HTML page, in `lang` ("vi" or "en").

    `why_moved` (`present.movers.movers_table` rows for both languages: `enterprise_id`,
    `why` and `why_en`) says for each mover which changes of its figures moved its score.
    `actions` (rows of `outputs.actions.read_actions` or `latest_actions`) puts each top
    firm's and mover's latest action known on the night beside it.

    With a `warning_kind` column (`present.signals`), the summary counts high and elevated
    warnings by kind and the top k are listed acute first, in their own tables (firms of a
    night scored before kinds were kept last, as not classified).

    Sections: summary, top k with reasons, movers, score distribution, data freshness,
    drift and churn, calibration against outcomes (past nights whose horizon has closed), and a
    dashboard link when `dashboard_url` is an http(s) URL. Links keep ISO dates (`night=`);
    the text writes them in `lang`. An unknown `lang` raises `vocab.i18n.UnknownLanguage`.
    """
    lang = check_lang(lang)
    reasons_col = "reasons_en" if lang == "en" and "reasons_en" in ranking.columns else "reasons"
    ordered = ranking.sort_values("rank", kind="stable") if "rank" in ranking.columns else ranking

    def first(column: str) -> Any:
        return ordered[column].iloc[0] if column in ordered.columns and len(ordered) else None

    model = " ".join(str(x) for x in (first("model_name"), first("model_version")) if x is not None)
    has_kinds = (
        "warning_kind" in ordered.columns
        and "band" in ordered.columns
        and ordered["warning_kind"].notna().any()
    )
    band_counts = ordered["band"].value_counts() if "band" in ordered.columns else pd.Series(dtype=int)
    bands_text = ", ".join(
        f"{label('band', b, lang)}: {format_number(int(band_counts.get(b, 0)), lang)}" for b in BANDS
    )
    parts = [
        _section(
            _label("summary", lang),
            _definition_list(
                [
                    (_label("as_of", lang), format_date(as_of, lang) or as_of),
                    (_label("model", lang), model),
                    (_label("run", lang), first("run_id")),
                    (_label("scored", lang), len(ordered)),
                    (_label("bands", lang), bands_text),
                    *([(_label("warning_kinds", lang), _kind_counts(ordered, lang))] if has_kinds else []),
                ],
                lang,
            ),
            "summary",
        )
    ]
    top_cols = [
        c for c in ("rank", "enterprise_id", "name", "district", "sector", "score", "band") if c in ordered
    ]
    top = (
        ordered.head(k).assign(reasons=ordered.head(k)[reasons_col])
        if reasons_col in ordered
        else ordered.head(k)
    )
    top_cols += ["reasons"] if "reasons" in top.columns else []
    if actions is not None and "enterprise_id" in top.columns:
        top = _with_action_text(top, actions, as_of, lang)
        top_cols.append("latest_action")

    def enterprise_link(record: dict[Any, Any]) -> str | None:
        return page_url(dashboard_url, enterprise=str(record["enterprise_id"]), night=as_of, lang=lang)

    if has_kinds:
        groups = [
            ("top_acute", top["warning_kind"] == ACUTE),
            ("top_structural", top["warning_kind"] == STRUCTURAL),
            ("top_unclassified", ~top["warning_kind"].isin([ACUTE, STRUCTURAL])),
        ]
        top_body = "".join(
            f'<h3 id="{key.replace("_", "-")}">{_label(key, lang)} ({format_number(int(mask.sum()), lang)})</h3>'
            + _table(top.loc[mask], top_cols, lang, link=enterprise_link)
            for key, mask in groups
            if mask.any() or key != "top_unclassified"
        )
    else:
        top_body = _table(top, top_cols, lang, link=enterprise_link)
    parts.append(_section(f"{_label('top', lang)} (top {int(k)})", top_body, "top-k"))

    moved = movers(ordered, previous, k)
    no_previous = previous is None or previous.empty
    if moved.empty:
        movers_body = (
            f'<p class="muted">{_label("no_movers" if no_previous else "no_movers_found", lang)}</p>'
        )
    else:
        moved = moved.assign(
            kind=[label("mover", x, lang) for x in moved["kind"]],
            reasons=moved[reasons_col] if reasons_col in moved else moved["reasons"],
        )
        why = _why_moved(why_moved, lang)
        moved["why_moved"] = moved["enterprise_id"].map(why).fillna("") if why is not None else ""
        mover_cols = list(MOVER_TABLE_COLUMNS)
        if actions is not None:
            moved = _with_action_text(moved, actions, as_of, lang)
            mover_cols.append("latest_action")
        movers_body = _table(moved, mover_cols, lang, link=enterprise_link)
    before = (
        previous["as_of"].iloc[0] if previous is not None and len(previous) and "as_of" in previous else None
    )
    movers_title = _label("movers", lang, previous=format_date(before, lang) or "-")
    parts.append(_section(movers_title, movers_body, "movers"))

    scores = pd.to_numeric(ordered.get("score", pd.Series(dtype=float)), errors="coerce").to_numpy(np.float64)
    quantiles = np.nanquantile(scores, [0.5, 0.9, 0.99]) if np.isfinite(scores).any() else [np.nan] * 3
    chart = (
        f'<img alt="{_label("distribution", lang)}" src="data:image/png;base64,{_distribution_png(scores, lang)}">'
        f"<p>{_label('quantiles', lang)}: "
        + ", ".join(
            f"p{q} {_e(float(v), lang, 'score')}" for q, v in zip((50, 90, 99), quantiles, strict=True)
        )
        + "</p>"
    )
    parts.append(_section(_label("distribution", lang), chart, "distribution"))

    none = f'<p class="muted">{_label("none", lang)}</p>'
    fresh_body = (
        _table(freshness_summary, list(freshness_summary.columns), lang)
        if freshness_summary is not None and not freshness_summary.empty
        else none
    )
    parts.append(_section(_label("freshness", lang), fresh_body, "freshness"))

    drift_body = (
        _table(drift, list(drift.columns), lang, status_column="status")
        if drift is not None and not drift.empty
        else none
    )
    if churn:
        drift_body += f"<h3>{_label('churn', lang)}</h3>" + _definition_list(
            [
                ("k", churn.get("k")),
                ("churn", format_percent(churn.get("churn"), lang)),
                ("Jaccard", churn.get("jaccard")),
                (_label("entrants", lang), churn.get("entrants", [])),
                (_label("leavers", lang), churn.get("leavers", [])),
            ],
            lang,
        )
    parts.append(_section(_label("drift", lang), drift_body, "drift"))

    calibration_body = (
        f'<p class="muted">{_label("calibration_note", lang)}</p>'
        + _table(calibration, list(calibration.columns), lang, status_column="status")
        if calibration is not None and not calibration.empty
        else none
    )
    parts.append(_section(_label("calibration", lang), calibration_body, "calibration"))

    url = page_url(dashboard_url, night=as_of, lang=lang)
    if url:
        parts.append(
            f'<p id="dashboard"><a href="{htmllib.escape(url, quote=True)}" rel="noopener noreferrer">'
            f"{_label('dashboard', lang)}</a></p>"
        )

    title = f"{_label('report_title', lang)} — {htmllib.escape(format_date(as_of, lang) or as_of)}"
    csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_CSS}</style></head>\n<body><h1>{title}</h1>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def write_report(html: str, path: Path) -> Path:
    """Write the report atomically (temp file, fsync, `os.replace`, fsync dir)."""
    pause_point("report.before_write")
    if Path(path).parent.is_dir():
        remove_leftovers(Path(path).parent)  # temp files of a report killed mid-write
    return atomic_write_bytes(Path(path), html.encode("utf-8"))


__all__ = ["movers", "render_report", "write_report"]
