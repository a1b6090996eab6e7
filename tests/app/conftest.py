"""A small demo workspace for the page's tests: a simulated tiny world, ingested, two nights ranked.

No model is trained for the rankings (that takes minutes): the two rankings are published
with a transparent stand-in score computed from the figures known on each night, so the page
has real names, districts, zones, indicator histories, incidents, movers and stale flags to
show. "Why it moved" needs a champion: `champion_home` adds one, the project's logistic
learner fitted in about a second on the same world and registered as `ews train` does.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

NIGHTS = ("2024-05-31", "2024-06-30")
#: The champion's workspace also holds the month-ends before them (the supervisors' page
#: judges closed months against the nights before them).
EARLIER_NIGHTS = tuple(str(d.date()) for d in pd.date_range("2023-09-30", "2024-04-30", freq="ME"))
MODEL_NAME = "labor-ews"  # the default `EWS_MODEL_NAME`


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
    areas = Path(source[0]).parent / "areas.csv"
    if areas.exists():  # the workspace's area reference (the map)
        shutil.copyfile(areas, home / "areas.csv")
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


def tracking_uri(home: Path) -> str:
    """The workspace's own MLflow store (what `ews` uses when `MLFLOW_TRACKING_URI` is unset)."""
    return f"sqlite:///{home / 'mlflow' / 'mlflow.db'}"


def register_champion(home: Path) -> str:
    """Fit the project's logistic learner as of the last night on the workspace's store and
    register it as champion, as `ews train` does (digest kept in the workspace, the move
    recorded); return its version. The environment is put back afterwards."""
    from data.store import Store
    from features.sets import feature_set
    from models import champion, registry
    from models.backtest import build_training_frame, candidate_params, fit_at
    from models.train import ModelParams, model_input

    store = Store(home / "store")
    params = ModelParams(max_iter=60, backtest_origins=0, calibration_months=2)
    frame = build_training_frame(
        store.load_enterprises(),
        store.load_indicators(),
        store.load_incidents(),
        as_of=pd.Timestamp(NIGHTS[-1]),
        params=params,
    )
    fitted = fit_at(frame, frame.as_of, "logistic")
    chosen = candidate_params(params, "logistic").feature_set
    saved = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = tracking_uri(home)
    try:
        version = registry.log_model_version(
            fitted.model,
            model_name=MODEL_NAME,
            experiment=MODEL_NAME,
            artifact_root=(home / "mlflow" / "artifacts").as_uri(),
            params={},
            metrics={},
            tags={"feature_set": chosen},
            input_example=model_input(frame.table.head(5), feature_set(chosen)),
            texts={},
        )
        champion.record_training_aliases(
            MODEL_NAME,
            home / "ews.db",
            version.version,
            promoted=True,
            previous=None,
            reason="the page's tests: a logistic champion",
            digest=version.digest,
        )
    finally:
        if saved is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = saved
    return version.version


@pytest.fixture(scope="session")
def champion_home(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace with a registered champion and the month-end nights before its two
    nights (`EARLIER_NIGHTS`), built once per session."""
    home = tmp_path_factory.mktemp("ews-champion") / "home"
    shutil.copytree(demo_home, home, ignore=shutil.ignore_patterns("sources"))
    for night in EARLIER_NIGHTS:
        publish_stand_in_night(home, night)
    register_champion(home)
    return home


@pytest.fixture
def fresh_champion_home(
    champion_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A private copy of the workspace with a champion, set as EWS_HOME with its MLflow store."""
    home = tmp_path / "home"
    shutil.copytree(champion_home, home)
    monkeypatch.setenv("EWS_HOME", str(home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri(home))
    yield home


def publish_stand_in_night(home: Path, night: str) -> None:
    """Publish one more night into `home`, scored by the stand-in from what was known then."""
    from data.store import Store
    from outputs.rankings import publish

    store = Store(home / "store")
    publish(home / "ews.db", _stand_in_ranking(store.load_enterprises(), store.load_indicators(), night))


@pytest.fixture
def later_night() -> Callable[[Path, str], None]:
    """`publish_stand_in_night`, for tests that need a night after something they recorded."""
    return publish_stand_in_night
