"""Turn probabilities into the ranking analysts read: rank, band and reasons in plain words.

Bands follow the analysts' monthly capacity k (a share of the universe or a count):
`high` is the top k, `elevated` the next 2k, `watch` down to 10k, `low` the rest.
Reasons are the three strongest warning signs in the enterprise's own figures, in
Vietnamese and English, strongest first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.evaluate import capacity_count

Row = Mapping[str, object]
BANDS = ("high", "elevated", "watch", "low")
BAND_LABELS_VI = {"high": "cao", "elevated": "đáng lo", "watch": "theo dõi", "low": "thấp"}


@dataclass(frozen=True)
class Reason:
    """A warning sign: how strong it is in a row (0 = absent) and how to say it."""

    key: str
    strength: Callable[[Row], float]
    vi: Callable[[Row], str]
    en: Callable[[Row], str]


def _num(row: Row, column: str) -> float:
    value = row.get(column)
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return out if np.isfinite(out) else 0.0


def _months(value: float) -> str:
    return f"{value:g}"


REASONS: tuple[Reason, ...] = (
    Reason(
        "wage_arrears",
        lambda r: 3.0 * _num(r, "wage_arrears_months"),
        lambda r: f"{_months(_num(r, 'wage_arrears_months'))} tháng nợ lương",
        lambda r: f"{_months(_num(r, 'wage_arrears_months'))} months of wage arrears",
    ),
    Reason(
        "insurance_debt",
        lambda r: 1.0 * _num(r, "insurance_debt_months"),
        lambda r: f"{_months(_num(r, 'insurance_debt_months'))} tháng nợ BHXH",
        lambda r: f"{_months(_num(r, 'insurance_debt_months'))} months of social-insurance debt",
    ),
    Reason(
        "insurance_to_wage",
        lambda r: 4.0 * _num(r, "insurance_debt_turning_to_wage_arrears"),
        lambda r: "nợ BHXH chuyển thành nợ lương",
        lambda r: "insurance debt turning into wage arrears",
    ),
    Reason(
        "layoffs",
        lambda r: 40.0 * _num(r, "layoffs_share_3m") if _num(r, "layoffs_share_3m") >= 0.03 else 0.0,
        lambda r: f"cắt giảm {100 * _num(r, 'layoffs_share_3m'):.0f}% lao động trong 3 tháng",
        lambda r: f"{100 * _num(r, 'layoffs_share_3m'):.0f}% of workers laid off in 3 months",
    ),
    Reason(
        "reduced_hours",
        lambda r: 20.0 * _num(r, "reduced_hours_share") if _num(r, "reduced_hours_share") >= 0.1 else 0.0,
        lambda r: f"{100 * _num(r, 'reduced_hours_share'):.0f}% lao động bị giảm giờ làm",
        lambda r: f"{100 * _num(r, 'reduced_hours_share'):.0f}% of workers on reduced hours",
    ),
    Reason(
        "zone_contagion",
        lambda r: 2.5 * _num(r, "zone_stoppages_3m"),
        lambda r: f"{_num(r, 'zone_stoppages_3m'):.0f} vụ ngừng việc gần đây trong cùng KCN/CCN",
        lambda r: f"{_num(r, 'zone_stoppages_3m'):.0f} recent stoppages in the same zone",
    ),
    Reason(
        "wage_gap",
        lambda r: 20.0 * (0.9 - _num(r, "wage_to_peers")) if 0 < _num(r, "wage_to_peers") < 0.9 else 0.0,
        lambda r: f"lương thấp hơn {100 * (1 - _num(r, 'wage_to_peers')):.0f}% so với DN cùng ngành, cùng khu",
        lambda r: f"wages {100 * (1 - _num(r, 'wage_to_peers')):.0f}% below peers in the same zone and sector",
    ),
    Reason(
        "past_incidents",
        lambda r: 2.0 * _num(r, "incidents_12m"),
        lambda r: f"{_num(r, 'incidents_12m'):.0f} vụ tranh chấp tập thể trong 12 tháng",
        lambda r: f"{_num(r, 'incidents_12m'):.0f} collective incidents in 12 months",
    ),
    Reason(
        "tet",
        lambda r: 1.5 if 0 < _num(r, "months_to_tet") <= 2 else 0.0,
        lambda r: "sắp đến Tết (áp lực thưởng Tết)",
        lambda r: "Tết is near (bonus pressure)",
    ),
    Reason(
        "minimum_wage",
        lambda r: 1.0 if _num(r, "months_to_minimum_wage_rise") > 0 else 0.0,
        lambda r: "sắp tăng lương tối thiểu vùng",
        lambda r: "a minimum-wage rise is coming",
    ),
    Reason(
        "stale",
        lambda r: 0.5 * _num(r, "months_since_last_report") if _num(r, "months_since_last_report") >= 3 else 0.0,
        lambda r: f"không báo cáo {_num(r, 'months_since_last_report'):.0f} tháng",
        lambda r: f"no report for {_num(r, 'months_since_last_report'):.0f} months",
    ),
)


def reasons_for(row: Row, n: int = 3) -> tuple[str, str]:
    """The n strongest signs of one row, joined with '; ' (Vietnamese, English)."""
    scored = [(reason.strength(row), i, reason) for i, reason in enumerate(REASONS)]
    present = sorted((s, i, r) for s, i, r in scored if s > 0)[::-1][:n]
    present.sort(key=lambda t: (-t[0], t[1]))
    return (
        "; ".join(r.vi(row) for _, _, r in present),
        "; ".join(r.en(row) for _, _, r in present),
    )


def bands(rank: np.ndarray, n: int, capacity: float) -> np.ndarray:
    """Band of each rank given the capacity (see the module docstring)."""
    k = capacity_count(n, capacity)
    return np.select([rank <= k, rank <= 3 * k, rank <= 10 * k], list(BANDS[:3]), BANDS[3])


def rank_scores(features: pd.DataFrame, score: np.ndarray, *, capacity: float) -> pd.DataFrame:
    """The ranking of one as-of date: one row per enterprise, rank 1 = highest score.

    Ties are broken by enterprise_id so that the same scores always give the same ranks.
    """
    out = features[["as_of", "enterprise_id"]].copy()
    out["score"] = np.round(np.asarray(score, dtype=np.float64), 10)
    out = out.sort_values(["score", "enterprise_id"], ascending=[False, True], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out["band"] = bands(out["rank"].to_numpy(), len(out), capacity)
    records: list[Row] = [{str(k): v for k, v in r.items()} for r in features.loc[out.index].to_dict("records")]
    text = [reasons_for(row) for row in records]
    out["reasons"] = [vi for vi, _ in text]
    out["reasons_en"] = [en for _, en in text]
    return out.reset_index(drop=True)
