"""The workspace database the outputs tests run on: each test once on SQLite (a file in the
test's folder) and once on PostgreSQL (a new database on the session's real server)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from data.database import BACKENDS, Database, dispose


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty workspace database: `ews.db` in the test's folder, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield Database.of(tmp_path / "ews.db")
        return
    server = request.getfixturevalue("postgres_server")
    name = "ews_" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:20]
    db = Database.of(server.create_database(name))
    try:
        yield db
    finally:
        dispose(db)  # this process's pooled connections to it


def small_ranking(
    as_of: str,
    kinds: list[str | None] | None,
    *,
    n: int | None = None,
    bands: list[str] | None = None,
    reasons: tuple[list[str], list[str]] | None = None,
) -> pd.DataFrame:
    """A small night's ranking as the score flow publishes it: `n` firms (or one per kind),
    with `warning_kind` when `kinds` is given, `bands` (default all high) and `reasons`
    (Vietnamese and English, default one line for all)."""
    n = n if n is not None else len(kinds or [])
    vi, en = reasons if reasons is not None else (["3 tháng nợ lương"] * n, ["3 months of wage arrears"] * n)
    frame = pd.DataFrame(
        {
            "as_of": pd.Timestamp(as_of),
            "enterprise_id": [f"080{i:07d}" for i in range(n)],
            "rank": list(range(1, n + 1)),
            "score": [0.9 - 0.1 * i for i in range(n)],
            "band": bands if bands is not None else ["high"] * n,
            "reasons": vi,
            "reasons_en": en,
            "name": [f"Công ty {i}" for i in range(n)],
            "province": "Hải Dương",
            "district": "Cẩm Giàng",
            "zone_id": "KCN-1",
            "sector": "14",
            "ownership": "fdi",
            "model_name": "labor-ews",
            "model_version": "3",
            "run_id": "run-1",
            "input_digest": "0" * 64,
            "months_stale": 0.0,
            "stale": False,
        }
    )
    return frame if kinds is None else frame.assign(warning_kind=pd.Series(kinds, dtype=object))
