"""The analysts' page (Streamlit script): ranking, enterprise, model and data freshness.

Thin on purpose: it reads the workspace, calls `app.views` and `data` for every figure, and
lays out widgets. The URL carries the state a link needs (`?night=&page=&enterprise=&lang=`)
and is checked against the scored nights and known ids. Any failure shows as one line
(`st.error`), never a traceback. Run it with `ews dashboard`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from app import views
from app.views import plain
from app.workspace import Workspace, db_version, from_environment, store_version
from data.database import Database
from data.errors import EwsError
from data.store import Store
from outputs.rankings import read_ranking, score_runs, scored_dates
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
from present.nightly_report import MOVER_TABLE_COLUMNS
from vocab.formats import format_date, format_month, format_number, format_percent, format_timestamp
from vocab.i18n import DEFAULT_LANG, LANGS, label, t

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
    for i, name in enumerate(("province", "district", "zone", "sector", "ownership", "band")):
        values: list[str | None] = [None, *options[name]]
        with columns[i % 3]:
            chosen[name] = st.selectbox(
                t(name, lang),
                values,
                key=_keyed(f"f_{name}"),
                format_func=functools.partial(
                    _option_label, lang=lang, family=name if name in ("band", "ownership") else None
                ),
            )
            st.session_state[f"f_{name}"] = chosen[name]
    search = st.text_input(t("search", lang), key=_keyed("f_search"), max_chars=100)
    st.session_state["f_search"] = search
    choice = check_filter(RankingFilter(**chosen, search=search or None), ranking)
    shown = apply_filter(ranking, choice)
    reviews = latest_reviews(ws.db_path, up_to=night)
    st.caption(
        t("shown", lang, shown=format_number(len(shown), lang), total=format_number(len(ranking), lang))
    )
    st.dataframe(views.ranking_table(shown.head(MAX_TABLE_ROWS), lang, reviews), hide_index=True, key="table")
    if len(shown) > MAX_TABLE_ROWS:
        st.caption(t("rows_cap", lang, n=format_number(MAX_TABLE_ROWS, lang)))
    export = views.export_frame(shown, lang, reviews)
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
