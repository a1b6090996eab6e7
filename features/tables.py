"""The feature table, declared once: what `features.build.build_features` returns.

One row per (as_of, enterprise_id). The enterprise's text attributes (`STATIC_TEXT`) are
categories as the builder writes them, or str once tables of several dates are
concatenated; every numeric feature is float64, NaN where it is not known. Models check
the table where they receive it (`models.backtest.build_training_frame`,
`models.train.predict`).

The schema follows the builder: a feature added to `features.build` is a column here
at once. What a model reads is a feature set (`features.sets`), frozen separately.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from data.tables import check_table, of_kind, unique_key
from features.build import CATEGORICAL, STATIC_TEXT, feature_names

KEY: tuple[str, str] = ("as_of", "enterprise_id")
# The text attributes that may be missing: the district of some registrations, and the
# zone of every enterprise outside an industrial zone or cluster.
NULLABLE_TEXT: tuple[str, ...] = ("district", "zone_id")
NUMERIC_COLUMNS: tuple[str, ...] = tuple(c for c in feature_names() if c not in CATEGORICAL)

FEATURE_TABLE = pa.DataFrameSchema(
    {
        # Any resolution: month-end grids are datetime64[us], a scoring date may be [s].
        "as_of": pa.Column(None, checks=of_kind("datetime"), nullable=False),
        "enterprise_id": pa.Column(None, checks=of_kind("str"), nullable=False),
        **{
            column: pa.Column(None, checks=of_kind("category", "str"), nullable=column in NULLABLE_TEXT)
            for column in STATIC_TEXT
        },
        **{column: pa.Column("float64", nullable=True) for column in NUMERIC_COLUMNS},
    },
    checks=[unique_key(*KEY)],
    name="feature table",
)


def check_feature_table(table: pd.DataFrame) -> pd.DataFrame:
    """`table` itself when it is a feature table (other columns may follow); else a one-line
    `outputs.tables.TableError` naming the column."""
    return check_table(FEATURE_TABLE, table)
