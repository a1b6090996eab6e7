"""The store: typed empty frames, atomic commits, temp cleanup, log, digest, locking."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from data.ingest import ingest
from data.schemas import stored_dtypes
from data.store import Store


def test_empty_store_returns_typed_frames(store_root):
    store = Store(store_root)
    for table, frame in (
        ("enterprises", store.load_enterprises()),
        ("indicators", store.load_indicators()),
        ("incidents", store.load_incidents()),
    ):
        assert frame.empty
        assert {c: str(t) for c, t in frame.dtypes.items()} == {
            c: str(pd.Series([], dtype=t).dtype) for c, t in stored_dtypes(table).items()
        }
    assert store.quarantine().empty and store.deliveries().empty
    assert store.content_digest() == Store(store_root).content_digest()
    assert not store_root.exists()  # created lazily, only on write


def test_loaded_dtypes_follow_the_contract(write_source, store_root):
    store = Store(store_root)
    ingest(str(write_source()), store)
    ind = store.load_indicators()
    assert pd.api.types.is_string_dtype(ind["enterprise_id"])
    assert ind["month"].dtype == "datetime64[ns]" and ind["reported_at"].dtype == "datetime64[ns]"
    assert ind["headcount"].dtype == "float64" and ind["reported_at_imputed"].dtype == bool
    keys = list(ind[["enterprise_id", "month", "reported_at"]].itertuples(index=False))
    assert keys == sorted(keys)
    inc = store.load_incidents()
    assert list(inc.columns) == [
        "incident_id",
        "enterprise_id",
        "kind",
        "cause",
        "started",
        "ended",
        "reported_at",
        "participants",
        "reported_at_imputed",
    ]


def test_indicators_of_some_enterprises_equal_the_filtered_whole(write_source, store_root):
    store = Store(store_root)
    ingest(str(write_source()), store)
    whole = store.load_indicators()
    some = sorted(set(whole["enterprise_id"]))[:1]
    assert len(some) == 1 and whole["enterprise_id"].nunique() > 1
    expected = whole.loc[whole["enterprise_id"].isin(some)].reset_index(drop=True)
    pd.testing.assert_frame_equal(store.load_indicators(some), expected)
    assert store.load_indicators(["no-such-id"]).empty


def test_deliveries_log_and_digest(write_source, store_root, good_tables):
    store = Store(store_root)
    report = ingest(str(write_source()), store)
    digest = store.content_digest()
    log = store.deliveries()
    assert log["delivery_id"].tolist() == [report.delivery_id]
    assert str(log["ingested_at"].dtype).endswith("UTC]")
    assert log.at[0, "indicators_rows_in"] == 4 and log.at[0, "status"] == "stored"
    assert Store(store_root).content_digest() == digest
    ingest(
        str(
            write_source(
                indicators=good_tables["indicators"].replace(
                    "1190,7500000,,1.5,0,0,,,2024-03-15", "1190,7500000,,1.5,0,0,,,2024-03-16"
                )
            )
        ),
        store,
    )
    assert store.content_digest() != digest
    assert store.deliveries()["seq"].tolist() == [1, 2]


def test_interrupted_write_is_invisible_and_cleaned(write_source, store_root):
    store = Store(store_root)
    ingest(str(write_source()), store)
    digest = store.content_digest()
    # a crash mid-commit leaves a temp dir and possibly a dir without manifest
    tmp = store_root / "deliveries" / ".tmp-deadbeef"
    tmp.mkdir()
    (tmp / "indicators.parquet").write_bytes(b"partial")
    half = store_root / "deliveries" / f"{2:06d}-{'a' * 64}"
    half.mkdir()
    assert store.content_digest() == digest and len(store.deliveries()) == 1
    report = ingest(str(write_source()), store)  # the next write cleans leftovers
    assert report.status == "unchanged"
    assert not tmp.exists()
    assert store.content_digest() == digest


def test_concurrent_ingests_do_not_corrupt(write_source, store_root, good_tables):
    store_a, store_b = Store(store_root), Store(store_root)
    src1 = str(write_source())
    src2 = str(write_source(indicators=good_tables["indicators"].replace("2024-01,", "2023-12,")))
    errors: list[BaseException] = []

    def run(store: Store, src: str) -> None:
        try:
            ingest(src, store)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assert below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=a) for a in ((store_a, src1), (store_b, src2), (store_a, src1))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    log = Store(store_root).deliveries()
    assert log["seq"].tolist() == [1, 2]
    assert len(Store(store_root).load_indicators()) == 7  # one row of src2 repeats src1
    assert Path(store_root / "deliveries").is_dir()


def test_resolved_vintages_are_cached_per_state_of_the_store(write_source, store_root, good_tables):
    store = Store(store_root)
    ingest(str(write_source()), store)
    first = store.load_indicators()
    (cached,) = (store_root / "cache").glob("indicators-*.parquet")
    pd.testing.assert_frame_equal(Store(store_root).load_indicators(), first)
    # A new delivery is a new state: the cache is rebuilt and the old copy removed.
    extra = good_tables["indicators"].splitlines()[1].split(",")
    extra[1], extra[-1] = "2024-06", ""
    ingest(str(write_source(indicators=good_tables["indicators"] + ",".join(extra) + "\n")), store)
    second = store.load_indicators()
    assert len(second) == len(first) + 1
    (rebuilt,) = (store_root / "cache").glob("indicators-*.parquet")
    assert rebuilt != cached
    # A damaged cache is only a lost shortcut.
    rebuilt.write_bytes(b"not parquet")
    pd.testing.assert_frame_equal(Store(store_root).load_indicators(), second)


def test_the_digest_does_not_depend_on_how_the_months_are_split_to_read_them(
    tiny_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The indicators are hashed a range of months at a time (the whole history does not fit
    in memory at national scale); the ranges follow stored row counts, never the digest."""
    digest = tiny_store.content_digest()
    assert tiny_store._month_ranges() == [(None, None)]
    ranges = Store._month_ranges
    for rows in (1, 2_000, 25_000):
        monkeypatch.setattr(Store, "_month_ranges", lambda self, rows=rows: ranges(self, rows))
        split = tiny_store._month_ranges()
        assert len(split) > 1 and split[0][0] is None and split[-1][1] is None
        assert all(a[1] < b[0] for a, b in zip(split[:-1], split[1:], strict=True))
        assert tiny_store.content_digest() == digest


def test_the_first_month_known_by_a_date(tiny_store: Store) -> None:
    whole = tiny_store.load_indicators()
    for day in ("2018-12-31", "2019-02-20", "2019-03-31", "2024-06-30"):
        known = whole.loc[whole["reported_at"] <= pd.Timestamp(day), "month"]
        expected = known.min() if len(known) else pd.NaT
        got = tiny_store.first_indicator_month(pd.Timestamp(day))
        assert (pd.isna(got) and pd.isna(expected)) or got == expected
