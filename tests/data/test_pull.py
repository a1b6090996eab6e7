"""Pulling agency files in their own forms: mapping, matching, accounting, refusals."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from data.pull import confirmed_path, dry_run, pull_source
from data.sources import SourcesError, load_sources, parse_sources
from data.store import Store

SOURCES = """
[crosswalks.units]
location = "bhxh/units.csv"
key = "Mã đơn vị"
enterprise_id = "Mã số thuế"

[sources.registry]
table = "enterprises"
location = "registry/*.csv"
format = "csv"
delimiter = ";"
encoding = "utf-8-sig"
formats = { date = "%d/%m/%Y" }
[sources.registry.columns]
"Mã số thuế" = "enterprise_id"
"Tên doanh nghiệp" = "name"
"Tỉnh" = "province"
"Huyện" = "district"
"Loại khu" = "zone_type"
"Ngành" = "sector"
"Loại hình" = "ownership"
"Ngày thành lập" = "founded"
[sources.registry.values.zone_type]
"Ngoài khu, cụm" = "outside"
"Khu công nghiệp" = "industrial_zone"
[sources.registry.values.ownership]
"Doanh nghiệp có vốn đầu tư nước ngoài" = "fdi"
"Doanh nghiệp ngoài nhà nước" = "private"

[sources.bhxh]
table = "indicators"
location = "bhxh/no-*.xlsx"
format = "xlsx"
header_row = 5
complete = true
precedence = 20
month = { title = 'THÁNG (\\d{2}/\\d{4})', format = "%m/%Y" }
reported_at = { title = 'Ngày lập: (\\d{2}/\\d{2}/\\d{4})', format = "%d/%m/%Y" }
units = { insurance_debt_vnd = "nghìn đồng" }
[sources.bhxh.columns]
"Mã số thuế" = "enterprise_id"
"Số tháng nợ" = "insurance_debt_months"
"Số tiền nợ" = "insurance_debt_vnd"
[sources.bhxh.match]
crosswalks = [{ column = "Mã đơn vị", crosswalk = "units" }]
name = "Tên đơn vị"

[sources.labour]
table = "indicators"
location = "labour/*.csv"
format = "csv"
delimiter = ";"
encoding = "utf-8-sig"
precedence = 10
reported_at = { column = "Ngày báo cáo" }
units = { wage_arrears_vnd = "đồng" }
formats = { number = "vi", month = "%m/%Y", date = "%d/%m/%Y" }
[sources.labour.columns]
"Mã số thuế" = "enterprise_id"
"Tháng" = "month"
"Số lao động" = "headcount"
"Tiền lương còn nợ" = "wage_arrears_vnd"
"Số tháng nợ lương" = "wage_arrears_months"
"Ngày báo cáo" = "reported_at"
"""

REGISTRY = (
    "Mã số thuế;Tên doanh nghiệp;Tỉnh;Huyện;Loại khu;Ngành;Loại hình;Ngày thành lập\n"
    "0800000001;Công ty TNHH May Hải Dương;Hải Dương;Cẩm Giàng;Khu công nghiệp;14;Doanh nghiệp có vốn đầu tư nước ngoài;01/02/2015\n"
    "0800000002;Công ty Cổ phần Giày Minh Anh;Hải Dương;Gia Lộc;Ngoài khu, cụm;15;Doanh nghiệp ngoài nhà nước;15/06/2018\n"
    "0800000003;Công ty TNHH Điện tử Sao Mai;Hải Dương;Cẩm Giàng;Khu công nghiệp;26;Doanh nghiệp có vốn đầu tư nước ngoài;01/01/2020\n"
)
LABOUR = (
    "\ufeffMã số thuế;Tháng;Số lao động;Tiền lương còn nợ;Số tháng nợ lương;Ngày báo cáo\n"
    "0800000001;03/2024;1.200;1.500.000.000;1,5;20/04/2024\n"
    "0800 000 002;03/2024;350;;;18/04/2024\n"
    "0800000003;03/2024;800;0;0;\n"
    "0899999999;03/2024;10;0;0;20/04/2024\n"
)


def _debtors(path: Path, rows: list[list[object]], *, month: str = "03/2024", made: str = "15/04/2024",
             unit: str = "nghìn đồng", header_row: int = 5) -> None:  # fmt: skip
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    title = [
        "BẢO HIỂM XÃ HỘI",
        f"DANH SÁCH ĐƠN VỊ NỢ - THÁNG {month}",
        f"Ngày lập: {made}",
        f"Đơn vị tính: {unit}",
    ]
    for i, line in enumerate(title[: header_row - 1], start=1):
        sheet.cell(row=i, column=1, value=line)
    header = ["STT", "Mã đơn vị", "Mã số thuế", "Tên đơn vị", "Số tháng nợ", "Số tiền nợ"]
    for j, h in enumerate(header, start=1):
        sheet.cell(row=header_row, column=j, value=h)
    for i, row in enumerate(rows, start=header_row + 1):
        for j, v in enumerate(row, start=1):
            sheet.cell(row=i, column=j, value=v)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


@pytest.fixture
def agencies(tmp_path: Path) -> Path:
    root = tmp_path / "agencies"
    (root / "registry").mkdir(parents=True)
    (root / "labour").mkdir()
    (root / "bhxh").mkdir()
    (root / "sources.toml").write_text(SOURCES, encoding="utf-8")
    (root / "registry" / "dn.csv").write_text("\ufeff" + REGISTRY, encoding="utf-8")
    (root / "labour" / "2024-04.csv").write_text(LABOUR, encoding="utf-8")
    (root / "bhxh" / "units.csv").write_text("Mã đơn vị,Mã số thuế\nU7,0800000002\n", encoding="utf-8")
    # Debtors: a tax code stored as a number (leading zero lost), one row with only the unit code.
    _debtors(
        root / "bhxh" / "no-2024-03.xlsx",
        [[1, "U1", 800000001, "May HD", 2, 12_500], [2, "U7", None, "Giày", 1, 300]],
    )
    return root


def _pull_all(root: Path, store: Store, home: Path) -> dict[str, dict]:
    sources = load_sources(root / "sources.toml")
    return {name: pull_source(sources, name, store, home).to_json() for name in sources.names}


def test_agency_files_map_onto_the_contract_and_every_row_is_accounted_for(agencies, tmp_path):
    store, home = Store(tmp_path / "store"), tmp_path
    reports = _pull_all(agencies, store, home)
    for r in reports.values():
        assert not r["refused"], r["refused"]
        for counts in r["tables"].values():
            assert counts["rows_in"] == counts["accepted"] + counts["quarantined"] + counts["unmatched"]
    assert reports["registry"]["tables"]["enterprises"] == {
        "rows_in": 3,
        "accepted": 3,
        "quarantined": 0,
        "unmatched": 0,
    }
    assert reports["labour"]["tables"]["indicators"]["unmatched"] == 1  # 0899999999 is no firm
    assert reports["bhxh"]["tables"]["indicators"]["accepted"] == 2
    ent = store.load_enterprises().set_index("enterprise_id")
    assert ent.loc["0800000001", "ownership"] == "fdi" and ent.loc["0800000002", "zone_type"] == "outside"
    assert ent.loc["0800000002", "founded"] == pd.Timestamp("2018-06-15")

    ind = store.load_indicators().set_index(["enterprise_id", "reported_at"])
    one = ind.loc[("0800000001", pd.Timestamp("2024-04-20"))]
    assert (
        one["headcount"] == 1200
        and one["wage_arrears_vnd"] == 1_500_000_000
        and one["wage_arrears_months"] == 1.5
    )
    # The insurance debt, in thousand đồng, found through the restored leading zero ...
    debt = ind.loc[("0800000001", pd.Timestamp("2024-04-15"))]
    assert debt["insurance_debt_vnd"] == 12_500_000 and debt["insurance_debt_months"] == 2
    # ... carried forward to the labour department's later row, which did not state it.
    assert one["insurance_debt_vnd"] == 12_500_000
    # The unit-code-only row reached 0800000002 through the crosswalk.
    assert ind.loc[("0800000002", pd.Timestamp("2024-04-15")), "insurance_debt_vnd"] == 300_000
    # 0800000003 is not on the complete list: it owes nothing that month, from the list's date.
    zero = ind.loc[("0800000003", pd.Timestamp("2024-04-15"))]
    assert (
        zero["insurance_debt_vnd"] == 0 and zero["insurance_debt_months"] == 0 and pd.isna(zero["headcount"])
    )
    # Its labour row (no reported_at: month end + 20 days) carries the zero on.
    later = ind.loc[("0800000003", pd.Timestamp("2024-04-20"))]
    assert later["headcount"] == 800 and later["insurance_debt_vnd"] == 0

    unmatched = store.unmatched()
    assert len(unmatched) == 1 and unmatched.at[0, "key"] == "0899999999"
    assert "matches no enterprise" in unmatched.at[0, "reason"]


def test_pulling_unchanged_files_again_changes_nothing(agencies, tmp_path):
    store, home = Store(tmp_path / "store"), tmp_path
    _pull_all(agencies, store, home)
    digest, deliveries = store.content_digest(), len(store.deliveries())
    again = _pull_all(agencies, store, home)
    assert all(r["status"] == "unchanged" for r in again.values())
    assert store.content_digest() == digest and len(store.deliveries()) == deliveries


def test_a_confirmed_match_applies_from_the_next_pull(agencies, tmp_path):
    store, home = Store(tmp_path / "store"), tmp_path
    _pull_all(agencies, store, home)
    from data.matching import confirm_match

    confirm_match(confirmed_path(home), source="labour", key="0899999999", enterprise_id="0800000002",
                  confirmed_by="test", confirmed_at="2024-05-01T00:00:00+00:00")  # fmt: skip
    sources = load_sources(agencies / "sources.toml")
    report = pull_source(sources, "labour", store, home).to_json()
    assert report["status"] == "stored"
    rows = store.load_indicators()
    hit = rows.loc[(rows["enterprise_id"] == "0800000002") & (rows["headcount"] == 10)]
    assert len(hit) == 1


def test_per_field_precedence_resolves_a_conflict_of_the_same_date(agencies, tmp_path):
    store, home = Store(tmp_path / "store"), tmp_path
    # The labour department also states insurance debt, on the list's own date, differently.
    text = (agencies / "sources.toml").read_text(encoding="utf-8")
    text = text.replace(
        '"Ngày báo cáo" = "reported_at"\n',
        '"Ngày báo cáo" = "reported_at"\n"Nợ BHXH" = "insurance_debt_vnd"\n',
    )
    text = text.replace(
        'units = { wage_arrears_vnd = "đồng" }',
        'units = { wage_arrears_vnd = "đồng", insurance_debt_vnd = "đồng" }',
    )
    (agencies / "sources.toml").write_text(text, encoding="utf-8")
    (agencies / "labour" / "2024-04.csv").write_text(
        "\ufeffMã số thuế;Tháng;Số lao động;Tiền lương còn nợ;Số tháng nợ lương;Ngày báo cáo;Nợ BHXH\n"
        "0800000001;03/2024;1.200;0;0;15/04/2024;99.000\n",
        encoding="utf-8",
    )
    reports = _pull_all(agencies, store, home)
    assert reports["labour"]["tables"]["indicators"]["accepted"] == 1
    row = (
        store.load_indicators()
        .set_index(["enterprise_id", "reported_at"])
        .loc[("0800000001", pd.Timestamp("2024-04-15"))]
    )
    assert row["insurance_debt_vnd"] == 12_500_000  # the office (precedence 20) wins its own figure
    assert row["headcount"] == 1200  # the department's other fields stand beside it


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("sheet", "no sheet 'Nợ' (sheets: Sheet)"),
        ("column", "column 'Số tiền nợ' not in the header (row 5"),
        ("moved", "the header is in row 6, not row 5: the header moved"),
        ("unit", "the title says amounts are in triệu đồng, the sources file declares nghìn đồng"),
        ("unknown unit", "undeclared unit 'USD' in the title rows"),
    ],
)
def test_a_broken_file_is_refused_in_one_line_and_the_other_sources_still_pull(
    agencies, tmp_path, change, message
):
    store, home = Store(tmp_path / "store"), tmp_path
    path = agencies / "bhxh" / "no-2024-03.xlsx"
    rows = [[1, "U1", 800000001, "May HD", 2, 12_500]]
    if change == "sheet":
        text = (agencies / "sources.toml").read_text(encoding="utf-8")
        (agencies / "sources.toml").write_text(
            text.replace("header_row = 5\n", 'header_row = 5\nsheet = "Nợ"\n'), encoding="utf-8"
        )
    elif change == "column":
        _debtors(path, rows)
        book = openpyxl.load_workbook(path)
        book.active.cell(row=5, column=6, value="Số tiền")  # type: ignore[union-attr]
        book.save(path)
    elif change == "moved":
        _debtors(path, rows, header_row=6)
    elif change == "unit":
        _debtors(path, rows, unit="triệu đồng")
    else:
        _debtors(path, rows, unit="USD")
    reports = _pull_all(agencies, store, home)
    assert reports["bhxh"]["status"] == "refused"
    (line,) = reports["bhxh"]["refused"]
    assert line.startswith("source bhxh: ") and message in line and "\n" not in line, line
    assert "no-2024-03.xlsx" in line or change == "sheet"
    assert reports["labour"]["status"] == "stored" and reports["registry"]["status"] == "stored"
    assert not (store.load_indicators()["insurance_debt_vnd"] > 0).any()


def test_a_new_file_whose_columns_changed_is_refused_with_the_difference(agencies, tmp_path):
    store, home = Store(tmp_path / "store"), tmp_path
    _pull_all(agencies, store, home)
    (agencies / "labour" / "2024-05.csv").write_text(
        "\ufeffMã số thuế;Tháng;Số lao động;Tiền lương còn nợ;Số tháng nợ lương;Ngày báo cáo;Ghi chú\n"
        "0800000001;04/2024;1.210;0;0;20/05/2024;x\n",
        encoding="utf-8",
    )
    report = pull_source(load_sources(agencies / "sources.toml"), "labour", store, home).to_json()
    (line,) = report["refused"]
    assert "2024-05.csv" in line and "columns changed since the last file (added 'ghi chú')" in line
    assert not (store.load_indicators()["month"] == pd.Timestamp("2024-04-01")).any()


def test_dry_run_stores_nothing(agencies, tmp_path):
    store, home = Store(tmp_path / "store"), tmp_path
    sources = load_sources(agencies / "sources.toml")
    pull_source(sources, "registry", store, home)
    before = store.content_digest()
    file, preview = dry_run(sources, "bhxh", store, home)
    assert file.endswith("no-2024-03.xlsx")
    assert list(preview["insurance_debt_vnd"]) == ["12500000", "300000"]
    assert store.content_digest() == before


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("header_row = 5", "header_row = 0"),
            "sources.toml: [sources.bhxh] header_row: Input should be greater than or equal to 1",
        ),
        (
            ('units = { insurance_debt_vnd = "nghìn đồng" }\n', ""),
            "[sources.bhxh] units: no unit declared for insurance_debt_vnd",
        ),
        (
            ('"Số tiền nợ" = "insurance_debt_vnd"', '"Số tiền nợ" = "insurance_debt"'),
            "[sources.bhxh] columns: 'Số tiền nợ' maps to 'insurance_debt', not a column of indicators",
        ),
        (
            ('crosswalk = "units"', 'crosswalk = "unit_codes"'),
            "[sources.bhxh] match.crosswalks: no [crosswalks.unit_codes]",
        ),
        (
            ('format = "xlsx"', 'format = "xls"'),
            "[sources.bhxh] format: Input should be 'xlsx', 'csv', 'parquet' or 'sql'",
        ),
        (("precedence = 20", "precedance = 20"), "[sources.bhxh] precedance: unknown key"),
        (
            (
                '"Ngoài khu, cụm" = "outside"',
                '"Ngoài khu, cụm" = "outside"\n[sources.registry.values.sector]\n"x" = "14"',
            ),
            "values: 'sector' is not a coded column",
        ),
    ],
)
def test_sources_file_errors_point_at_the_source_and_key(edit, message):
    old, new = edit
    assert old in SOURCES
    with pytest.raises(SourcesError) as err:
        parse_sources(SOURCES.replace(old, new, 1), Path("sources.toml"))
    assert message in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_the_shipped_example_and_the_readme_example_are_valid_and_the_same():
    shipped = Path(__file__).parents[2] / "simulator" / "agency_sources.toml"
    sources = load_sources(shipped)
    assert sources.names == ["registry", "bhxh", "labour", "incidents"]
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    assert block == shipped.read_text(encoding="utf-8")


def test_a_missing_folder_is_one_refusal(agencies, tmp_path):
    shutil.rmtree(agencies / "labour")
    report = pull_source(
        load_sources(agencies / "sources.toml"), "labour", Store(tmp_path / "s"), tmp_path
    ).to_json()
    assert report["status"] == "refused" and "no file matches 'labour/*.csv'" in report["refused"][0]


def test_dates_from_the_file_name_and_reports_dated_before_their_month_ended(agencies, tmp_path):
    text = (agencies / "sources.toml").read_text(encoding="utf-8")
    text = text.replace("reported_at = { title = 'Ngày lập: (\\d{2}/\\d{2}/\\d{4})', format = \"%d/%m/%Y\" }",
                        "reported_at = { filename = 'no-\\d{4}-\\d{2}-(\\d{8})', format = \"%Y%m%d\" }")  # fmt: skip
    sources = parse_sources(text, agencies / "sources.toml")
    assert sources.source("bhxh").reported_at is not None
    (agencies / "bhxh" / "no-2024-03.xlsx").rename(agencies / "bhxh" / "no-2024-03-20240416.xlsx")
    store = Store(tmp_path / "store")
    pull_source(sources, "registry", store, tmp_path)
    pull_source(sources, "bhxh", store, tmp_path)
    assert set(store.load_indicators()["reported_at"]) == {pd.Timestamp("2024-04-16")}
    # A list dated before its month ended cannot be true: its rows are quarantined, and the
    # file, all of whose rows are bad, is refused.
    _debtors(
        agencies / "bhxh" / "no-2024-04-20240420.xlsx",
        [[1, "U1", 800000001, "May HD", 1, 100]],
        month="04/2024",
    )
    report = pull_source(sources, "bhxh", store, tmp_path).to_json()
    (line,) = report["refused"]
    assert "reported_at: 2024-04-20 is before the month 2024-04 ended" in line
    assert dt.date(2024, 4, 16) == min(d.date() for d in store.load_indicators()["reported_at"])


def test_every_figure_keeps_its_source_file_and_row(agencies, tmp_path):
    from data.store import field_provenance

    store, home = Store(tmp_path / "store"), tmp_path
    _pull_all(agencies, store, home)
    found = field_provenance(store.indicator_rows(), pd.Timestamp("2024-05-01"))
    mine = found.loc[found["enterprise_id"] == "0800000001"].set_index("field")
    assert mine.loc["insurance_debt_vnd", "source"] == "bhxh"
    assert (
        mine.loc["insurance_debt_vnd", "file"].endswith("no-2024-03.xlsx")
        and mine.loc["insurance_debt_vnd", "row"] == 6
    )
    assert mine.loc["headcount", "source"] == "labour" and mine.loc["headcount", "row"] == 2
    assert mine.loc["headcount", "file"].endswith("2024-04.csv")
    zero = found.loc[(found["enterprise_id"] == "0800000003") & (found["field"] == "insurance_debt_vnd")]
    assert zero["file"].item() == "(absent from the complete list)" and zero["value"].item() == 0
    # Known at a date before the labour report: only the list's figures.
    early = field_provenance(store.indicator_rows(), pd.Timestamp("2024-04-16"))
    assert set(early.loc[early["enterprise_id"] == "0800000001", "field"]) == {
        "insurance_debt_vnd",
        "insurance_debt_months",
    }


def test_registry_codes_stored_as_numbers_get_their_zero_back(agencies, tmp_path):
    (agencies / "registry" / "dn.csv").write_text(
        "\ufeff" + REGISTRY.replace(";0800000003;", ";800000003;").replace("\n0800000003;", "\n800000003;"),
        encoding="utf-8",
    )
    store = Store(tmp_path / "store")
    _pull_all(agencies, store, tmp_path)
    assert "0800000003" in set(store.load_enterprises()["enterprise_id"])


def test_amounts_with_a_currency_and_months_as_date_cells(agencies, tmp_path):
    text = (agencies / "sources.toml").read_text(encoding="utf-8")
    (agencies / "sources.toml").write_text(text, encoding="utf-8")
    (agencies / "labour" / "2024-04.csv").write_text(
        "\ufeffMã số thuế;Tháng;Số lao động;Tiền lương còn nợ;Số tháng nợ lương;Ngày báo cáo\n"
        "0800000001;2024-03-01;1.200;1.500.000 đ;1,5;20/04/2024\n",
        encoding="utf-8",
    )
    store = Store(tmp_path / "store")
    reports = _pull_all(agencies, store, tmp_path)
    assert reports["labour"]["tables"]["indicators"]["accepted"] == 1
    row = (
        store.load_indicators()
        .set_index(["enterprise_id", "reported_at"])
        .loc[("0800000001", pd.Timestamp("2024-04-20"))]
    )
    assert row["wage_arrears_vnd"] == 1_500_000 and row["month"] == pd.Timestamp("2024-03-01")


def test_a_complete_list_of_several_months_in_one_file(agencies, tmp_path):
    text = (agencies / "sources.toml").read_text(encoding="utf-8")
    text = text.replace("month = { title = 'THÁNG (\\d{2}/\\d{4})', format = \"%m/%Y\" }\n", "")
    text = text.replace(
        '"Số tiền nợ" = "insurance_debt_vnd"\n', '"Số tiền nợ" = "insurance_debt_vnd"\n"Kỳ" = "month"\n'
    )
    text = text.replace(
        'units = { insurance_debt_vnd = "nghìn đồng" }',
        'units = { insurance_debt_vnd = "nghìn đồng" }\nformats = { month = "%m/%Y" }',
    )
    (agencies / "sources.toml").write_text(text, encoding="utf-8")
    path = agencies / "bhxh" / "no-2024-03.xlsx"
    _debtors(path, [])
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    sheet.cell(row=5, column=7, value="Kỳ")
    for i, row in enumerate(
        [
            [1, "U1", 800000001, "May HD", 2, 12_500, "03/2024"],
            [2, "U9", 800000003, "Sao Mai", 1, 100, "02/2024"],
        ],
        start=6,
    ):
        for j, v in enumerate(row, start=1):
            sheet.cell(row=i, column=j, value=v)
    book.save(path)
    store = Store(tmp_path / "store")
    _pull_all(agencies, store, tmp_path)
    ind = store.load_indicators()
    on_list = ind.loc[ind["reported_at"] == pd.Timestamp("2024-04-15")].set_index(["enterprise_id", "month"])
    # March names 0800000001 only: the others owe nothing in March; February names 0800000003 only.
    assert on_list.loc[("0800000001", pd.Timestamp("2024-03-01")), "insurance_debt_months"] == 2
    assert on_list.loc[("0800000003", pd.Timestamp("2024-03-01")), "insurance_debt_months"] == 0
    assert on_list.loc[("0800000003", pd.Timestamp("2024-02-01")), "insurance_debt_months"] == 1
    assert on_list.loc[("0800000001", pd.Timestamp("2024-02-01")), "insurance_debt_months"] == 0


def test_a_named_pipe_among_an_agencys_files_is_refused_not_read(agencies, tmp_path):
    import os

    os.mkfifo(agencies / "labour" / "2024-05.csv")
    report = pull_source(
        load_sources(agencies / "sources.toml"), "labour", Store(tmp_path / "s"), tmp_path
    ).to_json()
    assert any("2024-05.csv: not a regular file" in line for line in report["refused"])


def test_a_pull_reports_its_progress_file_by_file(agencies, tmp_path):
    from vocab.progress import listening

    (agencies / "labour" / "2024-05.csv").write_text(
        LABOUR.replace("03/2024", "04/2024").replace("/04/2024", "/05/2024"), encoding="utf-8"
    )
    heard: list[tuple[str, int, int]] = []
    sources = load_sources(agencies / "sources.toml")
    store = Store(tmp_path / "store")
    pull_source(sources, "registry", store, tmp_path)
    with listening(lambda *event: heard.append(event)):
        pull_source(sources, "labour", store, tmp_path)
    assert [e for e in heard if e[0] == "pull labour"] == [
        ("pull labour", 0, 2),
        ("pull labour", 1, 2),
        ("pull labour", 2, 2),
    ]


def test_explain_names_the_sources_of_each_months_figures(agencies, tmp_path):
    from cli.explain import _month_sources

    store = Store(tmp_path / "store")
    _pull_all(agencies, store, tmp_path)
    assert _month_sources(store, "0800000001", pd.Timestamp("2024-05-01")) == {
        pd.Timestamp("2024-03-01"): "bhxh, labour"
    }
    assert _month_sources(store, "0800000001", pd.Timestamp("2024-04-16")) == {
        pd.Timestamp("2024-03-01"): "bhxh"
    }
