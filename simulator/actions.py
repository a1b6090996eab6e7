"""Officers' actions on warned enterprises, and what an action changes in a world.

An action (an inspection, a mediation, an enforced payment of wage arrears or of
social-insurance debt, support to the enterprise) is taken on one enterprise in one month;
it acts from the month after, for the months `ACTION_EFFECTS` gives, and only on that
enterprise: enforced payments clear the arrears or debt (its later indicators show it
paid, and the hazard terms they drive fall), support lowers its layoffs and reduced hours,
inspection and mediation multiply its hazard. Every number of the table is an assumption:
the sourced facts the worlds are calibrated to give no measured effect of any action
(docs/calibration.md, section "Actions").

How a world with actions stays the world without them wherever no action reaches
(`simulator.world.simulate`, ``actions=``). The drivers' month loop draws binomials whose
use of the random stream depends on every firm's state, so running it again with one
firm's state changed would redraw every later month of every firm; drawing per month
instead would change every existing world. So the loop is not run again: an action
rewrites the acted firm's drivers from those of the world without actions (a payment's
arrears count again only when that world's arrears grow; closures, headcount and the
latent distress stay as they were), and the hazard, the incidents and the indicators are
drawn with the same random numbers as without actions (those draws do not depend on
state). As every effect can only lower a hazard, the incidents with actions are a subset
of those without, row for row. A firm's hazard changes only if it is acted on, or through
contagion, from a firm whose stoppages changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from simulator.mechanics import Drivers, Hazard, Registry, driver_terms, peer_log_wage
from simulator.presets import Preset
from vocab.months import label_month_number, month_labels


@dataclass(frozen=True)
class ActionEffect:
    """What one action does to its enterprise, from the month after the action's month.

    ``months``: how long it lasts. ``hazard_factor``: multiplies the firm's monthly rate of
    every incident kind (a work stoppage's hazard is 1 - exp(-rate)). ``clears_wage_arrears``
    / ``clears_insurance_debt``: the arrears (debt) are paid and stay at zero while it
    lasts; after it, they count again from zero only in the months the world without
    actions has them growing. ``layoffs_factor`` / ``reduced_hours_factor``: multiply the
    workers laid off (on reduced hours) in each month it lasts, rounded down.
    """

    months: int
    hazard_factor: float = 1.0
    clears_wage_arrears: bool = False
    clears_insurance_debt: bool = False
    layoffs_factor: float = 1.0
    reduced_hours_factor: float = 1.0


#: The effects of the actions analysts record (`ACTION_KINDS`). Assumptions, none
#: measured (the sourced facts give no effect size of any action; docs/calibration.md):
#: - inspection: a labour inspection has violations (overtime, pay, contracts) corrected;
#:   the rate of incidents falls by 30% for 3 months.
#: - mediation: dialogue between management, workers and the union settles the grievance
#:   (many stoppages end the same day after union mediation, §2, and dialogue is how the
#:   Thanh Hóa union ended its 2025 stoppages, §1F); the rate halves for 3 months.
#: - wage_payment / insurance_payment: an enforced payment clears the wage arrears
#:   (social-insurance debt) and the firm stays current for the 6 months of follow-up;
#:   the hazard falls through the arrears (debt) terms of `DRIVER_COEFS`, no factor.
#: - support: help to the enterprise (orders, credit, subsidised training) halves its
#:   layoffs and reduced hours for 6 months; headcount is unchanged (the world hires
#:   toward a target, so a worker kept is a worker not hired), and its average wage paid
#:   rises with the hours restored.
ACTION_EFFECTS: Mapping[str, ActionEffect] = {
    "inspection": ActionEffect(months=3, hazard_factor=0.7),
    "mediation": ActionEffect(months=3, hazard_factor=0.5),
    "wage_payment": ActionEffect(months=6, clears_wage_arrears=True),
    "insurance_payment": ActionEffect(months=6, clears_insurance_debt=True),
    "support": ActionEffect(months=6, layoffs_factor=0.5, reduced_hours_factor=0.5),
}

#: The kinds of action analysts record, in the table's order.
ACTION_KINDS: tuple[str, ...] = tuple(ACTION_EFFECTS)


def officers_choice(
    wage_arrears_months: np.ndarray, insurance_debt_months: np.ndarray, recent_incidents: np.ndarray
) -> np.ndarray:
    """The kind of action officers take on each warned firm, from the signals it shows.

    Wage arrears (any month overdue) come first: an enforced ``wage_payment``; else
    social-insurance debt: ``insurance_payment``; else a firm with incidents recently
    (petitions, gatherings: a grievance in the open) gets ``mediation``; else an
    ``inspection``. A missing figure counts as none. Used by the simulated loop of acting
    on warnings (`benchmarks/bench_action_loop.py`); an assumption, like `ACTION_EFFECTS`.
    """
    arrears = np.nan_to_num(np.asarray(wage_arrears_months, dtype=np.float64)) > 0
    debt = np.nan_to_num(np.asarray(insurance_debt_months, dtype=np.float64)) > 0
    unrest = np.nan_to_num(np.asarray(recent_incidents, dtype=np.float64)) > 0
    return np.where(
        arrears,
        "wage_payment",
        np.where(debt, "insurance_payment", np.where(unrest, "mediation", "inspection")),
    ).astype(object)


#: The columns of the truth's table of actions (`World.actions`, truth/actions.parquet).
ACTION_TRUTH_COLUMNS = (
    "enterprise_id", "kind", "month", "effective_from", "effective_to", "applied", "operating",
    "expected_stoppages_without", "expected_stoppages_with", "stoppages_without", "stoppages_with",
)  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """Actions placed on a world: the normalized table (`normalize_actions`) and, per row,
    the firm's column (-1: the id is not in the world), the index of the action's month
    from the world's first month, and whether it applies (a known firm, and the months it
    acts in meet the world's period)."""

    table: pd.DataFrame
    firm: np.ndarray
    start: np.ndarray
    applied: np.ndarray


def normalize_actions(actions: pd.DataFrame) -> pd.DataFrame:
    """The actions as (enterprise_id, kind, month 'YYYY-MM'), in their order.

    ``actions`` has ``enterprise_id``, ``kind`` (one of `ACTION_KINDS`) and a ``date``
    (any day of the month) or ``month`` ('YYYY-MM') column; where a row has both, the date
    wins. Raises ValueError on a missing column, an unknown kind, or a missing or bad date.
    """
    missing = sorted({"enterprise_id", "kind"} - set(actions.columns))
    if not {"date", "month"} & set(actions.columns):
        missing.append("date or month")
    if missing:
        raise ValueError(f"actions need the columns enterprise_id, kind and date or month; missing {missing}")
    kinds = actions["kind"].astype("str")
    unknown = sorted(set(kinds) - set(ACTION_KINDS))
    if unknown:
        raise ValueError(f"unknown action kind(s) {unknown}; choose from {list(ACTION_KINDS)}")
    month = pd.Series(None, index=actions.index, dtype="object")
    if "month" in actions:
        given = actions["month"].dropna().astype("str")
        bad = ~given.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")
        if bad.any():
            raise ValueError(f"bad action month {given[bad].iloc[0]!r}; use YYYY-MM")
        month[given.index] = given
    if "date" in actions:
        dates = pd.to_datetime(actions["date"], errors="coerce")
        if (dates.isna() & actions["date"].notna()).any():
            raise ValueError("an action date is not a date; use YYYY-MM-DD")
        month = month.where(dates.isna(), dates.dt.strftime("%Y-%m"))
    if month.isna().any():
        raise ValueError("an action has neither a date nor a month")
    return pd.DataFrame({
        "enterprise_id": actions["enterprise_id"].astype("str").to_numpy(),
        "kind": kinds.to_numpy(),
        "month": month.astype("str").to_numpy(),
    })  # fmt: skip


def plan_actions(actions: pd.DataFrame, ids: pd.Series, first_month: int, t_count: int) -> Plan:
    """Place normalized actions on a world whose enterprise ids are ``ids``."""
    firm = pd.Index(ids).get_indexer(actions["enterprise_id"])
    start = np.array([label_month_number(m) for m in actions["month"]], dtype=np.int64) - first_month
    lo, hi = _effect_months(actions["kind"], start, t_count)
    return Plan(
        table=actions.reset_index(drop=True), firm=firm, start=start, applied=(firm >= 0) & (lo <= hi)
    )


def _effect_months(kinds: pd.Series, start: np.ndarray, t_count: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last month index each action acts in, inside the world's period."""
    months = np.array([ACTION_EFFECTS[k].months for k in kinds], dtype=np.int64)
    return np.maximum(start + 1, 0), np.minimum(start + months, t_count - 1)


@dataclass(frozen=True)
class Acted:
    """A world's drivers and hazard terms with the actions applied (`Hazard.rest` holds
    the actions' terms too), and the change of each firm-month's log hazard (0 wherever
    no action reaches)."""

    drivers: Drivers
    hazard: Hazard
    eta_shift: np.ndarray  # (T x N)


def apply_actions(reg: Registry, drv: Drivers, hz: Hazard, preset: Preset, plan: Plan) -> Acted:
    """The drivers and hazard terms of the acted firms rewritten by `ACTION_EFFECTS`.

    Only the acted firms' columns change. Their driver terms of the log hazard are
    computed again against the peers' wages of the world without actions (one firm's
    wage barely moves its group's mean, and the peers stay exactly as they were).
    """
    t_count, n = drv.headcount.shape
    kinds = plan.table["kind"].to_numpy()[plan.applied]
    cols, inverse = np.unique(plan.firm[plan.applied], return_inverse=True)
    lo, hi = _effect_months(pd.Series(kinds), plan.start[plan.applied], t_count)
    in_effect = {kind: np.zeros((t_count, cols.size), dtype=bool) for kind in ACTION_KINDS}
    for col, first, last, kind in zip(inverse, lo, hi, kinds, strict=True):
        in_effect[kind][first : last + 1, col] = True
    base = _columns(drv, cols)
    acted = _rewrite_drivers(base, in_effect)
    peer = peer_log_wage(reg, drv, preset)[:, cols]
    reg_cols = _columns(reg, cols)
    before = driver_terms(reg_cols, base, preset, peer, hz.mw_soon)
    after = driver_terms(reg_cols, acted, preset, peer, hz.mw_soon)
    shift = after["terms"] - before["terms"]
    for kind, mask in in_effect.items():
        factor = ACTION_EFFECTS[kind].hazard_factor
        if factor != 1.0:
            shift = shift + np.log(factor) * mask
    if (shift > 0).any():  # the coupling of the draws relies on it (see the module docstring)
        raise RuntimeError("an action raised a firm's hazard: ACTION_EFFECTS must only lower it")
    drivers = _put_columns(drv, acted, cols)
    hazard = replace(
        hz,
        rest=_put(hz.rest, shift + hz.rest[:, cols], cols),
        wage_gap_peers=_put(hz.wage_gap_peers, after["wage_gap_peers"], cols),
        layoff_share=_put(hz.layoff_share, after["layoff_share"], cols),
        reduced_share=_put(hz.reduced_share, after["reduced_share"], cols),
    )
    eta_shift = np.zeros((t_count, n))
    eta_shift[:, cols] = shift
    return Acted(drivers=drivers, hazard=hazard, eta_shift=eta_shift)


def _rewrite_drivers(drv: Drivers, in_effect: Mapping[str, np.ndarray]) -> Drivers:
    """The acted firms' drivers (T x k) under the effects in force each month."""
    clear_wa = np.zeros(drv.headcount.shape, dtype=bool)
    clear_si = np.zeros(drv.headcount.shape, dtype=bool)
    layoffs, reduced = drv.layoffs.copy(), drv.reduced_hours.copy()
    for kind, mask in in_effect.items():
        effect = ACTION_EFFECTS[kind]
        clear_wa |= mask & effect.clears_wage_arrears
        clear_si |= mask & effect.clears_insurance_debt
        if effect.layoffs_factor != 1.0:
            layoffs = np.where(mask, np.floor(layoffs * effect.layoffs_factor), layoffs).astype(layoffs.dtype)
        if effect.reduced_hours_factor != 1.0:
            reduced = np.where(mask, np.floor(reduced * effect.reduced_hours_factor), reduced).astype(
                reduced.dtype
            )
    wa = _count_again(drv.wage_arrears_months, clear_wa)
    si = _count_again(drv.si_months, clear_si)
    previous = np.vstack([np.zeros((1, si.shape[1]), dtype=si.dtype), si[:-1]])
    # The average wage paid falls with reduced hours (40% of a wage per worker on them, as
    # in `simulate_drivers`): restored hours restore it.
    hc = drv.headcount.astype(np.float64)
    changed = reduced != drv.reduced_hours
    full = drv.wage / (1.0 - 0.4 * drv.reduced_hours / np.maximum(hc, 1.0))
    wage = np.where(changed, full * (1.0 - 0.4 * reduced / np.maximum(hc, 1.0)), drv.wage)
    return replace(
        drv, wage_arrears_months=wa, si_months=si, new_debt=drv.new_debt & (si > previous),
        layoffs=layoffs, reduced_hours=reduced, wage=wage,
    )  # fmt: skip


def _count_again(count: np.ndarray, cleared: np.ndarray) -> np.ndarray:
    """Months overdue (T x k) after payments: zero while ``cleared``; otherwise one more
    where the world without actions counts one more, zero where it is at zero, else as
    the month before. Never above the count without actions."""
    out = np.zeros_like(count)
    prev_base = np.zeros(count.shape[1], dtype=count.dtype)
    prev = np.zeros(count.shape[1], dtype=count.dtype)
    for t in range(count.shape[0]):
        base = count[t]
        now = np.where(base == prev_base + 1, prev + 1, prev)
        now = np.where((base == 0) | cleared[t], 0, now)
        out[t] = now
        prev_base, prev = base, now
    return out


_T = TypeVar("_T", Drivers, Registry)


def _columns(obj: _T, cols: np.ndarray) -> _T:
    """The firms ``cols`` of a Drivers or Registry (per-firm arrays are the last axis)."""
    changes: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, np.ndarray):
            changes[f.name] = value[..., cols]
    return replace(obj, **changes)


def _put(full: np.ndarray, part: np.ndarray, cols: np.ndarray) -> np.ndarray:
    out = full.copy()
    out[..., cols] = part
    return out


#: The drivers an action can rewrite (`_rewrite_drivers`); the others stay as they were.
_ACTED_DRIVERS = ("wage_arrears_months", "si_months", "new_debt", "layoffs", "reduced_hours", "wage")


def _put_columns(drv: Drivers, part: Drivers, cols: np.ndarray) -> Drivers:
    """``drv`` with the columns ``cols`` of the acted drivers taken from ``part``."""
    return replace(
        drv, **{name: _put(getattr(drv, name), getattr(part, name), cols) for name in _ACTED_DRIVERS}
    )


def action_truth(
    plan: Plan,
    operating: np.ndarray,
    hazard_without: np.ndarray,
    hazard_with: np.ndarray,
    stoppages_without: np.ndarray,
    stoppages_with: np.ndarray,
    first_month: int,
) -> pd.DataFrame:
    """The truth's table of actions (`ACTION_TRUTH_COLUMNS`): each action as given, whether
    it applied, the months it acts in, whether its firm operated in the action's month, and
    that firm's expected (sum of the monthly hazard) and realized work stoppages in the
    months it acts in, without any action and with all of the world's actions."""
    t_count = operating.shape[0]
    lo, hi = _effect_months(plan.table["kind"], plan.start, t_count)
    labels = np.array(month_labels(np.arange(first_month, first_month + t_count)), dtype=object)
    per_month = {
        "expected_stoppages_without": hazard_without,
        "expected_stoppages_with": hazard_with,
        "stoppages_without": stoppages_without,
        "stoppages_with": stoppages_with,
    }
    sums: dict[str, list[float]] = {name: [] for name in per_month}
    inside: list[bool | None] = []
    for firm, start, first, last, applied in zip(plan.firm, plan.start, lo, hi, plan.applied, strict=True):
        inside.append(bool(operating[start, firm]) if applied and 0 <= start < t_count else None)
        for name, values in per_month.items():
            sums[name].append(float(values[first : last + 1, firm].sum()) if applied else np.nan)
    return pd.DataFrame({
        **{name: plan.table[name].to_numpy() for name in ("enterprise_id", "kind", "month")},
        "effective_from": np.where(plan.applied, labels[np.minimum(lo, t_count - 1)], None),
        "effective_to": np.where(plan.applied, labels[np.maximum(hi, 0)], None),
        "applied": plan.applied,
        "operating": pd.array(inside, dtype="boolean"),
        **sums,
    })[list(ACTION_TRUTH_COLUMNS)]  # fmt: skip


def summary(plan: Plan) -> dict[str, Any]:
    """What `World.params` records of a world's actions: counts and the effect table."""
    kinds = plan.table["kind"][plan.applied]
    return {
        "given": len(plan.table),
        "applied": int(plan.applied.sum()),
        "by_kind": {k: int((kinds == k).sum()) for k in ACTION_KINDS},
        "effects": {k: asdict(v) for k, v in ACTION_EFFECTS.items()},
    }
