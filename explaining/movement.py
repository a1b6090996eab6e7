"""Why a firm's score moved between two dates: the change of its log-odds, split by the inputs
that changed.

The same model scores each firm twice, on its point-in-time features as of an earlier date
and as of now. The change of log-odds Δ = logit(p_now) − logit(p_before) is split among the
input columns whose value changed, each column's share being the mean of its two one-at-a-time
effects (a two-point Shapley value):

    effect_c = ½ · [ (f(before with c from now) − f(before)) + (f(now) − f(now with c from before)) ]

with f the model's log-odds. For a model additive in its inputs (the logistic) the effects sum
to Δ exactly; for trees and the blend what they leave is the interaction of the changes,
returned as `residual`, so that Σ effects + residual = Δ for every firm. A column whose value
did not change has effect 0: a firm's score never moves "because of" a figure that stayed put.

The model is only called through `predict_proba`, so any fitted classifier works (a blend, a
calibrated pipeline); the cost is two predictions of the firms per changed column. The words
for these numbers are the presentation room's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Movement:
    """Scores at both dates and the change split by input column (rows: the firms, by index)."""

    p_before: pd.Series
    p_now: pd.Series
    #: logit(p_now) − logit(p_before).
    delta: pd.Series
    #: One column per input: its effect on the log-odds (0 where the value did not change).
    effects: pd.DataFrame
    #: What the effects leave of `delta` (interactions between changes); 0 for additive models.
    residual: pd.Series


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def changed_cells(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """True where a firm's input differs between the two frames (two missing values are equal)."""
    out = pd.DataFrame(False, index=now.index, columns=now.columns)
    for column in now.columns:
        a, b = now[column], before[column]
        if isinstance(a.dtype, pd.CategoricalDtype) or isinstance(b.dtype, pd.CategoricalDtype):
            a, b = a.astype(object), b.astype(object)
        same = (a == b).fillna(False).to_numpy(dtype=bool) | (a.isna().to_numpy() & b.isna().to_numpy())
        out[column] = ~same
    return out


def movement(model: Any, now: pd.DataFrame, before: pd.DataFrame) -> Movement:
    """Split the change of each firm's score between `before` and `now` (module docstring).

    `now` and `before` are the model's input frames (`models.train.model_input`) for the same
    firms, with the same index and columns; the model is the one that scores both (so a change
    of model never passes for a change of the firm).
    """
    if not now.index.equals(before.index):
        raise ValueError("movement needs the same firms, in the same order, at both dates")
    if list(now.columns) != list(before.columns):
        raise ValueError("movement needs the same input columns at both dates")

    def f(frame: pd.DataFrame) -> np.ndarray:
        return _logit(np.asarray(model.predict_proba(frame))[:, 1])

    # Every variant (both dates, and each changed cell swapped either way) in one frame and
    # one prediction: a model's call costs far more than its rows when they are few.
    changed = changed_cells(now, before)
    parts, where = [now, before], []
    for j, column in enumerate(now.columns):
        pick = np.flatnonzero(changed[column].to_numpy())
        if not len(pick):
            continue
        forward = before.iloc[pick].copy()
        forward[column] = now[column].iloc[pick].to_numpy()
        backward = now.iloc[pick].copy()
        backward[column] = before[column].iloc[pick].to_numpy()
        parts += [forward, backward]
        where.append((j, pick))
    scored = f(pd.concat(parts, ignore_index=True))
    n = len(now)
    f_now, f_before = scored[:n], scored[n : 2 * n]
    effects = np.zeros(now.shape, dtype=np.float64)
    at = 2 * n
    for j, pick in where:
        k = len(pick)
        f_forward, f_backward = scored[at : at + k], scored[at + k : at + 2 * k]
        effects[pick, j] = 0.5 * ((f_forward - f_before[pick]) + (f_now[pick] - f_backward))
        at += 2 * k
    delta = f_now - f_before
    split = pd.DataFrame(effects, index=now.index, columns=now.columns)
    return Movement(
        p_before=pd.Series(1 / (1 + np.exp(-f_before)), index=now.index),
        p_now=pd.Series(1 / (1 + np.exp(-f_now)), index=now.index),
        delta=pd.Series(delta, index=now.index),
        effects=split,
        residual=pd.Series(delta - effects.sum(axis=1), index=now.index),
    )


def top_changes(result: Movement, firm: Any, n: int = 3) -> list[tuple[str, float]]:
    """The `n` columns that moved `firm`'s log-odds the most, as (column, effect), largest
    absolute effect first; columns with no effect are never listed."""
    row = result.effects.loc[firm]
    row = row[row != 0.0]
    order = row.abs().sort_values(ascending=False, kind="stable").index[:n]
    return [(str(c), float(row[c])) for c in order]
