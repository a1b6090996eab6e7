"""Table shapes of the data contract: one pandera model per delivered table.

These models are the single vocabulary for the three contract tables (see
``docs/contract.md``): ingestion validates deliveries with them, documentation
reads their ``description``s, and tests draw example data from their hypothesis
strategies (``Indicators.strategy(size=5)`` or :func:`example_frames`).

A model describes a table *as delivered*, after text was turned into numbers: ids,
names, enums, months and dates stay text (``month`` is ``YYYY-MM``, dates are
``YYYY-MM-DD`` and real calendar dates), counts and amounts are ``float64`` (NaN = not
reported, never zero). The store turns months and dates into ``datetime64[ns]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.api.extensions import register_check_method
from pandera.typing import Series

from vocab.terms import CAUSES, INCIDENT_KINDS, OWNERSHIPS, ZONE_TYPES

#: An indicator row without ``reported_at`` is taken as known this many days after the
#: last day of its month (typical lag of the monthly labour reports).
INDICATOR_REPORT_LAG_DAYS = 20

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
DATE_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
# Control, zero-width and bidi-override characters that make two ids look identical.
_INVISIBLE = r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060\ufeff]"

_FIRST_DAY = dt.date(2000, 1, 1)
_LAST_DAY = dt.date(2035, 12, 31)


# --------------------------------------------------------------------------- helpers


def map_unique(values: pd.Series, fn: Callable[[pd.Series], Any]) -> np.ndarray:
    """Apply ``fn`` to the distinct non-missing values only and broadcast back.

    Deliveries repeat the same ids, months and dates millions of times; parsing the few
    distinct values keeps validation vectorised and fast. Missing entries map to NaN/NaT.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.asarray(fn(pd.Series(uniques)))
    if (codes < 0).any():
        if mapped.dtype.kind == "M":
            fill: Any = np.datetime64("NaT")
        elif mapped.dtype.kind == "b":
            mapped = mapped.astype(object)
            fill = np.nan
        else:
            mapped = mapped.astype("float64") if mapped.dtype.kind in "iu" else mapped
            fill = np.nan
        mapped = np.append(mapped, np.array([fill], dtype=mapped.dtype))
    return mapped[codes]


def _in_range_year(u: pd.Series) -> np.ndarray:
    """Years that ``datetime64[ns]`` can hold (1678–2261); others are not accepted."""
    year = pd.to_numeric(u.str.slice(0, 4), errors="coerce")
    return np.asarray((year >= 1700) & (year <= 2260), dtype=bool)


def _parse_text(values: pd.Series, pattern: str, fmt: str) -> np.ndarray:
    """Text matching `pattern` (read with `fmt`) → ``datetime64[ns]``; anything else → NaT."""

    def _parse(u: pd.Series) -> np.ndarray:
        ok = u.str.match(pattern).to_numpy(dtype=bool, na_value=False).copy()
        ok &= _in_range_year(u)
        out = pd.to_datetime(u.where(ok), format=fmt, errors="coerce")
        return np.asarray(out.astype("datetime64[ns]"))

    return map_unique(values, _parse)


def parse_dates(values: pd.Series) -> np.ndarray:
    """Text ``YYYY-MM-DD`` → ``datetime64[ns]``; anything else (or missing) → NaT."""
    return _parse_text(values, DATE_PATTERN, "%Y-%m-%d")


def parse_months(values: pd.Series) -> np.ndarray:
    """Text ``YYYY-MM`` → first day of the month as ``datetime64[ns]``; else NaT."""
    return _parse_text(values, MONTH_PATTERN, "%Y-%m")


def default_indicator_reported_at(month: pd.Series) -> pd.Series:
    """Default ``reported_at`` of indicator rows: last day of ``month`` + 20 days.

    ``month`` holds first-of-month timestamps; the result keeps its index.
    """
    lag = pd.Timedelta(days=INDICATOR_REPORT_LAG_DAYS)

    def _rule(u: pd.Series) -> np.ndarray:
        end = pd.DatetimeIndex(u) + pd.offsets.MonthEnd(0)
        return np.asarray((end + lag).astype("datetime64[ns]"))

    return pd.Series(map_unique(month, _rule), index=month.index, dtype="datetime64[ns]")


def default_incident_reported_at(started: pd.Series) -> pd.Series:
    """Default ``reported_at`` of incidents: the day the incident ``started``."""
    return started.astype("datetime64[ns]")


# ----------------------------------------------------------- custom checks + strategies


def _count_strategy(pandera_dtype: Any, strategy: Any = None, *, min_value: int) -> Any:
    from hypothesis import strategies as st  # test-only dependency, import lazily

    base = st.integers(min_value=min_value, max_value=100_000).map(float)
    if strategy is None:
        return base
    return strategy.filter(lambda x: np.isfinite(x) and x == np.floor(x) and x >= min_value)


@register_check_method(statistics=["min_value"], strategy=_count_strategy)
def count_value(series: pd.Series, *, min_value: int) -> pd.Series:
    """A whole, finite number ≥ ``min_value`` (counts arrive as float64)."""
    x = series.to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(np.isfinite(x) & (x == np.floor(x)) & (x >= min_value), index=series.index)


def _amount_strategy(pandera_dtype: Any, strategy: Any = None, *, min_value: float) -> Any:
    from hypothesis import strategies as st  # test-only dependency, import lazily

    base = st.floats(min_value=min_value, max_value=1e11, allow_nan=False, allow_infinity=False)
    if strategy is None:
        return base
    return strategy.filter(lambda x: np.isfinite(x) and x >= min_value)


@register_check_method(statistics=["min_value"], strategy=_amount_strategy)
def amount_value(series: pd.Series, *, min_value: float) -> pd.Series:
    """A finite number ≥ ``min_value`` (money, months of arrears)."""
    x = series.to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(np.isfinite(x) & (x >= min_value), index=series.index)


#: Most months of arrears or debt a report can state: 50 years. More is a typing error (a
#: sum in đồng in the months column), not a firm's history.
MAX_MONTHS_OWED = 600.0


def _months_strategy(pandera_dtype: Any, strategy: Any = None, *, max_value: float) -> Any:
    from hypothesis import strategies as st  # test-only dependency, import lazily

    base = st.floats(min_value=0.0, max_value=max_value, allow_nan=False, allow_infinity=False)
    if strategy is None:
        return base
    return strategy.filter(lambda v: 0.0 <= v <= max_value)


@register_check_method(statistics=["max_value"], strategy=_months_strategy)
def months_value(series: pd.Series, *, max_value: float) -> pd.Series:
    """A finite number of months between 0 and ``max_value``."""
    x = series.to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(np.isfinite(x) & (x >= 0) & (x <= max_value), index=series.index)


def _calendar_strategy(pandera_dtype: Any, strategy: Any = None, *, unit: str) -> Any:
    from hypothesis import strategies as st  # test-only dependency, import lazily

    fmt = "%Y-%m" if unit == "month" else "%Y-%m-%d"
    base = st.dates(min_value=_FIRST_DAY, max_value=_LAST_DAY).map(lambda d: d.strftime(fmt))
    if strategy is None:
        return base
    return strategy.filter(lambda v: isinstance(v, str))


@register_check_method(statistics=["unit"], strategy=_calendar_strategy)
def calendar_text(series: pd.Series, *, unit: str) -> pd.Series:
    """Text that is a real calendar ``YYYY-MM-DD`` date (``unit='day'``) or ``YYYY-MM``."""
    parsed = parse_months(series) if unit == "month" else parse_dates(series)
    return pd.Series(~np.isnat(parsed), index=series.index)


def _identifier_strategy(pandera_dtype: Any, strategy: Any = None, *, max_length: int) -> Any:
    from hypothesis import strategies as st  # test-only dependency, import lazily

    base = st.text(alphabet="0123456789ABCDEFGHJK-", min_size=1, max_size=min(max_length, 12))
    if strategy is None:
        return base
    return strategy.filter(lambda v: isinstance(v, str) and v.strip() == v and v != "")


@register_check_method(statistics=["max_length"], strategy=_identifier_strategy)
def identifier(series: pd.Series, *, max_length: int) -> pd.Series:
    """Opaque id text: non-empty, ≤ ``max_length`` characters, no surrounding spaces and
    no control/zero-width/bidi characters (two ids must never look alike yet differ)."""

    def _ok(u: pd.Series) -> np.ndarray:
        s = pd.Series(u, dtype="str")
        good = (
            (s.str.len() > 0)
            & (s.str.len() <= max_length)
            & (s.str.strip() == s)
            & ~s.str.contains(_INVISIBLE, regex=True)
        )
        return good.to_numpy(dtype=bool, na_value=False)

    return pd.Series(map_unique(series, _ok).astype(bool), index=series.index)


# ---------------------------------------------------------------------- field helpers


def _rule(kind: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "rule": text, **extra}


def _id(description: str, *, unique: bool = False) -> Any:
    return pa.Field(
        nullable=False,
        unique=unique,
        identifier={"max_length": 64},
        description=description,
        metadata=_rule("id", "must be non-empty id text without surrounding spaces or invisible characters"),
    )


def _text(description: str, *, nullable: bool) -> Any:
    return pa.Field(
        nullable=nullable,
        description=description,
        metadata=_rule("text", "must be text"),
    )


def _enum(values: tuple[str, ...], description: str, *, nullable: bool) -> Any:
    return pa.Field(
        nullable=nullable,
        isin=list(values),
        description=description,
        metadata=_rule("enum", "must be one of " + ", ".join(values)),
    )


def _date(description: str, *, nullable: bool) -> Any:
    return pa.Field(
        nullable=nullable,
        calendar_text={"unit": "day"},
        description=description,
        metadata=_rule("date", "must be a real date YYYY-MM-DD"),
    )


def _count(description: str, *, nullable: bool, min_value: int = 0) -> Any:
    return pa.Field(
        nullable=nullable,
        count_value={"min_value": min_value},
        description=description,
        metadata=_rule("count", f"must be an integer ≥ {min_value}"),
    )


def _months(description: str) -> Any:
    return pa.Field(
        nullable=True,
        months_value={"max_value": MAX_MONTHS_OWED},
        description=description,
        metadata=_rule("amount", f"must be a number of months between 0 and {MAX_MONTHS_OWED:.0f}"),
    )


def _amount(description: str) -> Any:
    return pa.Field(
        nullable=True,
        amount_value={"min_value": 0.0},
        description=description,
        metadata=_rule("amount", "must be a finite number ≥ 0"),
    )


# ---------------------------------------------------------------------------- models


class Enterprises(pa.DataFrameModel):
    """One row per enterprise (registry data); ``enterprise_id`` is unique."""

    enterprise_id: Series[str] = _id("stable key (tax code); opaque text, leading zeros kept", unique=True)
    name: Series[str] = _text("registered name, Vietnamese with diacritics", nullable=False)
    province: Series[str] = _text("province of registration", nullable=False)
    district: Series[str] = _text("district or town (units before 1 July 2025)", nullable=True)
    commune: Series[str] = _text(
        "commune or ward (the two-level units from 1 July 2025); province may then be post-2025",
        nullable=True,
    )
    zone_id: Series[str] = _text(
        "industrial zone (KCN) or cluster (CCN) id; empty outside any", nullable=True
    )
    zone_type: Series[str] = _enum(ZONE_TYPES, "kind of zone the enterprise sits in", nullable=False)
    sector: Series[str] = pa.Field(
        nullable=False,
        str_matches=r"^[0-9]{2}$",
        description="VSIC level-2 code as two characters, e.g. 14 apparel, 26 electronics",
        metadata=_rule("code", "must be a two-digit VSIC level-2 code"),
    )
    ownership: Series[str] = _enum(OWNERSHIPS, "ownership type", nullable=False)
    founded: Series[str] = _date("date of founding YYYY-MM-DD", nullable=True)
    closed: Series[str] = _date("date of closure; empty while operating", nullable=True)

    @pa.dataframe_check(description="closed must not be before founded")
    def closed_not_before_founded(cls, df: pd.DataFrame) -> pd.Series:
        """ISO date text orders like the dates themselves."""
        both = df["closed"].notna() & df["founded"].notna()
        return ~both | (df["closed"] >= df["founded"]).fillna(True).astype(bool)

    class Config:
        strict = True
        coerce = False


class Indicators(pa.DataFrameModel):
    """One row per enterprise, month and revision; a later ``reported_at`` is a revision."""

    enterprise_id: Series[str] = _id("enterprise the figures describe; must exist in enterprises")
    month: Series[str] = pa.Field(
        nullable=False,
        calendar_text={"unit": "month"},
        description="the calendar month the figures describe, YYYY-MM",
        metadata=_rule("month", "must be a month YYYY-MM"),
    )
    headcount: Series[float] = _count("workers on the payroll at month end", nullable=True)
    avg_wage_vnd: Series[float] = _amount("average monthly wage paid per worker, VND")
    wage_arrears_vnd: Series[float] = _amount("wages owed and unpaid at month end, VND")
    wage_arrears_months: Series[float] = _months("months of wages overdue")
    insurance_debt_vnd: Series[float] = _amount("social insurance contributions owed at month end, VND")
    insurance_debt_months: Series[float] = _months("months of contributions overdue")
    layoffs: Series[float] = _count(
        "workers whose contracts the employer ended during the month", nullable=True
    )
    reduced_hours_workers: Series[float] = _count(
        "workers on reduced hours or temporary suspension at month end", nullable=True
    )
    reported_at: Series[str] = _date(
        "when this row became known; when empty: the month's last day + 20 days", nullable=True
    )

    class Config:
        strict = True
        coerce = False


class Incidents(pa.DataFrameModel):
    """One row per collective labour incident; ``incident_id`` is unique."""

    incident_id: Series[str] = _id("incident key", unique=True)
    enterprise_id: Series[str] = _id("enterprise where it happened; must exist in enterprises")
    started: Series[str] = _date("first day of the incident", nullable=False)
    ended: Series[str] = _date("last day of the incident", nullable=True)
    kind: Series[str] = _enum(INCIDENT_KINDS, "form of collective action", nullable=False)
    participants: Series[float] = _count("workers taking part", nullable=True, min_value=1)
    cause: Series[str] = _enum(CAUSES, "main stated cause", nullable=True)
    reported_at: Series[str] = _date("when it became known; when empty: started", nullable=True)

    @pa.dataframe_check(description="ended must not be before started")
    def ended_not_before_started(cls, df: pd.DataFrame) -> pd.Series:
        """ISO date text orders like the dates themselves."""
        both = df["ended"].notna() & df["started"].notna()
        return ~both | (df["ended"] >= df["started"]).fillna(True).astype(bool)

    class Config:
        strict = True
        coerce = False


# ------------------------------------------------------------------ derived vocabulary

MODELS: dict[str, type[pa.DataFrameModel]] = {
    "enterprises": Enterprises,
    "indicators": Indicators,
    "incidents": Incidents,
}
TABLES: tuple[str, ...] = tuple(MODELS)


def _columns(model: type[pa.DataFrameModel]) -> dict[str, Any]:
    return dict(model.to_schema().columns)


ALL_COLUMNS: dict[str, tuple[str, ...]] = {t: tuple(_columns(m)) for t, m in MODELS.items()}
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    t: tuple(c for c, col in _columns(m).items() if not col.nullable) for t, m in MODELS.items()
}
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    t: tuple(c for c in ALL_COLUMNS[t] if c not in REQUIRED_COLUMNS[t]) for t in MODELS
}
#: Column kind (id, text, enum, code, month, date, count, amount) per table and column.
COLUMN_KINDS: dict[str, dict[str, str]] = {
    t: {c: col.metadata["kind"] for c, col in _columns(m).items()} for t, m in MODELS.items()
}
#: Plain-words rule per column, used in quarantine reasons.
COLUMN_RULES: dict[str, dict[str, str]] = {
    t: {c: col.metadata["rule"] for c, col in _columns(m).items()} for t, m in MODELS.items()
}
NUMERIC_KINDS = frozenset({"count", "amount"})

#: Keys of the stored tables. Indicators keep every revision, so their key includes
#: ``reported_at`` (after the default is applied).
KEYS: dict[str, tuple[str, ...]] = {
    "enterprises": ("enterprise_id",),
    "indicators": ("enterprise_id", "month", "reported_at"),
    "incidents": ("incident_id",),
}

# Typed columns of the frames the store returns.
STORED_DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "enterprises": ("founded", "closed"),
    "indicators": ("month", "reported_at"),
    "incidents": ("started", "ended", "reported_at"),
}
STORED_COLUMNS: dict[str, tuple[str, ...]] = {
    "enterprises": ALL_COLUMNS["enterprises"],
    "indicators": ALL_COLUMNS["indicators"] + ("reported_at_imputed",),
    "incidents": (
        "incident_id",
        "enterprise_id",
        "kind",
        "cause",
        "started",
        "ended",
        "reported_at",
        "participants",
        "reported_at_imputed",
    ),
}


def stored_dtypes(table: str) -> dict[str, str]:
    """pandas dtype of every column of a stored (typed) table."""
    out: dict[str, str] = {}
    for c in STORED_COLUMNS[table]:
        if c == "reported_at_imputed":
            out[c] = "bool"
        elif c in STORED_DATE_COLUMNS[table]:
            out[c] = "datetime64[ns]"
        elif COLUMN_KINDS[table][c] in NUMERIC_KINDS:
            out[c] = "float64"
        else:
            out[c] = "str"
    return out


def empty_stored_frame(table: str) -> pd.DataFrame:
    """A zero-row frame with the stored columns and dtypes of ``table``."""
    return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in stored_dtypes(table).items()})


def _as_str(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas ``str`` dtype (strategies draw the ``string`` dtype)."""
    text = [c for c in frame.columns if not pd.api.types.is_float_dtype(frame[c])]
    return frame.astype({c: "str" for c in text})


def example_frames(size: int = 5, *, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Small valid delivered frames that reference each other, drawn from the models.

    Indicators and incidents get their ``enterprise_id`` from the generated enterprises
    so the example passes the cross-table check too. Deterministic for a given seed.
    """
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    out: dict[str, pd.DataFrame] = {}

    @hseed(seed)
    @settings(max_examples=1, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.tuples(
            Enterprises.strategy(size=size),
            Indicators.strategy(size=size),
            Incidents.strategy(size=size),
        )
    )
    def _draw(frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
        ent, ind, inc = (_as_str(f.reset_index(drop=True)) for f in frames)
        ids = ent["enterprise_id"].tolist()
        ind["enterprise_id"] = pd.Series([ids[i % len(ids)] for i in range(len(ind))], dtype="str")
        inc["enterprise_id"] = pd.Series([ids[i % len(ids)] for i in range(len(inc))], dtype="str")
        out.update(enterprises=ent, indicators=ind, incidents=inc)

    _draw()
    return out
