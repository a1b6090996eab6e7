"""Named, versioned feature sets: the exact columns a model version consumes.

A set never changes once a model has been trained on it; a new list gets a new version.
The set's name and its columns are logged with every model.
"""

from __future__ import annotations

from features.build import CATEGORICAL, NUMERIC_FEATURES

# avg_wage_vnd and headcount are kept out: their relative forms carry the signal
# without tying the model to a year's wage level or to raw size.
_EXCLUDED = {"avg_wage_vnd", "headcount"}

EWS_FEATURES_V1: tuple[str, ...] = (
    *(f.__name__ for f in NUMERIC_FEATURES if f.__name__ not in _EXCLUDED),
    "wage_to_peers",
    *CATEGORICAL,
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
