"""The part of "why it moved" that `ews explain` and the page share (`present.movers`): which
dates a night is compared with, and one firm's move split among the inputs that changed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from present.movers import contributions, enterprise_movement, since_dates

COLUMNS = ("wage_arrears_months", "insurance_debt_months", "months_to_tet")


def test_a_night_is_compared_with_the_previous_scored_night_and_a_month_before() -> None:
    nights = ["2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31"]
    assert since_dates(nights, pd.Timestamp("2024-06-30")) == [
        ("previous_night", pd.Timestamp("2024-05-31")),
        ("month_before", pd.Timestamp("2024-05-30")),
    ]
    # When the previous night is the month before, it is said once; the first night has only
    # the month before.
    assert since_dates(["2024-05-15", "2024-06-15"], pd.Timestamp("2024-06-15")) == [
        ("previous_night", pd.Timestamp("2024-05-15"))
    ]
    assert since_dates(nights, pd.Timestamp("2024-04-30")) == [("month_before", pd.Timestamp("2024-03-30"))]


@pytest.fixture(scope="module")
def model() -> LogisticRegression:
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.integers(0, 6, size=(400, 3)).astype(float), columns=list(COLUMNS))
    y = (x["wage_arrears_months"] + 0.5 * x["insurance_debt_months"] + rng.normal(size=400) > 4).astype(int)
    return LogisticRegression().fit(x, y)


def _features(rows: dict[str, tuple[float, float, float]], as_of: str) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    return frame.rename_axis("enterprise_id").reset_index().assign(as_of=pd.Timestamp(as_of))


def test_one_firms_move_is_split_among_the_inputs_that_changed(model: LogisticRegression) -> None:
    now = _features({"A": (3, 5, 4), "B": (0, 0, 4)}, "2024-06-30")
    before = [
        (
            "previous_night",
            pd.Timestamp("2024-05-31"),
            _features({"A": (1, 2, 4), "B": (0, 0, 5)}, "2024-05-31"),
        ),
        ("month_before", pd.Timestamp("2024-05-30"), _features({"B": (0, 0, 5)}, "2024-05-30")),
    ]
    moved = enterprise_movement(model, COLUMNS, "A", now, before)
    assert [m.kind for m in moved] == ["previous_night"]  # A had no features a month before
    (since,) = moved
    p = model.predict_proba(pd.DataFrame([[1, 2, 4], [3, 5, 4]], columns=list(COLUMNS)))[:, 1]
    assert since.score_before == pytest.approx(p[0]) and since.score_now == pytest.approx(p[1])
    table = since.contributions
    # Only the two figures that changed, the larger effect first; Tết did not move.
    assert set(table["input"]) == {"wage_arrears_months", "insurance_debt_months"}
    assert list(table["effect"].abs()) == sorted(table["effect"].abs(), reverse=True)
    logit = np.log(p / (1 - p))
    assert table["effect"].sum() + since.residual == pytest.approx(logit[1] - logit[0])
    assert since.residual == pytest.approx(0, abs=1e-9)  # a logistic model is additive
    assert "nợ lương tăng từ 1 lên 3 tháng" in since.why
    assert "wage arrears up from 1 to 3 months" in since.why_en
    row = table.set_index("input").loc["insurance_debt_months"]
    assert (row["before"], row["now"], row["phrase"]) == (2, 5, "nợ BHXH tăng từ 2 lên 5 tháng")
    assert enterprise_movement(model, COLUMNS, "Z", now, before) == []


def test_an_input_with_no_effect_is_not_a_contribution() -> None:
    from explaining.movement import Movement

    index = pd.Index(["A"], name="enterprise_id")
    result = Movement(
        p_before=pd.Series([0.1], index=index),
        p_now=pd.Series([0.2], index=index),
        delta=pd.Series([0.8], index=index),
        effects=pd.DataFrame({"wage_arrears_months": [0.8], "months_to_tet": [0.0]}, index=index),
        residual=pd.Series([0.0], index=index),
    )
    frame = pd.DataFrame({"wage_arrears_months": [2.0], "months_to_tet": [3.0]}, index=index)
    table = contributions(result, frame, frame.assign(wage_arrears_months=1.0), "A")
    assert list(table["input"]) == ["wage_arrears_months"]
    assert table["phrase_en"].iloc[0] == "wage arrears up from 1 to 2 months"
