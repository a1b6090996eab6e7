"""A seeded world: `simulate` draws it for a preset, `World` holds it.

The source follows the data contract (docs/contract.md) exactly, so that ingest, features
and models can run end to end without real data; the truth (true monthly hazard and the
parameters) is kept aside for evaluation. Same arguments, identical frames.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from simulator.actions import action_truth, apply_actions, normalize_actions, plan_actions, summary
from simulator.frames import enterprise_frame, incident_frame, indicator_frame, take_text
from simulator.geography import resolve
from simulator.mechanics import (
    build_registry,
    calibrate_province,
    hazard_terms,
    log_hazard,
    national_year_noise,
    run_events,
    simulate_drivers,
    window_rows,
)
from simulator.presets import DRIVER_COEFS, OTHER_KIND_RATIO, PRESETS, SECTOR_HAZARD, Preset
from vocab.months import label_month_number, month_labels, month_number, year_of_month

#: Random stream of the blocks of a world generated in blocks: block b of seed s draws from
#: [s, BLOCK_STREAM, crc32(b's code), k] where a one-piece world draws from [s, k].
BLOCK_STREAM = 9


@dataclass(frozen=True)
class World:
    """A simulated source (contract frames) plus the truth kept aside for evaluation."""

    enterprises: pd.DataFrame
    indicators: pd.DataFrame
    incidents: pd.DataFrame
    true_hazard: pd.DataFrame
    params: dict[str, Any]
    # Truth of a world given officers' actions (`simulate(..., actions=...)`), else None:
    # each action, whether it applied, and its firm's stoppages without and with actions
    # (`simulator.actions.ACTION_TRUTH_COLUMNS`). Never part of the source.
    actions: pd.DataFrame | None = None


def _operating_subset(arr: np.ndarray, rows: np.ndarray, cols: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return arr[np.ix_(rows, cols)][mask]


def simulate(
    preset: str = "hai-duong",
    *,
    seed: int = 0,
    start: str | None = None,
    end: str | None = None,
    actions: pd.DataFrame | None = None,
) -> World:
    """Simulate a calibrated world for a preset ('hai-duong', 'demo', 'tiny') and seed.

    'national' is too large for one World: it is generated in blocks (`simulate_blocks`,
    `simulator.write.write_blocks`); asking for it here raises ValueError.

    'demo-robust' is a robustness variant, not a calibrated world: a hazard of steps and
    interactions, stronger contagion and shifted base rates (see `PRESETS`).

    ``start``/``end`` ('YYYY-MM', inclusive) override the preset period. Same arguments
    give identical frames.

    ``actions``: officers' actions on the world's enterprises, a table of enterprise_id,
    kind (`simulator.actions.ACTION_KINDS`) and date or month; each acts from the month
    after its own by `simulator.actions.ACTION_EFFECTS`. The world is then the world
    without actions except where an action reaches: every month up to the first action's
    is identical, and so is every firm that is neither acted on nor reached by contagion
    from a firm whose stoppages changed. The actions are truth, never source:
    `World.actions`, a ``hazard_without_actions`` column in `World.true_hazard`, and
    ``params["actions"]``. An action on an unknown enterprise raises ValueError. Without
    ``actions`` the world is exactly the one before actions existed.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    spec = PRESETS[preset]
    if spec.blockwise:
        raise ValueError(f"preset {preset!r} is generated in blocks: use simulate_blocks or write_blocks")
    given = None if actions is None else normalize_actions(actions)
    return _simulate(spec, (seed,), seed, start, end, actions=given)


def _period(spec: Preset, start: str | None, end: str | None) -> tuple[str, str, int, int]:
    start, end = start or spec.start, end or spec.end
    first = label_month_number(start)
    t_count = label_month_number(end) - first + 1
    if t_count < 1:
        raise ValueError(f"end {end} is before start {start}")
    return start, end, first, t_count


def block_key(seed: int, code: str) -> tuple[int, ...]:
    """The random key of one block of a world generated in blocks (see `BLOCK_STREAM`)."""
    return (seed, BLOCK_STREAM, zlib.crc32(code.encode("utf-8")))


def simulate_blocks(
    preset: str | Preset = "national",
    *,
    seed: int = 0,
    start: str | None = None,
    end: str | None = None,
    actions: pd.DataFrame | None = None,
) -> Iterator[World]:
    """Yield the world of a preset one province block at a time, in the preset's order.

    Blocks are independent given the national terms: contagion, wage peers and the
    calibration act within a province, and the national macro noise per year is drawn
    once from the seed and shared; the calendar is common by construction. Each block
    draws from its own key (`block_key`), so a block does not depend on the others and
    the same arguments give identical blocks. The other incident kinds are scaled to the
    stoppages within each block. ``preset`` is a name or a `Preset` (tests pass a small
    `national_preset(scale)`); any preset works, not only blockwise ones, but a block
    world is not the preset's one-piece world (other seeds, per-block scaling).

    ``actions`` as for `simulate`: each block applies those on its own enterprises (its
    `World.actions` lists every action, applied or not); after the last block, an action
    that matched no block's enterprise raises ValueError.
    """
    spec = PRESETS[preset] if isinstance(preset, str) else preset
    start, end, first, t_count = _period(spec, start, end)
    noise = national_year_noise(
        np.random.default_rng([seed, 3]), year_of_month(np.arange(first, first + t_count))
    )
    given = None if actions is None else normalize_actions(actions)
    matched = np.zeros(0 if given is None else len(given), dtype=bool)
    for province in spec.provinces:
        block = replace(spec, provinces=(resolve(province),), blockwise=False)
        world = _simulate(block, block_key(seed, province.code), seed, start, end, noise, given, strict=False)
        world.params.update(
            block=province.code, legacy=province.legacy or province.name, macro_region=province.macro_region
        )
        if given is not None:
            matched |= given["enterprise_id"].isin(world.enterprises["enterprise_id"]).to_numpy()
        yield world
        del world  # before the next block is drawn: one block in memory at a time
    if given is not None and not matched.all():
        unknown = given.loc[~matched, "enterprise_id"].iloc[0]
        raise ValueError(f"an action names enterprise {unknown!r}, which is in no block of this world")


def _simulate(
    spec: Preset,
    key: tuple[int, ...],
    seed: int,
    start: str | None,
    end: str | None,
    national_noise: Mapping[int, float] | None = None,
    actions: pd.DataFrame | None = None,
    strict: bool = True,
) -> World:
    """One world of `spec`, drawing from ``[*key, k]`` (k = 1..7 per step).

    ``actions``: normalized (`simulator.actions.normalize_actions`), applied after the
    world without them is drawn (its calibration stands). ``strict``: an action on an
    enterprise that is not in the world raises ValueError (else it is left out).
    """
    start, end, first, t_count = _period(spec, start, end)
    reg = build_registry(spec, np.random.default_rng([*key, 1]), first, t_count)
    drv = simulate_drivers(reg, spec, np.random.default_rng([*key, 2]), first, t_count)
    hz = hazard_terms(reg, drv, spec, np.random.default_rng([*key, 3]), first, national_noise)
    fdi = reg.ownership == "fdi"
    coefs: list[dict[str, float]] = []
    windows: list[tuple[np.ndarray, np.ndarray, float]] = []
    for p_idx, ps in enumerate(spec.provinces):
        rows, target = window_rows(ps, first, t_count)
        cols = np.flatnonzero(reg.prov == p_idx)
        mask = drv.operating[np.ix_(rows, cols)]
        if hz.eligible is not None:  # calibrate on the firm-months that can have a stoppage
            mask = mask & hz.eligible[np.ix_(rows, cols)]
        rest = hz.rest if hz.stoppage_size is None else hz.rest + hz.stoppage_size
        windows.append((rows, cols, target))
        coefs.append(
            calibrate_province(
                _operating_subset(hz.log_size, rows, cols, mask),
                np.broadcast_to(fdi[cols][None, :], mask.shape)[mask],
                np.broadcast_to(hz.tet[rows][:, None], mask.shape)[mask],
                _operating_subset(rest, rows, cols, mask),
                _operating_subset(hz.participants, rows, cols, mask),
                target,
                ps.fdi_stoppage_share,
                spec.tet_share,
                ps.mean_participants,
                # Around a peak of stoppage size the elasticity only moves the peak: either way.
                (0.0, 3.0) if ps.stoppage_size_spread is None else (-3.0, 3.0),
            )  # fmt: skip
        )
    eta = log_hazard(reg, hz, coefs)
    base = np.exp(eta) * drv.operating
    stoppage_base = base if hz.stoppage_size is None else np.exp(eta + hz.stoppage_size) * drv.operating
    if hz.eligible is not None:
        stoppage_base = stoppage_base * hz.eligible
    kind_scale = {
        kind: ratio * float(stoppage_base.sum()) / float((base * np.exp(elasticity * hz.log_size)).sum())
        for kind, (ratio, elasticity) in OTHER_KIND_RATIO.items()
    }
    for _ in range(spec.contagion_rounds):  # undo contagion's inflation of the expected counts
        hazard, events = run_events(reg, drv, hz, eta, kind_scale, key, spec.contagion_scale)
        gaps = [float(np.log(target / hazard[np.ix_(rows, cols)].sum())) for rows, cols, target in windows]
        if max(abs(g) for g in gaps) < spec.contagion_tolerance:
            break  # this hazard is already the final one
        for coef, gap in zip(coefs, gaps, strict=True):
            coef["intercept"] += 0.8 * gap
        eta = log_hazard(reg, hz, coefs)
    else:
        hazard, events = run_events(reg, drv, hz, eta, kind_scale, key, spec.contagion_scale)

    enterprises = enterprise_frame(reg, spec, drv, np.random.default_rng([*key, 4]))
    ids = enterprises["enterprise_id"]
    # Officers' actions: the world without them stands (calibration, draws); the acted
    # firms' drivers are rewritten and the events drawn again from the same numbers.
    drawn, kept = events, None  # the frames draw every incident of the world without actions
    acted_table: pd.DataFrame | None = None
    hazard_without = None
    if actions is not None:
        plan = plan_actions(actions, ids, first, t_count)
        if strict and (plan.firm < 0).any():
            unknown = plan.table.loc[plan.firm < 0, "enterprise_id"].iloc[0]
            raise ValueError(f"an action names enterprise {unknown!r}, which is not in this world")
        hazard_without, kept = hazard, events
        if plan.applied.any():
            acted = apply_actions(reg, drv, hz, spec, plan)
            drv, hz = acted.drivers, acted.hazard
            hazard, kept = run_events(
                reg, drv, hz, eta + acted.eta_shift, kind_scale, key, spec.contagion_scale
            )
            if (kept & ~drawn).any():
                raise RuntimeError("an action added an incident: its effects must only lower hazards")
        acted_table = action_truth(plan, drv.operating, hazard_without, hazard, drawn[0], kept[0], first)
    indicators = indicator_frame(reg, drv, ids, first, np.random.default_rng([*key, 5]))
    incidents = incident_frame(
        reg, drv, hz, drawn, ids, spec, first, np.random.default_rng([*key, 6]), occurred=kept
    )
    founded_month = month_number(reg.founded_day.astype("datetime64[D]"))
    exists = np.arange(first, first + t_count)[None, :] >= founded_month[:, None]
    ent, t = np.nonzero(exists)
    labels = month_labels(np.arange(first, first + t_count))
    true_hazard = pd.DataFrame({
        "enterprise_id": take_text(ids.to_numpy(), ent),
        "month": take_text(labels, t),
        "hazard": hazard[t, ent],
        "operating": drv.operating[t, ent],
    })  # fmt: skip
    if hazard_without is not None:
        true_hazard["hazard_without_actions"] = hazard_without[t, ent]
    params: dict[str, Any] = {
        "preset": spec.name,
        "seed": seed,
        "start": start,
        "end": end,
        "provinces": {p.code: p.name for p in spec.provinces},
        "targets": {
            p.code: {
                "stoppages": p.target_stoppages,
                "window": list(p.target_window or (start, end)),
                "fdi_share": p.fdi_stoppage_share,
                "mean_participants": p.mean_participants,
            }
            for p in spec.provinces
        },  # fmt: skip
        "tet_share_target": spec.tet_share,
        "hazard_shape": spec.hazard_shape,
        "contagion_scale": spec.contagion_scale,
        "coefficients": {p.code: c for p, c in zip(spec.provinces, coefs, strict=True)},
        "driver_coefficients": dict(DRIVER_COEFS),
        "sector_coefficients": dict(SECTOR_HAZARD),
        "other_kind_scale": kind_scale,
        "year_factor": {k: {str(y): f for y, f in v.items()} for k, v in hz.year_factor.items()},
        "zones": reg.zones,
        "planned_zones": {
            p.code: {"industrial_zone": p.planned_iz, "industrial_cluster": p.planned_ccn}
            for p in spec.provinces
        },
    }
    if actions is not None:
        params["actions"] = summary(plan)
    return World(enterprises, indicators, incidents, true_hazard, params, acted_table)
