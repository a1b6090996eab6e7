"""Model selection: the learner a training run registers, the champion it is measured against,
and whether the challenger takes the champion's place.

The rules are pure over the backtest's comparison table and the recipes (`ModelParams`);
only `recipe_of` reads the registry, for the parameters a registered version was logged with.
"""

from __future__ import annotations

import ast
from typing import Any, Literal

import numpy as np
import pandas as pd

from models import backtest, registry
from models.train import LEARNERS, ModelParams

Promote = Literal["auto", "never"]
# The backtest column of the champion's recipe when it has to be refitted beside the candidates.
CHAMPION_RECIPE = "champion"


def recipe_of(model_name: str, version: str) -> ModelParams:
    """The parameters a registered version was trained with. Versions from before the learner
    choice and early stopping were boosted trees with a fixed number of trees."""
    logged = registry.version_params(model_name, version)
    known: dict[str, Any] = {k: v for k, v in logged.items() if k in ModelParams.model_fields}
    if "target_kinds" in known:
        known["target_kinds"] = ast.literal_eval(known["target_kinds"])  # a logged tuple of str
    known.setdefault("learner", "hgb")
    known.setdefault("early_stopping", False)
    return ModelParams.model_validate(known)


def champion_recipe(model_name: str, champion: registry.ModelVersion | None) -> ModelParams | None:
    """The champion's parameters, to be backtested beside the challenger (None: no champion)."""
    return None if champion is None else recipe_of(model_name, champion.version)


def replays_champion(recipe: ModelParams | None, params: ModelParams, candidates: tuple[str, ...]) -> bool:
    """True when the champion's recipe differs from this run's only by its learner, and that
    learner is backtested anyway: its scores are already one of the candidates' columns, so
    it is not refitted (the same fit twice would cost a backtest and give the same column)."""
    return (
        recipe is not None
        and recipe.learner in candidates
        and recipe.model_copy(update={"learner": params.learner}) == params
    )


def recipes_to_refit(
    recipe: ModelParams | None, params: ModelParams, candidates: tuple[str, ...]
) -> dict[str, ModelParams]:
    """The extra recipes the backtest fits beside the candidates: the champion's under
    `CHAMPION_RECIPE`, unless there is no champion or `replays_champion` finds its column."""
    replayed = replays_champion(recipe, params, candidates)
    return {CHAMPION_RECIPE: recipe} if recipe is not None and not replayed else {}


def same_recipe(
    recipe: ModelParams | None,
    params: ModelParams,
    champion: registry.ModelVersion | None,
    data_digest: str,
) -> bool:
    """True when the challenger repeats the champion: same recipe (after the learner choice)
    on the same store content. Its backtest then equals the champion's and there is no gain
    to measure (`decide` says so instead of reading noise)."""
    return recipe == params and champion is not None and champion.tags.get("data_digest") == data_digest


def champion_column(recipe: ModelParams, recipes: dict[str, ModelParams]) -> str:
    """The backtest column holding the champion's scores: its refitted recipe, or the
    candidate column of its learner when it was replayed."""
    return CHAMPION_RECIPE if CHAMPION_RECIPE in recipes else recipe.learner


def choose_learner(comparison: pd.DataFrame, params: ModelParams, candidates: tuple[str, ...]) -> str:
    """The learner to register: `params.learner`, or for 'auto' the learnable candidate with the
    highest pooled backtest PR-AUC (ties go to the first of `LEARNERS`)."""
    if params.learner != "auto":
        if params.learner not in candidates:
            raise ValueError(
                f"learner {params.learner!r} is not among the backtested candidates {candidates}"
            )
        return params.learner
    learnable = [name for name in LEARNERS if name in candidates]
    if not learnable:
        raise ValueError(f"the candidates {candidates} include none of the learners {LEARNERS}")
    pr_auc = comparison.loc[comparison["metric"] == "pr_auc"].set_index("model")["value"]
    return max(
        learnable,
        key=lambda name: (np.nan_to_num(pr_auc.get(name, np.nan), nan=-1.0), -learnable.index(name)),
    )


def decide(gain: dict[str, float] | None, has_champion: bool, promote: Promote) -> tuple[bool, str]:
    """Promote when there is no champion, or when the gain's 90% interval is above zero."""
    if promote == "never":
        return False, "promotion disabled (--promote never)"
    if not has_champion:
        return True, "no champion yet"
    if gain is None:
        return False, "same recipe as the champion on the same data: no gain"
    low = gain["pr_auc_gain_low"]
    words = f"backtest PR-AUC gain {gain['pr_auc_gain']:+.4f} (90% interval from {low:+.4f})"
    return (True, words) if low > 0 else (False, words + ": within the uncertainty")


def learner_choice_note(
    comparison: pd.DataFrame, learner: str, requested: str, candidates: tuple[str, ...]
) -> str:
    """One paragraph for the model card: which learner is registered, and why."""
    pr_auc = comparison.loc[comparison["metric"] == "pr_auc"].set_index("model")["value"]
    figures = ", ".join(
        f"`{name}` {pr_auc.get(name, float('nan')):.4f}" for name in LEARNERS if name in candidates
    )
    if requested == "auto":
        why = "chosen as the learner with the highest pooled PR-AUC on this backtest"
    elif learner == backtest.BLEND:
        why = (
            "set by the recipe: the mean of the calibrated probabilities of "
            + ", ".join(f"`{m}`" for m in backtest.BLEND_MEMBERS)
            + ", because which single learner ranks best changes from world to world and one "
            "backtest's PR-AUC, on a few dozen stoppages, cannot tell them apart reliably"
        )
    else:
        why = "set by the recipe"
    return (
        f"`{learner}`, {why} ({figures}). Every learner keeps the domain's guarantee that more months of "
        "wage arrears, insurance debt or debt streak never lower the risk: the boosted trees through monotone "
        "constraints, the logistic model by dropping any of these columns fitted with a negative coefficient, "
        "the blend as a mean of such models. "
        "Negatives are sampled at `negative_rate` (raised so that a small world keeps `min_negative_rows` of "
        "them, or every one) before fitting and weighted 1/rate (no synthetic rows)."
    )
