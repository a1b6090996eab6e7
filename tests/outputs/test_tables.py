"""The ranking's schema: publish accepts the score flow's ranking and refuses a broken one whole,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from data.database import Database, connect
from features.build import build_features, known_at
from outputs.ranking import assemble_ranking, rank_scores
from outputs.rankings import SCORE_COLUMNS, PublishError, publish, read_ranking
from outputs.tables import RANKING, TableError, check_table

NIGHT = pd.Timestamp("2023-12-20")

Frames = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]


@pytest.fixture(scope="module")
def ranking(tiny_frames: Frames) -> pd.DataFrame:
    """A night's ranking as the score flow publishes it, from the tiny world's features."""
    enterprises, indicators, incidents = tiny_frames
    indicators, incidents = known_at(indicators, incidents, NIGHT)
    features = build_features(enterprises, indicators, incidents, [NIGHT])
    debt = features["wage_arrears_months"].fillna(0).to_numpy()
    probability = 1 / (1 + np.exp(4.0 - debt))  # a stand-in for the champion's probabilities
    reasons = pd.DataFrame(
        {
            "reasons": np.where(debt > 0, "nợ lương", ""),
            "reasons_en": np.where(debt > 0, "wage arrears", ""),
        }
    )
    ranked = rank_scores(features, probability, capacity=0.01, reasons=reasons)
    return assemble_ranking(
        ranked, features, enterprises, model_name="labor-ews", model_version="3", run_id="local"
    )


def test_the_score_flows_ranking_is_accepted_as_it_is(ranking: pd.DataFrame) -> None:
    before = ranking.copy()
    assert check_table(RANKING, ranking) is ranking
    pd.testing.assert_frame_equal(ranking, before)


def test_a_published_ranking_read_back_can_be_published_again(
    ranking: pd.DataFrame, database: Database
) -> None:
    db = database
    assert publish(db, ranking) == len(ranking)
    again = read_ranking(db, str(NIGHT.date()))  # as_of as text, stale as 0/1
    assert publish(db, again.assign(as_of="2024-01-31")) == len(ranking)


def test_the_database_columns_are_the_schemas(database: Database, ranking: pd.DataFrame) -> None:
    publish(database, ranking)
    with connect(database) as conn:
        inspector = sa.inspect(conn)
        columns = inspector.get_columns("scores")
        key = inspector.get_pk_constraint("scores")["constrained_columns"]
    assert tuple(c["name"] for c in columns) == SCORE_COLUMNS
    assert key == ["as_of", "enterprise_id"]
    not_null = {c["name"] for c in columns if not c["nullable"]} | set(key)  # NOT NULL, or part of the key
    assert not_null == {name for name, column in RANKING.columns.items() if not column.nullable}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: r.drop(columns=["band", "run_id"]), "ranking: missing columns 'band', 'run_id'"),
        (
            lambda r: r.assign(score=r["score"].astype("str")),
            "ranking: column 'score' has dtype str, expected float64",
        ),
        (
            lambda r: r.assign(rank=r["rank"].astype("float64")),
            "ranking: column 'rank' has dtype float64, expected integer",
        ),
        (
            lambda r: pd.concat([r, r.head(1)], ignore_index=True),
            "ranking: key (as_of, enterprise_id) is not unique: (2023-12-20, ",
        ),
        (
            lambda r: r.assign(model_version=None),
            "ranking: column 'model_version' holds {n} missing values",
        ),
        (lambda r: r.assign(band="urgent"), "ranking: column 'band' fails isin("),
        (lambda r: r.assign(score=r["score"] * 2), "ranking: column 'score' fails in_range(0.0, 1.0)"),
    ],
    ids=["missing", "text-score", "float-rank", "duplicate", "null-version", "unknown-band", "score-above-1"],
)
def test_a_broken_ranking_is_refused_and_the_night_kept(
    ranking: pd.DataFrame, database: Database, change, words: str
) -> None:
    db = database
    publish(db, ranking)
    with pytest.raises(PublishError) as caught:
        publish(db, change(ranking))
    message = str(caught.value)
    assert message.startswith(words.format(n=len(ranking))), message
    assert "\n" not in message
    pd.testing.assert_frame_equal(read_ranking(db), read_ranking(db, str(NIGHT.date())))
    assert len(read_ranking(db)) == len(ranking)


def test_outside_publish_the_error_is_a_table_error(ranking: pd.DataFrame) -> None:
    with pytest.raises(TableError, match="ranking: missing column 'score'"):
        check_table(RANKING, ranking.drop(columns=["score"]))
