"""The sources file: where each agency's files are and how they map to the contract.

A TOML file (``$EWS_HOME/sources.toml`` by default) with one ``[sources.NAME]`` table per
source and ``[crosswalks.NAME]`` tables for id lists such as an office's unit codes; the
README gives a complete worked example and ``simulator/agency_sources.toml`` is the one
the demo pulls. It is validated whole before anything is fetched; every problem is one
line naming the file, the source and the key (``sources.toml: [sources.bhxh] header_row:
must be ≥ 1``).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from data.errors import EwsError
from data.schemas import ALL_COLUMNS, COLUMN_KINDS

#: Money fields and the units a source may state them in (VND per unit).
MONEY_FIELDS: tuple[str, ...] = ("avg_wage_vnd", "wage_arrears_vnd", "insurance_debt_vnd")
UNITS: dict[str, int] = {"đồng": 1, "nghìn đồng": 1_000, "triệu đồng": 1_000_000}
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class SourcesError(EwsError):
    """The sources file is missing, not TOML, or declares something impossible."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Formats(_Strict):
    """How a source writes numbers, months and dates (``strptime`` formats)."""

    number: Literal["plain", "vi", "en"] = "plain"
    month: str = "%Y-%m"
    date: str = "%Y-%m-%d"


class Where(_Strict):
    """Where a value known for the whole file, or per row, is read from.

    Exactly one of ``column`` (a column of the file), ``title`` (a regex on the title rows
    above the header, first group), ``filename`` (a regex on the file name, first group),
    ``fetch`` (the time the file was fetched), ``value`` (a constant).
    """

    column: str | None = None
    title: str | None = None
    filename: str | None = None
    fetch: bool = False
    value: str | None = None
    format: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Where:
        given = [k for k in ("column", "title", "filename", "value") if getattr(self, k) is not None]
        given += ["fetch"] if self.fetch else []
        if len(given) != 1:
            raise ValueError("give exactly one of column, title, filename, fetch = true, value")
        for pattern in (self.title, self.filename):
            if pattern is not None:
                try:
                    compiled = re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"not a regular expression: {exc}") from None
                if compiled.groups < 1:
                    raise ValueError("the regular expression needs one group (...) around the value")
        return self


class Alternate(_Strict):
    """Another id column, reaching the enterprise key through a declared crosswalk."""

    column: str
    crosswalk: str


class Match(_Strict):
    """How a source's rows reach the enterprise key besides the tax code."""

    crosswalks: tuple[Alternate, ...] = ()
    name: str | None = None
    province: str | None = None


class CrosswalkSpec(_Strict):
    """A list mapping a source's own codes to tax codes (e.g. an office's unit codes)."""

    location: str
    format: Literal["csv", "xlsx"] = "csv"
    key: str
    enterprise_id: str
    sheet: str | None = None
    header_row: int = Field(1, ge=1)
    delimiter: str = ","
    encoding: str = "utf-8-sig"


class Source(_Strict):
    """One agency source: where its files are, their form, and the mapping to a table."""

    description: str = ""
    table: Literal["enterprises", "indicators", "incidents"]
    location: str
    format: Literal["xlsx", "csv", "parquet", "sql"]
    query: str | None = None
    sheet: str | None = None
    header_row: int = Field(1, ge=1)
    delimiter: str = ","
    encoding: str = "utf-8"
    columns: dict[str, str]
    values: dict[str, dict[str, str]] = {}
    units: dict[str, str] = {}
    formats: Formats = Formats()
    month: Where | None = None
    reported_at: Where | None = None
    complete: bool = False
    precedence: int = 0
    schedule: str | None = None
    match: Match = Match()
    retries: int = Field(3, ge=0, le=20)
    retry_delay: float = Field(60.0, ge=0.0, le=3600.0)
    max_bad_share: float = Field(0.05, ge=0.0, le=1.0)

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("must be one character")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
        return value

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from cronsim import CronSim, CronSimError

        try:
            CronSim(value, __import__("datetime").datetime(2026, 1, 1))
        except CronSimError as exc:
            raise ValueError(f"not a cron expression ({exc})") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        allowed = set(ALL_COLUMNS[self.table])
        targets = list(self.columns.values())
        for column, field in self.columns.items():
            if field not in allowed:
                raise ValueError(
                    f"columns: {column!r} maps to {field!r}, not a column of {self.table} "
                    f"(one of: {', '.join(ALL_COLUMNS[self.table])})"
                )
        dup = sorted({t for t in targets if targets.count(t) > 1})
        if dup:
            raise ValueError(f"columns: {', '.join(dup)} mapped from more than one column")
        if "enterprise_id" not in targets and not self.match.crosswalks:
            raise ValueError("columns: nothing maps to enterprise_id (nor match.crosswalks)")
        if self.table == "incidents" and "incident_id" not in targets:
            raise ValueError("columns: nothing maps to incident_id")
        if self.table == "indicators" and "month" not in targets and self.month is None:
            raise ValueError("month: the month comes from no column; map one or give month = {...}")
        if self.month is not None and self.table != "indicators":
            raise ValueError("month: only an indicators source has a month")
        if self.reported_at is not None and self.table == "enterprises":
            raise ValueError("reported_at: the enterprises table has no reported_at")
        if "reported_at" in targets and self.reported_at is not None and self.reported_at.column is None:
            raise ValueError("reported_at: given both as a mapped column and as a rule")
        for where, name in ((self.month, "month"), (self.reported_at, "reported_at")):
            if where is not None and where.column is not None and where.column not in self.columns:
                raise ValueError(f"{name}: column {where.column!r} is not in columns")
        kinds = COLUMN_KINDS[self.table]
        for field in self.values:
            if field not in allowed or kinds[field] != "enum":
                enums = [c for c, k in kinds.items() if k == "enum"]
                raise ValueError(
                    f"values: {field!r} is not a coded column of {self.table} ({', '.join(enums)})"
                )
        for field, unit in self.units.items():
            if field not in MONEY_FIELDS:
                raise ValueError(f"units: {field!r} is not an amount in đồng ({', '.join(MONEY_FIELDS)})")
            if unit not in UNITS:
                raise ValueError(f"units: {field} = {unit!r}, not one of {', '.join(UNITS)}")
        undeclared = [f for f in targets if f in MONEY_FIELDS and f not in self.units]
        if undeclared:
            raise ValueError(
                f"units: no unit declared for {', '.join(undeclared)} (đồng, nghìn đồng, triệu đồng)"
            )
        if self.complete and self.table != "indicators":
            raise ValueError("complete: only an indicators source can be a complete list")
        if self.complete and (self.reported_at is None or self.reported_at.column is not None):
            raise ValueError("complete: a complete list needs one date for the whole file (reported_at)")
        if self.format == "sql" and not self.query:
            raise ValueError("query: a sql source needs a query")
        return self

    @property
    def remote(self) -> bool:
        """Whether its files are fetched over a network (retries apply)."""
        return "://" in self.location and not self.location.startswith("file://")

    def indicator_fields(self) -> tuple[str, ...]:
        """The indicator columns this source states (for a complete list's zeros)."""
        skip = {"enterprise_id", "month", "reported_at"}
        return tuple(f for f in ALL_COLUMNS["indicators"] if f in self.columns.values() and f not in skip)


class SourcesFile(_Strict):
    """The whole sources file."""

    sources: dict[str, Source]
    crosswalks: dict[str, CrosswalkSpec] = {}

    @model_validator(mode="after")
    def _names(self) -> SourcesFile:
        for name in [*self.sources, *self.crosswalks]:
            if not NAME_PATTERN.match(name):
                raise ValueError(f"name {name!r}: use lowercase letters, digits, '-' and '_'")
        for name, source in self.sources.items():
            for alt in source.match.crosswalks:
                if alt.crosswalk not in self.crosswalks:
                    raise ValueError(f"[sources.{name}] match.crosswalks: no [crosswalks.{alt.crosswalk}]")
        return self


class Sources:
    """A validated sources file and the folder its relative paths are read from."""

    def __init__(self, path: Path, spec: SourcesFile) -> None:
        self.path = path
        self.base = path.parent
        self.spec = spec

    @property
    def names(self) -> list[str]:
        """Source names in the order they are pulled: enterprises first, incidents last."""
        order = {"enterprises": 0, "indicators": 1, "incidents": 2}
        return sorted(self.spec.sources, key=lambda n: (order[self.spec.sources[n].table], n))

    def source(self, name: str) -> Source:
        """The source called ``name`` (a one-line error listing the known names)."""
        if name not in self.spec.sources:
            known = ", ".join(self.names) or "none"
            raise SourcesError(f"{self.path.name}: no source {name!r} (sources: {known})")
        return self.spec.sources[name]

    def select(self, names: list[str] | None) -> list[str]:
        """The named sources in pull order, or all of them."""
        if not names:
            return self.names
        for name in names:
            self.source(name)
        return [n for n in self.names if n in names]


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] in ("sources", "crosswalks"):
        head = f"[{parts[0]}.{parts[1]}]"
        rest = ".".join(parts[2:])
        return f"{head} {rest}".strip()
    return ".".join(parts)


def parse_sources(text: str, path: Path) -> Sources:
    """Validate the TOML text of a sources file; :class:`SourcesError` names the first problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{path.name}: not valid TOML ({exc})") from None
    if "sources" not in data or not data["sources"]:
        raise SourcesError(f"{path.name}: declares no [sources.NAME] table")
    try:
        spec = SourcesFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = _location(tuple(p for p in err["loc"] if p != "__root__"))
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        elif err["type"] == "missing":
            message = "required key missing"
        if not where:
            line = f"{path.name}: {message}"
        elif where.endswith("]"):  # a check across keys names its key itself
            line = f"{path.name}: {where} {message}"
        else:
            line = f"{path.name}: {where}: {message}"
        raise SourcesError(line.replace("\n", " ")) from None
    return Sources(path, spec)


def load_sources(path: Path) -> Sources:
    """Read and validate a sources file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourcesError(
            f"{path}: no sources file (write one, see the README's 'Pulling from the agencies', "
            "or pass --sources FILE)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: cannot read the sources file ({exc})") from None
    return parse_sources(text, Path(path))
