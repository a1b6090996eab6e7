"""The one-page brief: escaped text, only what was known on the night, inline charts, no
external URL, a print stylesheet, Vietnamese first and English on request."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from present.brief import BRIEF_MONTHS, MAX_LISTED, brief_html, known_history

NIGHT = "2024-06-30"
FIRM = "0800000001"
NASTY = "<script>alert(1)</script> Công ty [/bold] & Co"


def _ranking() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "as_of": [NIGHT] * 3,
            "enterprise_id": [FIRM, "0800000002", "0800000003"],
            "rank": [2, 1, 3],
            "score": [0.25, 0.4, 0.01],
            "band": ["high", "high", "low"],
            "reasons": ["nợ lương 3 tháng; nợ BHXH <tăng>", "x", ""],
            "reasons_en": ["wage arrears 3 months; insurance debt <rose>", "x", ""],
            "name": [NASTY, "Other", "Third"],
            "province": ["Hải Dương"] * 3,
            "district": ["Cẩm Giàng", None, None],
            "zone_id": ["HD-KCN-01", None, None],
            "sector": ["14", "15", "26"],
            "ownership": ["fdi", "private", "state"],
        }
    )


def _indicators() -> pd.DataFrame:
    rows = [
        # month, arrears VND, insurance VND, reported_at
        ("2022-05", 999e6, 999e6, "2022-06-20"),  # before the 24-month window
        ("2024-02", 120e6, 40e6, "2024-03-20"),
        ("2024-03", 340e6, 50e6, "2024-04-20"),
        ("2024-03", None, 77e6, "2024-05-02"),  # a revision known by the night: insurance only
        ("2024-04", 560e6, 60e6, "2024-05-20"),
        ("2024-04", 9_990e6, 9_990e6, "2024-07-02"),  # a revision after the night: unseen
        ("2024-05", 8_880e6, 8_880e6, "2024-07-20"),  # a month known only after the night
    ]
    frame = pd.DataFrame(rows, columns=["month", "wage_arrears_vnd", "insurance_debt_vnd", "reported_at"])
    frame = frame.assign(
        enterprise_id=FIRM, headcount=500, wage_arrears_months=1.0, insurance_debt_months=2.0
    )
    other = frame.iloc[[1]].assign(enterprise_id="0800000002", wage_arrears_vnd=7_770e6)
    return pd.concat([frame, other], ignore_index=True)


def _incidents() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "incident_id": ["i1", "i2", "i3"],
            "enterprise_id": [FIRM, FIRM, "0800000002"],
            "started": ["2023-01-05", "2024-06-25", "2023-02-01"],
            "ended": ["2023-01-07", None, None],
            "kind": ["work_stoppage", "petition", "slowdown"],
            "participants": [310, 40, 5],
            "cause": ["wage_arrears", "insurance", "wages"],
            "reported_at": ["2023-01-05", "2024-07-03", "2023-02-01"],  # i2 known after the night
        }
    )


def _actions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2],
            "enterprise_id": [FIRM, FIRM],
            "kind": ["inspection", "mediation"],
            "started": ["2024-06-10", "2024-07-01"],
            "ended": [None, None],
            "outcome": ["pending", "agreed"],
            "note": ["<img src=x onerror=alert(2)> [red]ghi chú[/red]", "later"],
            "recorded_by": ["Lan", "Lan"],
            # the night ends at 2024-06-30 17:00 UTC (midnight in Vietnam)
            "recorded_at": ["2024-06-30T16:59:59+00:00", "2024-06-30T17:00:00+00:00"],
        }
    )


def _page(lang: str = "vi", **kwargs: object) -> str:
    return brief_html(FIRM, NIGHT, _ranking(), _indicators(), _incidents(), _actions(), lang=lang, **kwargs)  # type: ignore[arg-type]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)


def _tags(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


def test_every_value_from_the_data_is_text() -> None:
    page = _page(why_moved="since 31/05: <b>0.1</b> → 0.25")
    tags = _tags(page)
    assert "script" not in tags.tags and "img" not in tags.tags and "b" not in tags.tags
    assert not [name for name, _ in tags.attrs if name.startswith("on")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Công ty [/bold] &amp; Co" in page
    assert "&lt;img src=x onerror=alert(2)&gt; [red]ghi chú[/red]" in page
    assert "nợ BHXH &lt;tăng&gt;" in page and "since 31/05: &lt;b&gt;0.1&lt;/b&gt;" in page


def test_only_what_was_known_on_the_night() -> None:
    history = known_history(_indicators().loc[lambda f: f["enterprise_id"] == FIRM], NIGHT)
    assert len(history) == BRIEF_MONTHS
    assert history["month"].iloc[0] == pd.Timestamp("2022-07-01")
    assert history["month"].iloc[-1] == pd.Timestamp("2024-06-01")
    by_month = history.set_index("month")
    # March: the revision's insurance, the arrears the revision left empty carried from the first row.
    assert by_month.loc["2024-03-01", "wage_arrears_vnd"] == 340e6
    assert by_month.loc["2024-03-01", "insurance_debt_vnd"] == 77e6
    assert by_month.loc["2024-04-01", "wage_arrears_vnd"] == 560e6  # not the July revision
    assert pd.isna(by_month.loc["2024-05-01", "wage_arrears_vnd"])  # reported after the night
    page = _page()
    assert "9.990" not in page and "8.880" not in page and "7.770" not in page
    assert "Kiến nghị tập thể" not in page  # the petition was reported after the night
    assert "Ngừng việc tập thể" in page and "Lãn công" not in page  # another firm's slowdown
    assert "Thanh tra, kiểm tra" in page and "Hòa giải" not in page  # recorded after the night
    later = brief_html(FIRM, "2024-07-31", _ranking(), _indicators(), _incidents(), _actions())
    assert "Kiến nghị tập thể" in later and "Hòa giải" in later and "9.990" in later


def test_the_night_rank_score_band_and_reasons() -> None:
    page = _page()
    assert "Xác suất: 25,0% · hạng 2/3 · mức: Cao" in page
    assert "<li>nợ lương 3 tháng</li>" in page
    assert "30/06/2024" in page and "HD-KCN-01, Cẩm Giàng, Hải Dương" in page
    assert "May mặc (14)" in page


def test_two_inline_svg_charts_of_the_known_months() -> None:
    page = _page()
    charts = re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL)
    assert len(charts) == 2
    arrears, insurance = charts
    assert "<polyline" in arrears and "<polyline" in insurance
    # Feb-Apr 2024 known: one run of three points, the largest (560 million) at the top.
    points = re.search(r'points="([^"]+)"', arrears)
    assert points is not None and len(points.group(1).split()) == 3
    assert ">560<" in arrears and ">77<" in insurance
    assert "07/2022" in arrears and "06/2024" in arrears


def test_self_contained_printable_page() -> None:
    page = _page()
    assert not re.search(r"https?:|//[a-z]|src=|href=|url\(|@import", page.replace("&lt;img src=x", ""))
    tags = _tags(page)
    assert "link" not in tags.tags and "script" not in tags.tags and "iframe" not in tags.tags
    assert "@media print" in page and "size: A4" in page
    assert page.startswith("<!DOCTYPE html>") and '<html lang="vi">' in page
    assert not re.search(r"\b(brief|map|area)[._][a-z_]+", page)  # every word found in the catalogue


def test_english_on_request_and_a_firm_not_scored() -> None:
    page = _page("en")
    assert '<html lang="en">' in page
    assert "Probability: 25.0% · rank 2 of 3 · band: High" in page
    assert "<li>wage arrears 3 months</li>" in page and "2024-06-30" in page
    absent = brief_html("0899999999", NIGHT, _ranking(), _indicators(), _incidents(), _actions())
    assert "không được chấm điểm đêm 30/06/2024" in absent
    assert "Không có vụ việc nào đã biết." in absent and "Chưa ghi hành động nào." in absent
    with pytest.raises(ValueError, match="unknown language"):
        _page("fr")


def test_long_lists_are_cut_to_fit_one_page() -> None:
    many = pd.DataFrame(
        {
            "incident_id": [f"i{k}" for k in range(MAX_LISTED + 3)],
            "enterprise_id": FIRM,
            "started": [f"2023-{k + 1:02d}-01" for k in range(MAX_LISTED + 3)],
            "ended": None,
            "kind": "gathering",
            "participants": 10,
            "cause": "other",
            "reported_at": None,  # known on the day it started
        }
    )
    page = brief_html(FIRM, NIGHT, _ranking(), _indicators(), many, _actions())
    assert page.count("Tập trung đông người") == MAX_LISTED
    assert "… và 3 mục trước đó" in page
    latest, oldest_shown = MAX_LISTED + 3, 4  # latest first: the three oldest are left out
    assert f"01/{latest:02d}/2023" in page and f"01/{oldest_shown:02d}/2023" in page
    assert "01/03/2023" not in page


def test_the_fullest_brief_prints_on_one_a4_page(tmp_path: Path) -> None:
    """Chromium (as the analysts' browsers) prints the fullest brief: long names, reasons,
    8 incidents, 8 actions with notes of 1000 characters. Skips without Chromium."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing (CI must install it: make browser)")
        pytest.skip("no Chromium")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    ranking = _ranking().assign(
        name="Công ty TNHH Một Thành Viên Sản Xuất Thương Mại Dịch Vụ Xuất Nhập Khẩu May Mặc Quốc Tế " * 2,
        reasons="; ".join(["nợ lương 6 tháng, tăng từ 2 lên 6 tháng so với tháng trước"] * 3),
    )
    incidents = pd.DataFrame(
        {
            "incident_id": [f"i{k}" for k in range(12)],
            "enterprise_id": FIRM,
            "started": [f"2023-{k + 1:02d}-01" for k in range(12)],
            "ended": [f"2023-{k + 1:02d}-03" for k in range(12)],
            "kind": "work_stoppage",
            "participants": 1200,
            "cause": "tet_bonus",
            "reported_at": None,
        }
    )
    actions = pd.DataFrame(
        {
            "id": range(12),
            "enterprise_id": FIRM,
            "kind": "insurance_payment",
            "started": "2024-01-02",
            "ended": "2024-01-30",
            "outcome": "no_change",
            "note": "Làm việc với ban giám đốc và công đoàn cơ sở về lộ trình trả nợ. " * 16,
            "recorded_by": "Lan",
            "recorded_at": "2024-02-01T03:00:00+00:00",
        }
    )
    page = brief_html(
        FIRM, NIGHT, ranking, _indicators(), incidents, actions, why_moved="So với 31/05/2024: " * 8
    )
    pdf = tmp_path / "brief.pdf"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox"])
        try:
            tab = browser.new_page()
            tab.set_content(page)
            tab.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
        finally:
            browser.close()
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())
    assert len(pages) == 1
