"""Deliveries that are wrong as a whole though every row may be fine (docs/reliability.md):

* B24, a file still being written upstream: a writer appends to, cuts or replaces the file
  in the middle of the read (deterministically: the read is hooked, and a writer thread or
  the hook itself writes). `ews ingest` and `ews pull` (local files and a web server on
  127.0.0.1) must refuse it in one line and store nothing; delivered again once complete,
  it is stored.
* B27, a volume collapse or explosion: a month naming under 50 % or over 3x the enterprises
  of the previous month known for the table (contract form) or the source (agency pull) is
  refused in one line naming the counts and the months, exit status 3, nothing stored,
  unless `--accept-volume`. What is legitimate goes through: a first delivery, late rows
  and corrections of a known month, deliveries of different columns in the contract form.
"""

from __future__ import annotations

import functools
import http.server
import io
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fsspec
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cli.main import app, exit_status
from data.agency import FetchFailed
from data.errors import IngestRefused
from data.ingest import CHANGED_WHILE_READ, ingest
from data.pull import pull_source
from data.sources import load_sources
from data.store import Store

runner = CliRunner()

ENTERPRISE_HEADER = "enterprise_id,name,province,district,zone_id,zone_type,sector,ownership,founded,closed\n"
INDICATOR_HEADER = (
    "enterprise_id,month,headcount,avg_wage_vnd,wage_arrears_vnd,wage_arrears_months,"
    "insurance_debt_vnd,insurance_debt_months,layoffs,reduced_hours_workers,reported_at\n"
)
INCIDENT_HEADER = "incident_id,enterprise_id,started,ended,kind,participants,cause,reported_at\n"
FIRMS = 400


def _id(i: int) -> str:
    return f"08{i:08d}"


def _enterprises(n: int = FIRMS) -> str:
    return ENTERPRISE_HEADER + "".join(
        f"{_id(i)},Công ty {i},Hải Dương,Cẩm Giàng,,outside,14,fdi,2010-01-01,\n" for i in range(n)
    )


def _labour_row(i: int, month: str) -> str:
    return f"{_id(i)},{month},{100 + i},7500000,0,0,,,0,0,\n"


def _insurance_row(i: int, month: str) -> str:
    return f"{_id(i)},{month},,,,,{1000 * (i + 1)},1,,,\n"


def _contract(folder: Path, indicators: str) -> Path:
    """A contract-form delivery: the registry of FIRMS firms, ``indicators``, no incidents."""
    folder.mkdir(parents=True)
    (folder / "enterprises.csv").write_text(_enterprises(), encoding="utf-8")
    (folder / "indicators.csv").write_text(INDICATOR_HEADER + indicators, encoding="utf-8")
    (folder / "incidents.csv").write_text(INCIDENT_HEADER, encoding="utf-8")
    return folder


def _months(counts: dict[str, int], row: Callable[[int, str], str] = _labour_row) -> str:
    return "".join(row(i, month) for month, n in counts.items() for i in range(n))


def _committed(store: Store) -> int:
    return len(store.manifests())


# ================================================================ B24: ews ingest


@pytest.mark.parametrize("cut", [False, True], ids=["whole rows appended", "a row cut in the middle"])
def test_b24_a_csv_a_writer_appends_to_while_ingest_reads_it_is_refused_then_taken_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: bool
) -> None:
    folder = _contract(tmp_path / "delivery", _months({"2024-01": 30}))
    target = folder / "indicators.csv"
    late = _labour_row(30, "2024-01") + _labour_row(31, "2024-01")
    written = late[: len(late) // 2 + 3] if cut else late
    in_the_middle, appended = threading.Event(), threading.Event()

    def writer() -> None:  # the upstream exporter, still writing
        assert in_the_middle.wait(10)
        with target.open("a", encoding="utf-8") as fh:
            fh.write(written)
        appended.set()

    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self != target:
            return real_read_bytes(self)
        with open(self, "rb") as fh:  # the ingest's read, paused half way for the writer
            head = fh.read(self.stat().st_size // 2)
            in_the_middle.set()
            assert appended.wait(10)
            return head + fh.read()

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    thread = threading.Thread(target=writer)
    thread.start()
    store = Store(tmp_path / "store")
    with pytest.raises(IngestRefused) as refused:
        ingest(str(folder), store)
    thread.join()
    assert str(refused.value) == f"indicators.csv: {CHANGED_WHILE_READ}"
    assert exit_status(refused.value) == 3
    assert _committed(store) == 0

    # The writer finishes; the file, delivered again complete, is taken whole.
    monkeypatch.undo()
    if cut:
        with target.open("a", encoding="utf-8") as fh:
            fh.write(late[len(written) :])
    report = ingest(str(folder), store)
    assert report.status == "stored" and report.tables["indicators"].accepted == 32


def _write_parquet(path: Path, n: int) -> None:
    frame = pd.read_csv(io.StringIO(INDICATOR_HEADER + _months({"2024-01": n})), dtype="str")
    frame.to_parquet(path, index=False)


@pytest.mark.parametrize("writer", ["half written", "rewritten larger", "replaced by a rename"])
def test_b24_a_parquet_file_rewritten_during_the_read_is_refused_naming_the_real_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    folder = _contract(tmp_path / "delivery", "")
    (folder / "indicators.csv").unlink()
    target = folder / "indicators.parquet"
    _write_parquet(target, 30)
    real_read_table = pq.read_table

    def read_table(source: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(str(source)) != target:
            return real_read_table(source, *args, **kwargs)
        if writer == "half written":  # the exporter rewrites it; half is on disk so far
            data = target.read_bytes()
            target.write_bytes(data[: len(data) // 2])
            return real_read_table(source, *args, **kwargs)
        table = real_read_table(source, *args, **kwargs)  # read whole, then the writer goes on
        if writer == "rewritten larger":
            _write_parquet(target, 40)
        else:
            _write_parquet(tmp_path / "next.parquet", 30)
            os.replace(tmp_path / "next.parquet", target)
        return table

    monkeypatch.setattr(pq, "read_table", read_table)
    store = Store(tmp_path / "store")
    with pytest.raises(IngestRefused) as refused:
        ingest(str(folder), store)
    # A half-written Parquet file reads as corrupt: the refusal names the cause, the writer.
    assert str(refused.value) == f"indicators.parquet: {CHANGED_WHILE_READ}"
    assert _committed(store) == 0


# ================================================================== B24: ews pull

REGISTRY = "enterprise_id,name,province,zone_type,sector,ownership\n" + "".join(
    f"{_id(i)},Công ty {i},Hải Dương,outside,14,fdi\n" for i in range(FIRMS)
)


def _sources(labour: str) -> str:
    return f"""
[sources.registry]
table = "enterprises"
location = "registry.csv"
format = "csv"
[sources.registry.columns]
enterprise_id = "enterprise_id"
name = "name"
province = "province"
zone_type = "zone_type"
sector = "sector"
ownership = "ownership"

[sources.labour]
table = "indicators"
location = "{labour}"
format = "csv"
delimiter = ";"
reported_at = {{ fetch = true }}
formats = {{ month = "%m/%Y" }}
[sources.labour.columns]
"Mã số thuế" = "enterprise_id"
"Tháng" = "month"
"Số lao động" = "headcount"
"""


def _labour_file(path: Path, month: str, ids: range) -> Path:
    """A labour department report: ``month`` as YYYY-MM, one row per enterprise of ``ids``."""
    shown = f"{month[5:]}/{month[:4]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{_id(i)};{shown};{100 + i}\n" for i in ids)
    path.write_text("Mã số thuế;Tháng;Số lao động\n" + rows, encoding="utf-8")
    return path


@pytest.fixture
def agency(tmp_path: Path) -> Path:
    """A sources file with the registry and the labour department's reports (labour/*.csv)."""
    root = tmp_path / "agency"
    root.mkdir()
    (root / "registry.csv").write_text(REGISTRY, encoding="utf-8")
    (root / "sources.toml").write_text(_sources("labour/*.csv"), encoding="utf-8")
    return root


class _AppendedWhileRead:
    """An fsspec open file whose read is paused half way while a writer appends to ``target``."""

    def __init__(self, opened: Any, target: Path, text: str) -> None:
        self._opened, self._target, self._text = opened, target, text

    def __enter__(self) -> _AppendedWhileRead:
        self._fh = self._opened.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._opened.__exit__(*exc)

    def read(self, size: int = -1) -> bytes:
        head = self._fh.read(self._target.stat().st_size // 2)
        with self._target.open("a", encoding="utf-8") as fh:  # the upstream writer
            fh.write(self._text)
        return bytes(head + self._fh.read(size - len(head) if size > 0 else -1))


def _append_while_reading(monkeypatch: pytest.MonkeyPatch, name: str, target: Path, text: str) -> None:
    """Every fsspec read of a file named ``name`` lets a writer append ``text`` to ``target`` half way."""
    real_open = fsspec.open

    def opening(url: str, *args: Any, **kwargs: Any) -> Any:
        opened = real_open(url, *args, **kwargs)
        return _AppendedWhileRead(opened, target, text) if str(url).endswith(name) else opened

    monkeypatch.setattr(fsspec, "open", opening)


def test_b24_a_pulled_file_a_writer_appends_to_while_it_is_read_is_refused_then_taken_whole(
    agency: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = load_sources(agency / "sources.toml")
    store, home = Store(tmp_path / "store"), tmp_path
    pull_source(sources, "registry", store, home)
    target = _labour_file(agency / "labour" / "2024-01.csv", "2024-01", range(30))
    _append_while_reading(monkeypatch, "2024-01.csv", target, f"{_id(30)};01/2024;130\n")
    report = pull_source(sources, "labour", store, home).to_json()
    assert report["refused"] == [f"source labour: {target}: {CHANGED_WHILE_READ}"]
    assert report["status"] == "refused" and store.stored_indicator_rows().empty
    assert exit_status(FetchFailed(report["refused"][0])) == 3

    monkeypatch.undo()
    again = pull_source(sources, "labour", store, home).to_json()
    assert again["status"] == "stored" and again["tables"]["indicators"]["accepted"] == 31


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An http server on 127.0.0.1 serving a folder: its URL and the folder."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    thread.join()


def test_b24_a_file_on_a_web_server_that_grows_while_it_is_fetched_is_refused(
    web: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A remote file: the server's size (and Last-Modified, ETag) before and after the fetch."""
    url, www = web
    (tmp_path / "registry.csv").write_text(REGISTRY, encoding="utf-8")
    (tmp_path / "sources.toml").write_text(_sources(f"{url}/labour.csv"), encoding="utf-8")
    sources = load_sources(tmp_path / "sources.toml")
    store, home = Store(tmp_path / "store"), tmp_path
    pull_source(sources, "registry", store, home)
    served = _labour_file(www / "labour.csv", "2024-01", range(30))

    _append_while_reading(monkeypatch, "/labour.csv", served, f"{_id(30)};01/2024;130\n")
    report = pull_source(sources, "labour", store, home).to_json()
    assert report["refused"] == [f"source labour: {url}/labour.csv: {CHANGED_WHILE_READ}"]
    assert store.stored_indicator_rows().empty

    # Unchanged while fetched: stored (the check does not refuse a quiet remote file).
    monkeypatch.undo()
    again = pull_source(sources, "labour", store, home).to_json()
    assert again["status"] == "stored" and again["tables"]["indicators"]["accepted"] == 31


# ============================================================= B27: contract form


def test_b27_a_collapsed_month_in_the_contract_form_is_refused_unless_accepted(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    first = ingest(str(_contract(tmp_path / "d1", _months({"2024-01": 200, "2024-02": 210}))), store)
    assert first.status == "stored"  # a first delivery: its months are judged among themselves

    cut = _contract(tmp_path / "d2", _months({"2024-03": 90}))
    with pytest.raises(IngestRefused) as refused:
        ingest(str(cut), store)
    line = str(refused.value)
    assert line == (
        "indicators.csv: volume collapse: 2024-03 names 90 enterprises, 43% of the 210 of 2024-02 "
        "(the previous month known from source 'contract'; below 50% is refused); nothing stored — "
        "check the export, or rerun with --accept-volume if the change is real"
    )
    assert exit_status(refused.value) == 3
    assert _committed(store) == 1 and "2024-03" not in set(
        store.stored_indicator_rows()["month"].dt.strftime("%Y-%m")
    )

    accepted = ingest(str(cut), store, accept_volume=True)
    assert accepted.status == "stored" and accepted.new_rows["indicators"] == 90
    assert store.manifests()[-1]["volume_accepted"] == [
        "volume collapse: 2024-03 names 90 enterprises, 43% of the 210 of 2024-02"
    ]


def test_b27_an_exploded_month_is_refused_and_the_check_judges_only_new_months(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    ingest(str(_contract(tmp_path / "d1", _months({"2024-01": 100, "2024-02": 100}))), store)
    # A file appended twice over, or another province's rows: four times the month before.
    with pytest.raises(
        IngestRefused, match=r"volume explosion: 2024-03 names 400 enterprises, 400% of the 100"
    ):
        ingest(str(_contract(tmp_path / "d2", _months({"2024-03": 400}))), store)
    # Legitimate: the next month in step, then a correction re-delivering five rows of an
    # old month (revisions with a later reported_at), then late rows of a known month.
    assert ingest(str(_contract(tmp_path / "d3", _months({"2024-03": 104}))), store).status == "stored"
    fixes = "".join(f"{_id(i)},2024-01,{90 + i},7400000,0,0,,,0,0,2024-04-30\n" for i in range(5))
    assert ingest(str(_contract(tmp_path / "d4", fixes)), store).status == "stored"
    late = "".join(_labour_row(i, "2024-02") for i in range(100, 380))
    assert ingest(str(_contract(tmp_path / "d5", late)), store).status == "stored"


def test_b27_contract_deliveries_of_different_columns_are_compared_like_with_like(tmp_path: Path) -> None:
    """The amendment lets each agency deliver its own columns in the contract form: a debtor
    list of 30 firms is compared with earlier rows stating insurance, not with the 300 firms
    of the labour reports."""
    store = Store(tmp_path / "store")
    labour = {"2024-01": 300, "2024-02": 300}
    debtors = {"2024-01": 30, "2024-02": 32}
    both = _months(labour) + _months(debtors, _insurance_row)
    ingest(str(_contract(tmp_path / "d1", both)), store)
    assert ingest(
        str(_contract(tmp_path / "d2", _months({"2024-03": 31}, _insurance_row))), store
    ).status == ("stored")
    assert ingest(str(_contract(tmp_path / "d3", _months({"2024-03": 305}))), store).status == "stored"
    # The labour reports of April cut to a tenth are still caught.
    with pytest.raises(IngestRefused, match=r"2024-04 names 30 enterprises, 10% of the 305 of 2024-03"):
        ingest(str(_contract(tmp_path / "d4", _months({"2024-04": 30}))), store)


# ================================================================ B27: agency pull


def test_b27_a_pulled_file_whose_month_collapses_is_refused_alone_unless_accepted(
    agency: Path, tmp_path: Path
) -> None:
    sources = load_sources(agency / "sources.toml")
    store, home = Store(tmp_path / "store"), tmp_path
    pull_source(sources, "registry", store, home)
    _labour_file(agency / "labour" / "2024-01.csv", "2024-01", range(100))
    _labour_file(agency / "labour" / "2024-02.csv", "2024-02", range(102))
    cut = _labour_file(agency / "labour" / "2024-03.csv", "2024-03", range(35))
    # A late file of the labour department: five reports of January, nothing newer.
    _labour_file(agency / "labour" / "2024-04-late.csv", "2024-01", range(100, 105))
    report = pull_source(sources, "labour", store, home).to_json()
    assert report["refused"] == [
        f"source labour: {cut}: volume collapse: 2024-03 names 35 enterprises, 34% of the 102 of "
        "2024-02 (the previous month known from source 'labour'; below 50% is refused); nothing "
        "stored — check the export, or rerun with --accept-volume if the change is real"
    ]
    stored = [Path(f["file"]).name for f in report["files"] if f["status"] == "stored"]
    assert stored == ["2024-01.csv", "2024-02.csv", "2024-04-late.csv"]
    months = set(store.stored_indicator_rows()["month"].dt.strftime("%Y-%m"))
    assert months == {"2024-01", "2024-02"}

    again = pull_source(sources, "labour", store, home, accept_volume=True).to_json()
    assert not again["refused"] and [f["status"] for f in again["files"]].count("stored") == 1
    assert store.manifests()[-1]["volume_accepted"] == [
        "volume collapse: 2024-03 names 35 enterprises, 34% of the 102 of 2024-02"
    ]


def test_b27_the_volume_of_one_source_is_not_judged_against_another(agency: Path, tmp_path: Path) -> None:
    """Each source against its own earlier files: the 30 firms a second office reports on
    are not a collapse of the 300 the first one reports on (same field, other firms)."""
    text = (agency / "sources.toml").read_text(encoding="utf-8")
    text += (
        text[text.index("[sources.labour]") :]
        .replace("[sources.labour", "[sources.north")
        .replace("labour/*.csv", "north/*.csv")
    )
    (agency / "sources.toml").write_text(text, encoding="utf-8")
    sources = load_sources(agency / "sources.toml")
    store, home = Store(tmp_path / "store"), tmp_path
    pull_source(sources, "registry", store, home)
    _labour_file(agency / "labour" / "2024-01.csv", "2024-01", range(300))
    _labour_file(agency / "north" / "2024-01.csv", "2024-01", range(300, 330))
    _labour_file(agency / "north" / "2024-02.csv", "2024-02", range(300, 328))
    for name in ("labour", "north"):
        report = pull_source(sources, name, store, home).to_json()
        assert not report["refused"] and report["status"] == "stored", report
    # The first office's February, at 10 % of its own January, is caught.
    _labour_file(agency / "labour" / "2024-02.csv", "2024-02", range(30))
    (line,) = pull_source(sources, "labour", store, home).to_json()["refused"]
    assert "2024-02 names 30 enterprises, 10% of the 300 of 2024-01" in line


# ========================================================= B27: the commands' flag


def test_b27_ews_ingest_exits_3_in_one_line_and_stores_with_accept_volume(
    workspace: Path, tmp_path: Path
) -> None:
    assert (
        runner.invoke(app, ["ingest", str(_contract(tmp_path / "d1", _months({"2024-01": 100})))]).exit_code
        == 0
    )
    cut = str(_contract(tmp_path / "d2", _months({"2024-02": 20})))
    refused = runner.invoke(app, ["ingest", cut])
    assert refused.exit_code == 3
    (line,) = refused.stderr.strip().splitlines()
    assert "volume collapse: 2024-02 names 20 enterprises, 20% of the 100 of 2024-01" in line
    assert len(Store(workspace / "store").manifests()) == 1
    accepted = runner.invoke(app, ["ingest", cut, "--accept-volume"])
    assert accepted.exit_code == 0, accepted.output
    assert len(Store(workspace / "store").manifests()) == 2


def test_b27_ews_pull_exits_3_and_stores_with_accept_volume(agency: Path, workspace: Path) -> None:
    _labour_file(agency / "labour" / "2024-01.csv", "2024-01", range(100))
    _labour_file(agency / "labour" / "2024-02.csv", "2024-02", range(350))
    sources = str(agency / "sources.toml")
    refused = runner.invoke(app, ["pull", "--sources", sources])
    assert refused.exit_code == 3
    assert "volume explosion: 2024-02 names 350 enterprises, 350% of the 100 of 2024-01" in refused.stderr
    accepted = runner.invoke(app, ["pull", "--sources", sources, "--accept-volume"])
    assert accepted.exit_code == 0, accepted.output
    months = set(Store(workspace / "store").stored_indicator_rows()["month"].dt.strftime("%Y-%m"))
    assert months == {"2024-01", "2024-02"}
