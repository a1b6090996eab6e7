"""Target-leak sentinel (reliability matrix PIT3): no model column may predict the label alone.

A strike has no single sure sign. A column that separates the training label almost
perfectly on its own is far more likely a leak (the target copied in, a count that
includes the label's own window, figures dated after the label's cutoff) than a
discovery, and a model trained on it would look excellent in every backtest and be
useless at night. So every model column's single-feature ROC AUC is measured on the
training rows, and one above `THRESHOLD` refuses training unless `ALLOWED` names it with
a reason.

The AUC is folded (max(auc, 1 − auc)): a column that ranks the label backwards leaks just
as much. Missing values are a value of their own, placed below every number and then
above, whichever separates better: a column that is missing exactly when the label is 1
leaks too. A text column's categories are ordered by their share of positives in the same
rows, the best any model could do with that column alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from data.errors import EwsError

if TYPE_CHECKING:  # only for the annotation: the sentinel stays below the training path
    from models.backtest import TrainingFrame

#: Single-feature AUC above which a column counts as a leak (tunable: reliability doc PIT3).
THRESHOLD = 0.95
#: Columns allowed above `THRESHOLD`, each with the reason it is not a leak.
ALLOWED: dict[str, str] = {
    "log_headcount": (
        "size: a collective stoppage needs a workforce, and nearly all of them start at the few "
        "firms with hundreds of workers among thousands of micro firms; taken from the latest "
        "month reported by the as-of date (point in time, PIT1). Single-feature AUC 0.952 on "
        "the tiny world, 0.899 on the demo world"
    ),
    "headcount": "the same size unlogged, as the reference GBM (simple-v1) reads it; see log_headcount",
}


class TargetLeak(EwsError):
    """A model column predicts the training label on its own too well to be anything but a leak."""


def _folded_auc(score: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC of `score` for `positive` from ranks (ties count half), folded to ≥ 0.5."""
    ranks = rankdata(score)
    n1 = int(positive.sum())
    n0 = len(positive) - n1
    auc = (float(ranks[positive].sum()) - n1 * (n1 + 1) / 2) / (n1 * n0)
    return max(auc, 1.0 - auc)


def _column_auc(values: pd.Series, positive: np.ndarray) -> float:
    """Folded single-feature AUC of one column (numbers, or categories by their positive share)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        x = values.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(x)
        if not missing.any():
            return _folded_auc(x, positive)
        return max(
            _folded_auc(np.where(missing, -np.inf, x), positive),
            _folded_auc(np.where(missing, np.inf, x), positive),
        )
    # Text: each category (missing being one) scored by its share of positives.
    codes = pd.Series(pd.factorize(values.astype("object"), use_na_sentinel=False)[0])
    share = pd.Series(positive.astype("float64")).groupby(codes).mean()
    return _folded_auc(codes.map(share).to_numpy(dtype="float64"), positive)


def single_feature_auc(table: pd.DataFrame, y: np.ndarray, columns: Sequence[str]) -> pd.Series:
    """Folded ROC AUC of each of `columns` alone against the label `y`, on rows whose label is known.

    `y` holds one 0/1 label per row of `table`; NaN (an outcome window still open) leaves
    the row out. Returns the AUCs indexed by column, in the order given.
    """
    labels = np.asarray(y, dtype="float64")
    if len(labels) != len(table):
        raise ValueError(f"{len(labels)} labels for {len(table)} rows")
    known = np.isfinite(labels)
    if not np.isin(labels[known], (0.0, 1.0)).all():
        raise ValueError("labels must be 0, 1 or NaN")
    positive = labels[known] == 1.0
    if positive.all() or not positive.any():
        raise ValueError(
            f"single-feature AUC needs both outcomes among the labelled rows: "
            f"{int(positive.sum())} positive of {len(positive)}"
        )
    rows = table.loc[known, list(columns)]
    return pd.Series(
        [_column_auc(rows[c], positive) for c in columns], index=list(columns), name="auc", dtype="float64"
    )


def check_no_target_leak(
    table: pd.DataFrame,
    y: np.ndarray,
    columns: Sequence[str],
    *,
    threshold: float = THRESHOLD,
    allowed: Mapping[str, str] | None = None,
) -> pd.Series:
    """The columns' single-feature AUCs (`single_feature_auc`); `TargetLeak` when one exceeds
    `threshold` and `allowed` (default `ALLOWED`) gives no reason for it.

    The error names every such column with its AUC, highest first. An allow-list entry
    with a blank reason allows nothing.
    """
    if not 0.5 <= threshold <= 1.0:
        raise ValueError(f"threshold must be within [0.5, 1], not {threshold}")
    allowed = ALLOWED if allowed is None else allowed
    aucs = single_feature_auc(table, y, columns)
    excused = np.array([bool(allowed.get(c, "").strip()) for c in aucs.index], dtype=bool)
    leaks = aucs[(aucs > threshold).to_numpy() & ~excused]
    if len(leaks):
        named = ", ".join(f"{c!r} (AUC {auc:.3f})" for c, auc in leaks.sort_values(ascending=False).items())
        known = int(np.isfinite(np.asarray(y, dtype="float64")).sum())
        raise TargetLeak(
            f"target leak: {named} alone separate(s) the training label above AUC {threshold} "
            f"on {known} labelled rows; remove the column, or allow-list it with a reason "
            f"in models.leakage.ALLOWED"
        )
    return aucs


def check_training_frame(
    frame: TrainingFrame,
    columns: Sequence[str],
    *,
    threshold: float = THRESHOLD,
    allowed: Mapping[str, str] | None = None,
) -> pd.Series:
    """`check_no_target_leak` on a training frame: its rows against the labels the final fit
    sees (incidents reported by the training date), every row whose window has closed."""
    return check_no_target_leak(
        frame.table, frame.labels(frame.as_of), columns, threshold=threshold, allowed=allowed
    )
