"""Bad inputs of the reliability matrix that no other test exercised (docs/reliability.md).

Each case goes through a public entry point (`data.ingest.ingest` into a fresh `Store`) and
asserts the required answer: the whole delivery refused with one line naming the file and
the problem (an `IngestRefused`, nothing stored), or the bad row quarantined with a reason
while the rest is stored. No network, no model: each case runs in well under a second.
"""

from __future__ import annotations

import io
import pickle
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data.errors import EwsError, IngestRefused
from data.ingest import IngestReport, ingest
from data.store import Store

ENTERPRISES = """\
enterprise_id,name,province,district,zone_id,zone_type,sector,ownership,founded,closed
0800123456,"Công ty TNHH May Việt, Hải Dương",Hải Dương,Cẩm Giàng,KCN-DA,industrial_zone,14,fdi,2010-05-01,
0100000001,Công ty B,Hà Nội,,,outside,26,private,,
"""

IND_HEADER = (
    "enterprise_id,month,headcount,avg_wage_vnd,wage_arrears_vnd,wage_arrears_months,"
    "insurance_debt_vnd,insurance_debt_months,layoffs,reduced_hours_workers,reported_at\n"
)
INDICATORS = (
    IND_HEADER
    + "0800123456,2024-01,1200,7500000,0,0,,,3,0,\n"
    + "0800123456,2024-02,1190,7500000,,1.5,0,0,,,2024-03-15\n"
    + "0100000001,2024-01,50,6000000,0,0,0,0,0,0,2024-02-20\n"
)

INCIDENTS = """\
incident_id,enterprise_id,started,ended,kind,participants,cause,reported_at
I-001,0800123456,2024-03-02,2024-03-04,work_stoppage,300,wage_arrears,
"""

GOOD = {"enterprises": ENTERPRISES, "indicators": INDICATORS, "incidents": INCIDENTS}

WriteSource = Callable[..., Path]


@pytest.fixture
def write_source(tmp_path: Path) -> WriteSource:
    """A delivery folder of the three tables as CSV; ``None`` leaves a table out."""
    counter = iter(range(1_000_000))

    def _write(**overrides: str | None) -> Path:
        folder = tmp_path / f"src{next(counter)}"
        folder.mkdir()
        for name, text in {**GOOD, **overrides}.items():
            if text is not None:
                (folder / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
        return folder

    return _write


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    return tmp_path / "store"


def _refused(source: str, store_root: Path) -> str:
    """Ingest `source`, expect a one-line refusal, and check nothing was stored."""
    with pytest.raises(IngestRefused) as err:
        ingest(source, Store(store_root))
    text = str(err.value)
    assert isinstance(err.value, EwsError)  # the CLI maps it to exit 3 and one line, no traceback
    assert "\n" not in text and "Traceback" not in text
    assert Store(store_root).deliveries().empty
    return text


def _balanced(report: IngestReport) -> None:
    for counts in report.tables.values():
        assert counts.rows_in == counts.accepted + counts.quarantined + counts.unmatched


# ------------------------------------------------------------------------------ B14


def test_b14_an_impossible_number_of_months_of_arrears_is_quarantined(
    write_source: WriteSource, store_root: Path
) -> None:
    body = INDICATORS + "0800123456,2024-03,1000,,,700,,,,,\n"
    store = Store(store_root)
    report = ingest(str(write_source(indicators=body)), store, max_bad_share=1.0)
    _balanced(report)
    assert report.tables["indicators"].quarantined == 1
    assert "wage_arrears_months" in str(store.quarantine().at[0, "reason"])


# ------------------------------------------------------------------------------ B25


def test_b25_a_parquet_column_of_lists_is_refused_naming_the_column_and_type(
    write_source: WriteSource, store_root: Path
) -> None:
    folder = write_source(indicators=None)
    frame = pd.read_csv(io.StringIO(INDICATORS), dtype=str, keep_default_na=False)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    lists = pa.array([[1200], [1190], [50]], type=pa.list_(pa.int64()))
    table = table.set_column(table.column_names.index("headcount"), "headcount", lists)
    pq.write_table(table, folder / "indicators.parquet")
    text = _refused(str(folder), store_root)
    assert text.startswith("indicators.parquet: column 'headcount' has unsupported type list"), text


# ------------------------------------------------------------------------------ B26


def test_b26_a_count_beyond_float64_is_quarantined_and_one_beyond_int32_kept_exactly(
    write_source: WriteSource, store_root: Path
) -> None:
    body = INDICATORS + "0800123456,2024-03,3000000000,,,,,,,,\n" + "0100000001,2024-02,1e400,,,,,,,,\n"
    store = Store(store_root)
    report = ingest(str(write_source(indicators=body)), store, max_bad_share=1.0)
    _balanced(report)
    assert (report.tables["indicators"].accepted, report.tables["indicators"].quarantined) == (4, 1)
    quarantined = store.quarantine()
    assert quarantined["reason"].tolist() == ["headcount: must be an integer ≥ 0 (got '1e400')"]
    assert quarantined.at[0, "headcount"] == "1e400"  # the original text is kept
    stored = store.load_indicators()
    march = stored.loc[stored["month"] == pd.Timestamp("2024-03-01"), "headcount"]
    assert march.tolist() == [3_000_000_000.0]  # beyond int32, neither wrapped nor rounded


# ------------------------------------------------------------------------------ B34


class _Payload:
    """Unpickling it creates a file: the proof that the bytes were executed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., object], tuple[Path]]:
        return (Path.touch, (self.marker,))


def test_b34_a_pickle_renamed_parquet_is_refused_and_never_unpickled(
    write_source: WriteSource, store_root: Path, tmp_path: Path
) -> None:
    folder = write_source(indicators=None)
    marker = tmp_path / "executed"
    (folder / "indicators.parquet").write_bytes(pickle.dumps(_Payload(marker)))
    text = _refused(str(folder), store_root)
    assert text.startswith("indicators.parquet: unreadable or corrupt Parquet file"), text
    assert not marker.exists()


# ------------------------------------------------------------------------------ B37


def test_b37_a_database_table_with_no_rows_is_refused_not_an_empty_delivery(
    store_root: Path, tmp_path: Path
) -> None:
    db = tmp_path / "agency.db"
    with sqlite3.connect(db) as con:
        for name, text in GOOD.items():
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).replace("", None)
            if name == "enterprises":
                frame = frame.head(0)  # the view exists, the query returns nothing
            frame.to_sql(name, con, index=False)
    text = _refused(f"sqlite:///{db}", store_root)
    assert text == "table 'enterprises': no data rows (empty or header only)", text
