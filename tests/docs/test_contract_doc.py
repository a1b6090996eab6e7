"""docs/contract.md and the code say the same contract: tables, columns, required columns, codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import vocab.terms as terms
from data.ingest import DEFAULT_MAX_BAD_SHARE
from data.schemas import (
    ALL_COLUMNS,
    INDICATOR_REPORT_LAG_DAYS,
    MODELS,
    REQUIRED_COLUMNS,
)

DOC = Path(__file__).resolve().parents[2] / "docs/contract.md"
TEXT = DOC.read_text(encoding="utf-8")


def _sections(text: str) -> dict[str, str]:
    """Body of each `## ` section, keyed by the heading's first word (`enterprises:` → `enterprises`)."""
    parts = re.split(r"^## +", text, flags=re.MULTILINE)[1:]
    return {re.split(r"[\s:]", p, maxsplit=1)[0]: p for p in parts}


def _column_tables(text: str) -> list[dict[str, dict[str, str]]]:
    """Every markdown table whose first header cell is `column`: {column name: {header: cell}}."""
    tables: list[dict[str, dict[str, str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        cells = _cells(lines[i])
        if cells and cells[0] == "column" and i + 1 < len(lines) and set(lines[i + 1]) <= set("|-: "):
            header, rows = cells, {}
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                row = dict(zip(header, _cells(lines[i]), strict=True))
                rows[row["column"].strip("`")] = row
                i += 1
            tables.append(rows)
        else:
            i += 1
    return tables


def _cells(line: str) -> list[str]:
    if not line.startswith("|"):
        return []
    return [c.strip() for c in line.strip().strip("|").split("|")]


SECTIONS = _sections(TEXT)


@pytest.mark.parametrize("table", list(MODELS))
def test_every_table_has_a_section_whose_column_table_matches_the_schema(table: str) -> None:
    assert table in SECTIONS, f"docs/contract.md has no '## {table}' section"
    found = _column_tables(SECTIONS[table])
    assert found, f"the '## {table}' section has no column table"
    columns = found[0]
    assert tuple(columns) == ALL_COLUMNS[table], "columns (and their order) differ from data.schemas"
    required = tuple(c for c, row in columns.items() if row["required"].startswith("yes"))
    assert required == REQUIRED_COLUMNS[table], "required columns differ from data.schemas"


def test_no_column_table_names_a_column_the_code_does_not_know() -> None:
    known = {c for cols in ALL_COLUMNS.values() for c in cols}
    for rows in _column_tables(TEXT):
        assert set(rows) <= known, f"unknown to data.schemas: {sorted(set(rows) - known)}"


@pytest.mark.parametrize("table", list(MODELS))
def test_every_allowed_code_is_listed_in_its_column_type(table: str) -> None:
    columns = _column_tables(SECTIONS[table])[0]
    for name, column in MODELS[table].to_schema().columns.items():
        for check in column.checks:
            if check.name == "isin":
                for code in check.statistics["allowed_values"]:
                    assert f"`{code}`" in columns[name]["type"], f"{table}.{name}: code {code!r} missing"


def _vocabulary() -> list[str]:
    """Every code declared in vocab.terms (tuples of text and single texts in capitals)."""
    codes: list[str] = []
    for name, value in vars(terms).items():
        if not name.isupper():
            continue
        if isinstance(value, str):
            codes.append(value)
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            codes.extend(value)
    return codes


def test_every_code_of_the_vocabulary_appears_in_the_doc() -> None:
    codes = _vocabulary()
    assert "work_stoppage" in codes and "high" in codes
    missing = [c for c in codes if f"`{c}`" not in TEXT]
    assert not missing, f"codes of vocab.terms not in docs/contract.md: {missing}"


def test_the_defaults_the_doc_states_are_the_code_s() -> None:
    assert f"last day + {INDICATOR_REPORT_LAG_DAYS} days" in TEXT
    assert f"{DEFAULT_MAX_BAD_SHARE:.0%} by default" in TEXT
