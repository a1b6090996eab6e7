"""Nightly report: movers, escaping, sections, self-contained HTML, atomic write."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from present.nightly_report import movers, render_report, write_report


def _ranking(ids: list[str], names: dict[str, str] | None = None) -> pd.DataFrame:
    n = len(ids)
    names = names or {}
    return pd.DataFrame(
        {
            "as_of": "2026-01-31",
            "enterprise_id": ids,
            "rank": np.arange(1, n + 1),
            "score": np.linspace(0.9, 0.01, n),
            "band": ["high"] * 2 + ["elevated"] * 4 + ["low"] * (n - 6),
            "name": [names.get(i, f"Công ty {i}") for i in ids],
            "district": "Chí Linh",
            "sector": "14",
            "reasons": [f"nợ lương ({i})" for i in ids],
            "reasons_en": [f"wage arrears ({i})" for i in ids],
            "model_name": "labor-ews",
            "model_version": "7",
            "run_id": "run-1",
        }
    )


PREV = _ranking(list("abcdefghij"))
CUR = _ranking(
    list("aibcdefghj"), names={"i": "<script>alert(1)</script>", "a": '=HYPERLINK("http://x","y")'}
)


def test_movers() -> None:
    out = movers(CUR, PREV, k=3)
    assert out.iloc[0]["enterprise_id"] == "i" and out.iloc[0]["kind"] == "new_in_top_k"
    assert out.iloc[0]["previous_rank"] == 9 and out.iloc[0]["rank_change"] == 7
    assert out.iloc[0]["reasons"] == "nợ lương (i)"
    assert "riser" not in set(out["kind"])  # nobody else rose
    assert movers(CUR, None, k=3).empty


def test_report_escapes_and_has_sections() -> None:
    drift = pd.DataFrame({"column": ["<b>x</b>"], "psi": [0.3], "threshold": [0.1], "status": ["alert"]})
    fresh = pd.DataFrame({"province": ["Hải Dương"], "share_stale": [0.02]})
    churn = {"k": 3, "churn": 1 / 3, "jaccard": 0.5, "entrants": ["i"], "leavers": ["c"]}
    page = render_report(
        CUR,
        PREV,
        as_of="2026-01-31",
        k=3,
        freshness_summary=fresh,
        drift=drift,
        churn=churn,
        dashboard_url="https://ews.example.org/?a=1&b=<2>",
    )
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>x</b>" not in page
    assert "=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)" in page
    for anchor in ("summary", "top-k", "movers", "distribution", "freshness", "drift", "dashboard"):
        assert f'id="{anchor}"' in page
    assert "Tóm tắt (Summary)" in page and "nợ lương (i)" in page and "Hải Dương" in page
    # The page link opens the night; each top-k row opens its enterprise's page, query-encoded.
    assert 'href="https://ews.example.org/?a=1&amp;b=%3C2%3E&amp;night=2026-01-31&amp;lang=vi"' in page
    top_id = CUR.sort_values("rank")["enterprise_id"].iloc[0]
    assert f"?a=1&amp;b=%3C2%3E&amp;enterprise={top_id}&amp;night=2026-01-31&amp;lang=vi" in page
    assert "data:image/png;base64," in page
    # Self-contained: no external resource is referenced.
    assert not re.search(r'(src|href)="(?!data:|https://ews\.example\.org)', page)
    assert "<link" not in page and "<script" not in page


def test_report_english_and_unsafe_link() -> None:
    page = render_report(
        CUR,
        None,
        as_of="2026-01-31",
        k=3,
        freshness_summary=None,
        drift=None,
        churn=None,
        dashboard_url="javascript:alert(1)",
        lang="en",
    )
    assert "Summary" in page and "Tóm tắt" not in page
    assert "wage arrears (a)" in page
    assert "javascript:" not in page and 'id="dashboard"' not in page


def test_write_report_atomic(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "report-2026-01-31.html"
    write_report("<html>old</html>", target)
    write_report("<html>new</html>", target)
    assert target.read_text() == "<html>new</html>"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_report_shows_calibration_against_outcomes() -> None:
    calibration = pd.DataFrame(
        {
            "band": ["high", "all"],
            "nights": [3, 3],
            "rows": [30, 3000],
            "events": [9, 12],
            "mean_predicted": [0.05, 0.004],
            "observed_rate": [0.3, 0.004],
            "status": ["alert", "ok"],
        }
    )
    kwargs = {"freshness_summary": None, "drift": None, "churn": None, "dashboard_url": None}
    page = render_report(CUR, None, as_of="2026-01-31", k=3, calibration=calibration, **kwargs)  # type: ignore[arg-type]
    section = page[page.index('id="calibration"') :]
    assert "Calibration against outcomes" in section and 'class="status-alert"' in section
    assert ">0.3<" in section and ">3000<" in section
    empty = render_report(CUR, None, as_of="2026-01-31", k=3, calibration=None, **kwargs)  # type: ignore[arg-type]
    assert 'id="calibration"' in empty and "Not available" in empty[empty.index('id="calibration"') :]
