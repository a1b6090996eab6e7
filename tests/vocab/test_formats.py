"""Numbers, money, percentages and dates as Babel writes them for Vietnamese and English readers."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from vocab.formats import (
    format_date,
    format_money,
    format_month,
    format_number,
    format_percent,
    format_probability,
    format_significant,
    format_timestamp,
)
from vocab.i18n import UnknownLanguage

NBSP = "\u00a0"  # CLDR keeps the amount and the đồng sign on one line
FORMATTERS = (
    format_number,
    format_significant,
    format_money,
    format_percent,
    format_probability,
    format_date,
    format_month,
    format_timestamp,
)


def test_numbers_group_thousands_with_a_dot_and_write_decimals_with_a_comma_in_vietnamese() -> None:
    assert format_number(1234567) == "1.234.567"
    assert format_number(1234567.5, "vi", 1) == "1.234.567,5"
    assert format_number(1234567.5, "en", 1) == "1,234,567.5"
    assert format_number(np.int64(1460), "vi") == "1.460" and format_number(1460, "en") == "1,460"
    assert format_number(1.95, "vi", 2) == "1,95" and format_number(-2.5, "vi", 1) == "-2,5"
    # Rounded as Python rounds the binary value, so both languages show the same digits.
    assert format_number(2.675, "vi", 2) == "2,67" and f"{2.675:.2f}" == "2.67"
    assert format_number(0.5) == "0" and format_number(1.5) == "2"


def test_money_is_in_dong_with_the_sign_after_the_amount() -> None:
    assert format_money(1234567) == f"1.234.567{NBSP}₫"
    assert format_money(1234567.4, "en") == f"1,234,567{NBSP}₫"
    assert format_money(0) == f"0{NBSP}₫"


def test_percentages_as_cldr_writes_them() -> None:
    assert format_percent(0.125) == "12,5%" and format_percent(0.125, "en") == "12.5%"
    assert format_percent(0.4, "vi", 2) == "40,00%" and format_percent(0.4, "en", 0) == "40%"
    assert format_percent(12.345, "vi", 0) == "1.234%"


def test_probabilities_keep_three_significant_digits_and_never_an_exponent() -> None:
    assert format_probability(9.051e-05) == "0,00905%"
    assert format_probability(9.051e-05, "en") == "0.00905%"
    assert format_probability(0.4) == "40,0%" and format_probability(0.0123, "en") == "1.23%"
    assert format_probability(0.9999) == "100,0%" and format_probability(1.0) == "100%"
    assert format_probability(0.0) == "0%"
    assert format_probability(1e-12) == "< 0,000001%" and format_probability(1e-12, "en") == "< 0.000001%"
    assert format_probability(3e-5, "vi", 2) == "0,0030%"
    for p in np.geomspace(1e-8, 1, 200):
        for lang in ("vi", "en"):
            assert not re.search(r"[eE]", format_probability(float(p), lang)), p


def test_other_numbers_keep_four_significant_digits_without_an_exponent() -> None:
    assert format_significant(9.051e-05) == "0,00009051"
    assert format_significant(9.051e-05, "en") == "0.00009051"
    assert format_significant(1 / 3) == "0,3333" and format_significant(0.3) == "0,3"
    assert format_significant(3000.0) == "3.000" and format_significant(123456.7, "en") == "123,457"
    assert format_significant(0) == "0" and format_significant(np.float32(0.1)) == "0,1"


def test_dates_are_day_first_in_vietnamese_and_iso_in_english() -> None:
    assert format_date("2026-11-26") == "26/11/2026" and format_date("2026-11-26", "en") == "2026-11-26"
    assert format_date(dt.date(2026, 1, 6)) == "06/01/2026"
    assert format_date(pd.Timestamp("2024-06-30 23:59")) == "30/06/2024"
    assert format_month(pd.Timestamp("2026-11-01")) == "11/2026"
    assert format_month("2026-01-15", "en") == "2026-01" and format_month("2026-01-15") == "01/2026"


def test_instants_are_shown_in_vietnam_time() -> None:
    assert format_timestamp("2026-11-26T02:30:00+00:00") == "26/11/2026 09:30"
    assert format_timestamp("2026-11-26T02:30:00+00:00", "en") == "2026-11-26 09:30"
    assert format_timestamp(pd.Timestamp("2026-11-26 18:00")) == "27/11/2026 01:00"  # naive means UTC
    assert format_timestamp("2026-11-26T02:30:00+00:00", "en", tz="UTC") == "2026-11-26 02:30"


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, pd.NaT, float("inf"), "not a number"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_missing_value_is_empty_not_zero(missing: object, lang: str) -> None:
    for formatter in (format_number, format_significant, format_money, format_percent, format_probability):
        assert formatter(missing, lang) == "", (formatter.__name__, missing)
    if not isinstance(missing, float | str):
        for formatter in (format_date, format_month, format_timestamp):
            assert formatter(missing, lang) == "", (formatter.__name__, missing)
    assert format_date("not a date", lang) == "" and format_month("2026-13", lang) == ""


@pytest.mark.parametrize("formatter", FORMATTERS)
def test_an_unknown_language_is_refused(formatter: object) -> None:
    value = "2026-11-26" if formatter in (format_date, format_month, format_timestamp) else 0.5
    with pytest.raises(UnknownLanguage, match="choose one of vi, en"):
        formatter(value, "fr")  # type: ignore[operator]
