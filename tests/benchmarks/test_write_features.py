"""`write_features` streams exactly the table `build_features` returns."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from features.build import build_features, write_features

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.synthetic_panel import make_panel, panel_as_of  # noqa: E402


def test_parquet_stream_equals_in_memory_table(tmp_path: Path) -> None:
    # 3,000 firms: more than 127 zones and districts, so category codes are wider than int8.
    enterprises, indicators, incidents = make_panel(3000, 14, seed=5)
    as_of = panel_as_of(14)
    table = build_features(enterprises, indicators, incidents, as_of)
    assert enterprises["zone_id"].nunique() + enterprises["district"].nunique() > 127
    path = tmp_path / "features.parquet"
    assert write_features(enterprises, indicators, incidents, as_of, path) == len(table)
    streamed = pd.read_parquet(path)
    streamed["as_of"] = streamed["as_of"].astype(table["as_of"].dtype)
    pd.testing.assert_frame_equal(streamed, table, check_exact=True, check_categorical=False)
