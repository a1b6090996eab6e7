"""Reasons in plain words: the strongest positive contributions of a row, in Vietnamese and English.

`reasons` / `reasons_table` turn the contributions of `explaining.contributions` into
words with the firm's own values ("3 tháng nợ lương" / "3 months of wage arrears"). Every
column of `features.sets.EWS_FEATURES_V1` has a phrase; a phrase states when it applies
(e.g. Tết within 3 months), and a feature without a phrase that applies to the value
(province, a zero count) is skipped in favour of the next one.

`warning_reasons` (what a night publishes) says acute signs first and tells whether the
warning is acute or structural (`present.signals`). An old dispute of the firm itself reads as
history ("đã có tranh chấp tập thể cách đây 5 năm" / "a collective dispute 5 years ago
(history)"), not as news; beyond `YEARS_AFTER_MONTHS` months a time ago is said in years.

Numbers in Vietnamese reasons are written the Vietnamese way by `vocab.formats` ("1,5 tháng",
"1,95 lần", "quy mô 1.500 lao động"); the English reasons keep Python's plain digits. Names of
sectors, ownerships and zone types come from the catalogue (`vocab.i18n`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from present.signals import ACUTE_MIN_CONTRIBUTION, RECENT_DISPUTE_MONTHS, acute_mask, warning_kinds
from vocab.formats import format_number, format_percent
from vocab.i18n import label, t


def _n(value: float) -> str:
    """A count or a number of months: no decimals when whole, else one."""
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


@functools.lru_cache(maxsize=4096)  # a night repeats the same few month counts thousands of times
def _n_vi(value: float) -> str:
    """`_n` in Vietnamese: the same digits, a decimal comma ("1,5") and a dot between thousands."""
    return format_number(value, "vi", 0 if abs(value - round(value)) < 0.05 else 1)


def _of(value: float, noun: str) -> str:
    """'1 month', '3 months', '1.5 months'."""
    text = _n(value)
    return f"{text} {noun}" if text == "1" else f"{text} {noun}s"


#: Beyond this many months a time ago is said in whole years ("cách đây 5 năm", "5 years ago").
YEARS_AFTER_MONTHS = 24


def _ago_vi(months: float) -> str:
    """How long ago, in Vietnamese: months up to `YEARS_AFTER_MONTHS`, else whole years."""
    if months > YEARS_AFTER_MONTHS:
        return f"{_n_vi(float(months // 12))} năm"
    return f"{_n_vi(months)} tháng"


def _ago_en(months: float) -> str:
    """How long ago, in English: months up to `YEARS_AFTER_MONTHS`, else whole years."""
    if months > YEARS_AFTER_MONTHS:
        return _of(float(months // 12), "year")
    return _of(months, "month")


def _last_dispute_vi(months: float) -> str:
    """A recent dispute of the firm is news; an older one (`present.signals.RECENT_DISPUTE_MONTHS`) is history."""
    if months <= RECENT_DISPUTE_MONTHS:
        return f"tranh chấp tập thể gần nhất cách đây {_n_vi(months)} tháng"
    return f"đã có tranh chấp tập thể cách đây {_ago_vi(months)}"


def _last_dispute_en(months: float) -> str:
    if months <= RECENT_DISPUTE_MONTHS:
        return f"last collective incident {_of(months, 'month')} ago"
    return f"a collective dispute {_ago_en(months)} ago (history)"


def _tet_vi(months: float) -> str:
    return "còn chưa đầy 1 tháng" if months < 1 else f"còn {_n_vi(months)} tháng"


def _tet_en(months: float) -> str:
    return "is less than a month away" if months < 1 else f"in {_of(months, 'month')}"


#: A workforce share below this (it would read "0%") is not stated as a reason.
MIN_SHARE = 0.005


def _pct(value: float) -> str:
    return f"{100 * abs(value):.0f}%"


@functools.lru_cache(maxsize=4096)
def _pct_vi(value: float) -> str:
    """`_pct` in Vietnamese (the same whole percentage, rounded as `_pct` rounds it)."""
    return format_percent(round(100 * abs(value)) / 100, "vi", 0)


def _mvnd(value: float) -> str:
    return f"{value / 1e6:.1f}"


def _mvnd_vi(value: float) -> str:
    """Millions of đồng with one decimal, Vietnamese style: `1,2` (triệu đồng)."""
    return format_number(value / 1e6, "vi", 1)


def _vi(value: float, decimals: int) -> str:
    return format_number(value, "vi", decimals)


def _lower_first(text: str) -> str:
    """A label inside a sentence: "May mặc" -> "may mặc", "Garments" -> "garments"."""
    return text[:1].lower() + text[1:]


#: The sectors, ownerships and zone types a reason names; the others are skipped in favour of
#: the next reason. Fixed here, not taken from the catalogue's keys, so that adding a label
#: for the page never changes which reasons are chosen.
NAMED_SECTORS: tuple[str, ...] = ("13", "14", "15", "16", "26", "27", "31")
NAMED_OWNERSHIPS: tuple[str, ...] = ("fdi", "state", "private")
NAMED_ZONE_TYPES: tuple[str, ...] = ("industrial_zone", "industrial_cluster")

SECTOR_NAMES: dict[str, tuple[str, str]] = {
    code: (_lower_first(label("sector", code, "vi")), _lower_first(label("sector", code, "en")))
    for code in NAMED_SECTORS
}
OWNERSHIP_NAMES: dict[str, tuple[str, str]] = {
    code: (t(f"reason.ownership.{code}", "vi"), t(f"reason.ownership.{code}", "en"))
    for code in NAMED_OWNERSHIPS
}
ZONE_NAMES: dict[str, tuple[str, str]] = {
    code: (t(f"reason.zone_type.{code}", "vi"), t(f"reason.zone_type.{code}", "en"))
    for code in NAMED_ZONE_TYPES
}


@dataclass(frozen=True)
class Phrase:
    """How to say one feature: where it applies (vectorized over values), and the words in Vietnamese and English."""

    applies: Callable[[np.ndarray], np.ndarray]
    vi: Callable[[Any], str]
    en: Callable[[Any], str]


def _num(
    applies: Callable[[np.ndarray], np.ndarray], vi: Callable[[float], str], en: Callable[[float], str]
) -> Phrase:
    def ok(values: np.ndarray) -> np.ndarray:
        v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            return np.isfinite(v) & np.asarray(applies(np.nan_to_num(v)), dtype=bool)

    return Phrase(ok, lambda v: vi(float(v)), lambda v: en(float(v)))


def _named(names: Mapping[str, tuple[str, str]], vi: str, en: str) -> Phrase:
    return Phrase(
        lambda v: np.isin(np.asarray(v).astype("str"), list(names)),
        lambda v: vi.format(names[str(v)][0]),
        lambda v: en.format(names[str(v)][1]),
    )


def _change(months: int) -> Phrase:
    return _num(
        lambda v: abs(v) >= 0.005,
        lambda v: f"{'giảm' if v < 0 else 'tăng'} {_pct_vi(v)} lao động trong {months} tháng",
        lambda v: f"headcount {'down' if v < 0 else 'up'} {_pct(v)} in {months} months",
    )


PHRASES: dict[str, Phrase | None] = {
    "wage_arrears_months": _num(
        lambda v: v > 0,
        lambda v: f"{_n_vi(v)} tháng nợ lương",
        lambda v: f"{_of(v, 'month')} of wage arrears",
    ),
    "wage_arrears_vnd_per_worker": _num(
        lambda v: v > 0,
        lambda v: f"nợ lương {_mvnd_vi(v)} triệu đồng/người",
        lambda v: f"wage arrears of {_mvnd(v)} million VND per worker",
    ),
    "wage_arrears_to_minimum_wage": _num(
        lambda v: v > 0,
        lambda v: f"nợ lương bằng {_vi(v, 1)} tháng lương tối thiểu mỗi người",
        lambda v: f"wage arrears of {v:.1f} minimum monthly wages per worker",
    ),
    "insurance_debt_months": _num(
        lambda v: v > 0,
        lambda v: f"nợ BHXH {_n_vi(v)} tháng",
        lambda v: f"{_of(v, 'month')} of social-insurance debt",
    ),
    "insurance_debt_vnd_per_worker": _num(
        lambda v: v > 0,
        lambda v: f"nợ BHXH {_mvnd_vi(v)} triệu đồng/người",
        lambda v: f"social-insurance debt of {_mvnd(v)} million VND per worker",
    ),
    "insurance_debt_trend_3m": _num(
        lambda v: v > 0,
        lambda v: f"nợ BHXH tăng thêm {_n_vi(v)} tháng trong 3 tháng",
        lambda v: f"social-insurance debt up {_of(v, 'month')} in 3 months",
    ),
    "debt_streak_months": _num(
        lambda v: v > 0,
        lambda v: f"nợ kéo dài {_n_vi(v)} tháng liên tiếp",
        lambda v: f"{_of(v, 'consecutive month')} in debt",
    ),
    "debt_first_appearance": _num(
        lambda v: v >= 1, lambda v: "lần đầu phát sinh nợ", lambda v: "debt appearing for the first time"
    ),
    "insurance_debt_turning_to_wage_arrears": _num(
        lambda v: v >= 1,
        lambda v: "nợ BHXH chuyển thành nợ lương",
        lambda v: "insurance debt turning into wage arrears",
    ),
    "log_headcount": _num(
        lambda v: v > 0,
        lambda v: f"quy mô {_vi(float(np.expm1(v)), 0)} lao động",
        lambda v: f"a workforce of {np.expm1(v):,.0f}",
    ),
    "headcount_change_3m": _change(3),
    "headcount_change_6m": _change(6),
    "headcount_change_12m": _change(12),
    "layoffs_share_1m": _num(
        lambda v: v >= MIN_SHARE,
        lambda v: f"cắt giảm {_pct_vi(v)} lao động trong tháng",
        lambda v: f"{_pct(v)} of workers laid off in the latest month",
    ),
    "layoffs_share_3m": _num(
        lambda v: v >= MIN_SHARE,
        lambda v: f"cắt giảm {_pct_vi(v)} lao động trong 3 tháng",
        lambda v: f"{_pct(v)} of workers laid off in 3 months",
    ),
    "reduced_hours_share": _num(
        lambda v: v >= MIN_SHARE,
        lambda v: f"{_pct_vi(v)} lao động bị giảm giờ làm hoặc tạm nghỉ",
        lambda v: f"{_pct(v)} of workers on reduced hours or suspended",
    ),
    "wage_to_minimum_wage": _num(
        lambda v: v > 0,
        lambda v: f"lương bình quân chỉ bằng {_vi(v, 2)} lần lương tối thiểu vùng",
        lambda v: f"average wage only {v:.2f}× the regional minimum",
    ),
    "months_to_tet": _num(
        lambda v: (v >= 0) & (v <= 3),
        lambda v: f"sắp đến Tết ({_tet_vi(v)}, áp lực thưởng Tết)",
        lambda v: f"Tết {_tet_en(v)} (bonus pressure)",
    ),
    "months_since_minimum_wage_rise": _num(
        lambda v: (v >= 0) & (v <= 6),
        lambda v: f"lương tối thiểu vùng vừa tăng {_n_vi(v)} tháng trước",
        lambda v: f"the minimum wage rose {_of(v, 'month')} ago",
    ),
    "months_to_minimum_wage_rise": _num(
        lambda v: v >= 0,
        lambda v: f"lương tối thiểu vùng sẽ tăng sau {_n_vi(v)} tháng",
        lambda v: f"a minimum-wage rise in {_of(v, 'month')}",
    ),
    "minimum_wage_region_change_12m": _num(
        lambda v: v > 0,
        lambda v: f"chuyển lên vùng lương tối thiểu cao hơn ({_n_vi(v)} bậc)",
        lambda v: f"moved up {_of(v, 'minimum-wage region')}",
    ),
    "zone_stoppages_3m": _num(
        lambda v: v >= 0.5,
        lambda v: f"{_n_vi(v)} vụ ngừng việc gần đây trong cùng KCN/CCN",
        lambda v: f"{_of(v, 'recent stoppage')} in the same zone",
    ),
    "zone_stoppages_decayed": _num(
        lambda v: v >= 0.05,
        lambda v: "làn sóng ngừng việc gần đây trong cùng KCN/CCN",
        lambda v: "a recent wave of stoppages in the same zone",
    ),
    "district_sector_stoppages_3m": _num(
        lambda v: v >= 0.5,
        lambda v: f"{_n_vi(v)} vụ ngừng việc trong 3 tháng ở DN cùng ngành, cùng huyện",
        lambda v: f"{_of(v, 'stoppage')} in 3 months at firms of the same sector and district",
    ),
    "province_stoppages_1m": _num(
        lambda v: v >= 0.5,
        lambda v: f"{_n_vi(v)} vụ ngừng việc trong tỉnh tháng qua",
        lambda v: f"{_of(v, 'stoppage')} in the province last month",
    ),
    "months_since_last_incident": _num(lambda v: v >= 0, _last_dispute_vi, _last_dispute_en),
    "incidents_12m": _num(
        lambda v: v >= 0.5,
        lambda v: f"{_n_vi(v)} vụ tranh chấp tập thể trong 12 tháng",
        lambda v: f"{_of(v, 'collective incident')} in 12 months",
    ),
    "stoppages_12m": _num(
        lambda v: v >= 0.5,
        lambda v: f"{_n_vi(v)} vụ ngừng việc tại DN trong 12 tháng",
        lambda v: f"{_of(v, 'work stoppage')} at the firm in 12 months",
    ),
    "months_since_last_report": _num(
        lambda v: v >= 2,
        lambda v: f"không báo cáo {_n_vi(v)} tháng",
        lambda v: f"no report for {_of(v, 'month')}",
    ),
    "wage_arrears_reported": _num(
        lambda v: v == 0, lambda v: "không báo cáo nợ lương", lambda v: "wage arrears not reported"
    ),
    "insurance_debt_reported": _num(
        lambda v: v == 0, lambda v: "không báo cáo nợ BHXH", lambda v: "insurance debt not reported"
    ),
    "age_years": _num(
        lambda v: v >= 0,
        lambda v: f"thành lập {_n_vi(v)} năm",
        lambda v: f"founded {_of(v, 'year')} ago",
    ),
    "wage_to_peers": _num(
        lambda v: (v > 0) & (v < 0.995),
        lambda v: f"lương thấp hơn {_pct_vi(1 - v)} so với DN cùng ngành, cùng khu",
        lambda v: f"wages {_pct(1 - v)} below peers in the same zone and sector",
    ),
    "province": None,
    "sector": _named(SECTOR_NAMES, "ngành {}", "{} sector"),
    "ownership": _named(OWNERSHIP_NAMES, "{}", "{}"),
    "zone_type": _named(ZONE_NAMES, "{}", "{}"),
}


def _candidates(
    contrib: pd.DataFrame, features: pd.DataFrame
) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
    """The phrased features, their contributions (-inf where not positive or no phrase applies)
    and their values, for the rows of `contrib` (and `features`, by position)."""
    if len(contrib) != len(features):
        raise ValueError("contrib and features must have the same rows")
    names = [c for c in contrib.columns if PHRASES.get(c) is not None and c in features.columns]
    values = contrib.loc[:, names].to_numpy(dtype=np.float64, copy=True)
    feature_values = {c: features[c].to_numpy() for c in names}
    for j, name in enumerate(names):  # masks: only candidates worth phrasing
        candidate = np.flatnonzero(values[:, j] > 0)
        phrase = PHRASES[name]
        assert phrase is not None
        values[candidate[~phrase.applies(feature_values[name][candidate])], j] = 0.0
    values[~(values > 0)] = -np.inf
    return names, values, feature_values


def _say(
    order: np.ndarray, chosen: np.ndarray, names: list[str], feature_values: dict[str, np.ndarray]
) -> tuple[list[str], list[str]]:
    """The chosen features of each row (`order`: column positions in `names`), said in vi and en."""
    vi = np.full(order.shape, "", dtype=object)
    en = np.full(order.shape, "", dtype=object)
    for j, name in enumerate(names):
        hit = chosen & (order == j)
        if not hit.any():
            continue
        phrase = PHRASES[name]
        assert phrase is not None
        picked = feature_values[name][np.nonzero(hit)[0]]
        vi[hit] = [phrase.vi(v) for v in picked]
        en[hit] = [phrase.en(v) for v in picked]
    return ["; ".join(p for p in row if p) for row in vi], ["; ".join(p for p in row if p) for row in en]


def reasons_table(contrib: pd.DataFrame, features: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """Columns `reasons` (Vietnamese) and `reasons_en`: the n strongest positive contributions in words.

    Rows align with `contrib` (and `features`, by position). Only features with a phrase that
    applies to the row's value count; strongest first, joined with "; "; "" when none.
    """
    names, values, feature_values = _candidates(contrib, features)
    width = min(n, len(names))
    order = np.argsort(-values, axis=1, kind="stable")[:, :width]
    chosen = np.isfinite(np.take_along_axis(values, order, axis=1))
    vi, en = _say(order, chosen, names, feature_values)
    return pd.DataFrame({"reasons": vi, "reasons_en": en}, index=contrib.index)


def warning_reasons(contrib: pd.DataFrame, features: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """`reasons_table` with acute signs first, and each row's `warning_kind` (`present.signals`).

    An acute sign (`present.signals.acute_mask`) whose phrase applies is stated before the
    structural ones when it is among the row's n strongest signs or contributes at least
    `present.signals.ACUTE_MIN_CONTRIBUTION`; acute ones by strength, then the others by
    strength, n in all. `warning_kind` is "acute" when a stated reason is acute (so the text
    then opens with it), else "structural" (also when nothing is stated).
    """
    names, values, feature_values = _candidates(contrib, features)
    rows = len(values)
    width = min(n, len(names))
    strength = np.argsort(-values, axis=1, kind="stable")
    finite = np.isfinite(values)
    strongest = np.zeros(values.shape, dtype=bool)
    np.put_along_axis(strongest, strength[:, :width], True, axis=1)
    acute = (
        np.column_stack([acute_mask(name, feature_values[name]) for name in names])
        if names
        else np.zeros((rows, 0), dtype=bool)
    )
    first = acute & finite & (strongest | (values >= ACUTE_MIN_CONTRIBUTION))
    # Acute signs first, each group by strength: a stable sort of the strength order on "not first".
    regroup = np.argsort(~np.take_along_axis(first, strength, axis=1), axis=1, kind="stable")
    order = np.take_along_axis(strength, regroup, axis=1)[:, :width]
    chosen = np.isfinite(np.take_along_axis(values, order, axis=1))
    vi, en = _say(order, chosen, names, feature_values)
    kinds = warning_kinds(np.take_along_axis(first, order, axis=1) & chosen)
    return pd.DataFrame({"reasons": vi, "reasons_en": en, "warning_kind": kinds}, index=contrib.index)


def reasons(
    contrib_row: pd.Series, feature_row: pd.Series | Mapping[str, Any], n: int = 3
) -> tuple[str, str]:
    """The n strongest warning signs of one row: (Vietnamese, English), joined with "; "."""
    features = pd.DataFrame([dict(feature_row)])
    table = reasons_table(contrib_row.to_frame().T.reset_index(drop=True), features, n)
    return str(table.iloc[0]["reasons"]), str(table.iloc[0]["reasons_en"])
