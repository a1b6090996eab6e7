"""Month arithmetic, declared once: every month is counted from 1970-01 and every day from 1970-01-01.

Month differences are exact integers whatever the day of the month; a month's number
modulo 12 is its month of the year minus one (January is 0).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

#: Mean Gregorian month in days (365.2425 / 12): ages and decays of incidents in months.
DAYS_PER_MONTH = 30.4375
#: The calendar features' month (Tết, minimum-wage rises), rounded to two decimals. Every
#: registered model was trained with it; changing it to `DAYS_PER_MONTH` would move those
#: features by up to 0.01% and so every score, which a refactoring must not do.
CALENDAR_DAYS_PER_MONTH = 30.44


def month_number(dates: np.ndarray | pd.Series | pd.DatetimeIndex | pd.Timestamp) -> np.ndarray:
    """Months since 1970-01 of each date (int64); the unit for all month arithmetic."""
    values = np.asarray(dates, dtype="datetime64[ns]")
    return values.astype("datetime64[M]").astype(np.int64)


def day_number(dates: np.ndarray | pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Days since 1970-01-01 of each date (int64), NaT as the smallest int64."""
    values = np.asarray(dates, dtype="datetime64[ns]")
    return values.astype("datetime64[D]").astype(np.int64)


def label_month_number(label: str) -> int:
    """The month number of a `YYYY-MM` label."""
    year, month = label.split("-")[:2]
    return (int(year) - 1970) * 12 + int(month) - 1


def month_labels(numbers: np.ndarray) -> list[str]:
    """The `YYYY-MM` label of each month number (the inverse of `label_month_number`)."""
    return [f"{1970 + m // 12}-{m % 12 + 1:02d}" for m in np.asarray(numbers, dtype=np.int64).tolist()]


def year_of_month(numbers: np.ndarray) -> np.ndarray:
    """The calendar year (int64) of each month number: for yearly factors keyed by year."""
    return 1970 + np.asarray(numbers, dtype=np.int64) // 12


def month_starts(numbers: np.ndarray) -> np.ndarray:
    """The first day (datetime64[D]) of each month number."""
    return np.asarray(numbers, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]")


def months_before(day: pd.Timestamp, months: int) -> pd.Timestamp:
    """Midnight of the same day `months` calendar months earlier (clipped to the month's last day)."""
    return (pd.Timestamp(day) - pd.DateOffset(months=months)).normalize()


def today_in_vietnam() -> dt.date:
    """Today's date in Asia/Ho_Chi_Minh: the default night, and the "today" of every date rule."""
    return pd.Timestamp.now(tz="Asia/Ho_Chi_Minh").date()
