"""`write_features` streams exactly the table `build_features` returns."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from features.build import build_features, write_features

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.synthetic_panel import make_panel, panel_as_of  # noqa: E402


def test_parquet_stream_equals_in_memory_table(tmp_path: Path) -> None:
    enterprises, indicators, incidents = make_panel(600, 14, seed=5)
    # Over 127 zones, so zone + district peer-place codes overflow int8 category codes.
    no_zone = enterprises["zone_id"].isna()
    enterprises.loc[no_zone, "zone_id"] = [f"Z-{i % 150:03d}" for i in range(no_zone.sum())]
    assert enterprises["zone_id"].nunique() > 127
    as_of = panel_as_of(14)
    table = build_features(enterprises, indicators, incidents, as_of)
    path = tmp_path / "features.parquet"
    assert write_features(enterprises, indicators, incidents, as_of, path) == len(table)
    streamed = pd.read_parquet(path)
    streamed["as_of"] = streamed["as_of"].astype(table["as_of"].dtype)
    pd.testing.assert_frame_equal(streamed, table, check_exact=True, check_categorical=False)
