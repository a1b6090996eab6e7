"""`ews rank` with the page's filters and formats, and `ews dashboard`'s launch settings."""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import _streamlit_command, app

runner = CliRunner()


@pytest.fixture
def home(fresh_home: Path) -> Iterator[Path]:
    """The demo workspace; the environment the CLI sets up is put back afterwards."""
    saved = dict(os.environ)
    try:
        yield fresh_home
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _csv(*args: str) -> pd.DataFrame:
    result = runner.invoke(app, ["rank", "--top", "0", "--format", "csv", *args])
    assert result.exit_code == 0, result.output
    return pd.read_csv(io.StringIO(result.stdout), dtype=str)


def test_rank_filters_by_province_ownership_and_band(home: Path) -> None:
    everything = _csv()
    chosen = _csv("--province", "Bình Dương", "--ownership", "fdi", "--band", "low")
    assert 0 < len(chosen) < len(everything)
    assert set(chosen["ownership"]) == {"fdi"} and set(chosen["band"]) == {"low"}
    assert chosen["rank"].astype(int).is_monotonic_increasing


def test_rank_searches_names_without_accents_and_ids_by_prefix(home: Path) -> None:
    found = _csv("--search", "may toan cau")
    assert "3714467586" in set(found["enterprise_id"])
    assert all("Toàn Cầu" in name for name in found["name"])
    by_id = _csv("--search", "37144")
    assert list(by_id["enterprise_id"]) == ["3714467586"]


def test_rank_refuses_a_value_outside_the_allow_list_with_one_line(home: Path) -> None:
    result = runner.invoke(app, ["rank", "--district", "Quận 99"])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "unknown district" in lines[0]


@pytest.mark.parametrize("lang", ["fr", "EN", ""])
def test_rank_refuses_an_unknown_language_with_one_line(home: Path, lang: str) -> None:
    result = runner.invoke(app, ["rank", "--lang", lang])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--lang" in lines[0] and "vi, en" in lines[0]
    assert result.stdout == ""


def test_rank_shows_bands_in_the_language_asked_for(home: Path) -> None:
    for lang, high, heading, percent in (
        ("vi", "Cao", "Hạng", r"\d,\d+%"),
        ("en", "High", "Rank", r"\d\.\d+%"),
    ):
        result = runner.invoke(app, ["rank", "--top", "1", "--lang", lang], terminal_width=250)
        assert result.exit_code == 0, result.output
        assert high in result.stdout and " high " not in result.stdout
        # Headings and the probability in the reader's language and number format.
        assert heading in result.stdout and re.search(percent, result.stdout), result.stdout
    # Machine formats keep the stored codes.
    assert set(_csv("--lang", "en", "--band", "high")["band"]) == {"high"}


def test_rank_writes_excel_and_json_files(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "top.xlsx"
    result = runner.invoke(app, ["rank", "--top", "5", "--format", "xlsx", "--output", str(target)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(target).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("rank", "enterprise_id", "name") and len(rows) == 6
    assert rows[1][1] == "3764312108"  # ids stay text
    missing = runner.invoke(app, ["rank", "--format", "xlsx"])
    assert missing.exit_code == 2 and "--output" in missing.stderr
    as_json = tmp_path / "top.json"
    assert runner.invoke(app, ["rank", "--top", "3", "--format", "json", "-o", str(as_json)]).exit_code == 0
    assert [r["rank"] for r in json.loads(as_json.read_text(encoding="utf-8"))] == [1, 2, 3]


def test_dashboard_runs_streamlit_locally_without_telemetry_or_tracebacks() -> None:
    command = _streamlit_command("/x/app/main.py", "127.0.0.1", 8600)
    assert command[1:5] == ["-m", "streamlit", "run", "/x/app/main.py"]
    for flag in (
        "--server.address=127.0.0.1",
        "--server.port=8600",
        "--server.headless=true",
        "--browser.gatherUsageStats=false",
        "--client.showErrorDetails=none",
        "--server.enableXsrfProtection=true",
    ):
        assert flag in command


def test_explain_shows_the_score_its_reasons_and_the_history_behind_it(home: Path) -> None:
    from outputs.rankings import read_ranking

    top = read_ranking(home / "ews.db", "2024-06-30").iloc[0]
    result = runner.invoke(
        app, ["explain", top["enterprise_id"], "--as-of", "2024-06-30", "--lang", "en"], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    assert f"rank {top['rank']} of" in result.stdout
    assert top["reasons_en"].split(";")[0] in result.stdout
    assert "Score history" in result.stdout
    assert "2024-05-31" in result.stdout  # the earlier night's score is listed
    assert "Monthly indicators (only what was known on 2024-06-30)" in result.stdout
    # Where each figure came from: the source, its delivery, file and row.
    assert "Where each figure of" in result.stdout and "indicators.csv" in result.stdout
    # Why it moved needs the champion, which this published-only workspace lacks: one line says so.
    assert "Why it moved: not available (no model" in result.stdout

    # Vietnamese by default: its words, its reasons, dates day first, decimal commas.
    vi = runner.invoke(app, ["explain", top["enterprise_id"], "--as-of", "2024-06-30"], terminal_width=200)
    assert vi.exit_code == 0, vi.output
    assert f"hạng {top['rank']}/" in vi.stdout and "Lịch sử điểm" in vi.stdout
    assert top["reasons"].split(";")[0] in vi.stdout
    assert "31/05/2024" in vi.stdout and "2024-05-31" not in vi.stdout
    assert "Vì sao thay đổi: không tính được" in vi.stdout
    assert re.search(r"\d,\d+%", vi.stdout)
    assert runner.invoke(app, ["explain", top["enterprise_id"], "--lang", "fr"]).exit_code == 2


def test_explain_refuses_an_unknown_enterprise_with_one_line(home: Path) -> None:
    result = runner.invoke(app, ["explain", "0000000000"])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "unknown enterprise '0000000000'" in lines[0]


def test_names_with_markup_and_control_characters_print_as_text_and_export(
    home: Path, tmp_path: Path
) -> None:
    import sqlite3

    hostile = "Công ty [/bold] May [red]Đỏ\x1b[31m\x07"
    with sqlite3.connect(home / "ews.db") as con:
        (top,) = con.execute(
            "SELECT enterprise_id FROM scores WHERE rank = 1 ORDER BY as_of DESC LIMIT 1"
        ).fetchone()
        con.execute("UPDATE scores SET name = ? WHERE enterprise_id = ?", (hostile, top))
    result = runner.invoke(app, ["rank", "--top", "3"])
    assert result.exit_code == 0, result.output
    assert "[/bold]" in result.stdout and "[red]" in result.stdout  # shown as written, not as markup
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    out = tmp_path / "rank.xlsx"
    written = runner.invoke(app, ["rank", "--top", "3", "--format", "xlsx", "--output", str(out)])
    assert written.exit_code == 0, written.output
    cells = [c.value for row in openpyxl.load_workbook(out).active.iter_rows() for c in row]  # type: ignore[union-attr]
    assert any(isinstance(v, str) and v.startswith("Công ty [/bold] May [red]Đỏ") for v in cells)
    assert not any(isinstance(v, str) and ("\x1b" in v or "\x07" in v) for v in cells)
