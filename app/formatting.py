"""Numbers, money and dates the way a Vietnamese (or English) reader writes them.

Vietnamese groups thousands with a dot and writes decimals with a comma
(`1.234.567 ₫`, `12,5 %`) and dates day first (`26/11/2026`); English uses
`1,234,567 ₫`, `12.5%` and ISO dates. Missing values show as an empty string: a figure that
was not reported is not zero.
"""

from __future__ import annotations

import datetime as dt
import math
from numbers import Real

import pandas as pd


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def format_number(value: object, lang: str = "vi", decimals: int = 0) -> str:
    """`1234567.5` -> `1.234.567,5` (vi) or `1,234,567.5` (en); '' when missing."""
    if _missing(value) or not isinstance(value, Real) or not math.isfinite(float(value)):
        return ""
    text = f"{float(value):,.{decimals}f}"
    if lang == "en":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def format_money(value: object, lang: str = "vi") -> str:
    """An amount in đồng: `1.234.567 ₫` (vi) or `1,234,567 ₫` (en); '' when missing."""
    number = format_number(value, lang, 0)
    return f"{number} ₫" if number else ""


def format_percent(share: object, lang: str = "vi", decimals: int = 1) -> str:
    """A share 0..1 as a percentage: `12,5 %` (vi) or `12.5%` (en); '' when missing."""
    if _missing(share) or not isinstance(share, Real):
        return ""
    number = format_number(float(share) * 100, lang, decimals)
    return f"{number} %" if lang != "en" else f"{number}%"


def format_date(value: object, lang: str = "vi") -> str:
    """A date as `26/11/2026` (vi) or `2026-11-26` (en); '' when missing or unreadable."""
    if _missing(value):
        return ""
    try:
        day = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if pd.isna(day):
        return ""
    return day.strftime("%Y-%m-%d" if lang == "en" else "%d/%m/%Y")


def format_month(value: object, lang: str = "vi") -> str:
    """A month as `11/2026` (vi) or `2026-11` (en)."""
    if _missing(value):
        return ""
    day = pd.Timestamp(value)  # type: ignore[arg-type]
    return day.strftime("%Y-%m" if lang == "en" else "%m/%Y")


def format_timestamp(value: object, lang: str = "vi", tz: str = "Asia/Ho_Chi_Minh") -> str:
    """A UTC instant in local time: `26/11/2026 09:30` (vi) or `2026-11-26 09:30` (en)."""
    if _missing(value):
        return ""
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(dt.UTC)
    local = stamp.tz_convert(tz)
    return local.strftime("%Y-%m-%d %H:%M" if lang == "en" else "%d/%m/%Y %H:%M")


def plain(text: object) -> str:
    """Text that Streamlit's Markdown shows literally: ASCII punctuation backslash-escaped, no newlines.

    Names come from deliveries and may hold `[link](...)`, `![img](...)`, `:red[...]` or
    `=HYPERLINK(...)`; escaped, they are displayed as the characters they are (B31).
    """
    value = " ".join(str(text).split())
    return "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in value)


_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


__all__ = [
    "plain",
    "format_date",
    "format_money",
    "format_month",
    "format_number",
    "format_percent",
    "format_timestamp",
]
