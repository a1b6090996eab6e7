"""The page's pieces with Streamlit's own app tests, against the small demo workspace."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.views import plain
from data.store import Store
from outputs.rankings import publish, read_ranking
from outputs.reviews import read_reviews
from outputs.views import fold
from vocab.i18n import t

SPEC = importlib.util.find_spec("app.main")
assert SPEC is not None and SPEC.origin is not None
SCRIPT = SPEC.origin
TOP_ID = "3764312108"  # rank 1 of the last demo night (see conftest)


def _page(**params: str) -> AppTest:
    at = AppTest.from_file(SCRIPT, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [x.value for x in (*at.title, *at.header, *at.subheader, *at.caption, *at.markdown, *at.text)]
    return "\n".join(str(p) for p in parts)


def test_the_ranking_renders_in_vietnamese_by_default(fresh_home: Path) -> None:
    at = _page()
    assert not at.exception and not at.error
    assert at.header[0].value == "Bảng xếp hạng ngày 30/06/2024"
    table = at.dataframe[0].value
    assert list(table.columns[:3]) == ["Hạng", "Mã số thuế", "Tên doanh nghiệp"]
    assert table["Mã số thuế"].iloc[0] == TOP_ID
    assert "Đang hiển thị 1.460 / 1.460 doanh nghiệp" in _texts(at)
    assert "Biến động so với đêm trước (31/05/2024)" in _texts(at)


def test_a_filter_and_a_search_narrow_the_ranking(fresh_home: Path) -> None:
    at = _page()
    at.selectbox(key="f_district__vi").select("Tân Uyên").run()
    table = at.dataframe[0].value
    assert 0 < len(table) < 1460 and set(table["Huyện / thị xã"]) == {"Tân Uyên"}
    district = len(table)
    at.text_input(key="f_search__vi").input("van xuan").run()
    table = at.dataframe[0].value
    assert 0 < len(table) < district and table["Mã số thuế"].iloc[0] == TOP_ID
    assert all("van xuan" in fold(name) for name in table["Tên doanh nghiệp"])
    assert not at.error


def test_an_older_night_is_shown_without_movers(fresh_home: Path) -> None:
    at = _page(night="2024-05-31")
    assert at.header[0].value == "Bảng xếp hạng ngày 31/05/2024"
    assert t("no_movers", "vi") in [x.value for x in at.info]


def test_opening_an_enterprise_shows_its_figures_history_and_incidents(fresh_home: Path) -> None:
    at = _page()
    at.selectbox(key="pick__vi").select(TOP_ID).run()
    assert not at.exception and not at.error
    assert at.header[0].value.endswith(plain(f"({TOP_ID})"))
    assert at.query_params["enterprise"] == TOP_ID and at.query_params["page"] == "enterprise"
    text = _texts(at)
    assert "Chỉ số theo tháng (chỉ những gì đã biết vào đêm 30/06/2024)" in text
    assert "• 5 tháng nợ lương" in text
    assert len(at.get("vega_lite_chart")) == 4  # debt in months, debt in đồng, workforce, score history
    scores = at.dataframe[0].value
    assert list(scores["Ngày"]) == ["31/05/2024", "30/06/2024"]
    assert t("no_incidents", "vi") in [x.value for x in at.info]


def test_past_incidents_known_that_night_are_listed(fresh_home: Path) -> None:
    incidents = Store(fresh_home / "store").load_incidents()
    known = incidents.loc[incidents["reported_at"] <= "2024-06-30"]
    enterprise = known["enterprise_id"].iloc[0]
    at = _page(enterprise=enterprise)
    assert not at.error
    table = at.dataframe[1].value
    assert len(table) == (known["enterprise_id"] == enterprise).sum()
    assert set(table["Loại"]) <= {
        "Ngừng việc tập thể",
        "Lãn công",
        "Tập trung đông người",
        "Kiến nghị tập thể",
    }


def test_the_language_switch_turns_the_page_into_english(fresh_home: Path) -> None:
    at = _page(enterprise=TOP_ID)
    assert "Lý do" in _texts(at)
    at.radio(key="lang").set_value("en").run()
    text = _texts(at)
    assert "Monthly indicators (only what was known on 2024-06-30)" in text
    assert "• 5 months of wage arrears" in text
    assert at.query_params["lang"] == "en"


def test_the_review_form_writes_a_record_shown_on_later_nights(fresh_home: Path) -> None:
    at = _page(enterprise=TOP_ID, night="2024-05-31")
    at.radio(key="review_status__vi").set_value("action_taken")
    at.text_area(key="review_note__vi").input("Đã làm việc với công ty về nợ lương")
    at.text_input(key="review_reviewer__vi").input("Nguyễn Văn An")
    at.button[0].click().run()
    assert not at.error and [s.value for s in at.success] == ["Đã lưu đánh giá."]
    rows = read_reviews(fresh_home / "ews.db")
    assert list(
        rows[["enterprise_id", "as_of", "status", "reviewer"]].itertuples(index=False, name=None)
    ) == [(TOP_ID, "2024-05-31", "action_taken", "Nguyễn Văn An")]
    later = _page()  # the next night's ranking shows the review beside the enterprise
    assert later.dataframe[0].value["Đánh giá gần nhất"].iloc[0] == "Đã có hành động (31/05/2024)"


def test_a_review_without_a_name_is_refused_with_one_line(fresh_home: Path) -> None:
    at = _page(enterprise=TOP_ID)
    at.button[0].click().run()
    assert len(at.error) == 1 and "reviewer" in at.error[0].value
    assert read_reviews(fresh_home / "ews.db").empty


@pytest.mark.parametrize(
    "params",
    [{"enterprise": "'; DROP TABLE scores;--"}, {"night": "2099-01-01"}, {"lang": "<b>x</b>"}],
)
def test_a_bad_query_parameter_gives_one_line_and_the_ranking(
    fresh_home: Path, params: dict[str, str]
) -> None:
    at = _page(**params)
    assert not at.exception
    assert len(at.error) == 1
    assert at.header[0].value == "Bảng xếp hạng ngày 30/06/2024"


def test_a_hostile_name_is_shown_as_text(fresh_home: Path) -> None:
    night = read_ranking(fresh_home / "ews.db", "2024-06-30")
    hostile = "[Bấm vào đây](http://evil.example) :red[x] ![t](http://t.example/p.png)"
    night = night.assign(as_of="2024-07-31", name=night["name"].where(night["rank"] != 1, hostile))
    publish(fresh_home / "ews.db", night)
    at = _page(enterprise=TOP_ID)
    assert at.header[0].value == plain(f"{hostile} ({TOP_ID})")
    assert not at.error


def test_freshness_names_the_model_and_the_last_delivery(fresh_home: Path) -> None:
    at = _page(page="freshness", lang="en")
    assert not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Model that scored this night"] == "labor-ews v7"
    assert metrics["Last data delivery"] != "-"
    assert "Run id: run-2024-06-30" in _texts(at)


def test_a_workspace_without_a_ranking_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EWS_HOME", str(tmp_path / "empty"))
    at = _page()
    assert not at.exception and not at.error
    assert [x.value for x in at.info] == [t("no_ranking", "vi")]


def test_a_broken_database_gives_one_line_not_a_traceback(fresh_home: Path) -> None:
    (fresh_home / "ews.db").write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (fresh_home / f"ews.db{suffix}").unlink(missing_ok=True)
    at = _page()
    assert not at.exception
    assert len(at.error) == 1 and "\n" not in at.error[0].value and "Traceback" not in at.error[0].value
