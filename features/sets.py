"""Named, versioned feature sets: the exact columns a model version consumes, in order.

A set never changes once a model has been trained on it; a new list gets a new name
(ews-v2), registered in `FEATURE_SETS` beside the old one. The set's name and its columns
are logged with every model.
"""

from __future__ import annotations

from features.build import CATEGORICAL

# Written out column by column, never derived from `features.build`: a feature added there
# must not slip into a set a registered model was trained on. `tests/features/test_sets.py`
# pins every set. avg_wage_vnd and headcount are kept out: their relative forms carry the
# signal without tying the model to a year's wage level or to raw size.
EWS_FEATURES_V1: tuple[str, ...] = (
    "wage_arrears_months",
    "wage_arrears_vnd_per_worker",
    "wage_arrears_to_minimum_wage",
    "insurance_debt_months",
    "insurance_debt_vnd_per_worker",
    "insurance_debt_trend_3m",
    "debt_streak_months",
    "debt_first_appearance",
    "insurance_debt_turning_to_wage_arrears",
    "log_headcount",
    "headcount_change_3m",
    "headcount_change_6m",
    "headcount_change_12m",
    "layoffs_share_1m",
    "layoffs_share_3m",
    "reduced_hours_share",
    "wage_to_minimum_wage",
    "months_to_tet",
    "months_since_minimum_wage_rise",
    "months_to_minimum_wage_rise",
    "minimum_wage_region_change_12m",
    "zone_stoppages_3m",
    "zone_stoppages_decayed",
    "district_sector_stoppages_3m",
    "province_stoppages_1m",
    "months_since_last_incident",
    "incidents_12m",
    "stoppages_12m",
    "months_since_last_report",
    "wage_arrears_reported",
    "insurance_debt_reported",
    "age_years",
    "wage_to_peers",
    "province",
    "sector",
    "ownership",
    "zone_type",
)

# The reference a plain model would use: the latest reported figures as they are, with no
# history, calendar, contagion or peers. Backtested beside ews-v1 to show what they add.
SIMPLE_FEATURES_V1: tuple[str, ...] = (
    "headcount",
    "avg_wage_vnd",
    "wage_arrears_months",
    "insurance_debt_months",
    "layoffs_share_1m",
    "reduced_hours_share",
    "sector",
    "ownership",
    "zone_type",
)

FEATURE_SETS: dict[str, tuple[str, ...]] = {"ews-v1": EWS_FEATURES_V1, "simple-v1": SIMPLE_FEATURES_V1}
DEFAULT_FEATURE_SET = "ews-v1"


def feature_set(name: str = DEFAULT_FEATURE_SET) -> tuple[str, ...]:
    """The columns of a named feature set, or of a union "a+b" (in order, each column once).

    A union is what a model over several sets reads, e.g. the blend of `models.backtest`.
    KeyError names the known sets.
    """
    columns: dict[str, None] = {}
    for part in name.split("+"):
        try:
            columns.update(dict.fromkeys(FEATURE_SETS[part]))
        except KeyError:
            raise KeyError(f"unknown feature set {part!r}; known: {sorted(FEATURE_SETS)}") from None
    return tuple(columns)


def union_name(*names: str) -> str:
    """The name of the union of feature sets (each named once, in order): 'ews-v1+simple-v1'."""
    parts: dict[str, None] = {}
    for name in names:
        parts.update(dict.fromkeys(name.split("+")))
    return "+".join(parts)


def categorical_columns(columns: tuple[str, ...]) -> tuple[str, ...]:
    """The categorical (text) columns of a feature set."""
    return tuple(c for c in columns if c in CATEGORICAL)
