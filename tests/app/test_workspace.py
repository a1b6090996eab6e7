"""The page's workspace comes from the project's `Settings`: same defaults, same refusals as the CLI."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app.workspace import SettingsRefused, Workspace, db_version, from_environment
from data.database import Database, dispose
from data.errors import EwsError
from data.settings import Settings
from data.workspace import DEFAULT_HOME
from vocab.terms import DEFAULT_CAPACITY


@pytest.fixture(autouse=True)
def no_ews_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from an environment without any `EWS_*` variable."""
    for name in list(os.environ):
        if name.startswith("EWS_"):
            monkeypatch.delenv(name)


def test_without_variables_the_defaults_of_settings() -> None:
    assert from_environment() == Workspace(
        root=DEFAULT_HOME.expanduser().resolve(), capacity=DEFAULT_CAPACITY
    )


def test_home_and_capacity_are_read_as_settings_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EWS_HOME", str(tmp_path / "home" / ".." / "ws"))
    monkeypatch.setenv("EWS_CAPACITY", "25")
    ws = from_environment()
    settings = Settings()
    assert ws == Workspace(root=settings.root, capacity=settings.capacity)
    assert ws.root == (tmp_path / "ws").resolve() and ws.capacity == 25.0
    assert ws.db_path == settings.db_path and ws.store_dir == settings.store_dir


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("EWS_CAPACITY", "abc", "valid number"),
        ("EWS_CAPACITY", "-1", "greater than 0"),
        ("EWS_CAPACITY", "0", "greater than 0"),
        ("EWS_CAPACITY", "nan", "greater than 0"),
        ("EWS_HORIZON_MONTHS", "99", "less than or equal to 12"),
    ],
)
def test_what_settings_refuse_is_refused_in_one_line(
    name: str, value: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsRefused) as refused:
        from_environment()
    message = str(refused.value)
    assert isinstance(refused.value, EwsError)  # the page shows an EwsError as its one line
    assert f"{name}={value!r}" in message and reason in message
    assert "\n" not in message


def test_every_refused_variable_is_named_and_a_newline_stays_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EWS_CAPACITY", "1\n2")
    monkeypatch.setenv("EWS_MAX_BAD_SHARE", "2")
    with pytest.raises(SettingsRefused) as refused:
        from_environment()
    message = str(refused.value)
    assert "EWS_CAPACITY='1\\n2'" in message and "EWS_MAX_BAD_SHARE='2'" in message
    assert "\n" not in message


def test_the_page_shows_a_refusal_as_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.find_spec("app.main")
    assert spec is not None and spec.origin is not None
    monkeypatch.setenv("EWS_HOME", str(tmp_path / "empty"))
    monkeypatch.setenv("EWS_CAPACITY", "abc")
    at = AppTest.from_file(spec.origin, default_timeout=120).run()
    assert not at.exception
    assert len(at.error) == 1
    shown = at.error[0].value
    assert "\n" not in shown and "Traceback" not in shown
    assert "EWS_CAPACITY='abc'" in shown.replace("\\", "")
    assert not (tmp_path / "empty").exists()  # refused before anything is read or created


def test_the_database_url_is_read_as_settings_reads_it_and_never_shown_with_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EWS_HOME", str(tmp_path / "ws"))
    assert from_environment().db_path == Database(path=(tmp_path / "ws").resolve() / "ews.db")
    monkeypatch.setenv("EWS_DB_URL", "postgresql+psycopg://ews:s3cret@db.example:5432/ews")
    ws, settings = from_environment(), Settings()
    assert (
        ws.db_path == settings.db_path == Database(url="postgresql+psycopg://ews:s3cret@db.example:5432/ews")
    )
    assert str(ws.db_path) == "postgresql+psycopg://ews:***@db.example:5432/ews"
    for shown in (repr(ws), repr(settings), repr(ws.db_path)):
        assert "s3cret" not in shown


def test_a_database_url_of_another_kind_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EWS_DB_URL", "mysql+pymysql://ews:s3cret@db.example/ews")
    with pytest.raises(SettingsRefused) as refused:
        from_environment()
    message = str(refused.value)
    assert "EWS_DB_URL" in message and "SQLite or PostgreSQL" in message
    assert "s3cret" not in message and "\n" not in message


def test_the_page_reads_and_writes_the_postgresql_database_ews_db_url_names(
    fresh_home: Path, postgres_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's two nights moved to PostgreSQL, the SQLite file gone: the page shows the
    latest night, a new night shows without a restart, and a review lands in PostgreSQL."""
    from outputs.rankings import publish, read_ranking
    from outputs.reviews import read_reviews

    db = Database.of(postgres_server.create_database("ews_page"))
    try:
        nights = {night: read_ranking(fresh_home / "ews.db", night) for night in ("2024-05-31", "2024-06-30")}
        publish(db, nights["2024-05-31"])
        for name in ("ews.db", "ews.db-wal", "ews.db-shm"):
            (fresh_home / name).unlink(missing_ok=True)
        monkeypatch.setenv("EWS_DB_URL", str(db.url))
        before = db_version(db)
        at = AppTest.from_file(_script(), default_timeout=120).run()
        assert not at.exception and not at.error
        assert at.header[0].value == "Bảng xếp hạng ngày 31/05/2024"

        publish(db, nights["2024-06-30"])
        assert db_version(db) != before
        at = AppTest.from_file(_script(), default_timeout=120).run()
        assert at.header[0].value == "Bảng xếp hạng ngày 30/06/2024"

        top = str(nights["2024-06-30"]["enterprise_id"].iloc[0])
        at = AppTest.from_file(_script(), default_timeout=120)
        at.query_params["enterprise"] = top
        at.run()
        at.radio(key="review_status__vi").set_value("reviewed")
        at.text_input(key="review_reviewer__vi").input("Trần Thị Mai")
        at.button[0].click().run()
        assert not at.error, [e.value for e in at.error]
        rows = read_reviews(db)
        assert list(rows[["enterprise_id", "as_of", "reviewer"]].itertuples(index=False, name=None)) == [
            (top, "2024-06-30", "Trần Thị Mai")
        ]
        assert not (fresh_home / "ews.db").exists()  # nothing went to the SQLite file
    finally:
        dispose(db)


def _script() -> str:
    spec = importlib.util.find_spec("app.main")
    assert spec is not None and spec.origin is not None
    return spec.origin
