"""The night's features, scores and reasons fanned out per province on Dask, as the backtest's fits are.

A national workspace scores every province each night. When the settings name a Dask
cluster (`EWS_DASK_ADDRESS`, or `EWS_DASK_WORKERS` local processes) and the night holds more
than one province, each province is one task run, `score-province[province=…]`, which builds
its enterprises' features, scores them with the champion and writes their reasons; the flow
gathers the provinces in (as_of, enterprise_id) order and ranks, publishes and reports the
night as before. The night is still published in one transaction: every province's ranking
whole, or none of them.

Zones, areas, peers and contagion are all counted within a province
(`features.build.province_units`), so a province's features read nothing of another's, and
each task builds them against the whole enterprise table (its own rows only), so the
categories, scores and reasons are those of the serial run exactly (tested). The enterprises,
incidents and the model go to every worker once (`scatter`); each task carries only its
province's indicator rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError
from threadpoolctl import threadpool_limits

from features import build
from models.train import model_input, predict
from present.reasons import explain_scores
from vocab import progress

if TYPE_CHECKING:
    from prefect_dask import DaskTaskRunner


@dataclass(frozen=True)
class Scored:
    """A night's feature rows, in (as_of, enterprise_id) order, with their scores and reasons."""

    features: pd.DataFrame
    probability: np.ndarray
    reasons: pd.DataFrame


def score_enterprises(
    model: Any,
    columns: tuple[str, ...],
    enterprises: pd.DataFrame,
    indicators: pd.DataFrame,
    incidents: pd.DataFrame,
    as_of: pd.Timestamp,
    only: np.ndarray | None = None,
) -> Scored:
    """Features at `as_of`, the model's probabilities and the reasons, of every enterprise or
    of the ids in `only` (built against the whole enterprise table, so its categories)."""
    rows = None
    if only is not None:
        wanted = np.asarray(only)

        def rows(grid: pd.DatetimeIndex, ids: np.ndarray) -> np.ndarray:
            return np.repeat(np.isin(ids, wanted)[None, :], len(grid), axis=0)

    features = build.build_features(enterprises, indicators, incidents, [as_of], rows=rows)
    if features.empty:
        return Scored(features, np.empty(0), pd.DataFrame())
    probability = predict(model, features, columns)
    reasons = explain_scores(model, model_input(features, columns))
    return Scored(features, probability, reasons)


@task(name="score-province", task_run_name="score-province[province={province}]", cache_policy=NO_CACHE)
def score_province(
    province: str,
    ids: np.ndarray,
    model: Any,
    columns: tuple[str, ...],
    enterprises: pd.DataFrame,
    indicators: pd.DataFrame,
    incidents: pd.DataFrame,
    as_of: pd.Timestamp,
) -> Scored:
    """One province's part of the night, on one thread (a worker runs a task per thread)."""
    with threadpool_limits(limits=1):
        return score_enterprises(model, columns, enterprises, indicators, incidents, as_of, only=ids)


def gather(parts: list[Scored]) -> Scored:
    """The provinces' parts as one night, in the serial run's (as_of, enterprise_id) order."""
    parts = [p for p in parts if len(p.features)]
    if not parts:
        return Scored(build.empty_feature_table(), np.empty(0), pd.DataFrame())
    features = pd.concat([p.features for p in parts], ignore_index=True)
    order = np.lexsort((features["enterprise_id"].to_numpy(dtype=str), features["as_of"].to_numpy()))
    return Scored(
        features.take(order).reset_index(drop=True),
        np.concatenate([p.probability for p in parts])[order],
        pd.concat([p.reasons for p in parts], ignore_index=True).take(order).reset_index(drop=True),
    )


def score_by_province(
    runner: DaskTaskRunner,
    model: Any,
    columns: tuple[str, ...],
    enterprises: pd.DataFrame,
    indicators: pd.DataFrame,
    incidents: pd.DataFrame,
    as_of: pd.Timestamp,
) -> Scored | None:
    """Every province of the night as one task on `runner`'s cluster, then gathered; None
    when the night holds one province (nothing to fan out: no cluster is started).

    A failed province fails the night (nothing is published): the runner's cluster, if it
    started one, is closed with its other tasks.
    """
    import distributed

    from flows.backtest import api_for_local_workers, import_code_on_cluster

    try:
        logger: logging.Logger | logging.LoggerAdapter[logging.Logger] = get_run_logger()
    except MissingContextError:
        logger = logging.getLogger(__name__)
    provinces = build.province_units(enterprises)
    names = sorted(set(provinces))
    if len(names) < 2:
        return None
    with runner, api_for_local_workers(runner):
        client = runner.client
        import_code_on_cluster(client)
        logger.info(
            "scoring %d provinces on the Dask cluster at %s",
            len(names),
            client.scheduler_info().get("address"),
        )
        shared = {
            name: client.scatter(value, broadcast=True, hash=False)
            for name, value in (("model", model), ("enterprises", enterprises), ("incidents", incidents))
        }
        province_of = pd.Series(provinces, index=enterprises["enterprise_id"].to_numpy())
        of_row = province_of.reindex(indicators["enterprise_id"].to_numpy()).to_numpy()
        futures = []
        for name in names:
            ids = enterprises["enterprise_id"].to_numpy()[provinces == name]
            futures.append(
                runner.submit(
                    score_province,
                    parameters={
                        "province": name,
                        "ids": ids,
                        "model": shared["model"],
                        "columns": columns,
                        "enterprises": shared["enterprises"],
                        "indicators": indicators.loc[of_row == name],
                        "incidents": shared["incidents"],
                        "as_of": as_of,
                    },
                )
            )
        index = {f.wrapped_future.key: i for i, f in enumerate(futures)}
        results: dict[int, Scored] = {}
        progress.advance("provinces", 0, len(names))
        for finished in distributed.as_completed([f.wrapped_future for f in futures], loop=client.loop):
            i = index[finished.key]
            results[i] = futures[i].result()
            progress.advance("provinces", len(results), len(names))
    return gather([results[i] for i in range(len(names))])
