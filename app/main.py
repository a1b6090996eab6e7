"""The analysts' page (Streamlit script): ranking, enterprise (why it moved, brief, reviews,
actions), did the warnings work (supervisors), map, model and data freshness.

Thin on purpose: it reads the workspace, calls `app.views`, `app.supervisors`, `present` and
`data` for every figure, and lays out widgets. What costs seconds (the champion, a night's
features) is cached, keyed on the database's and the store's version. The URL carries the state a link needs (`?night=&page=&enterprise=&lang=`)
and is checked against the scored nights and known ids. Any failure shows as one line
(`st.error`), never a traceback. Run it with `ews dashboard`.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from app import supervisors, views
from app.views import plain
from app.workspace import Workspace, db_version, from_environment, point_mlflow_at, store_version
from data.database import Database
from data.errors import EwsError
from data.store import Store
from outputs.actions import (
    ACTION_KINDS,
    ACTION_OUTCOMES,
    VIETNAM,
    ActionRefused,
    latest_actions,
    read_actions,
    record_action,
)
from outputs.actions import MAX_NOTE_CHARS as MAX_ACTION_NOTE_CHARS
from outputs.actions import MAX_RECORDED_BY_CHARS as MAX_ACTION_BY_CHARS
from outputs.alerts import read_alerts
from outputs.audit import alias_history
from outputs.rankings import read_ranking, read_scores, score_runs, scored_dates
from outputs.reviews import (
    MAX_NOTE_CHARS,
    MAX_REVIEWER_CHARS,
    STATUSES,
    latest_reviews,
    read_reviews,
    record_review,
)
from outputs.views import (
    RankingFilter,
    apply_filter,
    check_filter,
    filter_options,
    score_history,
)
from present.exports import csv_bytes, xlsx_bytes
from present.movers import MovedSince, enterprise_movement, features_at, since_dates
from present.nightly_report import MOVER_TABLE_COLUMNS
from vocab.formats import (
    format_date,
    format_month,
    format_number,
    format_percent,
    format_probability,
    format_significant,
    format_timestamp,
)
from vocab.i18n import DEFAULT_LANG, LANGS, label, t
from vocab.terms import capacity_count

MAX_TABLE_ROWS = 1000
MAX_PICKER_ROWS = 300
LANG_NAMES = {"vi": "Tiếng Việt", "en": "English"}


# ----------------------------------------------------------------------------- cached reads


@st.cache_data(max_entries=8, show_spinner=False)
def _nights(db: Database, version: tuple[int | str, ...]) -> list[str]:
    return scored_dates(db)


@st.cache_data(max_entries=8, show_spinner=False)
def _ranking(db: Database, night: str, version: tuple[int | str, ...]) -> pd.DataFrame:
    return read_ranking(db, night)


@st.cache_data(max_entries=4, show_spinner=False)
def _runs(db: Database, version: tuple[int | str, ...]) -> pd.DataFrame:
    return score_runs(db)


@st.cache_resource(max_entries=2, show_spinner=False)
def _store_tables(store_dir: str, version: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The store's small tables, loaded once per delivery set (shared: never mutate them)."""
    store = Store(Path(store_dir))
    return {
        "enterprises": store.load_enterprises(),
        "incidents": store.load_incidents(),
        "deliveries": store.deliveries(),
    }


@st.cache_data(max_entries=32, show_spinner=False)
def _store_indicators(store_dir: str, version: tuple[str, ...], enterprise_id: str) -> pd.DataFrame:
    """One enterprise's indicator revisions, filtered while reading (the whole table is large)."""
    return Store(Path(store_dir)).load_indicators([enterprise_id])


@st.cache_resource(max_entries=2, show_spinner=False)
def _all_indicators(store_dir: str, version: tuple[str, ...]) -> pd.DataFrame:
    """Every indicator revision (features need the whole universe); shared: never mutate it."""
    return Store(Path(store_dir)).load_indicators()


@st.cache_data(max_entries=8, show_spinner=False)
def _features(store_dir: str, version: tuple[str, ...], as_of: str) -> pd.DataFrame:
    """Every enterprise's features as of `as_of`, from what was known then."""
    tables = _store_tables(store_dir, version)
    indicators = _all_indicators(store_dir, version)
    return features_at(tables["enterprises"], indicators, tables["incidents"], pd.Timestamp(as_of))


@st.cache_resource(max_entries=2, show_spinner=False)
def _champion(model_name: str, db: Database, version: tuple[int | str, ...]) -> tuple[Any, Any]:
    """The verified champion and its registered version; reloaded when the database changes
    (every champion move is recorded there)."""
    from models.champion import load_champion

    return load_champion(model_name, db)


@st.cache_data(max_entries=32, show_spinner=False)
def _moved(
    _model: Any,
    model_key: tuple[str, str],
    store_dir: str,
    store_key: tuple[str, ...],
    enterprise_id: str,
    night: str,
    firm_nights: tuple[str, ...],
) -> list[MovedSince]:
    """Why `enterprise_id` moved by `night` (cached per model version, deliveries and firm)."""
    from features.sets import feature_set

    now = _features(store_dir, store_key, night)
    before = [
        (kind, then, _features(store_dir, store_key, str(then.date())))
        for kind, then in since_dates(list(firm_nights), pd.Timestamp(night))
    ]
    return enterprise_movement(_model, feature_set(model_key[1]), enterprise_id, now, before)


@st.cache_data(max_entries=4, show_spinner=False)
def _scores(db: Database, nights: tuple[str, ...], version: tuple[int | str, ...]) -> pd.DataFrame:
    return read_scores(db, list(nights), ("as_of", "enterprise_id", "rank", "score", "band"))


# ----------------------------------------------------------------------------- helpers


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _lang() -> str:
    return str(st.session_state.get("lang", DEFAULT_LANG))


def _keyed(name: str) -> str:
    """The widget key of state `name` in the current language, seeded from the language-free value.

    A widget whose label changes with the language is a new widget to Streamlit; keying it
    per language and keeping the value under `name` lets a choice survive the switch.
    """
    key = f"{name}__{_lang()}"
    if key not in st.session_state and st.session_state.get(name) is not None:
        st.session_state[key] = st.session_state[name]
    return key


def _option_label(value: str | None, *, lang: str, family: str | None) -> str:
    """A filter option as shown: 'all' for no filter, codes of `family` translated, other values as they are."""
    if value is None:
        return t("all", lang)
    return label(family, value, lang) if family else str(value)


def _open_enterprise(enterprise_id: str | None) -> None:
    """Callback: show the enterprise page of `enterprise_id`."""
    if enterprise_id:
        st.session_state["enterprise"] = enterprise_id
        st.session_state["page"] = "enterprise"
        st.session_state[f"page__{_lang()}"] = "enterprise"


def _on_pick(key: str) -> None:
    _open_enterprise(st.session_state.get(key))


def _on_typed_id(key: str, known: set[str]) -> None:
    """Callback: open the typed tax code when it is a known enterprise, else say so."""
    typed = str(st.session_state.get(key) or "").strip()
    st.session_state["ent_input_error"] = typed if typed and typed not in known else None
    if typed in known:
        _open_enterprise(typed)


# ----------------------------------------------------------------------------- pages


def _ranking_page(ws: Workspace, ranking: pd.DataFrame, previous: pd.DataFrame | None, night: str) -> None:
    lang = _lang()
    st.header(t("ranking", lang, night=format_date(night, lang)))
    options = filter_options(ranking)
    columns = st.columns(3)
    chosen: dict[str, str | None] = {}
    for i, name in enumerate(("province", "district", "zone", "sector", "ownership", "band", "warning_kind")):
        values: list[str | None] = [None, *options[name]]
        with columns[i % 3]:
            chosen[name] = st.selectbox(
                t(name, lang),
                values,
                key=_keyed(f"f_{name}"),
                format_func=functools.partial(
                    _option_label,
                    lang=lang,
                    family=name if name in ("band", "ownership", "warning_kind") else None,
                ),
            )
            st.session_state[f"f_{name}"] = chosen[name]
    search = st.text_input(t("search", lang), key=_keyed("f_search"), max_chars=100)
    st.session_state["f_search"] = search
    choice = check_filter(RankingFilter(**chosen, search=search or None), ranking)
    shown = apply_filter(ranking, choice)
    reviews = latest_reviews(ws.db_path, up_to=night)
    actions = latest_actions(ws.db_path, up_to=night)
    st.caption(
        t("shown", lang, shown=format_number(len(shown), lang), total=format_number(len(ranking), lang))
    )
    st.dataframe(
        views.ranking_table(shown.head(MAX_TABLE_ROWS), lang, reviews, actions), hide_index=True, key="table"
    )
    if len(shown) > MAX_TABLE_ROWS:
        st.caption(t("rows_cap", lang, n=format_number(MAX_TABLE_ROWS, lang)))
    export = views.export_frame(shown, lang, reviews, actions)
    formats = (
        ("csv", csv_bytes, "text/csv"),
        ("xlsx", xlsx_bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )
    for column, (ext, to_bytes, mime) in zip(st.columns([1, 1, 4]), formats, strict=False):
        with column:
            st.download_button(
                t(f"download_{ext}", lang),
                functools.partial(to_bytes, export),
                file_name=f"ranking-{night}.{ext}",
                mime=mime,
                on_click="ignore",
                key=f"dl_{ext}",
            )
    picks = shown.head(MAX_PICKER_ROWS)
    names = dict(zip(picks["enterprise_id"], picks["name"].fillna(""), strict=True))
    st.selectbox(
        t("open_enterprise", lang),
        list(names),
        index=None,
        placeholder=t("choose", lang),
        key=f"pick__{lang}",
        format_func=lambda i: f"{i} — {names.get(i, '')}",
        on_change=_on_pick,
        args=(f"pick__{lang}",),
    )

    st.subheader(t("movers", lang, previous=format_date(st.session_state.get("previous_night"), lang) or "-"))
    if previous is None:
        st.info(t("no_movers", lang))
    else:
        moved = views.movers_table(ranking, previous, ws.capacity)
        if moved.empty:
            st.info(t("no_movers_found", lang))
        else:
            moved = moved.assign(
                kind=moved["kind"].map(lambda k: label("mover", k, lang)),
                score=moved["score"].map(lambda p: format_percent(p, lang, 2)),
            )
            table = views.labelled(moved, lang, list(MOVER_TABLE_COLUMNS))
            st.dataframe(table, hide_index=True, key="movers")

    st.subheader(t("rollups", lang))
    by = st.radio(
        t("rollup_by", lang),
        views.ROLLUP_COLUMNS[:3],
        horizontal=True,
        key=_keyed("rollup_by"),
        format_func=lambda c: t(c, lang),
    )
    st.session_state["rollup_by"] = by
    rolled = views.rollup(shown, by)
    headers = {
        by: t(by, lang),
        "enterprises": t("enterprises", lang),
        "flagged": t("flagged", lang),
        "mean_score": t("mean_score", lang),
    }
    left, right = st.columns([2, 3])
    with left:
        st.dataframe(
            rolled.assign(mean_score=rolled["mean_score"].map(lambda p: format_percent(p, lang, 2))).rename(
                columns=headers
            ),
            hide_index=True,
            key="rollup",
        )
    with right:
        top = rolled.head(15).set_index(by)[["flagged"]].rename(columns=headers)
        top.index.name = t(by, lang)
        st.bar_chart(top, horizontal=True, sort=False)


def _enterprise_page(
    ws: Workspace, ranking: pd.DataFrame, night: str, tables: dict[str, pd.DataFrame]
) -> None:
    lang = _lang()
    known = set(tables["enterprises"]["enterprise_id"]) | set(ranking["enterprise_id"])
    key = f"ent_input__{lang}"
    st.text_input(t("open_by_id", lang), key=key, max_chars=32, on_change=_on_typed_id, args=(key, known))
    if st.session_state.get("ent_input_error"):
        st.error(t("unknown_id", lang))
    enterprise_id = st.session_state.get("enterprise")
    if not enterprise_id:
        return
    info = tables["enterprises"].loc[tables["enterprises"]["enterprise_id"] == enterprise_id]
    row = ranking.loc[ranking["enterprise_id"] == enterprise_id]
    source = row.iloc[0] if len(row) else (info.iloc[0] if len(info) else None)
    name = "" if source is None else str(source["name"])
    st.header(plain(f"{name} ({enterprise_id})"))
    if source is not None:
        parts = [
            source.get("province"),
            source.get("district"),
            source.get("zone_id"),
            f"{t('sector', lang)} {source.get('sector')}",
            label("ownership", source["ownership"], lang)
            if isinstance(source.get("ownership"), str)
            else None,
        ]
        st.caption(" · ".join(plain(p) for p in parts if isinstance(p, str) and p))
    if row.empty:
        st.warning(t("not_scored", lang, night=format_date(night, lang)))
    else:
        r = row.iloc[0]
        st.markdown(
            "**"
            + t(
                "score_line",
                lang,
                score=format_percent(r["score"], lang, 2),
                rank=format_number(r["rank"], lang),
                total=format_number(len(ranking), lang),
                band=label("band", r["band"], lang),
            )
            + "**"
        )
        reasons = r["reasons_en"] if lang == "en" else r["reasons"]
        st.markdown(f"**{t('reasons', lang)}**")
        for reason in str(reasons or "").split("; "):
            if reason.strip():
                st.text("• " + reason.strip())
        if r.get("stale"):
            st.warning(f"{t('months_stale', lang)}: {format_number(r.get('months_stale'), lang)}")

    indicators = _store_indicators(str(ws.store_dir), store_version(ws.store_dir), enterprise_id)
    moved = _movement_section(ws, enterprise_id, night) if not row.empty else None
    _brief_section(ws, enterprise_id, night, ranking, indicators, tables["incidents"], moved)
    history = views.indicator_history(indicators, enterprise_id, night)
    st.subheader(t("indicators", lang, night=format_date(night, lang)))
    if history.empty:
        st.info(t("no_indicators", lang))
    else:
        history = history.assign(month=history["month"].map(lambda m: format_month(m, "en")))
        c1, c2, c3 = st.columns(3)
        for column, title, keys in (
            (c1, "chart_debt_months", ("wage_arrears_months", "insurance_debt_months")),
            (c2, "chart_debt_vnd", ("wage_arrears_vnd", "insurance_debt_vnd")),
            (c3, "chart_workforce", ("headcount", "layoffs", "reduced_hours_workers")),
        ):
            with column:
                st.caption(t(title, lang))
                st.line_chart(views.chart_frame(history, keys, lang))

    scores = score_history(ws.db_path, enterprise_id)
    scores = scores.loc[scores["as_of"] <= night]
    st.subheader(t("score_history", lang))
    if len(scores) > 1:
        chart = scores.set_index("as_of")[["score"]].rename(columns={"score": t("score", lang)})
        chart.index.name = t("as_of", lang)
        st.line_chart(chart)
    st.dataframe(
        views.labelled(
            scores.assign(
                as_of=scores["as_of"].map(lambda d: format_date(d, lang)),
                score=scores["score"].map(lambda p: format_percent(p, lang, 2)),
            ),
            lang,
            ["as_of", "rank", "score", "band", "model_version", "reasons"],
        ),
        hide_index=True,
        key="scores",
    )

    st.subheader(t("incidents", lang))
    incidents = views.incidents_known(tables["incidents"], enterprise_id, night)
    if incidents.empty:
        st.info(t("no_incidents", lang))
    else:
        shown = incidents.assign(
            started=incidents["started"].map(lambda d: format_date(d, lang)),
            ended=incidents["ended"].map(lambda d: format_date(d, lang)),
            participants=incidents["participants"].map(lambda n: format_number(n, lang)),
        )
        st.dataframe(
            views.labelled(shown, lang, ["started", "ended", "kind", "cause", "participants"]),
            hide_index=True,
            key="incidents",
        )

    _review_section(ws, enterprise_id, night, in_ranking=not row.empty)
    _actions_section(ws, enterprise_id, night)


def _movement_section(ws: Workspace, enterprise_id: str, night: str) -> list[MovedSince] | None:
    """Why the score moved since the previous scored night and a month before, on demand
    (loading the champion and building two nights' features takes seconds); the same
    computation as `ews explain` (`present.movers.enterprise_movement`)."""
    lang = _lang()
    st.subheader(t("moved_title", lang))
    if not st.toggle(t("moved_show", lang), key=_keyed("moved_show")):
        st.session_state["moved_show"] = False
        return None
    st.session_state["moved_show"] = True
    point_mlflow_at(ws)
    try:
        model, version = _champion(ws.model_name, ws.db_path, db_version(ws.db_path))
    except (EwsError, OSError) as exc:
        st.info(t("moved_unavailable", lang, reason=plain(_one_line(exc))))
        return None
    store_key = store_version(ws.store_dir)
    firm_nights = tuple(n for n in score_history(ws.db_path, enterprise_id)["as_of"] if n <= night)
    with st.spinner(t("moved_title", lang)):
        moved = _moved(
            model,
            (str(version.version), str(version.feature_set)),
            str(ws.store_dir),
            store_key,
            enterprise_id,
            night,
            firm_nights,
        )
    if not moved:
        st.info(t("moved_none", lang))
        return moved
    st.caption(t("moved_note", lang, version=plain(version.version)))
    for since in moved:
        title = "moved_previous_night" if since.kind == "previous_night" else "moved_month_before"
        st.markdown(f"**{t(title, lang, night=format_date(since.then, lang))}**")
        st.text(
            t(
                "moved_scores",
                lang,
                before=format_probability(since.score_before, lang),
                now=format_probability(since.score_now, lang),
            )
            + " · "
            + ((since.why if lang == "vi" else since.why_en) or t("moved_for_no_figure", lang))
        )
        table = views.contribution_table(since.contributions, lang)
        if table.empty:
            continue
        st.altair_chart(views.contribution_chart(since.contributions, lang), width="stretch")
        st.dataframe(table, hide_index=True, key=f"moved_{since.kind}")
        if abs(since.residual) >= 1e-9:
            st.caption(t("moved_residual", lang, value=format_significant(since.residual, lang, 2)))
    return moved


def _brief_section(
    ws: Workspace,
    enterprise_id: str,
    night: str,
    ranking: pd.DataFrame,
    indicators: pd.DataFrame,
    incidents: pd.DataFrame,
    moved: list[MovedSince] | None,
) -> None:
    """The printable one-page brief: offered for download and shown in a frame to print."""
    lang = _lang()
    st.subheader(t("page_brief_title", lang))
    try:
        from present.brief import brief_html
    except ImportError as exc:  # the brief's module ships separately
        st.info(t("page_brief_unavailable", lang, reason=plain(_one_line(exc))))
        return
    actions = read_actions(ws.db_path, enterprise_id=enterprise_id, up_to=night)

    why = views.moved_text(moved or [], lang) or None

    def html() -> str:
        return brief_html(
            enterprise_id, night, ranking, indicators, incidents, actions, why_moved=why, lang=lang
        )

    st.download_button(
        t("page_brief_download", lang),
        lambda: html().encode("utf-8"),
        file_name=f"brief-{enterprise_id}-{night}.html",
        mime="text/html",
        on_click="ignore",
        key="dl_brief",
    )
    shown = st.toggle(t("page_brief_show", lang), key=_keyed("page_brief_show"))
    st.session_state["page_brief_show"] = shown
    if shown:
        components.html(html(), height=1200, scrolling=True)


def _actions_section(ws: Workspace, enterprise_id: str, night: str) -> None:
    """Record what was done about the firm (append-only, with who and when), then list the
    actions recorded by the end of the night, latest first."""
    lang = _lang()
    st.subheader(t("act_record", lang))
    today = dt.datetime.now(VIETNAM).date()
    first_day = min(today, dt.date.fromisoformat(night))
    date_format = "DD/MM/YYYY" if lang == "vi" else "YYYY-MM-DD"
    with st.form("action_form", clear_on_submit=True):
        kind = st.selectbox(
            t("action", lang),
            ACTION_KINDS,
            format_func=lambda k: label("action", k, lang),
            key=f"act_kind__{lang}",
        )
        left, right = st.columns(2)
        started = left.date_input(
            t("act_started", lang),
            value=first_day,
            max_value=today,
            format=date_format,
            key=f"act_started__{lang}",
        )
        ended = right.date_input(
            t("act_ended", lang), value=None, max_value=today, format=date_format, key=f"act_ended__{lang}"
        )
        outcomes: list[str | None] = [None, *ACTION_OUTCOMES]
        outcome = st.selectbox(
            t("outcome", lang),
            outcomes,
            format_func=lambda o: t("act_outcome_none", lang) if o is None else label("outcome", o, lang),
            key=f"act_outcome__{lang}",
        )
        note = st.text_area(t("note", lang), max_chars=MAX_ACTION_NOTE_CHARS, key=f"act_note__{lang}")
        who = st.text_input(
            t("reviewer", lang),
            max_chars=MAX_ACTION_BY_CHARS,
            key=f"act_by__{lang}",
            value=st.session_state.get("reviewer_name", ""),
        )
        if st.form_submit_button(t("act_save", lang)):
            try:
                saved = record_action(
                    ws.db_path,
                    enterprise_id=enterprise_id,
                    kind=str(kind),
                    started=str(started) if started else "",
                    ended=str(ended) if ended else None,
                    outcome=outcome,
                    note=note or None,
                    recorded_by=who,
                )
            except ActionRefused as exc:
                st.error(f"{t('error', lang)}: {plain(_one_line(exc))}")
            else:
                st.session_state["reviewer_name"] = saved.recorded_by
                st.success(t("act_saved", lang))
    st.markdown(f"**{t('actions', lang)}**")
    st.caption(t("act_listed_from", lang, night=format_date(night, lang)))
    past = read_actions(ws.db_path, enterprise_id=enterprise_id, up_to=night)
    if past.empty:
        st.info(t("act_none", lang))
    else:
        st.dataframe(views.actions_table(past, lang), hide_index=True, key="actions")


def _review_section(ws: Workspace, enterprise_id: str, night: str, *, in_ranking: bool) -> None:
    lang = _lang()
    st.subheader(t("review", lang))
    if in_ranking:
        with st.form("review_form", clear_on_submit=True):
            status = st.radio(
                t("status", lang),
                STATUSES,
                format_func=lambda s: label("status", s, lang),
                horizontal=True,
                key=f"review_status__{lang}",
            )
            note = st.text_area(t("note", lang), max_chars=MAX_NOTE_CHARS, key=f"review_note__{lang}")
            reviewer = st.text_input(
                t("reviewer", lang),
                max_chars=MAX_REVIEWER_CHARS,
                key=f"review_reviewer__{lang}",
                value=st.session_state.get("reviewer_name", ""),
            )
            if st.form_submit_button(t("save_review", lang)):
                saved = record_review(
                    ws.db_path,
                    enterprise_id=enterprise_id,
                    as_of=night,
                    status=str(status),
                    note=note,
                    reviewer=reviewer,
                )
                st.session_state["reviewer_name"] = saved.reviewer
                st.success(t("review_saved", lang))
    st.markdown(f"**{t('past_reviews', lang)}**")
    past = read_reviews(ws.db_path, enterprise_id=enterprise_id, up_to=night)
    if past.empty:
        st.info(t("no_reviews", lang))
    else:
        st.dataframe(views.reviews_table(past, lang), hide_index=True, key="reviews")


def _supervisors_page(
    ws: Workspace, ranking: pd.DataFrame, night: str, nights: list[str], tables: dict[str, pd.DataFrame]
) -> None:
    """Did the warnings work? Closed months' stoppages and the warnings before them, calibration
    by band, the champion's history and the nights' alerts, as known on `night`."""
    lang = _lang()
    version = db_version(ws.db_path)
    st.header(t("page_supervisors", lang))
    k = capacity_count(len(ranking), ws.capacity) if len(ranking) else 1
    st.caption(t("sv_intro", lang, k=format_number(k, lang)))
    scores = _scores(ws.db_path, tuple(n for n in nights if n <= night), version)
    incidents = tables["incidents"]
    events = supervisors.closed_month_events(
        scores, incidents, night, capacity=ws.capacity, horizon_months=ws.horizon_months
    )
    monthly = supervisors.monthly_summary(events)
    if monthly.empty:
        st.info(t("sv_no_stoppages", lang))
    else:
        st.altair_chart(views.warned_chart(monthly, lang), width="stretch")
        shown = monthly.assign(
            warned_share=monthly["warned_share"].map(lambda p: format_percent(p, lang, 0)),
            median_lead_days=monthly["median_lead_days"].map(lambda d: format_number(d, lang)),
        )
        st.dataframe(views.keyed_table(shown, lang, "sv_"), hide_index=True, key="sv_months")
        st.markdown(f"**{t('sv_events', lang)}**")
        names = tables["enterprises"].set_index("enterprise_id")["name"]
        listed = events.sort_values("started", ascending=False, kind="stable").assign(
            name=lambda e: e["enterprise_id"].map(names).fillna(""),
            started=lambda e: e["started"].map(lambda d: format_date(d, lang)),
            first_warned=lambda e: e["first_warned"].map(lambda d: format_date(d, lang)),
            warned=lambda e: e["warned"].map(lambda w: t("yes" if w else "no", lang)),
            lead_days=lambda e: e["lead_days"].map(lambda d: format_number(d, lang)),
        )
        st.dataframe(
            views.keyed_table(
                listed.loc[:, ["enterprise_id", "name", "started", "warned", "first_warned", "lead_days"]],
                lang,
                "sv_",
            ),
            hide_index=True,
            key="sv_events",
        )

    st.subheader(t("sv_calibration", lang))
    st.caption(t("sv_calibration_note", lang, h=format_number(ws.horizon_months, lang)))
    calibration = supervisors.band_calibration(scores, incidents, night, horizon_months=ws.horizon_months)
    if calibration.empty:
        st.info(t("sv_no_calibration", lang))
    else:
        left, right = st.columns([3, 2])
        with left:
            st.altair_chart(views.calibration_chart(calibration, lang), width="stretch")
        with right:
            shown = calibration.rename(columns={"nights": "nights_used"}).assign(
                rows=calibration["rows"].map(lambda n: format_number(n, lang)),
                predicted=calibration["predicted"].map(lambda p: format_percent(p, lang, 2)),
                observed=calibration["observed"].map(lambda p: format_percent(p, lang, 2)),
                complete=calibration["complete"].map(lambda c: t("yes" if c else "no", lang)),
            )
            st.dataframe(views.keyed_table(shown, lang, "sv_"), hide_index=True, key="sv_calibration")

    st.subheader(t("sv_models", lang))
    runs = _runs(ws.db_path, version)
    per_night = supervisors.night_versions(runs, night)
    if len(per_night) > 1:
        st.altair_chart(views.versions_chart(per_night, lang), width="stretch")
    moves = supervisors.champion_changes(alias_history(ws.db_path, ws.model_name))
    if moves.empty:
        st.info(t("sv_no_models", lang))
    else:
        shown = moves.assign(at=moves["at"].map(lambda d: format_timestamp(d, lang)))
        st.dataframe(views.keyed_table(shown, lang, "sv_"), hide_index=True, key="sv_models")

    st.subheader(t("sv_alerts", lang))
    alerts = supervisors.alerts_up_to(read_alerts(ws.db_path), night)
    if alerts.empty:
        st.info(t("sv_no_alerts", lang))
    else:
        st.altair_chart(views.alerts_chart(alerts, lang), width="stretch")
        shown = alerts.assign(
            as_of=alerts["as_of"].map(lambda d: format_date(d, lang)),
            alert_kind=alerts["kind"],
        )
        st.dataframe(
            views.keyed_table(shown.loc[:, ["as_of", "severity", "alert_kind", "message"]], lang, "sv_"),
            hide_index=True,
            key="sv_alerts",
        )


def _map_page(ws: Workspace, ranking: pd.DataFrame, night: str) -> None:
    """The night's risk by area on a map (`present.map`), from the workspace's area coordinates."""
    lang = _lang()
    st.header(t("page_map_title", lang, night=format_date(night, lang)))
    try:
        from present import map as area_maps
    except ImportError as exc:  # the map's module ships separately
        st.info(t("page_map_unavailable", lang, reason=plain(_one_line(exc))))
        return
    try:
        areas = area_maps.areas_table(ws.root)
    except EwsError as exc:  # a bad areas.csv: one line, and the rest of the page still works
        st.error(f"{t('error', lang)}: {plain(_one_line(exc))}")
        return
    chart = area_maps.area_map(ranking, areas, lang=lang)
    if chart is None:
        st.info(t("page_map_none", lang))
    else:
        st.altair_chart(chart, width="stretch")


def _freshness_page(
    ws: Workspace, ranking: pd.DataFrame, night: str, tables: dict[str, pd.DataFrame]
) -> None:
    lang = _lang()
    runs = _runs(ws.db_path, db_version(ws.db_path))
    facts = views.freshness(runs, tables["deliveries"], ranking, night)
    st.header(t("page_freshness", lang))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("model_scored", lang), str(facts["model"] or "-"))
    c2.metric(t("last_delivery", lang), format_timestamp(facts["last_delivery"], lang) or "-")
    c3.metric(t("stale_count", lang), format_number(facts["stale"], lang))
    st.text(f"{t('run_id', lang)}: {facts['run_id'] or '-'}")
    st.text(f"{t('published_at', lang)}: {format_timestamp(facts['published_at'], lang) or '-'}")
    st.subheader(t("nights", lang))
    nights = runs.assign(
        as_of=runs["as_of"].map(lambda d: format_date(d, lang)),
        published_at=runs["published_at"].map(lambda d: format_timestamp(d, lang)),
    )
    st.dataframe(
        views.labelled(nights, lang, ["as_of", "model_version", "run_id", "rows", "published_at"]),
        hide_index=True,
        key="runs",
    )
    st.subheader(t("deliveries", lang))
    deliveries = tables["deliveries"]
    if deliveries.empty:
        st.info(t("no_deliveries", lang))
    else:
        shown = deliveries.assign(
            ingested_at=deliveries["ingested_at"].map(lambda d: format_timestamp(d, lang))
        )
        st.dataframe(
            views.labelled(shown, lang, ["ingested_at", "source", "status"]),
            hide_index=True,
            key="deliveries",
        )
    all_reviews = read_reviews(ws.db_path)
    st.download_button(
        t("download_reviews", lang),
        lambda: csv_bytes(views.reviews_table(all_reviews, lang)),
        file_name="reviews.csv",
        mime="text/csv",
        on_click="ignore",
        key="dl_reviews",
        disabled=all_reviews.empty,
    )


# ----------------------------------------------------------------------------- the script


def _sidebar(nights: list[str]) -> tuple[str, str]:
    with st.sidebar:
        st.radio(
            t("language", _lang()), LANGS, format_func=LANG_NAMES.__getitem__, horizontal=True, key="lang"
        )
        lang = _lang()
        night = st.selectbox(
            t("night", lang),
            list(reversed(nights)),
            key=_keyed("night"),
            format_func=lambda d: format_date(d, lang),
        )
        page = st.radio(
            t("page", lang), views.PAGES, key=_keyed("page"), format_func=lambda p: t(f"page_{p}", lang)
        )
    st.session_state.update(night=night, page=page)
    return str(night), str(page)


def render() -> None:
    """Lay out the page for the current session and query parameters."""
    ws = from_environment()
    nights = _nights(ws.db_path, db_version(ws.db_path))
    lang = _lang()
    if not nights:
        st.title(t("title", lang))
        st.info(t("no_ranking", lang))
        return
    tables = _store_tables(str(ws.store_dir), store_version(ws.store_dir))
    if "initialised" not in st.session_state:
        params = {k: st.query_params.get(k) for k in ("night", "lang", "page", "enterprise")}
        known = set(tables["enterprises"]["enterprise_id"])
        request = views.parse_query({k: v for k, v in params.items() if v is not None}, nights, known)
        st.session_state.update(lang=request.lang, night=request.night, page=request.page, initialised=True)
        if request.enterprise:
            st.session_state["enterprise"] = request.enterprise
        for problem in request.problems:
            st.error(problem)
    night, page = _sidebar(nights)
    lang = _lang()
    st.title(t("title", lang))
    ranking = _ranking(ws.db_path, night, db_version(ws.db_path))
    before = views.previous_night(nights, night)
    st.session_state["previous_night"] = before
    previous = _ranking(ws.db_path, before, db_version(ws.db_path)) if before else None
    if page == "enterprise":
        _enterprise_page(ws, ranking, night, tables)
    elif page == "supervisors":
        _supervisors_page(ws, ranking, night, nights, tables)
    elif page == "map":
        _map_page(ws, ranking, night)
    elif page == "freshness":
        _freshness_page(ws, ranking, night, tables)
    else:
        _ranking_page(ws, ranking, previous, night)
    query: dict[str, Any] = {"night": night, "lang": lang, "page": page}
    if page == "enterprise" and st.session_state.get("enterprise"):
        query["enterprise"] = st.session_state["enterprise"]
    st.query_params.from_dict(query)


def main() -> None:
    """Render the page; any failure becomes one readable line."""
    st.set_page_config(page_title="labor-ews", layout="wide")
    try:
        render()
    except EwsError as exc:
        st.error(f"{t('error', _lang())}: {plain(_one_line(exc))}")
    except Exception as exc:  # noqa: BLE001 - the page's promise: one line, never a traceback
        st.error(f"{t('unexpected', _lang())}: {type(exc).__name__}: {plain(_one_line(exc))}")


if __name__ == "__main__":  # Streamlit runs the script as __main__; importing it draws nothing.
    main()
