"""Rolling-origin backtest: train on what was known at each origin, score the month that follows.

For each of the last `n` monthly origins O (month ends whose target window has closed by
the training date T), every candidate is fitted on as-of months up to O − H − C, its
probabilities are calibrated on the C months after that (a later slice than the fit),
and it scores the as-of date O; the outcome is whether a stoppage started in (O, O + H].

Features at a date depend only on what was known at that date, so one feature table
serves every origin. Labels differ: a fit at origin O sees only incidents reported by O.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

from features.build import Indicators, build_features, known_at, write_features
from features.labels import add_labels, label_column, label_grid
from features.sets import categorical_columns, feature_set, union_name
from models.baselines import fit_monotone_logistic
from models.blend import make_blend
from models.tables import check_training_rows
from models.train import LEARNERS, ModelParams, fit_boosted, model_input, training_grid
from vocab import progress
from vocab.months import months_before

# The later calibration slice: rows, targets, sample weights (None: all rows weigh 1).
Later = tuple[pd.DataFrame, np.ndarray, np.ndarray | None]
# A candidate learner: (fit rows, targets, sample weights, columns, params, unusable numeric
# columns, the later calibration slice when asked) → a fitted pipeline over `columns`. The
# slice is made on demand: a learner that does not stop early on it (the logistic) fits
# before it is built, so the two are never in memory together.
Candidate = Callable[
    [
        pd.DataFrame,
        np.ndarray,
        np.ndarray,
        tuple[str, ...],
        ModelParams,
        tuple[str, ...],
        Callable[[], Later],
    ],
    Any,
]


def _fit_hgb(
    X: pd.DataFrame,
    y: np.ndarray,
    w: np.ndarray,
    columns: tuple[str, ...],
    params: ModelParams,
    unusable: tuple[str, ...],
    later: Callable[[], Later],
) -> Any:
    rows, targets, weight = later()
    return fit_boosted(
        X, y, w, columns, params, unusable=unusable, later=(rows, targets), later_weight=weight
    )


def _fit_logistic(
    X: pd.DataFrame,
    y: np.ndarray,
    w: np.ndarray,
    columns: tuple[str, ...],
    params: ModelParams,
    unusable: tuple[str, ...],
    later: Callable[[], Later],
) -> Any:
    return fit_monotone_logistic(X, y, w, columns, params)


# The single learners, each fitted by one function: the boosted trees and the logistic model
# on the run's feature set, and a plain GBM on the raw latest figures (the reference).
CANDIDATES: dict[str, Candidate] = {"hgb": _fit_hgb, "logistic": _fit_logistic, "reference_gbm": _fit_hgb}
# Candidates that read another feature set than the run's.
CANDIDATE_FEATURE_SETS: dict[str, str] = {"reference_gbm": "simple-v1"}
# The blend (`models.blend`): the mean of these candidates' calibrated probabilities.
BLEND = "blend"
BLEND_MEMBERS: tuple[str, ...] = ("hgb", "logistic", "reference_gbm")


def candidate_params(params: ModelParams, name: str) -> ModelParams:
    """The run's parameters as candidate `name` uses them (its own feature set, if any).

    The blend reads the union of its members' sets, e.g. 'ews-v1+simple-v1'.
    """
    if name == BLEND:
        return params.model_copy(
            update={
                "feature_set": union_name(*(candidate_params(params, m).feature_set for m in BLEND_MEMBERS))
            }
        )
    return params.model_copy(update={"feature_set": CANDIDATE_FEATURE_SETS.get(name, params.feature_set)})


@dataclass(frozen=True)
class TrainingFrame:
    """The feature table behind the final fit and every origin, and what it was built from.

    `source` is the table itself, or the Parquet file it was streamed to (`build_training_frame`
    with `on_disk`): `table` then reads the file when first asked, and `through(origin)` gives
    a frame that reads only the months up to an origin (one row group per block of months), so
    a backtest fit on a Dask worker reads what it uses instead of receiving the whole table.
    The table is sorted by (as_of, enterprise_id), so those months are its first rows, in the
    same order: every figure of a fit is the same from either source (tested).
    """

    source: pd.DataFrame | Path
    incidents: pd.DataFrame
    as_of: pd.Timestamp
    grid: pd.DatetimeIndex
    full_from: pd.Timestamp
    params: ModelParams
    #: Only the rows of as-of dates up to this one (None: every row).
    until: pd.Timestamp | None = None

    @cached_property
    def table(self) -> pd.DataFrame:
        """The training rows (read from the file on first use when the frame is on disk)."""
        if isinstance(self.source, pd.DataFrame):
            return self.source
        import pyarrow.parquet as pq

        filters = None if self.until is None else [("as_of", "<=", pd.Timestamp(self.until).to_pydatetime())]
        # Arrow's buffers are freed as each column is converted: the peak is about one table,
        # not two (18 M national rows are 6 GB a copy).
        table = pq.read_table(self.source, filters=filters).to_pandas(split_blocks=True, self_destruct=True)
        return check_training_rows(table)

    @property
    def on_disk(self) -> bool:
        """Whether the table is read from a file (and only its needed months, per fit)."""
        return not isinstance(self.source, pd.DataFrame)

    def through(self, origin: pd.Timestamp) -> TrainingFrame:
        """This frame as a fit at `origin` needs it: on disk, only the months up to the origin
        (a fit reads no later row); in memory, the frame itself (a slice would be a copy).
        A frame on disk whose rows are already read gives the first of them (the table is
        sorted by as_of) without reading the file again or copying them."""
        origin = pd.Timestamp(origin)
        if not self.on_disk or origin >= self.as_of or (self.until is not None and self.until <= origin):
            return self
        frame = replace(self, until=origin)
        if "table" in self.__dict__:
            rows = int(np.searchsorted(self.table["as_of"].to_numpy(), origin.to_datetime64(), side="right"))
            frame.__dict__["table"] = self.table.iloc[:rows]
        return frame

    def release(self) -> None:
        """Forget the rows read from disk; they are read again when next asked. A process
        that hands the fits to Dask workers (each reads the months it fits) need not hold a
        national table beside them. A frame in memory keeps its rows: it has no other copy."""
        if self.on_disk:
            self.__dict__.pop("table", None)

    def with_params(self, params: ModelParams) -> TrainingFrame:
        """The same rows under other parameters, without reading the file again."""
        frame = replace(self, params=params)
        if "table" in self.__dict__:
            frame.__dict__["table"] = self.__dict__["table"]
        return frame

    def __getstate__(self) -> dict[str, Any]:
        """A frame on disk travels without its rows (a Dask task reads the months it needs)."""
        state = dict(self.__dict__)
        if self.on_disk:
            state.pop("table", None)
        return state

    def origins(self, n: int) -> pd.DatetimeIndex:
        """The last n month ends whose target window has closed by the training date."""
        return self.grid[-n:] if n > 0 else self.grid[:0]

    def labels(self, cutoff: pd.Timestamp) -> np.ndarray:
        """Targets of every row from incidents reported by `cutoff` (NaN: window still open)."""
        rows = self.table[["as_of", "enterprise_id"]]
        labelled = add_labels(
            rows,
            self.incidents,
            horizons=(self.params.horizon_months,),
            kinds=self.params.target_kinds,
            label_cutoff=cutoff,
        )
        return labelled[label_column(self.params.horizon_months)].to_numpy()

    @property
    def keep_draw(self) -> np.ndarray:
        """A seeded uniform draw per row, for sampling negatives of fully kept months."""
        return np.random.default_rng(self.params.seed + 1).random(len(self.table))

    def weights(self, y: np.ndarray) -> np.ndarray:
        """1/rate for every negative: fits only ever see a `negative_rate` sample of them."""
        return np.where(y == 0, 1.0 / self.params.negative_rate, 1.0)

    def kept_weights(self, y: np.ndarray) -> np.ndarray:
        """1/rate for the negatives of months the frame keeps a sample of (before `full_from`), else 1."""
        sampled = (y == 0) & (self.table["as_of"] < self.full_from).to_numpy()
        return np.where(sampled, 1.0 / self.params.negative_rate, 1.0)


def sampling_rate(params: ModelParams, candidates: int) -> float:
    """The share of negatives a frame of `candidates` rows (months × enterprises, an upper
    bound) keeps: `negative_rate`, raised so that about `min_negative_rows` are kept, at most 1."""
    if candidates <= 0 or candidates * params.negative_rate >= params.min_negative_rows:
        return params.negative_rate
    return min(1.0, params.min_negative_rows / candidates)


def build_training_frame(
    enterprises: pd.DataFrame,
    indicators: Indicators,
    incidents: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    params: ModelParams,
    fit_origins: bool = False,
    on_disk: Path | None = None,
) -> TrainingFrame:
    """Features for the final fit and the backtest, from what was known at `as_of`.

    Months used for calibration or evaluation by any origin keep every row; earlier
    months keep every positive and a `negative_rate` sample of negatives (raised for a small
    world by `sampling_rate`, and carried in the frame's params). When the history
    is too short for `params.backtest_origins`, it is an error, or with `fit_origins` the
    frame's params carry the most origins that fit (at least one). With `on_disk` (a Parquet
    file's path), the same rows are streamed there block by block, never held whole while
    they are built, and the frame reads them back as its fits need them. `indicators` is
    the whole history, or a source that reads it a range of as-of dates at a time (the
    store's `IndicatorWindows`, known by `as_of` at most): the same rows either way.
    """
    as_of = pd.Timestamp(as_of).normalize()
    if isinstance(indicators, pd.DataFrame):
        indicators, incidents = known_at(indicators, incidents, as_of)
        first_month = pd.Timestamp(indicators["month"].min()) if len(indicators) else pd.NaT
    else:
        if indicators.known_by > as_of:
            raise ValueError(
                f"indicators known by {indicators.known_by.date()} for a frame as of {as_of.date()}"
            )
        incidents = incidents.loc[incidents["reported_at"] <= as_of]
        first_month = indicators.first_month
    if pd.isna(first_month):
        raise ValueError(f"no indicator rows were known on {as_of.date()}")
    grid = training_grid(first_month, as_of, params)
    # Six months of fit at least, then the calibration slice and the target window.
    minimum = params.calibration_months + params.horizon_months + 6
    fits = len(grid) - minimum
    if fit_origins and 1 <= fits < params.backtest_origins:
        params = params.model_copy(update={"backtest_origins": fits})
    if fits < params.backtest_origins:
        hint = f"; at most {fits} backtest origins fit (--origins {fits})" if fits >= 1 else ""
        raise ValueError(
            f"not enough history before {as_of.date()}: {len(grid)} labelled months, "
            f"{minimum + params.backtest_origins} needed{hint}"
        )
    rate = sampling_rate(params, len(grid) * len(enterprises))
    if rate != params.negative_rate:
        params = params.model_copy(update={"negative_rate": rate})
    first_origin = grid[-params.backtest_origins] if params.backtest_origins else as_of
    full_from = months_before(first_origin, params.horizon_months + params.calibration_months)

    def wanted(grid: pd.DatetimeIndex, ids: np.ndarray) -> np.ndarray:
        positive = label_grid(
            incidents, grid, ids, horizon_months=params.horizon_months, kinds=params.target_kinds
        )
        sampled = np.random.default_rng(params.seed).random(positive.shape) < params.negative_rate
        return positive | sampled | np.asarray(grid >= full_from)[:, None]

    # Evaluation dates are the origins themselves, already in the grid. The feature table
    # enters the models room here, as the training rows (a fraction of a second on millions).
    if on_disk is not None:
        write_features(enterprises, indicators, incidents, grid, on_disk, rows=wanted)
        return TrainingFrame(Path(on_disk), incidents, as_of, grid, full_from, params)
    table = check_training_rows(build_features(enterprises, indicators, incidents, grid, rows=wanted))
    return TrainingFrame(table, incidents, as_of, grid, full_from, params)


@dataclass
class Fitted:
    """One candidate fitted at one origin."""

    name: str
    model: Any
    origin: pd.Timestamp
    fit_rows: int
    fit_positives: int
    calibration_rows: int
    extra: dict[str, Any] = field(default_factory=dict)


def fit_at(frame: TrainingFrame, origin: pd.Timestamp, name: str = "hgb", *, release: bool = False) -> Fitted:
    """Fit candidate `name` on what was known at `origin`; calibrate on the following months.

    The one training path: the backtest fits every origin with it and the final model is
    `fit_at(frame, frame.as_of, learner)`. Rows up to O − H − C are fitted (every positive,
    a seeded `negative_rate` sample of negatives, each weighted 1/rate so the population's
    scale is kept); the C months after them, whose outcomes are known by O, calibrate a
    sigmoid on the frozen model. The blend fits each of `BLEND_MEMBERS` so, and averages them.

    `release` (a frame on disk whose rows only this fit holds, as a Dask task's): once the
    fit's and the calibration's inputs are taken, the table is let go before the learner
    runs, so a worker never holds a national table beside a fit. The blend ignores it (each
    member reads the table).
    """
    frame = frame.through(origin)
    if name == BLEND:
        return _fit_blend_at(frame, origin)
    params = candidate_params(frame.params, name)
    columns = feature_set(params.feature_set)
    y = frame.labels(origin)
    as_of = frame.table["as_of"]
    months = calibration_months_at(frame, y, origin)
    calibrate_from = months_before(origin, params.horizon_months + months)
    # Negatives of fully kept months are sampled for the fit too, at the frame's rate.
    sampled_out = (as_of >= frame.full_from).to_numpy() & (y == 0) & (frame.keep_draw >= params.negative_rate)
    fit_rows = ((as_of <= calibrate_from) & np.isfinite(y)).to_numpy() & ~sampled_out
    calibration_rows = (
        (as_of > calibrate_from) & (as_of <= months_before(origin, params.horizon_months)) & np.isfinite(y)
    ).to_numpy()
    if not (y[fit_rows] == 1).any() or not (y[calibration_rows] == 1).any():
        raise ValueError(f"origin {pd.Timestamp(origin).date()}: no positive example to fit or calibrate on")
    weights = frame.weights(y)
    if name == "logistic":
        fit_rows, weights = thin_negatives(fit_rows, y, weights, params.logistic_max_rows, params.seed)
    X = model_input(frame.table, columns, fit_rows)
    numeric = [c for c in columns if c not in categorical_columns(columns)]
    unusable = tuple(c for c in numeric if X[c].isna().all())

    @functools.cache
    def later_slice() -> Later:
        """The calibration months' rows, made once, when first asked."""
        # A widened slice reaches months whose negatives are a sample: weighted back like the fit's.
        weight = frame.kept_weights(y)[calibration_rows]
        return (
            model_input(frame.table, columns, calibration_rows),
            y[calibration_rows].astype(int),
            None if (weight == 1.0).all() else weight,
        )

    if release:
        later_slice()
        frame.release()
    estimator = CANDIDATES[name](
        X, y[fit_rows].astype(int), weights[fit_rows], columns, params, unusable, later_slice
    )
    del X
    later = later_slice()
    calibrated = CalibratedClassifierCV(FrozenEstimator(estimator), method="sigmoid", ensemble=False)
    with warnings.catch_warnings():
        # The estimator is frozen: the folds only split its predictions, whose values they
        # cannot change, so a slice with fewer positives than folds is no concern; and the
        # weights are meant for the sigmoid only.
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        warnings.filterwarnings("ignore", message="Since FrozenEstimator does not", category=UserWarning)
        calibrated.fit(later[0], later[1], sample_weight=later[2])
    return Fitted(
        name,
        calibrated,
        pd.Timestamp(origin),
        int(fit_rows.sum()),
        int((y[fit_rows] == 1).sum()),
        int(calibration_rows.sum()),
        extra={"calibration_months": months},
    )


def thin_negatives(
    rows: np.ndarray, y: np.ndarray, weights: np.ndarray, cap: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """`rows` (a mask) with its negatives sampled so that about `cap` rows remain, and the
    weights with the sampled negatives' scaled by 1/rate (the population's scale is kept).

    Every positive is kept; a seeded uniform draw per row of the frame picks the negatives,
    so the same frame and seed give the same rows. At most `cap` rows: nothing changes.
    """
    count = int(rows.sum())
    if count <= cap:
        return rows, weights
    negatives, positives = rows & (y == 0), rows & (y == 1)
    # Never below half the cap, should positives alone come near it.
    rate = min(1.0, max(cap - int(positives.sum()), cap // 2) / int(negatives.sum()))
    draw = np.random.default_rng(seed + 2).random(len(rows))
    kept = positives | (negatives & (draw < rate))
    return kept, np.where(negatives, weights / rate, weights)


def calibration_months_at(frame: TrainingFrame, y: np.ndarray, origin: pd.Timestamp) -> int:
    """Months of the calibration slice at `origin`: `calibration_months`, or more when needed.

    The slice ends H months before the origin (its outcomes are known there). With fewer
    than `min_calibration_positives` positive rows it widens back a month at a time, up to
    `max_calibration_months` and never into the fit's first six months: a sigmoid cannot be
    fitted on a lull without a single event.
    """
    params = frame.params
    as_of = frame.table["as_of"]
    end = months_before(origin, params.horizon_months)
    positive = y == 1
    # The fit keeps at least its first six months.
    earliest = frame.grid[min(6, len(frame.grid) - 1)]
    months = params.calibration_months
    while months < params.max_calibration_months:
        start = months_before(origin, params.horizon_months + months)
        enough = (
            positive[((as_of > start) & (as_of <= end)).to_numpy()].sum() >= params.min_calibration_positives
        )
        if enough or months_before(start, 1) < earliest:
            break
        months += 1
    return months


def _fit_blend_at(frame: TrainingFrame, origin: pd.Timestamp) -> Fitted:
    """`BLEND_MEMBERS` fitted and calibrated at `origin`, soft-voted (`models.blend`)."""
    members = [fit_at(frame, origin, name) for name in BLEND_MEMBERS]
    columns = feature_set(candidate_params(frame.params, BLEND).feature_set)
    model = make_blend(
        [(m.name, feature_set(candidate_params(frame.params, m.name).feature_set), m.model) for m in members],
        model_input(frame.table.head(2), columns),
    )
    first = members[0]
    return Fitted(
        BLEND,
        model,
        pd.Timestamp(origin),
        first.fit_rows,
        first.fit_positives,
        first.calibration_rows,
        extra={"members": [m.name for m in members], "calibration_months": first.extra["calibration_months"]},
    )


def predict_rows(model: Any, rows: pd.DataFrame, params: ModelParams) -> np.ndarray:
    """Calibrated probability for feature rows."""
    if rows.empty:
        return np.zeros(0)
    return np.asarray(model.predict_proba(model_input(rows, feature_set(params.feature_set))))[:, 1]


@dataclass(frozen=True)
class BacktestCell:
    """One fit of the backtest: a candidate, or an extra recipe, at one origin.

    The unit of work that may run anywhere (`flows.backtest` runs each as one task): its
    figures depend on the frame and these fields only, never on another cell or the order.
    """

    origin: pd.Timestamp
    name: str  # the backtest column it fills
    recipe: ModelParams | None = None  # None: candidate `name` on the frame's own params


def _derived_blend(candidates: tuple[str, ...]) -> bool:
    """The blend's column is the mean of its members' when they are all candidates: no fit."""
    return BLEND in candidates and set(BLEND_MEMBERS) <= set(candidates)


def backtest_cells(
    frame: TrainingFrame,
    *,
    candidates: tuple[str, ...],
    recipes: Mapping[str, ModelParams] | None = None,
) -> list[BacktestCell]:
    """The fits a backtest needs, origin by origin: each candidate, then each extra recipe.

    `recipes` (name → parameters with a resolved learner) are checked here, before any fit.
    """
    origins = [pd.Timestamp(o) for o in frame.origins(frame.params.backtest_origins)]
    if not origins:
        raise ValueError("no backtest origin: set backtest_origins ≥ 1")
    for name, params in (recipes or {}).items():
        if params.learner not in LEARNERS:
            raise ValueError(
                f"recipe {name!r}: its learner must be one of {LEARNERS}, not {params.learner!r}"
            )
    fits = [n for n in candidates if not (n == BLEND and _derived_blend(candidates))]
    extra = list((recipes or {}).items())
    return [
        cell
        for origin in origins
        for cell in [BacktestCell(origin, n) for n in fits] + [BacktestCell(origin, n, r) for n, r in extra]
    ]


def origin_rows(frame: TrainingFrame, origin: pd.Timestamp) -> np.ndarray:
    """The rows of the frame's table that an origin scores (its as-of date), as a mask."""
    return (frame.table["as_of"] == origin).to_numpy()


def backtest_cell(
    frame: TrainingFrame, origin: pd.Timestamp, name: str, recipe: ModelParams | None = None
) -> np.ndarray:
    """The probabilities one fit at `origin` gives the origin's rows, in the table's order.

    Without `recipe`: candidate `name` on the frame's params. With it: the recipe's learner
    and hyper-parameters on the same rows (the rows' sampling and horizon stay the frame's).
    Every random choice is seeded from the params, so the figures are the same in any
    process and any order, at the same number of OpenMP and BLAS threads: that number moves
    the boosted trees' and the logistic model's probabilities in the 8th digit or so.
    """
    # A frame on disk not yet read (a Dask task's) reads its own rows here: only this cell
    # holds them, so the fit may let them go (`fit_at`'s `release`).
    owned = frame.on_disk and "table" not in frame.__dict__
    frame = frame.through(origin)
    rows = frame.table.loc[origin_rows(frame, origin)]
    if recipe is not None:
        # The recipe's learner and hyper-parameters on the frame's rows, sampling and horizon.
        frame = frame.with_params(
            recipe.model_copy(
                update={
                    "negative_rate": frame.params.negative_rate,
                    "horizon_months": frame.params.horizon_months,
                }
            )
        )
        name = recipe.learner
    # The columns the learner reads (a blend reads the union of its members' sets).
    model = fit_at(frame, origin, name, release=owned).model
    return predict_rows(model, rows, candidate_params(frame.params, name))


def assemble_backtest(
    frame: TrainingFrame,
    cells: Sequence[BacktestCell],
    probabilities: Sequence[np.ndarray],
    *,
    candidates: tuple[str, ...],
) -> pd.DataFrame:
    """The backtest table from its cells' results (`probabilities[i]` is `cells[i]`'s).

    One row per (origin, enterprise), origins in the cells' order and rows in the table's:
    the features, the outcome `y` known at the training date, the candidates' columns, the
    blend as the mean of its members when it was not fitted, then the recipes' columns.
    """
    if len(cells) != len(probabilities):
        raise ValueError(f"{len(cells)} backtest cells but {len(probabilities)} results")
    if not cells:
        raise ValueError("no backtest origin: set backtest_origins ≥ 1")
    y_final = frame.labels(frame.as_of)
    parts = []
    for origin in dict.fromkeys(c.origin for c in cells):
        done = [(c, p) for c, p in zip(cells, probabilities, strict=True) if c.origin == origin]
        rows = origin_rows(frame, origin)
        part = frame.table.loc[rows].copy()
        part["y"] = y_final[rows]
        for cell, p in done:
            if cell.recipe is None:
                part[cell.name] = p
        if _derived_blend(candidates):
            # Exactly what the fitted blend predicts: soft voting averages the members.
            part[BLEND] = np.mean([part[m].to_numpy() for m in BLEND_MEMBERS], axis=0)
        for cell, p in done:
            if cell.recipe is not None:
                part[cell.name] = p
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def run_backtest(
    frame: TrainingFrame,
    *,
    candidates: tuple[str, ...] = ("hgb", "logistic", "reference_gbm"),
    recipes: Mapping[str, ModelParams] | None = None,
) -> pd.DataFrame:
    """Score each origin's as-of date with every candidate fitted at that origin, one fit after another.

    Returns one row per (origin, enterprise): the outcome `y` (known at the training date),
    the checklist's inputs and slice columns, and one probability column per candidate and
    per extra recipe (`recipes`: name → parameters with a resolved learner, e.g. the champion's).
    The serial path of `flows.backtest`, which runs the same cells in parallel.
    """
    cells = backtest_cells(frame, candidates=candidates, recipes=recipes)
    results = []
    progress.advance("backtest fits", 0, len(cells))
    for done, cell in enumerate(cells, start=1):
        results.append(backtest_cell(frame, cell.origin, cell.name, cell.recipe))
        progress.advance("backtest fits", done, len(cells))
    return assemble_backtest(frame, cells, results, candidates=candidates)
