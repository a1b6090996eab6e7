"""The feature table's schema: it accepts what the builder writes and refuses a broken table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.tables import TableError
from features.build import build_features, empty_feature_table, feature_names, known_at
from features.tables import FEATURE_TABLE, KEY, NUMERIC_COLUMNS, check_feature_table

NIGHTS = (pd.Timestamp("2023-11-30"), pd.Timestamp("2023-12-20"))

Frames = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]


def _features_at(frames: Frames, day: pd.Timestamp) -> pd.DataFrame:
    """The table the score flow builds for one night."""
    enterprises, indicators, incidents = frames
    indicators, incidents = known_at(indicators, incidents, day)
    return build_features(enterprises, indicators, incidents, [day])


@pytest.fixture(scope="module")
def night(tiny_frames: Frames) -> pd.DataFrame:
    return _features_at(tiny_frames, NIGHTS[1])


def test_the_schema_has_every_built_column() -> None:
    built = ("as_of", "enterprise_id", "district", "zone_id", *feature_names())
    assert set(FEATURE_TABLE.columns) == set(built)
    assert "wage_to_peers" in NUMERIC_COLUMNS and "province" not in NUMERIC_COLUMNS


def test_a_night_of_the_builder_is_accepted_as_it_is(night: pd.DataFrame) -> None:
    before = night.copy()
    assert check_feature_table(night) is night
    pd.testing.assert_frame_equal(night, before)  # checked, never changed


def test_nights_concatenated_are_accepted(tiny_frames: Frames, night: pd.DataFrame) -> None:
    """Categories of different nights concatenate to str (as the forward benchmark does)."""
    both = pd.concat([_features_at(tiny_frames, NIGHTS[0]), night], ignore_index=True)
    check_feature_table(both.assign(y=0.0))  # other columns may follow


def test_the_builders_empty_table_is_accepted() -> None:
    check_feature_table(empty_feature_table())


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda t: t.drop(columns=["age_years"]), "feature table: missing column 'age_years'"),
        (
            lambda t: t.assign(headcount=t["headcount"].astype("object")),
            "feature table: column 'headcount' has dtype object, expected float64",
        ),
        (
            lambda t: t.assign(sector=t["sector"].cat.codes),
            "feature table: column 'sector' has dtype int8, expected category or str",
        ),
        (
            lambda t: t.assign(as_of=t["as_of"].dt.strftime("%Y-%m-%d")),
            "feature table: column 'as_of' has dtype str, expected datetime",
        ),
        (
            lambda t: t.assign(as_of=t["as_of"].dt.tz_localize("UTC")),
            "feature table: column 'as_of' has dtype datetime64[us, UTC], expected datetime",
        ),
        (
            lambda t: t.assign(enterprise_id=t["enterprise_id"].where(t.index != 3)),
            "feature table: column 'enterprise_id' holds 1 missing value,",
        ),
        (
            lambda t: pd.concat([t, t.iloc[[5]]]),
            "feature table: key (as_of, enterprise_id) is not unique",
        ),
    ],
    ids=["missing", "object-numbers", "text-as-codes", "text-dates", "tz-aware", "null-id", "duplicate"],
)
def test_a_broken_table_is_refused_in_one_line(night: pd.DataFrame, change, words: str) -> None:
    broken = change(night)
    with pytest.raises(TableError) as caught:
        check_feature_table(broken)
    message = str(caught.value)
    assert message.startswith(words), message
    assert "\n" not in message


def test_a_duplicate_key_is_named(night: pd.DataFrame) -> None:
    row = night.iloc[[7]]
    with pytest.raises(TableError, match=row["enterprise_id"].iloc[0]):
        check_feature_table(pd.concat([night, row], ignore_index=True))


def test_the_key_is_the_table_key(night: pd.DataFrame) -> None:
    assert KEY == ("as_of", "enterprise_id")
    assert not night.duplicated(list(KEY)).any()
    assert np.issubdtype(night["as_of"].dtype, np.datetime64)
