"""The warning kind of each published row, on SQLite and on PostgreSQL: stored as given, NULL
when the ranking was made without kinds, refused whole when it is not a known kind."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from data.database import Database, connect
from outputs.rankings import SCORE_COLUMNS, PublishError, publish, read_ranking, read_scores
from outputs.tables import WARNING_KINDS

from .conftest import small_ranking

NIGHT = "2024-06-30"


def _night(kinds: list[str | None] | None) -> pd.DataFrame:
    """A small ranking as the score flow publishes it, with `warning_kind` when `kinds` is given."""
    return small_ranking(NIGHT, kinds, n=3 if kinds is None else len(kinds))


def test_the_kind_is_the_last_published_column_and_reads_back_as_written(database: Database) -> None:
    assert SCORE_COLUMNS[-1] == "warning_kind" and WARNING_KINDS == ("acute", "structural")
    publish(database, _night(["acute", "structural", None]))
    back = read_ranking(database, NIGHT)
    assert back["warning_kind"].tolist()[:2] == ["acute", "structural"]
    assert back["warning_kind"].isna().tolist() == [False, False, True]
    scores = read_scores(database, [NIGHT], columns=("enterprise_id", "warning_kind"))
    assert scores["warning_kind"].tolist()[:2] == ["acute", "structural"]
    with connect(database) as conn:
        columns = {c["name"]: c for c in sa.inspect(conn).get_columns("scores")}
    assert columns["warning_kind"]["nullable"]


def test_a_ranking_made_without_kinds_is_published_with_nulls(database: Database) -> None:
    publish(database, _night(None))
    back = read_ranking(database, NIGHT)
    assert len(back) == 3 and back["warning_kind"].isna().all()
    # ... and, read back, it can be published again as it is.
    assert publish(database, back.assign(as_of="2024-07-31")) == 3


@pytest.mark.parametrize("bad", ["urgent", "Acute", ""])
def test_an_unknown_kind_is_refused_in_one_line_and_the_night_kept(database: Database, bad: str) -> None:
    publish(database, _night(["acute", "structural", "acute"]))
    with pytest.raises(PublishError) as caught:
        publish(database, _night(["acute", bad, "structural"]))
    message = str(caught.value)
    assert message.startswith("ranking: column 'warning_kind' fails isin(") and "\n" not in message
    assert read_ranking(database, NIGHT)["warning_kind"].tolist() == ["acute", "structural", "acute"]
