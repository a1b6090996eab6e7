"""Publication of a night: its completion is checked, never assumed."""

from __future__ import annotations

import pytest


def test_a_night_another_run_published_meanwhile_is_an_error_not_a_silent_success(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from outputs.rankings import PublishError, complete_or_fail

    with pytest.raises(PublishError, match="another run published it while this one ran"):
        complete_or_fail(tmp_path / "ews.db", "2024-06-30", "not-the-publishing-run")
