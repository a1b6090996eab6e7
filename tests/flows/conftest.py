"""Fixtures of the flows' tests that run on Dask."""

from __future__ import annotations

from collections.abc import Iterator

import distributed
import pytest


@pytest.fixture(scope="module")
def cluster() -> Iterator[distributed.LocalCluster]:
    """A running cluster of two worker processes, as `dask scheduler` and `dask worker` make one."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as running:
        yield running
