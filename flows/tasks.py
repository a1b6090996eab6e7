"""Prefect tasks: thin wrappers over the pure functions, with retries only where safe.

Large DataFrames pass between tasks in memory, so no task caches or persists its result
(`NO_CACHE`): hashing millions of rows for a cache key would cost more than the work.
Reading the store is retried (idempotent); publishing and registering never are, since a
retry after a partial success would write twice.
"""

from __future__ import annotations

import contextlib
import time
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from data import ingest as ingest_module
from data.settings import Settings
from data.store import IndicatorWindows, Store
from features import build
from models import backtest, champion, registry
from models.train import ModelParams
from outputs import ranking as ranking_rules
from outputs import rankings


@dataclass(frozen=True)
class StoreFrames:
    """The store's typed tables, read once per run, the digest of its content and the
    token of the deliveries they came from (`Store.state`).

    With `as_of` set, `indicators` is not the whole history but what features at that date
    read (`Store.load_indicators_at`): right for that date alone.
    """

    enterprises: pd.DataFrame
    indicators: pd.DataFrame
    incidents: pd.DataFrame
    digest: str
    state: str = ""
    as_of: pd.Timestamp | None = None


@dataclass(frozen=True)
class TrainingStore:
    """What training reads of the store: enterprises and incidents whole, the indicators as
    a source read a range of as-of months at a time (`data.store.IndicatorWindows`, known
    by the training date), and the content digest."""

    enterprises: pd.DataFrame
    indicators: IndicatorWindows
    incidents: pd.DataFrame
    digest: str


ingest_source = task(name="validate-and-store", cache_policy=NO_CACHE)(ingest_module.ingest)
build_features = task(name="build-features", cache_policy=NO_CACHE)(build.build_features)
log_model_version = task(name="log-and-register", cache_policy=NO_CACHE)(registry.log_model_version)
load_champion = task(name="load-verified-champion", cache_policy=NO_CACHE)(champion.load_champion)
rank_scores = task(name="rank", cache_policy=NO_CACHE)(ranking_rules.rank_scores)
publish_ranking = task(name="publish-ranking", cache_policy=NO_CACHE)(rankings.publish)
#: Training tables on disk older than this are a killed run's leftovers, removed at the next.
STALE_TRAINING_TABLE_SECONDS = 24 * 3600


@task(name="build-training-frame", cache_policy=NO_CACHE)
def build_training_frame(
    enterprises: pd.DataFrame,
    indicators: build.Indicators,
    incidents: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    params: ModelParams,
    fit_origins: bool = False,
) -> backtest.TrainingFrame:
    """`models.backtest.build_training_frame`, streamed to the workspace's tmp/ folder when the
    settings ask for it (EWS_TRAINING_ON_DISK). The file is removed when the frame is no
    longer used in this process (or at its exit); a killed run's file, at the next training."""
    settings = Settings()
    if not settings.training_on_disk:
        return backtest.build_training_frame(
            enterprises, indicators, incidents, as_of=as_of, params=params, fit_origins=fit_origins
        )
    folder = settings.tmp_dir
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = time.time()
    for old in folder.glob("training-*.parquet"):
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > STALE_TRAINING_TABLE_SECONDS:
                old.unlink()
    path = folder / f"training-{uuid.uuid4().hex}.parquet"
    try:
        frame = backtest.build_training_frame(
            enterprises,
            indicators,
            incidents,
            as_of=as_of,
            params=params,
            fit_origins=fit_origins,
            on_disk=path,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    weakref.finalize(frame, path.unlink, missing_ok=True)
    return frame


run_backtest = task(name="rolling-origin-backtest", cache_policy=NO_CACHE)(backtest.run_backtest)
fit_final = task(name="fit-final", cache_policy=NO_CACHE)(backtest.fit_at)


@task(name="load-training-store", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def load_training_store(store_dir: str, as_of: pd.Timestamp) -> TrainingStore:
    """The store as training reads it as of `as_of`: years of indicator history are never
    held whole (at national scale they do not fit in memory), but read by the training
    table's build a range of as-of months at a time. The caller holds `Store.snapshot`
    until the table is built, so that every range comes from one state of the store."""
    store = Store(Path(store_dir))
    with store.snapshot():
        return TrainingStore(
            enterprises=store.load_enterprises(),
            indicators=store.indicator_windows(pd.Timestamp(as_of), build.WINDOW_MONTHS),
            incidents=store.load_incidents(),
            digest=store.content_digest(),
        )


@task(name="load-store", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def load_store(
    store_dir: str, with_digest: bool = True, as_of: pd.Timestamp | None = None, extra_months: int = 0
) -> StoreFrames:
    """Read the validated store: enterprises, indicator revisions, incidents.

    Without `as_of`, every indicator revision (training and the backtest need the whole
    history). With `as_of`, only what the features of that night read: the months of
    their window (`features.build.WINDOW_MONTHS`) and, of older months, each enterprise's
    latest month and report date known then; memory then follows the window, not the
    length of the history. Enterprises and incidents are read whole either way.

    The content digest reads and hashes every table a second time (~1.5 s for 17,000
    enterprises); scoring, which records the digest of the features it scored instead,
    asks for none (`digest` is then empty). `extra_months` widens the window, so that the
    same read also serves a night up to that many months earlier (what moved since then).
    """
    store = Store(Path(store_dir))
    night = None if as_of is None else pd.Timestamp(as_of).normalize()
    with store.snapshot():  # one state of the store: no delivery lands between the tables
        return StoreFrames(
            enterprises=store.load_enterprises(),
            indicators=(
                store.load_indicators()
                if night is None
                else store.load_indicators_at(night, build.WINDOW_MONTHS + extra_months)
            ),
            incidents=store.load_incidents(),
            digest=store.content_digest() if with_digest else "",
            state=store.state(),
            as_of=night,
        )
