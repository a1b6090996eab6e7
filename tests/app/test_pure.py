"""The page's pure pieces on hand-written rows: formats, labels, filters, roll-ups, movers, history, exports."""

from __future__ import annotations

import io
import re
import string

import numpy as np
import openpyxl
import pandas as pd
import pytest

from app import views
from app.views import plain
from outputs.views import (
    FilterError,
    RankingFilter,
    apply_filter,
    check_filter,
    filter_options,
    fold,
)
from present.exports import csv_bytes, xlsx_bytes
from vocab.formats import (
    format_date,
    format_money,
    format_month,
    format_number,
    format_percent,
    format_timestamp,
)
from vocab.i18n import LABELS, UnknownLanguage, check_lang, label, t


def _ranking() -> pd.DataFrame:
    """Four enterprises of one night, one with a formula-looking name."""
    return pd.DataFrame(
        {
            "as_of": ["2026-11-25"] * 4,
            "enterprise_id": ["0800123456", "0800999999", "3700000001", "0100000001"],
            "rank": [1, 2, 3, 4],
            "score": [0.40, 0.20, 0.05, 0.01],
            "band": ["high", "elevated", "watch", "low"],
            "reasons": ["3 tháng nợ lương", "nợ BHXH", "", None],
            "reasons_en": ["3 months of wage arrears", "insurance debt", "", None],
            "name": [
                "Công ty May Hải Dương",
                "Công ty Giày Đồng Nai",
                "Công ty Điện tử",
                '=HYPERLINK("http://x","y")',
            ],
            "province": ["Hải Dương", "Hải Dương", "Bình Dương", "Bình Dương"],
            "district": ["Cẩm Giàng", "Cẩm Giàng", "Thuận An", None],
            "zone_id": ["KCN-DA", None, "CCN-01", None],
            "sector": ["14", "15", "26", "14"],
            "ownership": ["fdi", "private", "fdi", "state"],
            "model_version": ["3"] * 4,
            "stale": [0, 0, 1, 0],
        }
    )


# ---------------------------------------------------------------- formats and labels


def test_vietnamese_and_english_formats() -> None:
    # Babel's (CLDR's) output: a no-break space before the đồng sign, no space before "%".
    assert format_money(1234567) == "1.234.567\u00a0₫"
    assert format_money(1234567, "en") == "1,234,567\u00a0₫"
    assert format_number(1234567.5, "vi", 1) == "1.234.567,5"
    assert format_percent(0.125) == "12,5%" and format_percent(0.125, "en") == "12.5%"
    assert format_date("2026-11-26") == "26/11/2026" and format_date("2026-11-26", "en") == "2026-11-26"
    assert format_month(pd.Timestamp("2026-11-01")) == "11/2026"
    assert format_timestamp("2026-11-26T02:30:00+00:00") == "26/11/2026 09:30"  # Asia/Ho_Chi_Minh
    # Not reported is not zero: missing values stay empty.
    assert format_money(None) == format_number(np.nan) == format_date(None) == format_percent(pd.NA) == ""


def test_plain_makes_markdown_show_names_literally() -> None:
    assert (
        plain("[x](http://e) :red[y] ![i](http://t)")
        == r"\[x\]\(http\:\/\/e\) \:red\[y\] \!\[i\]\(http\:\/\/t\)"
    )
    assert plain("Công ty May\nHải Dương") == "Công ty May Hải Dương"  # Vietnamese letters are untouched


def test_every_label_exists_in_both_languages_with_the_same_placeholders() -> None:
    fields = string.Formatter()
    for key, (vi, en) in LABELS.items():
        assert vi and en, key
        assert {f[1] for f in fields.parse(vi) if f[1]} == {f[1] for f in fields.parse(en) if f[1]}, key
    assert t("band", "vi") == "Mức cảnh báo" and t("band", "en") == "Band"
    assert t("shown", "en", shown=2, total=4) == "Showing 2 of 4 enterprises"
    assert check_lang("en") == "en" and check_lang("vi") == "vi"
    for unknown in ("fr", None, "VI", ""):
        with pytest.raises(UnknownLanguage):
            check_lang(unknown)


# ---------------------------------------------------------------- filters and search


def test_filters_narrow_and_combine() -> None:
    ranking = _ranking()
    fdi = apply_filter(ranking, check_filter(RankingFilter(ownership="fdi"), ranking))
    assert list(fdi["enterprise_id"]) == ["0800123456", "3700000001"]
    both = apply_filter(ranking, check_filter(RankingFilter(ownership="fdi", province="Hải Dương"), ranking))
    assert list(both["enterprise_id"]) == ["0800123456"]
    assert list(apply_filter(ranking, RankingFilter(zone="CCN-01"))["rank"]) == [3]
    assert list(apply_filter(ranking, RankingFilter(band="low"))["rank"]) == [4]


def test_the_warning_kind_filters_and_a_night_without_kinds_matches_none() -> None:
    ranking = _ranking().assign(warning_kind=["acute", None, "structural", "acute"])
    acute = apply_filter(ranking, check_filter(RankingFilter(warning_kind="acute"), ranking))
    assert list(acute["rank"]) == [1, 4]
    structural = apply_filter(ranking, check_filter(RankingFilter(warning_kind="structural"), ranking))
    assert list(structural["rank"]) == [3]
    assert label("warning_kind", "acute", "vi") == "Cấp tính"
    # An older night, scored before kinds were kept, has no such column: a kind matches nothing.
    older = _ranking()
    assert apply_filter(older, check_filter(RankingFilter(warning_kind="acute"), older)).empty
    with pytest.raises(FilterError, match="unknown warning_kind"):
        check_filter(RankingFilter(warning_kind="urgent"), ranking)


def test_search_finds_ids_by_prefix_and_names_without_accents() -> None:
    ranking = _ranking()
    assert fold("Đồng Nai") == "dong nai"
    assert list(apply_filter(ranking, check_filter(RankingFilter(search="dong nai"), ranking))["rank"]) == [2]
    assert list(apply_filter(ranking, check_filter(RankingFilter(search="0800"), ranking))["rank"]) == [1, 2]
    assert list(
        apply_filter(ranking, check_filter(RankingFilter(search=" HẢI DƯƠNG "), ranking))["rank"]
    ) == [1]
    # Regex characters are text, not patterns.
    assert apply_filter(ranking, check_filter(RankingFilter(search=".*"), ranking)).empty


@pytest.mark.parametrize(
    "choice",
    [
        RankingFilter(band="critical"),
        RankingFilter(ownership="FDI"),
        RankingFilter(district="x'); DROP TABLE scores;--"),
        RankingFilter(sector="99"),
        RankingFilter(search="x" * 101),
    ],
)
def test_values_outside_the_allow_list_are_refused(choice: RankingFilter) -> None:
    with pytest.raises(FilterError):
        check_filter(choice, _ranking())


def test_filter_options_list_what_the_night_holds() -> None:
    options = filter_options(_ranking())
    assert options["district"] == ["Cẩm Giàng", "Thuận An"]
    assert options["band"] == ["high", "elevated", "watch", "low"]
    assert options["zone"] == ["CCN-01", "KCN-DA"]


# ---------------------------------------------------------------- views


def test_rollup_counts_flagged_enterprises_per_district() -> None:
    rolled = views.rollup(_ranking(), "district")
    assert list(rolled["district"]) == ["Cẩm Giàng", "Thuận An", "-"]
    assert list(rolled["enterprises"]) == [2, 1, 1]
    assert list(rolled["flagged"]) == [2, 0, 0]
    assert rolled["mean_score"].iloc[0] == pytest.approx(0.30)
    with pytest.raises(ValueError, match="cannot roll up"):
        views.rollup(_ranking(), "name")


def test_movers_are_new_entrants_to_the_top_and_risers() -> None:
    current = _ranking()
    previous = current.assign(rank=[3, 1, 2, 4], score=[0.1, 0.3, 0.2, 0.01])
    moved = views.movers_table(current, previous, capacity=1)  # k = 1
    assert list(moved["enterprise_id"]) == ["0800123456"]
    assert list(moved["kind"]) == ["new_in_top_k"]
    assert views.movers_table(current, None, capacity=1).empty


def test_indicator_history_shows_only_what_was_known_that_night() -> None:
    indicators = pd.DataFrame(
        {
            "enterprise_id": ["0800123456"] * 4 + ["0100000001"],
            "month": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-10-01", "2026-11-01", "2026-10-01"]),
            "headcount": [100.0, 90.0, 80.0, 70.0, 5.0],
            "avg_wage_vnd": np.nan,
            "wage_arrears_vnd": np.nan,
            "wage_arrears_months": [0.0, 1.0, 2.0, 3.0, 0.0],
            "insurance_debt_vnd": np.nan,
            "insurance_debt_months": np.nan,
            "layoffs": np.nan,
            "reduced_hours_workers": np.nan,
            "reported_at": pd.to_datetime(
                ["2026-10-20", "2026-11-20", "2026-12-05", "2026-12-20", "2026-11-20"]
            ),
        }
    )
    history = views.indicator_history(indicators, "0800123456", "2026-11-25")
    # October's revision of Dec 5 and November's figures were unknown on Nov 25.
    assert list(history["headcount"]) == [100.0, 90.0]
    later = views.indicator_history(indicators, "0800123456", "2026-12-31")
    assert list(later["wage_arrears_months"]) == [0.0, 2.0, 3.0]


def test_page_labels_translate_codes_and_keep_missing_empty() -> None:
    table = views.ranking_table(_ranking(), "vi")
    assert list(table.columns[:3]) == ["Hạng", "Mã số thuế", "Tên doanh nghiệp"]
    assert list(table["Mức cảnh báo"]) == ["Cao", "Khá cao", "Theo dõi", "Thấp"]
    assert table["Xác suất ngừng việc (3 tháng)"].iloc[0] == "40,00%"
    assert table["KCN / CCN"].iloc[1] == ""
    english = views.ranking_table(_ranking(), "en")
    assert english["Reasons"].iloc[0] == "3 months of wage arrears"
    assert english["Ownership"].iloc[0] == "FDI" and english["Band"].iloc[3] == "Low"


def test_latest_review_shows_beside_its_enterprise() -> None:
    reviews = pd.DataFrame(
        {
            "enterprise_id": ["0800999999"],
            "as_of": ["2026-10-31"],
            "status": ["false_alarm"],
            "review_id": [1],
        }
    )
    table = views.ranking_table(_ranking(), "vi", reviews)
    assert list(table["Đánh giá gần nhất"]) == ["", "Cảnh báo sai (31/10/2026)", "", ""]


def test_query_parameters_are_checked_against_nights_and_ids() -> None:
    nights = ["2026-10-31", "2026-11-25"]
    ok = views.parse_query({"enterprise": "0800123456", "lang": "en"}, nights, {"0800123456"})
    assert (ok.page, ok.enterprise, ok.lang, ok.night, ok.problems) == (
        "enterprise",
        "0800123456",
        "en",
        "2026-11-25",
        (),
    )
    old = views.parse_query({"night": "2026-10-31"}, nights, set())
    assert (old.night, old.page, old.lang) == ("2026-10-31", "ranking", "vi")
    bad = views.parse_query(
        {"enterprise": "<script>", "night": "1999-01-01", "lang": "fr", "page": "admin"},
        nights,
        {"0800123456"},
    )
    assert (bad.enterprise, bad.night, bad.lang, bad.page) == (None, "2026-11-25", "vi", "ranking")
    assert len(bad.problems) == 4
    assert not any("script" in p or "admin" in p for p in bad.problems)  # values are never echoed


# ---------------------------------------------------------------- exports


def test_csv_export_escapes_formulas_and_keeps_vietnamese() -> None:
    frame = views.export_frame(_ranking(), "vi")
    text = csv_bytes(frame).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
    assert "Công ty May Hải Dương" in text
    back = pd.read_csv(io.StringIO(text), dtype=str)
    assert back["Mã số thuế"].iloc[0] == "0800123456"  # ids keep their leading zero


def test_excel_export_has_no_formula_cells() -> None:
    frame = views.export_frame(_ranking(), "en")
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frame)))
    sheet = book.active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    names = [c.value for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert names == ['\'=HYPERLINK("http://x","y")']
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[:3] == ["Rank", "Tax code", "Name"]
    scores = [c.value for c in sheet["D"][1:]]
    assert all(isinstance(v, float) for v in scores)  # numbers stay numbers


def test_chart_frame_shows_amounts_in_millions_of_dong() -> None:
    history = pd.DataFrame(
        {"month": ["2026-10", "2026-11"], "wage_arrears_vnd": [0.0, 12_500_000.0], "layoffs": [np.nan, 3.0]}
    )
    frame = views.chart_frame(history, ["wage_arrears_vnd", "layoffs"], "vi")
    assert list(frame.columns) == ["Nợ lương (triệu đồng)", "Số lao động bị cho thôi việc"]
    assert frame.iloc[1, 0] == 12.5 and np.isnan(frame.iloc[0, 1])  # not reported stays missing
    assert frame.index.name == "Tháng"


def test_reviews_table_is_newest_first_in_local_time() -> None:
    reviews = pd.DataFrame(
        {
            "review_id": [1, 2],
            "enterprise_id": ["0800123456", "0800123456"],
            "as_of": ["2026-10-31", "2026-11-25"],
            "status": ["reviewed", "action_taken"],
            "note": ["", "=cmd"],
            "reviewer": ["Lan", "Minh"],
            "recorded_at": ["2026-11-01T01:00:00+00:00", "2026-11-26T02:30:00+00:00"],
        }
    )
    table = views.reviews_table(reviews, "vi")
    assert list(table["Kết quả"]) == ["Đã có hành động", "Đã xem xét"]
    assert table["Thời điểm ghi"].iloc[0] == "26/11/2026 09:30"
    assert re.search(r"'=cmd", csv_bytes(table).decode("utf-8-sig"))
