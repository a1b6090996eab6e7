"""Addresses are shown and stored without their password."""

from __future__ import annotations

import pytest

from data.urls import shown_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://ews:s3cret@db.example:5432/agency",
            "postgresql+psycopg://ews:***@db.example:5432/agency",
        ),
        ("https://user:pw@files.example/bhxh/a.xlsx", "https://user:***@files.example/bhxh/a.xlsx"),
        ("http://ews:p@[::1]:5000", "http://ews:***@[::1]:5000"),
        ("sqlite:///home/ews/mlflow.db", "sqlite:///home/ews/mlflow.db"),
        ("https://files.example/a.xlsx", "https://files.example/a.xlsx"),
        ("bhxh/*.xlsx", "bhxh/*.xlsx"),
        ("postgresql://ews:pw@host:notaport/db", "postgresql://…"),
    ],
)
def test_a_password_never_shows(url: str, shown: str) -> None:
    assert shown_url(url) == shown
