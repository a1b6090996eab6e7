"""Ingestion: whole-delivery refusals, row quarantine, formats, idempotency."""

from __future__ import annotations

import hashlib
import random
import sqlite3
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.errors import EwsError, IngestRefused
from data.ingest import IngestReport, ingest, read_source
from data.store import Store

IND_HEADER = (
    "enterprise_id,month,headcount,avg_wage_vnd,wage_arrears_vnd,wage_arrears_months,"
    "insurance_debt_vnd,insurance_debt_months,layoffs,reduced_hours_workers,"
    "reported_at\n"
)


def tree_digest(root: Path) -> str:
    """Hash of every file name and byte under root (to prove 'nothing changed')."""
    h = hashlib.sha256()
    if root.exists():
        for p in sorted(root.rglob("*")):
            if p.is_file() and p.name != ".lock":
                h.update(str(p.relative_to(root)).encode())
                h.update(p.read_bytes())
    return h.hexdigest()


def assert_balanced(report: IngestReport) -> None:
    for counts in report.tables.values():
        assert counts.rows_in == counts.accepted + counts.quarantined


# ------------------------------------------------------------------ the happy path


def test_contract_source_ingests_every_row(write_source, store_root):
    store = Store(store_root)
    report = ingest(str(write_source()), store)
    assert report.status == "stored"
    assert {t: c.quarantined for t, c in report.tables.items()} == {
        "enterprises": 0,
        "indicators": 0,
        "incidents": 0,
    }
    assert report.new_rows == {"enterprises": 3, "indicators": 4, "incidents": 2}
    js = report.to_json()
    assert set(js) == {"delivery_id", "source", "status", "tables", "new_rows"}
    assert all(set(v) == {"rows_in", "accepted", "quarantined", "unmatched"} for v in js["tables"].values())

    ent = store.load_enterprises()
    assert ent["enterprise_id"].tolist() == ["0100000001", "0300000002", "0800123456"]
    names = dict(zip(ent["enterprise_id"], ent["name"], strict=True))
    assert names["0100000001"] == '=HYPERLINK("http://x","y")'
    assert names["0300000002"] == "x'); DROP TABLE t;--"
    assert names["0800123456"] == "Công ty TNHH May Việt, Hải Dương"
    assert pd.isna(ent.set_index("enterprise_id").at["0100000001", "district"])
    assert ent["closed"].dtype == "datetime64[ns]"

    ind = store.load_indicators()
    row = ind[(ind.enterprise_id == "0800123456") & (ind.month == "2024-01-01")].iloc[0]
    assert np.isnan(row["insurance_debt_vnd"])  # empty stays missing, never zero
    assert row["wage_arrears_vnd"] == 0.0
    assert row["reported_at"] == pd.Timestamp("2024-02-20")  # Jan 31 + 20 days
    assert bool(row["reported_at_imputed"]) is True
    assert ind["reported_at_imputed"].sum() == 1

    inc = store.load_incidents().set_index("incident_id")
    assert inc.at["I-001", "reported_at"] == pd.Timestamp("2024-03-02")  # default: started
    assert np.isnan(inc.at["I-002", "participants"]) and pd.isna(inc.at["I-002", "cause"])


def test_bom_crlf_and_quoted_newlines_ingest_whole(write_source, store_root, good_tables):
    ent = good_tables["enterprises"].replace(
        '"Công ty TNHH May Việt, Hải Dương"', '"Công ty ""Việt""\nline two, ok"'
    )
    raw = {
        t: ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8")
        for t, text in {**good_tables, "enterprises": ent}.items()
    }
    store = Store(store_root)
    report = ingest(str(write_source(raw)), store)
    assert report.tables["enterprises"].accepted == 3
    assert report.tables["indicators"].accepted == 4
    names = store.load_enterprises().set_index("enterprise_id")["name"]
    assert names["0800123456"] == 'Công ty "Việt"\r\nline two, ok'
    assert list(store.load_enterprises().columns)[0] == "enterprise_id"  # BOM stripped


def test_column_order_does_not_matter(write_source, store_root, good_tables):
    frame = pd.read_csv(pd.io.common.StringIO(good_tables["indicators"]), dtype=str, keep_default_na=False)
    shuffled = frame[list(reversed(frame.columns))].to_csv(index=False)
    a = Store(store_root / "a")
    b = Store(store_root / "b")
    ingest(str(write_source()), a)
    ingest(str(write_source(indicators=shuffled)), b)
    assert a.content_digest() == b.content_digest()


def test_absent_optional_column_is_missing(write_source, store_root, good_tables):
    lines = good_tables["incidents"].splitlines()
    no_cause = (
        "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 6) for line in lines) + "\n"
    )
    store = Store(store_root)
    ingest(str(write_source(incidents=no_cause)), store)
    assert store.load_incidents()["cause"].isna().all()


def _write_parquet_source(folder: Path, good_tables: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in good_tables.items():
        frame = pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False)
        frame = frame.replace("", None)
        if name == "indicators":  # typed columns must be canonicalised to the same text
            for c in ("headcount", "layoffs", "reduced_hours_workers", "avg_wage_vnd"):
                frame[c] = pd.to_numeric(frame[c])
            frame["month"] = pd.to_datetime(frame["month"], format="%Y-%m")
        if name == "incidents":
            frame["started"] = pd.to_datetime(frame["started"]).dt.date
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"{name}.parquet")
    return folder


def test_parquet_source_equals_csv_source(write_source, store_root, good_tables, tmp_path):
    a, b = Store(store_root / "csv"), Store(store_root / "pq")
    ra = ingest(str(write_source()), a)
    rb = ingest(str(_write_parquet_source(tmp_path / "pq", good_tables)), b)
    assert rb.tables["indicators"].accepted == 4
    assert a.content_digest() == b.content_digest()
    assert ra.delivery_id == rb.delivery_id  # same content, any format
    assert b.load_enterprises()["enterprise_id"].iloc[0] == "0100000001"


def test_sqlite_source(store_root, good_tables, tmp_path):
    db = tmp_path / "src.db"
    with sqlite3.connect(db) as con:
        for name, text in good_tables.items():
            frame = pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False)
            frame = frame.replace("", None)
            if name == "indicators":
                frame["headcount"] = frame["headcount"].astype(int)
            frame.to_sql(name, con, index=False)
    store = Store(store_root)
    report = ingest(f"sqlite:///{db}", store)
    assert report.new_rows == {"enterprises": 3, "indicators": 4, "incidents": 2}
    assert report.source.startswith("sqlite:///")
    assert store.load_indicators()["headcount"].tolist() == [50.0, 800.0, 1200.0, 1190.0]
    assert "0800123456" in store.load_enterprises()["enterprise_id"].tolist()


def test_repeated_delivery_changes_nothing(write_source, store_root):
    store = Store(store_root)
    src = str(write_source())
    first = ingest(src, store)
    before = tree_digest(store_root)
    again = ingest(src, store)
    assert again.status == "unchanged"
    assert again.new_rows == {"enterprises": 0, "indicators": 0, "incidents": 0}
    assert again.delivery_id == first.delivery_id
    assert tree_digest(store_root) == before
    assert len(store.deliveries()) == 1


def test_revision_kept_beside_original(write_source, store_root):
    store = Store(store_root)
    ingest(str(write_source()), store)
    revision = IND_HEADER + "0800123456,2024-01,1180,7500000,50000000,1,,,3,0,2024-03-10\n"
    report = ingest(str(write_source(indicators=revision)), store)
    assert report.new_rows["indicators"] == 1
    ind = store.load_indicators()
    jan = ind[(ind.enterprise_id == "0800123456") & (ind.month == "2024-01-01")]
    assert jan["reported_at"].tolist() == [pd.Timestamp("2024-02-20"), pd.Timestamp("2024-03-10")]
    assert jan["headcount"].tolist() == [1200.0, 1180.0]


def test_later_delivery_updates_enterprise(write_source, store_root, good_tables):
    store = Store(store_root)
    ingest(str(write_source()), store)
    closed = good_tables["enterprises"].replace("fdi,2010-05-01,", "fdi,2010-05-01,2025-01-31")
    report = ingest(str(write_source(enterprises=closed)), store)
    assert report.new_rows["enterprises"] == 1
    ent = store.load_enterprises().set_index("enterprise_id")
    assert ent.at["0800123456", "closed"] == pd.Timestamp("2025-01-31")
    assert len(ent) == 3


def test_exact_duplicates_accepted_but_added_once(write_source, store_root, good_tables):
    line = good_tables["indicators"].splitlines()[1]
    store = Store(store_root)
    report = ingest(str(write_source(indicators=good_tables["indicators"] + line + "\n")), store)
    assert report.tables["indicators"] == report.tables["indicators"].__class__(5, 5, 0)
    assert report.new_rows["indicators"] == 4
    # the same rows in a later delivery add nothing either
    again = ingest(str(write_source(indicators=IND_HEADER + line + "\n")), store)
    assert again.new_rows["indicators"] == 0
    assert again.status == "unchanged"


# ------------------------------------------------------------ whole-delivery refusal


def _ind(*rows: str) -> str:
    return IND_HEADER + "".join(r + "\n" for r in rows)


REFUSALS = {
    "empty file": ({"indicators": b""}, "indicators.csv: file is empty"),
    "header only": ({"indicators": IND_HEADER}, "indicators.csv: no data rows"),
    "missing table": ({"incidents": None}, "missing table file incidents.csv"),
    "not utf-8": (
        {"enterprises": b"enterprise_id,name\n" + b"1,\xff\xfe\n"},
        "enterprises.csv: not valid UTF-8 at byte 21",
    ),
    "cp1258 export": (
        {"enterprises": "enterprise_id,name\n1,Công ty\n".encode("cp1258")},
        "enterprises.csv: not valid UTF-8 at byte 22 (byte 0xf4)",
    ),
    "semicolon delimiter": (
        {"indicators": IND_HEADER.replace(",", ";") + "0800123456;2024-01;1;;;;;;;;\n"},
        "indicators.csv: only one column found, header splits on ';'",
    ),
    "missing required column": (
        {"indicators": IND_HEADER.replace("month", "Month") + "0800123456,2024-01,1,,,,,,,,\n"},
        "indicators.csv: missing required column 'month' (did you mean 'Month'",
    ),
    "duplicate column": (
        {
            "incidents": "incident_id,enterprise_id,started,kind,kind\n"
            "I-1,0800123456,2024-01-01,petition,petition\n"
        },
        "incidents.csv: duplicate column name(s) 'kind'",
    ),
    "label-like extra column": (
        {
            "indicators": IND_HEADER.replace("reported_at\n", "reported_at,risk_label\n")
            + "0800123456,2024-01,1,,,,,,,,,1\n"
        },
        "indicators.csv: unknown column 'risk_label'",
    ),
    "ragged row": ({"indicators": _ind("0800123456,2024-01,1,,,")}, "indicators.csv: malformed CSV"),
    "binary garbage": ({"indicators": b"PK\x03\x04\x00\x00garbage\x00"}, "indicators.csv: binary content"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_malformed_delivery_is_refused(case, write_source, store_root):
    tables, message = REFUSALS[case]
    with pytest.raises(IngestRefused) as err:
        ingest(str(write_source(tables)), Store(store_root))
    text = str(err.value)
    assert message in text, text
    assert "\n" not in text
    assert isinstance(err.value, EwsError)
    assert not (store_root / "deliveries").exists() or not any((store_root / "deliveries").iterdir())


def test_refusals_for_paths_urls_and_parquet(tmp_path, store_root, good_tables):
    store = Store(store_root)
    with pytest.raises(IngestRefused, match="no such folder"):
        ingest(str(tmp_path / "nope"), store)
    with pytest.raises(IngestRefused, match="cannot open database URL|cannot read database"):
        ingest("nosuchdialect://x/y", store)
    with pytest.raises(IngestRefused, match="cannot read database|missing table"):
        ingest(f"sqlite:///{tmp_path}/missing_dir/x.db", store)
    empty_db = tmp_path / "empty.db"
    sqlite3.connect(empty_db).close()
    with pytest.raises(IngestRefused, match="missing table 'enterprises'"):
        ingest(f"sqlite:///{empty_db}", store)
    folder = _write_parquet_source(tmp_path / "pq", good_tables)
    data = (folder / "indicators.parquet").read_bytes()
    (folder / "indicators.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestRefused, match="indicators.parquet: unreadable or corrupt"):
        ingest(str(folder), store)
    assert store.deliveries().empty


def test_too_many_bad_rows_refuses_delivery(write_source, store_root):
    bad = _ind("0800123456,2024-01,-5,,,,,,,,", "0800123456,2024-02,10,,,,,,,,")
    with pytest.raises(
        IngestRefused,
        match=r"indicators.csv: 1 of 2 rows \(50.0%\) are "
        r"invalid, above max_bad_share 5%",
    ):
        ingest(str(write_source(indicators=bad)), Store(store_root))
    assert not (store_root / "deliveries").exists()


# ---------------------------------------------------------------------- quarantine

QUARANTINE = {
    "negative count": (_ind("0800123456,2024-01,-5,,,,,,,,"), "headcount: must be an integer ≥ 0 (got '-5')"),
    "text in number": (
        _ind("0800123456,2024-01,12 345,,,,,,,,"),
        "headcount: must be an integer ≥ 0 (got '12 345')",
    ),
    "fractional count": (
        _ind("0800123456,2024-01,10.5,,,,,,,,"),
        "headcount: must be an integer ≥ 0 (got '10.5')",
    ),
    "missing required": (_ind("0800123456,,10,,,,,,,,"), "month: required value missing"),
    "non-finite": (
        _ind("0800123456,2024-01,10,inf,,,,,,,"),
        "avg_wage_vnd: must be a finite number ≥ 0 (got 'inf')",
    ),
    "nan text": (
        _ind("0800123456,2024-01,10,NaN,,,,,,,"),
        "avg_wage_vnd: must be a finite number ≥ 0 (got 'NaN')",
    ),
    "bad month": (_ind("0800123456,2024-13,10,,,,,,,,"), "month: must be a month YYYY-MM (got '2024-13')"),
    "not a calendar date": (
        _ind("0800123456,2024-01,10,,,,,,,,2023-02-30"),
        "reported_at: must be a real date YYYY-MM-DD (got '2023-02-30')",
    ),
    "unknown enterprise": (_ind("999,2024-01,10,,,,,,,,"), "enterprise_id: unknown enterprise '999'"),
    "leading zero lost": (
        _ind("800123456,2024-01,10,,,,,,,,"),
        "enterprise_id: unknown enterprise '800123456'",
    ),
}


@pytest.mark.parametrize("case", sorted(QUARANTINE))
def test_bad_indicator_row_is_quarantined(case, write_source, store_root, good_tables):
    bad_csv, reason = QUARANTINE[case]
    body = good_tables["indicators"] + bad_csv.split("\n", 1)[1]
    store = Store(store_root)
    report = ingest(str(write_source(indicators=body)), store, max_bad_share=1.0)
    assert_balanced(report)
    assert report.tables["indicators"].quarantined == 1
    assert report.tables["indicators"].accepted == 4
    q = store.quarantine()
    assert len(q) == 1
    assert reason in q.at[0, "reason"], q.at[0, "reason"]
    assert q.at[0, "table"] == "indicators"
    assert q.at[0, "delivery_id"] == report.delivery_id
    assert q.at[0, "row_number"] == "5"
    original = bad_csv.splitlines()[1].split(",")
    assert q.at[0, "enterprise_id"] == original[0]
    assert q.at[0, "month"] == original[1] or (original[1] == "" and pd.isna(q.at[0, "month"]))
    assert len(store.load_indicators()) == 4


def test_enterprise_and_incident_row_rules(write_source, store_root, good_tables):
    ent = good_tables["enterprises"] + (
        "E1,A,Hà Nội,,,space_zone,14,fdi,,\n"  # unknown enum
        "E2,B,Hà Nội,,,outside,1,fdi,,\n"  # sector not two characters
        "E3,C,Hà Nội,,,outside,14,fdi,2020-01-01,2019-12-31\n"  # closed before founded
        "E4,D,Hà Nội,,,outside,14,FDI,,\n"  # enum is case-sensitive
    )
    inc = good_tables["incidents"] + (
        "I-003,0800123456,2024-05-01,2024-04-30,slowdown,10,wages,\n"  # ended < started
        "I-004,0800123456,2024-05-01,,strike,10,wages,\n"  # unknown kind
        "I-005,0800123456,2024-05-01,,slowdown,0,wages,\n"  # participants < 1
        "I-006,E1,2024-05-01,,slowdown,5,wages,\n"  # enterprise quarantined → unknown
    )
    store = Store(store_root)
    report = ingest(str(write_source(enterprises=ent, incidents=inc)), store, max_bad_share=1.0)
    assert_balanced(report)
    assert report.tables["enterprises"].quarantined == 4
    assert report.tables["incidents"].quarantined == 4
    reasons = store.quarantine().set_index(["table", "row_number"])["reason"]
    assert reasons["enterprises", "4"].startswith("zone_type: must be one of industrial_zone")
    assert reasons["enterprises", "5"] == "sector: must be a two-digit VSIC level-2 code (got '1')"
    assert reasons["enterprises", "6"] == "closed: must not be before founded"
    assert "ownership: must be one of fdi, private, state (got 'FDI')" in reasons["enterprises", "7"]
    assert reasons["incidents", "3"] == "ended: must not be before started"
    assert "kind: must be one of" in reasons["incidents", "4"]
    assert reasons["incidents", "5"] == "participants: must be an integer ≥ 1 (got '0')"
    assert "unknown enterprise 'E1'" in reasons["incidents", "6"]


def test_conflicting_duplicates_in_delivery_are_all_quarantined(write_source, store_root, good_tables):
    ind = good_tables["indicators"] + (
        "0100000001,2024-02,50,,,,,,,,\n"
        "0100000001,2024-02,51,,,,,,,,\n"  # same key (default reported_at), other value
    )
    ent = good_tables["enterprises"] + ("E9,A,Hà Nội,,,outside,14,fdi,,\nE9,B,Hà Nội,,,outside,14,fdi,,\n")
    store = Store(store_root)
    report = ingest(str(write_source(indicators=ind, enterprises=ent)), store, max_bad_share=1.0)
    assert_balanced(report)
    assert report.tables["indicators"].quarantined == 2
    assert report.tables["enterprises"].quarantined == 2
    assert all("conflicting duplicate" in r for r in store.quarantine()["reason"])
    assert len(store.load_indicators()) == 4


def test_conflict_with_stored_row_is_quarantined(write_source, store_root):
    store = Store(store_root)
    ingest(str(write_source()), store)
    changed = _ind("0100000001,2024-01,49,6000000,0,0,0,0,0,0,2024-02-20", "0100000001,2024-02,50,,,,,,,,")
    report = ingest(str(write_source(indicators=changed)), store, max_bad_share=1.0)
    assert report.tables["indicators"] == report.tables["indicators"].__class__(2, 1, 1)
    assert report.new_rows["indicators"] == 1
    assert "conflicts with a stored row" in store.quarantine().at[0, "reason"]
    kept = store.load_indicators().query("enterprise_id == '0100000001'")
    assert kept["headcount"].tolist() == [50.0, 50.0]


def test_read_source_returns_text_frames(write_source):
    frames = read_source(str(write_source()))
    assert set(frames) == {"enterprises", "indicators", "incidents"}
    ind = frames["indicators"]
    assert pd.api.types.is_string_dtype(ind["headcount"])
    assert ind["enterprise_id"].iloc[0] == "0800123456"
    assert ind["insurance_debt_vnd"].isna().iloc[0]


# ---------------------------------------------------------------- property test

ROW_PERMUTATIONS = st.randoms(use_true_random=False)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(rnd=ROW_PERMUTATIONS)
def test_row_and_column_order_change_nothing(rnd: random.Random, good_tables: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        digests = []
        for shuffle in (False, True):
            folder = Path(tmp) / f"src{shuffle}"
            folder.mkdir()
            for name, text in good_tables.items():
                frame = pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False)
                if shuffle:
                    cols = list(frame.columns)
                    rnd.shuffle(cols)
                    rows = list(range(len(frame)))
                    rnd.shuffle(rows)
                    frame = frame.iloc[rows][cols]
                frame.to_csv(folder / f"{name}.csv", index=False)
            store = Store(Path(tmp) / f"store{shuffle}")
            report = ingest(str(folder), store)
            digests.append((report.delivery_id, store.content_digest()))
        assert digests[0] == digests[1]


def test_incidents_header_only_is_a_month_without_incidents(write_source, tmp_path) -> None:
    """An incidents table with its header and no rows ingests; the other tables still count."""
    header = INCIDENTS_HEADER_ONLY
    store = Store(tmp_path / "store-empty-incidents")
    report = ingest(str(write_source(incidents=header)), store)
    assert report.tables["incidents"].rows_in == 0
    assert report.tables["indicators"].accepted == 4
    assert len(store.load_incidents()) == 0


INCIDENTS_HEADER_ONLY = "incident_id,enterprise_id,started,ended,kind,participants,cause,reported_at\n"


def test_only_regular_files_inside_the_folder_are_read(write_source, store_root, tmp_path):
    import os

    folder = write_source()
    (folder / "indicators.csv").unlink()
    os.mkfifo(folder / "indicators.csv")  # reading a pipe would hang forever
    with pytest.raises(IngestRefused, match="indicators.csv: not a regular file"):
        ingest(str(folder), Store(store_root))
    (folder / "indicators.csv").unlink()
    (folder / "indicators.csv").symlink_to("/dev/zero")  # reading it would fill memory
    with pytest.raises(IngestRefused, match="outside the delivery folder"):
        ingest(str(folder), Store(store_root))
    secret = tmp_path / "secret.txt"
    secret.write_text("root:password-hash\n", encoding="utf-8")
    (folder / "indicators.csv").unlink()
    (folder / "indicators.csv").symlink_to(secret)
    with pytest.raises(IngestRefused) as err:
        ingest(str(folder), Store(store_root))
    assert "outside the delivery folder" in str(err.value) and "password" not in str(err.value)
    assert not store_root.exists()


def test_a_file_or_a_cell_above_the_limits_is_refused(write_source, store_root, good_tables):
    folder = write_source()
    with pytest.raises(IngestRefused, match="above the limit of 100 .EWS_MAX_FILE_MB"):
        ingest(str(folder), Store(store_root), max_file_bytes=100)
    long_name = good_tables["enterprises"].replace("Công ty", "Công ty " + "x" * 5000, 1)
    with pytest.raises(IngestRefused, match="enterprises.csv: column 'name' row 1: a cell of 50"):
        ingest(str(write_source(enterprises=long_name)), Store(store_root), max_cell_bytes=1000)


def test_parquet_ids_must_be_text_and_instants_become_vietnamese_dates(tmp_path, store_root, good_tables):
    import io as _io

    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "pq"
    folder.mkdir()
    for name, text in good_tables.items():
        pd.read_csv(_io.StringIO(text), dtype=str).to_parquet(folder / f"{name}.parquet", index=False)
    inc = pd.read_csv(_io.StringIO(good_tables["incidents"]), dtype=str)
    # 20:00 UTC on 31 March is 03:00 on 1 April in Vietnam.
    started = pd.to_datetime(["2024-03-31T20:00:00Z"] * len(inc), utc=True)
    inc = inc.drop(columns=["started", "ended"], errors="ignore")
    table = pa.Table.from_pandas(inc.assign(started=started), preserve_index=False)
    pq.write_table(table, folder / "incidents.parquet")
    store = Store(store_root)
    ingest(str(folder), store)
    assert set(store.load_incidents()["started"]) == {pd.Timestamp("2024-04-01")}
    ent = pd.read_csv(_io.StringIO(good_tables["enterprises"]), dtype=str)
    ent["enterprise_id"] = ent["enterprise_id"].str.replace(r"\D", "", regex=True).astype("int64")
    ent.to_parquet(folder / "enterprises.parquet", index=False)
    with pytest.raises(IngestRefused, match="'enterprise_id' is stored as int64, not text"):
        ingest(str(folder), Store(tmp_path / "other"))


def test_future_months_and_reports_before_month_end_are_quarantined(write_source, store_root, good_tables):
    body = good_tables["indicators"] + _ind("0800123456,2099-01,10,,,,,,,,").split("\n", 1)[1]
    body += _ind("0800123456,2024-02,10,,,,,,,,2024-02-10").split("\n", 1)[1]
    store = Store(store_root)
    report = ingest(str(write_source(indicators=body)), store, max_bad_share=1.0)
    reasons = " | ".join(store.quarantine()["reason"])
    assert report.tables["indicators"].quarantined == 2
    assert "month: 2099-01 is in the future" in reasons
    assert "reported_at: 2024-02-10 is before the month 2024-02 ended" in reasons
