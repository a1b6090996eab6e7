"""Internal tables: declared once as pandera schemas, checked where they cross a room's boundary.

Each room declares the tables it hands to the rooms above in its `tables` module: the
feature table in `features.tables`, the training rows in `models.tables`, the published
ranking in `outputs.tables`. `check_table` is the one way to check them; a failure is one line naming
the table and the column (the command line prints it as it is).

The checks are cheap on millions of rows: column presence, dtypes (one test per column,
whatever its length), nulls and the key's uniqueness; values are checked (vectorised) only
in the ranking, a row per enterprise. They read the frame and never change it: a checked
frame flows on exactly as it came.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrorReason, SchemaErrors

from data.errors import EwsError


class TableError(EwsError):
    """A table handed from one room to another lacks a column, has a column of the wrong
    dtype, a missing value where none may be, or a key that is not unique."""


# Dtype kinds a column may be declared with, by the test on its dtype (never on its values).
_KINDS: dict[str, Callable[[Any], bool]] = {
    "datetime": pd.api.types.is_datetime64_dtype,  # any unit, without a time zone
    "category": lambda dtype: isinstance(dtype, pd.CategoricalDtype),
    "str": lambda dtype: isinstance(dtype, pd.StringDtype),
    "object": pd.api.types.is_object_dtype,
    "bool": pd.api.types.is_bool_dtype,
    "integer": pd.api.types.is_integer_dtype,
    "float": pd.api.types.is_float_dtype,
}


def of_kind(*kinds: str) -> pa.Check:
    """A column check that its dtype is one of `kinds` (keys of `_KINDS`): one test per column.

    For columns whose producers legitimately differ, e.g. text as categories from the builder
    but str once tables of several nights are concatenated.
    """
    unknown = [k for k in kinds if k not in _KINDS]
    if unknown:
        raise ValueError(f"unknown dtype kinds {unknown}; known: {sorted(_KINDS)}")

    def dtype_is(series: pd.Series) -> bool:
        return any(_KINDS[kind](series.dtype) for kind in kinds)

    return pa.Check(
        dtype_is,
        name="dtype_is",
        error="dtype must be " + " or ".join(kinds),
        ignore_na=False,  # the dtype alone is read: no copy of the non-missing values
        statistics={"kinds": kinds},
    )


def unique_key(*columns: str) -> pa.Check:
    """A table check that no two rows share the values of `columns`."""

    def key_is_unique(frame: pd.DataFrame) -> bool:
        return not frame.duplicated(list(columns)).any()

    return pa.Check(
        key_is_unique,
        name="unique_key",
        error=f"key ({', '.join(columns)}) must be unique",
        ignore_na=False,
        statistics={"key": columns},
    )


def check_table(
    schema: pa.DataFrameSchema, frame: pd.DataFrame, *, error: type[Exception] = TableError
) -> pd.DataFrame:
    """`frame` itself when it has the shape `schema` declares; else `error`, one line naming
    the table (the schema's name) and the column.

    Columns beyond the schema's are allowed unless the schema is strict. An empty frame is
    checked for its columns only: an empty frame's dtypes say nothing (the feature builder's
    empty table types every column float64).
    """
    table = schema.name or "table"
    missing = [c for c in schema.columns if c not in frame.columns]
    if missing:
        s = "s" if len(missing) > 1 else ""
        raise error(f"{table}: missing column{s} {', '.join(map(repr, missing))}")
    if schema.strict:
        extra = [c for c in frame.columns if c not in schema.columns]
        if extra:
            s = "s" if len(extra) > 1 else ""
            raise error(f"{table}: unexpected column{s} {', '.join(map(repr, extra))}")
    if frame.empty:
        return frame
    try:
        schema.validate(frame, inplace=True)
    except SchemaErrors as exc:
        raise error(f"{table}: {describe(exc.schema_errors[0], frame)}") from exc
    except SchemaError as exc:
        raise error(f"{table}: {describe(exc, frame)}") from exc
    return frame


def describe(exc: SchemaError, frame: pd.DataFrame) -> str:
    """What a pandera error says about `frame`, in one line that names the column."""
    column = exc.schema.name if isinstance(exc.schema, pa.Column) else None
    check = exc.check if isinstance(exc.check, pa.Check) else None
    statistics: dict[str, Any] = (check.statistics or {}) if check is not None else {}
    if column is not None and column in frame.columns:
        values = frame[column]
        if exc.reason_code == SchemaErrorReason.WRONG_DATATYPE:
            return f"column {column!r} has dtype {values.dtype}, expected {exc.schema.dtype}"
        if exc.reason_code == SchemaErrorReason.SERIES_CONTAINS_NULLS:
            n = int(values.isna().sum())
            return f"column {column!r} holds {n} missing value{'s' if n > 1 else ''}, where none may be"
        if "kinds" in statistics:
            return f"column {column!r} has dtype {values.dtype}, expected {' or '.join(statistics['kinds'])}"
        if check is not None:
            return f"column {column!r} fails {check.error or check.name}{_example(exc)}"
    if "key" in statistics:
        key = list(statistics["key"])
        first = frame.loc[frame.duplicated(key, keep=False), key].head(1)
        example = ", ".join(map(_show, first.iloc[0].tolist())) if len(first) else ""
        return f"key ({', '.join(key)}) is not unique: ({example}) appears more than once"
    if check is not None:
        return f"fails {check.error or check.name}{_example(exc)}"
    return str(exc).splitlines()[0]


def _show(value: Any) -> str:
    """A key value as a reader would write it: 2023-12-20 for a date, quoted text."""
    if isinstance(value, pd.Timestamp):
        return str(value.date()) if value == value.normalize() else str(value)
    return repr(value.item() if isinstance(value, np.generic) else value)


def _example(exc: SchemaError) -> str:
    """', e.g. <a failing value>' when pandera kept the failing values."""
    cases = exc.failure_cases
    if isinstance(cases, pd.DataFrame) and "failure_case" in cases and len(cases):
        return f", e.g. {_show(cases['failure_case'].iloc[0])}"
    return ""
