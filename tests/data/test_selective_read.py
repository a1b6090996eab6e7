"""The nightly read of some months (`Store.load_indicators_at`): the same picture at D as the
whole history, month row groups on disk, and stores written before them still read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulator as sim
from data.ingest import ingest
from data.pull import pull_source
from data.sources import load_sources
from data.store import Store, last_known_keys
from vocab.months import month_number, month_starts

WINDOW = 16  # the features' window (features.build.WINDOW_MONTHS); the data room cannot import it
KEYS = ["enterprise_id", "month", "reported_at"]
NIGHTS = ["2019-02-28", "2020-06-30", "2021-06-15", "2023-12-20", "2024-12-31", "2026-06-30"]


def _window_start(as_of: pd.Timestamp, window: int = WINDOW) -> pd.Timestamp:
    return pd.Timestamp(month_starts(np.array([int(month_number(as_of)) - window + 1]))[0])


def _known(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    return frame.loc[frame["reported_at"] <= as_of].reset_index(drop=True)


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    """Per enterprise: its latest month and latest report date (what freshness reads)."""
    return frame.groupby("enterprise_id").agg(month=("month", "max"), reported_at=("reported_at", "max"))


def assert_same_picture(store: Store, as_of: str, window: int = WINDOW) -> pd.DataFrame:
    """The selective read at D: the window's vintages exactly as resolved from the whole
    history, older rows only as existing keys, and each enterprise's latest month and
    report date known at D as in the whole history. Returns the selective frame."""
    day = pd.Timestamp(as_of)
    since = _window_start(day, window)
    whole = _known(store.load_indicators(), day)
    part = store.load_indicators_at(day, window)
    assert (part["reported_at"] <= day).all()
    assert not part.duplicated(KEYS).any()
    assert list(part[KEYS].itertuples(index=False)) == sorted(part[KEYS].itertuples(index=False))
    recent = part["month"] >= since
    pd.testing.assert_frame_equal(
        part.loc[recent].reset_index(drop=True), whole.loc[whole["month"] >= since].reset_index(drop=True)
    )
    older = part.loc[~recent]
    assert older[KEYS].merge(whole[KEYS], how="left", indicator=True)["_merge"].eq("both").all()
    figures = [c for c in part.columns if c not in (*KEYS, "reported_at_imputed")]
    assert older[figures].isna().all().all()
    pd.testing.assert_frame_equal(_latest(part), _latest(whole))
    return part


@pytest.mark.parametrize("as_of", NIGHTS)
def test_the_read_of_a_night_gives_the_picture_of_the_whole_history(tiny_store: Store, as_of: str) -> None:
    part = assert_same_picture(tiny_store, as_of)
    if as_of >= "2021":
        assert len(part) < 0.6 * len(_known(tiny_store.load_indicators(), pd.Timestamp(as_of)))


def test_a_shorter_or_longer_window_keeps_the_picture(tiny_store: Store) -> None:
    for window in (1, 3, 40):
        assert_same_picture(tiny_store, "2023-12-20", window)
    with pytest.raises(ValueError, match="window_months"):
        tiny_store.load_indicators_at(pd.Timestamp("2023-12-20"), 0)


def test_new_deliveries_hold_one_row_group_per_month_and_a_month_read_skips_the_rest(
    tiny_store: Store,
) -> None:
    (path,) = (tiny_store.root / "deliveries").glob("*/indicators.parquet")
    meta = pq.ParquetFile(path).metadata
    months = meta.schema.to_arrow_schema().names.index("month")
    bounds = [
        (meta.row_group(g).column(months).statistics.min, meta.row_group(g).column(months).statistics.max)
        for g in range(meta.num_row_groups)
    ]
    assert meta.num_row_groups == tiny_store.stored_indicator_rows()["month"].nunique() > 12
    assert all(lo == hi for lo, hi in bounds)
    assert [lo for lo, _ in bounds] == sorted({lo for lo, _ in bounds})
    # The rows of one month, read with the filter, are those of the whole table.
    whole = tiny_store.stored_indicator_rows()
    one = tiny_store.stored_indicator_rows(months=[pd.Timestamp("2022-05-01")])
    expected = whole.loc[whole["month"] == pd.Timestamp("2022-05-01")].reset_index(drop=True)
    pd.testing.assert_frame_equal(one, expected)


@pytest.fixture(scope="module")
def old_layout_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The tiny world stored as the code before month row groups wrote it: one row group,
    rows in delivery order."""
    root = tmp_path_factory.mktemp("old-layout")
    sim.write_source(sim.simulate("tiny", seed=3), root / "source", "parquet")
    store = Store(root / "store")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Store, "_write_indicators", staticmethod(Store._write_parquet))
        ingest(str(root / "source"), store)
    return store


def test_a_store_written_before_month_row_groups_reads_the_same(
    old_layout_store: Store, tiny_store: Store
) -> None:
    (path,) = (old_layout_store.root / "deliveries").glob("*/indicators.parquet")
    assert pq.ParquetFile(path).metadata.num_row_groups == 1
    pd.testing.assert_frame_equal(old_layout_store.load_indicators(), tiny_store.load_indicators())
    assert old_layout_store.content_digest() == tiny_store.content_digest()
    for as_of in NIGHTS:
        pd.testing.assert_frame_equal(
            assert_same_picture(old_layout_store, as_of),
            tiny_store.load_indicators_at(pd.Timestamp(as_of), WINDOW),
        )


@pytest.fixture(scope="module")
def revised_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Path, list[str]]:
    """The tiny world, and a folder with a second delivery: revisions reported in 2024 of a
    recent month (2023-10) and of an old one (2020-05) of ten enterprises (returned)."""
    root = tmp_path_factory.mktemp("revised")
    sim.write_source(sim.simulate("tiny", seed=3), root / "source", "parquet")
    store = Store(root / "store")
    ingest(str(root / "source"), store)
    source = root / "source"
    indicators = pd.read_parquet(source / "indicators.parquet")
    months = ["2023-10", "2020-05"]
    both = indicators.loc[indicators["month"].isin(months)].groupby("enterprise_id")["month"].nunique()
    firms = sorted(both.index[both == 2])[:10]
    revised = indicators.loc[indicators["enterprise_id"].isin(firms) & indicators["month"].isin(months)]
    revised = revised.assign(
        headcount=revised["headcount"] + 7,
        reported_at=np.where(revised["month"] == "2023-10", "2024-01-10", "2024-02-01"),
    )
    later = root / "later"
    later.mkdir()
    revised.to_parquet(later / "indicators.parquet", index=False)
    enterprises = pd.read_parquet(source / "enterprises.parquet")
    enterprises.loc[enterprises["enterprise_id"].isin(firms)].to_parquet(
        later / "enterprises.parquet", index=False
    )
    pd.read_parquet(source / "incidents.parquet").iloc[:0].to_parquet(
        later / "incidents.parquet", index=False
    )
    return store, later, firms


def test_a_revision_reported_after_d_is_invisible_at_d(revised_store: tuple[Store, Path, list[str]]) -> None:
    store, later, firms = revised_store
    night = pd.Timestamp("2023-12-20")
    before = store.load_indicators_at(night, WINDOW)
    report = ingest(str(later), store)
    assert report.status == "stored" and report.new_rows["indicators"] == 20
    pd.testing.assert_frame_equal(store.load_indicators_at(night, WINDOW), before)
    assert_same_picture(store, "2023-12-20")
    # Once reported, both revisions count: the recent one with its figures, the old one as
    # the enterprises' latest report date.
    after = assert_same_picture(store, "2024-02-29")
    theirs = after.loc[after["enterprise_id"].isin(firms)]
    revision = theirs.loc[theirs["reported_at"] == pd.Timestamp("2024-01-10")]
    assert len(revision) == 10 and (revision["month"] == pd.Timestamp("2023-10-01")).all()
    delivered = pd.read_parquet(later / "indicators.parquet").query("month == '2023-10'")
    expected = delivered.set_index("enterprise_id")["headcount"].astype("float64").sort_index()
    pd.testing.assert_series_equal(
        revision.set_index("enterprise_id")["headcount"], expected, check_names=False
    )
    old = theirs.loc[theirs["reported_at"] == pd.Timestamp("2024-02-01")]
    assert set(old["month"]) == {pd.Timestamp("2020-05-01")} and len(old) == 10


@pytest.fixture(scope="module")
def listed_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The tiny world over 2023-07..2025-12 pulled from the four agencies' files: the debtor
    lists are complete lists, so zeros enter the picture."""
    root = tmp_path_factory.mktemp("agencies")
    sim.write_agencies(sim.simulate("tiny", seed=3, start="2023-07", end="2025-12"), root / "world", seed=3)
    sources = load_sources(root / "world" / "agencies" / "sources.toml")
    store = Store(root / "store")
    for name in ("registry", "bhxh", "labour", "incidents"):
        assert not pull_source(sources, name, store, root).refused
    return store


@pytest.mark.parametrize("as_of", ["2023-09-30", "2024-06-30", "2025-03-15", "2025-12-31", "2027-06-30"])
def test_complete_lists_zeros_are_in_the_picture(listed_store: Store, as_of: str) -> None:
    assert len(listed_store.coverage())
    part = assert_same_picture(listed_store, as_of)
    assert (part["insurance_debt_months"] == 0).any() or as_of >= "2027"


def test_the_older_keys_are_cached_per_state_of_the_store(
    revised_store: tuple[Store, Path, list[str]],
) -> None:
    store, _, _ = revised_store
    night = pd.Timestamp("2025-06-30")
    first = store.load_indicators_at(night, WINDOW)
    (cached,) = (store.root / "cache").glob(f"last-known-w{WINDOW}-*.parquet")
    pd.testing.assert_frame_equal(Store(store.root).load_indicators_at(night, WINDOW), first)
    cached.write_bytes(b"not parquet")  # a damaged cache is only a lost shortcut
    pd.testing.assert_frame_equal(Store(store.root).load_indicators_at(night, WINDOW), first)


# ------------------------------------------------------------------ the keys kept, as a property

START = 600  # month number of 2020-01


@st.composite
def key_sets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys of three enterprises: months over five years, reported from a month before the
    month to four years after it (late and early reports, revisions), often on the first
    day of a month or next to it, where a month leaves a window."""
    n = draw(st.integers(0, 30))
    codes = np.array([draw(st.integers(0, 2)) for _ in range(n)], dtype=np.int32)
    month = np.array([START + draw(st.integers(0, 60)) for _ in range(n)], dtype=np.int32)
    after = np.array([draw(st.integers(-1, 50)) for _ in range(n)], dtype=np.int64)
    days = np.array([draw(st.sampled_from([-1, 0, 1, 19, 27])) for _ in range(n)], dtype=np.int64)
    reported = (month_starts(month + after).astype(np.int64) + days).astype(np.int32)
    return codes, month, reported


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(key_sets(), st.integers(-2, 80), st.sampled_from([-1, 0, 1, 12]), st.sampled_from([1, 2, 5, 16]))
def test_the_kept_keys_give_each_enterprises_latest_month_and_report_at_every_date(
    keys: tuple[np.ndarray, np.ndarray, np.ndarray], months: int, days: int, window: int
) -> None:
    codes, month, reported = keys
    day = int(month_starts(np.array([START + months]))[0].astype(np.int64)) + days
    since = int(month_number(np.array([day], dtype="datetime64[D]"))[0]) - window + 1
    kept = np.zeros(len(codes), dtype=bool)
    kept[last_known_keys(codes, month, reported, window)] = True
    read = (month >= since) | kept
    for firm in range(3):
        every = (codes == firm) & (reported <= day)
        some = every & read
        assert every.any() == some.any()
        if every.any():
            assert month[every].max() == month[some].max()
            assert reported[every].max() == reported[some].max()


def test_every_three_keys_around_the_days_a_month_leaves_the_window() -> None:
    """Exhaustively, each way of three keys of months 0-2 being reported on, or a day
    off, the first day of one of the four months after (one enterprise per way): on every
    day, the latest month and report read equal the whole history's."""
    window = 2
    options = np.array(
        [
            (m, int(month_starts(np.array([START + m + a]))[0].astype(np.int64)) + b)
            for m in range(3)
            for a in range(4)
            for b in (-1, 0, 1)
        ]
    )
    ways = np.stack(np.meshgrid(*[np.arange(len(options))] * 3, indexing="ij"), axis=-1).reshape(-1, 3)
    codes = np.repeat(np.arange(len(ways)), 3).astype(np.int32)
    month = (START + options[ways.ravel(), 0]).astype(np.int32)
    reported = options[ways.ravel(), 1].astype(np.int32)
    positions = last_known_keys(codes, month, reported, window)
    # A few enterprises at a time (as for a long history) keeps the same keys.
    assert np.array_equal(last_known_keys(codes, month, reported, window, chunk=1000), positions)
    kept = np.zeros(len(codes), dtype=bool)
    kept[positions] = True
    first_day = int(month_starts(np.array([START]))[0].astype(np.int64))
    for day in range(first_day - 2, first_day + 250):
        since = int(month_number(np.array([day], dtype="datetime64[D]"))[0]) - window + 1
        known = reported <= day
        read = known & ((month >= since) | kept)
        for values in (month, reported):
            whole = np.where(known, values, -1).reshape(-1, 3).max(axis=1)
            part = np.where(read, values, -1).reshape(-1, 3).max(axis=1)
            assert np.array_equal(whole, part), (day, ways[np.flatnonzero(whole != part)[:3]])


def test_steady_reporters_keep_one_key_and_a_silence_keeps_the_key_before_it() -> None:
    months = np.arange(START, START + 40, dtype=np.int32)
    days = (month_starts(months + 1).astype(np.int64) + 19).astype(np.int32)  # 20 days after month end
    steady = last_known_keys(np.zeros(40, np.int32), months, days, WINDOW)
    assert steady.tolist() == [39]
    # Months 0-9, silence until month 30, then 30-39: the key of month 9 is kept too.
    gap = np.r_[0:10, 30:40]
    kept = last_known_keys(np.zeros(20, np.int32), months[gap], days[gap], WINDOW)
    assert months[gap][kept].tolist() == [START + 9, START + 39]
