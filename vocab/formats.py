"""Numbers, money, percentages and dates as a Vietnamese (or English) reader writes them, by Babel.

Every figure shown in Vietnamese goes through here, so the page, the nightly report, the
reasons and the command line write `1.234.567`, `12,5%` and `26/11/2026` alike. The symbols
and digit patterns are the CLDR data of locales `vi_VN` and `en_US` (Babel), not
hand-written:

- numbers: `1.234.567,5` (vi), `1,234,567.5` (en);
- money in đồng: `1.234.567 ₫` in both languages (amount first, as Vietnamese writes it; the
  space is the no-break space U+00A0 of CLDR so the amount never wraps away from its sign);
- percentages: `12,5%` (vi, CLDR writes no space), `12.5%` (en);
- dates: day first `26/11/2026` (vi), ISO `2026-11-26` (en), months `11/2026` / `2026-11`,
  instants in Vietnam's time zone `26/11/2026 09:30` / `2026-11-26 09:30`. CLDR's own short
  Vietnamese date has a two-digit year (`26/11/26`), so the patterns are given explicitly.

Probabilities of a rare event are often below 0.1%: `format_probability` writes them as a
percentage with three significant digits and never in scientific notation (`9.051e-05` is
`0,00905%`), and `format_significant` does the same for any other small or large number.

A missing value (None, NaN, NaT, pd.NA, ±inf) is an empty string: a figure that was not
reported is not zero. An unknown language raises `vocab.i18n.UnknownLanguage`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from numbers import Real

import pandas as pd
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from vocab.i18n import check_lang

#: The Babel locale of each language.
LOCALES: dict[str, Locale] = {"vi": Locale.parse("vi_VN"), "en": Locale.parse("en_US")}
#: Date, month and instant patterns (Babel/CLDR syntax) of each language.
DATE_PATTERNS: dict[str, str] = {"vi": "dd/MM/y", "en": "y-MM-dd"}
MONTH_PATTERNS: dict[str, str] = {"vi": "MM/y", "en": "y-MM"}
TIMESTAMP_PATTERNS: dict[str, str] = {"vi": "dd/MM/y HH:mm", "en": "y-MM-dd HH:mm"}
#: Money: the amount, a no-break space, the currency sign (Vietnam's CLDR pattern, used for both).
MONEY_PATTERN = "#,##0\u00a0¤"
#: Vietnam's time zone, in which instants (publication, deliveries, reviews) are shown.
LOCAL_TZ = "Asia/Ho_Chi_Minh"
#: Below this a probability is written "< 0,000001%" rather than as a long row of zeros.
SMALLEST_PROBABILITY = 1e-8
_MAX_DECIMALS = 12


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _finite(value: object) -> float | None:
    """`value` as a finite float, or None when it is missing, not a number, or infinite."""
    if _missing(value) or isinstance(value, bool) or not isinstance(value, Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _pattern(decimals: int, optional: bool = False) -> str:
    """`#,##0` with `decimals` decimal places, required ("0") or only when not zero ("#")."""
    return "#,##0" + ("." + ("#" if optional else "0") * decimals if decimals > 0 else "")


@functools.lru_cache(maxsize=8192)
def _decimal(number: float, pattern: str, lang: str) -> str:
    # Cached: the reasons of a night format the same few month counts and shares many times.
    return babel_numbers.format_decimal(number, format=pattern, locale=LOCALES[lang])


@functools.lru_cache(maxsize=4096)
def _percent(share: float, pattern: str, lang: str) -> str:
    return babel_numbers.format_percent(share, format=pattern, locale=LOCALES[lang])


def _decimals_for(magnitude: float, digits: int) -> int:
    """Decimal places that show `digits` significant digits of `magnitude` (> 0), at least 0."""
    return min(_MAX_DECIMALS, max(0, digits - 1 - math.floor(math.log10(magnitude))))


def format_number(value: object, lang: str = "vi", decimals: int = 0) -> str:
    """`1234567.5` -> `1.234.567,5` (vi) or `1,234,567.5` (en) with `decimals` places; '' when missing.

    The value is rounded half-to-even on its binary value first (as Python's `round` and
    f-strings do), so the Vietnamese and the English text of one number show the same digits.
    """
    lang = check_lang(lang)
    number = _finite(value)
    if number is None:
        return ""
    return _decimal(round(number, decimals), _pattern(decimals), lang)


def format_significant(value: object, lang: str = "vi", digits: int = 4) -> str:
    """A number with `digits` significant digits and never an exponent; '' when missing.

    Like Python's `.4g` without its scientific notation: `9.051e-05` -> `0,00009051` (vi),
    `1/3` -> `0,3333`, `3000.0` -> `3.000`; trailing zeros are dropped (`0.3` -> `0,3`).
    """
    lang = check_lang(lang)
    number = _finite(value)
    if number is None:
        return ""
    if number == 0:
        return _decimal(0.0, "0", lang)
    decimals = _decimals_for(abs(number), digits)
    return _decimal(round(number, decimals), _pattern(decimals, optional=True), lang)


def format_money(value: object, lang: str = "vi") -> str:
    """An amount in đồng: `1.234.567 ₫` in both languages (grouping of `lang`); '' when missing."""
    lang = check_lang(lang)
    number = _finite(value)
    if number is None:
        return ""
    return babel_numbers.format_currency(
        round(number), "VND", format=MONEY_PATTERN, locale=LOCALES[lang], currency_digits=False
    )


def format_percent(share: object, lang: str = "vi", decimals: int = 1) -> str:
    """A share 0..1 as a percentage: `12,5%` (vi) or `12.5%` (en); '' when missing."""
    lang = check_lang(lang)
    number = _finite(share)
    if number is None:
        return ""
    return _percent(round(number * 100, decimals) / 100, _pattern(decimals) + "%", lang)


def format_probability(p: object, lang: str = "vi", digits: int = 3) -> str:
    """A probability as a percentage with `digits` significant digits, never in scientific notation.

    `0.4` -> `40,0%`, `0.0123` -> `1,23%`, `9.051e-05` -> `0,00905%` (vi; `0.00905%` in
    English); 0 -> `0%`; a positive value below `SMALLEST_PROBABILITY` -> `< 0,000001%`.
    '' when missing.
    """
    lang = check_lang(lang)
    number = _finite(p)
    if number is None:
        return ""
    if number == 0:
        return _percent(0.0, "0%", lang)
    if 0 < abs(number) < SMALLEST_PROBABILITY:
        floor = SMALLEST_PROBABILITY * 100
        return "< " + _percent(SMALLEST_PROBABILITY, _pattern(_decimals_for(floor, 1)) + "%", lang)
    decimals = _decimals_for(abs(number) * 100, digits)
    return _percent(round(number * 100, decimals) / 100, _pattern(decimals) + "%", lang)


def _timestamp(value: object) -> pd.Timestamp | None:
    """`value` read as a timestamp (a date, a datetime, an ISO text), or None when missing/unreadable."""
    if _missing(value):
        return None
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if pd.isna(stamp) else stamp


def _format_day(value: object, lang: str, patterns: dict[str, str]) -> str:
    """`value`'s day in the language's pattern of `patterns`; '' when missing or unreadable."""
    lang = check_lang(lang)
    stamp = _timestamp(value)
    if stamp is None:
        return ""
    return babel_dates.format_date(stamp.date(), patterns[lang], locale=LOCALES[lang])


def format_date(value: object, lang: str = "vi") -> str:
    """A date as `26/11/2026` (vi) or `2026-11-26` (en); '' when missing or unreadable."""
    return _format_day(value, lang, DATE_PATTERNS)


def format_month(value: object, lang: str = "vi") -> str:
    """A month as `11/2026` (vi) or `2026-11` (en); '' when missing or unreadable."""
    return _format_day(value, lang, MONTH_PATTERNS)


def format_timestamp(value: object, lang: str = "vi", tz: str = LOCAL_TZ) -> str:
    """An instant in Vietnam's time: `26/11/2026 09:30` (vi) or `2026-11-26 09:30` (en).

    A naive value is taken as UTC (how the workspace stores instants); '' when missing.
    """
    lang = check_lang(lang)
    stamp = _timestamp(value)
    if stamp is None:
        return ""
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(dt.UTC)
    local = stamp.tz_convert(tz).to_pydatetime()
    return babel_dates.format_datetime(
        local, TIMESTAMP_PATTERNS[lang], tzinfo=local.tzinfo, locale=LOCALES[lang]
    )


__all__ = [
    "DATE_PATTERNS",
    "LOCALES",
    "LOCAL_TZ",
    "MONEY_PATTERN",
    "MONTH_PATTERNS",
    "SMALLEST_PROBABILITY",
    "TIMESTAMP_PATTERNS",
    "format_date",
    "format_money",
    "format_month",
    "format_number",
    "format_percent",
    "format_probability",
    "format_significant",
    "format_timestamp",
]


_CONTROL = str.maketrans({c: "\ufffd" for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]})


def plain_text(value: object) -> str:
    """A name or a value from a file, safe to print on a terminal: control characters
    (terminal escape sequences among them) replaced by U+FFFD; missing as empty text."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).translate(_CONTROL)
