"""A seeded, calibrated synthetic world of enterprises, monthly indicators and incidents.

The world follows the data contract (``/work/shared/contract.md``) exactly, so that ingest,
features and models can run end to end without real data. Its mechanics and targets come
from ``/work/shared/domain.md`` §2: latent financial distress drives social-insurance
(SI) debt, then wage arrears, then recovery or closure; the 2022Q4-2023Q3 order slump
cuts hours in textiles, apparel and footwear; wages follow the regional minimum wage.
The monthly work-stoppage hazard is log-linear in these drivers plus Tết, minimum-wage
rises, a yearly macro factor and within-zone contagion, and its free coefficients are
calibrated in code (closed form and bisection on expected counts) per province.

Everything is vectorized across enterprises; only months are looped over.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from data import reference

ENTERPRISE_COLUMNS = (
    "enterprise_id", "name", "province", "district", "zone_id", "zone_type",
    "sector", "ownership", "founded", "closed",
)  # fmt: skip
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
OWNERSHIPS = ("fdi", "private", "state")
KINDS = ("work_stoppage", "slowdown", "gathering", "petition")
CAUSES = ("wages", "wage_arrears", "tet_bonus", "insurance", "layoffs", "conditions", "other")
TEXTILE_SECTORS = ("13", "14", "15")
SLUMP_START, SLUMP_END = "2022-10", "2023-09"
HD_WINDOW = ("2021-01", "2024-06")

# Vietnamese words used in registered names, per VSIC 2-digit sector.
SECTOR_WORDS: dict[str, str] = {
    "01": "Nông nghiệp", "10": "Thực phẩm", "13": "Dệt", "14": "May", "15": "Giày",
    "16": "Gỗ", "17": "Bao bì Giấy", "20": "Hóa chất", "22": "Nhựa",
    "23": "Vật liệu Xây dựng", "25": "Cơ khí", "26": "Điện tử", "27": "Thiết bị Điện",
    "28": "Máy móc", "29": "Phụ tùng Ô tô", "31": "Nội thất", "32": "Đồ chơi",
    "35": "Điện lực", "41": "Xây dựng", "43": "Xây lắp", "46": "Thương mại",
    "47": "Bán lẻ", "49": "Vận tải", "56": "Dịch vụ Ăn uống", "68": "Bất động sản",
}  # fmt: skip
SECTOR_MIX: dict[str, dict[str, float]] = {
    "fdi": {"14": 20, "26": 14, "27": 8, "25": 9, "22": 9, "15": 7, "13": 6, "16": 3,
            "31": 3, "29": 6, "32": 3, "28": 3, "10": 2, "20": 2, "46": 5},
    "private": {"46": 24, "47": 10, "41": 12, "43": 6, "49": 6, "56": 3, "68": 2, "01": 2,
                "10": 5, "14": 5, "13": 1.5, "15": 1, "16": 4, "17": 1, "22": 2.5, "23": 4,
                "25": 6, "31": 3, "27": 1, "26": 0.5, "32": 0.5},
    "state": {"35": 15, "41": 15, "49": 15, "46": 15, "10": 10, "01": 10, "23": 10, "25": 10},
}  # fmt: skip
# Log-hazard offset per sector (domain §1B: textile/apparel/footwear, wood, electronics).
SECTOR_HAZARD: dict[str, float] = {
    "13": 0.9, "14": 1.2, "15": 1.5, "16": 0.9, "26": 0.7, "22": 0.5, "31": 0.6,
    "32": 0.8, "27": 0.2, "25": 0.0, "29": 0.1, "28": 0.0, "17": 0.0, "20": -0.3,
    "10": -0.3, "23": -0.5,
}  # fmt: skip
NON_MANUFACTURING_HAZARD = -1.8
SLUMP_INTENSITY: dict[str, float] = {"13": 1.0, "14": 1.0, "15": 1.0, "16": 0.6, "26": 0.5, "31": 0.4}
# National strike counts per year (domain §1A), relative to 2019; 2024-26 assumed.
NATIONAL_YEAR_FACTOR: dict[int, float] = {
    2015: 2.0, 2016: 2.2, 2017: 2.7, 2018: 1.77, 2019: 1.0, 2020: 1.03, 2021: 0.88,
    2022: 1.19, 2023: 0.5, 2024: 0.6, 2025: 0.75, 2026: 0.85, 2027: 0.85, 2028: 0.85,
}  # fmt: skip
# Fixed driver coefficients of the log hazard (the calibrated ones live in params).
DRIVER_COEFS: dict[str, float] = {
    "state": -1.0, "industrial_zone": 0.5, "industrial_cluster": 0.3,
    "wage_arrears_months": 0.9, "insurance_debt_months": 0.08, "new_debt": 0.4,
    "layoff_share": 3.0, "reduced_hours_share": 1.2, "wage_gap_peers": -2.5,
    "wage_gap_minimum": -0.8, "minimum_wage_rise_soon": 0.35, "region_rise_soon": 0.6,
    "contagion_zone": 1.0, "contagion_district_sector": 0.6, "contagion_decay": 0.4,
}  # fmt: skip
OTHER_KIND_RATIO: dict[str, tuple[float, float]] = {
    # kind: (count relative to work stoppages, size elasticity offset)
    "slowdown": (1.0, -0.2), "gathering": (2.0, -0.5), "petition": (3.0, -0.8),
}  # fmt: skip
FIRST_NAMES = (
    "Đại An", "Cẩm Bình", "Hưng Thịnh", "Phú Thái", "Thành Công", "Minh Phát", "Hoàng Long",
    "An Phú", "Việt Tiến", "Tân Phát", "Hải Hà", "Đức Thành", "Phúc Lộc", "Kim Sơn",
    "Bảo Ngọc", "Trường Thịnh", "Nam Việt", "Quang Minh", "Hồng Hà", "Thiên Long",
    "Sao Vàng", "Đông Á", "Thái Bình Dương", "Lam Sơn", "Hòa Phát", "Vạn Xuân", "Bình Minh",
    "Tiến Đạt", "Thăng Long", "Hợp Nhất", "Đại Dương", "Tân Thành", "Gia Phát", "Anh Đức",
    "Hải Long", "Phương Đông", "Ngọc Khánh", "Thịnh Vượng", "Toàn Cầu", "Mai Linh",
)  # fmt: skip
SECOND_NAMES = ("", " Hải Dương", " Việt Nam", " Miền Bắc", " Sài Gòn", " Quốc tế", " Xanh", " 2", " Plus", " Group")
FOREIGN_NAMES = (
    "Shin Young", "Hansae", "Pou Sung", "Fu Yuan", "Yakjin", "Hanam", "Sumida", "Nam Yang",
    "Sky Dragon", "Quang Phong", "Vina Kangaroo", "Sung Woo", "Yazaki", "Brother", "Fantastic",
    "Dain Vina", "Mastina", "Star Light", "Chi Hung", "Hoa Sen", "Tae Kwang", "Chang Shin",
    "Kai Yang", "Mitsuba", "Ford", "Sumitomo", "Foxlink", "Luxshare", "Goertek", "Crystal",
)  # fmt: skip


@dataclass(frozen=True)
class ProvinceSpec:
    """One province of a preset: registry size, geography, zones and strike targets."""

    name: str
    code: str
    tax_prefix: str
    n_enterprises: int
    districts: tuple[tuple[str, float], ...]
    iz_named: tuple[tuple[str, str], ...]
    ccn_named: tuple[tuple[str, str], ...]
    n_iz: int
    n_ccn: int
    planned_iz: int
    planned_ccn: int
    target_stoppages: float
    target_window: tuple[str, str] | None
    mean_participants: float
    fdi_share: float = 0.035
    state_share: float = 0.007
    fdi_stoppage_share: float = 0.78
    year_override: Mapping[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Preset:
    """A named world: provinces and period."""

    name: str
    provinces: tuple[ProvinceSpec, ...]
    start: str
    end: str
    tet_share: float = 0.30
    size_scale: float = 1.0


@dataclass(frozen=True)
class World:
    """A simulated source (contract frames) plus the truth kept aside for evaluation."""

    enterprises: pd.DataFrame
    indicators: pd.DataFrame
    incidents: pd.DataFrame
    true_hazard: pd.DataFrame
    params: dict[str, Any]


HD_DISTRICTS = (
    ("Hải Dương", 0.22), ("Chí Linh", 0.08), ("Kinh Môn", 0.08), ("Bình Giang", 0.06),
    ("Cẩm Giàng", 0.10), ("Gia Lộc", 0.07), ("Kim Thành", 0.07), ("Nam Sách", 0.07),
    ("Ninh Giang", 0.06), ("Thanh Hà", 0.06), ("Thanh Miện", 0.06), ("Tứ Kỳ", 0.07),
)  # fmt: skip
HD_IZ = (
    ("Đại An", "Hải Dương"), ("Phú Thái", "Kim Thành"), ("Lai Vu", "Kim Thành"),
    ("Cộng Hòa", "Chí Linh"), ("Lai Cách", "Cẩm Giàng"), ("An Phát 1", "Kinh Môn"),
    ("An Phát công nghệ cao", "Hải Dương"), ("Cẩm Điền – Lương Điền", "Cẩm Giàng"),
    ("Phúc Điền", "Cẩm Giàng"), ("Tân Trường", "Cẩm Giàng"), ("Gia Lộc", "Gia Lộc"),
)  # fmt: skip
HD_CCN = (
    ("Ngũ Hùng – Thanh Miện", "Thanh Miện"), ("Hoàng Diệu", "Gia Lộc"),
    ("Tứ Cường", "Thanh Miện"), ("Tứ Cường – Chi Lăng Bắc", "Thanh Miện"),
    ("Quang Trung", "Tứ Kỳ"), ("Thất Hùng", "Kinh Môn"), ("Bình Giang 1", "Bình Giang"),
    ("Tiền Tiến – Telin Park", "Hải Dương"), ("Tây Việt Hòa", "Hải Dương"),
    ("Hồng Quang – Tân Trào", "Thanh Miện"), ("Thành Đạt", "Cẩm Giàng"),
    ("Hồng Lạc I", "Thanh Hà"), ("Hồng Lạc II", "Thanh Hà"), ("Hồng Lạc III", "Thanh Hà"),
)  # fmt: skip
# Hải Dương: H1 2019 had 9 stoppages, ~12x the 2021-25 pace (domain §1B, §2.1).
HD_YEARS = {2019: 4.0, 2020: 1.5}


def _hai_duong(n: int, target: float, n_iz: int = 11, n_ccn: int = 32) -> ProvinceSpec:
    return ProvinceSpec(
        name="Hải Dương", code="HD", tax_prefix="08", n_enterprises=n,
        districts=HD_DISTRICTS, iz_named=HD_IZ[:n_iz], ccn_named=HD_CCN[: min(n_ccn, 14)],
        n_iz=n_iz, n_ccn=n_ccn, planned_iz=24, planned_ccn=55,
        target_stoppages=target, target_window=HD_WINDOW, mean_participants=370.0,
        year_override=HD_YEARS,
    )  # fmt: skip


def _province(
    name: str, code: str, prefix: str, n: int, districts: tuple[str, ...], izs: tuple[str, ...],
    n_ccn: int, target: float, participants: float, fdi_share: float, fdi_stoppage: float,
) -> ProvinceSpec:
    weights = np.linspace(2.0, 1.0, len(districts))
    dist = tuple((d, float(w)) for d, w in zip(districts, weights, strict=True))
    iz = tuple((z, districts[i % min(4, len(districts))]) for i, z in enumerate(izs))
    return ProvinceSpec(
        name=name, code=code, tax_prefix=prefix, n_enterprises=n, districts=dist,
        iz_named=iz, ccn_named=(), n_iz=len(izs), n_ccn=n_ccn, planned_iz=len(izs) + 4,
        planned_ccn=n_ccn + 6, target_stoppages=target, target_window=None,
        mean_participants=participants, fdi_share=fdi_share, state_share=0.005,
        fdi_stoppage_share=fdi_stoppage,
    )  # fmt: skip


def _comparables(scale: float) -> tuple[ProvinceSpec, ...]:
    """Comparable provinces (domain §1B): the south strikes far more than the north."""
    s = scale
    return (
        _province("Bắc Ninh", "BN", "23", int(7000 * s), ("Từ Sơn", "Yên Phong", "Quế Võ", "Tiên Du", "Bắc Ninh", "Thuận Thành", "Gia Bình", "Lương Tài"),
                  ("VSIP Bắc Ninh", "Yên Phong", "Quế Võ", "Tiên Sơn", "Đại Đồng – Hoàn Sơn", "Thuận Thành II"), 10, 35 * s, 450, 0.08, 0.82),
        _province("Hưng Yên", "HY", "09", int(4500 * s), ("Mỹ Hào", "Văn Lâm", "Yên Mỹ", "Văn Giang", "Hưng Yên", "Khoái Châu", "Ân Thi", "Kim Động"),
                  ("Phố Nối A", "Thăng Long II", "Minh Đức", "Yên Mỹ II"), 8, 20 * s, 400, 0.06, 0.78),
        _province("Bình Dương", "BD", "37", int(9000 * s), ("Thuận An", "Dĩ An", "Tân Uyên", "Bến Cát", "Thủ Dầu Một", "Bàu Bàng", "Bắc Tân Uyên", "Phú Giáo"),
                  ("VSIP I", "VSIP II", "Mỹ Phước", "Sóng Thần", "Đồng An", "Việt Hương", "Tân Đông Hiệp B", "Nam Tân Uyên"), 6, 115 * s, 560, 0.09, 0.85),
        _province("Đồng Nai", "DN", "36", int(7500 * s), ("Biên Hòa", "Nhơn Trạch", "Long Thành", "Trảng Bom", "Vĩnh Cửu", "Thống Nhất", "Xuân Lộc", "Long Khánh"),
                  ("Amata", "Biên Hòa II", "Nhơn Trạch III", "Long Thành", "Hố Nai", "Tam Phước", "Loteco", "Nhơn Trạch II"), 6, 95 * s, 620, 0.09, 0.84),
        _province("Long An", "LA", "11", int(4500 * s), ("Đức Hòa", "Bến Lức", "Cần Giuộc", "Tân An", "Cần Đước", "Châu Thành", "Thủ Thừa"),
                  ("Tân Đức", "Đức Hòa III", "Xuyên Á", "Long Hậu", "Thuận Đạo", "Phúc Long"), 8, 75 * s, 470, 0.07, 0.80),
    )  # fmt: skip


PRESETS: Mapping[str, Preset] = {
    "hai-duong": Preset("hai-duong", (_hai_duong(17000, 7.0),), "2019-01", "2026-10"),
    "demo": Preset("demo", (_hai_duong(17000, 7.0), *_comparables(1.0)), "2019-01", "2026-10"),
    "tiny": Preset(
        "tiny",
        (
            _hai_duong(900, 10.0, n_iz=4, n_ccn=6),
            _province("Bình Dương", "BD", "37", 600, ("Thuận An", "Dĩ An", "Tân Uyên", "Bến Cát"),
                      ("VSIP I", "Mỹ Phước", "Sóng Thần"), 2, 45.0, 560, 0.12, 0.85),
        ),  # fmt: skip
        "2019-01",
        "2024-12",
    ),
}


def _month_index(label: str) -> int:
    year, month = label.split("-")
    return int(year) * 12 + int(month) - 1


def _month_starts(first: int, count: int) -> np.ndarray:
    months = np.arange(first, first + count)
    return (
        (months // 12 - 1970).astype("datetime64[Y]")
        + (months % 12).astype("timedelta64[M]")
    ).astype("datetime64[M]").astype("datetime64[D]")


def _day_strings(days: np.ndarray) -> pd.Series:
    """Integer epoch days (or -1 for missing) as 'YYYY-MM-DD' text with NaN for missing."""
    days = np.asarray(days, dtype=np.int64)
    valid = days >= 0
    if not valid.any():
        return pd.Series(np.full(days.shape, np.nan), dtype="str")
    lo, hi = int(days[valid].min()), int(days[valid].max())
    labels = np.datetime_as_string(np.arange(lo, hi + 1).astype("datetime64[D]"))
    codes = np.where(valid, days - lo, -1)
    return pd.Series(pd.Categorical.from_codes(codes, labels)).astype("str")


def _take_text(labels: np.ndarray | list[str], codes: np.ndarray) -> pd.Series:
    """labels[codes] as a pandas str Series, fast for millions of rows."""
    cats = pd.Index(np.asarray(labels, dtype=object)).astype("str")
    return pd.Series(pd.Categorical.from_codes(np.asarray(codes), cats)).astype("str")


def _choice(rng: np.random.Generator, mix: Mapping[str, float], size: int) -> np.ndarray:
    keys = np.array(list(mix), dtype=object)
    probs = np.array(list(mix.values()), dtype=np.float64)
    return keys[rng.choice(keys.size, size=size, p=probs / probs.sum())]


@dataclass
class _Registry:
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


def _build_registry(preset: Preset, rng: np.random.Generator, first_month: int, n_months: int) -> _Registry:
    """Sample enterprises per province: ownership, size, sector, location, founding."""
    parts: list[dict[str, Any]] = []
    zones: list[dict[str, Any]] = []
    start_day = int(_month_starts(first_month, 1)[0].astype(np.int64))
    end_day = int(_month_starts(first_month + n_months, 1)[0].astype(np.int64)) - 1
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
        ztype = np.where(u < p_iz, "industrial_zone", np.where(u < p_iz + p_ccn, "industrial_cluster", "outside")).astype(object)
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
        sector[swap] = _choice(rng, {k: v for k, v in SECTOR_MIX["fdi"].items() if k != "46"}, int(swap.sum()))
        manuf = np.isin(sector, list(SECTOR_HAZARD))
        # Size: heavy-tailed by ownership (domain §1L: FDI ~229, state ~512, private ~13).
        mean = np.select([is_fdi, is_state], [230.0, 500.0], 13.0) * preset.size_scale
        sigma = np.select([is_fdi, is_state], [1.35, 1.0], 1.15)
        mean = mean * np.where(~is_fdi & in_zone, 2.5, 1.0) * np.where(is_fdi & np.isin(sector, ("14", "15")), 1.6, 1.0)
        mean = mean * np.where(~is_fdi & ~is_state & ~in_zone, 0.82, 1.0)
        base = np.clip(rng.lognormal(np.log(mean) - sigma**2 / 2, sigma), 1.0, 30000.0)
        # Founding: most firms predate the window, ~22% are founded during it.
        new = rng.random(n) < 0.22
        age_days = np.minimum(rng.exponential(8.0 * 365.25, n), 30 * 365.25) + 30
        founded = np.where(new, rng.integers(start_day, end_day - 60, n), start_day - age_days).astype(np.int64)
        exposure = np.where(manuf, rng.beta(2.0, 2.0, n) * np.where(is_fdi | in_zone, 1.0, 0.4), 0.0)
        ratio = np.select([is_fdi, is_state], [1.95, 2.1], 1.65) * rng.lognormal(0.0, 0.14, n)
        ratio = ratio * np.where(np.isin(sector, ("14", "15")), 0.93, 1.0) * np.where(sector == "26", 1.08, 1.0)
        fragility = rng.normal(0.0, 0.35, n) - 0.25 * (np.log(base) - np.log(10.0)) - 0.15 * is_fdi
        parts.append({
            "prov": np.full(n, p_idx), "district": district, "zone_id": zone_id, "zone_type": ztype,
            "sector": sector, "ownership": own, "base_size": base, "growth": rng.normal(0.02, 0.05, n),
            "founded_day": founded, "exposure": exposure, "wage_ratio": ratio, "fragility": fragility,
        })  # fmt: skip
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return _Registry(zones=zones, **cols)


def _regional_minimum(reg: _Registry, preset: Preset, month_days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Region (T x N) and minimum wage (T x N) per enterprise-month, via unique districts."""
    prov_names = np.array([p.name for p in preset.provinces], dtype=object)[reg.prov]
    keys = pd.Series(prov_names + "|" + reg.district)
    codes, uniques = pd.factorize(keys)
    t = month_days.size
    region_u = np.empty((t, len(uniques)))
    wage_u = np.empty((t, len(uniques)))
    for k, key in enumerate(uniques):
        prov, dist = key.split("|")
        region_u[:, k] = reference.minimum_wage_region(np.full(t, prov, dtype=object), np.full(t, dist, dtype=object), month_days)
        wage_u[:, k] = reference.minimum_wage_vnd(region_u[:, k], month_days)
    return region_u[:, codes], wage_u[:, codes]


@dataclass
class _Drivers:
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


def _simulate_drivers(
    reg: _Registry, preset: Preset, rng: np.random.Generator, first_month: int, n_months: int
) -> _Drivers:
    """Distress -> SI debt -> wage arrears -> closure; headcount, hours, wages. Loops months."""
    n, t_count = reg.prov.size, n_months
    month_days = _month_starts(first_month, n_months + 4)
    region, min_wage = _regional_minimum(reg, preset, month_days)
    region_rise_soon = np.zeros((t_count, n), dtype=bool)
    for lead in (1, 2, 3):
        region_rise_soon |= region[lead : lead + t_count] < region[:t_count]
    min_wage = min_wage[:t_count]
    month_int = np.arange(first_month, first_month + n_months)
    labels = [f"{m // 12}-{m % 12 + 1:02d}" for m in month_int]
    south = np.isin(np.array([p.code for p in preset.provinces]), ("BD", "DN", "LA"))[reg.prov]
    slump_sector = np.array([SLUMP_INTENSITY.get(s, 0.0) for s in reg.sector])
    manuf = np.isin(reg.sector, list(SECTOR_HAZARD))
    founded_month = reg.founded_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
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
    thr = 2.0 + reg.fragility * -1.0  # higher fragility, lower threshold
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
        start_wa = ((si >= 1) & (z > thr + 0.5)) | (z > thr + 1.6)
        cont_wa = (wa > 0) & (z > thr + 0.1)
        pay_wa = (wa > 0) & (z < thr) & (rng.random(n) < 0.6)
        wa = np.where((wa == 0) & start_wa | cont_wa, wa + 1, np.where(pay_wa, 0, wa))
        si = np.where(exists, si, 0)
        wa = np.where(exists, wa, 0)
        # Headcount: targets follow growth, slump and founding ramp; layoffs, quits, hires.
        age = t - start_idx
        ramp = np.clip(0.4 + 0.6 * age / 12.0, 0.4, 1.0)
        target = reg.base_size * np.exp(reg.growth * t / 12.0) * (1.0 - 0.25 * slump * reg.exposure) * ramp
        p_lay = 0.002 + 0.03 * slump * reg.exposure + 0.03 * (wa > 0) + 0.01 * (z > 1.5) + 0.05 * covid * manuf
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
    return _Drivers(
        operating=out["operating"], headcount=out["headcount"], wage=out["wage"],
        wage_arrears_months=out["wage_arrears_months"], si_months=out["si_months"],
        layoffs=out["layoffs"], reduced_hours=out["reduced_hours"], new_debt=out["new_debt"],
        min_wage=min_wage, region_rise_soon=region_rise_soon, closed_day=closed,
    )  # fmt: skip


@dataclass
class _Hazard:
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


def _hazard_terms(
    reg: _Registry, drv: _Drivers, preset: Preset, rng: np.random.Generator, first_month: int
) -> _Hazard:
    """Fixed-coefficient part of the log hazard from the drivers (vectorized over T x N)."""
    t_count, n = drv.headcount.shape
    c = DRIVER_COEFS
    month_int = np.arange(first_month, first_month + t_count)
    month_days = _month_starts(first_month, t_count)
    next_tet = reference.months_to_next_tet(month_days)
    tet_days = month_days.astype(np.int64) + np.round(next_tet * reference.DAYS_PER_MONTH)
    tet_month = tet_days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
    tet = np.isin(tet_month - month_int, (0, 1))
    to_rise = reference.months_to_next_minimum_wage_rise(month_days)
    mw_soon = (to_rise > 0) & (to_rise <= 3.1)
    hc = np.maximum(drv.headcount, 1).astype(np.float64)
    log_size = np.log(hc) - np.log(100.0)
    # Wage gap to peers: same zone (or district outside zones) and sector.
    prov_names = np.array([p.code for p in preset.provinces], dtype=object)[reg.prov]
    peer_key = np.where(reg.zone_id != "", reg.zone_id, prov_names + "|" + reg.district) + "|" + reg.sector
    groups, n_groups = pd.factorize(pd.Series(peer_key))[0], None
    n_groups = int(groups.max()) + 1
    log_wage = np.log(np.maximum(drv.wage, 1.0))
    flat = (np.arange(t_count)[:, None] * n_groups + groups[None, :]).ravel()
    w = drv.operating.ravel().astype(np.float64)
    sums = np.bincount(flat, weights=log_wage.ravel() * w, minlength=t_count * n_groups)
    counts = np.bincount(flat, weights=w, minlength=t_count * n_groups)
    peer_mean = (sums / np.maximum(counts, 1.0))[flat].reshape(t_count, n)
    gap_peers = np.where(drv.operating, log_wage - peer_mean, 0.0)
    gap_min = np.log(np.maximum(drv.wage, 1.0) / drv.min_wage) - 0.55
    layoff_share = np.minimum(drv.layoffs / hc, 0.3)
    reduced_share = drv.reduced_hours / hc
    sector_coef = np.array([SECTOR_HAZARD.get(s, NON_MANUFACTURING_HAZARD) for s in reg.sector])
    zone_coef = np.array([c.get(z, 0.0) for z in reg.zone_type])
    static = sector_coef + zone_coef + c["state"] * (reg.ownership == "state")
    # Year-level macro factor: national series with seeded noise, province overrides.
    years = month_int // 12
    national_noise = {int(y): float(np.exp(rng.normal(0.0, 0.15))) for y in np.unique(years)}
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
    rest = (
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
        + macro[:, reg.prov]
    )
    participants = np.clip(0.8 * hc, np.minimum(10.0, hc), hc)
    return _Hazard(
        rest=rest, log_size=log_size, participants=participants, tet=tet, mw_soon=mw_soon,
        wage_gap_peers=gap_peers, layoff_share=layoff_share, reduced_share=reduced_share,
        year_factor=year_factor,
    )  # fmt: skip


def _window_rows(spec: ProvinceSpec, first_month: int, t_count: int) -> tuple[np.ndarray, float]:
    """Rows of the calibration window and the target expected count over them."""
    rows = np.arange(t_count)
    if spec.target_window is None:
        return rows, spec.target_stoppages
    lo, hi = (_month_index(m) - first_month for m in spec.target_window)
    if lo >= 0 and hi < t_count:
        return rows[lo : hi + 1], spec.target_stoppages
    return rows, spec.target_stoppages * t_count / (hi - lo + 1)


def _calibrate_province(
    log_size: np.ndarray, fdi: np.ndarray, tet: np.ndarray, rest: np.ndarray,
    participants: np.ndarray, target: float, fdi_share: float, tet_share: float,
    mean_participants: float,
) -> dict[str, float]:
    """Intercept, size elasticity, FDI and Tết coefficients matching the targets.

    Works on the operating enterprise-months of one province in its window (1-D arrays):
    bisection for the size elasticity (hazard-weighted mean participants), closed forms
    for the FDI and Tết shares of expected stoppages and for the intercept.
    """  # fmt: skip
    b_size, b_fdi, b_tet, b0 = 1.0, 1.0, 0.5, -10.0
    for _ in range(4):
        base = b_fdi * fdi + b_tet * tet + rest
        lo, hi = 0.0, 3.0
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


def _eta(reg: _Registry, hz: _Hazard, coefs: list[dict[str, float]]) -> np.ndarray:
    """Full log hazard without contagion (T x N)."""
    per = {k: np.array([c[k] for c in coefs])[reg.prov] for k in coefs[0]}
    return (
        per["intercept"][None, :]
        + per["log_size"][None, :] * hz.log_size
        + (per["fdi"] * (reg.ownership == "fdi"))[None, :]
        + per["tet_window"][None, :] * hz.tet[:, None]
        + hz.rest
    )


def _run_events(
    reg: _Registry, drv: _Drivers, hz: _Hazard, eta: np.ndarray, kind_scale: dict[str, float], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Month loop with self-exciting contagion; returns hazard (T x N) and events (K x T x N)."""
    t_count, n = eta.shape
    c = DRIVER_COEFS
    rng = np.random.default_rng([seed, 7])
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
        excite = c["contagion_zone"] * exc_zone * in_zone + c["contagion_district_sector"] * exc_ds
        lam = np.exp(eta[t]) * (1.0 + excite) * drv.operating[t]
        h = -np.expm1(-lam)
        hazard[t] = h
        u = rng.random((len(KINDS), n))
        events[0, t] = u[0] < h
        for k, kind in enumerate(KINDS[1:], start=1):
            ratio, elasticity = OTHER_KIND_RATIO[kind]
            lam_k = kind_scale[kind] * np.exp(eta[t] + elasticity * hz.log_size[t]) * (1.0 + 0.5 * excite)
            events[k, t] = u[k] < -np.expm1(-lam_k * drv.operating[t])
        history = np.roll(history, 1, axis=0)
        history[0] = events[0, t]
    return hazard, events
