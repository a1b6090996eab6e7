"""Month arithmetic: one origin (1970-01) for numbers, labels, years and first days."""

import numpy as np
import pandas as pd

from vocab.months import (
    label_month_number,
    month_labels,
    month_number,
    month_starts,
    year_of_month,
)


def test_the_origin_is_january_1970() -> None:
    assert label_month_number("1970-01") == 0
    assert label_month_number("2019-01") == 49 * 12
    assert int(month_number(pd.Timestamp("2019-01-31"))) == 49 * 12


def test_labels_numbers_and_dates_agree() -> None:
    labels = ["1969-12", "1970-01", "2019-01", "2022-12", "2024-02", "2026-10"]
    numbers = np.array([label_month_number(label) for label in labels])
    assert month_labels(numbers) == labels
    starts = month_starts(numbers)
    assert list(np.datetime_as_string(starts)) == [f"{label}-01" for label in labels]
    assert (month_number(starts) == numbers).all()
    assert (month_number(pd.Series(starts) + pd.Timedelta(days=27)) == numbers).all()


def test_year_and_month_of_the_year() -> None:
    numbers = np.array([label_month_number(m) for m in ("1969-12", "1970-01", "2019-01", "2024-12")])
    assert year_of_month(numbers).tolist() == [1969, 1970, 2019, 2024]
    assert (numbers % 12).tolist() == [11, 0, 0, 11]  # month of the year minus one


def test_differences_are_calendar_months() -> None:
    early, late = pd.Timestamp("2023-01-31"), pd.Timestamp("2023-03-01")
    assert int(month_number(late)) - int(month_number(early)) == 2
    assert label_month_number("2025-02") - label_month_number("2024-11") == 3
