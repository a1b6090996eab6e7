"""What the analysts' page shows, as plain functions of frames (no Streamlit here).

Each function takes the published ranking, the store's tables or the review records and
returns the frame a section of the page displays or exports. Everything is per enterprise:
no worker appears anywhere. Dates a page is "as of" limit what it shows: an enterprise's
figures and incidents are those known on the chosen night, as the model saw them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from features.panel import INDICATOR_COLUMNS
from outputs.views import BANDS
from present.movers import MovedSince
from present.nightly_report import movers
from vocab.formats import (
    format_date,
    format_percent,
    format_probability,
    format_significant,
    format_timestamp,
)
from vocab.i18n import DEFAULT_LANG, LABELS, UnknownLanguage, check_lang, label, t
from vocab.terms import ENTERPRISE_ID_TYPED, capacity_count

#: Changed inputs drawn in the "why it moved" chart (the table lists them all).
CHART_INPUTS = 10
#: Roll-up dimensions the page offers (allow-listed: they become group-by columns).
ROLLUP_COLUMNS: tuple[str, ...] = ("district", "zone_id", "sector", "province")
PAGES: tuple[str, ...] = ("ranking", "enterprise", "supervisors", "map", "freshness")
#: What an analyst reads first comes first: who, how likely, why; then where and what.
TABLE_COLUMNS: tuple[str, ...] = (
    "rank",
    "enterprise_id",
    "name",
    "score",
    "band",
    "reasons",
    "district",
    "zone_id",
    "sector",
    "ownership",
)
_CODED = ("band", "ownership", "kind", "cause", "status", "action", "outcome")
_AS_OF = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class PageRequest:
    """The validated query parameters of a page load, plus one message per refused value."""

    night: str
    lang: str
    page: str
    enterprise: str | None
    problems: tuple[str, ...] = ()


def parse_query(params: Mapping[str, str], nights: Sequence[str], known_ids: set[str]) -> PageRequest:
    """Check `?night=&lang=&page=&enterprise=` against the scored nights and known ids.

    A refused value falls back to the default (latest night, Vietnamese, ranking page, no
    enterprise) and adds one readable problem naming the parameter (never echoing its value);
    nothing unchecked reaches the page.
    """
    problems: list[str] = []
    raw_lang = params.get("lang")
    try:
        lang = DEFAULT_LANG if raw_lang is None else check_lang(raw_lang)
    except UnknownLanguage:
        lang = DEFAULT_LANG
        problems.append(t("bad_param", lang, name="lang"))

    def allowed(name: str, pattern: re.Pattern[str], known: Collection[str]) -> str | None:
        """The parameter's value if it has the expected shape and is known; else None (and a problem)."""
        raw = params.get(name)
        if raw is None:
            return None
        if pattern.match(str(raw)) and raw in known:
            return str(raw)
        problems.append(t("bad_param", lang, name=name))
        return None

    night = allowed("night", _AS_OF, nights) or nights[-1]
    enterprise = allowed("enterprise", ENTERPRISE_ID_TYPED, known_ids)
    page = params.get("page") or ("enterprise" if enterprise else "ranking")
    if page not in PAGES:
        problems.append(t("bad_param", lang, name="page"))
        page = "ranking"
    if page == "enterprise" and enterprise is None:
        page = "ranking"
    return PageRequest(night=night, lang=lang, page=page, enterprise=enterprise, problems=tuple(problems))


def previous_night(nights: Sequence[str], night: str) -> str | None:
    """The scored night just before `night`, if any."""
    earlier = [n for n in nights if n < night]
    return earlier[-1] if earlier else None


def review_column(ranking: pd.DataFrame, latest: pd.DataFrame, lang: str) -> pd.Series:
    """Per ranking row, its enterprise's latest review as 'status (dd/mm/yyyy)', '' when none."""
    if latest.empty:
        return pd.Series("", index=ranking.index, dtype=object)
    text = {
        row.enterprise_id: f"{label('status', row.status, lang)} ({format_date(row.as_of, lang)})"
        for row in latest.itertuples(index=False)
    }
    return ranking["enterprise_id"].map(text).fillna("").astype(object)


def labelled(frame: pd.DataFrame, lang: str, columns: Sequence[str]) -> pd.DataFrame:
    """`columns` of `frame` with coded values and headers in `lang`; reasons in that language."""
    view = frame.copy()
    if lang == "en" and "reasons_en" in view.columns:
        view["reasons"] = view["reasons_en"]
    present = [c for c in columns if c in view.columns]
    view = view.loc[:, present]
    for column in view.columns:
        if column in _CODED:  # each coded column is named after its family in the catalogue
            view[column] = view[column].map(
                lambda v, family=column: label(family, v, lang) if isinstance(v, str) and v else v
            )
        if not pd.api.types.is_numeric_dtype(view[column]):
            view[column] = view[column].astype(object).where(view[column].notna(), "")
    return view.rename(columns={c: t(c, lang) for c in present})


def action_column(ranking: pd.DataFrame, latest: pd.DataFrame, lang: str) -> pd.Series:
    """Per ranking row, its enterprise's latest action (`outputs.actions.latest_actions`) as
    'kind (dd/mm/yyyy, outcome)', '' when none."""
    if latest.empty:
        return pd.Series("", index=ranking.index, dtype=object)
    text = {}
    for row in latest.itertuples(index=False):
        parts = [format_date(row.started, lang)]
        if isinstance(row.outcome, str) and row.outcome:
            parts.append(label("outcome", row.outcome, lang))
        text[row.enterprise_id] = f"{label('action', row.kind, lang)} ({', '.join(parts)})"
    return ranking["enterprise_id"].map(text).fillna("").astype(object)


def actions_table(actions: pd.DataFrame, lang: str) -> pd.DataFrame:
    """An enterprise's recorded actions for display: latest recorded first, codes and dates in `lang`."""
    view = actions.sort_values(["recorded_at", "id"], ascending=False, kind="stable").copy()
    view["action"] = view["kind"]
    for column in ("started", "ended"):
        view[column] = view[column].map(lambda d: format_date(d, lang) if d else "")
    view["recorded_at"] = view["recorded_at"].map(lambda d: format_timestamp(d, lang))
    return labelled(
        view, lang, ["action", "started", "ended", "outcome", "note", "recorded_by", "recorded_at"]
    )


def ranking_table(
    frame: pd.DataFrame,
    lang: str,
    reviews: pd.DataFrame | None = None,
    actions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ranking as the page shows it: labelled, score as a percentage, latest review and action."""
    view = frame.copy()
    view["score"] = view["score"].map(lambda p: format_percent(p, lang, 2))
    done = []  # what was done about the firm, beside its band: in sight without scrolling
    if actions is not None:
        view["last_action"] = action_column(view, actions, lang)
        done.append("last_action")
    if reviews is not None:
        view["last_review"] = review_column(view, reviews, lang)
        done.append("last_review")
    at = TABLE_COLUMNS.index("band") + 1
    return labelled(view, lang, [*TABLE_COLUMNS[:at], *done, *TABLE_COLUMNS[at:]])


def export_frame(
    frame: pd.DataFrame,
    lang: str,
    reviews: pd.DataFrame | None = None,
    actions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The current view for CSV/Excel: the contract's ranking columns, numeric score, labels in `lang`."""
    view = frame.copy()
    columns = [*TABLE_COLUMNS, "province", "as_of", "model_version"]
    if reviews is not None:
        view["last_review"] = review_column(view, reviews, lang)
        columns.append("last_review")
    if actions is not None:
        view["last_action"] = action_column(view, actions, lang)
        columns.append("last_action")
    return labelled(view, lang, columns)


def rollup(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per value of `by`: enterprises, how many are high or elevated, mean probability; most flagged first."""
    if by not in ROLLUP_COLUMNS:
        raise ValueError(f"cannot roll up by {by!r}; choose from {', '.join(ROLLUP_COLUMNS)}")
    keys = frame[by].astype("string").fillna("-")
    flagged = frame["band"].isin(BANDS[:2])
    grouped = pd.DataFrame({by: keys, "flagged": flagged, "score": frame["score"]}).groupby(by, sort=True)
    out = pd.DataFrame(
        {
            "enterprises": grouped.size(),
            "flagged": grouped["flagged"].sum().astype(int),
            "mean_score": grouped["score"].mean(),
        }
    ).reset_index()
    return out.sort_values(
        ["flagged", "mean_score", by], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)


def movers_table(current: pd.DataFrame, previous: pd.DataFrame | None, capacity: float) -> pd.DataFrame:
    """New entrants to the top k and the biggest risers since `previous` (the nightly report's rule)."""
    k = capacity_count(len(current), capacity) if len(current) else 1
    out = movers(current, previous, k)
    return out.assign(rank_change=pd.to_numeric(out["rank_change"], errors="coerce"))


def indicator_history(indicators: pd.DataFrame, enterprise_id: str, night: str) -> pd.DataFrame:
    """One row per month of `enterprise_id`'s figures known on `night`: the latest revision reported by then."""
    cutoff = pd.Timestamp(night)
    mine = indicators.loc[
        (indicators["enterprise_id"] == enterprise_id) & (indicators["reported_at"] <= cutoff)
    ]
    latest = mine.sort_values(["month", "reported_at"], kind="stable").groupby("month").tail(1)
    return latest.loc[:, ["month", *INDICATOR_COLUMNS, "reported_at"]].reset_index(drop=True)


def incidents_known(incidents: pd.DataFrame, enterprise_id: str, night: str) -> pd.DataFrame:
    """`enterprise_id`'s incidents reported by `night`, latest first."""
    cutoff = pd.Timestamp(night)
    mine = incidents.loc[(incidents["enterprise_id"] == enterprise_id) & (incidents["reported_at"] <= cutoff)]
    return mine.sort_values("started", ascending=False, kind="stable").reset_index(drop=True)


def chart_frame(history: pd.DataFrame, columns: Sequence[str], lang: str) -> pd.DataFrame:
    """Indicator `columns` indexed by month, headers in `lang`; amounts in millions of đồng (short axes)."""
    frame = history.set_index("month").loc[:, list(columns)].astype(float)
    frame.index.name = t("month", lang)
    names = {}
    for column in columns:
        if column.endswith("_vnd"):
            frame[column] = frame[column] / 1e6
            names[column] = t(f"{column}_million", lang)
        else:
            names[column] = t(column, lang)
    return frame.rename(columns=names)


def freshness(
    runs: pd.DataFrame, deliveries: pd.DataFrame, ranking: pd.DataFrame, night: str
) -> dict[str, object]:
    """Which model and run scored `night`, when it was published, the last delivery, the stale count."""
    run = runs.loc[runs["as_of"] == night]
    first = run.iloc[0] if len(run) else None
    last = deliveries["ingested_at"].max() if len(deliveries) else None
    stale = int(
        pd.to_numeric(ranking.get("stale", pd.Series(dtype=float)), errors="coerce").fillna(0).gt(0).sum()
    )
    return {
        "model": None if first is None else f"{first['model_name']} v{first['model_version']}",
        "run_id": None if first is None else str(first["run_id"]),
        "published_at": None if first is None else first["published_at"],
        "rows": None if first is None else int(first["rows"]),
        "last_delivery": last,
        "deliveries": len(deliveries),
        "stale": stale,
    }


def moved_text(moved: Sequence[MovedSince], lang: str) -> str:
    """Each comparison of `present.movers.enterprise_movement` as the line `ews explain` prints
    ("Since D: score a → b; why"), joined: what the brief says under "why it moved"."""
    return " · ".join(
        t(
            "moved_since",
            lang,
            night=format_date(since.then, lang),
            before=format_probability(since.score_before, lang),
            now=format_probability(since.score_now, lang),
            why=(since.why if lang == "vi" else since.why_en) or t("moved_for_no_figure", lang),
        )
        for since in moved
    )


def contribution_table(contributions: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The inputs that moved a score (`present.movers.contributions` rows) for display: the
    change in words in `lang` (the input's name when it has none), both values, the effect."""
    phrase = contributions["phrase" if lang == "vi" else "phrase_en"]
    view = pd.DataFrame(
        {
            "moved_phrase": phrase.where(phrase.notna(), contributions["input"]).astype(str),
            "moved_input": contributions["input"].astype(str),
            "moved_before": contributions["before"].map(lambda v: _shown_value(v, lang)),
            "moved_now": contributions["now"].map(lambda v: _shown_value(v, lang)),
            "moved_effect": contributions["effect"].map(lambda v: format_significant(v, lang, 2)),
        }
    )
    return view.rename(columns={c: t(c, lang) for c in view.columns})


def _shown_value(value: object, lang: str) -> str:
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return format_significant(value, lang)
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def contribution_chart(contributions: pd.DataFrame, lang: str, top: int = CHART_INPUTS) -> alt.Chart:
    """Bars of the `top` changed inputs' effects on the log-odds, largest first (red raises the
    score, green lowers it); the table beside it lists them all."""
    phrase = contributions["phrase" if lang == "vi" else "phrase_en"]
    data = pd.DataFrame(
        {
            "what": phrase.where(phrase.notna(), contributions["input"]).astype(str).str.slice(0, 90),
            "effect": contributions["effect"].astype(float),
        }
    ).head(top)
    data["up"] = data["effect"] > 0
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("effect:Q", title=t("moved_effect", lang)),
            y=alt.Y("what:N", sort=None, title=None, axis=alt.Axis(labelLimit=520)),
            color=alt.Color(
                "up:N", scale=alt.Scale(domain=[True, False], range=["#c0392b", "#27ae60"]), legend=None
            ),
            tooltip=[
                alt.Tooltip("what:N", title=t("moved_phrase", lang)),
                alt.Tooltip("effect:Q", format=".3f"),
            ],
        )
        .properties(height=alt.Step(22))
    )


def _time_axis(lang: str) -> alt.Axis:
    """A date axis written as the reader writes months (Vega's own labels are English)."""
    return alt.Axis(format="%m/%Y" if lang == "vi" else "%Y-%m", labelAngle=0)


def keyed_table(frame: pd.DataFrame, lang: str, prefix: str) -> pd.DataFrame:
    """`frame` for display: coded values in `lang`, missing as '', and each column headed by the
    catalogue's `prefix + column` when it has one, else by `column` (the page's own keys)."""
    view = labelled(frame, lang, list(frame.columns))
    headers = {t(c, lang): t(prefix + c, lang) for c in frame.columns if prefix + c in LABELS}
    return view.rename(columns=headers)


def warned_chart(monthly: pd.DataFrame, lang: str) -> alt.Chart:
    """Per closed month: bars of the stoppages, and of those warned before (in front)."""
    long = pd.concat(
        [
            pd.DataFrame(
                {"month": monthly["month"], "what": t("sv_stoppages", lang), "n": monthly["stoppages"]}
            ),
            pd.DataFrame({"month": monthly["month"], "what": t("sv_warned", lang), "n": monthly["warned"]}),
        ],
        ignore_index=True,
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("month:O", title=t("sv_month", lang)),
            xOffset=alt.XOffset("what:N", sort=None),
            y=alt.Y("n:Q", title=None),
            color=alt.Color("what:N", sort=None, title=None, scale=alt.Scale(range=["#7f8c8d", "#c0392b"])),
            tooltip=["month:O", "what:N", "n:Q"],
        )
        .properties(height=260)
    )


def calibration_chart(calibration: pd.DataFrame, lang: str) -> alt.Chart:
    """Per band: the mean predicted probability beside the observed share (percent)."""
    bands = calibration["band"].map(lambda b: label("band", b, lang))
    long = pd.concat(
        [
            pd.DataFrame(
                {"band": bands, "what": t("sv_predicted", lang), "p": 100 * calibration["predicted"]}
            ),
            pd.DataFrame({"band": bands, "what": t("sv_observed", lang), "p": 100 * calibration["observed"]}),
        ],
        ignore_index=True,
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("band:N", sort=list(bands), title=t("band", lang)),
            xOffset=alt.XOffset("what:N", sort=None),
            y=alt.Y("p:Q", title="%"),
            color=alt.Color("what:N", sort=None, title=None, scale=alt.Scale(range=["#2980b9", "#e67e22"])),
            tooltip=["band:N", "what:N", alt.Tooltip("p:Q", format=".2f")],
        )
        .properties(height=260)
    )


def versions_chart(per_night: pd.DataFrame, lang: str) -> alt.Chart:
    """The model version that scored each night (a step line: a champion change is a step)."""
    data = per_night.assign(as_of=pd.to_datetime(per_night["as_of"]))
    return (
        alt.Chart(data)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("as_of:T", title=t("as_of", lang), axis=_time_axis(lang)),
            y=alt.Y("model_version:Q", title=t("sv_version", lang), axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip("as_of:T"), alt.Tooltip("model_version:Q")],
        )
        .properties(height=200)
    )


def alerts_chart(alerts: pd.DataFrame, lang: str) -> alt.Chart:
    """How many alerts each night raised, by severity."""
    counts = alerts.groupby(["as_of", "severity"]).size().rename("n").reset_index()
    counts["as_of"] = pd.to_datetime(counts["as_of"])
    return (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("as_of:T", title=t("as_of", lang), axis=_time_axis(lang)),
            y=alt.Y("n:Q", title=None, axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("severity:N", title=t("sv_severity", lang)),
            tooltip=["as_of:T", "severity:N", "n:Q"],
        )
        .properties(height=200)
    )


def reviews_table(reviews: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Review records for display or export: newest first, statuses and dates in `lang`."""
    view = reviews.sort_values(["recorded_at", "review_id"], ascending=False, kind="stable").copy()
    view["as_of"] = view["as_of"].map(lambda d: format_date(d, lang))
    view["recorded_at"] = view["recorded_at"].map(lambda d: format_timestamp(d, lang))
    return labelled(view, lang, ["enterprise_id", "as_of", "status", "note", "reviewer", "recorded_at"])


def plain(text: object) -> str:
    """Text that Streamlit's Markdown shows literally: ASCII punctuation backslash-escaped, no newlines.

    Names come from deliveries and may hold `[link](...)`, `![img](...)`, `:red[...]` or
    `=HYPERLINK(...)`; escaped, they are displayed as the characters they are (B31).
    """
    value = " ".join(str(text).split())
    return "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in value)


_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def safe_float(value: object) -> float:
    """A finite float or NaN (for metrics and charts)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
    return number if np.isfinite(number) else float("nan")


__all__ = [
    "INDICATOR_COLUMNS",
    "action_column",
    "actions_table",
    "PAGES",
    "ROLLUP_COLUMNS",
    "PageRequest",
    "alerts_chart",
    "calibration_chart",
    "chart_frame",
    "contribution_chart",
    "contribution_table",
    "export_frame",
    "freshness",
    "incidents_known",
    "indicator_history",
    "keyed_table",
    "labelled",
    "moved_text",
    "movers_table",
    "parse_query",
    "plain",
    "previous_night",
    "ranking_table",
    "reviews_table",
    "review_column",
    "rollup",
    "safe_float",
    "versions_chart",
    "warned_chart",
]
