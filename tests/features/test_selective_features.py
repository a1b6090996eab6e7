"""Features of a night built from the store's read of that night (`Store.load_indicators_at`)
equal those built from the whole history; the window they need is pinned."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulator as sim
from data import store as store_module
from data.ingest import ingest
from data.store import Store
from features import build
from features.build import HISTORY_MONTHS, NUMERIC_FEATURES, WINDOW_MONTHS, build_features, known_at
from vocab.months import month_number

NIGHTS = ["2019-02-28", "2019-06-30", "2021-06-15", "2023-12-20", "2024-12-31", "2025-02-28", "2026-06-30"]


def features_both_ways(
    store: Store, frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], as_of: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The feature table at D from the whole history and from the night's selective read."""
    enterprises, indicators, incidents = frames
    day = pd.Timestamp(as_of)
    whole = build_features(enterprises, *known_at(indicators, incidents, day), [day])
    night = store.load_indicators_at(day, WINDOW_MONTHS)
    part = build_features(enterprises, *known_at(night, incidents, day), [day])
    return whole, part


def test_the_window_is_the_history_the_features_look_back_plus_the_reporting_lag() -> None:
    assert WINDOW_MONTHS == HISTORY_MONTHS + build.REPORTING_LAG_MONTHS + 1 == 16


@pytest.mark.parametrize("as_of", NIGHTS)
def test_features_of_a_night_from_its_read_equal_those_from_the_whole_history(
    tiny_store: Store, tiny_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], as_of: str
) -> None:
    whole, part = features_both_ways(tiny_store, tiny_frames, as_of)
    assert len(whole) > 1000
    pd.testing.assert_frame_equal(whole, part)


SILENT_SINCE = "2020-03"  # the last month the silent firms report
GAP = ("2020-06", "2023-05")  # the months the resumed firms leave out


# The store, its whole frames, the silent firms and the firms that resumed.
SilentWorld = tuple[Store, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], list[str], list[str]]


@pytest.fixture(scope="module")
def silent_world(tmp_path_factory: pytest.TempPathFactory) -> SilentWorld:
    """The tiny world where three operating firms stop reporting after March 2020 and three
    others report nothing from June 2020 to May 2023, then resume."""
    root = tmp_path_factory.mktemp("silent")
    sim.write_source(sim.simulate("tiny", seed=3), root / "source", "parquet")
    source = root / "source"
    enterprises = pd.read_parquet(source / "enterprises.parquet")
    indicators = pd.read_parquet(source / "indicators.parquet")
    first = indicators.groupby("enterprise_id")["month"].min()
    steady = sorted(
        set(enterprises.loc[enterprises["closed"].isna(), "enterprise_id"])
        & set(first.index[first == "2019-01"])
    )
    silent, resumed = steady[:3], steady[3:6]
    drop = (indicators["enterprise_id"].isin(silent) & (indicators["month"] > SILENT_SINCE)) | (
        indicators["enterprise_id"].isin(resumed) & indicators["month"].between(*GAP)
    )
    indicators.loc[~drop].to_parquet(source / "indicators.parquet", index=False)
    store = Store(root / "store")
    assert ingest(str(source), store).status == "stored"
    frames = (store.load_enterprises(), store.load_indicators(), store.load_incidents())
    return store, frames, silent, resumed


def _months_between(as_of: str, month: str) -> float:
    return float(month_number(pd.Timestamp(as_of)) - month_number(pd.Timestamp(month)))


@pytest.mark.parametrize("as_of", ["2020-05-31", "2021-09-30", "2023-04-30", "2023-12-20", "2024-12-31"])
def test_a_firm_silent_for_years_keeps_its_months_since_last_report(
    silent_world: SilentWorld, as_of: str
) -> None:
    store, frames, silent, resumed = silent_world
    whole, part = features_both_ways(store, frames, as_of)
    pd.testing.assert_frame_equal(whole, part)
    staleness = part.set_index("enterprise_id")["months_since_last_report"]
    # Silent since March 2020: in the universe, as stale as the months since (its March
    # figures are known about seven weeks after the month).
    assert staleness.loc[silent].tolist() == [_months_between(as_of, SILENT_SINCE)] * 3
    if GAP[0] <= as_of[:7] <= GAP[1]:
        assert staleness.loc[resumed].tolist() == [_months_between(as_of, "2020-05")] * 3
    else:
        assert (staleness.loc[resumed] <= 2).all()
    if _months_between(as_of, SILENT_SINCE) >= WINDOW_MONTHS:
        # Out of the window: no figure of theirs is read, only how stale they are.
        assert part.set_index("enterprise_id").loc[silent, "headcount"].isna().all()


def _lookbacks(
    features: tuple[Callable[[build.Inputs], np.ndarray], ...],
    frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> dict[str, int]:
    """The farthest month behind the latest month each feature asks for, building one night."""
    asked: dict[str, int] = {}
    running: list[str] = []
    original = build.Inputs.latest_value

    def recording(self: build.Inputs, column: str, months_before: int = 0) -> np.ndarray:
        asked[running[-1]] = max(asked.get(running[-1], 0), months_before)
        return original(self, column, months_before)

    def named(feature: Callable[[build.Inputs], np.ndarray]) -> Callable[[build.Inputs], np.ndarray]:
        @functools.wraps(feature)
        def call(x: build.Inputs) -> np.ndarray:
            running.append(feature.__name__)
            return feature(x)

        return call

    enterprises, indicators, incidents = frames
    day = pd.Timestamp("2023-12-20")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build.Inputs, "latest_value", recording)
        patch.setattr(build, "NUMERIC_FEATURES", tuple(named(f) for f in features))
        build_features(enterprises, *known_at(indicators, incidents, day), [day])
    assert set(running) == {f.__name__ for f in features}
    return asked


def test_no_feature_looks_back_past_the_window(
    tiny_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    asked = _lookbacks(NUMERIC_FEATURES, tiny_frames)
    assert asked["headcount_change_12m"] == HISTORY_MONTHS
    assert max(asked.values()) < WINDOW_MONTHS, "a feature looks back past WINDOW_MONTHS: widen it"


def test_a_feature_looking_back_two_years_would_be_caught(
    tiny_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    def headcount_change_24m(x: build.Inputs) -> np.ndarray:
        return x.latest_value("headcount") / x.latest_value("headcount", 24) - 1

    asked = _lookbacks((*NUMERIC_FEATURES, headcount_change_24m), tiny_frames)
    assert asked["headcount_change_24m"] == 24 >= WINDOW_MONTHS


@pytest.mark.parametrize(("as_of", "before"), [("2023-12-20", "2023-11-19"), ("2024-12-31", "2024-12-01")])
def test_the_night_before_is_built_right_from_tonights_read_one_month_wider(
    tiny_store: Store, tiny_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], as_of: str, before: str
) -> None:
    """The nightly "why it moved" builds the previous night's features from tonight's read
    (`flows.score`: the window one month wider): they equal the whole history's."""
    enterprises, indicators, incidents = tiny_frames
    day = pd.Timestamp(before)
    whole = build_features(enterprises, *known_at(indicators, incidents, day), [day])
    night = tiny_store.load_indicators_at(pd.Timestamp(as_of), WINDOW_MONTHS + 1)
    part = build_features(enterprises, *known_at(night, incidents, day), [day])
    pd.testing.assert_frame_equal(whole, part)


class CountingSource:
    """The store's `IndicatorWindows`, recording the as-of ranges it was asked for."""

    def __init__(self, store: Store, known_by: str) -> None:
        self.inner = store.indicator_windows(pd.Timestamp(known_by), WINDOW_MONTHS)
        self.known_by = self.inner.known_by
        self.asked: list[tuple[pd.Timestamp, pd.Timestamp]] = []

    @property
    def first_month(self) -> pd.Timestamp:
        return self.inner.first_month

    def between(self, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
        self.asked.append((first, last))
        return self.inner.between(first, last)


@pytest.mark.parametrize("world", ["tiny", "silent", "tiny-whole"])
def test_years_of_as_of_dates_read_a_range_at_a_time_equal_the_whole_history(
    tiny_store: Store,
    tiny_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    silent_world: SilentWorld,
    world: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Training's reads of the store (`IndicatorWindows`): a range of as-of dates at a time,
    or, for a history small enough (`tiny-whole`), the whole history once for every range."""
    store, frames = (tiny_store, tiny_frames) if world != "silent" else silent_world[:2]
    if world != "tiny-whole":
        monkeypatch.setattr(store_module, "WHOLE_HISTORY_ROWS", 0)
    enterprises, indicators, incidents = frames
    known_by = "2024-06-30"
    grid = build.month_ends(pd.Timestamp("2019-04-30"), pd.Timestamp("2024-03-31"))
    whole_rows, known_incidents = known_at(indicators, incidents, pd.Timestamp(known_by))
    whole = build_features(enterprises, whole_rows, known_incidents, grid)
    # Five as-of dates a read: the window's months and four more of every enterprise.
    monkeypatch.setattr(build, "READ_CELLS", len(enterprises) * (WINDOW_MONTHS + 4))
    source = CountingSource(store, known_by)
    part = build_features(enterprises, source, known_incidents, grid)
    assert len(source.asked) == 12 and all(len(grid[(grid >= a) & (grid <= b)]) <= 5 for a, b in source.asked)
    assert len(whole) > 5000
    pd.testing.assert_frame_equal(whole, part)
    # Streamed to a file, a read at a time: the same table.
    written = build.write_features(
        enterprises, CountingSource(store, known_by), known_incidents, grid, tmp_path / "t.parquet"
    )
    assert written == len(whole)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), whole, check_categorical=False)
    assert source.first_month == whole_rows["month"].min()


def test_a_source_reads_nothing_reported_after_its_date(tiny_store: Store) -> None:
    source = tiny_store.indicator_windows(pd.Timestamp("2022-06-30"), WINDOW_MONTHS)
    rows = source.between(pd.Timestamp("2021-01-31"), pd.Timestamp("2024-12-31"))
    assert rows["reported_at"].max() <= pd.Timestamp("2022-06-30") and len(rows) > 1000
    assert rows["month"].max() <= pd.Timestamp("2022-06-30")
