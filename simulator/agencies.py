"""A world written as the four agencies deliver it, with the same facts in the contract form.

`write_agencies` writes, under ``out/agencies``, the files that the shipped sources file
(`simulator/agency_sources.toml`, copied beside them) describes: the business registry's
workbook, the social-insurance office's monthly debtor lists and its unit-code crosswalk,
the labour department's monthly CSV reports and the incident log, with the defects real
files have (tax codes stored as numbers, rows with only a unit code, tax codes with spaces
or dots, a few rows of firms that are not in the registry). Under ``out/contract`` it writes
the same facts as a contract folder (docs/contract.md and its amendment "Several agencies,
one picture"), so that pulling the agency files and ingesting that folder give the same
store. ``out/agencies/manifest.json`` counts every file's data rows and names the rows that
match no enterprise.

Same world and seed, same bytes: workbooks carry fixed creation and modification dates,
and their zip entries a fixed timestamp.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import tomllib
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.writer.excel import ExcelWriter

from data.admin_units import communes_of_district
from simulator.frames import ENTERPRISE_COLUMNS, FIRST_NAMES, INDICATOR_COLUMNS, SECTOR_WORDS
from simulator.world import World
from simulator.write import _integers_as_int, _write_atomic
from vocab import progress
from vocab.months import label_month_number, month_labels, month_starts

SOURCES_FILE = "agency_sources.toml"

#: The day the two-level administrative units came into force: firms founded on or after
#: it are registered with the new province and a commune, and no district.
REFORM_DAY = "2025-07-01"

#: The debtor list of a month is drawn up this many days after the month's last day (both
#: ends included). Every labour report comes at least 15 days after the month's end, so a
#: list never shares its date with a report of the same month: in the contract form an
#: insurance row and a labour row never have the same (enterprise, month, reported_at).
LIST_LAG_DAYS = (10, 14)

#: Shares of the defective rows.
UNIT_CODE_ONLY_SHARE = 0.03
SPACED_TAX_CODE_SHARE = 0.01
#: Rows of firms that are not in the registry, in all the debtor lists and all the reports.
UNMATCHED_DEBTORS = 10
UNMATCHED_REPORTS = 10

#: The provinces formed on 1 July 2025 from those of the presets (for the office's name).
NEW_PROVINCE: dict[str, str] = {
    "Hải Dương": "Thành phố Hải Phòng",
    "Bắc Ninh": "Tỉnh Bắc Ninh",
    "Hưng Yên": "Tỉnh Hưng Yên",
    "Bình Dương": "Thành phố Hồ Chí Minh",
    "Đồng Nai": "Tỉnh Đồng Nai",
    "Long An": "Tỉnh Tây Ninh",
}

BHXH_TITLE = "DANH SÁCH ĐƠN VỊ NỢ BẢO HIỂM XÃ HỘI"
BHXH_UNIT = "Đơn vị tính: nghìn đồng"
BHXH_SEQ = "STT"
REGISTRY_FILE = "registry/doanh-nghiep-{day}.xlsx"
BHXH_FILE = "bhxh/no-bhxh-{month}.xlsx"
LABOUR_FILE = "labour/bao-cao-lao-dong-{month}.csv"
INCIDENT_FILE = "incidents/so-theo-doi-tranh-chap.xlsx"
INCIDENT_SHEET = "Sổ theo dõi"
LABOUR_FIELDS = (
    "headcount", "avg_wage_vnd", "wage_arrears_vnd", "wage_arrears_months", "layoffs",
    "reduced_hours_workers",
)  # fmt: skip
INSURANCE_FIELDS = ("insurance_debt_vnd", "insurance_debt_months")
CONTRACT_ENTERPRISE_COLUMNS = (*ENTERPRISE_COLUMNS[:4], "commune", *ENTERPRISE_COLUMNS[4:])


# --------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class _Spec:
    """The headers and value labels the shipped sources file gives each agency's file."""

    registry_sheet: str
    registry_headers: dict[str, str]  # contract column -> header
    registry_values: dict[str, dict[str, str]]  # column -> code -> label
    bhxh_header_row: int
    bhxh_headers: dict[str, str]
    bhxh_unit: str
    bhxh_name: str
    unit_key: str
    unit_id: str
    unit_file: str
    labour_headers: dict[str, str]
    labour_name: str
    labour_delimiter: str
    incident_headers: dict[str, str]
    incident_values: dict[str, dict[str, str]]
    incident_name: str


def _sources_text() -> str:
    return resources.files("simulator").joinpath(SOURCES_FILE).read_text(encoding="utf-8")


def _inverse(mapping: dict[str, str]) -> dict[str, str]:
    return {v: k for k, v in mapping.items()}


def _spec(text: str) -> _Spec:
    toml = tomllib.loads(text)
    src = toml["sources"]
    crosswalk = toml["crosswalks"][src["bhxh"]["match"]["crosswalks"][0]["crosswalk"]]
    reg, bhxh, lab, inc = src["registry"], src["bhxh"], src["labour"], src["incidents"]
    return _Spec(
        registry_sheet=reg["sheet"],
        registry_headers=_inverse(reg["columns"]),
        registry_values={k: _inverse(v) for k, v in reg["values"].items()},
        bhxh_header_row=int(bhxh["header_row"]),
        bhxh_headers=_inverse(bhxh["columns"]),
        bhxh_unit=bhxh["match"]["crosswalks"][0]["column"],
        bhxh_name=bhxh["match"]["name"],
        unit_key=crosswalk["key"],
        unit_id=crosswalk["enterprise_id"],
        unit_file=crosswalk["location"],
        labour_headers=_inverse(lab["columns"]),
        labour_name=lab["match"]["name"],
        labour_delimiter=lab["delimiter"],
        incident_headers=_inverse(inc["columns"]),
        incident_values={k: _inverse(v) for k, v in inc["values"].items()},
        incident_name=inc["match"]["name"],
    )


# --------------------------------------------------------------------------- writers


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class _StampedZip(zipfile.ZipFile):
    """A zip whose entries all carry one fixed timestamp (openpyxl writes the current time)."""

    stamp: tuple[int, int, int, int, int, int] = (2000, 1, 1, 0, 0, 0)

    def writestr(  # type: ignore[override]
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: bytes | str,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self.stamp)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(  # type: ignore[override]
        self,
        filename: str | os.PathLike[str],
        arcname: str | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        with open(filename, "rb") as fh:
            self.writestr(arcname or os.fspath(filename), fh.read(), compress_type, compresslevel)


def _save_workbook(wb: Workbook, path: Path, day: dt.date) -> None:
    """Save atomically with the workbook dated ``day`` (properties and zip entries)."""
    stamp = dt.datetime(day.year, day.month, day.day)
    wb.properties.creator = "labor-ews simulator"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    archive = _StampedZip(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    archive.stamp = (max(day.year, 1980), day.month, day.day, 0, 0, 0)
    ExcelWriter(wb, archive).save()  # not wb.save: that stamps the current time
    os.replace(tmp, path)


def _write_csv_table(path: Path, header: Sequence[str], table: pa.Table, delimiter: str) -> None:
    """A UTF-8 CSV with a BOM; cells are never quoted (the caller checked none needs it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(("\ufeff" + delimiter.join(header) + "\n").encode("utf-8"))
        if table.num_rows:
            opts = pcsv.WriteOptions(include_header=False, delimiter=delimiter, quoting_style="none")
            pcsv.write_csv(table, fh, opts)
    os.replace(tmp, path)


def _write_csv_quoted(path: Path, header: Sequence[str], table: pa.Table, delimiter: str) -> None:
    """The slow path of `_write_csv_table`, for cells that need quoting."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(zip(*(col.to_pylist() for col in table.columns), strict=True))
    os.replace(tmp, path)


# --------------------------------------------------------------------------- formats


def _take(labels: Sequence[str], codes: np.ndarray) -> pa.Array:
    """labels[codes] as an arrow dictionary array ('' where the code is -1): rows are
    rearranged by moving their codes, never their text."""
    idx = np.where(codes < 0, len(labels), codes).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(idx), pa.array([*labels, ""], pa.string()))


def _vi_number(value: float) -> str:
    """1234567 -> '1.234.567', 1.5 -> '1,5' (Vietnamese separators)."""
    whole = float(value).is_integer()
    text = f"{int(value):,}" if whole else f"{value:,.6f}".rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _vi_numbers(values: np.ndarray) -> pa.Array:
    codes, uniques = pd.factorize(pd.Series(values, dtype="float64"), use_na_sentinel=True)
    return _take([_vi_number(v) for v in np.asarray(uniques, dtype=np.float64)], codes)


def _vi_date(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"


def _text(values: pd.Series | np.ndarray, fmt: Callable[[str], str] | None = None) -> pa.Array:
    """Text values (NaN -> '') as an arrow array, each unique value formatted once."""
    codes, uniques = pd.factorize(pd.Series(values, dtype="str"), use_na_sentinel=True)
    labels = [str(u) for u in uniques]
    return _take([fmt(u) for u in labels] if fmt else labels, codes)


def _iso(days: np.ndarray) -> list[str]:
    return [str(d) for d in np.asarray(days, dtype="datetime64[D]")]


def _append(ws: Any, row: Sequence[Any]) -> None:
    """Append a row; text that a spreadsheet would run as a formula ('=...') stays text."""
    if any(isinstance(v, str) and v[:1] == "=" for v in row):
        row = [_literal(ws, v) if isinstance(v, str) and v[:1] == "=" else v for v in row]
    ws.append(row)


def _literal(ws: Any, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    return cell


def _date_or_none(iso: Any) -> dt.date | None:
    return dt.date.fromisoformat(iso) if isinstance(iso, str) and iso else None


def _int_or_none(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _needs_quoting(labels: Iterable[str], delimiter: str) -> bool:
    return any(ch in text for text in labels for ch in (delimiter, '"', "\n", "\r"))


def _upper(text: str) -> str:
    return unicodedata.normalize("NFC", text.upper())


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


# --------------------------------------------------------------------------- the parts


def _addresses(ent: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Province, district and commune as the registry holds them.

    Firms founded on or after 1 July 2025 have the new two-level address (new province and
    a commune of their old district, no district); the others keep the old form.
    """
    province = ent["province"].to_numpy(dtype=object).copy()
    district = ent["district"].to_numpy(dtype=object).copy()
    commune = np.full(len(ent), None, dtype=object)
    founded = ent["founded"].fillna("")
    post = ((founded >= REFORM_DAY) & ent["district"].notna()).to_numpy()
    draws = rng.random(len(ent))
    keys = pd.MultiIndex.from_arrays([ent["province"], ent["district"]])
    for prov, dist in sorted(set(keys[post])):
        options = communes_of_district(prov, dist)
        if not options:
            continue
        rows = np.flatnonzero(post & (keys == (prov, dist)))
        pick = (draws[rows] * len(options)).astype(np.int64)
        province[rows] = [options[k][0] for k in pick]
        commune[rows] = [options[k][1] for k in pick]
        district[rows] = None
    return pd.DataFrame(
        {
            "province": pd.Series(province, dtype="str"),
            "district": pd.Series(district, dtype="str"),
            "commune": pd.Series(commune, dtype="str"),
        },
        index=ent.index,
    )


def _unit_codes(ent: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    """One unit code per enterprise: the province code and five digits, unique."""
    code_of = {name: code for code, name in params["provinces"].items()}
    codes = ent["province"].map(code_of).fillna("XX").to_numpy(dtype=object)
    out = np.empty(len(ent), dtype=object)
    for code in sorted(set(codes)):
        rows = np.flatnonzero(codes == code)
        width = max(5, len(str(rows.size * 2)))
        numbers = rng.choice(10**width, size=rows.size, replace=False)
        out[rows] = [f"{code}{x:0{width}d}" for x in numbers]
    return out


def _fake_ids(real: pd.Series, n: int, rng: np.random.Generator) -> list[str]:
    """Tax codes of firms not in the registry: no real id, even with its zeros padded or lost."""
    taken = set(real.str.lstrip("0"))
    prefixes = sorted(set(real.str[:2]))
    out: list[str] = []
    while len(out) < n:
        cand = f"{prefixes[int(rng.integers(len(prefixes)))]}{int(rng.integers(10**8)):08d}"
        if cand.lstrip("0") not in taken:
            taken.add(cand.lstrip("0"))
            out.append(cand)
    return out


def _fake_names(real: pd.Series, n: int, rng: np.random.Generator) -> list[str]:
    """Plausible firm names, about half of them a near copy of a real firm's name."""
    names = set(real)
    pool = real.sort_values().to_numpy(dtype=object)
    words = sorted(SECTOR_WORDS.values())
    out: list[str] = []
    while len(out) < n:
        if rng.random() < 0.5:
            base = str(pool[int(rng.integers(pool.size))])
            how = int(rng.integers(4))
            if how == 0 and base.startswith("Công ty TNHH ") and not base.startswith("Công ty TNHH MTV "):
                name = "Công ty CP " + base.removeprefix("Công ty TNHH ")
            elif how == 0 and base.startswith("Công ty CP "):
                name = "Công ty TNHH " + base.removeprefix("Công ty CP ")
            elif how <= 1:
                name = base + " - Chi nhánh"
            elif how == 2:
                name = _ascii(base)
            else:
                name = base.rsplit(" ", 1)[0] if base.count(" ") > 3 else base + " Mới"
        else:
            name = (
                ("Công ty TNHH ", "Công ty CP ", "Doanh nghiệp tư nhân ")[int(rng.integers(3))]
                + words[int(rng.integers(len(words)))]
                + " "
                + FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
            )
        if name not in names:
            names.add(name)
            out.append(name)
    return out


def _operating(ent: pd.DataFrame, last_days: np.ndarray) -> np.ndarray:
    """(enterprises x months): founded empty or by the month's last day, closed empty or after it."""
    founded = pd.to_datetime(ent["founded"]).to_numpy().astype("datetime64[D]")
    closed = pd.to_datetime(ent["closed"]).to_numpy().astype("datetime64[D]")
    end = last_days.astype("datetime64[D]")[None, :]
    ok_f = np.isnat(founded)[:, None] | (founded[:, None] <= end)
    ok_c = np.isnat(closed)[:, None] | (closed[:, None] > end)
    return np.asarray(ok_f & ok_c)


# --------------------------------------------------------------------------- the entry point


def write_agencies(world: World, out: Path, *, seed: int = 0, contract_form: bool = True) -> list[Path]:
    """Write ``world`` as the agencies' files (``out/agencies``) and as a contract folder (``out/contract``).

    The agency files follow the shipped sources file, copied to ``out/agencies/sources.toml``;
    the contract folder holds the same facts, less the rows that match no enterprise (named,
    with every file's row count, in ``out/agencies/manifest.json``). ``contract_form=False``
    leaves the contract folder out (the demo pulls the agencies' files only; on its world the
    folder's CSVs were a third of the time spent writing); the agencies' files are the same.
    Same world and seed, same bytes. Returns the paths written.
    """
    out = Path(out)
    agencies, contract = out / "agencies", out / "contract"
    text = _sources_text()
    spec = _spec(text)
    written: list[Path] = []
    counts: dict[str, int] = {}
    unmatched: list[dict[str, Any]] = []

    def rel(path: Path) -> str:
        return path.relative_to(out).as_posix()

    path = agencies / "sources.toml"
    _write_bytes(path, text.encode("utf-8"))
    written.append(path)

    ent = world.enterprises.reset_index(drop=True)
    ind = world.indicators.reset_index(drop=True)
    inc = world.incidents.reset_index(drop=True)
    params = world.params
    first, last = label_month_number(params["start"]), label_month_number(params["end"])
    months = np.arange(first, last + 1)
    labels = month_labels(months)
    last_days = month_starts(months + 1) - np.timedelta64(1, "D")
    final_day = dt.date.fromisoformat(str(last_days[-1]))

    # 1. Registry.
    address = _addresses(ent, np.random.default_rng([seed, 71]))
    registry = ent.copy()
    registry[["province", "district"]] = address[["province", "district"]]
    registry.insert(4, "commune", address["commune"])
    registry = registry[list(CONTRACT_ENTERPRISE_COLUMNS)]
    path = agencies / REGISTRY_FILE.format(day=final_day.isoformat())
    _write_registry(registry, spec, path, final_day)
    counts[rel(path)] = len(registry)
    written.append(path)

    # 2. Unit codes and their crosswalk.
    units = _unit_codes(ent, params, np.random.default_rng([seed, 72]))
    path = agencies / spec.unit_file
    crosswalk = pd.DataFrame(
        {spec.unit_key: units, spec.unit_id: ent["enterprise_id"].to_numpy(dtype=object)}
    )
    crosswalk = crosswalk.sort_values(spec.unit_key, kind="stable")
    buf = io.StringIO()
    crosswalk.to_csv(buf, index=False, lineterminator="\n")
    _write_bytes(path, buf.getvalue().encode("utf-8"))
    counts[rel(path)] = len(crosswalk)
    written.append(path)

    # 3. Debtor lists, one per month, and the insurance facts they state.
    rng = np.random.default_rng([seed, 73])
    list_days = last_days + rng.integers(LIST_LAG_DAYS[0], LIST_LAG_DAYS[1] + 1, months.size).astype(
        "timedelta64[D]"
    )
    pos_of = pd.Series(np.arange(len(ent)), index=ent["enterprise_id"])
    ent_idx = pos_of.reindex(ind["enterprise_id"]).to_numpy()
    month_codes, month_uniques = pd.factorize(ind["month"])
    t_of_row = (np.array([label_month_number(m) for m in month_uniques]) - first)[month_codes]
    first_row = ~ind.duplicated(["enterprise_id", "month"], keep="first").to_numpy()
    debt_months = ind["insurance_debt_months"].to_numpy(dtype=np.float64)
    debt_vnd = ind["insurance_debt_vnd"].to_numpy(dtype=np.float64)
    debtor = first_row & (np.nan_to_num(debt_months) > 0) & ~np.isnan(debt_vnd)
    d_rows = np.flatnonzero(debtor)
    if not np.all(debt_vnd[d_rows] % 1000 == 0):
        raise ValueError("insurance debts must be whole thousands of đồng")
    d_ent, d_t = ent_idx[d_rows], t_of_row[d_rows]
    unit_only = rng.random(d_rows.size) < UNIT_CODE_ONLY_SHARE
    fake_ids = _fake_ids(ent["enterprise_id"], UNMATCHED_DEBTORS + UNMATCHED_REPORTS, rng)
    fake_names = _fake_names(ent["name"], UNMATCHED_DEBTORS + UNMATCHED_REPORTS, rng)
    used_units = set(units)
    fake_debtors: list[dict[str, Any]] = []
    for k in range(UNMATCHED_DEBTORS):
        code = sorted(params["provinces"])[int(rng.integers(len(params["provinces"])))]
        unit = f"{code}{int(rng.integers(10**5)):05d}"
        while unit in used_units:
            unit = f"{code}{int(rng.integers(10**5)):05d}"
        used_units.add(unit)
        fake_debtors.append(
            {
                "t": int(rng.integers(months.size)),
                "unit": unit,
                "id": fake_ids[k],
                "name": fake_names[k],
                "months": int(rng.integers(1, 7)),
                "amount": int(rng.integers(2_000, 400_000)),
                "draw": float(rng.random()),
            }
        )
    names = ent["name"].to_numpy(dtype=object)
    ids = ent["enterprise_id"].to_numpy(dtype=object)
    order = np.lexsort((units[d_ent], d_t))
    bounds = np.searchsorted(d_t[order], np.arange(months.size + 1))
    provinces = sorted(set(ent["province"]))
    for t in range(months.size):
        progress.advance("debtor lists written", t, months.size)
        rows = order[bounds[t] : bounds[t + 1]]
        body: list[list[Any]] = [
            [units[e], None if only else int(ids[e]), names[e], int(debt_months[r]), int(debt_vnd[r]) // 1000]
            for r, e, only in zip(d_rows[rows], d_ent[rows], unit_only[rows], strict=True)
        ]
        path = agencies / BHXH_FILE.format(month=labels[t])
        fakes = [f for f in fake_debtors if f["t"] == t]
        for fake in fakes:
            at = int(fake["draw"] * (len(body) + 1))
            body.insert(at, [fake["unit"], int(fake["id"]), fake["name"], fake["months"], fake["amount"]])
        fake_of = {f["unit"]: f for f in fakes}
        unmatched.extend(
            {
                "file": rel(path),
                "row": spec.bhxh_header_row + 1 + k,
                "enterprise_id": fake_of[row[0]]["id"],
                "name": fake_of[row[0]]["name"],
                "source": "bhxh",
            }
            for k, row in enumerate(body)
            if row[0] in fake_of
        )
        day = dt.date.fromisoformat(str(list_days[t]))
        _write_debtors(body, spec, path, labels[t], day, _office(provinces, last_days[t]))
        counts[rel(path)] = len(body)
        written.append(path)

    # 4. Labour reports, filed by the month of their (effective) reported date.
    labour_paths = _write_labour(
        ind, ent_idx, t_of_row, last_days, names, spec, agencies, fake_ids[UNMATCHED_DEBTORS:],
        fake_names[UNMATCHED_DEBTORS:], np.random.default_rng([seed, 74]), counts, unmatched, rel,
    )  # fmt: skip
    written.extend(labour_paths)

    # 5. The incident log.
    path = agencies / INCIDENT_FILE
    _write_incidents(inc, ent, spec, path, final_day)
    counts[rel(path)] = len(inc)
    written.append(path)

    # 6. The same facts in the contract form.
    if contract_form:
        # Insurance facts: every operating enterprise, every month, on the list's date.
        operating = _operating(ent, last_days)
        months_owed = np.zeros(operating.shape)
        owed = np.zeros(operating.shape)
        months_owed[d_ent, d_t] = debt_months[d_rows]
        owed[d_ent, d_t] = debt_vnd[d_rows]
        listed = np.zeros(operating.shape, dtype=bool)
        listed[d_ent, d_t] = True
        i_ent, i_t = np.nonzero(operating | listed)
        insurance = pd.DataFrame(
            {
                "enterprise_id": pd.Series(ids[i_ent], dtype="str"),
                "month": pd.Series(np.asarray(labels, dtype=object)[i_t], dtype="str"),
                "insurance_debt_vnd": owed[i_ent, i_t],
                "insurance_debt_months": months_owed[i_ent, i_t],
                "reported_at": pd.Series(np.asarray(_iso(list_days), dtype=object)[i_t], dtype="str"),
            }
        )
        written.extend(_write_contract_form(contract, registry, ind, insurance, inc, counts, rel))

    # 7. The manifest.
    path = agencies / "manifest.json"
    manifest = {
        "world": {k: params[k] for k in ("preset", "seed", "start", "end")},
        "seed": seed,
        "notes": "files: data rows per file; unmatched: rows of firms not in the registry, `row` as a "
        "spreadsheet numbers it (header included)",
        "files": dict(sorted(counts.items())),
        "unmatched": sorted(unmatched, key=lambda u: (u["file"], u["row"])),
    }
    _write_bytes(path, (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    written.append(path)
    return written


def _write_contract_form(
    contract: Path,
    registry: pd.DataFrame,
    ind: pd.DataFrame,
    insurance: pd.DataFrame,
    inc: pd.DataFrame,
    counts: dict[str, int],
    rel: Callable[[Path], str],
) -> list[Path]:
    """The contract folder: the registry, the labour and insurance facts, the incidents as CSV."""
    contract.mkdir(parents=True, exist_ok=True)
    labour_rows = ind.drop(columns=list(INSURANCE_FIELDS)).assign(
        insurance_debt_vnd=np.nan, insurance_debt_months=np.nan
    )
    tables = {
        "enterprises": registry,
        "indicators": pd.concat(
            [labour_rows[list(INDICATOR_COLUMNS)], insurance.reindex(columns=list(INDICATOR_COLUMNS))],
            ignore_index=True,
        ),
        "incidents": inc,
    }
    written = []
    for name, frame in tables.items():
        path = contract / f"{name}.csv"
        _write_atomic(_integers_as_int(frame), path, "csv")
        counts[rel(path)] = len(frame)
        written.append(path)
    return written


def _office(provinces: Sequence[str], last_day: np.datetime64) -> str:
    """The office that draws up the list: a province's before and after the 2025 reform, else the nation's."""
    if len(provinces) != 1:
        return "BẢO HIỂM XÃ HỘI VIỆT NAM"
    old = provinces[0]
    if str(last_day) < REFORM_DAY or old not in NEW_PROVINCE:
        return _upper(f"BẢO HIỂM XÃ HỘI TỈNH {old}")
    return _upper(f"BẢO HIỂM XÃ HỘI {NEW_PROVINCE[old]}")


def _write_registry(registry: pd.DataFrame, spec: _Spec, path: Path, day: dt.date) -> None:
    cols = [c for c in CONTRACT_ENTERPRISE_COLUMNS if c in spec.registry_headers]
    frame = registry[cols].astype(object)
    for col, labels in spec.registry_values.items():
        frame[col] = registry[col].map(labels).astype(object)
    for col in ("founded", "closed"):
        frame[col] = registry[col].map(_vi_date, na_action="ignore").astype(object)
    frame = frame.where(registry[cols].notna(), None)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(spec.registry_sheet)
    ws.append([spec.registry_headers[c] for c in cols])
    for row in frame.itertuples(index=False, name=None):
        _append(ws, row)
    _save_workbook(wb, path, day)


def _write_debtors(
    body: Iterable[list[Any]], spec: _Spec, path: Path, label: str, day: dt.date, office: str
) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách")
    titles = [office, BHXH_TITLE, f"THÁNG {label[5:]}/{label[:4]}", f"Ngày lập: {day:%d/%m/%Y}", BHXH_UNIT]
    for title in titles:
        ws.append([title])
    for _ in range(spec.bhxh_header_row - len(titles) - 1):
        ws.append([])
    h = spec.bhxh_headers
    ws.append(
        [
            BHXH_SEQ,
            spec.bhxh_unit,
            h["enterprise_id"],
            spec.bhxh_name,
            h["insurance_debt_months"],
            h["insurance_debt_vnd"],
        ]
    )
    for k, row in enumerate(body, start=1):
        _append(ws, [k, *row])
    _save_workbook(wb, path, day)


def _write_labour(
    ind: pd.DataFrame,
    ent_idx: np.ndarray,
    t_of_row: np.ndarray,
    last_days: np.ndarray,
    names: np.ndarray,
    spec: _Spec,
    agencies: Path,
    fake_ids: list[str],
    fake_names: list[str],
    rng: np.random.Generator,
    counts: dict[str, int],
    unmatched: list[dict[str, Any]],
    rel: Callable[[Path], str],
) -> list[Path]:
    """The labour department's reports: every world indicator row, labour fields only."""
    n = len(ind)
    reported = ind["reported_at"]
    effective = np.where(
        reported.isna().to_numpy(),
        (last_days[t_of_row] + np.timedelta64(20, "D")).astype("datetime64[D]"),
        pd.to_datetime(reported).to_numpy().astype("datetime64[D]"),
    )
    file_month = effective.astype("datetime64[M]").astype(np.int64)
    # The unmatched reports go into existing files, about the month before the file's.
    months_present = np.unique(file_month)
    world_months = last_days.astype("datetime64[M]").astype(np.int64)
    choices = months_present[np.isin(months_present - 1, world_months)]
    fake_file = choices[rng.integers(0, choices.size, len(fake_ids))]
    fake_day = fake_file.astype("datetime64[M]").astype("datetime64[D]") + rng.integers(4, 25, len(fake_ids))
    fake = pd.DataFrame(
        {
            "enterprise_id": fake_ids,
            "month": month_labels(fake_file - 1),
            "headcount": rng.integers(8, 400, len(fake_ids)).astype(np.float64),
            "avg_wage_vnd": np.round(rng.uniform(5.0e6, 1.1e7, len(fake_ids)), -3),
            "wage_arrears_vnd": np.zeros(len(fake_ids)),
            "wage_arrears_months": np.zeros(len(fake_ids)),
            "layoffs": rng.integers(0, 3, len(fake_ids)).astype(np.float64),
            "reduced_hours_workers": np.zeros(len(fake_ids)),
            "reported_at": _iso(fake_day),
        }
    )
    allrows = pd.concat([ind[fake.columns], fake], ignore_index=True)
    all_file = np.concatenate([file_month, fake_file])

    # Tax codes: ~1% written with spaces or dots.
    id_codes, id_uniques = pd.factorize(allrows["enterprise_id"])
    id_labels = [str(u) for u in id_uniques]
    odd = np.flatnonzero(rng.random(n) < SPACED_TAX_CODE_SHARE)
    sep = rng.integers(0, 2, odd.size)
    for r, s in zip(odd, sep, strict=True):
        code = id_labels[id_codes[r]]
        glue = " ."[s]
        id_labels.append(f"{code[:4]}{glue}{code[4:7]}{glue}{code[7:]}")
        id_codes[r] = len(id_labels) - 1
    name_codes = np.concatenate([ent_idx, np.arange(len(fake_names)) + names.size])
    name_labels = [str(x) for x in names] + fake_names

    h = spec.labour_headers
    columns: dict[str, pa.Array] = {
        h["enterprise_id"]: _take(id_labels, id_codes),
        spec.labour_name: _take(name_labels, name_codes),
        h["month"]: _text(allrows["month"], lambda m: f"{m[5:7]}/{m[:4]}"),
        **{h[f]: _vi_numbers(allrows[f].to_numpy(dtype=np.float64)) for f in LABOUR_FIELDS},
        h["reported_at"]: _text(allrows["reported_at"], _vi_date),
    }
    table = pa.table(columns)
    header = list(columns)
    quoted = _needs_quoting(name_labels, spec.labour_delimiter)  # ids, numbers and dates never do

    order = np.argsort(all_file[:n], kind="stable")
    sorted_file = all_file[:n][order]
    files = np.unique(all_file)
    parts: list[np.ndarray] = []
    for fm in files:
        lo, hi = np.searchsorted(sorted_file, [fm, fm + 1])
        rows = order[lo:hi]
        for j in np.flatnonzero(fake_file == fm):
            rows = np.insert(rows, int(rng.integers(0, rows.size + 1)), n + j)
        parts.append(rows)
    arranged = table.take(pa.array(np.concatenate(parts).astype(np.int64)))  # one take, sliced per file
    paths: list[Path] = []
    offset = 0
    for position, (fm, rows) in enumerate(zip(files, parts, strict=True)):
        progress.advance("labour reports written", position, len(files))
        path = agencies / LABOUR_FILE.format(month=month_labels(np.array([fm]))[0])
        unmatched.extend(
            {
                "file": rel(path),
                "row": 2 + int(k),
                "enterprise_id": fake_ids[rows[k] - n],
                "name": fake_names[rows[k] - n],
                "source": "labour",
            }
            for k in np.flatnonzero(rows >= n)
        )
        part = arranged.slice(offset, rows.size)
        offset += rows.size
        (_write_csv_quoted if quoted else _write_csv_table)(path, header, part, spec.labour_delimiter)
        counts[rel(path)] = int(rows.size)
        paths.append(path)
    return paths


def _write_incidents(inc: pd.DataFrame, ent: pd.DataFrame, spec: _Spec, path: Path, day: dt.date) -> None:
    h = spec.incident_headers
    name_of = pd.Series(ent["name"].to_numpy(), index=ent["enterprise_id"])
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(INCIDENT_SHEET)
    cols = list(h)
    header = [h[c] for c in cols]
    header.insert(cols.index("enterprise_id") + 1, spec.incident_name)
    ws.append(header)

    def date_cell(value: Any) -> WriteOnlyCell | None:
        d = _date_or_none(value)
        if d is None:
            return None
        cell = WriteOnlyCell(ws, value=d)
        cell.number_format = "DD/MM/YYYY"
        return cell

    frame = inc.assign(name=inc["enterprise_id"].map(name_of))
    for rec in frame.to_dict("records"):
        row: list[Any] = []
        for c in cols:
            value = rec[c]
            if c in ("started", "ended", "reported_at"):
                row.append(date_cell(value))
            elif c in spec.incident_values:
                row.append(spec.incident_values[c].get(value) if isinstance(value, str) else None)
            elif c == "participants":
                row.append(_int_or_none(value))
            else:
                row.append(value if isinstance(value, str) else None)
            if c == "enterprise_id":
                row.append(rec["name"])
        _append(ws, row)
    _save_workbook(wb, path, day)
