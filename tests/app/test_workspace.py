"""The page's workspace comes from the project's `Settings`: same defaults, same refusals as the CLI."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.workspace import SettingsRefused, Workspace, from_environment
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
