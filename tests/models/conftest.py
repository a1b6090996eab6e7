"""A small world in the store's typed form, shared by the model tests (built once)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from data import simulate as sim
from data.ingest import ingest
from data.store import Store


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The `tiny` world (seed 3) ingested into a store."""
    root = tmp_path_factory.mktemp("tiny")
    sim.write_source(sim.simulate("tiny", seed=3), root / "source", "parquet")
    store = Store(root / "store")
    ingest(str(root / "source"), store)
    return store


@pytest.fixture(scope="session")
def tiny_frames(tiny_store: Store) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return tiny_store.load_enterprises(), tiny_store.load_indicators(), tiny_store.load_incidents()


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """Small fits run best on one thread, and do not stall when the machine is busy."""
    with threadpool_limits(limits=1):
        yield
