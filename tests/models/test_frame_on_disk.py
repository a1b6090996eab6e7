"""The training table streamed to disk: the same rows, and fits that read only their months."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from data import store as store_module
from data.store import Store
from features import build
from features.build import WINDOW_MONTHS
from models.backtest import (
    BLEND,
    BLEND_MEMBERS,
    TrainingFrame,
    assemble_backtest,
    backtest_cell,
    backtest_cells,
    build_training_frame,
    fit_at,
    predict_rows,
)

from ..conftest import AS_OF, TINY_PARAMS


@pytest.fixture(scope="module")
def on_disk(
    tiny_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> TrainingFrame:
    """The tiny world's training frame, streamed to a Parquet file."""
    enterprises, indicators, incidents = tiny_frames
    path = tmp_path_factory.mktemp("frame") / "training.parquet"
    return build_training_frame(
        enterprises, indicators, incidents, as_of=AS_OF, params=TINY_PARAMS, on_disk=path
    )


def test_the_file_holds_the_rows_of_the_table_in_memory(
    on_disk: TrainingFrame, tiny_frame: TrainingFrame
) -> None:
    assert on_disk.on_disk and not tiny_frame.on_disk
    assert isinstance(on_disk.source, Path) and on_disk.source.is_file()
    assert pq.ParquetFile(on_disk.source).metadata.num_rows == len(tiny_frame.table)
    pd.testing.assert_frame_equal(on_disk.table, tiny_frame.table, check_categorical=True)
    np.testing.assert_array_equal(on_disk.labels(AS_OF), tiny_frame.labels(AS_OF))


def _unread(frame: TrainingFrame) -> TrainingFrame:
    """The same frame on disk, none of its rows read yet (the fixture's may have been)."""
    return replace(frame)


def test_a_fit_at_an_origin_reads_only_the_months_up_to_it(on_disk: TrainingFrame) -> None:
    origin = on_disk.origins(TINY_PARAMS.backtest_origins)[0]
    through = _unread(on_disk).through(origin)
    assert through.until == origin and "table" not in through.__dict__
    assert through.table["as_of"].max() == origin
    whole = on_disk.table
    # The first rows of the whole table, in its order: the seeded draws line up row for row.
    pd.testing.assert_frame_equal(through.table, whole.iloc[: len(through.table)])
    np.testing.assert_array_equal(through.keep_draw, on_disk.keep_draw[: len(through.table)])
    # The final fit (at the training date) and a frame in memory read everything.
    assert on_disk.through(on_disk.as_of) is on_disk


def test_every_figure_of_the_backtest_and_the_final_fit_is_the_same(
    on_disk: TrainingFrame, tiny_frame: TrainingFrame
) -> None:
    candidates = (*BLEND_MEMBERS, BLEND)
    recipe = {"champion": TINY_PARAMS.model_copy(update={"learner": "logistic", "logistic_c": 1.0})}
    tables = []
    for frame in (tiny_frame, on_disk):
        cells = backtest_cells(frame, candidates=candidates, recipes=recipe)
        probabilities = [backtest_cell(frame, c.origin, c.name, c.recipe) for c in cells]
        tables.append(assemble_backtest(frame, cells, probabilities, candidates=candidates))
    pd.testing.assert_frame_equal(tables[0], tables[1])
    rows = tiny_frame.table.loc[tiny_frame.table["as_of"] == tiny_frame.grid[-1]]
    memory, disk = (fit_at(frame, frame.as_of, "hgb").model for frame in (tiny_frame, on_disk))
    np.testing.assert_array_equal(
        predict_rows(memory, rows, TINY_PARAMS), predict_rows(disk, rows, TINY_PARAMS)
    )


def test_a_frame_on_disk_travels_without_its_rows(on_disk: TrainingFrame, tiny_frame: TrainingFrame) -> None:
    assert "table" in on_disk.__dict__  # read by the tests above
    sent = pickle.dumps(on_disk)
    assert len(sent) < len(pickle.dumps(tiny_frame)) / 5
    received = pickle.loads(sent)
    assert "table" not in received.__dict__
    pd.testing.assert_frame_equal(received.table, on_disk.table)


@pytest.mark.parametrize(("disk", "ranges"), [(False, True), (True, True), (True, False)])
def test_a_frame_built_from_the_stores_ranges_of_months_equals_the_one_from_the_whole_history(
    tiny_store: Store,
    tiny_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    tiny_frame: TrainingFrame,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    disk: bool,
    ranges: bool,
) -> None:
    """Training reads the store a range of as-of months at a time (years of history do not
    fit in memory at national scale), or a small one whole: the rows, grid and sampled
    negatives are the same as from the whole history."""
    enterprises, _, incidents = tiny_frames
    if ranges:
        monkeypatch.setattr(store_module, "WHOLE_HISTORY_ROWS", 0)
    monkeypatch.setattr(build, "READ_CELLS", len(enterprises) * (WINDOW_MONTHS + 6))
    source = tiny_store.indicator_windows(AS_OF, WINDOW_MONTHS)
    frame = build_training_frame(
        enterprises,
        source,
        incidents,
        as_of=AS_OF,
        params=TINY_PARAMS,
        on_disk=tmp_path / "t.parquet" if disk else None,
    )
    assert frame.on_disk is disk
    pd.testing.assert_index_equal(frame.grid, tiny_frame.grid)
    assert frame.full_from == tiny_frame.full_from and frame.params == tiny_frame.params
    pd.testing.assert_frame_equal(frame.table, tiny_frame.table, check_categorical=not disk)
    np.testing.assert_array_equal(frame.labels(AS_OF), tiny_frame.labels(AS_OF))


def test_a_source_known_after_the_training_date_is_refused(
    tiny_store: Store, tiny_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
) -> None:
    enterprises, _, incidents = tiny_frames
    later = tiny_store.indicator_windows(AS_OF + pd.Timedelta(days=1), WINDOW_MONTHS)
    with pytest.raises(ValueError, match="indicators known by 2023-12-21 for a frame as of 2023-12-20"):
        build_training_frame(enterprises, later, incidents, as_of=AS_OF, params=TINY_PARAMS)


def test_a_frame_whose_rows_are_read_gives_an_origin_its_first_rows_without_a_copy(
    on_disk: TrainingFrame,
) -> None:
    """The serial backtest reads the whole table once (the leak sentinel does) and every
    origin then takes its months from it: at national scale a second table would not fit."""
    fresh = _unread(on_disk)
    origin = fresh.origins(TINY_PARAMS.backtest_origins)[0]
    unread = fresh.through(origin)
    assert "table" not in unread.__dict__
    whole = fresh.table
    taken = fresh.through(origin)
    assert "table" in taken.__dict__ and taken.until == origin
    pd.testing.assert_frame_equal(taken.table, unread.table)
    assert np.shares_memory(taken.table["headcount"].to_numpy(), whole["headcount"].to_numpy())
    # Sent to a worker, it still travels without its rows and reads its months there.
    assert "table" not in pickle.loads(pickle.dumps(taken)).__dict__


def test_a_released_frame_reads_its_rows_again_and_one_in_memory_keeps_them(
    on_disk: TrainingFrame, tiny_frame: TrainingFrame
) -> None:
    """A training process that hands its fits to Dask workers lets go of the rows it read."""
    fresh = _unread(on_disk)
    whole = fresh.table
    fresh.release()
    assert "table" not in fresh.__dict__
    again = fresh.table
    assert again is not whole
    pd.testing.assert_frame_equal(again, whole)
    kept = tiny_frame.table
    tiny_frame.release()
    assert tiny_frame.__dict__["table"] is kept is tiny_frame.source


def test_a_cell_of_an_unread_frame_lets_its_rows_go_before_the_fit(
    on_disk: TrainingFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Dask task's frame arrives without rows and reads its months: once the fit's inputs
    are taken it lets them go (same figures); a frame whose rows are shared keeps them."""
    released: list[pd.Timestamp | None] = []
    original = TrainingFrame.release

    def spy(self: TrainingFrame) -> None:
        released.append(self.until)
        original(self)

    monkeypatch.setattr(TrainingFrame, "release", spy)
    origin = on_disk.origins(TINY_PARAMS.backtest_origins)[0]
    recipe = TINY_PARAMS.model_copy(update={"learner": "logistic", "logistic_c": 1.0})
    for name, given in (("hgb", None), ("logistic", None), ("champion", recipe)):
        released.clear()
        shared = on_disk.table  # read: the serial backtest's case
        expected = backtest_cell(on_disk, origin, name, given)
        assert released == [] and on_disk.__dict__["table"] is shared
        got = backtest_cell(_unread(on_disk), origin, name, given)
        assert released == [origin], name
        np.testing.assert_array_equal(got, expected)
