"""Read-only views of a published ranking shared by `ews rank` and the analysts' page.

The filter values are allow-listed: a band, ownership or warning kind must be one of the
contract's values, and a province, district, zone or sector must occur in the ranking being filtered,
so a typo says so instead of silently returning nothing, and no free text reaches a query.
Search matches an id by prefix or a name by substring, ignoring case and Vietnamese
diacritics ("hai duong" finds "Hải Dương").
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields

import pandas as pd

from data.database import Database, DatabaseLike
from data.errors import EwsError
from outputs.rankings import read_history
from outputs.tables import WARNING_KINDS
from vocab.terms import BANDS, OWNERSHIPS

#: Filter name -> ranking column.
FILTER_COLUMNS: dict[str, str] = {
    "province": "province",
    "district": "district",
    "zone": "zone_id",
    "sector": "sector",
    "ownership": "ownership",
    "band": "band",
    "warning_kind": "warning_kind",
}
MAX_SEARCH_CHARS = 100


class FilterError(EwsError):
    """A filter value is not one the ranking knows."""


@dataclass(frozen=True)
class RankingFilter:
    """The analyst's choice: each field narrows the ranking when set."""

    province: str | None = None
    district: str | None = None
    zone: str | None = None
    sector: str | None = None
    ownership: str | None = None
    band: str | None = None
    warning_kind: str | None = None  # acute / structural; a night scored before kinds has none
    search: str | None = None


def filter_options(ranking: pd.DataFrame) -> dict[str, list[str]]:
    """The allowed values of every filter: fixed lists for band, ownership and warning kind,
    else those present."""
    options: dict[str, list[str]] = {}
    for name, column in FILTER_COLUMNS.items():
        if name == "band":
            options[name] = list(BANDS)
        elif name == "ownership":
            options[name] = list(OWNERSHIPS)
        elif name == "warning_kind":
            options[name] = list(WARNING_KINDS)
        else:
            values = (
                ranking[column].dropna().astype(str)
                if column in ranking.columns
                else pd.Series([], dtype=str)
            )
            options[name] = sorted(v for v in values.unique() if v)
    return options


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form of a text, for search ("Đồng" -> "dong")."""
    decomposed = unicodedata.normalize("NFKD", str(text).replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def clean_search(text: str | None) -> str | None:
    """The search text without control characters and outer blanks; None when empty."""
    if text is None:
        return None
    kept = "".join(ch for ch in str(text) if unicodedata.category(ch) not in ("Cc", "Cf")).strip()
    if len(kept) > MAX_SEARCH_CHARS:
        raise FilterError(f"search text is {len(kept)} characters long; the limit is {MAX_SEARCH_CHARS}")
    return kept or None


def check_filter(choice: RankingFilter, ranking: pd.DataFrame) -> RankingFilter:
    """The choice with its search cleaned; `FilterError` names any value not allowed."""
    options = filter_options(ranking)
    for name in FILTER_COLUMNS:
        value = getattr(choice, name)
        if value is not None and value not in options[name]:
            known = ", ".join(options[name][:8]) + (" ..." if len(options[name]) > 8 else "")
            raise FilterError(f"unknown {name} {str(value)[:40]!r}; known: {known or 'none'}")
    values = {f.name: getattr(choice, f.name) for f in fields(choice)}
    values["search"] = clean_search(choice.search)
    return RankingFilter(**values)


def apply_filter(ranking: pd.DataFrame, choice: RankingFilter) -> pd.DataFrame:
    """The rows of `ranking` that match every set field of a checked `choice`, in rank order."""
    mask = pd.Series(True, index=ranking.index)
    for name, column in FILTER_COLUMNS.items():
        value = getattr(choice, name)
        if value is not None:
            if column not in ranking.columns:  # e.g. no kinds kept: nothing matches a kind
                mask &= False
                continue
            mask &= ranking[column].astype("string").eq(value).fillna(False)
    if choice.search:
        needle = fold(choice.search)
        by_id = ranking["enterprise_id"].astype(str).str.startswith(choice.search)
        by_name = ranking["name"].fillna("").map(fold).str.contains(needle, regex=False)
        mask &= by_id | by_name
    return ranking.loc[mask.astype(bool)]


def score_history(db_path: DatabaseLike, enterprise_id: str) -> pd.DataFrame:
    """Every published score of one enterprise: as_of, rank, score, band, model_version, oldest first."""
    if not Database.of(db_path).exists():
        return pd.DataFrame(columns=["as_of", "rank", "score", "band", "model_version"])
    return read_history(db_path, enterprise_id)


__all__ = [
    "BANDS",
    "FILTER_COLUMNS",
    "OWNERSHIPS",
    "FilterError",
    "RankingFilter",
    "apply_filter",
    "check_filter",
    "clean_search",
    "filter_options",
    "fold",
    "score_history",
]
