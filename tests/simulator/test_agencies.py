"""The world as the four agencies deliver it (`write_agencies`), on a short 'tiny' world.

The period 2024-01..2025-12 holds the 1 July 2025 reform of the administrative units.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from simulator import World, simulate, write_agencies

START, END = "2024-01", "2025-12"
SHIPPED = resources.files("simulator").joinpath("agency_sources.toml").read_text(encoding="utf-8")
TOML = tomllib.loads(SHIPPED)
LABOUR = TOML["sources"]["labour"]
BHXH = TOML["sources"]["bhxh"]
VI_NUMBER = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?$")
LABOUR_FIELDS = [
    "headcount", "avg_wage_vnd", "wage_arrears_vnd", "wage_arrears_months", "layoffs",
    "reduced_hours_workers",
]  # fmt: skip


@pytest.fixture(scope="module")
def world() -> World:
    return simulate("tiny", seed=0, start=START, end=END)


@pytest.fixture(scope="module")
def out(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("agencies")
    write_agencies(world, root, seed=0)
    return root


@pytest.fixture(scope="module")
def manifest(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "agencies" / "manifest.json").read_text(encoding="utf-8")))


def _sheet(path: Path) -> list[list[Any]]:
    return list(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())


def _labour(out: Path) -> pd.DataFrame:
    frames = []
    for path in sorted((out / "agencies" / "labour").glob("*.csv")):
        frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        frames.append(frame.assign(file=f"agencies/labour/{path.name}", row=np.arange(len(frame)) + 2))
    return pd.concat(frames, ignore_index=True)


def _vi_float(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))


def _contract(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "contract" / f"{name}.csv", dtype={"enterprise_id": str, "sector": str})


def _unmatched(manifest: dict[str, Any], source: str) -> list[dict[str, Any]]:
    return [u for u in manifest["unmatched"] if u["source"] == source]


def _last_day(label: str) -> dt.date:
    return (pd.Period(label, "M").end_time).date()


def test_sources_file_is_the_shipped_one(out: Path) -> None:
    assert (out / "agencies" / "sources.toml").read_text(encoding="utf-8") == SHIPPED


def test_manifest_counts_every_data_row(out: Path, manifest: dict[str, Any]) -> None:
    files = manifest["files"]
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(files) == on_disk - {"agencies/manifest.json", "agencies/sources.toml"}
    assert not [p for p in on_disk if p.endswith(".tmp")]
    for name, rows in files.items():
        path = out / name
        if name.endswith(".xlsx"):
            header = BHXH["header_row"] if "/bhxh/" in name else 1
            assert len(_sheet(path)) - header == rows, name
        else:
            assert len(pd.read_csv(path, sep=None, engine="python", dtype=str)) == rows, name
    assert len([f for f in files if f.startswith("agencies/bhxh/no-bhxh-")]) == 24


def test_debtor_lists_have_their_titles_above_the_header(out: Path) -> None:
    month_rx, date_rx = re.compile(BHXH["month"]["title"]), re.compile(BHXH["reported_at"]["title"])
    expected_header = ["STT", "Mã đơn vị", "Mã số thuế", "Tên đơn vị", "Số tháng nợ", "Số tiền nợ"]
    paths = sorted((out / "agencies" / "bhxh").glob("no-bhxh-*.xlsx"))
    assert len(paths) == 24
    for path in paths:
        rows = _sheet(path)
        label = path.stem.removeprefix("no-bhxh-")
        titles = [r[0] for r in rows[:5]]
        assert titles[0].startswith("BẢO HIỂM XÃ HỘI")
        assert titles[1] == "DANH SÁCH ĐƠN VỊ NỢ BẢO HIỂM XÃ HỘI"
        assert titles[4] == "Đơn vị tính: nghìn đồng"
        assert all(c == "" for c in rows[5])
        assert [c for c in rows[BHXH["header_row"] - 1] if c != ""] == expected_header
        months = [m.group(1) for t in titles if (m := month_rx.search(t))]
        dates = [m.group(1) for t in titles if (m := date_rx.search(t))]
        assert months == [f"{label[5:]}/{label[:4]}"]
        assert len(dates) == 1
        lag = (dt.datetime.strptime(dates[0], "%d/%m/%Y").date() - _last_day(label)).days
        assert 10 <= lag <= 20
        assert [r[0] for r in rows[BHXH["header_row"] :]] == list(
            range(1, len(rows) - BHXH["header_row"] + 1)
        )


def test_debtor_lists_store_tax_codes_as_numbers_and_some_rows_only_a_unit_code(
    out: Path, world: World
) -> None:
    crosswalk = pd.read_csv(out / "agencies" / "bhxh" / "ma-don-vi.csv", dtype=str)
    assert list(crosswalk.columns) == ["Mã đơn vị", "Mã số thuế"]
    assert crosswalk["Mã đơn vị"].is_unique
    assert set(crosswalk["Mã số thuế"]) == set(world.enterprises["enterprise_id"])
    assert crosswalk["Mã đơn vị"].str.fullmatch(r"(HD|BD)\d{5}").all()
    units = set(crosswalk["Mã đơn vị"])
    numbers, unit_only, lost_zero = 0, 0, 0
    ids = set(world.enterprises["enterprise_id"])
    for path in sorted((out / "agencies" / "bhxh").glob("no-bhxh-*.xlsx")):
        for row in _sheet(path)[BHXH["header_row"] :]:
            tax = row[2]
            if tax == "":
                unit_only += 1
                assert row[1] in units
                continue
            assert isinstance(tax, int | float) and not isinstance(tax, bool)
            numbers += 1
            text = str(int(tax))
            if text.zfill(10) in ids and len(text) < 10:
                lost_zero += 1
    assert numbers > 100 and lost_zero > 20
    assert 0.005 < unit_only / (numbers + unit_only) < 0.08


def test_debtor_lists_hold_the_worlds_debtors(out: Path, world: World, manifest: dict[str, Any]) -> None:
    crosswalk = pd.read_csv(out / "agencies" / "bhxh" / "ma-don-vi.csv", dtype=str)
    unit_to_id = dict(zip(crosswalk["Mã đơn vị"], crosswalk["Mã số thuế"], strict=True))
    fakes = {(u["file"], u["row"]) for u in _unmatched(manifest, "bhxh")}
    listed = []
    for path in sorted((out / "agencies" / "bhxh").glob("no-bhxh-*.xlsx")):
        label = path.stem.removeprefix("no-bhxh-")
        name = f"agencies/bhxh/{path.name}"
        for k, row in enumerate(_sheet(path)[BHXH["header_row"] :]):
            if (name, BHXH["header_row"] + 1 + k) in fakes:
                continue
            eid = unit_to_id[row[1]] if row[2] == "" else str(int(row[2])).zfill(10)
            assert unit_to_id[row[1]] == eid
            listed.append((eid, label, float(row[4]), float(row[5]) * 1000))
    ind = world.indicators
    first = ind[~ind.duplicated(["enterprise_id", "month"])]
    debt = first[(first["insurance_debt_months"] > 0) & first["insurance_debt_vnd"].notna()]
    expected = list(
        debt[["enterprise_id", "month", "insurance_debt_months", "insurance_debt_vnd"]].itertuples(
            index=False, name=None
        )
    )
    assert len(expected) > 300
    assert sorted(listed) == sorted(expected)


def test_labour_reports_are_vietnamese_csv(out: Path) -> None:
    paths = sorted((out / "agencies" / "labour").glob("bao-cao-lao-dong-*.csv"))
    assert len(paths) >= 24
    header = ["Mã số thuế", "Tên doanh nghiệp", *[h for h in LABOUR["columns"] if h != "Mã số thuế"]]
    for path in paths:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        first_line = raw[3:].split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
        assert first_line.split(";") == header
    rows = _labour(out)
    for h in ["Số lao động", "Tiền lương bình quân", "Tiền lương còn nợ", "Số tháng nợ lương"]:
        filled = rows[h][rows[h] != ""]
        assert filled.str.fullmatch(VI_NUMBER).all(), h
    assert rows["Tiền lương bình quân"].str.count(r"\.").ge(2).mean() > 0.9  # millions: 6.525.000
    assert rows["Tháng"].str.fullmatch(r"(0[1-9]|1[0-2])/20\d\d").all()
    dates = rows["Ngày báo cáo"]
    assert dates.str.fullmatch(r"(\d{2}/\d{2}/\d{4})?").all() and (dates == "").mean() > 0.05
    ids = rows["Mã số thuế"]
    odd = ids[~ids.str.fullmatch(r"\d{10}")]
    assert odd.str.fullmatch(r"\d{4}([ .])\d{3}\1\d{3}").all()
    assert 0.003 < len(odd) / len(ids) < 0.03
    assert {" ", "."} <= set("".join(odd.str[4]))
    assert not any(h.startswith("Số tháng nợ") and "BHXH" in h for h in rows.columns)
    assert "Số tiền nợ" not in rows.columns


def test_every_world_indicator_row_is_reported_once(
    out: Path, world: World, manifest: dict[str, Any]
) -> None:
    rows = _labour(out)
    fakes = {(u["file"], u["row"]) for u in _unmatched(manifest, "labour")}
    is_fake = pd.Series(list(zip(rows["file"], rows["row"], strict=True))).isin(fakes).to_numpy()
    assert is_fake.sum() == len(fakes) > 0
    rows = rows[~is_fake]
    got = pd.DataFrame(
        {
            "enterprise_id": rows["Mã số thuế"].str.replace(r"[ .]", "", regex=True),
            "month": rows["Tháng"].str[3:] + "-" + rows["Tháng"].str[:2],
            **{
                f: _vi_float(rows[h])
                for f, h in zip(LABOUR_FIELDS, list(LABOUR["columns"])[2:8], strict=True)
            },
            "reported_at": pd.to_datetime(rows["Ngày báo cáo"], format="%d/%m/%Y").dt.strftime("%Y-%m-%d"),
            "file": rows["file"].str[-11:-4],
        }
    )
    ind = world.indicators
    want = ind[["enterprise_id", "month", *LABOUR_FIELDS, "reported_at"]].astype({"headcount": float})
    key = ["enterprise_id", "month", "reported_at"]
    pd.testing.assert_frame_equal(
        got.drop(columns="file").sort_values(key, na_position="first").reset_index(drop=True),
        want.sort_values(key, na_position="first").reset_index(drop=True),
        check_dtype=False,
    )
    default = pd.Series(pd.PeriodIndex(ind["month"], freq="M").end_time.normalize() + pd.Timedelta(days=20))
    effective = pd.to_datetime(ind["reported_at"]).fillna(default)
    files = got.set_index(key)["file"]
    expected_files = pd.Series(
        effective.dt.strftime("%Y-%m").to_numpy(), index=pd.MultiIndex.from_frame(ind[key])
    )
    assert (files.reindex(expected_files.index).to_numpy() == expected_files.to_numpy()).all()


def test_new_addresses_only_for_firms_founded_after_the_reform(out: Path, world: World) -> None:
    path = next((out / "agencies" / "registry").glob("doanh-nghiep-*.xlsx"))
    assert path.name == "doanh-nghiep-2025-12-31.xlsx"
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["Doanh nghiệp"]
    rows = book.get_sheet_by_name("Doanh nghiệp").to_python()
    reg = pd.DataFrame(rows[1:], columns=rows[0]).astype(str)
    assert list(reg.columns) == list(TOML["sources"]["registry"]["columns"])
    assert reg["Mã số thuế"].tolist() == world.enterprises["enterprise_id"].tolist()
    assert set(reg["Loại hình doanh nghiệp"]) == set(TOML["sources"]["registry"]["values"]["ownership"])
    assert set(reg["Loại khu"]) <= set(TOML["sources"]["registry"]["values"]["zone_type"])
    assert reg["Ngành cấp 2 (VSIC)"].str.fullmatch(r"\d\d").all()
    founded = pd.to_datetime(reg["Ngày thành lập"].replace("", None), format="%d/%m/%Y")
    post = (founded >= pd.Timestamp("2025-07-01")).to_numpy()
    has_commune = (reg["Xã/Phường/Đặc khu"] != "").to_numpy()
    assert post.sum() >= 10
    assert not (has_commune & ~post).any()
    assert has_commune[post].mean() > 0.9
    assert (reg.loc[has_commune, "Quận/Huyện"] == "").all()
    assert set(reg.loc[has_commune, "Tỉnh/Thành phố"]) <= {"Thành phố Hải Phòng", "Thành phố Hồ Chí Minh"}
    assert reg.loc[has_commune, "Xã/Phường/Đặc khu"].str.match(r"(Xã|Phường|Đặc khu) ").all()
    old = reg[~has_commune]
    assert set(old["Tỉnh/Thành phố"]) == {"Hải Dương", "Bình Dương"}
    ent = _contract(out, "enterprises")
    assert ent["commune"].notna().sum() == has_commune.sum()
    assert (ent["province"].to_numpy() == reg["Tỉnh/Thành phố"].to_numpy()).all()


def test_contract_insurance_rows_are_operating_firms_times_months(out: Path, world: World) -> None:
    ind = _contract(out, "indicators")
    ins = ind[ind["insurance_debt_months"].notna()]
    assert ins["insurance_debt_vnd"].notna().all()
    assert ins[["headcount", *LABOUR_FIELDS[1:]]].isna().all().all()
    months = pd.period_range(START, END, freq="M")
    last_days = np.array([p.end_time.date() for p in months], dtype="datetime64[D]")[None, :]
    founded = pd.to_datetime(world.enterprises["founded"]).to_numpy().astype("datetime64[D]")[:, None]
    closed = pd.to_datetime(world.enterprises["closed"]).to_numpy().astype("datetime64[D]")[:, None]
    operating = (np.isnat(founded) | (founded <= last_days)) & (np.isnat(closed) | (closed > last_days))
    e, t = np.nonzero(operating)
    expected = set(
        zip(world.enterprises["enterprise_id"].to_numpy()[e], months.strftime("%Y-%m")[t], strict=True)
    )
    got = list(zip(ins["enterprise_id"], ins["month"], strict=True))
    assert len(got) == len(set(got)) == len(expected) == int(operating.sum())
    assert set(got) == expected
    # One date per month's list, that of its title; zeros for those it leaves out.
    assert (ins.groupby("month")["reported_at"].nunique() == 1).all()
    for label, date in ins.groupby("month")["reported_at"].first().items():
        rows = _sheet(out / "agencies" / "bhxh" / f"no-bhxh-{label}.xlsx")
        assert rows[3][0] == f"Ngày lập: {dt.date.fromisoformat(date):%d/%m/%Y}"
        listed = len(rows) - BHXH["header_row"]
        assert (ins.loc[ins["month"] == label, "insurance_debt_months"] > 0).sum() <= listed
    assert (ins["insurance_debt_months"] == 0).mean() > 0.8
    assert ((ins["insurance_debt_months"] == 0) == (ins["insurance_debt_vnd"] == 0)).all()


def test_contract_labour_rows_are_the_worlds_without_insurance(out: Path, world: World) -> None:
    ind = _contract(out, "indicators")
    labour = ind[ind["insurance_debt_months"].isna()]
    assert labour["insurance_debt_vnd"].isna().all()
    want = world.indicators.drop(columns=["insurance_debt_vnd", "insurance_debt_months"])
    pd.testing.assert_frame_equal(
        labour[list(want.columns)].reset_index(drop=True), want.reset_index(drop=True), check_dtype=False
    )
    ins = ind[ind["insurance_debt_months"].notna()]
    key = ["enterprise_id", "month", "reported_at"]
    both = labour[key].dropna().merge(ins[key], on=key)
    assert both.empty  # a list is never dated the day a report of its month came in
    inc = _contract(out, "incidents")
    pd.testing.assert_frame_equal(inc, world.incidents.reset_index(drop=True), check_dtype=False)


def test_incident_log_in_vietnamese_with_real_dates(out: Path, world: World) -> None:
    path = out / "agencies" / "incidents" / "so-theo-doi-tranh-chap.xlsx"
    rows = _sheet(path)
    spec = TOML["sources"]["incidents"]
    assert set(rows[0]) == set(spec["columns"]) | {"Tên doanh nghiệp"}
    log = pd.DataFrame(rows[1:], columns=rows[0])
    assert len(log) == len(world.incidents) > 50
    started = log["Ngày bắt đầu"]
    assert all(isinstance(d, dt.date) for d in started)
    assert [d.isoformat() for d in started] == world.incidents["started"].tolist()
    assert (log["Ngày kết thúc"] == "").sum() == world.incidents["ended"].isna().sum() > 0
    assert set(log["Hình thức"]) == set(spec["values"]["kind"])
    assert set(log["Nguyên nhân chính"]) - {""} <= set(spec["values"]["cause"])
    part = log["Số người tham gia"]
    assert all(isinstance(p, float | int) for p in part if p != "")
    assert (part == "").sum() == world.incidents["participants"].isna().sum()


def test_unmatched_rows_are_recorded_and_left_out_of_the_contract(
    out: Path, world: World, manifest: dict[str, Any]
) -> None:
    ids = set(world.enterprises["enterprise_id"])
    stripped = {i.lstrip("0") for i in ids}
    names = world.enterprises["name"].tolist()
    debtors, reports = _unmatched(manifest, "bhxh"), _unmatched(manifest, "labour")
    assert 5 <= len(debtors) <= 20 and 5 <= len(reports) <= 20
    labour = _labour(out)
    for u in manifest["unmatched"]:
        assert u["enterprise_id"] not in ids and u["enterprise_id"].lstrip("0") not in stripped
        assert u["name"] not in names
        if u["source"] == "bhxh":
            row = _sheet(out / u["file"])[u["row"] - 1]
            assert str(int(row[2])).zfill(10) == u["enterprise_id"] and row[3] == u["name"]
        else:
            row = labour[(labour["file"] == u["file"]) & (labour["row"] == u["row"])].iloc[0]
            assert row["Mã số thuế"] == u["enterprise_id"] and row["Tên doanh nghiệp"] == u["name"]
    close = [
        u["name"]
        for u in manifest["unmatched"]
        if difflib.get_close_matches(u["name"], names, n=1, cutoff=0.9)
    ]
    assert close  # some look like a real firm's name
    fake_ids = {u["enterprise_id"] for u in manifest["unmatched"]}
    for name in ("enterprises", "indicators", "incidents"):
        assert not set(_contract(out, name)["enterprise_id"]) & fake_ids


def test_same_world_and_seed_same_bytes(out: Path, world: World, tmp_path: Path) -> None:
    again = write_agencies(world, tmp_path / "again", seed=0)
    assert again[0] == tmp_path / "again" / "agencies" / "sources.toml"
    for path in again:
        first = out / path.relative_to(tmp_path / "again")
        assert path.read_bytes() == first.read_bytes(), path.name
        if path.suffix == ".xlsx":
            assert _sheet(path) == _sheet(first)
    other = write_agencies(world, tmp_path / "other", seed=1)
    units = [
        pd.read_csv(p / "agencies" / "bhxh" / "ma-don-vi.csv", dtype=str) for p in (out, tmp_path / "other")
    ]
    assert not units[0].equals(units[1])
    assert {p.relative_to(tmp_path / "other").as_posix() for p in other if "/bhxh/" in p.as_posix()} == {
        p.relative_to(out).as_posix() for p in (out / "agencies" / "bhxh").iterdir()
    }


def test_without_the_contract_form_the_agencies_files_are_the_same(
    out: Path, world: World, tmp_path: Path
) -> None:
    written = write_agencies(world, tmp_path, seed=0, contract_form=False)
    assert not (tmp_path / "contract").exists()
    agency_files = sorted(p.relative_to(out).as_posix() for p in (out / "agencies").rglob("*") if p.is_file())
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == agency_files
    for path in written:
        if path.name != "manifest.json":
            assert path.read_bytes() == (out / path.relative_to(tmp_path)).read_bytes(), path.name
    # The manifest lists what was written: the same agencies' files, no contract file.
    full = json.loads((out / "agencies" / "manifest.json").read_text(encoding="utf-8"))
    lean = json.loads((tmp_path / "agencies" / "manifest.json").read_text(encoding="utf-8"))
    assert lean["files"] == {k: v for k, v in full["files"].items() if not k.startswith("contract/")}
    assert lean["unmatched"] == full["unmatched"]


def test_awkward_names_are_written_as_delivered(world: World, tmp_path: Path) -> None:
    odd = ['Công ty "Sao; Mai"', '=HYPERLINK("x")', "Công ty TNHH A;B"]
    ent = world.enterprises.copy()
    ent.loc[:2, "name"] = odd
    write_agencies(dataclasses.replace(world, enterprises=ent), tmp_path, seed=0)
    labour = _labour(tmp_path)
    ids = labour["Mã số thuế"].str.replace(r"[ .]", "", regex=True)
    for eid, name in zip(ent["enterprise_id"][:3], odd, strict=True):
        assert set(labour.loc[ids == eid, "Tên doanh nghiệp"]) == {name}
    rows = _sheet(next((tmp_path / "agencies" / "registry").glob("*.xlsx")))
    assert [r[1] for r in rows[1:4]] == odd
    assert _contract(tmp_path, "enterprises")["name"][:3].tolist() == odd


def test_a_provinces_own_office_is_renamed_with_the_reform(world: World, tmp_path: Path) -> None:
    hd = world.enterprises[world.enterprises["province"] == "Hải Dương"].reset_index(drop=True)
    keep = set(hd["enterprise_id"])
    one = dataclasses.replace(
        world,
        enterprises=hd,
        indicators=world.indicators[world.indicators["enterprise_id"].isin(keep)].reset_index(drop=True),
        incidents=world.incidents[world.incidents["enterprise_id"].isin(keep)].reset_index(drop=True),
        params={**world.params, "provinces": {"HD": "Hải Dương"}},
    )
    write_agencies(one, tmp_path, seed=0)
    bhxh = tmp_path / "agencies" / "bhxh"
    assert _sheet(bhxh / "no-bhxh-2025-06.xlsx")[0][0] == "BẢO HIỂM XÃ HỘI TỈNH HẢI DƯƠNG"
    assert _sheet(bhxh / "no-bhxh-2025-07.xlsx")[0][0] == "BẢO HIỂM XÃ HỘI THÀNH PHỐ HẢI PHÒNG"
    units = pd.read_csv(bhxh / "ma-don-vi.csv", dtype=str)["Mã đơn vị"]
    assert units.str.fullmatch(r"HD\d{5}").all() and len(units) == len(hd)
