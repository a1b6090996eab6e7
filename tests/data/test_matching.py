"""Matching agency ids to enterprises: one small hand-checkable frame per rule."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.matching import (
    CONFIRMED_COLUMNS,
    Crosswalk,
    candidates,
    confirm_match,
    fold_name,
    load_confirmed,
    match_enterprises,
    match_keys,
    normalise_tax_code,
)

KNOWN = pd.Index(["0800123456", "0100000001", "0012345678", "0300000002-001"])
BHXH = Crosswalk("bhxh_units", {" 12345 ": "0100000001", "999.0": " 0800.123.456 ", "555": "0899999999"})


def match(
    tax: Sequence[object] | None,
    units: Sequence[object] | None = None,
    confirmed: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Match one tax code column (and one BHXH unit code column) against KNOWN."""
    tax_codes = None if tax is None else pd.Series(np.array(tax, dtype=object))
    alternates = () if units is None else [(pd.Series(np.array(units, dtype=object)), BHXH)]
    result = match_enterprises(tax_codes, KNOWN, alternates=alternates, confirmed=confirmed)
    return pd.DataFrame({"enterprise_id": result.enterprise_id, "reason": result.reason})


# ------------------------------------------------------------------ normalise_tax_code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 0800123456 ", "0800123456"),
        ("800123456.0", "800123456"),
        (800123456.0, "800123456"),
        ("0800.123.456", "0800123456"),
        ("0800 123 456", "0800123456"),
        ("0800,123,456", "0800123456"),
        ("800.123.456,0", "800123456"),
        ("0800123456 - 001", "0800123456-001"),
        ("0800123456\u2013001", "0800123456-001"),
        ("0800123456001", "0800123456-001"),
        ("0800.123.000", "0800123000"),
        ("ABC", "ABC"),
        ("08001234567890", "08001234567890"),
    ],
)
def test_normalise_tax_code_cleans_spreadsheet_damage(raw: object, expected: str) -> None:
    got = normalise_tax_code(pd.Series([raw], dtype="object"))
    assert got.iloc[0] == expected


def test_normalise_tax_code_keeps_na_index_and_makes_empty_na() -> None:
    raw = pd.Series(["0800123456", None, "   ", " . ", np.nan], index=[10, 11, 12, 13, 14], dtype="object")
    got = normalise_tax_code(raw)
    assert got.dtype == "str"
    assert got.index.tolist() == [10, 11, 12, 13, 14]
    assert got.iloc[0] == "0800123456"
    assert got.iloc[1:].isna().all()


# ------------------------------------------------------------------ match_enterprises


def test_exact_and_damaged_codes_match() -> None:
    got = match(["0800123456", " 0800.123.456 ", 800123456.0, "0300000002 - 001"])
    assert got["enterprise_id"].tolist() == ["0800123456", "0800123456", "0800123456", "0300000002-001"]
    assert got["reason"].isna().all()


def test_leading_zeros_restored_for_eight_and_nine_digits() -> None:
    got = match(["800123456", "12345678", "300000002-001"])
    assert got["enterprise_id"].tolist() == ["0800123456", "0012345678", "0300000002-001"]


def test_seven_digit_code_is_refused_even_when_padding_would_match() -> None:
    known = pd.Index(["0001234567"])
    result = match_enterprises(pd.Series(["1234567"]), known)
    assert result.enterprise_id.isna().all()
    assert result.reason.iloc[0] == (
        "tax code '1234567' has 7 digits, too few to be a tax code that lost its leading zeros (at least 8)"
    )


def test_padding_that_matches_nothing_is_unmatched() -> None:
    got = match(["812345678"])
    assert got["enterprise_id"].isna().all()
    assert got["reason"].iloc[0] == "tax code '812345678' matches no enterprise"


def test_branch_is_not_guessed_to_its_parent() -> None:
    got = match(["0800123456-001", "0800123456002", "800123456-003"])
    assert got["enterprise_id"].isna().all()
    assert got["reason"].tolist() == [
        "branch code 0800123456-001 of enterprise 0800123456 is not itself an enterprise",
        "branch code 0800123456-002 of enterprise 0800123456 is not itself an enterprise",
        "branch code 0800123456-003 of enterprise 0800123456 is not itself an enterprise",
    ]


def test_branch_of_unknown_parent_matches_no_enterprise() -> None:
    got = match(["0899999999-001"])
    assert got["reason"].iloc[0] == "tax code '0899999999-001' matches no enterprise"


def test_crosswalk_used_only_when_tax_code_missing_or_unmatched() -> None:
    # Row 0: the tax code matches, so the unit code (another enterprise) is ignored.
    # Row 1: no tax code. Row 2: the tax code matches nothing. Row 3: a branch.
    got = match(
        ["0800123456", None, "0899999999", "0800123456-001"],
        ["12345", "12345", "12345", "12345"],
    )
    assert got["enterprise_id"].tolist() == ["0800123456", "0100000001", "0100000001", "0100000001"]
    assert got["reason"].isna().all()


def test_crosswalk_keys_and_targets_are_normalised() -> None:
    got = match([None, None], [999.0, " 12345.0 "])
    assert got["enterprise_id"].tolist() == ["0800123456", "0100000001"]


def test_alternates_tried_in_order() -> None:
    first = Crosswalk("first", {"A": "0800123456"})
    second = Crosswalk("second", {"B": "0100000001"})
    result = match_enterprises(
        pd.Series([None, None, None], dtype="object"),
        KNOWN,
        alternates=[
            (pd.Series(["A", "X", None], dtype="object"), first),
            (pd.Series(["B", "B", None], dtype="object"), second),
        ],
    )
    assert result.enterprise_id.tolist()[:2] == ["0800123456", "0100000001"]
    assert result.reason.iloc[2] == "no tax code and no unit code"


def test_reasons_name_the_one_problem() -> None:
    got = match(
        ["0899999999", None, None, "ABC", None, "0899999999"],
        [None, "777", None, None, "555", "777"],
    )
    assert got["enterprise_id"].isna().all()
    assert got["reason"].tolist() == [
        "tax code '0899999999' matches no enterprise",
        "no tax code, and unit code '777' is not in crosswalk bhxh_units",
        "no tax code and no unit code",
        "tax code 'ABC' is not a tax code (10 digits, or 10-3 for a branch)",
        "no tax code, and unit code '555' is mapped by crosswalk bhxh_units to '0899999999', "
        "which matches no enterprise",
        "tax code '0899999999' matches no enterprise, and unit code '777' is not in crosswalk bhxh_units",
    ]


def test_without_tax_code_column() -> None:
    result = match_enterprises(None, KNOWN, alternates=[(pd.Series(["12345", "1"], index=[5, 6]), BHXH)])
    assert result.enterprise_id.index.tolist() == [5, 6]
    assert result.enterprise_id.iloc[0] == "0100000001"
    assert result.reason.iloc[1] == "no tax code, and unit code '1' is not in crosswalk bhxh_units"
    with pytest.raises(ValueError, match="nothing to match"):
        match_enterprises(None, KNOWN)


def test_misaligned_alternate_is_refused() -> None:
    with pytest.raises(ValueError, match="share one index"):
        match_enterprises(
            pd.Series(["1"], index=[0]), KNOWN, alternates=[(pd.Series(["1"], index=[1]), BHXH)]
        )


def test_confirmed_wins_over_the_rules() -> None:
    confirmed = {"0800123456": "0100000001", "0899999999": "0800123456", "bhxh_units:777": "100000001"}
    got = match(
        ["0800123456", "0899999999", None, "0012345678"], [None, None, "777", None], confirmed=confirmed
    )
    assert got["enterprise_id"].iloc[[0, 1, 3]].tolist() == ["0100000001", "0800123456", "0012345678"]
    assert pd.isna(got["enterprise_id"].iloc[2])
    # An unknown confirmed enterprise is not used (and is named in the reason).
    assert got["reason"].iloc[2] == (
        "no tax code, and unit code '777' is not in crosswalk bhxh_units, "
        "and the confirmed match '100000001' is not a known enterprise"
    )


def test_confirmed_by_unit_code_only_for_rows_without_tax_code() -> None:
    confirmed = {"bhxh_units:777": "0800123456"}
    got = match([None, "0899999999"], ["777", "777"], confirmed=confirmed)
    assert got["enterprise_id"].iloc[0] == "0800123456"
    assert pd.isna(got["enterprise_id"].iloc[1])


def test_result_keeps_index_and_text_dtype() -> None:
    result = match_enterprises(pd.Series(["0800123456", "x"], index=["a", "a"]), KNOWN)
    for series in (result.enterprise_id, result.reason):
        assert series.dtype == "str"
        assert series.index.tolist() == ["a", "a"]
    assert result.enterprise_id.iloc[0] == "0800123456" and result.reason.iloc[1].startswith("tax code 'x'")


def test_match_keys_are_what_confirmations_use() -> None:
    keys = match_keys(
        pd.Series(["800123456.0", None, None], dtype="object"), [(pd.Series([None, "7.0", None]), BHXH)]
    )
    assert keys.iloc[:2].tolist() == ["800123456", "bhxh_units:7"]
    assert pd.isna(keys.iloc[2])


tax_code_text = st.one_of(
    st.none(),
    st.sampled_from(["0800123456", "800123456", "1234567", "0800123456-001", "0300000002001", "ABC", " "]),
    st.text(alphabet="0123456789 .-,", max_size=15),
    st.text(max_size=6),
)


@settings(max_examples=200, deadline=None)
@given(
    tax=st.lists(tax_code_text, min_size=1, max_size=20),
    data=st.data(),
)
def test_every_row_gets_exactly_one_of_id_and_reason(tax: list[str | None], data: st.DataObject) -> None:
    units = data.draw(
        st.lists(
            st.one_of(st.none(), st.sampled_from(["12345", "555", "777"])),
            min_size=len(tax),
            max_size=len(tax),
        )
    )
    confirmed = data.draw(
        st.dictionaries(st.sampled_from(["ABC", "bhxh_units:777"]), st.sampled_from(list(KNOWN)))
    )
    got = match(tax, units, confirmed=confirmed)
    assert len(got) == len(tax)
    assert (got["enterprise_id"].notna() ^ got["reason"].notna()).all()
    assert got["enterprise_id"].dropna().isin(KNOWN).all()


# ------------------------------------------------------------------ candidates

ENTERPRISES = pd.DataFrame(
    {
        "enterprise_id": ["0800654321", "0800123456", "0100000001", "0300000002", "0800999999"],
        "name": [
            "Công ty Cổ phần May Hải Dương",
            "Công ty TNHH May Hải Dương",
            "Công ty TNHH Điện tử Hà Nội",
            "Cty TNHH MTV Giày Bình Dương",
            "Công ty TNHH Thực phẩm Đồng Xanh",
        ],
        "province": ["Hải Dương", "Tỉnh Hải Dương", "Hà Nội", "Bình Dương", "Hải Dương"],
    }
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Công ty TNHH May Hải Dương", "may hai duong"),
        ("CONG TY TNHH MAY HAI DUONG", "may hai duong"),
        ("CÔNG TY CỔ PHẦN Đầu tư Việt Nam, Co., Ltd. (MTV)", "dau tu"),
        ("Công ty trách nhiệm hữu hạn một thành viên Cơ khí", "khi"),
        ("DNTN Hoàng-Long  JSC chi nhánh Vietnam", "hoang long"),
        ("Cotton CPC Company", "cotton cpc company"),
    ],
)
def test_fold_name(name: str, expected: str) -> None:
    assert fold_name(name) == expected


def test_candidates_are_accent_insensitive_and_ignore_legal_forms() -> None:
    names = pd.Series(["CONG TY TNHH MAY HAI DUONG", "Giày Bình Dương JSC"], index=[7, 8])
    got = candidates(names, None, ENTERPRISES)
    assert got.index.tolist() == [7, 8]
    # Both May Hải Dương companies score 100 once legal forms are dropped: ties by id.
    assert (
        got.iloc[0]
        == "0800123456 Công ty TNHH May Hải Dương (100); 0800654321 Công ty Cổ phần May Hải Dương (100)"
    )
    assert got.iloc[1] == "0300000002 Cty TNHH MTV Giày Bình Dương (100)"


def test_candidates_ordered_by_score_and_limited() -> None:
    got = candidates(pd.Series(["May Hai Duong Xanh"]), None, ENTERPRISES, limit=1, min_score=50)
    assert got.iloc[0].startswith("0800123456 Công ty TNHH May Hải Dương (")
    assert ";" not in got.iloc[0]


def test_candidates_restricted_to_province_with_fallback() -> None:
    names = pd.Series(["Điện tử Hà Nội"] * 3)
    provinces = pd.Series(["Hải Dương", "Atlantis", None])
    got = candidates(names, provinces, ENTERPRISES, min_score=60)
    assert pd.isna(got.iloc[0])  # only Hải Dương enterprises, none close
    assert got.iloc[1] == got.iloc[2] == "0100000001 Công ty TNHH Điện tử Hà Nội (100)"


def test_candidates_province_is_folded() -> None:
    names = pd.Series(["Giày Bình Dương", "Giày Bình Dương"])
    got = candidates(names, pd.Series(["TỈNH HẢI DƯƠNG", "binh duong"]), ENTERPRISES)
    assert pd.isna(got.iloc[0])  # Hải Dương has enterprises, none of them close
    assert got.iloc[1] == "0300000002 Cty TNHH MTV Giày Bình Dương (100)"


def test_candidates_na_when_nothing_close_or_name_missing() -> None:
    got = candidates(pd.Series(["Xyz Quantum Widgets", None, "Công ty TNHH"]), None, ENTERPRISES)
    assert got.isna().all()
    assert got.dtype == "str"


# ------------------------------------------------------------------ confirmed matches


def test_confirm_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "matching" / "confirmed.csv"
    assert load_confirmed(path, "bhxh") == {}
    confirm_match(
        path,
        source="bhxh",
        key="bhxh_units:777",
        enterprise_id="0800123456",
        confirmed_by="lan",
        confirmed_at="2026-01-02",
    )
    confirm_match(
        path,
        source="tax",
        key="0899999999",
        enterprise_id="0100000001",
        confirmed_by="lan",
        confirmed_at="2026-01-02",
    )
    confirm_match(
        path,
        source="bhxh",
        key="bhxh_units:777",
        enterprise_id="0100000001",
        confirmed_by="minh",
        confirmed_at="2026-01-03",
    )
    assert load_confirmed(path, "bhxh") == {"bhxh_units:777": "0100000001"}
    assert load_confirmed(path, "tax") == {"0899999999": "0100000001"}
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(CONFIRMED_COLUMNS)
    assert len(lines) == 4  # appended, the earlier confirmation kept as history
    assert [p.name for p in path.parent.iterdir()] == ["confirmed.csv"]  # no temp file left


def test_confirmed_file_feeds_matching(tmp_path: Path) -> None:
    path = tmp_path / "confirmed.csv"
    confirm_match(
        path,
        source="bhxh",
        key="bhxh_units:777",
        enterprise_id="0800123456",
        confirmed_by="lan",
        confirmed_at="2026-01-02",
    )
    got = match([None], ["777"], confirmed=load_confirmed(path, "bhxh"))
    assert got["enterprise_id"].iloc[0] == "0800123456"


def test_confirm_replaces_the_file_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "confirmed.csv"
    confirm_match(path, source="s", key="k1", enterprise_id="0800123456", confirmed_by="a", confirmed_at="t")
    before = path.read_bytes()
    replaced: list[tuple[str, str]] = []

    def failing_replace(src: str, dst: os.PathLike[str]) -> None:
        replaced.append((str(src), str(dst)))
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        confirm_match(
            path, source="s", key="k2", enterprise_id="0100000001", confirmed_by="a", confirmed_at="t"
        )
    assert path.read_bytes() == before  # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["confirmed.csv"]  # the temp file is removed
    ((src, dst),) = replaced
    assert Path(src).parent == tmp_path and dst == str(path)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("key", "", "key is empty"),
        ("key", "   ", "key is empty"),
        ("key", "a\nb", "control character or newline"),
        ("enterprise_id", "", "enterprise_id is empty"),
        ("enterprise_id", "0800\x00123456", "control character or newline"),
        ("enterprise_id", "0800\u2028123456", "control character or newline"),
    ],
)
def test_confirm_refuses_bad_key_or_id(tmp_path: Path, field: str, value: str, message: str) -> None:
    path = tmp_path / "confirmed.csv"
    fields = {"key": "k", "enterprise_id": "0800123456", field: value}
    with pytest.raises(ValueError, match=message) as info:
        confirm_match(path, source="s", confirmed_by="a", confirmed_at="t", **fields)
    assert "\n" not in str(info.value)
    assert not path.exists()


def test_load_refuses_a_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "confirmed.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a confirmed-matches file"):
        load_confirmed(path, "s")
