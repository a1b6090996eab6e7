"""A small demo workspace for the page's tests: a simulated tiny world, ingested, two nights ranked.

No model is trained (that takes minutes): the two rankings are published with a transparent
stand-in score computed from the figures known on each night, so the page has real names,
districts, zones, indicator histories, incidents, movers and stale flags to show.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

NIGHTS = ("2024-05-31", "2024-06-30")


def _reasons(arrears: float, debt: float, layoffs: float, lang: str) -> str:
    """The stand-in score's reasons in plain words, biggest first."""
    parts = []
    if arrears > 0:
        parts.append(
            (
                1.1 * arrears,
                f"{arrears:g} tháng nợ lương" if lang == "vi" else f"{arrears:g} months of wage arrears",
            )
        )
    if debt > 0:
        parts.append(
            (0.35 * debt, f"{debt:g} tháng nợ BHXH" if lang == "vi" else f"{debt:g} months of insurance debt")
        )
    if layoffs > 0:
        share = f"{min(layoffs, 1):.0%}"
        parts.append(
            (
                2.0 * min(layoffs, 0.3),
                f"cho thôi việc {share} lao động" if lang == "vi" else f"{share} of workers laid off",
            )
        )
    return "; ".join(text for _, text in sorted(parts, reverse=True))


def _stand_in_ranking(enterprises: pd.DataFrame, indicators: pd.DataFrame, night: str) -> pd.DataFrame:
    """A ranking of `night` shaped like `ews score`'s, from a simple score of the latest figures."""
    cutoff = pd.Timestamp(night)
    known = indicators.loc[indicators["reported_at"] <= cutoff]
    latest = known.sort_values(["enterprise_id", "month", "reported_at"]).groupby("enterprise_id").tail(1)
    frame = latest.merge(enterprises, on="enterprise_id", how="inner")
    frame = frame.loc[frame["closed"].isna() | (frame["closed"] > cutoff)]
    arrears = frame["wage_arrears_months"].fillna(0).to_numpy(float)
    debt = frame["insurance_debt_months"].fillna(0).to_numpy(float)
    layoffs = (frame["layoffs"].fillna(0) / frame["headcount"].clip(lower=1)).to_numpy(float)
    size = np.log10(frame["headcount"].fillna(1).clip(lower=1).to_numpy(float))  # larger firms strike more
    score = 1 / (
        1 + np.exp(-(-7.0 + 1.1 * arrears + 0.35 * debt + 2.0 * np.minimum(layoffs, 0.3) + 0.9 * size))
    )
    frame = frame.assign(
        score=score,
        reasons=[_reasons(a, d, x, "vi") for a, d, x in zip(arrears, debt, layoffs, strict=True)],
        reasons_en=[_reasons(a, d, x, "en") for a, d, x in zip(arrears, debt, layoffs, strict=True)],
    ).sort_values(["score", "enterprise_id"], ascending=[False, True])
    n = len(frame)
    rank = np.arange(1, n + 1)
    band = np.select(
        [rank <= max(1, n // 100), rank <= 3 * max(1, n // 100), rank <= n // 10],
        ["high", "elevated", "watch"],
        "low",
    )
    months_stale = ((cutoff.to_period("M") - frame["month"].dt.to_period("M")).map(lambda p: p.n) - 1).clip(
        lower=0
    )
    return pd.DataFrame(
        {
            "as_of": night,
            "enterprise_id": frame["enterprise_id"].to_numpy(),
            "rank": rank,
            "score": frame["score"].to_numpy(),
            "band": band,
            "reasons": frame["reasons"].to_numpy(),
            "reasons_en": frame["reasons_en"].to_numpy(),
            "name": frame["name"].to_numpy(),
            "province": frame["province"].to_numpy(),
            "district": frame["district"].to_numpy(),
            "zone_id": frame["zone_id"].to_numpy(),
            "sector": frame["sector"].to_numpy(),
            "ownership": frame["ownership"].to_numpy(),
            "model_name": "labor-ews",
            "model_version": "7",
            "run_id": f"run-{night}",
            "input_digest": "0" * 64,
            "months_stale": months_stale.to_numpy(float),
            "stale": (months_stale > 3).astype(int).to_numpy(),
        }
    )


def build_demo_workspace(home: Path) -> Path:
    """Simulate, ingest and publish two nights into `home`; return `home`."""
    import simulator as sim
    from data.ingest import ingest
    from data.store import Store
    from outputs.rankings import publish

    world = sim.simulate("tiny", seed=0, start="2023-01", end="2024-06")
    source = sim.write_source(world, home / "sources" / "tiny", "csv")
    store = Store(home / "store")
    ingest(str(Path(source[0]).parent), store)
    enterprises, indicators = store.load_enterprises(), store.load_indicators()
    for night in NIGHTS:
        publish(home / "ews.db", _stand_in_ranking(enterprises, indicators, night))
    return home


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace, built once per session; tests that write use `fresh_home`."""
    return build_demo_workspace(tmp_path_factory.mktemp("ews-demo"))


@pytest.fixture
def fresh_home(demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo workspace, set as EWS_HOME."""
    home = tmp_path / "home"
    shutil.copytree(demo_home, home, ignore=shutil.ignore_patterns("sources"))
    monkeypatch.setenv("EWS_HOME", str(home))
    return home
