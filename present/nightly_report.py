"""The nightly report: one self-contained HTML page for the analysts and the operator.

No external assets (inline CSS, the chart as an inline base64 PNG, a restrictive
Content-Security-Policy), so the page can be mailed or archived and opened offline. Every
piece of text from data (names, reasons, districts) goes through `htmllib.escape`: names may hold
`<script>` or `=HYPERLINK(...)`. Labels are Vietnamese with English in parentheses by default.
"""

from __future__ import annotations

import base64
import html as htmllib
import io
import math
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from data.faults import pause_point
from present.exports import atomic_write_bytes, remove_leftovers
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

_LABELS: dict[str, tuple[str, str]] = {
    "title": ("Báo cáo chấm điểm hằng đêm", "Nightly scoring report"),
    "summary": ("Tóm tắt", "Summary"),
    "as_of": ("Ngày dữ liệu", "As of"),
    "model": ("Mô hình", "Model"),
    "run": ("Lần chạy", "Run"),
    "scored": ("Số doanh nghiệp được chấm điểm", "Enterprises scored"),
    "bands": ("Nhóm nguy cơ", "Bands"),
    "top": ("Doanh nghiệp nguy cơ cao nhất", "Highest-risk enterprises"),
    "movers": ("Biến động", "Movers"),
    "no_movers": ("Không có biến động (chưa có kết quả đêm trước?)", "No movers (no previous night?)"),
    "distribution": ("Phân bố điểm", "Score distribution"),
    "freshness": ("Độ mới của dữ liệu", "Data freshness"),
    "drift": ("Trôi dữ liệu và biến động top k", "Drift and churn"),
    "churn": ("Biến động top k", "Top-k churn"),
    "entrants": ("Mới vào", "Entrants"),
    "leavers": ("Rời khỏi", "Leavers"),
    "calibration": ("Hiệu chuẩn so với kết quả thực tế", "Calibration against outcomes"),
    "calibration_note": (
        "Các đêm đã qua đủ thời hạn dự báo: xác suất trung bình so với tỷ lệ xảy ra thực tế",
        "Past nights whose horizon has closed: mean predicted probability against the observed rate",
    ),
    "none": ("Không có dữ liệu", "Not available"),
    "dashboard": ("Mở bảng điều khiển", "Open the dashboard"),
    "rank": ("Hạng", "Rank"),
    "enterprise_id": ("Mã số thuế", "Tax code"),
    "name": ("Tên doanh nghiệp", "Name"),
    "district": ("Huyện", "District"),
    "sector": ("Ngành", "Sector"),
    "score": ("Điểm", "Score"),
    "band": ("Nhóm", "Band"),
    "reasons": ("Lý do", "Reasons"),
    "kind": ("Loại", "Kind"),
    "previous_rank": ("Hạng đêm trước", "Previous rank"),
    "rank_change": ("Tăng hạng", "Rank rise"),
    "new_in_top_k": ("Mới vào top k", "New in top k"),
    "riser": ("Tăng hạng mạnh", "Big riser"),
    "quantiles": ("Phân vị", "Quantiles"),
}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em;color:#222;max-width:80em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.status-alert{background:#f8d7da}.status-warn{background:#fff3cd}.muted{color:#777}
img{max-width:100%}
"""


def _label(key: str, lang: str) -> str:
    vi, en = _LABELS[key]
    return htmllib.escape(en if lang == "en" else f"{vi} ({en})")


def _e(value: Any) -> str:
    """Escape any value as HTML text; missing values as an empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float | np.floating):
        return htmllib.escape(f"{float(value):.4g}")
    if isinstance(value, pd.Timestamp):
        return htmllib.escape(value.strftime("%Y-%m-%d"))
    if isinstance(value, list | tuple):
        return htmllib.escape(", ".join(str(v) for v in value))
    return htmllib.escape(str(value))


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
    head = "".join(f"<th>{_label(c, lang) if c in _LABELS else _e(c)}</th>" for c in columns)
    rows = []
    for record in frame.loc[:, list(columns)].to_dict(orient="records"):
        css = (
            f' class="status-{_e(record[status_column])}"'
            if status_column and status_column in record
            else ""
        )
        href = link(record) if link is not None and "enterprise_id" in record else None
        cells = "".join(
            f'<td class="num">{_e(v)}</td>'
            if isinstance(v, int | float | np.number) and not isinstance(v, bool)
            else f'<td><a href="{htmllib.escape(href, quote=True)}" rel="noopener noreferrer">{_e(v)}</a></td>'
            if href is not None and c == "enterprise_id"
            else f"<td>{_e(v)}</td>"
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
)


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
    """The score histogram (log count axis) as a base64 PNG, deterministic bytes."""
    fig = Figure(figsize=(7, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    values = scores[np.isfinite(scores)]
    ax.hist(
        values, bins=50, range=(0, max(1e-9, float(values.max()) if len(values) else 1.0)), color="#b03a2e"
    )
    if len(values):
        ax.set_yscale("log")
    ax.set_xlabel("score" if lang == "en" else "điểm (score)")
    ax.set_ylabel("enterprises" if lang == "en" else "số doanh nghiệp (enterprises)")
    fig.tight_layout()
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


def _definition_list(items: Iterable[tuple[str, Any]]) -> str:
    return "<table>" + "".join(f"<tr><th>{k}</th><td>{_e(v)}</td></tr>" for k, v in items) + "</table>"


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
) -> str:
    """The nightly report as one self-contained, escaped HTML page.

    Sections: summary, top k with reasons, movers, score distribution, data freshness,
    drift and churn, calibration against outcomes (past nights whose horizon has closed), and a
    dashboard link when `dashboard_url` is an http(s) URL.
    """
    reasons_col = "reasons_en" if lang == "en" and "reasons_en" in ranking.columns else "reasons"
    ordered = ranking.sort_values("rank", kind="stable") if "rank" in ranking.columns else ranking

    def first(column: str) -> Any:
        return ordered[column].iloc[0] if column in ordered.columns and len(ordered) else None

    model = " ".join(str(x) for x in (first("model_name"), first("model_version")) if x is not None)
    band_counts = ordered["band"].value_counts() if "band" in ordered.columns else pd.Series(dtype=int)
    bands_text = ", ".join(f"{b}: {int(band_counts.get(b, 0))}" for b in BANDS)
    parts = [
        _section(
            _label("summary", lang),
            _definition_list(
                [
                    (_label("as_of", lang), as_of),
                    (_label("model", lang), model),
                    (_label("run", lang), first("run_id")),
                    (_label("scored", lang), len(ordered)),
                    (_label("bands", lang), bands_text),
                ]
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

    def enterprise_link(record: dict[Any, Any]) -> str | None:
        return page_url(dashboard_url, enterprise=str(record["enterprise_id"]), night=as_of, lang=lang)

    parts.append(
        _section(
            f"{_label('top', lang)} (top {int(k)})",
            _table(top, top_cols, lang, link=enterprise_link),
            "top-k",
        )
    )

    moved = movers(ordered, previous, k)
    if moved.empty:
        movers_body = f'<p class="muted">{_label("no_movers", lang)}</p>'
    else:
        moved = moved.assign(
            kind=[_LABELS[x][1] if lang == "en" else _LABELS[x][0] for x in moved["kind"]],
            reasons=moved[reasons_col] if reasons_col in moved else moved["reasons"],
        )
        movers_body = _table(moved, MOVER_TABLE_COLUMNS, lang, link=enterprise_link)
    parts.append(_section(_label("movers", lang), movers_body, "movers"))

    scores = pd.to_numeric(ordered.get("score", pd.Series(dtype=float)), errors="coerce").to_numpy(np.float64)
    quantiles = np.nanquantile(scores, [0.5, 0.9, 0.99]) if np.isfinite(scores).any() else [np.nan] * 3
    chart = (
        f'<img alt="{_label("distribution", lang)}" src="data:image/png;base64,{_distribution_png(scores, lang)}">'
        f"<p>{_label('quantiles', lang)}: p50 {_e(float(quantiles[0]))}, p90 {_e(float(quantiles[1]))}, "
        f"p99 {_e(float(quantiles[2]))}</p>"
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
                ("churn", churn.get("churn")),
                ("Jaccard", churn.get("jaccard")),
                (_label("entrants", lang), churn.get("entrants", [])),
                (_label("leavers", lang), churn.get("leavers", [])),
            ]
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

    title = f"{_label('title', lang)} — {_e(as_of)}"
    csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return (
        f'<!DOCTYPE html>\n<html lang="{"en" if lang == "en" else "vi"}"><head><meta charset="utf-8">'
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
