"""The contract tables of a latent world, as a provider delivers them.

Enterprises with tax-code ids and Vietnamese names; indicator rows with reporting lags,
gaps, missing cells and revisions; incidents with dates, participants and causes consistent
with the drivers. The columns are those of the data contract (docs/contract.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.mechanics import Drivers, Hazard, Registry
from simulator.presets import KINDS, Preset
from vocab.months import month_labels, month_starts
from vocab.terms import CAUSES

ENTERPRISE_COLUMNS = (
    "enterprise_id", "name", "province", "district", "zone_id", "zone_type",
    "sector", "ownership", "founded", "closed",
)  # fmt: skip


#: The enterprises of the national preset: addressed by post-2025 commune (docs/contract.md).
COMMUNE_ENTERPRISE_COLUMNS = (*ENTERPRISE_COLUMNS[:4], "commune", *ENTERPRISE_COLUMNS[4:])


INDICATOR_COLUMNS = (
    "enterprise_id", "month", "headcount", "avg_wage_vnd", "wage_arrears_vnd",
    "wage_arrears_months", "insurance_debt_vnd", "insurance_debt_months", "layoffs",
    "reduced_hours_workers", "reported_at",
)  # fmt: skip


INCIDENT_COLUMNS = (
    "incident_id", "enterprise_id", "started", "ended", "kind", "participants",
    "cause", "reported_at",
)  # fmt: skip


TRUTH_COLUMNS = ("enterprise_id", "month", "hazard", "operating")


# Vietnamese words used in registered names, per VSIC 2-digit sector.
SECTOR_WORDS: dict[str, str] = {
    "01": "Nông nghiệp", "10": "Thực phẩm", "13": "Dệt", "14": "May", "15": "Giày",
    "16": "Gỗ", "17": "Bao bì Giấy", "20": "Hóa chất", "22": "Nhựa",
    "23": "Vật liệu Xây dựng", "25": "Cơ khí", "26": "Điện tử", "27": "Thiết bị Điện",
    "28": "Máy móc", "29": "Phụ tùng Ô tô", "31": "Nội thất", "32": "Đồ chơi",
    "35": "Điện lực", "41": "Xây dựng", "43": "Xây lắp", "46": "Thương mại",
    "47": "Bán lẻ", "49": "Vận tải", "56": "Dịch vụ Ăn uống", "68": "Bất động sản",
}  # fmt: skip


FIRST_NAMES = (
    "Đại An", "Cẩm Bình", "Hưng Thịnh", "Phú Thái", "Thành Công", "Minh Phát", "Hoàng Long",
    "An Phú", "Việt Tiến", "Tân Phát", "Hải Hà", "Đức Thành", "Phúc Lộc", "Kim Sơn",
    "Bảo Ngọc", "Trường Thịnh", "Nam Việt", "Quang Minh", "Hồng Hà", "Thiên Long",
    "Sao Vàng", "Đông Á", "Thái Bình Dương", "Lam Sơn", "Hòa Phát", "Vạn Xuân", "Bình Minh",
    "Tiến Đạt", "Thăng Long", "Hợp Nhất", "Đại Dương", "Tân Thành", "Gia Phát", "Anh Đức",
    "Hải Long", "Phương Đông", "Ngọc Khánh", "Thịnh Vượng", "Toàn Cầu", "Mai Linh",
)  # fmt: skip


SECOND_NAMES = (
    "",
    " Hải Dương",
    " Việt Nam",
    " Miền Bắc",
    " Sài Gòn",
    " Quốc tế",
    " Xanh",
    " 2",
    " Plus",
    " Group",
)


FOREIGN_NAMES = (
    "Shin Young", "Hansae", "Pou Sung", "Fu Yuan", "Yakjin", "Hanam", "Sumida", "Nam Yang",
    "Sky Dragon", "Quang Phong", "Vina Kangaroo", "Sung Woo", "Yazaki", "Brother", "Fantastic",
    "Dain Vina", "Mastina", "Star Light", "Chi Hung", "Hoa Sen", "Tae Kwang", "Chang Shin",
    "Kai Yang", "Mitsuba", "Ford", "Sumitomo", "Foxlink", "Luxshare", "Goertek", "Crystal",
)  # fmt: skip


def _day_strings(days: np.ndarray) -> pd.Series:
    """Integer epoch days (or -1 for missing) as 'YYYY-MM-DD' text with NaN for missing."""
    days = np.asarray(days, dtype=np.int64)
    valid = days >= 0
    if not valid.any():
        return pd.Series(np.full(days.shape, np.nan), dtype="str")
    lo, hi = int(days[valid].min()), int(days[valid].max())
    labels = np.datetime_as_string(np.arange(lo, hi + 1).astype("datetime64[D]"))
    codes = np.where(valid, days - lo, -1)
    return pd.Series(pd.Categorical.from_codes(codes, pd.Index(labels))).astype("str")


def take_text(labels: np.ndarray | list[str], codes: np.ndarray) -> pd.Series:
    """labels[codes] as a pandas str Series, fast for millions of rows."""
    cats = pd.Index(np.asarray(labels, dtype=object)).astype("str")
    return pd.Series(pd.Categorical.from_codes(np.asarray(codes), cats)).astype("str")


def enterprise_frame(reg: Registry, preset: Preset, drv: Drivers, rng: np.random.Generator) -> pd.DataFrame:
    """The enterprises table: tax-code ids, Vietnamese names, location, dates."""
    n = reg.prov.size
    ids = np.empty(n, dtype=object)
    for p_idx, spec in enumerate(preset.provinces):
        m = np.flatnonzero(reg.prov == p_idx)
        numbers = rng.choice(10**8, size=m.size, replace=False)
        ids[m] = [f"{spec.tax_prefix}{x:08d}" for x in numbers]
    own = reg.ownership
    u = rng.random(n)
    form = np.select(
        [own == "fdi", own == "state", u < 0.55, u < 0.88],
        [np.where(u < 0.9, "Công ty TNHH ", "Công ty CP "), np.where(u < 0.6, "Công ty TNHH MTV ", "Công ty CP "),
         "Công ty TNHH ", "Công ty CP "],
        "Doanh nghiệp tư nhân ",
    ).astype(object)  # fmt: skip
    word = np.array([SECTOR_WORDS.get(s, "Thương mại") for s in reg.sector], dtype=object)
    foreign = np.array(FOREIGN_NAMES, dtype=object)[rng.integers(0, len(FOREIGN_NAMES), n)] + " Việt Nam"
    local = (
        np.array(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), n)]
        + np.array(SECOND_NAMES, dtype=object)[rng.integers(0, len(SECOND_NAMES), n)]
    )
    name = form + word + " " + np.where(own == "fdi", foreign, local)
    hd = np.array([p.code == "HD" for p in preset.provinces])[reg.prov]
    for sector, label in (("14", "Công ty TNHH May Đại An"), ("15", "Công ty CP Giày Cẩm Bình")):
        hit = np.flatnonzero(hd & (reg.sector == sector) & (own != "fdi"))
        if hit.size:
            name[hit[0]] = label
    founded = np.where(rng.random(n) < 0.01, -1, reg.founded_day)
    district = reg.district.copy()
    district[rng.random(n) < 0.005] = None
    if reg.commune is not None:
        # Post-2025 addresses: province and commune, no district (it no longer exists, and
        # a pre-2025 district name under a merged province can be ambiguous).
        commune = reg.commune.copy()
        commune[commune == ""] = None
        commune[pd.isna(district)] = None  # the same ~0.5% of firms lack an address
        district[:] = None
    zone_id = reg.zone_id.copy()
    zone_id[zone_id == ""] = None
    frame = pd.DataFrame({
        "enterprise_id": pd.Series(ids, dtype="str"),
        "name": pd.Series(name, dtype="str"),
        "province": pd.Series(np.array([p.name for p in preset.provinces], dtype=object)[reg.prov], dtype="str"),
        "district": pd.Series(district, dtype="str"),
        "zone_id": pd.Series(zone_id, dtype="str"),
        "zone_type": pd.Series(reg.zone_type, dtype="str"),
        "sector": pd.Series(reg.sector, dtype="str"),
        "ownership": pd.Series(own, dtype="str"),
        "founded": _day_strings(founded),
        "closed": _day_strings(drv.closed_day),
    })  # fmt: skip
    if reg.commune is None:
        return frame[list(ENTERPRISE_COLUMNS)]
    frame["commune"] = pd.Series(commune, dtype="str")
    return frame[list(COMMUNE_ENTERPRISE_COLUMNS)]


def indicator_frame(
    reg: Registry, drv: Drivers, ids: pd.Series, first_month: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Monthly indicator rows as a provider delivers them: lags, gaps, missing cells, revisions."""
    t_count, n = drv.headcount.shape
    keep = drv.operating.T & (rng.random((n, t_count)) > 0.015)
    ent, t = np.nonzero(keep)
    rows = ent.size
    hc = drv.headcount[t, ent].astype(np.float64)
    wage = np.round(drv.wage[t, ent], -3)
    wa = drv.wage_arrears_months[t, ent].astype(np.float64)
    si = drv.si_months[t, ent].astype(np.float64)
    arrears_share = np.asarray(rng.uniform(0.5, 1.0, n))[ent]
    coverage = np.where(reg.ownership == "fdi", 0.95, np.where(reg.ownership == "state", 0.98, 0.55))[ent]
    values: dict[str, np.ndarray] = {
        "headcount": hc,
        "avg_wage_vnd": wage,
        "wage_arrears_vnd": np.round(wa * wage * hc * arrears_share, -3),
        "wage_arrears_months": wa,
        "insurance_debt_vnd": np.round(si * 0.32 * wage * np.round(hc * coverage), -3),
        "insurance_debt_months": si,
        "layoffs": drv.layoffs[t, ent].astype(np.float64),
        "reduced_hours_workers": drv.reduced_hours[t, ent].astype(np.float64),
    }
    first_days = month_starts(np.arange(first_month, first_month + t_count + 1)).astype(np.int64)
    month_end = first_days[t + 1] - 1
    lag = np.where(
        rng.random(rows) < 0.85, 15 + rng.poisson(5.0, rows), 25 + np.minimum(rng.exponential(20.0, rows), 95)
    )
    reported = month_end + lag.astype(np.int64)
    effective = reported.copy()
    empty = rng.random(rows) < 0.10
    reported[empty] = -1
    effective[empty] = month_end[empty] + 20
    # ~2% of rows are revised later; the first delivery held preliminary figures.
    revised = np.flatnonzero(rng.random(rows) < 0.02)
    rev_values = {k: v[revised].copy() for k, v in values.items()}
    rev_reported = effective[revised] + 10 + rng.poisson(25.0, revised.size)
    pos = values["wage_arrears_months"][revised] > 0
    values["wage_arrears_vnd"][revised[pos]] = np.round(values["wage_arrears_vnd"][revised[pos]] * 0.7, -3)
    values["wage_arrears_months"][revised[pos]] -= 1
    values["headcount"][revised] = np.round(
        values["headcount"][revised] * rng.normal(1.0, 0.02, revised.size)
    )
    values["avg_wage_vnd"][revised] = np.round(
        values["avg_wage_vnd"][revised] * rng.normal(1.0, 0.02, revised.size), -3
    )
    # Cells not reported (never headcount); arrears amount and months go missing together.
    for cols, p in ((("avg_wage_vnd",), 0.03), (("wage_arrears_vnd", "wage_arrears_months"), 0.03),
                    (("insurance_debt_vnd", "insurance_debt_months"), 0.03), (("layoffs",), 0.04),
                    (("reduced_hours_workers",), 0.05), (("wage_arrears_months",), 0.01)):  # fmt: skip
        miss = rng.random(rows) < p
        for col in cols:
            values[col][miss] = np.nan
    values["headcount"] = np.maximum(values["headcount"], 0)
    all_ent = np.concatenate([ent, ent[revised]])
    all_t = np.concatenate([t, t[revised]])
    all_rep = np.concatenate([reported, rev_reported])
    order = np.lexsort((np.concatenate([np.zeros(rows), np.ones(revised.size)]), all_t, all_ent))
    labels = month_labels(np.arange(first_month, first_month + t_count))
    frame = pd.DataFrame({
        "enterprise_id": take_text(ids.to_numpy(), all_ent[order]),
        "month": take_text(labels, all_t[order]),
        **{k: np.concatenate([v, rev_values[k]])[order] for k, v in values.items()},
        "reported_at": _day_strings(all_rep[order]),
    })  # fmt: skip
    frame["headcount"] = frame["headcount"].astype(np.int64)
    return frame[list(INDICATOR_COLUMNS)]


def incident_frame(
    reg: Registry,
    drv: Drivers,
    hz: Hazard,
    events: np.ndarray,
    ids: pd.Series,
    preset: Preset,
    first_month: int,
    rng: np.random.Generator,
    occurred: np.ndarray | None = None,
) -> pd.DataFrame:
    """Incidents with dates, participants and causes consistent with the drivers.

    ``occurred`` (K x T x N, a subset of ``events``): only these incidents are kept, each
    row as ``events`` draws it, id included (a world given officers' actions draws the
    incidents of the world without them, so that the others' rows do not move).
    """
    kind, t, ent = np.nonzero(events)
    m = kind.size
    t_count = events.shape[1]
    first_days = month_starts(np.arange(first_month, first_month + t_count + 1)).astype(np.int64)
    days_in_month = first_days[t + 1] - first_days[t]
    started = first_days[t] + (rng.random(m) * days_in_month).astype(np.int64)
    duration = rng.choice(6, size=m, p=[0.45, 0.3, 0.13, 0.07, 0.03, 0.02])
    ended = np.where(rng.random(m) < 0.08, -1, started + duration)
    hc = drv.headcount[t, ent].astype(np.float64)
    share_a = np.array([8.0, 5.0, 2.0, 1.0])[kind]
    share_b = np.array([2.0, 3.0, 5.0, 6.0])[kind]
    floor = np.array([10.0, 5.0, 3.0, 2.0])[kind]
    part = np.clip(np.round(hc * rng.beta(share_a, share_b)), np.minimum(floor, hc), hc)
    part = np.where(rng.random(m) < np.array([0.03, 0.08, 0.15, 0.25])[kind], np.nan, np.maximum(part, 1))
    weights = np.column_stack([
        1.2 + 1.5 * (hz.wage_gap_peers[t, ent] < -0.05) + 1.0 * hz.mw_soon[t] + 1.0 * drv.region_rise_soon[t, ent],
        0.05 + 5.0 * (drv.wage_arrears_months[t, ent] > 0),
        0.1 + 2.5 * hz.tet[t],
        0.1 + 1.5 * (drv.si_months[t, ent] > 0),
        0.1 + 3.0 * (hz.layoff_share[t, ent] > 0.02) + 1.0 * (hz.reduced_share[t, ent] > 0.1),
        np.full(m, 0.9),
        np.full(m, 0.3),
    ])  # fmt: skip
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    cause_idx = np.minimum((cum < rng.random(m)[:, None]).sum(axis=1), len(CAUSES) - 1)
    cause = np.array(CAUSES, dtype=object)[cause_idx]
    cause[rng.random(m) < 0.05] = None
    lag = np.minimum(1 + rng.geometric(0.12, m), 60)
    reported = np.where(rng.random(m) < 0.10, -1, started + lag)
    order = np.lexsort((ent, started))
    codes = np.array([p.code for p in preset.provinces], dtype=object)[reg.prov[ent[order]]]
    seq = np.arange(1, m + 1)
    frame = pd.DataFrame({
        "incident_id": pd.Series([f"INC-{c}-{s:06d}" for c, s in zip(codes, seq, strict=True)], dtype="str"),
        "enterprise_id": take_text(ids.to_numpy(), ent[order]),
        "started": _day_strings(started[order]),
        "ended": _day_strings(ended[order]),
        "kind": pd.Series(np.array(KINDS, dtype=object)[kind[order]], dtype="str"),
        "participants": part[order],
        "cause": pd.Series(cause[order], dtype="str"),
        "reported_at": _day_strings(reported[order]),
    })  # fmt: skip
    if occurred is not None:
        frame = frame[occurred[kind, t, ent][order]].reset_index(drop=True)
    return frame[list(INCIDENT_COLUMNS)]
