"""The training rows, declared once: the table a `models.backtest.TrainingFrame` holds.

They are the feature table (`features.tables.FEATURE_TABLE`), sampled, and nothing else:
no label and no weight column. A row's label depends on the cutoff it is read at
(`TrainingFrame.labels`) and its weight on that label, so either stored beside the
features would let outcomes reported after an origin into that origin's fit.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from data.tables import check_table
from features.tables import FEATURE_TABLE

TRAINING_ROWS = pa.DataFrameSchema(
    FEATURE_TABLE.columns,
    checks=FEATURE_TABLE.checks,
    strict=True,
    name="training rows",
)


def check_training_rows(table: pd.DataFrame) -> pd.DataFrame:
    """`table` itself when it holds the training rows; else a one-line
    `outputs.tables.TableError` naming the column."""
    return check_table(TRAINING_ROWS, table)
