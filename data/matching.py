"""Match the enterprise ids of agency files to the store's enterprise key.

Agencies name an enterprise by its tax code (mã số thuế), which spreadsheets damage (a lost
leading zero, a trailing ``.0``, dots and spaces as separators, branch suffixes written in
several ways), or by the agency's own code (a social-insurance unit code, say). This module
turns those raw ids into ``enterprise_id`` (the 10-digit tax code as text, ``0800123456``;
a branch is ``0800123456-001``) by fixed rules, in order:

1. a match an operator confirmed (kept in a CSV file in the workspace);
2. the normalised tax code, exactly;
3. the tax code with its lost leading zeros restored (8 or 9 digits only);
4. the agency's own code through a crosswalk, when the tax code is missing or unmatched.

It never guesses: a branch is not matched to its parent enterprise, and a row that no rule
matches gets one clear reason instead of an id. For those rows :func:`candidates` lists the
enterprises with the closest names, for an operator to confirm with :func:`confirm_match`.

Pure: pandas, numpy and rapidfuzz only, vectorised over the rows (files have 100k rows).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from data.reference import normalize_place

#: Digits in a tax code; a branch adds ``-NNN``.
TAX_CODE_DIGITS = 10
#: Fewest digits a tax code may keep after losing leading zeros. Real codes start with a
#: two-digit province prefix (01-99), so a lost-zero code has 9 digits, or 8 for a ``00``
#: prefix; anything shorter is another number, not a damaged tax code.
MIN_DAMAGED_DIGITS = 8

#: Columns of the confirmed-matches CSV file.
CONFIRMED_COLUMNS = ("source", "key", "enterprise_id", "confirmed_by", "confirmed_at")

# A tax code after normalisation: up to 10 digits, optionally a 3-digit branch suffix.
_TAX_CODE_RE = r"^([0-9]{1,10})(-[0-9]{3})?$"
_DASHES_RE = "[\u2010\u2011\u2012\u2013\u2014\u2212]"
_NOT_A_TAX_CODE = "is not a tax code (10 digits, or 10-3 for a branch)"


def _as_text(raw: pd.Series) -> pd.Series:
    """Values as stripped text (NA stays NA), with a spreadsheet float's ``.0`` removed."""
    text = raw.astype("str").str.strip()
    return text.str.replace(r"^([0-9]+)\.0$", r"\1", regex=True)


def normalise_tax_code(raw: pd.Series) -> pd.Series:
    """Clean raw tax codes so that the same code written in different ways compares equal.

    Removes whitespace, dots and commas used as separators and a spreadsheet float's
    trailing ``.0``; writes a branch as ``0800123456-001`` (from ``0800123456 - 001`` or 13
    digits). Leading zeros are not restored here (that is a matching rule, which needs the
    known enterprises). Text that is still not a tax code is kept, so that matching can say
    why it fails; empty text becomes NA.
    """
    text = raw.astype("str")
    # Most codes are already clean: only the others go through the (slower) rewriting.
    clean = text.str.fullmatch(r"[0-9]{10}(?:-[0-9]{3})?").fillna(False).astype(bool)
    if bool(clean.all()):
        return text
    rest = _as_text(text[~clean])
    # A float's decimals, "800123456.0" or in Vietnamese style "800.123.456,0": one or two
    # zeros after the last separator (a thousands group always has three digits).
    rest = rest.str.replace(r"^([0-9][0-9.,\s]*)[.,]0{1,2}$", r"\1", regex=True)
    rest = rest.str.replace(r"[\s.,]+", "", regex=True)
    rest = rest.str.replace(_DASHES_RE, "-", regex=True)
    rest = rest.str.replace(r"^([0-9]{10})([0-9]{3})$", r"\1-\2", regex=True)
    out = text.copy()
    out[~clean] = rest.mask(rest == "")
    return out.astype("str")


def pad_tax_code(codes: pd.Series) -> pd.Series:
    """Normalised tax codes of 8 or 9 digits (a branch's first part too) left-padded to 10.

    Only for the list that defines the keys (the business registry): there, a code that a
    spreadsheet stored as a number lost its leading zeros and nothing else can be meant.
    """
    split = codes.str.extract(_TAX_CODE_RE)
    head, branch = split[0], split[1].fillna("")
    short = head.notna() & head.str.len().between(MIN_DAMAGED_DIGITS, TAX_CODE_DIGITS - 1)
    padded = head.str.zfill(TAX_CODE_DIGITS) + branch
    return codes.where(~short.fillna(False).astype(bool), padded).astype("str")


def _clean_code(raw: pd.Series) -> pd.Series:
    """An agency's own code as text: stripped, trailing ``.0`` removed, empty as NA."""
    text = _as_text(raw)
    return text.mask(text == "").astype("str")


@dataclass(frozen=True)
class Crosswalk:
    """An agency's own codes mapped to enterprise ids (``mapping``: code → enterprise_id).

    ``name`` names the crosswalk in reasons and in confirmed keys (``"<name>:<code>"``).
    """

    name: str
    mapping: dict[str, str]

    def normalised(self) -> dict[str, str]:
        """The mapping with keys cleaned like the codes they meet and ids as tax codes."""
        return self._normalised

    @cached_property
    def _normalised(self) -> dict[str, str]:
        # Computed once per crosswalk: a pull matches many files against the same one.
        if not self.mapping:
            return {}
        keys = _clean_code(pd.Series(list(self.mapping.keys()), dtype="object"))
        ids = normalise_tax_code(pd.Series(list(self.mapping.values()), dtype="object"))
        ok = keys.notna() & ids.notna()
        return dict(zip(keys[ok], ids[ok], strict=True))


@dataclass(frozen=True)
class MatchResult:
    """Per input row either ``enterprise_id`` (matched) or ``reason`` (unmatched), never both."""

    enterprise_id: pd.Series
    reason: pd.Series


def _na(n: int) -> pd.Series:
    return pd.Series(np.nan, index=pd.RangeIndex(n), dtype="str")


def _unique_text(known: pd.Index) -> pd.Index:
    """``known`` as a unique text index without NA; the same object when it already is one,
    so that its hash table, built on first use, serves every file of a pull."""
    if isinstance(known, pd.Index) and known.dtype == "str" and not known.hasnans and known.is_unique:
        return known
    return pd.Index(known).dropna().astype("str").unique()


def _in(values: pd.Series, known: pd.Index) -> pd.Series:
    """Which values are in ``known`` (unique), by hash lookup: ``Series.isin`` on text is slow."""
    hits: np.ndarray = known.get_indexer(pd.Index(values)) >= 0
    return pd.Series(hits, index=values.index, dtype="bool")


def _join(first: pd.Series, then: pd.Series) -> pd.Series:
    """Two reason parts joined by ``, and `` where both are present, else whichever is."""
    both = first.notna() & then.notna()
    out = first.fillna(then)
    out[both] = first[both] + ", and " + then[both]
    return out


def _normalise_key(key: str) -> str:
    """A confirmed key in the form matching produces (tax code, or ``name:code``)."""
    key = key.strip()
    if ":" in key:
        name, code = key.split(":", 1)
        cleaned = _clean_code(pd.Series([code], dtype="object")).iloc[0]
        return f"{name.strip()}:{cleaned if isinstance(cleaned, str) else ''}"
    cleaned = normalise_tax_code(pd.Series([key], dtype="object")).iloc[0]
    return cleaned if isinstance(cleaned, str) else ""


def _input_index(tax_codes: pd.Series | None, alternates: Sequence[tuple[pd.Series, Crosswalk]]) -> pd.Index:
    columns = ([tax_codes] if tax_codes is not None else []) + [values for values, _ in alternates]
    if not columns:
        raise ValueError("nothing to match on: no tax code column and no alternate code column")
    index = columns[0].index
    for values in columns[1:]:
        if not values.index.equals(index):
            raise ValueError("the tax code and alternate code columns must share one index")
    return index


def match_keys(
    tax_codes: pd.Series | None, alternates: Sequence[tuple[pd.Series, Crosswalk]] = ()
) -> pd.Series:
    """The key an operator confirms a row under: its normalised tax code, else the first
    present alternate as ``"<crosswalk name>:<code>"`` (NA when the row has neither)."""
    index = _input_index(tax_codes, alternates)
    key = _na(len(index)) if tax_codes is None else normalise_tax_code(tax_codes).reset_index(drop=True)
    for values, crosswalk in alternates:
        key = key.fillna(crosswalk.name + ":" + _clean_code(values).reset_index(drop=True))
    return key.set_axis(index).astype("str")


def match_enterprises(
    tax_codes: pd.Series | None,
    known: pd.Index,
    *,
    alternates: Sequence[tuple[pd.Series, Crosswalk]] = (),
    confirmed: Mapping[str, str] | None = None,
) -> MatchResult:
    """Map each row's raw ids to a known ``enterprise_id``, or give the reason it cannot be.

    See :func:`_match_all` for the rules. Rows whose clean tax code is known (nearly all,
    in an agency file) are matched at once; only the others go through every rule.
    """
    known = _unique_text(known)
    if tax_codes is None or confirmed:
        return _match_all(tax_codes, known, alternates=alternates, confirmed=confirmed)
    code = normalise_tax_code(tax_codes)
    exact = _in(code, known).to_numpy()
    if not exact.any():
        return _match_all(tax_codes, known, alternates=alternates, confirmed=confirmed)
    eid = code.where(exact).astype("str")
    reason = pd.Series(pd.NA, index=tax_codes.index, dtype="str")
    if not exact.all():
        rest = ~exact
        sub = _match_all(tax_codes[rest], known, alternates=[(values[rest], cw) for values, cw in alternates])
        eid[rest] = sub.enterprise_id.to_numpy()
        reason[rest] = sub.reason.to_numpy()
    return MatchResult(enterprise_id=eid, reason=reason)


def _match_all(
    tax_codes: pd.Series | None,
    known: pd.Index,
    *,
    alternates: Sequence[tuple[pd.Series, Crosswalk]] = (),
    confirmed: Mapping[str, str] | None = None,
) -> MatchResult:
    """Map each row's raw ids to a known ``enterprise_id``, or give the reason it cannot be.

    ``tax_codes`` may be ``None`` when the file has no tax code column; each alternate is a
    column of the agency's own codes with the crosswalk that maps them. ``confirmed`` maps a
    raw key (see :func:`match_keys`) to an enterprise an operator confirmed. The rules are
    applied in the module docstring's order; all are vectorised.
    """
    index = _input_index(tax_codes, alternates)
    n = len(index)
    known = _unique_text(known)
    code = _na(n) if tax_codes is None else normalise_tax_code(tax_codes).reset_index(drop=True)
    alt_codes = [(_clean_code(values).reset_index(drop=True), cw) for values, cw in alternates]
    eid = _na(n)
    stale_confirmed = _na(n)

    # 1. An operator's confirmation, keyed by the tax code, else by "<crosswalk>:<code>".
    if confirmed:
        confirmations = {_normalise_key(k): v for k, v in confirmed.items()}
        targets = normalise_tax_code(pd.Series(list(confirmations.values()), dtype="object"))
        confirmations = dict(zip(confirmations.keys(), targets.fillna(""), strict=True))
        target = code.map(confirmations).astype("str")
        for alt, cw in alt_codes:
            target = target.fillna((cw.name + ":" + alt).where(code.isna()).map(confirmations).astype("str"))
        target = target.mask(target == "")
        eid = target.where(_in(target, known))
        stale = target.notna() & eid.isna()
        stale_confirmed[stale] = "the confirmed match '" + target[stale] + "' is not a known enterprise"

    # 2. The normalised tax code, exactly.
    eid = eid.fillna(code.where(_in(code, known)))

    # 3. Lost leading zeros. Left-padding to 10 digits gives one code by construction, so
    # "exactly one known code" is simply "the padded code is known". Codes under 8 digits
    # are refused: too short to be a damaged tax code.
    split = code.str.extract(_TAX_CODE_RE)
    head, branch = split[0], split[1].fillna("")
    is_tax_code = head.notna()
    digits = head.str.len()
    paddable = is_tax_code & (digits < TAX_CODE_DIGITS) & (digits >= MIN_DAMAGED_DIGITS)
    padded = (head.str.zfill(TAX_CODE_DIGITS) + branch).where(paddable)
    eid = eid.fillna(padded.where(_in(padded, known)))

    # 4. A branch whose parent is known is not the parent: unmatched, never guessed.
    effective = padded.fillna(code)
    parent = effective.str.slice(0, TAX_CODE_DIGITS)
    orphan_branch = (
        is_tax_code
        & (branch != "")
        & (digits >= MIN_DAMAGED_DIGITS)
        & ~_in(effective, known)
        & _in(parent, known)
    )

    # 5. The agency's own codes, in order, for rows the tax code did not match.
    alt_parts: list[pd.Series] = []
    for alt, cw in alt_codes:
        target = alt.map(cw.normalised()).astype("str")
        eid = eid.fillna(target.where(_in(target, known)))
        part = _na(n)
        missing = alt.notna() & target.isna()
        part[missing] = "unit code '" + alt[missing] + f"' is not in crosswalk {cw.name}"
        stale = target.notna() & ~_in(target, known)
        part[stale] = (
            "unit code '"
            + alt[stale]
            + f"' is mapped by crosswalk {cw.name} to '"
            + target[stale]
            + "', which matches no enterprise"
        )
        alt_parts.append(part)

    # 6. One reason for every row still unmatched.
    own = _na(n)
    has_code = code.notna()
    own[has_code] = "tax code '" + code[has_code] + "' matches no enterprise"
    too_short = is_tax_code & (digits < MIN_DAMAGED_DIGITS)
    own[too_short] = (
        "tax code '"
        + code[too_short]
        + "' has "
        + digits[too_short].astype("int64").astype("str")
        + f" digits, too few to be a tax code that lost its leading zeros (at least {MIN_DAMAGED_DIGITS})"
    )
    own[orphan_branch] = (
        "branch code "
        + effective[orphan_branch]
        + " of enterprise "
        + parent[orphan_branch]
        + " is not itself an enterprise"
    )
    invalid = has_code & ~is_tax_code
    own[invalid] = "tax code '" + code[invalid] + "' " + _NOT_A_TAX_CODE
    codes_part = _na(n)
    for part in alt_parts:
        codes_part = _join(codes_part, part)
    no_code = ~has_code
    own[no_code & codes_part.notna()] = "no tax code"
    own[no_code & codes_part.isna()] = "no tax code and no unit code" if alt_codes else "no tax code"
    reason = _join(_join(own, codes_part), stale_confirmed).where(eid.isna())
    return MatchResult(
        enterprise_id=eid.set_axis(index).rename("enterprise_id").astype("str"),
        reason=reason.set_axis(index).rename("reason").astype("str"),
    )


# --------------------------------------------------------------- candidates by name

_LEGAL_FORMS = (
    "cong ty",
    "cty",
    "tnhh",
    "trach nhiem huu han",
    "co phan",
    "cp",
    "mot thanh vien",
    "mtv",
    "hai thanh vien",
    "doanh nghiep tu nhan",
    "dntn",
    "chi nhanh",
    "co",
    "ltd",
    "jsc",
    "vietnam",
    "viet nam",
)
# Longest first, so that "co phan" is removed whole before "co" is tried.
_LEGAL_FORMS_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(w) for w in sorted(_LEGAL_FORMS, key=len, reverse=True)) + r")\b"
)


def _strip_accents(text: str) -> str:
    """Casefolded text without diacritics (đ → d), so that ``HAI DUONG`` equals ``Hải Dương``."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("Đ", "d").casefold()


def fold_name(name: str) -> str:
    """An enterprise name reduced to the words that tell enterprises apart.

    Accent- and case-insensitive, punctuation as spaces, and without legal-form words
    ("Công ty TNHH", "Cổ phần", "JSC", "Việt Nam"...), which agencies write or omit at will.
    """
    text = re.sub(r"[\W_]+", " ", _strip_accents(name))
    text = " ".join(text.split())
    return " ".join(_LEGAL_FORMS_RE.sub(" ", text).split())


def _fold_province(province: str) -> str:
    """A province as compared between files: folded, without "Tỉnh"/"Thành phố"."""
    return " ".join(_strip_accents(normalize_place(province)).split())


def _fold_all(values: pd.Series, fold: Callable[[str], str]) -> list[str]:
    """Each text value folded; anything else (NA) as empty text."""
    return [fold(v) if isinstance(v, str) else "" for v in values]


@lru_cache(maxsize=4)
def _pool(
    ids: tuple[str, ...], names: tuple[str, ...], provinces: tuple[str, ...]
) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
    """The enterprises' ids, shown names, folded names and folded provinces, computed once
    per enterprise list (a pull looks for candidates file after file against the same one)."""
    shown = [" ".join(v.split()) if isinstance(v, str) else "" for v in names]
    folded = [fold_name(v) if isinstance(v, str) else "" for v in names]
    prov = np.array([_fold_province(v) if isinstance(v, str) else "" for v in provinces], dtype=object)
    return np.asarray(ids, dtype=object), shown, folded, prov


# Query rows compared against the enterprises at once (bounds the score matrix's memory).
_CHUNK = 256


def candidates(
    names: pd.Series,
    provinces: pd.Series | None,
    enterprises: pd.DataFrame,
    *,
    limit: int = 3,
    min_score: float = 70.0,
) -> pd.Series:
    """The enterprises whose names are closest to each row's name, for an operator to confirm.

    Each row gets ``"<enterprise_id> <name> (<score>)"`` for up to ``limit`` enterprises
    scoring at least ``min_score`` (rapidfuzz ``token_sort_ratio`` of folded names), joined by
    ``"; "``, best first then by enterprise_id; NA when the name is missing or nothing is
    close. A row's province, when given, restricts the enterprises to that province, unless
    no enterprise is in it.
    """
    enterprises = enterprises.sort_values("enterprise_id", kind="stable").reset_index(drop=True)
    ent_ids, ent_names, ent_folded, ent_provinces = _pool(
        tuple(enterprises["enterprise_id"].astype("str")),
        tuple(enterprises["name"].astype("str")),
        tuple(enterprises["province"].astype("str")),
    )

    folded = _fold_all(names, fold_name)
    row_provinces = _fold_all(provinces, _fold_province) if provinces is not None else [""] * len(names)
    # Agency files repeat an enterprise on many rows: score each (name, province) once.
    queries = pd.DataFrame({"name": folded, "province": row_provinces})
    queries = queries[queries["name"] != ""]
    unique = queries.drop_duplicates().reset_index(drop=True)

    found: dict[tuple[str, str], str] = {}
    for province, group in unique.groupby("province", sort=True):
        pool = np.flatnonzero(ent_provinces == province) if province else np.array([], dtype=np.int64)
        if not len(pool):
            pool = np.arange(len(enterprises))
        choices = [ent_folded[i] for i in pool]
        group_names = group["name"].tolist()
        for start in range(0, len(group_names), _CHUNK):
            chunk = group_names[start : start + _CHUNK]
            scores = process.cdist(
                chunk, choices, scorer=fuzz.token_sort_ratio, score_cutoff=min_score, workers=-1
            )
            for query, row in zip(chunk, scores, strict=True):
                hits = np.flatnonzero(row >= min_score)
                # pool is in enterprise_id order, so a stable sort on score keeps ties by id.
                best = hits[np.argsort(-row[hits], kind="stable")][:limit]
                if len(best):
                    found[(query, str(province))] = "; ".join(
                        f"{ent_ids[pool[i]]} {ent_names[pool[i]]} ({int(row[i] + 0.5)})" for i in best
                    )
    out = [found.get((q, p)) for q, p in zip(folded, row_provinces, strict=True)]
    return pd.Series(out, index=names.index, dtype="str", name="candidates")


# --------------------------------------------------------------- confirmed matches


def _check_field(label: str, value: str, *, required: bool) -> str:
    """``value`` stripped, refused when empty (if required) or holding a control character."""
    if not isinstance(value, str):
        raise ValueError(f"confirmed match: {label} must be text, not {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise ValueError(f"confirmed match: {label} is empty")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        raise ValueError(f"confirmed match: {label} {value!r} holds a control character or newline")
    return value


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != CONFIRMED_COLUMNS:
            raise ValueError(
                f"{path}: not a confirmed-matches file (columns must be {','.join(CONFIRMED_COLUMNS)})"
            )
        return list(reader)


def load_confirmed(path: Path, source: str) -> dict[str, str]:
    """The operator-confirmed matches of one source (key → enterprise_id); {} when no file.

    A later confirmation of the same key replaces an earlier one.
    """
    if not path.exists():
        return {}
    return {
        row["key"]: row["enterprise_id"]
        for row in _read_rows(path)
        if row["source"] == source and row["key"] and row["enterprise_id"]
    }


def confirm_match(
    path: Path,
    *,
    source: str,
    key: str,
    enterprise_id: str,
    confirmed_by: str,
    confirmed_at: str,
) -> None:
    """Record that an operator confirmed ``key`` of ``source`` as ``enterprise_id``.

    Appends a row by writing the whole file anew beside it and renaming it over the old one
    (``os.replace``), so a crash leaves the old file or the new one, never half a row.
    """
    row = (
        _check_field("source", source, required=True),
        _check_field("key", key, required=True),
        _check_field("enterprise_id", enterprise_id, required=True),
        _check_field("confirmed_by", confirmed_by, required=False),
        _check_field("confirmed_at", confirmed_at, required=False),
    )
    rows = [tuple(r[c] for c in CONFIRMED_COLUMNS) for r in _read_rows(path)] if path.exists() else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CONFIRMED_COLUMNS)
    writer.writerows([*rows, row])
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(buffer.getvalue())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
