"""Exports: byte-identical reruns, formula escaping, atomic replacement, manifest last."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import present.exports as exports
from present.exports import ExportError, escape_formula, verify_exports, write_exports

AS_OF = "2026-01-31"


def _ranking(name: str = "Công ty A") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "as_of": [AS_OF] * 4,
            "enterprise_id": ["0800000001", "0800000002", "0800000003", "0800000004"],
            "rank": [1, 2, 3, 4],
            "score": [0.9, 0.5, -0.5, float("nan")],
            "band": ["high", "elevated", "watch", "low"],
            "name": [name, "=cmd|' /C calc'!A0", "-2+3", "@SUM(1)"],
            "reasons": ["nợ lương 3 tháng", "+x", "\tlead", None],
            "model_version": ["7"] * 4,
            "run_id": ["run-1"] * 4,
            "input_digest": ["abc"] * 4,
        }
    )


def test_escape_formula() -> None:
    assert escape_formula("=cmd") == "'=cmd"
    assert escape_formula("-2+3") == "'-2+3"
    assert escape_formula("\rx") == "'\rx"
    assert escape_formula("ok =1") == "ok =1"
    assert escape_formula(-0.5) == -0.5
    assert escape_formula(None) is None


def test_writes_all_files_and_manifest(tmp_path: Path) -> None:
    paths = write_exports(_ranking(), tmp_path, as_of=AS_OF)
    assert {p.name for p in paths.values()} == {
        f"ranking-{AS_OF}.parquet",
        f"ranking-{AS_OF}.csv",
        f"ranking-{AS_OF}.json",
        f"ranking-{AS_OF}.manifest.json",
    }
    manifest = json.loads(paths["manifest"].read_text())
    assert manifest["rows"] == 4 and manifest["model_version"] == "7" and manifest["run_id"] == "run-1"
    assert set(manifest["files"]) == {paths[f].name for f in ("parquet", "csv", "json")}
    assert verify_exports(tmp_path, AS_OF)
    back = pd.read_parquet(paths["parquet"])
    assert back["name"].tolist() == _ranking()["name"].tolist()  # stored verbatim
    records = json.loads(paths["json"].read_text())
    assert records[3]["score"] is None and records[3]["reasons"] is None


def test_csv_escapes_text_not_numbers(tmp_path: Path) -> None:
    csv_path = write_exports(_ranking(), tmp_path, as_of=AS_OF)["csv"]
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(csv_path, encoding="utf-8-sig", dtype={"enterprise_id": str})
    assert frame["name"].tolist() == ["Công ty A", "'=cmd|' /C calc'!A0", "'-2+3", "'@SUM(1)"]
    assert frame["reasons"].tolist()[:3] == ["nợ lương 3 tháng", "'+x", "'\tlead"]
    assert frame["score"].tolist()[:3] == [0.9, 0.5, -0.5]  # numeric column untouched
    assert frame["enterprise_id"].iloc[0] == "0800000001"


def test_rerun_is_byte_identical(tmp_path: Path) -> None:
    first = {k: p.read_bytes() for k, p in write_exports(_ranking(), tmp_path, as_of=AS_OF).items()}
    second = {k: p.read_bytes() for k, p in write_exports(_ranking(), tmp_path, as_of=AS_OF).items()}
    assert first == second


def test_leftover_temp_files_are_removed(tmp_path: Path) -> None:
    leftover = tmp_path / f".tmp-ranking-{AS_OF}.csv.abc123"
    leftover.write_bytes(b"partial")
    write_exports(_ranking(), tmp_path, as_of=AS_OF)
    assert not leftover.exists()
    assert not list(tmp_path.glob(".tmp-*"))


def test_failing_write_leaves_previous_export_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = write_exports(_ranking(), tmp_path, as_of=AS_OF)
    before = {k: p.read_bytes() for k, p in paths.items()}

    def exploding_write(directory: Path, final_name: str, data: bytes) -> Path:
        if final_name.endswith(".json"):
            (directory / f".tmp-{final_name}.half").write_bytes(data[:10])  # as if killed mid-write
            raise OSError("disk full")
        return real_write(directory, final_name, data)

    real_write = exports._write_temp
    monkeypatch.setattr(exports, "_write_temp", exploding_write)
    with pytest.raises(OSError, match="disk full"):
        write_exports(_ranking(name="Công ty B"), tmp_path, as_of=AS_OF)
    assert {k: p.read_bytes() for k, p in paths.items()} == before
    assert verify_exports(tmp_path, AS_OF)
    monkeypatch.setattr(exports, "_write_temp", real_write)
    write_exports(_ranking(name="Công ty B"), tmp_path, as_of=AS_OF)
    assert not list(tmp_path.glob(".tmp-*"))
    assert pd.read_parquet(paths["parquet"])["name"].iloc[0] == "Công ty B"


def test_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ExportError):
        write_exports(_ranking(), tmp_path, as_of="../../etc")
    with pytest.raises(ExportError):
        write_exports(_ranking(), tmp_path, as_of="2026-02-28")
    dup = pd.concat([_ranking(), _ranking().head(1)])
    with pytest.raises(ExportError):
        write_exports(dup, tmp_path, as_of=AS_OF)


def test_verify_detects_tampering(tmp_path: Path) -> None:
    paths = write_exports(_ranking(), tmp_path, as_of=AS_OF)
    paths["csv"].write_bytes(b"tampered")
    assert not verify_exports(tmp_path, AS_OF)


def test_manifest_traces_code_and_model_bytes(tmp_path: Path) -> None:
    """The manifest names the code version and the SHA-256 of the model artifact (I5)."""
    digest = "ab" * 32
    paths = write_exports(_ranking(), tmp_path, as_of=AS_OF, code_version="fa9d25265298", model_sha256=digest)
    manifest = json.loads(paths["manifest"].read_text())
    assert manifest["code_version"] == "fa9d25265298" and manifest["model_sha256"] == digest
    assert verify_exports(tmp_path, AS_OF)
    # They live in the manifest only: the ranking files stay byte-identical without them.
    bare = write_exports(_ranking(), tmp_path / "bare", as_of=AS_OF)
    for fmt in ("parquet", "csv", "json"):
        assert paths[fmt].read_bytes() == bare[fmt].read_bytes()
    assert json.loads(bare["manifest"].read_text())["model_sha256"] is None


def test_fault_point_pauses_only_when_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With another point named, writing passes every fault point without pausing."""
    from data import faults

    slept: list[float] = []
    monkeypatch.setattr(faults.time, "sleep", slept.append)
    marker = tmp_path / "marker"
    monkeypatch.setenv(faults.MARKER_ENV, str(marker))
    monkeypatch.setenv(faults.PAUSE_ENV, "exports.nowhere")
    write_exports(_ranking(), tmp_path / "a", as_of=AS_OF)
    assert slept == [] and not marker.exists()
    monkeypatch.setenv(faults.PAUSE_ENV, "exports.before_manifest")
    write_exports(_ranking(), tmp_path / "b", as_of=AS_OF)  # sleep is stubbed: it carries on
    assert slept == [faults.PAUSE_SECONDS] and marker.read_text() == "exports.before_manifest"


def test_the_vectorised_formula_check_agrees_with_escape_formula_cell_by_cell() -> None:
    columns = [
        ["=SUM(A1)", "Công ty", None, 3, "-1", "@x", "\tq", float("nan"), "+84", "\0z", "\rr", b"=x"],
        [None, None],  # no text at all: `.str` refuses such a column
        [1, 2],
        [],
    ]
    for cells in columns:
        values = pd.Series(cells, dtype=object)
        expected = [escape_formula(v) is not v for v in cells]
        assert exports._formula_cells(values).tolist() == expected


def test_the_json_export_writes_each_cell_as_pandas_records_would() -> None:
    import numpy as np

    frame = pd.DataFrame(
        {
            "enterprise_id": ["0100000001", "0100000002"],
            "score": np.array([0.125, np.nan]),
            "rank": np.array([1, 2], dtype=np.int64),
            "small": np.array([0.1, 0.2], dtype=np.float32),
            "flag": [True, False],
            "note": ['Công ty "A"', None],
            "when": pd.to_datetime(["2026-11-25", None]),
        }
    )
    records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    expected = json.dumps(records, ensure_ascii=False, default=exports._json_default, allow_nan=False)
    assert exports._json_bytes(frame) == (expected + "\n").encode("utf-8")
