"""Acute or structural: which warning signs an officer can act on this week, and which are base rates.

Every feature the reasons can name (`present.phrasebook.PHRASES`) is classified here, once:

- **acute**: a recent, actionable signal of the firm or its neighbours: wage arrears,
  social-insurance debt (its months, amount, trend, streak, first appearance, turning into
  arrears), layoffs, reduced hours, a fall of the headcount, reports that stopped coming, a
  stoppage or dispute nearby in the last months, a dispute of the firm itself within
  `RECENT_DISPUTE_MONTHS`;
- **structural**: what the firm is and when it is (base rates): size, age, sector, ownership,
  zone, province, the Tết and minimum-wage calendar, the wage level against the minimum or
  the peers, fields it never reports, a rise of the headcount, and an old dispute of its own.

A few features are acute for some values only (`Signal.acute`): a headcount change is acute
when it is a fall, a last dispute when it is at most `RECENT_DISPUTE_MONTHS` old.

A night's **warning kind** of a firm (`warning_kinds`) is "acute" when at least one of its
stated reasons is acute; the reasons put acute signs first when one of them is among the
firm's strongest or contributes at least `ACUTE_MIN_CONTRIBUTION` to its log-odds
(`present.phrasebook.warning_reasons`), so "acute" means the reasons text opens with
something an officer can act on. The codes (`outputs.tables.WARNING_KINDS`) are published
with the ranking (`warning_kind`); their words are in `vocab.i18n` ("warning_kind.acute").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from outputs.tables import WARNING_KINDS
from vocab.i18n import t

ACUTE, STRUCTURAL = WARNING_KINDS

#: A dispute of the firm itself at most this many months ago is news (acute); an older one is
#: history (structural), and the reasons say it as history ("đã có tranh chấp tập thể cách đây …").
RECENT_DISPUTE_MONTHS = 12.0

#: An acute sign that contributes at least this much to the raw log-odds of the score (odds ×
#: 1.22) is stated before structural ones even when it is not among the firm's n strongest
#: signs; a weaker one, outside them, is not stated (it would make a base-rate warning look
#: actionable on a trifle).
ACUTE_MIN_CONTRIBUTION = 0.2


@dataclass(frozen=True)
class Signal:
    """How one feature counts: `kind` is its usual kind, `acute` tells, per value, whether it is acute."""

    kind: str
    acute: Callable[[np.ndarray], np.ndarray]


def _always(kind: str) -> Signal:
    flag = kind == ACUTE
    return Signal(kind, lambda v: np.full(np.shape(v), flag, dtype=bool))


def _acute_when(test: Callable[[np.ndarray], np.ndarray]) -> Signal:
    """Acute where `test` holds on the value (missing values are not acute), structural elsewhere."""

    def acute(values: np.ndarray) -> np.ndarray:
        v = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce").to_numpy(np.float64)
        with np.errstate(invalid="ignore"):
            return np.isfinite(v) & np.asarray(test(np.nan_to_num(v)), dtype=bool)

    return Signal(ACUTE, acute)


_A = _always(ACUTE)
_S = _always(STRUCTURAL)
_FALL = _acute_when(lambda v: v < 0)

SIGNALS: dict[str, Signal] = {
    # arrears and debt: what the firm owes now
    "wage_arrears_months": _A,
    "wage_arrears_vnd_per_worker": _A,
    "wage_arrears_to_minimum_wage": _A,
    "insurance_debt_months": _A,
    "insurance_debt_vnd_per_worker": _A,
    "insurance_debt_trend_3m": _A,
    "debt_streak_months": _A,
    "debt_first_appearance": _A,
    "insurance_debt_turning_to_wage_arrears": _A,
    # the workforce: falls, layoffs and reduced hours are acute; size and growth are not
    "log_headcount": _S,
    "headcount_change_3m": _FALL,
    "headcount_change_6m": _FALL,
    "headcount_change_12m": _FALL,
    "layoffs_share_1m": _A,
    "layoffs_share_3m": _A,
    "reduced_hours_share": _A,
    # wages and the calendar: base rates
    "wage_to_minimum_wage": _S,
    "wage_to_peers": _S,
    "months_to_tet": _S,
    "months_since_minimum_wage_rise": _S,
    "months_to_minimum_wage_rise": _S,
    "minimum_wage_region_change_12m": _S,
    # stoppages next door, recently
    "zone_stoppages_3m": _A,
    "zone_stoppages_decayed": _A,
    "district_sector_stoppages_3m": _A,
    "province_stoppages_1m": _A,
    # the firm's own disputes: news when recent, history when old
    "months_since_last_incident": _acute_when(lambda v: (v >= 0) & (v <= RECENT_DISPUTE_MONTHS)),
    "incidents_12m": _A,
    "stoppages_12m": _A,
    # reporting: reports that stopped coming can be asked for; a field never reported is a standing gap
    "months_since_last_report": _A,
    "wage_arrears_reported": _S,
    "insurance_debt_reported": _S,
    # what the firm is
    "age_years": _S,
    "province": _S,
    "sector": _S,
    "ownership": _S,
    "zone_type": _S,
}


def signal_kind(name: str) -> str:
    """The usual kind of feature `name`; KeyError for a feature nobody classified."""
    return SIGNALS[name].kind


def acute_mask(name: str, values: np.ndarray) -> np.ndarray:
    """Per value of feature `name`, whether it is an acute sign (False for unclassified features)."""
    signal = SIGNALS.get(name)
    if signal is None:
        return np.zeros(len(values), dtype=bool)
    return np.asarray(signal.acute(np.asarray(values)), dtype=bool)


def warning_kinds(acute_reasons: np.ndarray) -> np.ndarray:
    """Per row of a (rows × reasons) mask of acute stated reasons: "acute" or "structural"."""
    mask = np.asarray(acute_reasons, dtype=bool)
    any_acute = mask.any(axis=1) if mask.ndim == 2 and mask.shape[1] else np.zeros(len(mask), dtype=bool)
    return np.where(any_acute, ACUTE, STRUCTURAL).astype(object)


def kind_label(code: object, lang: str) -> str:
    """The words of a warning kind in `lang`; "" for a night published before kinds were kept."""
    if code is None or (isinstance(code, float) and np.isnan(code)) or code is pd.NA:
        return ""
    return t(f"warning_kind.{code}", lang)


__all__ = [
    "ACUTE",
    "ACUTE_MIN_CONTRIBUTION",
    "RECENT_DISPUTE_MONTHS",
    "SIGNALS",
    "STRUCTURAL",
    "Signal",
    "acute_mask",
    "kind_label",
    "signal_kind",
    "warning_kinds",
]
