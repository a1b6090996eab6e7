"""The simulated loop of acting on warnings (`benchmarks/bench_action_loop.py`): its parts by
hand, and its core on the tiny world for three months."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.train import ModelParams
from simulator.actions import officers_choice

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from benchmarks import bench_action_loop as loop  # noqa: E402


def test_officers_choice_follows_the_signals() -> None:
    kinds = officers_choice(
        np.array([2.0, 0.0, 0.0, 0.0, np.nan, 1.0]),
        np.array([3.0, 1.0, 0.0, 0.0, np.nan, 0.0]),
        np.array([0.0, 0.0, 2.0, 0.0, np.nan, 5.0]),
    )
    assert kinds.tolist() == [
        "wage_payment", "insurance_payment", "mediation", "inspection", "inspection", "wage_payment",
    ]  # fmt: skip


def test_officers_act_on_the_top_k_not_already_acted_on() -> None:
    day = pd.Timestamp("2023-05-31")
    rows = pd.DataFrame({
        "enterprise_id": [f"{i:010d}" for i in range(200)],
        "score": np.linspace(1.0, 0.0, 200),
        "wage_arrears_months": [1.0] + [0.0] * 199,
        "insurance_debt_months": [0.0, 2.0] + [0.0] * 198,
        "incidents_12m": [0.0] * 200,
    })  # fmt: skip
    # The first firm's payment (April, 6 months) still acts in June; the second's inspection
    # (February, 3 months) ended in May.
    earlier = pd.DataFrame({
        "enterprise_id": [f"{0:010d}", f"{1:010d}"],
        "kind": ["wage_payment", "inspection"],
        "started": ["2023-04-30", "2023-02-28"],
    })  # fmt: skip
    acted = loop.officers_act(rows, day, 0.01, earlier)
    # k = ceil(1% of 200) = 2: the first firm is skipped, the second and third are taken.
    assert acted["enterprise_id"].tolist() == [f"{1:010d}", f"{2:010d}"]
    assert acted["kind"].tolist() == ["insurance_payment", "inspection"]
    assert set(acted["started"]) == {"2023-05-31"}


def test_capture_against_the_oracle() -> None:
    rows = pd.DataFrame({
        "as_of": [pd.Timestamp("2023-01-31")] * 4 + [pd.Timestamp("2023-02-28")] * 4,
        "p": [0.4, 0.3, 0.2, 0.1, 0.5, 0.0, 0.0, 0.0],
    })  # fmt: skip
    # k = 1 per month: the model picks 0.3 in January (best 0.4) and 0.5 in February.
    score = np.array([0.1, 0.9, 0.2, 0.3, 0.8, 0.1, 0.2, 0.3])
    assert loop.capture(rows, score, 0.01) == pytest.approx((0.3 + 0.5) / (0.4 + 0.5))
    assert loop.capture(rows, rows["p"].to_numpy(), 0.01) == pytest.approx(1.0)


def test_loop_core_on_the_tiny_world(tmp_path: Path) -> None:
    """Three months, one retraining (the third month), two policies, one world (12 s on an
    idle 2-core machine, about 2 minutes under a load of 10)."""
    params = ModelParams(backtest_origins=0, learner="hgb", max_iter=40)
    result = loop.run_world(
        "tiny",
        0,
        start="2023-04",
        months=3,
        every=2,
        capacity=0.01,
        params=params,
        policies=("naive", "censor"),
        workdir=tmp_path,
    )
    # The first segment's model is trained before any action: the same for every policy.
    firsts = {name: values[0] for name, values in result.capture.items()}
    assert len(set(firsts.values())) == 1
    assert set(result.capture) == {loop.REFERENCE, "naive", "censor"}
    assert all(len(v) == 2 for v in result.capture.values())
    # k = 1% of the operating firms each month, three months, per policy.
    assert all(40 <= n <= 3 * 15 for n in result.actions.values())
    # The censor policy's retraining left out rows the actions reached.
    assert sum(result.censored.values()) > 0
    for averted in result.averted.values():
        # Actions only lower hazards, and the acted world's stoppages are a subset.
        assert averted["expected"] > 0
        assert 0 <= averted["realized"] <= averted["untreated"]
    for pooled in result.pooled.values():
        assert 0 < pooled["capture"] <= 1


def _world(seed: int) -> loop.WorldResult:
    return loop.WorldResult(
        seed,
        capture={"reference": [0.5, 0.6], "naive": [0.5, 0.55 + seed / 100]},
        pr_auc={"reference": [0.1, 0.2], "naive": [0.1, 0.15]},
        pooled={
            "reference": {"capture": 0.6, "pr_auc": 0.2},
            "naive": {"capture": 0.55 + seed / 100, "pr_auc": 0.15},
        },
        averted={"naive": {"expected": 1.5, "realized": 2.0, "untreated": 9.0}},
        actions={"naive": 40},
        seconds=12.0,
    )


def test_worlds_run_apart_are_reported_together(tmp_path: Path) -> None:
    """Worlds saved in two sittings give the report of one run over both (by seed)."""
    names = ("reference", "naive")
    for seed in (3, 1):
        loop.save_world(
            tmp_path / f"s{seed}.json", names, "hai-duong, loop 2022-10 + 24 months", _world(seed)
        )
    got_names, setup, worlds = loop.load_worlds(sorted(tmp_path.glob("*.json")))
    assert got_names == names and setup.startswith("hai-duong")
    assert worlds == [_world(1), _world(3)]
    assert loop.report(worlds, names) == loop.report([_world(1), _world(3)], names)
    assert "| naive − reference | -0.030 (sd 0.014; -0.040–-0.020) |" in loop.report(worlds, names)
    loop.save_world(tmp_path / "other.json", names, "tiny, loop 2022-10 + 24 months", _world(5))
    with pytest.raises(ValueError, match="different settings"):
        loop.load_worlds(sorted(tmp_path.glob("*.json")))
    with pytest.raises(ValueError, match="naive reported twice"):
        loop.load_worlds([tmp_path / "s1.json", tmp_path / "s1.json"])


def test_one_seeds_policies_run_in_two_processes_are_merged(tmp_path: Path) -> None:
    """`--policies naive` and `--policies censor` run apart give one world with both."""
    setup = "demo, loop 2022-10 + 24 months"
    naive = _world(1)
    censor = _world(1)
    for field in ("capture", "pr_auc", "pooled", "averted", "actions"):
        values = getattr(censor, field)
        values["censor"] = values.pop("naive")
    censor.pooled["censor"] = {"capture": 0.5, "pr_auc": 0.1}
    loop.save_world(tmp_path / "naive.json", ("reference", "naive"), setup, naive)
    loop.save_world(tmp_path / "censor.json", ("reference", "censor"), setup, censor)
    names, _, worlds = loop.load_worlds([tmp_path / "censor.json", tmp_path / "naive.json"])
    assert names == ("reference", "naive", "censor")
    (world,) = worlds
    assert world.pooled["naive"] == naive.pooled["naive"] and world.pooled["censor"]["capture"] == 0.5
    assert world.actions == {"naive": 40, "censor": 40} and world.seconds == 24.0
    assert "| censor − naive | -0.060 (sd 0.000" in loop.report(worlds, names)
    other = _world(1)
    other.pooled["reference"] = {"capture": 0.61, "pr_auc": 0.2}
    loop.save_world(tmp_path / "other.json", ("reference", "naive"), setup, other)
    with pytest.raises(ValueError, match="the reference differs"):
        loop.load_worlds([tmp_path / "censor.json", tmp_path / "other.json"])
    loop.save_world(tmp_path / "s2.json", ("reference", "naive"), setup, _world(2))
    with pytest.raises(ValueError, match="seed 2 lacks censor"):
        loop.load_worlds([tmp_path / "censor.json", tmp_path / "naive.json", tmp_path / "s2.json"])
