"""The published ranking, declared once: `outputs.rankings.publish` checks every night against it.

Shapes are checked with `data.tables.check_table` (one line naming the table and the column).
"""

from __future__ import annotations

import pandera.pandas as pa

from data.tables import TableError, check_table, of_kind, unique_key
from vocab.terms import BANDS

__all__ = ["RANKING", "RANKING_ADDED", "WARNING_KINDS", "TableError", "check_table"]

#: The kind of a night's warning (`present.signals`): "acute" when its reasons hold a recent,
#: actionable sign (arrears, debt, layoffs, a stoppage next door), else "structural" (base rates).
WARNING_KINDS: tuple[str, ...] = ("acute", "structural")


# Text as the score flow builds it (str), or as read back from the database (object where a
# column holds NULLs only); the enterprise's attributes may be categories.
_TEXT = ("str", "object", "category")


def _text(*checks: pa.Check, nullable: bool) -> pa.Column:
    return pa.Column(None, checks=[of_kind(*_TEXT), *checks], nullable=nullable)


# The ranking `outputs.rankings.publish` writes: `outputs.ranking.rank_scores`'s rows plus the
# columns the score flow adds (the enterprise's attributes, the model, the run, staleness).
# Columns in the `scores` table's order; NOT NULL there is non-nullable here.
RANKING = pa.DataFrameSchema(
    {
        # A date (the score flow) or its text YYYY-MM-DD (a ranking read back and published again).
        "as_of": pa.Column(None, checks=of_kind("datetime", "str", "object"), nullable=False),
        "enterprise_id": _text(nullable=False),
        "rank": pa.Column(None, checks=of_kind("integer"), nullable=False),
        "score": pa.Column("float64", checks=pa.Check.in_range(0.0, 1.0), nullable=False),
        "band": _text(pa.Check.isin(list(BANDS)), nullable=False),
        "reasons": _text(nullable=True),
        "reasons_en": _text(nullable=True),
        "name": _text(nullable=True),
        "province": _text(nullable=True),
        "district": _text(nullable=True),
        "zone_id": _text(nullable=True),
        "sector": _text(nullable=True),
        "ownership": _text(nullable=True),
        "model_name": _text(nullable=False),
        "model_version": _text(nullable=False),
        "run_id": _text(nullable=False),
        "input_digest": _text(nullable=False),
        "months_stale": pa.Column(None, checks=of_kind("float", "integer"), nullable=True),
        # True/False from the score flow; 0/1 (NaN for NULL) once read back from the database.
        "stale": pa.Column(None, checks=of_kind("bool", "integer", "float"), nullable=True),
    },
    checks=[unique_key("as_of", "enterprise_id")],
    name="ranking",
)


# Columns published since the first release, after RANKING's in the `scores` table. A ranking
# made without them (by code that does not know them) is published with NULLs there, as the
# nights published before they existed read back.
RANKING_ADDED = pa.DataFrameSchema(
    {
        # "acute" or "structural" (`WARNING_KINDS`); NULL for nights scored before kinds were kept.
        "warning_kind": _text(pa.Check.isin(list(WARNING_KINDS)), nullable=True),
    },
    name="ranking",
)
