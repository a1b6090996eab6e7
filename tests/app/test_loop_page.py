"""The analysts' loop on the page (issue 17), with Streamlit's app tests: an action recorded and
found beside the firm on a later night, why the score moved (the same figures as `ews
explain`), the supervisors' page, the map and the brief."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from app import supervisors
from data.store import Store
from outputs.actions import VIETNAM, read_actions
from vocab.i18n import t

SPEC = importlib.util.find_spec("app.main")
assert SPEC is not None and SPEC.origin is not None
SCRIPT = SPEC.origin
TOP_ID = "3764312108"  # rank 1 of the last demo night (see conftest)


def _page(**params: str) -> AppTest:
    at = AppTest.from_file(SCRIPT, default_timeout=180)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [x.value for x in (*at.title, *at.header, *at.subheader, *at.caption, *at.markdown, *at.text)]
    return "\n".join(str(p) for p in parts)


def _button(at: AppTest, name: str) -> Any:
    """The button labelled `name` (a form's submit button among them)."""
    return next(b for b in at.button if b.label == name)


def test_an_action_recorded_on_the_page_shows_beside_the_firm_on_later_nights(
    fresh_home: Path, later_night: Callable[[Path, str], None]
) -> None:
    at = _page(enterprise=TOP_ID)
    at.selectbox(key="act_kind__vi").select("mediation")
    at.date_input(key="act_started__vi").set_value(dt.date(2024, 6, 20))
    at.selectbox(key="act_outcome__vi").select("agreed")
    at.text_area(key="act_note__vi").input("Hòa giải tại **công ty** <b>về</b> nợ lương")
    at.text_input(key="act_by__vi").input("Lê Văn Cường")
    _button(at, "Lưu hành động").click().run()
    assert not at.error and "Đã lưu hành động." in [s.value for s in at.success]
    rows = read_actions(fresh_home / "ews.db")
    assert list(
        rows[["enterprise_id", "kind", "started", "outcome", "recorded_by"]].itertuples(
            index=False, name=None
        )
    ) == [(TOP_ID, "mediation", "2024-06-20", "agreed", "Lê Văn Cường")]
    # Recorded today: the night of 30/06/2024 was over, so it is not listed on that night ...
    assert t("act_none", "vi") in [x.value for x in at.info]
    # ... and it is on the next night, beside the firm in the ranking and on its page.
    today = str(dt.datetime.now(VIETNAM).date())
    later_night(fresh_home, today)
    ranking = _page()
    table = ranking.dataframe[0].value
    mine = table.loc[table["Mã số thuế"] == TOP_ID, "Hành động gần nhất"]
    assert list(mine) == ["Hòa giải (20/06/2024, Đã thỏa thuận)"]
    assert (table.loc[table["Mã số thuế"] != TOP_ID, "Hành động gần nhất"] == "").all()
    page = _page(enterprise=TOP_ID)
    listed = next(d.value for d in page.dataframe if "Hành động" in d.value.columns)
    assert listed["Ghi chú"].iloc[0] == "Hòa giải tại **công ty** <b>về</b> nợ lương"  # as text
    assert listed["Người ghi"].iloc[0] == "Lê Văn Cường"


def test_an_action_without_a_name_is_refused_with_one_line(fresh_home: Path) -> None:
    at = _page(enterprise=TOP_ID)
    _button(at, "Lưu hành động").click().run()
    assert len(at.error) == 1 and "name is required" in at.error[0].value
    assert read_actions(fresh_home / "ews.db").empty


def test_without_a_champion_why_it_moved_says_so_in_one_line(fresh_home: Path) -> None:
    at = _page(enterprise=TOP_ID)
    at.toggle(key="moved_show__vi").set_value(True).run()
    assert not at.error and not at.exception
    assert any(x.value.startswith("Vì sao thay đổi: không tính được") for x in at.info)


def test_why_it_moved_shows_the_same_moves_as_ews_explain(fresh_champion_home: Path) -> None:
    from cli.main import app

    at = _page(enterprise=TOP_ID)
    at.toggle(key="moved_show__vi").set_value(True).run()
    assert not at.error and not at.exception, [e.value for e in at.error]
    text = _texts(at)
    assert "So với đêm chấm điểm trước (31/05/2024)" in text
    assert "So với một tháng trước (30/05/2024)" in text
    shown = [x.value for x in at.text if x.value.startswith("Điểm: ")]
    assert len(shown) == 2
    tables = [d.value for d in at.dataframe if "Tác động lên điểm (log-odds)" in d.value.columns]
    assert tables and all(len(x) for x in tables)

    result = CliRunner().invoke(app, ["explain", TOP_ID, "--as-of", "2024-06-30"], terminal_width=400)
    assert result.exit_code == 0, result.output
    lines = re.findall(r"So với (\d\d/\d\d/\d{4}): điểm (\S+) → (\S+); (.*)", result.stdout)
    assert [d for d, *_ in lines] == ["31/05/2024", "30/05/2024"]
    for (_, before, now, why), page_line in zip(lines, shown, strict=True):
        assert page_line == f"Điểm: {before} → {now} · {why.strip()}"


def test_the_supervisors_page_counts_the_closed_months_stoppages(fresh_champion_home: Path) -> None:
    at = _page(page="supervisors")
    assert not at.error and not at.exception, [e.value for e in at.error]
    assert at.header[0].value == "Hiệu quả cảnh báo"
    # Counted from the store: stoppages known by the night, after the first night (30/09/2023).
    incidents = Store(fresh_champion_home / "store").load_incidents()
    known = incidents.loc[
        (incidents["kind"] == "work_stoppage")
        & (incidents["started"] > pd.Timestamp("2023-09-30"))
        & (incidents["started"] <= pd.Timestamp("2024-06-30"))
        & (incidents["reported_at"] <= pd.Timestamp("2024-06-30"))
    ].drop_duplicates(["enterprise_id", "started"])
    expected = known["started"].dt.strftime("%Y-%m").value_counts().sort_index()
    assert len(expected) >= 3, "the demo world has stoppages in those months"
    months = next(d.value for d in at.dataframe if "Số vụ ngừng việc" in d.value.columns)
    assert list(months["Tháng"]) == list(expected.index)
    assert list(months["Số vụ ngừng việc"]) == list(expected)
    assert all(
        0 <= w <= n for w, n in zip(months["Đã cảnh báo trước"], months["Số vụ ngừng việc"], strict=True)
    )
    # Charts, not only tables: the months, calibration by band, the version of each night.
    assert len(at.get("vega_lite_chart")) == 3
    history = next(d.value for d in at.dataframe if "Phiên bản" in d.value.columns)
    assert list(history["Phiên bản"]) == ["1"]
    assert t("sv_no_alerts", "vi") in [x.value for x in at.info]
    assert supervisors.MONTH_COLUMNS[0] == "month"


def test_the_map_draws_the_areas_of_the_night(fresh_home: Path) -> None:
    at = _page(page="map", lang="en")
    assert not at.error and not at.exception, [e.value for e in at.error]
    assert at.header[0].value == "Risk by area, 2024-06-30"
    if (fresh_home / "areas.csv").exists():
        assert len(at.get("vega_lite_chart")) == 1
    else:
        assert t("page_map_none", "en") in [x.value for x in at.info]


def test_the_brief_is_offered_and_shown_to_print(fresh_home: Path) -> None:
    at = _page(enterprise=TOP_ID)
    assert not at.error
    at.toggle(key="page_brief_show__vi").set_value(True).run()
    assert not at.error and not at.exception
    frames = [e for e in at.main if getattr(e, "type", "") == "iframe"] or at.get("iframe")
    assert len(frames) == 1
    assert TOP_ID in str(frames[0].proto)
