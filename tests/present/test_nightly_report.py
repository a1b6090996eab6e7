"""Nightly report: movers, escaping, sections, self-contained HTML, atomic write."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from present.nightly_report import movers, render_report, write_report
from vocab.i18n import UnknownLanguage


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


@pytest.mark.parametrize(
    ("lang", "words"), [("vi", "nợ BHXH tăng từ 2 lên 5 tháng"), ("en", "debt up from 2 to 5")]
)
def test_each_mover_says_why_it_moved(lang: str, words: str) -> None:
    why = pd.DataFrame(
        {
            "enterprise_id": ["i", "b"],
            "why": ["nợ BHXH tăng từ 2 lên 5 tháng", "<b>nợ</b>"],
            "why_en": ["social-insurance debt up from 2 to 5 months", "<b>debt</b>"],
        }
    )
    page = render_report(
        CUR, PREV, as_of="2026-01-31", k=3, freshness_summary=None, drift=None, churn=None,
        dashboard_url=None, lang=lang, why_moved=why,
    )  # fmt: skip
    movers_section = page[page.index('id="movers"') :].split("</section>")[0]
    assert words in movers_section
    assert ("Vì sao thay đổi" if lang == "vi" else "Why it moved") in movers_section
    assert "<b>" not in movers_section  # words come from names and figures: escaped


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
    # Vietnamese by default: probabilities as percentages, counts grouped, bands in words.
    assert ">30,0%<" in section and ">3.000<" in section and ">0,400%<" in section
    assert "<td>Cao</td>" in section and "<td>Tất cả</td>" in section
    english = render_report(CUR, None, as_of="2026-01-31", k=3, calibration=calibration, lang="en", **kwargs)  # type: ignore[arg-type]
    section = english[english.index('id="calibration"') :]
    assert ">30.0%<" in section and ">3,000<" in section and "<td>High</td>" in section
    empty = render_report(CUR, None, as_of="2026-01-31", k=3, calibration=None, **kwargs)  # type: ignore[arg-type]
    assert 'id="calibration"' in empty and "Not available" in empty[empty.index('id="calibration"') :]


def _tiny_scores() -> pd.DataFrame:
    """A night of a rare event: most probabilities far below 0.1%."""
    n = 2500
    ids = [f"{i:010d}" for i in range(n)]
    frame = _ranking(ids)
    return frame.assign(score=np.geomspace(0.4, 9.051e-05, n))


def test_vietnamese_report_writes_labels_dates_and_numbers_the_vietnamese_way() -> None:
    kwargs = {"freshness_summary": None, "drift": None, "churn": None, "dashboard_url": None}
    page = render_report(_tiny_scores(), None, as_of="2026-01-31", k=3, **kwargs)  # type: ignore[arg-type]
    assert "— 31/01/2026</h1>" in page and "<td>31/01/2026</td>" in page  # dates day first
    assert "2026-01-31" not in page  # no ISO date (without a dashboard there is no link to carry one)
    assert "Mức cảnh báo (Band)" in page
    assert "Cao: 2, Khá cao: 4, Theo dõi: 0, Thấp: 2.494" in page  # band labels, grouped counts
    assert "<td>2.500</td>" in page  # enterprises scored
    assert "<td>Cao</td>" in page and "<td>high</td>" not in page
    assert '<td class="num">40,0%</td>' in page  # the top score, a percentage with a decimal comma
    quantiles = re.search(r"Phân vị \(Quantiles\): p50 ([^,]+,[^,]+), p90", page)
    assert quantiles is not None and quantiles.group(1).endswith("%")


def test_no_score_is_ever_written_in_scientific_notation() -> None:
    kwargs = {"freshness_summary": None, "drift": None, "churn": None, "dashboard_url": None}
    ranking = _tiny_scores()
    ranking = ranking.assign(rank=ranking["rank"][::-1].to_numpy())  # the smallest score on top
    for lang, tiny in (("vi", "0,00905%"), ("en", "0.00905%")):
        page = render_report(ranking, None, as_of="2026-01-31", k=3, lang=lang, **kwargs)  # type: ignore[arg-type]
        text = re.sub(r"data:image/png;base64,[^\"]+", "", page)
        assert not re.search(r"\d[eE][+-]?\d", text), lang
        assert f'<td class="num">{tiny}</td>' in text, lang


def test_an_unknown_language_is_refused() -> None:
    kwargs = {"freshness_summary": None, "drift": None, "churn": None, "dashboard_url": None}
    with pytest.raises(UnknownLanguage, match="vi, en"):
        render_report(CUR, None, as_of="2026-01-31", k=3, lang="fr", **kwargs)  # type: ignore[arg-type]
