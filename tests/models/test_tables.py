"""The training rows' schema, and where the models room checks the tables it receives."""

from __future__ import annotations

import pandas as pd
import pytest

import models.backtest as backtest
from data.tables import TableError
from features.tables import FEATURE_TABLE
from models.backtest import TrainingFrame, build_training_frame
from models.tables import TRAINING_ROWS, check_training_rows
from models.train import predict

from ..conftest import AS_OF, TINY_PARAMS

Frames = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]


def test_the_training_rows_are_the_feature_table_and_nothing_else() -> None:
    assert list(TRAINING_ROWS.columns) == list(FEATURE_TABLE.columns)
    assert TRAINING_ROWS.strict and not FEATURE_TABLE.strict


def test_the_frame_built_is_accepted_as_it_is(tiny_frame: TrainingFrame) -> None:
    before = tiny_frame.table.copy()
    assert check_training_rows(tiny_frame.table) is tiny_frame.table
    pd.testing.assert_frame_equal(tiny_frame.table, before)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda t: t.drop(columns=["wage_to_peers"]), "training rows: missing column 'wage_to_peers'"),
        (
            lambda t: t.assign(months_to_tet=t["months_to_tet"].astype("int64")),
            "training rows: column 'months_to_tet' has dtype int64, expected float64",
        ),
        (
            lambda t: t.assign(enterprise_id=t["enterprise_id"].astype("category")),
            "training rows: column 'enterprise_id' has dtype category, expected str",
        ),
        (
            lambda t: pd.concat([t, t.tail(1)], ignore_index=True),
            "training rows: key (as_of, enterprise_id) is not unique",
        ),
        # A label beside the features would leak outcomes later than an origin into its fit.
        (lambda t: t.assign(y_3m=0.0), "training rows: unexpected column 'y_3m'"),
    ],
    ids=["missing", "wrong-dtype", "wrong-text-dtype", "duplicate", "label-column"],
)
def test_broken_training_rows_are_refused_in_one_line(tiny_frame: TrainingFrame, change, words: str) -> None:
    with pytest.raises(TableError) as caught:
        check_training_rows(change(tiny_frame.table))
    assert str(caught.value).startswith(words), str(caught.value)
    assert "\n" not in str(caught.value)


def test_building_the_frame_checks_the_feature_table(
    tiny_frames: Frames, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feature table crossing into the models room is checked where the frame is built."""
    built = backtest.build_features

    def without_a_column(*args: object, **kwargs: object) -> pd.DataFrame:
        return built(*args, **kwargs).drop(columns=["debt_streak_months"])  # type: ignore[arg-type]

    monkeypatch.setattr(backtest, "build_features", without_a_column)
    enterprises, indicators, incidents = tiny_frames
    with pytest.raises(TableError, match="training rows: missing column 'debt_streak_months'"):
        build_training_frame(enterprises, indicators, incidents, as_of=AS_OF, params=TINY_PARAMS)


def test_scoring_checks_the_feature_table_before_the_model_sees_it(tiny_frame: TrainingFrame) -> None:
    rows = tiny_frame.table.tail(50)
    broken = rows.assign(wage_arrears_months=rows["wage_arrears_months"].astype("str"))
    with pytest.raises(TableError, match="feature table: column 'wage_arrears_months' has dtype str"):
        predict(object(), broken, ("wage_arrears_months",))
    assert len(predict(object(), rows.head(0), ("wage_arrears_months",))) == 0  # nothing to check
