"""Progress reports reach listeners only while they listen; `ews` draws bars only on a terminal."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from vocab import progress


def test_listeners_hear_advances_only_while_listening() -> None:
    heard: list[tuple[str, int, int]] = []
    progress.advance("before", 0, 1)
    with progress.listening(lambda *event: heard.append(event)):
        progress.advance("fits", 1, 3)
    progress.advance("after", 1, 1)
    assert heard == [("fits", 1, 3)]


@pytest.mark.parametrize("terminal", [True, False])
def test_bars_are_drawn_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch, terminal: bool) -> None:
    from cli import main

    sink = io.StringIO()
    monkeypatch.setattr(main, "err", Console(file=sink, force_terminal=terminal, width=100))
    seen: list[int] = []

    def work() -> str:
        seen.append(len(progress._listeners))
        for done in range(4):
            progress.advance("backfill nights", done, 3)
        return "ok"

    assert main._run(work) == "ok"
    assert seen == [1 if terminal else 0]
    assert ("backfill nights" in sink.getvalue()) is terminal
