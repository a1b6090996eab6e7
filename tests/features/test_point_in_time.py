"""Property tests: nothing reported after D changes a feature at D; order and inputs are inert."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.build import build_features

AS_OF = pd.Timestamp("2024-06-30")
IDS = [f"08000000{i:02d}" for i in range(6)]


def _enterprises() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "enterprise_id": IDS,
            "name": [f"Công ty {i}" for i in range(6)],
            "province": ["Hải Dương"] * 6,
            "district": ["Cẩm Giàng", "Kim Thành", "Cẩm Giàng", "Gia Lộc", "Kim Thành", "Cẩm Giàng"],
            "zone_id": ["Z1", "Z1", "Z2", pd.NA, "Z2", "Z1"],
            "zone_type": ["industrial_zone"] * 3 + ["outside"] + ["industrial_cluster"] * 2,
            "sector": ["14", "15", "14", "26", "15", "14"],
            "ownership": ["fdi", "fdi", "private", "private", "state", "fdi"],
            "founded": pd.to_datetime(["2015-01-01"] * 6),
            "closed": pd.to_datetime([None] * 6),
        }
    )
    return frame.astype({c: "str" for c in frame.columns if c not in ("founded", "closed")})


def _indicator_rows(draw: st.DrawFn, n: int, reported_after: bool) -> list[dict[str, object]]:
    rows = []
    for _ in range(n):
        month = pd.Timestamp(
            draw(st.sampled_from(list(pd.date_range("2023-01-01", "2024-09-01", freq="MS"))))
        )
        if reported_after:
            reported = AS_OF + pd.Timedelta(days=draw(st.integers(1, 90)))
        else:
            reported = month + pd.offsets.MonthEnd(0) + pd.Timedelta(days=draw(st.integers(1, 40)))
        value = st.one_of(st.none(), st.floats(0, 12, allow_nan=False))
        rows.append(
            {
                "enterprise_id": draw(st.sampled_from(IDS)),
                "month": month,
                "headcount": float(draw(st.integers(0, 2000))),
                "avg_wage_vnd": draw(st.one_of(st.none(), st.floats(3e6, 2e7))),
                "wage_arrears_vnd": draw(st.one_of(st.none(), st.floats(0, 1e10))),
                "wage_arrears_months": draw(value),
                "insurance_debt_vnd": draw(st.one_of(st.none(), st.floats(0, 1e10))),
                "insurance_debt_months": draw(value),
                "layoffs": float(draw(st.integers(0, 50))),
                "reduced_hours_workers": float(draw(st.integers(0, 500))),
                "reported_at": reported,
                "reported_at_imputed": False,
            }
        )
    return rows


@st.composite
def worlds(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Indicators and incidents known at D, and more of each reported after D."""

    def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
        out = pd.DataFrame(rows).astype({"enterprise_id": "str"})
        for column in out.columns:
            if column not in ("enterprise_id", "month", "reported_at", "reported_at_imputed"):
                out[column] = out[column].astype("float64")
        return out.drop_duplicates(["enterprise_id", "month", "reported_at"])

    known = frame(_indicator_rows(draw, draw(st.integers(5, 40)), reported_after=False))
    later = frame(_indicator_rows(draw, draw(st.integers(1, 20)), reported_after=True))

    def incidents(n: int, after: bool) -> pd.DataFrame:
        started = [
            pd.Timestamp("2023-06-01") + pd.Timedelta(days=draw(st.integers(0, 480))) for _ in range(n)
        ]
        reported = [
            (AS_OF + pd.Timedelta(days=draw(st.integers(1, 60))))
            if after
            else s + pd.Timedelta(days=draw(st.integers(0, 20)))
            for s in started
        ]
        out = pd.DataFrame(
            {
                "incident_id": [f"{'L' if after else 'K'}{i}" for i in range(n)],
                "enterprise_id": [draw(st.sampled_from(IDS)) for _ in range(n)],
                "kind": [draw(st.sampled_from(["work_stoppage", "petition"])) for _ in range(n)],
                "cause": ["wages"] * n,
                "started": pd.to_datetime(started),
                "ended": pd.to_datetime([None] * n),
                "reported_at": pd.to_datetime(reported),
                "participants": [100.0] * n,
                "reported_at_imputed": [False] * n,
            }
        )
        return out.astype({c: "str" for c in ("incident_id", "enterprise_id", "kind", "cause")})

    return known, later, incidents(draw(st.integers(0, 6)), False), incidents(draw(st.integers(0, 6)), True)


def _at_as_of(ind: pd.DataFrame, inc: pd.DataFrame) -> pd.DataFrame:
    return build_features(_enterprises(), ind, inc, [AS_OF])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_rows_reported_after_d_change_nothing_at_d(world) -> None:  # type: ignore[no-untyped-def]
    known, later, known_inc, later_inc = world
    before = _at_as_of(known, known_inc)
    with_later = _at_as_of(
        pd.concat([known, later], ignore_index=True), pd.concat([known_inc, later_inc], ignore_index=True)
    )
    pd.testing.assert_frame_equal(before, with_later)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.randoms(use_true_random=False))
def test_row_and_column_order_change_nothing(world, rnd) -> None:  # type: ignore[no-untyped-def]
    known, _, known_inc, _ = world
    expected = _at_as_of(known, known_inc)
    rows = list(range(len(known)))
    rnd.shuffle(rows)
    columns = list(known.columns)
    rnd.shuffle(columns)
    shuffled = known.iloc[rows][columns].reset_index(drop=True)
    enterprises = _enterprises().iloc[::-1]
    got = build_features(enterprises, shuffled, known_inc.iloc[::-1], [AS_OF])
    pd.testing.assert_frame_equal(expected, got)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_inputs_are_never_mutated(world) -> None:  # type: ignore[no-untyped-def]
    known, _, known_inc, _ = world
    enterprises = _enterprises()
    copies = (enterprises.copy(), known.copy(), known_inc.copy())
    build_features(enterprises, known, known_inc, [AS_OF, AS_OF - pd.offsets.MonthEnd(1)])
    for original, copy in zip((enterprises, known, known_inc), copies, strict=True):
        pd.testing.assert_frame_equal(original, copy)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_a_grid_of_dates_equals_each_date_alone(world) -> None:  # type: ignore[no-untyped-def]
    """The vectorized pass over many as-of dates gives what each date computed alone gives."""
    known, later, known_inc, later_inc = world
    ind = pd.concat([known, later], ignore_index=True)
    inc = pd.concat([known_inc, later_inc], ignore_index=True)
    dates = pd.to_datetime(["2024-02-29", "2024-04-30", AS_OF, "2024-08-31"])
    together = build_features(_enterprises(), ind, inc, dates)
    for day in dates:
        alone = build_features(_enterprises(), ind, inc, [day])
        part = together.loc[together["as_of"] == day].reset_index(drop=True)
        if alone.empty:
            assert part.empty
            continue
        pd.testing.assert_frame_equal(alone, part, check_dtype=False)
        assert np.array_equal(alone["enterprise_id"], part["enterprise_id"])
