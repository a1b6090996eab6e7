"""Why a firm moved, in words: the changes that moved the score, in Vietnamese and English."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explaining.movement import Movement
from present.movers import NOUNS, change_phrase, movers_table


def test_a_change_is_said_with_both_values_and_its_direction() -> None:
    assert change_phrase("insurance_debt_months", 2, 5, "vi") == "nợ BHXH tăng từ 2 lên 5 tháng"
    assert change_phrase("insurance_debt_months", 2, 5, "en") == "social-insurance debt up from 2 to 5 months"
    assert change_phrase("wage_arrears_months", 3, 1.5, "vi") == "nợ lương giảm từ 3 xuống 1,5 tháng"
    assert (
        change_phrase("layoffs_share_1m", 0.0, 0.12, "en")
        == "the share laid off in the month up from 0% to 12%"
    )
    assert "chưa có số liệu" in str(change_phrase("wage_arrears_months", np.nan, 2, "vi"))
    # No phrase for what does not change or is too small to show.
    assert change_phrase("province", "HD", "HP", "vi") is None
    assert change_phrase("wage_arrears_months", 2.0, 2.01, "vi") is None
    assert change_phrase("wage_arrears_months", np.nan, np.nan, "en") is None


def _movement(effects: dict[str, list[float]], delta: list[float]) -> Movement:
    index = pd.Index(["a", "b"], name="enterprise_id")
    frame = pd.DataFrame(effects, index=index)
    d = pd.Series(delta, index=index)
    return Movement(
        p_before=pd.Series([0.01, 0.2], index=index),
        p_now=pd.Series([0.05, 0.1], index=index),
        delta=d,
        effects=frame,
        residual=d - frame.sum(axis=1),
    )


def test_the_reasons_follow_the_direction_and_size_of_the_move() -> None:
    before = pd.DataFrame(
        {"insurance_debt_months": [2, 4], "months_to_tet": [5, 5], "wage_arrears_months": [0, 3]},
        index=["a", "b"],
    )
    now = pd.DataFrame(
        {"insurance_debt_months": [5, 4], "months_to_tet": [4, 4], "wage_arrears_months": [1, 0]},
        index=["a", "b"],
    )
    result = _movement(
        {
            "insurance_debt_months": [1.2, 0.0],
            "months_to_tet": [0.3, 0.1],
            "wage_arrears_months": [-0.2, -0.9],
        },
        [1.3, -0.8],
    )
    table = movers_table(result, now, before, lang="vi").set_index("enterprise_id")
    # Up: the debt first, then Tết; the arrears pulled the other way and are no reason.
    assert table.at["a", "why"] == "nợ BHXH tăng từ 2 lên 5 tháng; thời gian đến Tết giảm từ 5 xuống 4 tháng"
    # Down: the arrears paid are the reason; Tết coming closer pushed up, so it is not named.
    assert table.at["b", "why"] == "nợ lương giảm từ 3 xuống 0 tháng"
    assert table.at["b", "change"] == pytest.approx(-0.1)


def test_every_noun_writes_its_values_in_both_languages() -> None:
    for column in NOUNS:
        low, high = (1e6, 2.5e6) if column.endswith("_vnd_per_worker") else (1.0, 2.0)
        for lang in ("vi", "en"):
            assert change_phrase(column, low, high, lang), (column, lang)
