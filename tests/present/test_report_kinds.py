"""The nightly report and the exports with warning kinds and recorded actions: acute warnings
counted and listed first, each firm's latest action known on the night shown beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from outputs.actions import ACTION_COLUMNS, latest_actions, record_action
from present.exports import ACTION_EXPORT_COLUMNS, with_latest_actions, write_exports
from present.nightly_report import render_report

NIGHT = "2026-01-31"
REPORT: dict[str, Any] = {"freshness_summary": None, "drift": None, "churn": None, "dashboard_url": None}


def _ranking(kinds: list[str | None] | None = None) -> pd.DataFrame:
    n = 8
    frame = pd.DataFrame(
        {
            "as_of": NIGHT,
            "enterprise_id": [f"080000000{i}" for i in range(n)],
            "rank": np.arange(1, n + 1),
            "score": np.linspace(0.9, 0.1, n),
            "band": ["high"] * 3 + ["elevated"] * 3 + ["low"] * 2,
            "name": [f"Công ty {i}" for i in range(n)],
            "district": "Chí Linh",
            "sector": "14",
            "reasons": [f"lý do {i}" for i in range(n)],
            "reasons_en": [f"reason {i}" for i in range(n)],
            "model_name": "labor-ews",
            "model_version": "7",
            "run_id": "run-1",
        }
    )
    return frame if kinds is None else frame.assign(warning_kind=pd.Series(kinds, dtype=object))


KINDS = ["structural", "acute", "structural", "acute", "structural", "structural", "acute", None]


def _actions(**extra: object) -> pd.DataFrame:
    """Rows shaped as `outputs.actions.read_actions` returns them."""
    rows = [
        # the firm ranked 3rd: a mediation, then an inspection recorded later the same night
        (1, "0800000002", "mediation", "2026-01-05", "2026-01-07", "agreed", "2026-01-08T02:00:00+00:00"),
        (2, "0800000002", "inspection", "2026-01-20", None, None, "2026-01-21T02:00:00+00:00"),
        # recorded after the night (the first UTC instant of 1 February in Vietnam is 31 January 17:00)
        (3, "0800000000", "wage_payment", "2026-01-30", None, "paid", "2026-01-31T17:00:00+00:00"),
        # the firm ranked 2nd, known on the night
        (4, "0800000001", "wage_payment", "2026-01-10", None, "pending", "2026-01-31T16:59:59+00:00"),
    ]
    frame = pd.DataFrame(
        [(i, e, k, s, en, o, "ghi chú", "cán bộ A", r) for i, e, k, s, en, o, r in rows],
        columns=list(ACTION_COLUMNS),
    )
    return frame.astype({c: object for c in ACTION_COLUMNS if c != "id"})


def test_latest_action_known_on_the_night_is_put_beside_each_firm() -> None:
    ranking = _ranking(KINDS)
    out = with_latest_actions(ranking, _actions(), as_of=NIGHT)
    assert list(out.columns[-4:]) == list(ACTION_EXPORT_COLUMNS)
    by_id = out.set_index("enterprise_id")
    assert by_id.loc["0800000002", "action_kind"] == "inspection"  # the later of two
    assert by_id.loc["0800000002", "action_ended"] is None
    assert [by_id.loc["0800000001", c] for c in ACTION_EXPORT_COLUMNS] == [
        "wage_payment",
        "2026-01-10",
        None,
        "pending",
    ]
    assert all(by_id.loc["0800000000", c] is None for c in ACTION_EXPORT_COLUMNS)  # recorded after the night
    assert "action_kind" not in ranking.columns  # the ranking itself is not modified
    # A later night sees the action recorded after this one.
    later = with_latest_actions(ranking.assign(as_of="2026-02-28"), _actions(), as_of="2026-02-28")
    assert later.set_index("enterprise_id").loc["0800000000", "action_outcome"] == "paid"


def test_exports_carry_the_kind_and_the_latest_action(tmp_path: Path) -> None:
    ranking = _ranking(KINDS)
    paths = write_exports(ranking, tmp_path / "with", as_of=NIGHT, actions=_actions())
    records = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert [r["warning_kind"] for r in records] == KINDS
    assert records[1]["action_kind"] == "wage_payment" and records[1]["action_outcome"] == "pending"
    assert records[0]["action_kind"] is None
    table = pq.read_table(paths["parquet"]).to_pandas()
    assert table.loc[2, "action_kind"] == "inspection" and table.loc[2, "warning_kind"] == "structural"
    csv = pd.read_csv(paths["csv"], encoding="utf-8-sig", dtype=str)
    assert csv.loc[2, "action_started"] == "2026-01-20" and csv.loc[1, "warning_kind"] == "acute"
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    assert manifest["columns"][-4:] == list(ACTION_EXPORT_COLUMNS)
    # Same input, same bytes; without actions the files are the ranking's own columns.
    again = write_exports(ranking, tmp_path / "again", as_of=NIGHT, actions=_actions())
    assert paths["parquet"].read_bytes() == again["parquet"].read_bytes()
    plain = write_exports(ranking, tmp_path / "plain", as_of=NIGHT)
    assert "action_kind" not in json.loads(plain["json"].read_text(encoding="utf-8"))[0]


def test_exports_take_the_actions_as_the_workspace_records_them(tmp_path: Path) -> None:
    import datetime as dt

    db = tmp_path / "ews.db"
    at = dt.datetime(2026, 1, 20, 3, tzinfo=dt.UTC)
    record_action(
        db, enterprise_id="0800000003", kind="support", started="2026-01-19", recorded_by="B", now=at
    )
    paths = write_exports(
        _ranking(KINDS), tmp_path / "out", as_of=NIGHT, actions=latest_actions(db, up_to=NIGHT)
    )
    records = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert records[3]["action_kind"] == "support" and records[3]["action_started"] == "2026-01-19"


def _section(page: str, anchor: str) -> str:
    return page[page.index(f'id="{anchor}"') :].split("</section>")[0]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_report_counts_kinds_and_lists_acute_warnings_first(lang: str) -> None:
    page = render_report(_ranking(KINDS), None, as_of=NIGHT, k=8, lang=lang, **REPORT)
    summary = _section(page, "summary")
    if lang == "vi":
        assert "Cao: Cấp tính 1, Cơ cấu 2; Khá cao: Cấp tính 1, Cơ cấu 2" in summary
    else:
        assert "High: Acute 1, Structural 2; Elevated: Acute 1, Structural 2" in summary
    top = _section(page, "top-k")
    acute, structural, unclassified = (
        top.index(f'id="{a}"') for a in ("top-acute", "top-structural", "top-unclassified")
    )
    assert acute < structural < unclassified
    acute_rows = top[acute:structural]
    assert all(f"080000000{i}" in acute_rows for i in (1, 3, 6))
    assert not any(f"080000000{i}" in acute_rows for i in (0, 2, 4, 5, 7))
    assert "0800000007" in top[unclassified:]
    # Within a group, by rank.
    assert acute_rows.index("0800000001") < acute_rows.index("0800000003") < acute_rows.index("0800000006")


def test_a_night_without_kinds_keeps_one_table_and_no_counts() -> None:
    page = render_report(_ranking(), None, as_of=NIGHT, k=3, **REPORT)
    assert 'id="top-acute"' not in page and "Cấp tính" not in page
    assert _section(page, "top-k").count("<table>") == 1


def test_the_report_shows_each_firms_action_beside_it_escaped() -> None:
    actions = _actions()
    actions.loc[1, "kind"] = "<b>inspection</b>"  # a code from a file: shown as text, never as markup
    page = render_report(_ranking(KINDS), None, as_of=NIGHT, k=8, actions=actions, **REPORT)
    top = _section(page, "top-k")
    assert "Hành động gần nhất (Latest action)" in top
    assert "Buộc trả lương, 10/01/2026, Đang xử lý" in top
    assert "&lt;b&gt;inspection&lt;/b&gt;, 20/01/2026" in top and "<b>" not in top
    assert "2026-01-30" not in top and "30/01/2026" not in top  # recorded after the night
    english = render_report(
        _ranking(KINDS),
        None,
        as_of=NIGHT,
        k=8,
        actions=_actions(),
        lang="en",
        **REPORT,
    )
    assert "Inspection, 2026-01-20" in _section(english, "top-k")
    assert "Enforced payment of wages, 2026-01-10, Pending" in _section(english, "top-k")
