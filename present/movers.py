"""Why a firm moved, in words: the inputs whose change moved its score, each said as a change
("nợ BHXH tăng từ 2 lên 5 tháng" / "social-insurance debt up from 2 to 5 months").

The numbers come from `explaining.movement` (the change of log-odds split among the inputs
that changed); this module only chooses and words them. An input that moved the score by
less than `MIN_EFFECT` in log-odds is not worth a line. Inputs with no change phrase
(province, sector: they do not change) are never named.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from explaining.movement import Movement, movement
from present.phrasebook import _mvnd as phrase_mvnd
from present.phrasebook import _mvnd_vi, _n, _n_vi
from vocab.formats import format_number, format_percent

#: An input's effect on the log-odds below this is not named (about a 2% relative change of the score).
MIN_EFFECT = 0.02


def _months(value: float, lang: str) -> str:
    """A count or a number of months as the reasons write it (no decimals when whole)."""
    return _n_vi(value) if lang == "vi" else _n(value)


_count = _months


def _pct(value: float, lang: str) -> str:
    return format_percent(round(100 * value) / 100, "vi", 0) if lang == "vi" else f"{100 * value:.0f}%"


def _mvnd(value: float, lang: str) -> str:
    return _mvnd_vi(value) if lang == "vi" else phrase_mvnd(value)


def _times(value: float, lang: str) -> str:
    return format_number(value, "vi", 2) if lang == "vi" else f"{value:.2f}"


@dataclass(frozen=True)
class Noun:
    """How to name an input in a change: its noun and unit in each language, how to write a value."""

    vi: str
    en: str
    fmt: Callable[[float, str], str]
    unit_vi: str = ""
    unit_en: str = ""


NOUNS: dict[str, Noun] = {
    "wage_arrears_months": Noun("nợ lương", "wage arrears", _months, " tháng", " months"),
    "wage_arrears_vnd_per_worker": Noun(
        "nợ lương mỗi người", "wage arrears per worker", _mvnd, " triệu đồng", " million VND"
    ),
    "wage_arrears_to_minimum_wage": Noun(
        "nợ lương (số tháng lương tối thiểu mỗi người)", "wage arrears (minimum monthly wages per worker)", _times
    ),
    "insurance_debt_months": Noun("nợ BHXH", "social-insurance debt", _months, " tháng", " months"),
    "insurance_debt_vnd_per_worker": Noun(
        "nợ BHXH mỗi người", "social-insurance debt per worker", _mvnd, " triệu đồng", " million VND"
    ),
    "insurance_debt_trend_3m": Noun(
        "mức tăng nợ BHXH trong 3 tháng", "the 3-month rise of insurance debt", _months, " tháng", " months"
    ),
    "debt_streak_months": Noun("thời gian nợ liên tiếp", "consecutive months in debt", _months, " tháng", ""),
    "headcount_change_3m": Noun("biến động lao động 3 tháng", "the 3-month headcount change", _pct),
    "headcount_change_6m": Noun("biến động lao động 6 tháng", "the 6-month headcount change", _pct),
    "headcount_change_12m": Noun("biến động lao động 12 tháng", "the 12-month headcount change", _pct),
    "layoffs_share_1m": Noun("tỷ lệ cho thôi việc trong tháng", "the share laid off in the month", _pct),
    "layoffs_share_3m": Noun("tỷ lệ cho thôi việc trong 3 tháng", "the share laid off in 3 months", _pct),
    "reduced_hours_share": Noun(
        "tỷ lệ lao động giảm giờ làm, tạm nghỉ", "the share on reduced hours or suspended", _pct
    ),
    "wage_to_minimum_wage": Noun(
        "lương bình quân so với lương tối thiểu vùng", "the average wage against the regional minimum", _times,
        " lần", "×",
    ),
    "wage_to_peers": Noun("lương so với DN cùng ngành, cùng khu", "wages against peers", _times, " lần", "×"),
    "zone_stoppages_3m": Noun(
        "số vụ ngừng việc trong cùng KCN/CCN (3 tháng)", "stoppages in the same zone (3 months)", _count
    ),
    "zone_stoppages_decayed": Noun(
        "mức độ ngừng việc gần đây trong cùng KCN/CCN", "recent stoppages in the same zone (weighted)", _times
    ),
    "district_sector_stoppages_3m": Noun(
        "số vụ ngừng việc cùng ngành, cùng huyện (3 tháng)",
        "stoppages at firms of the same sector and district (3 months)",
        _count,
    ),
    "province_stoppages_1m": Noun("số vụ ngừng việc trong tỉnh (1 tháng)", "stoppages in the province (1 month)", _count),
    "months_since_last_incident": Noun(
        "thời gian từ tranh chấp gần nhất", "time since the last incident", _months, " tháng", " months"
    ),
    "incidents_12m": Noun("số vụ tranh chấp trong 12 tháng", "incidents in 12 months", _count),
    "stoppages_12m": Noun("số vụ ngừng việc tại DN trong 12 tháng", "stoppages at the firm in 12 months", _count),
    "months_since_last_report": Noun(
        "thời gian chưa báo cáo", "time without a report", _months, " tháng", " months"
    ),
    "months_to_tet": Noun("thời gian đến Tết", "time to Tết", _months, " tháng", " months"),
    "months_since_minimum_wage_rise": Noun(
        "thời gian từ lần tăng lương tối thiểu", "time since the minimum-wage rise", _months, " tháng", " months"
    ),
    "months_to_minimum_wage_rise": Noun(
        "thời gian đến lần tăng lương tối thiểu", "time to the minimum-wage rise", _months, " tháng", " months"
    ),
    "log_headcount": Noun(
        "quy mô lao động", "the workforce", lambda v, lang: _count(float(math.expm1(v)), lang), " người", ""
    ),
}  # fmt: skip


def change_phrase(column: str, before: Any, after: Any, lang: str = "vi") -> str | None:
    """One input's change in words, or None when the input has no change phrase."""
    noun = NOUNS.get(column)
    if noun is None:
        return None
    name = noun.vi if lang == "vi" else noun.en
    unit = noun.unit_vi if lang == "vi" else noun.unit_en
    b, a = pd.to_numeric(pd.Series([before, after]), errors="coerce").tolist()
    if math.isnan(a) and math.isnan(b):
        return None
    if math.isnan(b):
        value = noun.fmt(a, lang) + unit
        return (
            f"{name}: {value} (trước đó chưa có số liệu)"
            if lang == "vi"
            else f"{name} now {value} (no figure before)"
        )
    if math.isnan(a):
        return f"{name}: không còn số liệu" if lang == "vi" else f"{name}: no longer reported"
    was, now = noun.fmt(b, lang), noun.fmt(a, lang)
    if was == now:  # a change too small to show at this precision
        return None
    if lang == "vi":
        return f"{name} {'tăng' if a > b else 'giảm'} từ {was} {'lên' if a > b else 'xuống'} {now}{unit}"
    return f"{name} {'up' if a > b else 'down'} from {was} to {now}{unit}"


def movers_table(
    result: Movement, now: pd.DataFrame, before: pd.DataFrame, n: int = 3, lang: str = "vi"
) -> pd.DataFrame:
    """For each firm (the index of `result`): scores at both dates and the change's reasons.

    `why` lists up to `n` inputs that moved the score the most, in the direction it moved
    (an input that pulled against the move is not a reason for it), as one text. The
    ordering is done on arrays for every firm at once (a night lists thousands of movers);
    only the phrases are made firm by firm.
    """
    firms = result.delta.index
    effects = result.effects.reindex(index=firms)
    columns = [str(c) for c in effects.columns]
    delta = result.delta.to_numpy(dtype=np.float64)
    values = effects.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        same_way = (values * delta[:, None] > 0) & (np.abs(values) >= MIN_EFFECT)
    # Largest effect first; ties keep the columns' order (a stable sort of the negated sizes).
    order = np.argsort(np.where(same_way, -np.abs(values), np.inf), axis=1, kind="stable")
    was = before.reindex(index=firms, columns=effects.columns).to_numpy(dtype=object)
    is_ = now.reindex(index=firms, columns=effects.columns).to_numpy(dtype=object)
    whys = []
    for i in range(len(firms)):
        said: list[str] = []
        for j in order[i]:
            if not same_way[i, j] or len(said) == n:
                break
            phrase = change_phrase(columns[j], was[i, j], is_[i, j], lang)
            if phrase:
                said.append(phrase)
        whys.append("; ".join(said))
    p_before = result.p_before.reindex(firms).to_numpy(dtype=np.float64)
    p_now = result.p_now.reindex(firms).to_numpy(dtype=np.float64)
    return pd.DataFrame(
        {
            "enterprise_id": list(firms),
            "score_before": p_before,
            "score_now": p_now,
            "change": p_now - p_before,
            "why": whys,
        },
        columns=["enterprise_id", "score_before", "score_now", "change", "why"],
    )


def why_it_moved(
    model: Any,
    columns: tuple[str, ...],
    now_features: pd.DataFrame,
    before_features: pd.DataFrame,
    firms: list[str],
    n: int = 3,
) -> pd.DataFrame:
    """`movers_table` in both languages (`why`, `why_en`) for the `firms` scored at both dates.

    `now_features` and `before_features` are the feature tables (one row per enterprise) of
    the two dates; a firm missing from either (new, or gone) is left out. One model scores
    both dates, so the change is the firm's, never the model's.
    """
    from models.train import model_input

    now = now_features.drop_duplicates("enterprise_id").set_index("enterprise_id")
    before = before_features.drop_duplicates("enterprise_id").set_index("enterprise_id")
    both = [f for f in dict.fromkeys(firms) if f in now.index and f in before.index]
    empty = pd.DataFrame(columns=["enterprise_id", "score_before", "score_now", "change", "why", "why_en"])
    if not both:
        return empty
    x_now = model_input(now.loc[both].reset_index(), columns)
    x_before = model_input(before.loc[both].reset_index(), columns)
    x_now.index = x_before.index = pd.Index(both, name="enterprise_id")
    result = movement(model, x_now, x_before)
    table = movers_table(result, x_now, x_before, n=n, lang="vi")
    table["why_en"] = movers_table(result, x_now, x_before, n=n, lang="en")["why"].to_numpy()
    return table


# ----------------------------------------------------------------------------- one firm, two dates

#: What `since_dates` calls the two comparisons (the CLI and the page word them alike).
SINCE_KINDS: tuple[str, ...] = ("previous_night", "month_before")
CONTRIBUTION_COLUMNS: tuple[str, ...] = ("input", "before", "now", "effect", "phrase", "phrase_en")


@dataclass(frozen=True)
class MovedSince:
    """How one firm's score moved since an earlier date, and the inputs that moved it.

    `contributions` has one row per input whose value changed and moved the log-odds
    (`CONTRIBUTION_COLUMNS`, largest effect first); `residual` is what the inputs' effects
    leave of the change (interactions; 0 for an additive model).
    """

    kind: str
    then: pd.Timestamp
    score_before: float
    score_now: float
    why: str
    why_en: str
    contributions: pd.DataFrame
    residual: float

    @property
    def change(self) -> float:
        return self.score_now - self.score_before


def since_dates(scored_nights: list[str], as_of: pd.Timestamp) -> list[tuple[str, pd.Timestamp]]:
    """The dates a night is compared with: the scored night just before `as_of` (when there is
    one) and the same day a month before (unless it is that night), as (kind, date)."""
    night = str(pd.Timestamp(as_of).date())
    earlier = sorted(n for n in scored_nights if n < night)
    out: list[tuple[str, pd.Timestamp]] = []
    if earlier:
        out.append((SINCE_KINDS[0], pd.Timestamp(earlier[-1])))
    month_before = pd.Timestamp(as_of) - pd.DateOffset(months=1)
    if all(then != month_before for _, then in out):
        out.append((SINCE_KINDS[1], month_before))
    return out


def contributions(result: Movement, now: pd.DataFrame, before: pd.DataFrame, firm: Any) -> pd.DataFrame:
    """The inputs that moved `firm`'s log-odds, largest absolute effect first, with both values
    and the change in words (None where the input has no change phrase)."""
    effects = result.effects.loc[firm]
    effects = effects[effects != 0.0]
    order = effects.abs().sort_values(ascending=False, kind="stable").index
    rows = [
        {
            "input": str(column),
            "before": before.at[firm, column],
            "now": now.at[firm, column],
            "effect": float(effects[column]),
            "phrase": change_phrase(str(column), before.at[firm, column], now.at[firm, column], "vi"),
            "phrase_en": change_phrase(str(column), before.at[firm, column], now.at[firm, column], "en"),
        }
        for column in order
    ]
    return pd.DataFrame(rows, columns=list(CONTRIBUTION_COLUMNS))


def features_at(
    enterprises: pd.DataFrame, indicators: pd.DataFrame, incidents: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Every enterprise's features as of `as_of`, from what was known then (contagion and peer
    features need the whole universe, so the whole night is built)."""
    from features.build import build_features, known_at

    stamp = pd.Timestamp(as_of)
    return build_features(enterprises, *known_at(indicators, incidents, stamp), [stamp])


def enterprise_movement(
    model: Any,
    columns: tuple[str, ...],
    enterprise_id: str,
    now_features: pd.DataFrame,
    before: list[tuple[str, pd.Timestamp, pd.DataFrame]],
    n: int = 3,
) -> list[MovedSince]:
    """Why `enterprise_id` moved since each earlier date of `before` (kind, date, that date's
    feature table as known then): the same model scores both dates (so the change is the
    firm's), the change is split among the inputs that changed (`explaining.movement`) and
    the largest, in the direction of the move, are said in words (`movers_table`).

    A date at which the firm had no features (not yet founded, no figure) is left out.
    This is the shared part of `ews explain` and the analysts' page; reading the store and
    loading the champion are the callers'.
    """
    from models.train import model_input

    now = now_features.loc[now_features["enterprise_id"] == enterprise_id].head(1)
    if now.empty:
        return []
    x_now = model_input(now, columns)
    x_now.index = pd.Index([enterprise_id], name="enterprise_id")
    out: list[MovedSince] = []
    for kind, then, features in before:
        then_row = features.loc[features["enterprise_id"] == enterprise_id].head(1)
        if then_row.empty:
            continue
        x_before = model_input(then_row, columns)
        x_before.index = x_now.index
        result = movement(model, x_now, x_before)
        vi = movers_table(result, x_now, x_before, n=n, lang="vi").iloc[0]
        en = movers_table(result, x_now, x_before, n=n, lang="en").iloc[0]
        out.append(
            MovedSince(
                kind=kind,
                then=pd.Timestamp(then),
                score_before=float(vi["score_before"]),
                score_now=float(vi["score_now"]),
                why=str(vi["why"]),
                why_en=str(en["why"]),
                contributions=contributions(result, x_now, x_before, enterprise_id),
                residual=float(result.residual.loc[enterprise_id]),
            )
        )
    return out
