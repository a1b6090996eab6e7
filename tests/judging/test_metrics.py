"""Rare-event metrics on cases small enough to check by eye, and against scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from judging.metrics import (
    average_precision,
    brier,
    by_month,
    calibration_table,
    compare,
    compare_slices,
    lead_time_summary,
    lead_times,
    lift,
    paired_bootstrap_gain,
    roc_auc,
    top_k_mask,
    top_k_metrics,
    true_probability,
)
from models.baselines import checklist_score

JAN, FEB = pd.Timestamp("2022-01-31"), pd.Timestamp("2022-02-28")


def _ten_rows() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One month, 10 firms, scores 10..1; stoppages at ranks 1, 4 and 9."""
    score = np.arange(10, 0, -1, dtype=float)
    y = np.zeros(10)
    y[[0, 3, 8]] = 1
    return y, score, np.full(10, JAN)


def test_recall_and_precision_in_the_monthly_top_k_by_eye() -> None:
    y, score, as_of = _ten_rows()
    top = top_k_mask(as_of, score, 0.2)  # a share: k = 2
    assert top.tolist() == [True, True] + [False] * 8
    assert top_k_metrics(y, top) == {"recall_at_k": pytest.approx(1 / 3), "precision_at_k": 0.5}
    top = top_k_mask(as_of, score, 4)  # a count: ranks 1-4 hold two of the three
    assert top_k_metrics(y, top) == {"recall_at_k": pytest.approx(2 / 3), "precision_at_k": 0.5}


def test_top_k_is_taken_within_each_month() -> None:
    as_of = np.array([JAN, JAN, JAN, FEB, FEB, FEB])
    score = np.array([0.9, 0.8, 0.1, 0.2, 0.3, 0.05])
    y = np.array([0, 1, 0, 1, 0, 0])
    top = top_k_mask(as_of, score, 1)
    assert top.tolist() == [True, False, False, False, True, False]
    assert top_k_metrics(y, top)["recall_at_k"] == 0.0
    assert top_k_metrics(y, top_k_mask(as_of, score, 2))["recall_at_k"] == 1.0


def test_ranking_metrics_match_scikit_learn_with_ties_and_weights() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(400) < 0.1).astype(float)
    score = np.round(rng.random(400) + y * 0.3, 1)  # many ties
    assert average_precision(y, score) == pytest.approx(average_precision_score(y, score))
    assert roc_auc(y, score) == pytest.approx(roc_auc_score(y, score))
    w = rng.integers(0, 4, 400).astype(float)  # a bootstrap draw = integer weights
    assert average_precision(y, score, w) == pytest.approx(average_precision_score(y, score, sample_weight=w))
    assert roc_auc(y, score, w) == pytest.approx(roc_auc_score(y, score, sample_weight=w))
    p = np.clip(score, 0, 1)
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p))
    assert np.isnan(average_precision(np.zeros(5), np.arange(5.0)))


def test_pr_auc_by_eye() -> None:
    y, score, _ = _ten_rows()
    # Precision at each positive: 1/1, 2/4, 3/9.
    assert average_precision(y, score) == pytest.approx((1 + 2 / 4 + 3 / 9) / 3)


def test_compare_gives_lift_over_the_checklist_and_the_ceiling() -> None:
    y, score, as_of = _ten_rows()
    table = pd.DataFrame({
        "wage_arrears_months": [0.0] * 8 + [2.0, 0.0],
        "insurance_debt_months": [0.0, 1.0] + [0.0] * 8,
    })  # fmt: skip
    truth = y * 0.8 + 0.01
    out = compare({"model": score / 10}, y, as_of, table, truth, capacity=0.2, n_boot=20)
    value = out.set_index(["model", "metric"])["value"]
    assert set(out["model"]) == {"model", "checklist", "true_hazard"}
    # The checklist's top 2: the flagged firm at rank 9 (a positive), then one month of debt (not).
    assert value["checklist", "recall_at_k"] == pytest.approx(1 / 3)
    assert value["model", "lift_at_k"] == pytest.approx(1.0)
    assert value["true_hazard", "recall_at_k"] == pytest.approx(2 / 3)
    assert value["true_hazard", "lift_at_k"] == pytest.approx(2.0)
    assert np.isnan(value["checklist", "brier"])
    assert out.attrs["positives"] == 3 and out.attrs["k_per_month"] == 2


def test_bootstrap_is_reproducible_with_its_seed_and_brackets_the_value() -> None:
    rng = np.random.default_rng(0)
    as_of = np.repeat(pd.date_range("2021-01-31", periods=12, freq="ME").to_numpy(), 200)
    y = (rng.random(len(as_of)) < 0.05).astype(float)
    score = rng.random(len(as_of)) * 0.2 + y * 0.1
    table = pd.DataFrame({"wage_arrears_months": rng.integers(0, 3, len(y)), "insurance_debt_months": 0.0})
    first = compare({"m": score}, y, as_of, table, n_boot=50, seed=7)
    again = compare({"m": score}, y, as_of, table, n_boot=50, seed=7)
    other = compare({"m": score}, y, as_of, table, n_boot=50, seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not first["low"].equals(other["low"])
    finite = first.dropna()
    assert (finite["low"] <= finite["value"] + 1e-12).all() and (
        finite["value"] <= finite["high"] + 1e-12
    ).all()


def test_each_resample_scores_like_the_rows_reweighed_by_their_months_draws() -> None:
    """`compare`'s intervals, from per-month sums, are those of every metric recomputed on
    the rows with each month's weight its count in the draw (ties, a month without a
    stoppage, a score that is not a probability)."""
    rng = np.random.default_rng(11)
    months = pd.date_range("2021-01-31", periods=7, freq="ME").to_numpy()
    as_of = np.repeat(months, rng.integers(30, 80, len(months)))
    rng.shuffle(as_of)
    y = (rng.random(len(as_of)) < 0.1).astype(float)
    y[as_of == months[2]] = 0
    scores = {"a": np.round(rng.random(len(y)) * 0.5 + y * 0.2, 1), "b": rng.random(len(y)) * 0.3 + y * 0.05}
    table = pd.DataFrame({"wage_arrears_months": rng.integers(0, 3, len(y)), "insurance_debt_months": 0.0})
    got = compare(scores, y, as_of, table, capacity=0.1, n_boot=40, seed=4).set_index(["model", "metric"])

    models = {**scores, "checklist": checklist_score(table)}
    tops = {name: top_k_mask(as_of, s, 0.1) for name, s in models.items()}
    month = np.searchsorted(np.unique(as_of), as_of)
    draw = np.random.default_rng(4)
    draws: dict[tuple[str, str], list[float]] = {}
    for _ in range(40):
        w = np.bincount(draw.integers(0, len(months), len(months)), minlength=len(months))[month].astype(
            float
        )
        values = {
            name: {
                "pr_auc": average_precision(y, s, w),
                "roc_auc": roc_auc(y, s, w),
                **top_k_metrics(y, tops[name], w),
                "brier": brier(y, s, w) if name != "checklist" else np.nan,
            }
            for name, s in models.items()
        }
        for name, v in values.items():
            v["lift_at_k"] = lift(v["recall_at_k"], values["checklist"]["recall_at_k"])
            for key, value in v.items():
                draws.setdefault((name, key), []).append(value)
    for (name, key), sample in draws.items():
        finite = np.asarray(sample)[np.isfinite(sample)]
        if key == "brier" and name == "checklist":
            assert np.isnan(float(got.loc[(name, key), "low"]))
            continue
        low, high = np.quantile(finite, [0.05, 0.95])
        assert got.loc[(name, key), "low"] == pytest.approx(low, abs=1e-12), (name, key)
        assert got.loc[(name, key), "high"] == pytest.approx(high, abs=1e-12), (name, key)
        assert low < high or key == "lift_at_k" and name == "checklist", (name, key)


def test_the_champion_gain_equals_gathering_the_drawn_months_rows_and_scoring_them_again() -> None:
    """The promotion's interval, from one sort of each score, is the one scikit-learn gives
    on the rows of each resample's months (a month drawn twice, its rows twice)."""
    rng = np.random.default_rng(3)
    months = pd.date_range("2021-01-31", periods=9, freq="ME").to_numpy()
    as_of = np.repeat(months, rng.integers(40, 90, len(months)))
    rng.shuffle(as_of)
    y = (rng.random(len(as_of)) < 0.08).astype(float)
    y[~np.isin(as_of, months[[1, 6]])] = 0  # stoppages in two months: some resamples have none
    challenger = np.round(rng.random(len(y)) + y * 0.4, 1)  # ties, within and across months
    champion = np.round(rng.random(len(y)) + y * 0.2, 2)
    got = paired_bootstrap_gain(y, challenger, champion, as_of, n_boot=60, seed=5)

    rows_of = [np.flatnonzero(as_of == m) for m in months]
    draw = np.random.default_rng(5)
    gains = []
    for _ in range(60):
        rows = np.concatenate([rows_of[i] for i in draw.integers(0, len(months), len(months))])
        yy = y[rows]
        both = 0 < yy.sum() < len(yy)
        gains.append(
            average_precision_score(yy, challenger[rows]) - average_precision_score(yy, champion[rows])
            if both
            else np.nan
        )
    sample = np.asarray(gains)
    assert np.isnan(sample).any()
    low, high = np.quantile(sample[np.isfinite(sample)], [0.05, 0.95])
    point = average_precision_score(y, challenger) - average_precision_score(y, champion)
    assert got["pr_auc_gain"] == pytest.approx(point, abs=1e-12)
    assert got["pr_auc_gain_low"] == pytest.approx(low, abs=1e-12)
    assert got["pr_auc_gain_high"] == pytest.approx(high, abs=1e-12)
    assert low < point < high  # not a degenerate interval
    assert paired_bootstrap_gain(y, challenger, champion, as_of, n_boot=60, seed=6) != got


def test_slices_rank_within_a_province_and_keep_the_overall_top_k_elsewhere() -> None:
    as_of = np.full(6, JAN)
    score = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    y = np.array([0, 1, 0, 1, 0, 0])
    table = pd.DataFrame({
        "province": ["A", "A", "A", "B", "B", "B"],
        "sector": ["14", "14", "26", "26", "14", "26"],
        "wage_arrears_months": 0.0,
        "insurance_debt_months": 0.0,
    })  # fmt: skip
    out = compare_slices({"m": score}, y, as_of, table, columns=("province", "sector"), capacity=1, n_boot=5)
    recall = out.loc[(out["model"] == "m") & (out["metric"] == "recall_at_k")].set_index(["column", "slice"])
    assert recall.loc[("province", "B"), "value"] == 1.0  # top 1 of province B is its positive
    assert recall.loc[("province", "A"), "value"] == 0.0
    assert recall.loc[("sector", "26"), "value"] == 0.0  # overall top 1 is a sector-14 firm
    assert recall.loc[("sector", "14"), "positives"] == 1


def test_calibration_table_bins() -> None:
    p = np.r_[np.full(90, 0.01), np.full(10, 0.5)]
    y = np.r_[np.zeros(89), 1, np.ones(5), np.zeros(5)]
    quantile = calibration_table(y, p, n_bins=10, strategy="quantile")
    assert quantile["rows"].tolist() == [10] * 10
    last = quantile.iloc[-1]
    assert last["mean_predicted"] == 0.5 and last["observed"] == 0.5 and last["low"] < 0.5 < last["high"]
    assert quantile.iloc[0]["observed"] == 0 and quantile.iloc[0]["high"] > 0
    # Equal expected events: each of 2 bins holds about half of sum(p) = 5.9, within one row's p.
    expected = calibration_table(y, p, n_bins=2, strategy="expected")
    assert expected["rows"].sum() == 100
    assert np.allclose(expected["rows"] * expected["mean_predicted"], 5.9 / 2, atol=0.5)


def test_lead_time_on_three_enterprises() -> None:
    months = pd.date_range("2022-01-31", periods=6, freq="ME")
    # Capacity 1: each month only the top firm is in the top k.
    top_firm = ["E3", "E3", "E1", "E1", "E2", "E2"]
    rows = [
        {"as_of": m, "enterprise_id": e, "score": 1.0 if e == top else 0.1}
        for m, top in zip(months, top_firm, strict=True)
        for e in ("E1", "E2", "E3")
    ]
    incidents = pd.DataFrame({
        "enterprise_id": ["E1", "E2", "E3", "E3", "E2", "E1"],
        "kind": ["work_stoppage"] * 4 + ["petition", "work_stoppage"],
        "started": pd.to_datetime(
            ["2022-06-10", "2022-06-03", "2022-07-15", "2022-02-15", "2022-06-01", "2021-05-01"]
        ),
    })  # fmt: skip
    events = lead_times(pd.DataFrame(rows), incidents, capacity=1)
    # The petition and the 2021 stoppage (no ranking in its window) are left out.
    assert events["enterprise_id"].tolist() == ["E1", "E2", "E3", "E3"]
    lead = dict(zip(events["started"].dt.strftime("%m-%d"), events["lead_months"], strict=True))
    assert lead["06-10"] == 3  # E1 entered the top k at the end of March, stopped in June
    assert lead["06-03"] == 1  # E2 entered at the end of May
    assert lead["02-15"] == 1  # E3 at the end of January
    assert np.isnan(lead["07-15"])  # E3 was not in the top k in April, May or June
    assert events["flagged"].tolist() == [True, True, False, True]
    summary = lead_time_summary(events, n_boot=50, seed=0)
    assert summary["events"] == 4 and summary["flagged_share"] == 0.75
    assert summary["median_lead_months"] == 1 and summary["mean_lead_months"] == pytest.approx(5 / 3)


def test_lead_time_window_and_summary_by_eye() -> None:
    months = pd.date_range("2022-01-31", periods=3, freq="ME")
    scores = pd.DataFrame({
        "as_of": np.repeat(months, 2),
        "enterprise_id": ["A", "B"] * 3,
        "score": [1, 0, 1, 0, 0, 1],
    })  # fmt: skip
    incidents = pd.DataFrame({
        "enterprise_id": ["A", "B"],
        "kind": "work_stoppage",
        "started": pd.to_datetime(["2022-04-05", "2022-05-20"]),
    })  # fmt: skip
    events = lead_times(scores, incidents, capacity=1).set_index("enterprise_id")
    assert events.loc["A", "lead_months"] == 3 and events.loc["B", "lead_months"] == 2
    summary = lead_time_summary(events.reset_index(), n_boot=20, seed=1)
    assert summary["flagged_share"] == 1.0 and summary["median_lead_months"] == 2.5
    assert summary == lead_time_summary(events.reset_index(), n_boot=20, seed=1)


def test_lead_times_when_no_stoppage_was_ever_in_the_top_k() -> None:
    months = pd.date_range("2022-01-31", periods=3, freq="ME")
    scores = pd.DataFrame(
        {"as_of": np.repeat(months, 2), "enterprise_id": ["A", "B"] * 3, "score": [1, 0] * 3}
    )
    incidents = pd.DataFrame(
        {"enterprise_id": ["B"], "kind": "work_stoppage", "started": pd.to_datetime(["2022-04-05"])}
    )
    events = lead_times(scores, incidents, capacity=1)
    assert events["enterprise_id"].tolist() == ["B"] and events["flagged"].tolist() == [False]
    assert events["lead_months"].isna().all()


def test_true_probability_compounds_the_next_h_monthly_hazards() -> None:
    truth = pd.DataFrame({
        "enterprise_id": ["A"] * 5 + ["B"] * 2,
        "month": ["2020-01", "2020-02", "2020-03", "2020-04", "2020-05", "2020-04", "2020-05"],
        "hazard": [0.9, 0.1, 0.2, 0.5, 0.3, 0.4, 0.4],
    })  # fmt: skip
    rows = pd.DataFrame({
        "as_of": pd.to_datetime(["2020-01-31", "2020-01-31", "2020-03-31"]),
        "enterprise_id": ["A", "B", "A"],
    })  # fmt: skip
    p = true_probability(truth, rows, horizon_months=3)
    assert p[0] == pytest.approx(1 - 0.9 * 0.8 * 0.5)
    assert p[1] == pytest.approx(0.4)  # B founded in April: Feb and March count as 0
    assert np.isnan(p[2])  # its window runs past the simulated months


def test_the_true_hazard_is_the_ceiling_on_the_simulated_world(tiny_frames) -> None:  # type: ignore[no-untyped-def]
    import simulator as sim
    from features.build import build_features, known_at

    enterprises, indicators, incidents = tiny_frames
    truth = sim.simulate("tiny", seed=3).true_hazard  # the world behind `tiny_frames`
    as_of = pd.date_range("2022-01-31", periods=6, freq="ME")
    table = build_features(enterprises, *known_at(indicators, incidents, pd.Timestamp("2022-06-30")), as_of)
    p = true_probability(truth, table)
    assert np.isfinite(p).all() and ((p >= 0) & (p < 1)).all()
    ends = table["as_of"] + pd.DateOffset(months=3)
    stoppages = incidents.loc[incidents["kind"] == "work_stoppage", ["enterprise_id", "started"]]
    hits = table[["as_of", "enterprise_id"]].assign(end=ends).merge(stoppages, on="enterprise_id")
    hits = hits.loc[(hits["started"] > hits["as_of"]) & (hits["started"] <= hits["end"])]
    y = table.set_index(["as_of", "enterprise_id"]).index.isin(
        hits.set_index(["as_of", "enterprise_id"]).index
    )
    out = compare({}, y.astype(float), table["as_of"].to_numpy(), table, p, n_boot=20)
    value = out.set_index(["model", "metric"])["value"]
    assert value["true_hazard", "pr_auc"] > value["checklist", "pr_auc"]
    assert abs(p.mean() - y.mean()) < 3 * np.sqrt(y.mean() / len(y)) + 0.002


def test_by_month_reports_each_month_and_the_pool() -> None:
    """Month 1: the one stoppage is ranked first. Month 2: two stoppages, a false alarm on top."""
    as_of = np.array(["2024-01-31"] * 4 + ["2024-02-29"] * 4, dtype="datetime64[ns]")
    y = np.array([1, 0, 0, 0, 0, 1, 0, 1])
    score = np.array([0.9, 0.1, 0.2, 0.3, 0.9, 0.8, 0.1, 0.2])
    table = by_month({"m": score}, y, as_of, capacity=1).set_index("month")
    assert table.loc["2024-01-31", "pr_auc"] == pytest.approx(1.0)
    assert table.loc["2024-01-31", "caught_top_k"] == 1.0
    assert table.loc["2024-02-29", "pr_auc"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert table.loc["2024-02-29", "caught_top_k"] == 0.0
    assert table.loc["all", "caught_top_k"] == pytest.approx(1 / 3)
    assert table.loc["all", ["rows", "positives"]].tolist() == [8, 3]
