"""Rare-event metrics with bootstrap intervals, per model, per slice, and for the true hazard.

Analysts review the top k enterprises of each month (k from the capacity: a share < 1 or
a count, `judging.evaluate.capacity_count`), so the headline figures are recall and
precision within the monthly top k, next to PR-AUC, ROC-AUC, the Brier score, the lift
of recall@k over the officers' checklist, reliability tables and lead times.

Intervals resample whole as-of months (a month's shared shocks, Tết or a strike wave,
stay together), seeded. Membership of the monthly top k depends only on the month, so it
is computed once; each bootstrap draw is a vector of month multiplicities, and its metrics
are those of the rows weighed by their month's multiplicity (the weighted metrics below
equal scikit-learn's on unit weights, which the tests check), computed from each model's
sums per month (`_MonthSums`) rather than from the rows. The challenger's PR-AUC gain
over the champion, which decides promotions, is resampled the same way. All functions are
pure and return plain dicts or DataFrames.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from judging.evaluate import top_k_by_month
from models.baselines import checklist_score
from vocab.months import month_number
from vocab.terms import TARGET_KINDS, capacity_count

CHECKLIST = "checklist"
TRUE_HAZARD = "true_hazard"
METRICS = ("pr_auc", "roc_auc", "recall_at_k", "precision_at_k", "brier", "lift_at_k")
STOPPAGE_KINDS: tuple[str, ...] = TARGET_KINDS


# --- weighted ranking curves --------------------------------------------------------------


@dataclass(frozen=True)
class _Ranked:
    """A score sorted once (descending) with the last position of each tie group."""

    order: np.ndarray
    last: np.ndarray


def _ranked(score: np.ndarray) -> _Ranked:
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")
    s = np.asarray(score, dtype=np.float64)[order]
    return _Ranked(order, np.flatnonzero(np.r_[s[1:] != s[:-1], True]))


def _sorted_counts(ys: np.ndarray, ws: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Cumulative weighted true and false positives at each distinct threshold, from targets
    and weights already in the ranking's order; None without both classes."""
    tp, fp = np.cumsum(ws * ys)[last], np.cumsum(ws * (1 - ys))[last]
    return None if tp[-1] <= 0 or fp[-1] <= 0 else (tp, fp)


def _cumulative(
    y: np.ndarray, score: np.ndarray, w: np.ndarray | None, ranked: _Ranked | None
) -> tuple[np.ndarray, np.ndarray] | None:
    """Weighted true and false positives down the ranking; None without both classes."""
    y = np.asarray(y, dtype=np.float64)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=np.float64)
    ranked = ranked or _ranked(score)
    return _sorted_counts(y[ranked.order], w[ranked.order], ranked.last)


def _average_precision_of(counts: tuple[np.ndarray, np.ndarray] | None) -> float:
    if counts is None:
        return float("nan")
    tp, fp = counts
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.nan_to_num(tp / (tp + fp))
    return float(np.sum(np.diff(tp, prepend=0.0) / tp[-1] * precision))


def _roc_auc_of(counts: tuple[np.ndarray, np.ndarray] | None) -> float:
    if counts is None:
        return float("nan")
    tp, fp = counts
    return float(np.trapezoid(np.r_[0.0, tp / tp[-1]], np.r_[0.0, fp / fp[-1]]))


def average_precision(
    y: np.ndarray, score: np.ndarray, w: np.ndarray | None = None, *, ranked: _Ranked | None = None
) -> float:
    """PR-AUC as average precision (scikit-learn's definition); NaN without both classes."""
    return _average_precision_of(_cumulative(y, score, w, ranked))


def roc_auc(
    y: np.ndarray, score: np.ndarray, w: np.ndarray | None = None, *, ranked: _Ranked | None = None
) -> float:
    """Area under the ROC curve (ties count half); NaN without both classes."""
    return _roc_auc_of(_cumulative(y, score, w, ranked))


def pr_curve(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) at each distinct threshold, highest first, from (0, 1)."""
    y = np.asarray(y, dtype=np.float64)
    ranked = _ranked(score)
    ys = y[ranked.order]
    tp, fp = np.cumsum(ys)[ranked.last], np.cumsum(1 - ys)[ranked.last]
    return np.r_[0.0, tp / max(tp[-1], 1e-300)], np.r_[1.0, tp / np.maximum(tp + fp, 1e-300)]


def brier(y: np.ndarray, probability: np.ndarray, w: np.ndarray | None = None) -> float:
    """Mean squared error of a probability."""
    y = np.asarray(y, dtype=np.float64)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=np.float64)
    return float(np.sum(w * (np.asarray(probability) - y) ** 2) / np.sum(w))


def top_k_metrics(y: np.ndarray, top: np.ndarray, w: np.ndarray | None = None) -> dict[str, float]:
    """Recall and precision of a top-k mask (see `top_k_mask`), pooled over months."""
    y = np.asarray(y, dtype=np.float64)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=np.float64)
    hits = float(np.sum(w * y * top))
    positives, flagged = float(np.sum(w * y)), float(np.sum(w * top))
    return {
        "recall_at_k": hits / positives if positives > 0 else float("nan"),
        "precision_at_k": hits / flagged if flagged > 0 else float("nan"),
    }


def top_k_mask(as_of: np.ndarray, score: np.ndarray, capacity: float) -> np.ndarray:
    """True for the rows in each as-of month's top k (ties broken by row order)."""
    return top_k_by_month(np.asarray(as_of), np.asarray(score, dtype=np.float64), capacity)


def lift(value: float, baseline: float) -> float:
    """value / baseline, NaN when the baseline is 0 or undefined."""
    return value / baseline if np.isfinite(baseline) and baseline > 0 else float("nan")


# --- calibration ---------------------------------------------------------------------------


def calibration_table(
    y: np.ndarray,
    probability: np.ndarray,
    *,
    n_bins: int = 10,
    strategy: str = "expected",
    level: float = 0.9,
) -> pd.DataFrame:
    """Reliability bins: rows, mean predicted probability, observed rate and its Wilson interval.

    `strategy`: "expected" puts an equal expected number of events (Σ p) in each bin, which
    suits rare events (equal-count bins would leave almost every bin without an event);
    "quantile" equal row counts; "uniform" equal-width bins on [0, 1].
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(probability, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    position = np.empty(len(p), dtype=np.float64)
    if strategy == "expected":
        cumulative = np.cumsum(p[order])
        position[order] = (cumulative - p[order] / 2) / max(cumulative[-1], 1e-300) if len(p) else 0
    elif strategy == "quantile":
        position[order] = (np.arange(len(p)) + 0.5) / max(len(p), 1)
    elif strategy == "uniform":
        position = p
    else:
        raise ValueError(f"unknown strategy {strategy!r}: expected, quantile or uniform")
    bins = np.clip((position * n_bins).astype(int), 0, n_bins - 1)
    frame = pd.DataFrame({"bin": bins, "p": p, "y": y})
    out = frame.groupby("bin").agg(
        rows=("y", "size"), mean_predicted=("p", "mean"), events=("y", "sum"), observed=("y", "mean")
    )
    z = float(norm.ppf(0.5 + level / 2))
    n, rate = out["rows"].to_numpy(float), out["observed"].to_numpy(float)
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    out["low"], out["high"] = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    return out.reset_index()


# --- comparison with intervals -------------------------------------------------------------


def _month_index(as_of: np.ndarray) -> tuple[int, np.ndarray]:
    months, index = np.unique(np.asarray(as_of), return_inverse=True)
    return len(months), index


def _interval(draws: Sequence[float] | np.ndarray, level: float) -> tuple[float, float]:
    """The central `level` interval of the finite draws; NaN, NaN when none is finite."""
    sample = np.asarray(draws, dtype=np.float64)
    sample = sample[np.isfinite(sample)]
    if not len(sample):
        return float("nan"), float("nan")
    tail = (1 - level) / 2
    low, high = np.quantile(sample, [tail, 1 - tail])
    return float(low), float(high)


def _model_metrics(
    y: np.ndarray,
    score: np.ndarray,
    top: np.ndarray,
    counts: tuple[np.ndarray, np.ndarray] | None,
    w: np.ndarray,
    is_probability: bool,
) -> dict[str, float]:
    out = {"pr_auc": _average_precision_of(counts), "roc_auc": _roc_auc_of(counts)}
    out.update(top_k_metrics(y, top, w))
    out["brier"] = brier(y, score, w) if is_probability else float("nan")
    return out


@dataclass(frozen=True)
class _MonthSums:
    """One model's rows summed per as-of month: enough to score any resample of whole months.

    A resample counts month m c[m] times, so each weighted sum a metric needs is a dot
    product with c: the cumulative positives (`tp`) and negatives (`fp`) through each tie
    group of the ranking that holds a positive, the negatives through the group before it
    (`fp_before`), and per month the positives, negatives, top-k hits, flagged rows,
    rows and squared errors. A draw then costs (groups with a positive) × months, not a
    pass over every row: seconds instead of minutes for a national backtest's 200 draws.
    """

    tp: np.ndarray
    fp: np.ndarray
    fp_before: np.ndarray
    positives: np.ndarray
    negatives: np.ndarray
    hits: np.ndarray
    flagged: np.ndarray
    rows: np.ndarray
    squared: np.ndarray | None


def _month_sums(
    ys: np.ndarray,
    months: np.ndarray,
    last: np.ndarray,
    n_months: int,
    *,
    top: np.ndarray | None = None,
    sq_error: np.ndarray | None = None,
) -> _MonthSums:
    """`_MonthSums` of targets `ys`, month indices `months`, top-k membership `top` and squared
    errors `sq_error` (None: not a probability), all in a ranking's order (tie groups ending
    at positions `last`)."""
    group_of_positive = np.unique(np.searchsorted(last, np.flatnonzero(ys > 0)))
    ends = last[group_of_positive]
    before = np.where(group_of_positive > 0, last[np.maximum(group_of_positive - 1, 0)], -1)
    shape = (len(ends), n_months)
    tp, fp, fp_before = np.empty(shape), np.empty(shape), np.empty(shape)
    for m in range(n_months):
        here = months == m
        pos, neg = np.cumsum(np.where(here, ys, 0.0)), np.cumsum(np.where(here, 1.0 - ys, 0.0))
        tp[:, m], fp[:, m] = pos[ends], neg[ends]
        fp_before[:, m] = np.where(before >= 0, neg[np.maximum(before, 0)], 0.0)

    def per_month(values: np.ndarray) -> np.ndarray:
        return np.bincount(months, weights=values, minlength=n_months).astype(np.float64)

    return _MonthSums(
        tp=tp,
        fp=fp,
        fp_before=fp_before,
        positives=per_month(ys),
        negatives=per_month(1.0 - ys),
        hits=per_month(ys * top) if top is not None else np.zeros(n_months),
        flagged=per_month(top.astype(np.float64)) if top is not None else np.zeros(n_months),
        rows=np.bincount(months, minlength=n_months).astype(np.float64),
        squared=None if sq_error is None else per_month(sq_error),
    )


def _resampled_ranking(sums: _MonthSums, c: np.ndarray) -> tuple[float, float]:
    """PR-AUC and ROC-AUC with month m counted c[m] times (NaN without both classes).

    Average precision sums, over the groups that gain positives, the gain over all
    positives times the precision there. ROC-AUC is 1 − the area left of the curve, whose
    trapezoids are the groups' gains in positives times the mean false-positive rate over
    the group: the same trapezoids `_roc_auc_of` sums the other way round.
    """
    positives, negatives = float(sums.positives @ c), float(sums.negatives @ c)
    if positives <= 0 or negatives <= 0:
        return float("nan"), float("nan")
    tp, fp, fp_before = sums.tp @ c, sums.fp @ c, sums.fp_before @ c
    gained = np.diff(tp, prepend=0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.nan_to_num(tp / (tp + fp))
    pr_auc = float(np.sum(gained / positives * precision))
    roc_auc = 1.0 - float(np.sum(gained * (fp + fp_before))) / (2.0 * positives * negatives)
    return pr_auc, roc_auc


def _resampled_metrics(sums: _MonthSums, c: np.ndarray) -> dict[str, float]:
    """Every metric of `compare` but the lift, with month m counted c[m] times."""
    pr_auc, roc_auc_ = _resampled_ranking(sums, c)
    positives, hits, flagged = float(sums.positives @ c), float(sums.hits @ c), float(sums.flagged @ c)
    return {
        "pr_auc": pr_auc,
        "roc_auc": roc_auc_,
        "recall_at_k": hits / positives if positives > 0 else float("nan"),
        "precision_at_k": hits / flagged if flagged > 0 else float("nan"),
        "brier": float("nan") if sums.squared is None else float(sums.squared @ c) / float(sums.rows @ c),
    }


def _compare_core(
    scores: Mapping[str, np.ndarray],
    tops: Mapping[str, np.ndarray],
    y: np.ndarray,
    as_of: np.ndarray,
    *,
    not_probability: Sequence[str],
    n_boot: int,
    seed: int,
    level: float,
) -> pd.DataFrame:
    y = np.asarray(y, dtype=np.float64)
    n_months, month = _month_index(as_of)
    ranked = {name: _ranked(s) for name, s in scores.items()}
    ones = np.ones_like(y)

    def with_lift(out: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        base = out.get(CHECKLIST, {}).get("recall_at_k", float("nan"))
        for values in out.values():
            values["lift_at_k"] = lift(values["recall_at_k"], base)
        return out

    point = with_lift(
        {
            name: _model_metrics(
                y,
                s,
                tops[name],
                _cumulative(y, s, ones, ranked[name]),
                ones,
                name not in not_probability,
            )
            for name, s in scores.items()
        }
    )
    # Each model summed per month once (its ranking's order for the curves): a resample only
    # counts months again, so its metrics come from those sums (`_MonthSums`), the same
    # numbers as reweighing every row and ordering them, to rounding (the tests check).
    sums = {}
    if n_boot > 0:
        for name, s in scores.items():
            r = ranked[name]
            probability = name not in not_probability
            sums[name] = _month_sums(
                y[r.order],
                month[r.order],
                r.last,
                n_months,
                top=np.asarray(tops[name], dtype=np.float64)[r.order],
                sq_error=(s[r.order] - y[r.order]) ** 2 if probability else None,
            )
    rng = np.random.default_rng(seed)
    draws: dict[tuple[str, str], list[float]] = {(m, k): [] for m in point for k in METRICS}
    for _ in range(n_boot):
        c = np.bincount(rng.integers(0, n_months, n_months), minlength=n_months).astype(np.float64)
        resampled = with_lift({name: _resampled_metrics(sums[name], c) for name in scores})
        for name, values in resampled.items():
            for key in METRICS:
                draws[name, key].append(values[key])
    rows = []
    for name, values in point.items():
        for key in METRICS:
            rows.append((name, key, values[key], *_interval(draws[name, key], level)))
    return pd.DataFrame(rows, columns=["model", "metric", "value", "low", "high"])


def paired_bootstrap_gain(
    y: np.ndarray,
    challenger: np.ndarray,
    champion: np.ndarray,
    as_of: np.ndarray,
    *,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.9,
) -> dict[str, float]:
    """PR-AUC gain of a challenger over the champion on the same rows, with a `level` interval.

    This decides promotions. Resampling whole as-of months keeps the months' shared shocks
    (waves, Tết) together. Each score is sorted and summed per month once (`_MonthSums`): a
    resample's PR-AUC comes from those sums, the same number as gathering the drawn months'
    rows and scoring them again (the tests check), without two sorts of every backtest row
    per draw (20 minutes for a national backtest's 200 draws).
    """
    y = np.asarray(y, dtype=np.float64)
    n_months, month = _month_index(as_of)
    ranked = [_ranked(challenger), _ranked(champion)]
    point = average_precision(y, challenger, ranked=ranked[0]) - average_precision(
        y, champion, ranked=ranked[1]
    )
    sums = [_month_sums(y[r.order], month[r.order], r.last, n_months) for r in ranked] if n_boot > 0 else []
    rng = np.random.default_rng(seed)
    draws = np.empty(n_boot)
    for i in range(n_boot):
        c = np.bincount(rng.integers(0, n_months, n_months), minlength=n_months).astype(np.float64)
        draws[i] = _resampled_ranking(sums[0], c)[0] - _resampled_ranking(sums[1], c)[0]
    low, high = _interval(draws, level)
    return {"pr_auc_gain": point, "pr_auc_gain_low": low, "pr_auc_gain_high": high}


def compare(
    scores: Mapping[str, np.ndarray],
    y: np.ndarray,
    as_of: np.ndarray,
    table: pd.DataFrame,
    truth: np.ndarray | None = None,
    *,
    capacity: float = 0.01,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.9,
) -> pd.DataFrame:
    """Tidy table model × metric with value and a `level` bootstrap interval (low, high).

    `scores` are probabilities on the same rows as `y`, `as_of` and `table` (which needs the
    checklist's columns). A `checklist` row is added from `table` unless given (its Brier
    is NaN: a ranking score is not a probability); `lift_at_k` is recall@k over the
    checklist's on the same resample. `truth`, the true probability of each row
    (`true_probability`), adds a `true_hazard` row: the ceiling on simulated worlds.
    `attrs` hold rows, positives, base rate, months, capacity and the monthly k.
    """
    y = np.asarray(y, dtype=np.float64)
    models = {name: np.asarray(s, dtype=np.float64) for name, s in scores.items()}
    models.setdefault(CHECKLIST, checklist_score(table))
    if truth is not None:
        models[TRUE_HAZARD] = np.asarray(truth, dtype=np.float64)
    tops = {name: top_k_mask(as_of, s, capacity) for name, s in models.items()}
    out = _compare_core(
        models, tops, y, as_of, not_probability=(CHECKLIST,), n_boot=n_boot, seed=seed, level=level
    )
    out.attrs.update(_describe(y, as_of, capacity))
    return out


def _describe(y: np.ndarray, as_of: np.ndarray, capacity: float) -> dict[str, float]:
    sizes = pd.Series(np.asarray(as_of)).value_counts()
    return {
        "rows": float(len(y)),
        "positives": float(np.sum(y)),
        "base_rate": float(np.mean(y)) if len(y) else float("nan"),
        "months": float(len(sizes)),
        "capacity": float(capacity),
        "k_per_month": float(np.mean([capacity_count(int(n), capacity) for n in sizes]))
        if len(sizes)
        else 0.0,
    }


def compare_slices(
    scores: Mapping[str, np.ndarray],
    y: np.ndarray,
    as_of: np.ndarray,
    table: pd.DataFrame,
    truth: np.ndarray | None = None,
    *,
    columns: Sequence[str] = ("province", "sector", "ownership"),
    rank_within: Sequence[str] = ("province",),
    capacity: float = 0.01,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.9,
    min_positives: int = 1,
) -> pd.DataFrame:
    """`compare` per value of each slice column: column, slice, rows, positives, model, metric, ….

    For columns in `rank_within` (a province ranks its own firms) the monthly top k is
    recomputed inside the slice; for the others membership of the overall top k is kept,
    so recall@k answers "which of this sector's stoppages does the ranking catch". Slices
    with fewer than `min_positives` positives are left out.
    """
    y = np.asarray(y, dtype=np.float64)
    as_of = np.asarray(as_of)
    models = {name: np.asarray(s, dtype=np.float64) for name, s in scores.items()}
    models.setdefault(CHECKLIST, checklist_score(table))
    if truth is not None:
        models[TRUE_HAZARD] = np.asarray(truth, dtype=np.float64)
    overall = {name: top_k_mask(as_of, s, capacity) for name, s in models.items()}
    frames = []
    for column in columns:
        values = table[column].astype("str").to_numpy()
        for value in np.unique(values):
            rows = values == value
            if y[rows].sum() < min_positives:
                continue
            subset = {name: s[rows] for name, s in models.items()}
            if column in rank_within:
                tops = {name: top_k_mask(as_of[rows], s, capacity) for name, s in subset.items()}
            else:
                tops = {name: t[rows] for name, t in overall.items()}
            part = _compare_core(
                subset, tops, y[rows], as_of[rows],
                not_probability=(CHECKLIST,), n_boot=n_boot, seed=seed, level=level,
            )  # fmt: skip
            part.insert(0, "positives", int(y[rows].sum()))
            part.insert(0, "rows", int(rows.sum()))
            part.insert(0, "slice", value)
            part.insert(0, "column", column)
            frames.append(part)
    if not frames:
        return pd.DataFrame(
            columns=["column", "slice", "rows", "positives", "model", "metric", "value", "low", "high"]
        )
    return pd.concat(frames, ignore_index=True)


# --- the ceiling on simulated worlds -------------------------------------------------------


def _month_number(values: pd.Series | np.ndarray) -> np.ndarray:
    """Month numbers (`vocab.months`) of dates or date text: only their differences matter."""
    return month_number(pd.to_datetime(pd.Series(values)))


def true_probability(true_hazard: pd.DataFrame, rows: pd.DataFrame, *, horizon_months: int = 3) -> np.ndarray:
    """True probability of a stoppage in (D, D + H]: 1 − Π (1 − h) over the H months after D's month.

    `true_hazard` is the simulator's frame (enterprise_id, month 'YYYY-MM', hazard[,
    operating]); `rows` has as_of (month-end dates) and enterprise_id. A month absent for
    the enterprise (not yet founded) counts as hazard 0; rows whose window runs past the
    simulated months are NaN. It uses hazards after D (contagion included), so it is a
    ceiling no model that knows only D can reach.
    """
    hazard = true_hazard["hazard"].to_numpy(dtype=np.float64)
    if "operating" in true_hazard:
        hazard = hazard * true_hazard["operating"].to_numpy(dtype=bool)
    month = _month_number(true_hazard["month"].astype("str") + "-01")
    lookup = pd.Series(
        hazard, index=pd.MultiIndex.from_arrays([true_hazard["enterprise_id"].astype("str"), month])
    )
    lookup = lookup[~lookup.index.duplicated(keep="last")]
    ids = rows["enterprise_id"].astype("str").to_numpy()
    start = _month_number(rows["as_of"])
    survive = np.ones(len(rows))
    for step in range(1, horizon_months + 1):
        h = lookup.reindex(pd.MultiIndex.from_arrays([ids, start + step])).to_numpy(dtype=np.float64)
        survive *= 1.0 - np.nan_to_num(h)
    p = 1.0 - survive
    p[start + horizon_months > month.max()] = np.nan
    return p


# --- lead time -----------------------------------------------------------------------------


def lead_times(
    scores: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    capacity: float = 0.01,
    horizon_months: int = 3,
    window_months: int | None = None,
    kinds: Sequence[str] = STOPPAGE_KINDS,
) -> pd.DataFrame:
    """For each stoppage, how many months before its start the enterprise entered the monthly top k.

    `scores`: long table (as_of, enterprise_id, score), one ranking per month-end as-of.
    An event starting on day s is looked for in the rankings D with s − W months ≤ D < s
    (W = `window_months`, default the horizon: the as-of dates whose target covers it).
    `lead_months` = calendar months from the earliest such D in the top k to the start
    (ranked at the end of the month before: 1); NaN when never flagged. Events with no
    ranking in their window are left out. Columns: enterprise_id, started,
    first_flagged, lead_months, flagged.
    """
    window = horizon_months if window_months is None else window_months
    scored = scores.loc[:, ["as_of", "enterprise_id", "score"]].copy()
    scored["as_of"] = pd.to_datetime(scored["as_of"])
    scored["enterprise_id"] = scored["enterprise_id"].astype("str")
    scored["top"] = top_k_mask(scored["as_of"].to_numpy(), scored["score"].to_numpy(), capacity)
    events = incidents.loc[incidents["kind"].isin(list(kinds)), ["enterprise_id", "started"]].copy()
    events["enterprise_id"] = events["enterprise_id"].astype("str")
    events["started"] = pd.to_datetime(events["started"])
    events = events.drop_duplicates().reset_index(drop=True)
    events["event"] = np.arange(len(events))
    from_ = events["started"] - pd.DateOffset(months=window)
    months = np.sort(scored["as_of"].unique())
    covered = np.searchsorted(months, events["started"].to_numpy(), side="left") > np.searchsorted(
        months, from_.to_numpy(), side="left"
    )
    events = events.loc[covered].reset_index(drop=True)
    hits = events.merge(scored.loc[scored["top"], ["as_of", "enterprise_id"]], on="enterprise_id")
    in_window = (hits["as_of"] < hits["started"]) & (
        hits["as_of"] >= hits["started"] - pd.DateOffset(months=window)
    )
    first = hits.loc[in_window].groupby("event")["as_of"].min()
    # reindex, not map: with no event flagged `first` is empty and map cannot cast its dtype.
    events["first_flagged"] = first.reindex(events["event"]).to_numpy()
    gap = _month_number(events["started"]) - np.where(
        events["first_flagged"].notna(), _month_number(events["first_flagged"].fillna(events["started"])), 0
    )
    events["lead_months"] = np.where(events["first_flagged"].notna(), gap, np.nan)
    events["flagged"] = events["first_flagged"].notna()
    return events.drop(columns="event")


def lead_time_summary(
    events: pd.DataFrame, *, n_boot: int = 200, seed: int = 0, level: float = 0.9
) -> dict[str, float]:
    """Events, share flagged in time, median and mean lead (flagged events), with intervals over events."""
    flagged = events["flagged"].to_numpy(dtype=bool)
    lead = events["lead_months"].to_numpy(dtype=np.float64)

    def stats(index: np.ndarray) -> dict[str, float]:
        f, lt = flagged[index], lead[index][flagged[index]]
        return {
            "flagged_share": float(f.mean()) if len(f) else float("nan"),
            "median_lead_months": float(np.median(lt)) if len(lt) else float("nan"),
            "mean_lead_months": float(np.mean(lt)) if len(lt) else float("nan"),
        }

    point = stats(np.arange(len(events)))
    rng = np.random.default_rng(seed)
    draws = [stats(rng.integers(0, len(events), len(events))) for _ in range(n_boot if len(events) else 0)]
    out: dict[str, float] = {"events": float(len(events)), "flagged": float(flagged.sum())}
    for key, value in point.items():
        low, high = _interval([d[key] for d in draws], level)
        out |= {key: value, f"{key}_low": low, f"{key}_high": high}
    return out


# --- month by month ------------------------------------------------------------------------

POOLED = "all"


def by_month(
    scores: Mapping[str, np.ndarray], y: np.ndarray, as_of: np.ndarray, *, capacity: float = 0.01
) -> pd.DataFrame:
    """PR-AUC and the share of positives in the monthly top k, per month and pooled (month `all`).

    One row per (month, model): rows, positives, `pr_auc`, `caught_top_k` (recall within
    that month's top k; pooled: caught over all positives). Months without a positive get
    NaN metrics. Scores of different models need not be on the same scale.
    """
    y = np.asarray(y, dtype=np.float64)
    as_of = np.asarray(as_of)
    tops = {name: top_k_mask(as_of, s, capacity) for name, s in scores.items()}
    rows = []
    for month in [*np.unique(as_of), POOLED]:
        mask = np.ones(len(y), dtype=bool) if month is POOLED else as_of == month
        label = POOLED if month is POOLED else str(pd.Timestamp(month).date())
        for name, score in scores.items():
            yy = y[mask]
            positives = float(yy.sum())
            rows.append({
                "month": label,
                "model": name,
                "rows": int(mask.sum()),
                "positives": int(positives),
                "pr_auc": average_precision(yy, np.asarray(score, dtype=np.float64)[mask]),
                "caught_top_k": float((yy * tops[name][mask]).sum() / positives) if positives > 0 else float("nan"),
            })  # fmt: skip
    return pd.DataFrame(rows)
