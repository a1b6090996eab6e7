"""Registered feature sets never change: models were trained on these exact columns, in order."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import numpy as np
import pytest

from features import build
from features.sets import (
    DEFAULT_FEATURE_SET,
    FEATURE_SETS,
    categorical_columns,
    feature_set,
    union_name,
)

# Every registered set as a champion may have been trained on it. Never edit an entry:
# register the new list under a new name (ews-v2) in features/sets.py and pin it here.
PINNED: dict[str, tuple[str, ...]] = {
    "ews-v1": (
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
    ),
    "simple-v1": (
        "headcount",
        "avg_wage_vnd",
        "wage_arrears_months",
        "insurance_debt_months",
        "layoffs_share_1m",
        "reduced_hours_share",
        "sector",
        "ownership",
        "zone_type",
    ),
}
# The columns a model encodes as categories: part of what it was trained on, too.
PINNED_CATEGORICAL: dict[str, tuple[str, ...]] = {
    "ews-v1": ("province", "sector", "ownership", "zone_type"),
    "simple-v1": ("sector", "ownership", "zone_type"),
}


def _changed(name: str) -> str:
    return (
        f"feature set {name!r} changed. Registered models were trained on its exact columns in "
        f"this order; leave {name!r} as it is and register the new list under a new name "
        f"(e.g. 'ews-v2') in features/sets.py, then pin it in tests/features/test_sets.py."
    )


@pytest.mark.parametrize("name", sorted(PINNED))
def test_a_registered_set_is_frozen(name: str) -> None:
    assert name in FEATURE_SETS, f"feature set {name!r} was removed; registered models still read it"
    assert FEATURE_SETS[name] == PINNED[name], _changed(name)
    assert feature_set(name) == PINNED[name], _changed(name)
    assert categorical_columns(feature_set(name)) == PINNED_CATEGORICAL[name], _changed(name)


def test_every_registered_set_is_pinned() -> None:
    unpinned = sorted(set(FEATURE_SETS) - set(PINNED))
    assert not unpinned, f"feature sets {unpinned} are not pinned: add their columns to PINNED in this test"


@pytest.mark.parametrize("name", sorted(FEATURE_SETS))
def test_every_column_of_a_set_is_built(name: str) -> None:
    columns = FEATURE_SETS[name]
    assert len(set(columns)) == len(columns), f"feature set {name!r} names a column twice"
    unknown = [c for c in columns if c not in build.feature_names()]
    assert not unknown, f"feature set {name!r} reads columns features.build does not write: {unknown}"


def test_the_default_set_and_unions_are_as_before() -> None:
    assert DEFAULT_FEATURE_SET == "ews-v1"
    assert feature_set() == PINNED["ews-v1"]
    assert union_name("ews-v1", "simple-v1", "ews-v1") == "ews-v1+simple-v1"
    union = feature_set("ews-v1+simple-v1")
    assert union == PINNED["ews-v1"] + ("headcount", "avg_wage_vnd")
    with pytest.raises(KeyError, match="ews-v9"):
        feature_set("ews-v1+ews-v9")


def _fresh_sets_module() -> ModuleType:
    """features/sets.py executed anew, against `features.build` as it is now."""
    import features.sets

    spec = importlib.util.spec_from_file_location("_fresh_feature_sets", features.sets.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_feature_added_to_the_builder_enters_no_registered_set(monkeypatch: pytest.MonkeyPatch) -> None:
    def shift_pay_gap(x: build.Inputs) -> np.ndarray:
        """A new feature, as a developer would add it to features.build."""
        return np.zeros(x.shape)

    monkeypatch.setattr(build, "NUMERIC_FEATURES", (*build.NUMERIC_FEATURES, shift_pay_gap))
    monkeypatch.setattr(build, "CATEGORICAL", (*build.CATEGORICAL, "district"))
    assert "shift_pay_gap" in build.feature_names() and "district" in build.feature_names()
    fresh = _fresh_sets_module()
    for name, columns in PINNED.items():
        assert fresh.feature_set(name) == columns, _changed(name)
        assert fresh.categorical_columns(columns) == PINNED_CATEGORICAL[name], _changed(name)
