"""The seeded worlds match the sourced targets of docs/calibration.md (expected values from the true hazard)."""

import pytest

from simulator import World, calibration_report, simulate


@pytest.fixture(scope="module")
def report() -> dict[str, float | int | str]:
    world: World = simulate("hai-duong", seed=0)
    return calibration_report(world)


def test_population(report: dict[str, float | int | str]) -> None:
    # The article's >17,000 enterprises and ~400,000 workers are those of mid-2024; the
    # registry holds more, as firms close and others are founded later.
    assert int(report["hd_operating_2024_06"]) > 17_000
    assert 360_000 <= int(report["hd_workers_2024_06"]) <= 440_000
    assert report["hd_iz_operating"] == 11 and report["hd_ccn_operating"] == 32
    assert report["hd_iz_planned"] == 24 and report["hd_ccn_planned"] == 55


def test_expected_stoppages(report: dict[str, float | int | str]) -> None:
    assert 5 <= float(report["hd_stoppages_expected_2021_2024h1"]) <= 9
    assert 0.70 <= float(report["fdi_share_expected"]) <= 0.87
    assert 0.2 <= float(report["tet_share_expected"]) <= 0.4
    assert 300 <= float(report["mean_participants_expected"]) <= 450
    assert float(report["sector_share_expected_13_14_15_16_26"]) > 0.5


def test_drivers(report: dict[str, float | int | str]) -> None:
    assert float(report["si_debt_before_wage_arrears_share"]) > 0.6
    assert 0.005 <= float(report["si_debt_3m_firm_share"]) <= 0.03
    assert float(report["slump_ratio"]) > 3


def test_demo_has_enough_stoppages() -> None:
    report = calibration_report(simulate("demo", seed=0))
    assert int(report["stoppages_realized"]) >= 300
    assert 5 <= float(report["hd_stoppages_expected_2021_2024h1"]) <= 9
