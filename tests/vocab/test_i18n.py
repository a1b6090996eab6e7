"""The one translation catalogue: every key in both languages, every stored code labelled, others refused."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from features.panel import INDICATOR_COLUMNS
from outputs.reviews import STATUSES
from present.phrasebook import NAMED_OWNERSHIPS, NAMED_SECTORS, NAMED_ZONE_TYPES
from vocab.i18n import (
    DEFAULT_LANG,
    FAMILIES,
    LABELS,
    LANGS,
    UnknownLanguage,
    check_lang,
    has_label,
    label,
    t,
)
from vocab.terms import BANDS, CAUSES, INCIDENT_KINDS, OWNERSHIPS, ZONE_TYPES

ROOT = Path(__file__).resolve().parents[2]


def test_languages_are_vietnamese_first_then_english() -> None:
    assert LANGS == ("vi", "en") and DEFAULT_LANG == "vi"
    assert check_lang("vi") == "vi" and check_lang("en") == "en"


@pytest.mark.parametrize("lang", ["fr", "EN", "vi ", "", None, 1, "<b>x</b>\nsecond line"])
def test_an_unknown_language_is_refused_with_one_line_naming_the_allowed_ones(lang: object) -> None:
    with pytest.raises(UnknownLanguage) as caught:
        check_lang(lang)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in message and message.endswith("choose one of vi, en")
    with pytest.raises(UnknownLanguage):
        t("band", lang)  # type: ignore[arg-type]
    with pytest.raises(UnknownLanguage):
        label("band", "high", lang)  # type: ignore[arg-type]


def test_no_key_is_missing_a_language_and_both_take_the_same_values() -> None:
    fields = string.Formatter()
    for key, pair in LABELS.items():
        assert len(pair) == len(LANGS), key
        vi, en = pair
        assert vi.strip() and en.strip(), key
        assert {f[1] for f in fields.parse(vi) if f[1]} == {f[1] for f in fields.parse(en) if f[1]}, key


def test_the_catalogue_has_no_key_twice() -> None:
    """A dict literal silently keeps the last of two equal keys: read the source to catch it."""
    tree = ast.parse((ROOT / "vocab" / "i18n.py").read_text(encoding="utf-8"))
    literal = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "LABELS"
    )
    assert isinstance(literal, ast.Dict)
    keys = [k.value for k in literal.keys if isinstance(k, ast.Constant)]
    assert len(keys) == len(set(keys)) == len(LABELS)


@pytest.mark.parametrize(
    ("family", "codes"),
    [
        ("band", BANDS),
        ("ownership", OWNERSHIPS),
        ("zone_type", ZONE_TYPES),
        ("kind", INCIDENT_KINDS),
        ("cause", CAUSES),
        ("status", STATUSES),
        ("mover", ("new_in_top_k", "riser")),
        ("sector", NAMED_SECTORS),
    ],
)
def test_every_stored_code_has_a_label_in_both_languages(family: str, codes: tuple[str, ...]) -> None:
    assert family in FAMILIES
    for code in codes:
        assert has_label(family, code), (family, code)
        assert label(family, code, "vi").strip() and label(family, code, "en").strip(), (family, code)


def test_the_reasons_name_ownerships_and_zone_types_from_the_catalogue() -> None:
    for code in NAMED_OWNERSHIPS:
        assert f"reason.ownership.{code}" in LABELS
    for code in NAMED_ZONE_TYPES:
        assert f"reason.zone_type.{code}" in LABELS


def test_indicator_columns_have_headers() -> None:
    for column in INDICATOR_COLUMNS:
        assert column in LABELS, column
        assert t(column, "vi") != column and t(column, "en") != column


def test_one_wording_per_meaning() -> None:
    # The page said "Mức cảnh báo", the report "Nhóm": the catalogue says one thing.
    assert t("band", "vi") == "Mức cảnh báo" and t("band", "en") == "Band"
    assert label("band", "high", "vi") == "Cao" and label("band", "elevated", "en") == "Elevated"
    # A cause and an indicator column share the code `layoffs` but not the words.
    assert label("cause", "layoffs", "vi") == "Cắt giảm lao động"
    assert t("layoffs", "vi") == "Số lao động bị cho thôi việc"


def test_t_formats_values_and_shows_unknown_keys_and_codes_as_they_are() -> None:
    assert t("shown", "vi", shown="1.460", total="1.460") == "Đang hiển thị 1.460 / 1.460 doanh nghiệp"
    assert t("shown", "en", shown=2, total=4) == "Showing 2 of 4 enterprises"
    assert t("no_such_key", "en") == "no_such_key"
    assert label("sector", "46", "vi") == "46"  # a sector the catalogue does not name
    with pytest.raises(KeyError, match="no code family"):
        label("colour", "red", "vi")


def test_no_other_table_of_labels_is_left_in_the_rooms_that_show_words() -> None:
    """The page, the report and the reasons take their words from `vocab.i18n` only."""
    for module in ("app/main.py", "app/views.py", "present/nightly_report.py", "present/phrasebook.py"):
        source = (ROOT / module).read_text(encoding="utf-8")
        assert "Mức cảnh báo" not in source and "_LABELS" not in source, module
    assert not (ROOT / "app" / "i18n.py").exists() and not (ROOT / "app" / "formatting.py").exists()
