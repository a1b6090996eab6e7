"""The latent world: registry, monthly drivers, hazard, its calibration and the draws.

Latent financial distress drives social-insurance (SI) debt, then wage arrears, then
recovery or closure; the 2022Q4-2023Q3 order slump cuts hours in textiles, apparel and
footwear; wages follow the regional minimum wage. The monthly work-stoppage hazard is
log-linear in these drivers plus Tết, minimum-wage rises, a yearly macro factor and
within-zone contagion (steps and interactions in the robustness variant), and its free
coefficients are calibrated in code (closed form and bisection on expected counts) per
province, to the targets of docs/calibration.md.

Everything is vectorized across enterprises; only months are looped over. Months are
`vocab.months` numbers (months since 1970-01), days are days since 1970-01-01.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from data import reference
from simulator.presets import (
    DRIVER_COEFS,
    KINDS,
    NATIONAL_YEAR_FACTOR,
    NON_MANUFACTURING_HAZARD,
    OTHER_KIND_RATIO,
    PARTICIPATION_SHARE,
    SECTOR_HAZARD,
    SECTOR_MIX,
    SLUMP_END,
    SLUMP_INTENSITY,
    SLUMP_START,
    TEXTILE_SECTORS,
    THRESHOLD_COEFS,
    Preset,
    ProvinceSpec,
)
from vocab.months import (
    CALENDAR_DAYS_PER_MONTH,
    label_month_number,
    month_labels,
    month_number,
    month_starts,
    year_of_month,
)
from vocab.terms import OWNERSHIPS


def _choice(rng: np.random.Generator, mix: Mapping[str, float], size: int) -> np.ndarray:
    keys = np.array(list(mix), dtype=object)
    probs = np.array(list(mix.values()), dtype=np.float64)
    return keys[rng.choice(keys.size, size=size, p=probs / probs.sum())]


@dataclass
class Registry:
    """Static enterprise attributes (internal, numpy)."""

    prov: np.ndarray  # province index
    district: np.ndarray  # object
    zone_id: np.ndarray  # object, "" outside
    zone_type: np.ndarray  # object
    sector: np.ndarray  # object
    ownership: np.ndarray  # object
    base_size: np.ndarray
    growth: np.ndarray
    founded_day: np.ndarray  # epoch days
    exposure: np.ndarray  # export-order exposure 0..1
    wage_ratio: np.ndarray
    fragility: np.ndarray
    zones: list[dict[str, Any]]
    commune: np.ndarray | None = None  # object, post-2025 commune (national preset only)


def build_registry(preset: Preset, rng: np.random.Generator, first_month: int, n_months: int) -> Registry:
    """Sample enterprises per province: ownership, size, sector, location, founding."""
    parts: list[dict[str, Any]] = []
    zones: list[dict[str, Any]] = []
    bounds = month_starts(np.array([first_month, first_month + n_months])).astype(np.int64)
    with_communes = any(spec.communes for spec in preset.provinces)
    start_day, end_day = int(bounds[0]), int(bounds[1]) - 1
    for p_idx, spec in enumerate(preset.provinces):
        n = spec.n_enterprises
        own = np.where(
            (u := rng.random(n)) < spec.fdi_share, "fdi",
            np.where(u < spec.fdi_share + spec.state_share, "state", "private"),
        ).astype(object)  # fmt: skip
        is_fdi, is_state = own == "fdi", own == "state"
        sector = np.empty(n, dtype=object)
        for o in OWNERSHIPS:
            m = own == o
            sector[m] = _choice(rng, SECTOR_MIX[o], int(m.sum()))
        # Zones: operating ones hold firms, planned ones are only listed.
        zone_rows: list[tuple[str, str, str, str]] = []
        for kind, named, n_op, n_plan, tag in (
            ("industrial_zone", spec.iz_named, spec.n_iz, spec.planned_iz, "KCN"),
            ("industrial_cluster", spec.ccn_named, spec.n_ccn, spec.planned_ccn, "CCN"),
        ):
            for k in range(max(n_op, n_plan)):
                if k < len(named):
                    zname, zdist = named[k]
                else:
                    zdist = spec.districts[k % len(spec.districts)][0]
                    zname = f"{zdist} {k + 1 - len(named)}"
                label = ("Khu công nghiệp " if tag == "KCN" else "Cụm công nghiệp ") + zname
                zid = f"{spec.code}-{tag}-{k + 1:02d}"
                status = "operating" if k < n_op else "planned"
                zones.append({"zone_id": zid, "name": label, "zone_type": kind, "province": spec.name,
                              "district": zdist, "status": status})  # fmt: skip
                if status == "operating":
                    zone_rows.append((zid, kind, zdist, tag))
        u = rng.random(n)
        p_iz = np.select([is_fdi, is_state], [0.72, 0.05], 0.06)
        p_ccn = np.select([is_fdi, is_state], [0.14, 0.05], 0.10)
        ztype = np.where(
            u < p_iz, "industrial_zone", np.where(u < p_iz + p_ccn, "industrial_cluster", "outside")
        ).astype(object)
        zone_id = np.full(n, "", dtype=object)
        district = _choice(rng, dict(spec.districts), n)
        for kind in ("industrial_zone", "industrial_cluster"):
            cand = [z for z in zone_rows if z[1] == kind]
            m = ztype == kind
            if not cand or not m.any():
                ztype[m] = "outside"
                continue
            w = rng.lognormal(0.0, 0.6, len(cand))
            w[: min(2, len(cand))] *= 2.5  # the big named zones (Đại An, Phú Thái, ...)
            pick = rng.choice(len(cand), size=int(m.sum()), p=w / w.sum())
            pick[: len(cand)] = np.arange(min(len(cand), int(m.sum())))  # every zone operates
            zone_id[m] = np.array([z[0] for z in cand], dtype=object)[pick]
            district[m] = np.array([z[2] for z in cand], dtype=object)[pick]
        in_zone = ztype != "outside"
        manuf = np.isin(sector, list(SECTOR_HAZARD))
        swap = in_zone & ~manuf & (rng.random(n) < 0.8)
        sector[swap] = _choice(
            rng, {k: v for k, v in SECTOR_MIX["fdi"].items() if k != "46"}, int(swap.sum())
        )
        manuf = np.isin(sector, list(SECTOR_HAZARD))
        # Size: heavy-tailed by ownership (mean workers: FDI ~229, state ~512, private ~13).
        mean = np.select([is_fdi, is_state], [230.0, 500.0], 13.0) * preset.size_scale
        if spec.size_scale != 1.0:
            mean = mean * spec.size_scale
        sigma = np.select([is_fdi, is_state], [1.35, 1.0], 1.15)
        mean = (
            mean
            * np.where(~is_fdi & in_zone, 1.7, 1.0)
            * np.where(is_fdi & np.isin(sector, ("14", "15")), 1.6, 1.0)
        )
        mean = mean * np.where(~is_fdi & ~is_state & ~in_zone, 0.82, 1.0)
        base = np.clip(rng.lognormal(np.log(mean) - sigma**2 / 2, sigma), 1.0, 30000.0)
        # Founding: most firms predate the window, ~22% are founded during it.
        new = rng.random(n) < 0.22
        age_days = np.minimum(rng.exponential(8.0 * 365.25, n), 30 * 365.25) + 30
        founded = np.where(new, rng.integers(start_day, end_day - 60, n), start_day - age_days).astype(
            np.int64
        )
        exposure = np.where(manuf, rng.beta(2.0, 2.0, n) * np.where(is_fdi | in_zone, 1.0, 0.4), 0.0)
        ratio = np.select([is_fdi, is_state], [1.95, 2.1], 1.65) * rng.lognormal(0.0, 0.14, n)
        ratio = (
            ratio * np.where(np.isin(sector, ("14", "15")), 0.93, 1.0) * np.where(sector == "26", 1.08, 1.0)
        )
        fragility = rng.normal(0.0, 0.35, n) - 0.08 * (np.log(base) - np.log(10.0))
        parts.append({
            "prov": np.full(n, p_idx), "district": district, "zone_id": zone_id, "zone_type": ztype,
            "sector": sector, "ownership": own, "base_size": base, "growth": rng.normal(0.0, 0.05, n),
            "founded_day": founded, "exposure": exposure, "wage_ratio": ratio, "fragility": fragility,
        })  # fmt: skip
        if with_communes:
            parts[-1]["commune"] = _communes(spec, district, rng)
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return Registry(zones=zones, **cols)


def _communes(spec: ProvinceSpec, district: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A post-2025 commune of each firm's district, uniformly ("" for a spec without any)."""
    out = np.full(district.size, "", dtype=object)
    if not spec.communes:
        return out
    by_district = dict(spec.communes)
    for d in np.unique(district):
        m = district == d
        options = np.array(by_district[d], dtype=object)
        out[m] = options[rng.integers(0, options.size, int(m.sum()))]
    return out


def _regional_minimum_by_commune(
    reg: Registry, preset: Preset, month_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Region and minimum wage (T x N) where firms have a post-2025 commune: one reference
    lookup over the distinct (province, district, commune) places and months; a place
    without reference data takes its spec's assumed `wage_region`."""
    names = np.array([p.legacy or p.name for p in preset.provinces], dtype=object)
    fallback = np.array([np.nan if p.wage_region is None else p.wage_region for p in preset.provinces])
    assert reg.commune is not None
    codes, uniques = pd.factorize(pd.Series(reg.prov.astype(str) + "|" + reg.district + "|" + reg.commune))
    t = month_days.size
    places = [key.split("|") for key in uniques]
    prov_idx = np.array([int(p[0]) for p in places])
    region_u = reference.minimum_wage_region(
        np.repeat(names[prov_idx], t),
        np.repeat(np.array([p[1] for p in places], dtype=object), t),
        np.tile(month_days, len(places)),
        np.repeat(np.array([p[2] or None for p in places], dtype=object), t),
    ).reshape(len(places), t)
    region_u = np.where(np.isnan(region_u), fallback[prov_idx][:, None], region_u)
    if np.isnan(region_u).any():
        raise ValueError("no minimum-wage region for some places and no assumed wage_region")
    wage_u = reference.minimum_wage_vnd(region_u.ravel(), np.tile(month_days, len(places))).reshape(
        region_u.shape
    )
    return region_u.T[:, codes], wage_u.T[:, codes]


def _regional_minimum(reg: Registry, preset: Preset, month_days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Region (T x N) and minimum wage (T x N) per enterprise-month, via unique districts."""
    if reg.commune is not None:
        return _regional_minimum_by_commune(reg, preset, month_days)
    prov_names = np.array([p.name for p in preset.provinces], dtype=object)[reg.prov]
    keys = pd.Series(prov_names + "|" + reg.district)
    codes, uniques = pd.factorize(keys)
    t = month_days.size
    region_u = np.empty((t, len(uniques)))
    wage_u = np.empty((t, len(uniques)))
    for k, key in enumerate(uniques):
        prov, dist = key.split("|")
        region_u[:, k] = reference.minimum_wage_region(
            np.full(t, prov, dtype=object), np.full(t, dist, dtype=object), month_days
        )
        wage_u[:, k] = reference.minimum_wage_vnd(region_u[:, k], month_days)
    return region_u[:, codes], wage_u[:, codes]


@dataclass
class Drivers:
    """Monthly driver matrices (T x N), the truth behind the indicators."""

    operating: np.ndarray
    headcount: np.ndarray
    wage: np.ndarray
    wage_arrears_months: np.ndarray
    si_months: np.ndarray
    layoffs: np.ndarray
    reduced_hours: np.ndarray
    new_debt: np.ndarray
    min_wage: np.ndarray
    region_rise_soon: np.ndarray
    closed_day: np.ndarray  # per firm, -1 if open


def simulate_drivers(
    reg: Registry, preset: Preset, rng: np.random.Generator, first_month: int, n_months: int
) -> Drivers:
    """Distress -> SI debt -> wage arrears -> closure; headcount, hours, wages. Loops months."""
    n, t_count = reg.prov.size, n_months
    month_days = month_starts(np.arange(first_month, first_month + n_months + 4))
    region, min_wage = _regional_minimum(reg, preset, month_days)
    region_rise_soon = np.zeros((t_count, n), dtype=bool)
    for lead in (1, 2, 3):
        region_rise_soon |= region[lead : lead + t_count] < region[:t_count]
    min_wage = min_wage[:t_count]
    month_int = np.arange(first_month, first_month + n_months)
    labels = month_labels(month_int)
    south = (
        np.isin(np.array([p.code for p in preset.provinces]), ("BD", "DN", "LA"))
        | np.array([p.macro_region == "south" for p in preset.provinces])
    )[reg.prov]
    slump_sector = np.array([SLUMP_INTENSITY.get(s, 0.0) for s in reg.sector])
    manuf = np.isin(reg.sector, list(SECTOR_HAZARD))
    founded_month = month_number(reg.founded_day.astype("datetime64[D]"))
    start_idx = founded_month - first_month  # month index of founding (may be negative)

    out = {
        name: np.zeros((t_count, n), dtype=dtype)
        for name, dtype in (
            ("operating", bool), ("headcount", np.int32), ("wage", np.float64),
            ("wage_arrears_months", np.int16), ("si_months", np.int16), ("layoffs", np.int32),
            ("reduced_hours", np.int32), ("new_debt", bool),
        )
    }  # fmt: skip
    z = rng.normal(0.0, 1.0, n)
    hc = np.maximum(1, np.round(reg.base_size * np.where(start_idx > 0, 0.4, 1.0))).astype(np.int64)
    wage = reg.wage_ratio * min_wage[0]
    si = np.zeros(n, dtype=np.int64)
    wa = np.zeros(n, dtype=np.int64)
    closed = np.full(n, -1, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    thr = 2.45 - reg.fragility  # fragile (small) firms fall into debt first
    base_close = np.where(reg.ownership == "fdi", 0.0005, 0.0011)
    for t in range(t_count):
        label = labels[t]
        slump = slump_sector * (SLUMP_START <= label <= SLUMP_END) * (1.0 if label >= "2022-12" else 0.6)
        covid = 0.08 * ("2020-04" <= label <= "2020-06") + 0.3 * south * ("2021-07" <= label <= "2021-09")
        exists = (start_idx <= t) & alive
        shock = 0.9 * slump * reg.exposure + 0.6 * covid
        z = 0.9 * z + 0.2 * shock + 0.436 * rng.normal(0.0, 1.0, n)
        # SI debt accrues first; wage arrears follow, mostly when debt already exists.
        above = z > thr
        settle = (z < thr - 0.7) & (rng.random(n) < 0.35)
        prev_si = si
        si = np.where(above, si + 1, np.where(settle, 0, si))
        start_wa = ((si >= 2) & (z > thr + 0.2)) | (z > thr + 1.6)
        cont_wa = (wa > 0) & (z > thr - 0.2)
        pay_wa = (wa > 0) & (z < thr) & (rng.random(n) < 0.6)
        wa = np.where((wa == 0) & start_wa | cont_wa, wa + 1, np.where(pay_wa, 0, wa))
        si = np.where(exists, si, 0)
        wa = np.where(exists, wa, 0)
        # Headcount: targets follow growth, slump and founding ramp; layoffs, quits, hires.
        age = t - start_idx
        ramp = np.clip(0.4 + 0.6 * age / 12.0, 0.4, 1.0)
        target = reg.base_size * np.exp(reg.growth * t / 12.0) * (1.0 - 0.25 * slump * reg.exposure) * ramp
        p_lay = (
            0.002 + 0.03 * slump * reg.exposure + 0.03 * (wa > 0) + 0.01 * (z > 1.5) + 0.05 * covid * manuf
        )
        p_lay = p_lay + 0.04 * (hc > 1.1 * target)
        layoffs = rng.binomial(hc, np.clip(p_lay, 0, 0.5))
        quits = rng.binomial(hc - layoffs, 0.015)
        remaining = hc - layoffs - quits
        hires = rng.binomial(np.maximum(np.round(target) - remaining, 0).astype(np.int64), 0.45)
        hc = np.maximum(remaining + hires, 1)
        p_rh = 0.002 * manuf + 0.45 * slump * reg.exposure + covid * manuf * 0.5 + 0.15 * (z > thr)
        reduced = rng.binomial(hc, np.clip(p_rh, 0.0, 0.95))
        # Wages: staggered catch-up to the firm's ratio over the regional minimum.
        catch_up = rng.random(n) < 0.3
        wage = wage * 1.003
        wage = np.where(catch_up, np.maximum(wage, reg.wage_ratio * min_wage[t]), wage)
        wage = np.maximum(wage, 1.05 * min_wage[t])
        paid = wage * (1.0 - 0.4 * reduced / hc)
        out["operating"][t] = exists
        out["headcount"][t] = hc
        out["wage"][t] = paid
        out["wage_arrears_months"][t] = wa
        out["si_months"][t] = si
        out["layoffs"][t] = layoffs
        out["reduced_hours"][t] = reduced
        out["new_debt"][t] = si > prev_si
        # Closure next month: baseline churn, or owners absconding after months of arrears.
        p_close = base_close + 0.08 * (wa >= 2) + 0.05 * (wa >= 4)
        close = exists & (rng.random(n) < p_close) & (t + 1 < t_count)
        if close.any():
            nxt = int(month_days[t + 1].astype(np.int64))
            closed[close] = nxt + rng.integers(0, 28, int(close.sum()))
            alive &= ~close
    return Drivers(
        operating=out["operating"], headcount=out["headcount"], wage=out["wage"],
        wage_arrears_months=out["wage_arrears_months"], si_months=out["si_months"],
        layoffs=out["layoffs"], reduced_hours=out["reduced_hours"], new_debt=out["new_debt"],
        min_wage=min_wage, region_rise_soon=region_rise_soon, closed_day=closed,
    )  # fmt: skip


@dataclass
class Hazard:
    """Log-hazard pieces (T x N) and per-month flags used by calibration and causes."""

    rest: np.ndarray  # all fixed-coefficient terms incl. the macro factor
    log_size: np.ndarray
    participants: np.ndarray  # expected participants if a stoppage starts
    tet: np.ndarray  # (T,) bool: month of Tết or the month before
    mw_soon: np.ndarray  # (T,) bool: a minimum-wage rise within 3 months
    wage_gap_peers: np.ndarray
    layoff_share: np.ndarray
    reduced_share: np.ndarray
    year_factor: dict[str, dict[int, float]]
    # Work stoppages only, None where no province sets them: (T x N) bool, the firm has
    # enough workers for a stoppage (`stoppage_min_workers`); (T x N) log-hazard term of
    # the firm's size around the article's typical struck firm (`stoppage_size_spread`).
    eligible: np.ndarray | None = None
    stoppage_size: np.ndarray | None = None


def national_year_noise(rng: np.random.Generator, years: np.ndarray) -> dict[int, float]:
    """The national macro factor's seeded noise per year (shared by every province)."""
    return {int(y): float(np.exp(rng.normal(0.0, 0.15))) for y in np.unique(years)}


def hazard_terms(
    reg: Registry,
    drv: Drivers,
    preset: Preset,
    rng: np.random.Generator,
    first_month: int,
    national_noise: Mapping[int, float] | None = None,
) -> Hazard:
    """Fixed-coefficient part of the log hazard from the drivers (vectorized over T x N).

    ``national_noise`` (per year) is drawn from ``rng`` unless given: a world generated in
    blocks draws it once and passes it to every block.
    """
    t_count = drv.headcount.shape[0]
    c = DRIVER_COEFS
    month_int = np.arange(first_month, first_month + t_count)
    month_days = month_starts(month_int)
    tet = tet_months(month_days, first_month)
    to_rise = reference.months_to_next_minimum_wage_rise(month_days)
    mw_soon = (to_rise > 0) & (to_rise <= 3.1)
    hc = np.maximum(drv.headcount, 1).astype(np.float64)
    log_size = np.log(hc) - np.log(100.0)
    log_wage = np.log(np.maximum(drv.wage, 1.0))
    peer_mean = peer_log_wage(reg, drv, preset)
    gap_peers = np.where(drv.operating, log_wage - peer_mean, 0.0)
    gap_min = np.log(np.maximum(drv.wage, 1.0) / drv.min_wage) - 0.55
    layoff_share = np.minimum(drv.layoffs / hc, 0.3)
    reduced_share = drv.reduced_hours / hc
    sector_coef = np.array([SECTOR_HAZARD.get(s, NON_MANUFACTURING_HAZARD) for s in reg.sector])
    zone_coef = np.array([c.get(z, 0.0) for z in reg.zone_type])
    static = sector_coef + zone_coef + c["state"] * (reg.ownership == "state")
    # Year-level macro factor: national series with seeded noise, province overrides.
    years = year_of_month(month_int)
    if national_noise is None:
        national_noise = national_year_noise(rng, years)
    year_factor: dict[str, dict[int, float]] = {}
    macro = np.empty((t_count, len(preset.provinces)))
    for p_idx, spec in enumerate(preset.provinces):
        factors = {
            int(y): NATIONAL_YEAR_FACTOR.get(int(y), 0.85) * national_noise[int(y)]
            * spec.year_override.get(int(y), 1.0) * float(np.exp(rng.normal(0.0, 0.1)))
            for y in np.unique(years)
        }  # fmt: skip
        year_factor[spec.code] = factors
        macro[:, p_idx] = np.log([factors[int(y)] for y in years])
    if preset.hazard_shape == "threshold":
        rest = static[None, :] + macro[:, reg.prov] + _threshold_terms(reg, drv, gap_peers, gap_min, mw_soon)
    else:
        rest = _log_linear_terms(
            static, macro[:, reg.prov], drv, layoff_share, reduced_share, gap_peers, gap_min, mw_soon
        )
    participants = np.clip(0.8 * hc, np.minimum(10.0, hc), hc)
    eligible, stoppage_size = _stoppage_shape(reg, preset, drv.headcount, log_size)
    return Hazard(
        rest=rest, log_size=log_size, participants=participants, tet=tet, mw_soon=mw_soon,
        wage_gap_peers=gap_peers, layoff_share=layoff_share, reduced_share=reduced_share,
        year_factor=year_factor, eligible=eligible, stoppage_size=stoppage_size,
    )  # fmt: skip


def _stoppage_shape(
    reg: Registry, preset: Preset, headcount: np.ndarray, log_size: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Which firm-months can have a work stoppage, and the stoppage hazard's size term.

    A stoppage is collective: a firm needs `stoppage_min_workers` on its payroll. Around
    the firm size whose workforce share (`PARTICIPATION_SHARE`) gives the province's
    `mean_participants`, the log hazard falls as -((log size - log that size) / spread)^2 / 2,
    so that the struck firms' sizes, hence a few stoppages' mean size, stay near the
    sourced means (docs/calibration.md); the calibrated size elasticity moves the peak.
    Both are None when no province of the preset sets them (the calibrated worlds before).
    """
    specs = preset.provinces
    eligible = stoppage_size = None
    if any(spec.stoppage_min_workers > 0 for spec in specs):
        floor = np.array([spec.stoppage_min_workers for spec in specs])[reg.prov]
        eligible = headcount >= floor[None, :]
    if any(spec.stoppage_size_spread is not None for spec in specs):
        spread = np.array([spec.stoppage_size_spread or np.inf for spec in specs])[reg.prov]
        typical = np.array([spec.mean_participants / PARTICIPATION_SHARE for spec in specs])[reg.prov]
        stoppage_size = -0.5 * ((log_size - np.log(typical / 100.0)[None, :]) / spread[None, :]) ** 2
    return eligible, stoppage_size


def peer_log_wage(reg: Registry, drv: Drivers, preset: Preset) -> np.ndarray:
    """Mean log wage (T x N) of each firm's operating peers: same zone (or district outside
    zones) and sector, the firm included."""
    t_count, n = drv.wage.shape
    prov_names = np.array([p.code for p in preset.provinces], dtype=object)[reg.prov]
    peer_key = np.where(reg.zone_id != "", reg.zone_id, prov_names + "|" + reg.district) + "|" + reg.sector
    groups = pd.factorize(pd.Series(peer_key))[0]
    n_groups = int(groups.max()) + 1
    log_wage = np.log(np.maximum(drv.wage, 1.0))
    flat = (np.arange(t_count)[:, None] * n_groups + groups[None, :]).ravel()
    w = drv.operating.ravel().astype(np.float64)
    sums = np.bincount(flat, weights=log_wage.ravel() * w, minlength=t_count * n_groups)
    counts = np.bincount(flat, weights=w, minlength=t_count * n_groups)
    return (sums / np.maximum(counts, 1.0))[flat].reshape(t_count, n)


def driver_terms(
    reg: Registry, drv: Drivers, preset: Preset, peer_mean: np.ndarray, mw_soon: np.ndarray
) -> dict[str, np.ndarray]:
    """The drivers' part of the log hazard (T x N; no sector, zone or year terms) with the
    wage gap and the shares the incident causes read, for drivers of some firms set apart
    (`simulator.actions`): the same formulas as `hazard_terms`, against ``peer_mean``."""
    hc = np.maximum(drv.headcount, 1).astype(np.float64)
    gap_peers = np.where(drv.operating, np.log(np.maximum(drv.wage, 1.0)) - peer_mean, 0.0)
    gap_min = np.log(np.maximum(drv.wage, 1.0) / drv.min_wage) - 0.55
    layoff_share = np.minimum(drv.layoffs / hc, 0.3)
    reduced_share = drv.reduced_hours / hc
    if preset.hazard_shape == "threshold":
        terms = _threshold_terms(reg, drv, gap_peers, gap_min, mw_soon)
    else:
        zero = np.zeros(hc.shape[1])
        terms = _log_linear_terms(
            zero, np.zeros(hc.shape), drv, layoff_share, reduced_share, gap_peers, gap_min, mw_soon
        )
    return {
        "terms": terms,
        "wage_gap_peers": gap_peers,
        "layoff_share": layoff_share,
        "reduced_share": reduced_share,
    }


def _log_linear_terms(
    static: np.ndarray,
    macro: np.ndarray,
    drv: Drivers,
    layoff_share: np.ndarray,
    reduced_share: np.ndarray,
    gap_peers: np.ndarray,
    gap_min: np.ndarray,
    mw_soon: np.ndarray,
) -> np.ndarray:
    """The calibrated world's driver terms: log-linear in capped drivers (T x N)."""
    c = DRIVER_COEFS
    return (
        static[None, :]
        + c["wage_arrears_months"] * np.minimum(drv.wage_arrears_months, 3)
        + c["insurance_debt_months"] * np.minimum(drv.si_months, 6)
        + c["new_debt"] * drv.new_debt
        + c["layoff_share"] * layoff_share
        + c["reduced_hours_share"] * reduced_share
        + c["wage_gap_peers"] * np.clip(gap_peers, -0.5, 0.5)
        + c["wage_gap_minimum"] * np.clip(gap_min, -0.5, 1.0)
        + c["minimum_wage_rise_soon"] * mw_soon[:, None]
        + c["region_rise_soon"] * drv.region_rise_soon
        + macro
    )


def _threshold_terms(
    reg: Registry, drv: Drivers, gap_peers: np.ndarray, gap_min: np.ndarray, mw_soon: np.ndarray
) -> np.ndarray:
    """The robustness variant's driver terms: steps and interactions (T x N), see `THRESHOLD_COEFS`."""
    c = THRESHOLD_COEFS
    hc = np.maximum(drv.headcount, 1).astype(np.float64)
    arrears, si = drv.wage_arrears_months, drv.si_months
    laying_off = drv.layoffs / hc >= 0.03
    cutting_hours = drv.reduced_hours / hc >= 0.10
    fdi = (reg.ownership == "fdi")[None, :]
    textile = np.isin(reg.sector, TEXTILE_SECTORS)[None, :]
    return (
        c["wage_arrears_1m"] * (arrears >= 1)
        + c["wage_arrears_2m"] * (arrears >= 2)
        + c["insurance_6m"] * (si >= 6)
        + c["insurance_3m_with_layoffs"] * ((si >= 3) & laying_off)
        + c["layoffs_with_cut_hours"] * (laying_off & cutting_hours)
        + c["new_debt_fdi"] * (drv.new_debt * fdi)
        + c["textile_cut_hours"] * (drv.reduced_hours / hc) * textile
        + c["below_peers"] * (gap_peers < -0.15)
        + c["near_minimum"] * (gap_min < -0.35)
        + c["rise_soon_fdi"] * (mw_soon[:, None] & fdi)
    )


def window_rows(spec: ProvinceSpec, first_month: int, t_count: int) -> tuple[np.ndarray, float]:
    """Rows of the calibration window and the target expected count over them."""
    rows = np.arange(t_count)
    if spec.target_window is None:
        return rows, spec.target_stoppages
    lo, hi = (label_month_number(m) - first_month for m in spec.target_window)
    if lo >= 0 and hi < t_count:
        return rows[lo : hi + 1], spec.target_stoppages
    return rows, spec.target_stoppages * t_count / (hi - lo + 1)


def calibrate_province(
    log_size: np.ndarray,
    fdi: np.ndarray,
    tet: np.ndarray,
    rest: np.ndarray,
    participants: np.ndarray,
    target: float,
    fdi_share: float,
    tet_share: float,
    mean_participants: float,
    size_bounds: tuple[float, float] = (0.0, 3.0),
) -> dict[str, float]:
    """Intercept, size elasticity, FDI and Tết coefficients matching the targets.

    Works on the operating enterprise-months of one province in its window (1-D arrays):
    bisection for the size elasticity (hazard-weighted mean participants) within
    ``size_bounds``, closed forms for the FDI and Tết shares of expected stoppages and for
    the intercept.
    """
    b_size, b_fdi, b_tet = 1.0, 1.0, 0.5
    for _ in range(4):
        base = b_fdi * fdi + b_tet * tet + rest
        lo, hi = size_bounds
        for _ in range(24):
            mid = 0.5 * (lo + hi)
            w = np.exp(mid * log_size + base - base.max())
            mean = float((w * participants).sum() / w.sum())
            lo, hi = (mid, hi) if mean < mean_participants else (lo, mid)
        b_size = 0.5 * (lo + hi)
        lam = np.exp(b_size * log_size + base - base.max())
        a_fdi, a_non = float(lam[fdi].sum()), float(lam[~fdi].sum())
        if a_fdi > 0 and a_non > 0:
            b_fdi += float(np.log(fdi_share / (1 - fdi_share) * a_non / a_fdi))
        lam = np.exp(b_size * log_size + b_fdi * fdi + b_tet * tet + rest - base.max())
        a_tet, a_off = float(lam[tet].sum()), float(lam[~tet].sum())
        if a_tet > 0 and a_off > 0:
            b_tet += float(np.log(tet_share / (1 - tet_share) * a_off / a_tet))
    eta = b_size * log_size + b_fdi * fdi + b_tet * tet + rest
    b0 = float(np.log(target) - np.log(np.exp(eta).sum()))
    for _ in range(3):  # hazard = 1 - exp(-lambda) saturates slightly
        b0 += float(np.log(target / (-np.expm1(-np.exp(b0 + eta))).sum()))
    return {"intercept": b0, "log_size": b_size, "fdi": b_fdi, "tet_window": b_tet}


def log_hazard(reg: Registry, hz: Hazard, coefs: list[dict[str, float]]) -> np.ndarray:
    """Full log hazard without contagion (T x N)."""
    per = {k: np.array([c[k] for c in coefs])[reg.prov] for k in coefs[0]}
    return (
        per["intercept"][None, :]
        + per["log_size"][None, :] * hz.log_size
        + (per["fdi"] * (reg.ownership == "fdi"))[None, :]
        + per["tet_window"][None, :] * hz.tet[:, None]
        + hz.rest
    )


def run_events(
    reg: Registry,
    drv: Drivers,
    hz: Hazard,
    eta: np.ndarray,
    kind_scale: dict[str, float],
    seed: int | Sequence[int],
    contagion_scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Month loop with self-exciting contagion; returns hazard (T x N) and events (K x T x N).

    ``seed`` is the world's seed, or its key (seed, stream, block) for a block.
    """
    t_count, n = eta.shape
    c = DRIVER_COEFS
    rng = np.random.default_rng([*(seed if isinstance(seed, Sequence) else (seed,)), 7])
    zone_codes = pd.factorize(pd.Series(reg.zone_id))[0]
    in_zone = reg.zone_id != ""
    ds_codes = pd.factorize(pd.Series(reg.prov.astype(str) + "|" + reg.district + "|" + reg.sector))[0]
    n_zone, n_ds = int(zone_codes.max()) + 1, int(ds_codes.max()) + 1
    decay = c["contagion_decay"] ** np.arange(3)
    history = np.zeros((3, n))  # stoppages in t-1, t-2, t-3
    hazard = np.zeros((t_count, n))
    events = np.zeros((len(KINDS), t_count, n), dtype=bool)
    for t in range(t_count):
        weighted = decay @ history
        own = weighted
        exc_zone = np.bincount(zone_codes, weights=weighted, minlength=n_zone)[zone_codes] - own
        exc_ds = np.bincount(ds_codes, weights=weighted, minlength=n_ds)[ds_codes] - own
        excite = contagion_scale * (
            c["contagion_zone"] * exc_zone * in_zone + c["contagion_district_sector"] * exc_ds
        )
        stop_eta = eta[t] if hz.stoppage_size is None else eta[t] + hz.stoppage_size[t]
        lam = np.exp(stop_eta) * (1.0 + excite) * drv.operating[t]
        if hz.eligible is not None:  # too few workers for a stoppage (other kinds stay possible)
            lam = lam * hz.eligible[t]
        h = -np.expm1(-lam)
        hazard[t] = h
        u = rng.random((len(KINDS), n))
        events[0, t] = u[0] < h
        for k, kind in enumerate(KINDS[1:], start=1):
            elasticity = OTHER_KIND_RATIO[kind][1]
            lam_k = kind_scale[kind] * np.exp(eta[t] + elasticity * hz.log_size[t]) * (1.0 + 0.5 * excite)
            events[k, t] = u[k] < -np.expm1(-lam_k * drv.operating[t])
        history = np.roll(history, 1, axis=0)
        history[0] = events[0, t]
    return hazard, events


def tet_months(month_days: np.ndarray, first_month: int) -> np.ndarray:
    """True for the month containing Tết and the month before it."""
    next_tet = reference.months_to_next_tet(month_days)
    tet_days = month_days.astype(np.int64) + np.round(next_tet * CALENDAR_DAYS_PER_MONTH)
    tet_month = month_number(tet_days.astype("datetime64[D]"))
    return np.isin(tet_month - np.arange(first_month, first_month + month_days.size), (0, 1))
