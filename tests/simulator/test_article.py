"""The article presets match the source article at mid-2024 on every seed, not on average.

The article (Hải Dương provincial police; docs/calibration.md): more than 17,000
enterprises, ~400,000 workers, and since 2021 7 collective stoppages of ~2,600
participants in all, ~370 each. The `hai-duong` preset and the Hải Dương province of
`demo` must have more than 17,000 firms operating in June 2024, collective stoppages only,
and a 2021-01..2024-06 mean near 370. Over ~7 stoppages that mean is a small sample: the
bounds below are those docs/calibration.md reports for seeds 0-9 (every seed within 50%
of 370, most within 30%). Seeds 0 and 7 of `hai-duong` run by default, seed 0 of `demo` with
the slow tests; seeds 0-9 of both presets run on demand (`make test-on-demand`: about 8 CPU
minutes, the worlds simulated two at a time, in two processes).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import cache

import pytest

from simulator import calibration_report, simulate

TARGET = 370.0  # ~2,600 participants / 7 stoppages
SEEDS = tuple(range(10))


@cache
def _figures(preset: str, seed: int) -> dict[str, float]:
    return _simulated_figures(preset, seed)


def _simulated_figures(preset: str, seed: int) -> dict[str, float]:
    """The article's figures of one simulated world (`_figures` caches them in this process)."""
    world = simulate(preset, seed=seed)
    report = calibration_report(world)
    stops = world.incidents[world.incidents["kind"] == "work_stoppage"]
    figures = {k: float(v) for k, v in report.items() if k.startswith("hd_") or k == "participation_share"}
    figures["stoppages_min_participants"] = float(stops["participants"].min())
    return figures


def _check_seed(figures: dict[str, float]) -> None:
    assert figures["hd_operating_2024_06"] > 17_000
    assert 320_000 <= figures["hd_workers_2024_06"] <= 480_000  # ~400,000
    assert figures["hd_stoppages_expected_2021_2024h1"] == pytest.approx(7.0, abs=0.3)
    assert figures["hd_mean_participants_expected_2021_2024h1"] == pytest.approx(TARGET, rel=0.05)
    assert 0.5 * TARGET <= figures["hd_mean_participants_realized_2021_2024h1"] <= 1.5 * TARGET
    # Collective: no stoppage of fewer than 10 participants, in the window or anywhere.
    assert figures["hd_min_participants_realized_2021_2024h1"] >= 10
    assert figures["stoppages_min_participants"] >= 10
    assert 0.70 <= figures["hd_fdi_share_expected_2021_2024h1"] <= 0.87
    assert 0.7 <= figures["participation_share"] <= 0.9


@pytest.mark.parametrize("seed", [0, 7])
def test_hai_duong_matches_the_article(seed: int) -> None:
    """Seed 7 had 15,519 firms operating in June 2024 and stoppages of 2 and 3 people."""
    _check_seed(_figures("hai-duong", seed))


@pytest.mark.slow
def test_the_demo_world_matches_the_article() -> None:
    """The Hải Dương province of the 50,000-enterprise demo world, on seed 0."""
    _check_seed(_figures("demo", 0))


@pytest.mark.slow
@pytest.mark.on_demand
@pytest.mark.parametrize("preset", ["hai-duong", "demo"])
def test_every_seed_matches_the_article(preset: str) -> None:
    # Ten worlds, two at a time: a world is one process's numpy work, and CI has two cores.
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        seeds = dict(zip(SEEDS, pool.map(_simulated_figures, [preset] * len(SEEDS), SEEDS), strict=True))
    for seed, figures in seeds.items():
        try:
            _check_seed(figures)
        except AssertionError as err:
            raise AssertionError(f"{preset} seed {seed}: {figures}") from err
    means = [f["hd_mean_participants_realized_2021_2024h1"] for f in seeds.values()]
    assert sum(abs(m / TARGET - 1) <= 0.3 for m in means) >= 7
    assert sum(means) / len(means) == pytest.approx(TARGET, rel=0.15)
