"""Bands, plots, the backtest table, the feature list and the model card."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from features.sets import EWS_FEATURES_V1
from judging.metrics import compare, compare_slices, lead_time_summary
from judging.summary import backtest_table
from outputs.ranking import bands_from_probability
from present.model_card import feature_list, model_card
from present.plots import plot_backtest, plot_calibration, plot_pr_curves

PNG = b"\x89PNG\r\n\x1a\n"


def test_bands_use_both_the_capacity_and_the_calibrated_probability() -> None:
    p = np.r_[0.2, 0.1, 0.06, 0.03, 0.015, np.full(95, 0.001)]
    bands = bands_from_probability(p, None, 0.02, base_rate=0.01)  # k = 2
    assert bands[:5].tolist() == ["high", "high", "elevated", "elevated", "watch"]
    assert (bands[5:20] == "watch").all() and (bands[20:] == "low").all()
    # Above five times the base rate a firm is elevated even beyond 3k.
    p = np.r_[0.3, 0.2, 0.1, 0.09, np.full(96, 0.001)]
    assert bands_from_probability(p, 100, 1, base_rate=0.01)[:5].tolist() == [
        "high", "elevated", "elevated", "elevated", "watch",
    ]  # fmt: skip
    # A quiet month: nobody is twice the base rate, so nobody is high or elevated.
    quiet = bands_from_probability(np.full(100, 0.001), 100, 0.01, base_rate=0.01)
    assert set(quiet[:10]) == {"watch"} and set(quiet[10:]) == {"low"}
    # Bands follow the rank, not the row order (ties aside).
    reordered = bands_from_probability(p[::-1], 100, 1, base_rate=0.01)[::-1]
    assert reordered[:4].tolist() == ["high", "elevated", "elevated", "elevated"]


def _world() -> tuple[np.ndarray, np.ndarray, pd.DataFrame, dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    as_of = np.repeat(pd.date_range("2022-01-31", periods=6, freq="ME").to_numpy(), 300)
    truth = rng.beta(0.5, 60, len(as_of))
    y = (rng.random(len(as_of)) < truth).astype(float)
    table = pd.DataFrame({"wage_arrears_months": rng.poisson(truth * 20), "insurance_debt_months": 0.0})
    model = np.clip(truth * np.exp(rng.normal(0, 0.5, len(truth))), 0, 1)
    return y, as_of, table, {"hgb": model, "true_hazard": truth}


def test_plots_write_non_empty_pngs(tmp_path: Path) -> None:
    y, as_of, table, scores = _world()
    paths = [
        plot_pr_curves(
            y, {**scores, "checklist": table["wage_arrears_months"].to_numpy()}, tmp_path / "pr.png"
        ),
        plot_calibration(y, scores, tmp_path / "figs" / "calibration.png"),
    ]
    results = {
        origin: compare({"hgb": scores["hgb"]}, y, as_of, table, scores["true_hazard"], n_boot=10)
        for origin in ("2022-06-30", "2022-12-31", "2023-06-30")
    }
    backtest = backtest_table(results)
    assert backtest.columns[0] == "origin" and backtest["origin"].nunique() == 3
    paths.append(plot_backtest(backtest, tmp_path / "backtest.png", metric="pr_auc"))
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG) and len(data) > 5_000, path


def test_feature_list_describes_every_feature() -> None:
    table = feature_list(EWS_FEATURES_V1)
    assert table["feature"].tolist() == list(EWS_FEATURES_V1)
    assert (table["description"].str.len() > 10).all()
    assert table.set_index("feature").loc["sector", "kind"] == "categorical"


def test_model_card_holds_the_key_numbers() -> None:
    y, as_of, table, scores = _world()
    comparison = compare({"hgb": scores["hgb"]}, y, as_of, table, scores["true_hazard"], n_boot=20)
    events = pd.DataFrame({"flagged": [True, True, False, True], "lead_months": [3.0, 1.0, np.nan, 2.0]})
    card = model_card(
        name="labor-ews",
        model="hgb",
        version="7",
        as_of="2023-12-20",
        data_window=("2019-01", "2023-11"),
        feature_set="ews-v1",
        features=EWS_FEATURES_V1,
        comparison=comparison,
        capacity=0.01,
        lead=lead_time_summary(events, n_boot=20),
        figures={"Precision–recall": "pr.png"},
        slices=compare_slices(
            {"hgb": scores["hgb"]},
            y,
            as_of,
            table.assign(province="Hải Dương"),
            columns=("province",),
            n_boot=5,
        ),
    )
    row = comparison.set_index(["model", "metric"])
    for model in ("hgb", "checklist", "true_hazard"):
        assert f"| {model} |" in card
        assert f"{row.loc[(model, 'recall_at_k'), 'value']:.3f}" in card
    hgb = row.loc[("hgb", "pr_auc")]
    assert f"{hgb['value']:.3f} [{hgb['low']:.3f}, {hgb['high']:.3f}]" in card
    assert "2023-12-20" in card and "ews-v1" in card and "`wage_arrears_months`" in card
    assert "| province | Hải Dương |" in card
    assert "3 of 4 stoppages" in card and "median lead 2.000 months" in card
    for section in ("## Purpose", "## Bands", "## Limitations", "## Intended use", "Enterprise-level"):
        assert section in card
