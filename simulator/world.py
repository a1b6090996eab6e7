"""A seeded, calibrated synthetic world of enterprises, monthly indicators and incidents.

The world follows the data contract (``/work/shared/contract.md``) exactly, so that ingest,
features and models can run end to end without real data. Its mechanics and targets come
from ``/work/shared/domain.md`` §2: latent financial distress drives social-insurance
(SI) debt, then wage arrears, then recovery or closure; the 2022Q4-2023Q3 order slump
cuts hours in textiles, apparel and footwear; wages follow the regional minimum wage.
The monthly work-stoppage hazard is log-linear in these drivers plus Tết, minimum-wage
rises, a yearly macro factor and within-zone contagion, and its free coefficients are
calibrated in code (closed form and bisection on expected counts) per province.

The preset 'demo-robust' is a robustness variant, not a calibrated world: the same drivers
enter the hazard through steps and interactions (`THRESHOLD_COEFS`), contagion is stronger
and the provinces' base rates are shifted. It exists to check models on a hazard shape they
were not designed on; nothing may be tuned on it.

Everything is vectorized across enterprises; only months are looped over.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from data import reference
from vocab.months import CALENDAR_DAYS_PER_MONTH
from vocab.terms import CAUSES, INCIDENT_KINDS, OWNERSHIPS, WORK_STOPPAGE

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
KINDS = INCIDENT_KINDS
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
    "wage_arrears_months": 1.3, "insurance_debt_months": 0.2, "new_debt": 0.4,
    "layoff_share": 3.0, "reduced_hours_share": 1.2, "wage_gap_peers": -2.5,
    "wage_gap_minimum": -0.8, "minimum_wage_rise_soon": 0.35, "region_rise_soon": 0.6,
    "contagion_zone": 1.0, "contagion_district_sector": 0.6, "contagion_decay": 0.4,
}  # fmt: skip
OTHER_KIND_RATIO: dict[str, tuple[float, float]] = {
    # kind: (count relative to work stoppages, size elasticity offset)
    "slowdown": (1.0, -0.2), "gathering": (2.0, -0.5), "petition": (3.0, -0.8),
}  # fmt: skip
# Robustness variant (`Preset.hazard_shape == "threshold"`), not calibrated to any source:
# the same drivers enter the log hazard through steps and interactions instead of the
# log-linear terms above, so that a model tuned on the calibrated world can be checked on
# a world whose shape it has never seen. Risk still never falls with more months of debt.
THRESHOLD_COEFS: dict[str, float] = {
    "wage_arrears_1m": 0.5, "wage_arrears_2m": 1.8, "insurance_6m": 0.7,
    "insurance_3m_with_layoffs": 1.4, "layoffs_with_cut_hours": 1.0, "new_debt_fdi": 0.8,
    "textile_cut_hours": 2.0, "below_peers": 1.2, "near_minimum": 0.7, "rise_soon_fdi": 0.6,
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
    # Robustness variants only (see `THRESHOLD_COEFS`): the shape of the hazard's driver
    # terms and a multiplier of contagion strength. The default is the calibrated world.
    hazard_shape: Literal["log-linear", "threshold"] = "log-linear"
    contagion_scale: float = 1.0


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
    name: str,
    code: str,
    prefix: str,
    n: int,
    districts: tuple[str, ...],
    izs: tuple[str, ...],
    n_ccn: int,
    target: float,
    participants: float,
    fdi_share: float,
    fdi_stoppage: float,
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
                  ("VSIP I", "VSIP II", "Mỹ Phước", "Sóng Thần", "Đồng An", "Việt Hương", "Tân Đông Hiệp B", "Nam Tân Uyên"), 6, 120 * s, 560, 0.09, 0.85),
        _province("Đồng Nai", "DN", "36", int(7500 * s), ("Biên Hòa", "Nhơn Trạch", "Long Thành", "Trảng Bom", "Vĩnh Cửu", "Thống Nhất", "Xuân Lộc", "Long Khánh"),
                  ("Amata", "Biên Hòa II", "Nhơn Trạch III", "Long Thành", "Hố Nai", "Tam Phước", "Loteco", "Nhơn Trạch II"), 6, 100 * s, 620, 0.09, 0.84),
        _province("Long An", "LA", "11", int(4500 * s), ("Đức Hòa", "Bến Lức", "Cần Giuộc", "Tân An", "Cần Đước", "Châu Thành", "Thủ Thừa"),
                  ("Tân Đức", "Đức Hòa III", "Xuyên Á", "Long Hậu", "Thuận Đạo", "Phúc Long"), 8, 80 * s, 470, 0.07, 0.80),
    )  # fmt: skip


PRESETS: Mapping[str, Preset] = {
    "hai-duong": Preset("hai-duong", (_hai_duong(17000, 7.0),), "2019-01", "2026-10"),
    "demo": Preset("demo", (_hai_duong(17000, 7.0), *_comparables(1.0)), "2019-01", "2026-10"),
    # Robustness variant (not calibrated to any source): the demo's provinces with base rates
    # shifted north (fewer southern, more northern stoppages), a hazard of steps and
    # interactions (`THRESHOLD_COEFS`) and contagion 1.8 times as strong. It stands in for a
    # world whose hazard the models were not designed on; never tune on it.
    "demo-robust": Preset(
        "demo-robust",
        tuple(
            replace(spec, target_stoppages=spec.target_stoppages * factor)
            for spec, factor in zip(
                (_hai_duong(17000, 7.0), *_comparables(1.0)), (1.5, 1.8, 1.6, 0.6, 0.7, 0.8), strict=True
            )
        ),
        "2019-01",
        "2026-10",
        hazard_shape="threshold",
        contagion_scale=1.8,
    ),
    "tiny": Preset(
        "tiny",
        (
            _hai_duong(900, 10.0, n_iz=4, n_ccn=6),
            _province(
                "Bình Dương",
                "BD",
                "37",
                600,
                ("Thuận An", "Dĩ An", "Tân Uyên", "Bến Cát"),
                ("VSIP I", "Mỹ Phước", "Sóng Thần"),
                2,
                45.0,
                560,
                0.12,
                0.85,
            ),
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
        ((months // 12 - 1970).astype("datetime64[Y]") + (months % 12).astype("timedelta64[M]"))
        .astype("datetime64[M]")
        .astype("datetime64[D]")
    )


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
        # Size: heavy-tailed by ownership (domain §1L: FDI ~229, state ~512, private ~13).
        mean = np.select([is_fdi, is_state], [230.0, 500.0], 13.0) * preset.size_scale
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
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return _Registry(zones=zones, **cols)


def _regional_minimum(
    reg: _Registry, preset: Preset, month_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Region (T x N) and minimum wage (T x N) per enterprise-month, via unique districts."""
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
    founded_month = (
        reg.founded_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
    )
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
    tet = _tet_flags(month_days, first_month)
    to_rise = reference.months_to_next_minimum_wage_rise(month_days)
    mw_soon = (to_rise > 0) & (to_rise <= 3.1)
    hc = np.maximum(drv.headcount, 1).astype(np.float64)
    log_size = np.log(hc) - np.log(100.0)
    # Wage gap to peers: same zone (or district outside zones) and sector.
    prov_names = np.array([p.code for p in preset.provinces], dtype=object)[reg.prov]
    peer_key = np.where(reg.zone_id != "", reg.zone_id, prov_names + "|" + reg.district) + "|" + reg.sector
    groups = pd.factorize(pd.Series(peer_key))[0]
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
    if preset.hazard_shape == "threshold":
        rest = static[None, :] + macro[:, reg.prov] + _threshold_terms(reg, drv, gap_peers, gap_min, mw_soon)
    else:
        rest = _log_linear_terms(
            static, macro[:, reg.prov], drv, layoff_share, reduced_share, gap_peers, gap_min, mw_soon
        )
    participants = np.clip(0.8 * hc, np.minimum(10.0, hc), hc)
    return _Hazard(
        rest=rest, log_size=log_size, participants=participants, tet=tet, mw_soon=mw_soon,
        wage_gap_peers=gap_peers, layoff_share=layoff_share, reduced_share=reduced_share,
        year_factor=year_factor,
    )  # fmt: skip


def _log_linear_terms(
    static: np.ndarray,
    macro: np.ndarray,
    drv: _Drivers,
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
    reg: _Registry, drv: _Drivers, gap_peers: np.ndarray, gap_min: np.ndarray, mw_soon: np.ndarray
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
    log_size: np.ndarray,
    fdi: np.ndarray,
    tet: np.ndarray,
    rest: np.ndarray,
    participants: np.ndarray,
    target: float,
    fdi_share: float,
    tet_share: float,
    mean_participants: float,
) -> dict[str, float]:
    """Intercept, size elasticity, FDI and Tết coefficients matching the targets.

    Works on the operating enterprise-months of one province in its window (1-D arrays):
    bisection for the size elasticity (hazard-weighted mean participants), closed forms
    for the FDI and Tết shares of expected stoppages and for the intercept.
    """
    b_size, b_fdi, b_tet = 1.0, 1.0, 0.5
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
    reg: _Registry,
    drv: _Drivers,
    hz: _Hazard,
    eta: np.ndarray,
    kind_scale: dict[str, float],
    seed: int,
    contagion_scale: float = 1.0,
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
        excite = contagion_scale * (
            c["contagion_zone"] * exc_zone * in_zone + c["contagion_district_sector"] * exc_ds
        )
        lam = np.exp(eta[t]) * (1.0 + excite) * drv.operating[t]
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


def _enterprise_frame(
    reg: _Registry, preset: Preset, drv: _Drivers, rng: np.random.Generator
) -> pd.DataFrame:
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
    return frame[list(ENTERPRISE_COLUMNS)]


def _indicator_frame(
    reg: _Registry, drv: _Drivers, ids: pd.Series, first_month: int, rng: np.random.Generator
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
    month_starts = _month_starts(first_month, t_count + 1).astype(np.int64)
    month_end = month_starts[t + 1] - 1
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
    month_labels = [f"{m // 12}-{m % 12 + 1:02d}" for m in range(first_month, first_month + t_count)]
    frame = pd.DataFrame({
        "enterprise_id": _take_text(ids.to_numpy(), all_ent[order]),
        "month": _take_text(month_labels, all_t[order]),
        **{k: np.concatenate([v, rev_values[k]])[order] for k, v in values.items()},
        "reported_at": _day_strings(all_rep[order]),
    })  # fmt: skip
    frame["headcount"] = frame["headcount"].astype(np.int64)
    return frame[list(INDICATOR_COLUMNS)]


def _incident_frame(
    reg: _Registry,
    drv: _Drivers,
    hz: _Hazard,
    events: np.ndarray,
    ids: pd.Series,
    preset: Preset,
    first_month: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Incidents with dates, participants and causes consistent with the drivers."""  # fmt: skip
    kind, t, ent = np.nonzero(events)
    m = kind.size
    t_count = events.shape[1]
    month_starts = _month_starts(first_month, t_count + 1).astype(np.int64)
    days_in_month = month_starts[t + 1] - month_starts[t]
    started = month_starts[t] + (rng.random(m) * days_in_month).astype(np.int64)
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
        "enterprise_id": _take_text(ids.to_numpy(), ent[order]),
        "started": _day_strings(started[order]),
        "ended": _day_strings(ended[order]),
        "kind": pd.Series(np.array(KINDS, dtype=object)[kind[order]], dtype="str"),
        "participants": part[order],
        "cause": pd.Series(cause[order], dtype="str"),
        "reported_at": _day_strings(reported[order]),
    })  # fmt: skip
    return frame[list(INCIDENT_COLUMNS)]


def _operating_subset(arr: np.ndarray, rows: np.ndarray, cols: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return arr[np.ix_(rows, cols)][mask]


def simulate(
    preset: str = "hai-duong", *, seed: int = 0, start: str | None = None, end: str | None = None
) -> World:
    """Simulate a calibrated world for a preset ('hai-duong', 'demo', 'tiny') and seed.

    'demo-robust' is a robustness variant, not a calibrated world: a hazard of steps and
    interactions, stronger contagion and shifted base rates (see `PRESETS`).

    ``start``/``end`` ('YYYY-MM', inclusive) override the preset period. Same arguments
    give identical frames.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    spec = PRESETS[preset]
    start, end = start or spec.start, end or spec.end
    first = _month_index(start)
    t_count = _month_index(end) - first + 1
    if t_count < 1:
        raise ValueError(f"end {end} is before start {start}")
    reg = _build_registry(spec, np.random.default_rng([seed, 1]), first, t_count)
    drv = _simulate_drivers(reg, spec, np.random.default_rng([seed, 2]), first, t_count)
    hz = _hazard_terms(reg, drv, spec, np.random.default_rng([seed, 3]), first)
    fdi = reg.ownership == "fdi"
    coefs: list[dict[str, float]] = []
    windows: list[tuple[np.ndarray, np.ndarray, float]] = []
    for p_idx, ps in enumerate(spec.provinces):
        rows, target = _window_rows(ps, first, t_count)
        cols = np.flatnonzero(reg.prov == p_idx)
        mask = drv.operating[np.ix_(rows, cols)]
        windows.append((rows, cols, target))
        coefs.append(
            _calibrate_province(
                _operating_subset(hz.log_size, rows, cols, mask),
                np.broadcast_to(fdi[cols][None, :], mask.shape)[mask],
                np.broadcast_to(hz.tet[rows][:, None], mask.shape)[mask],
                _operating_subset(hz.rest, rows, cols, mask),
                _operating_subset(hz.participants, rows, cols, mask),
                target,
                ps.fdi_stoppage_share,
                spec.tet_share,
                ps.mean_participants,
            )  # fmt: skip
        )
    eta = _eta(reg, hz, coefs)
    base = np.exp(eta) * drv.operating
    kind_scale = {
        kind: ratio * float(base.sum()) / float((base * np.exp(elasticity * hz.log_size)).sum())
        for kind, (ratio, elasticity) in OTHER_KIND_RATIO.items()
    }
    for _ in range(3):  # undo contagion's inflation of the expected counts (fixed point)
        hazard, events = _run_events(reg, drv, hz, eta, kind_scale, seed, spec.contagion_scale)
        for coef, (rows, cols, target) in zip(coefs, windows, strict=True):
            coef["intercept"] += 0.8 * float(np.log(target / hazard[np.ix_(rows, cols)].sum()))
        eta = _eta(reg, hz, coefs)
    hazard, events = _run_events(reg, drv, hz, eta, kind_scale, seed, spec.contagion_scale)

    enterprises = _enterprise_frame(reg, spec, drv, np.random.default_rng([seed, 4]))
    ids = enterprises["enterprise_id"]
    indicators = _indicator_frame(reg, drv, ids, first, np.random.default_rng([seed, 5]))
    incidents = _incident_frame(reg, drv, hz, events, ids, spec, first, np.random.default_rng([seed, 6]))
    founded_month = (
        reg.founded_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
    )
    exists = np.arange(first, first + t_count)[None, :] >= founded_month[:, None]
    ent, t = np.nonzero(exists)
    month_labels = [f"{m // 12}-{m % 12 + 1:02d}" for m in range(first, first + t_count)]
    true_hazard = pd.DataFrame({
        "enterprise_id": _take_text(ids.to_numpy(), ent),
        "month": _take_text(month_labels, t),
        "hazard": hazard[t, ent],
        "operating": drv.operating[t, ent],
    })  # fmt: skip
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
    return World(enterprises, indicators, incidents, true_hazard, params)


def _write_atomic(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    if fmt == "csv":
        frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    else:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")
    os.replace(tmp, path)


def _integers_as_int(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns whose values are all whole become nullable Int64 (no '.0' in CSV)."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_float_dtype(values):
            finite = values.dropna()
            if (finite == np.round(finite)).all() and (finite.abs() < 2**53).all():
                out[col] = values.astype("Int64")
    return out


def write_source(world: World, out: Path, fmt: Literal["csv", "parquet"] = "csv") -> list[Path]:
    """Write the three contract tables to ``out`` and the truth to ``out/truth``.

    Files are written atomically (temporary file, then ``os.replace``); same world, same bytes.
    Returns the paths written, contract tables first.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}; use 'csv' or 'parquet'")
    out = Path(out)
    truth = out / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name in ("enterprises", "indicators", "incidents"):
        path = out / f"{name}.{fmt}"
        _write_atomic(_integers_as_int(getattr(world, name)), path, fmt)
        paths.append(path)
    hazard_path = truth / "true_hazard.parquet"
    _write_atomic(world.true_hazard, hazard_path, "parquet")
    report_path = truth / "calibration.json"
    tmp = report_path.with_name(report_path.name + ".tmp")
    payload = {"report": calibration_report(world), "params": world.params}
    tmp.write_text(
        json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True, default=float), encoding="utf-8"
    )
    os.replace(tmp, report_path)
    return [*paths, hazard_path, report_path]


def _positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """index.get_indexer(values), computed on the distinct values only (fast for long columns)."""
    codes, uniques = pd.factorize(values)
    return np.where(codes >= 0, index.get_indexer(uniques)[np.maximum(codes, 0)], -1)


def _latest_arrays(
    indicators: pd.DataFrame, ent_index: pd.Index, month_index: pd.Index
) -> dict[str, np.ndarray]:
    """Each (enterprise, month) at its latest revision, as arrays sorted by enterprise, month.

    ``key`` is enterprise position * n_months + month position; an empty reported_at
    counts as the month's last day + 20 days (contract default).
    """
    e = _positions(indicators["enterprise_id"], ent_index)
    m = _positions(indicators["month"], month_index)
    first = _month_index(str(month_index[0]))
    starts = _month_starts(first, len(month_index) + 1).astype(np.int64)
    codes, uniques = pd.factorize(indicators["reported_at"])
    unique_days = pd.to_datetime(pd.Series(uniques)).to_numpy().astype("datetime64[D]")
    reported = np.where(codes >= 0, unique_days[np.maximum(codes, 0)], np.datetime64("NaT"))
    effective = np.where(np.isnat(reported), starts[m + 1] - 1 + 20, reported.astype(np.int64))
    key = e.astype(np.int64) * len(month_index) + m
    order = np.lexsort((effective, key))
    key = key[order]
    last = np.append(key[1:] != key[:-1], True)
    rows = order[last]
    out = {"key": key[last], "ent": e[rows], "month": m[rows]}
    for col in ("headcount", "wage_arrears_months", "insurance_debt_months", "reduced_hours_workers"):
        out[col] = indicators[col].to_numpy(dtype=np.float64)[rows]
    return out


def calibration_report(world: World) -> dict[str, float | int | str]:
    """Figures to compare with domain.md: sizes, zone counts, realized and expected stoppages.

    Expected figures weight enterprise-months by the true hazard; realized ones count
    the incidents table. ``hd_*`` figures cover Hải Dương in 2021-01..2024-06.
    """
    ent, inc, truth, params = world.enterprises, world.incidents, world.true_hazard, world.params
    ent_index = pd.Index(ent["enterprise_id"])
    months = pd.Index(sorted(truth["month"].unique()))
    n_months = len(months)
    latest = _latest_arrays(world.indicators, ent_index, months)
    report: dict[str, float | int | str] = {
        "preset": str(params["preset"]), "seed": int(params["seed"]),
        "start": str(params["start"]), "end": str(params["end"]),
        "enterprises": len(ent), "enterprises_operating_at_end": int(ent["closed"].isna().sum()),
    }  # fmt: skip
    is_open = ent["closed"].isna().to_numpy()
    last_of_ent = np.append(latest["ent"][1:] != latest["ent"][:-1], True)
    report["workers"] = int(latest["headcount"][last_of_ent & is_open[latest["ent"]]].sum())
    for kind, tag in (("industrial_zone", "iz"), ("industrial_cluster", "ccn")):
        report[f"{tag}_operating"] = int(ent.loc[ent["zone_type"] == kind, "zone_id"].nunique())
        report[f"{tag}_planned"] = sum(p.get(kind, 0) for p in params["planned_zones"].values())
        in_hd = (ent["zone_type"] == kind) & (ent["province"] == "Hải Dương")
        report[f"hd_{tag}_operating"] = int(ent.loc[in_hd, "zone_id"].nunique())
        report[f"hd_{tag}_planned"] = int(params["planned_zones"].get("HD", {}).get(kind, 0))
    # Expected stoppages and their composition from the true hazard.
    t_ent = _positions(truth["enterprise_id"], ent_index)
    t_month = _positions(truth["month"], months)
    hazard = truth["hazard"].to_numpy(dtype=np.float64)
    pos = np.searchsorted(latest["key"], t_ent.astype(np.int64) * n_months + t_month)
    pos = np.minimum(pos, latest["key"].size - 1)
    found = latest["key"][pos] == t_ent.astype(np.int64) * n_months + t_month
    hc = np.where(found, latest["headcount"][pos], np.nan)
    part = np.clip(0.8 * hc, np.minimum(10.0, hc), hc)
    known = ~np.isnan(part)
    fdi_ent = (ent["ownership"] == "fdi").to_numpy()
    sector_ent = ent["sector"].to_numpy(dtype=object)
    prov_ent = ent["province"].to_numpy(dtype=object)
    first = _month_index(str(months[0]))
    tet_flags = _tet_flags(_month_starts(first, n_months), first)
    total = float(hazard.sum())
    stops = inc[inc["kind"] == WORK_STOPPAGE]
    s_ent = ent_index.get_indexer(stops["enterprise_id"])
    s_month = months.get_indexer(stops["started"].str[:7])
    hd_window = (months >= HD_WINDOW[0]) & (months <= HD_WINDOW[1])
    in_window = hd_window[t_month] & (prov_ent[t_ent] == "Hải Dương")
    s_window = hd_window[s_month] & (prov_ent[s_ent] == "Hải Dương")
    report["stoppages_expected"] = round(total, 2)
    report["stoppages_realized"] = len(stops)
    report["hd_stoppages_expected_2021_2024h1"] = round(float(hazard[in_window].sum()), 2)
    report["hd_stoppages_realized_2021_2024h1"] = int(s_window.sum())
    report["mean_participants_expected"] = round(float((hazard * part)[known].sum() / hazard[known].sum()), 1)
    report["mean_participants_realized"] = round(float(stops["participants"].mean()), 1)
    s_pos = np.searchsorted(latest["key"], s_ent.astype(np.int64) * n_months + s_month)
    s_pos = np.minimum(s_pos, latest["key"].size - 1)
    s_hc = np.where(latest["key"][s_pos] == s_ent * n_months + s_month, latest["headcount"][s_pos], np.nan)
    report["participation_share"] = round(float(np.nanmean(stops["participants"].to_numpy() / s_hc)), 3)
    report["fdi_share_expected"] = round(float(hazard[fdi_ent[t_ent]].sum() / total), 3)
    report["fdi_share_realized"] = round(float(fdi_ent[s_ent].mean()), 3)
    sector_sum = pd.Series(hazard).groupby(sector_ent[t_ent]).sum() / total
    for code, share in sector_sum.sort_values(ascending=False).head(8).items():
        report[f"sector_share_expected_{code}"] = round(float(share), 3)
    core = sector_sum.reindex(["13", "14", "15", "16", "26"]).fillna(0.0).sum()
    report["sector_share_expected_13_14_15_16_26"] = round(float(core), 3)
    report["tet_share_expected"] = round(float(hazard[tet_flags[t_month]].sum() / total), 3)
    report["tet_share_realized"] = round(float(tet_flags[s_month].mean()), 3)
    report.update(_driver_figures(latest, sector_ent, months))
    for code, name in params["provinces"].items():
        report[f"stoppages_realized_{code}"] = int((prov_ent[s_ent] == name).sum())
        report[f"stoppages_expected_{code}"] = round(float(hazard[prov_ent[t_ent] == name].sum()), 2)
    for kind in KINDS[1:]:
        report[f"incidents_{kind}"] = int((inc["kind"] == kind).sum())
    return report


def _tet_flags(month_days: np.ndarray, first_month: int) -> np.ndarray:
    """True for the month containing Tết and the month before it."""
    next_tet = reference.months_to_next_tet(month_days)
    tet_days = month_days.astype(np.int64) + np.round(next_tet * CALENDAR_DAYS_PER_MONTH)
    tet_month = tet_days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return np.isin(tet_month - np.arange(first_month, first_month + month_days.size), (0, 1))


def _driver_figures(
    latest: dict[str, np.ndarray], sector_ent: np.ndarray, months: pd.Index
) -> dict[str, float | int | str]:
    """SI debt before wage arrears, SI-debt prevalence and the 2022-23 slump in hours."""
    same = np.append(False, latest["ent"][1:] == latest["ent"][:-1])
    wa, si, hc = latest["wage_arrears_months"], latest["insurance_debt_months"], latest["headcount"]
    prev_wa = np.where(same, np.append(np.nan, wa[:-1]), np.nan)
    prev_si = np.where(same, np.append(np.nan, si[:-1]), np.nan)
    starts = (wa > 0) & (prev_wa == 0) & ~np.isnan(prev_si)
    known_si = ~np.isnan(si)
    out: dict[str, float | int | str] = {
        "wage_arrears_episodes": int(starts.sum()),
        "si_debt_before_wage_arrears_share": round(float((prev_si[starts] > 0).mean()), 3) if starts.any() else float("nan"),
        "si_debt_3m_firm_share": round(float((si[known_si] >= 3).mean()), 4),
        "si_debt_3m_mean_headcount": round(float(hc[si >= 3].mean()), 1) if (si >= 3).any() else float("nan"),
    }  # fmt: skip
    textile = np.isin(sector_ent[latest["ent"]], TEXTILE_SECTORS)
    share = latest["reduced_hours_workers"] / np.maximum(hc, 1.0)
    label = months.to_numpy(dtype=object)[latest["month"]]
    during = textile & (label >= SLUMP_START) & (label <= SLUMP_END)
    before = textile & (label >= "2021-10") & (label <= "2022-09")
    if during.any() and before.any():
        b, d = float(np.nanmean(share[before])), float(np.nanmean(share[during]))
        out["slump_reduced_hours_share_before"] = round(b, 4)
        out["slump_reduced_hours_share_during"] = round(d, 4)
        out["slump_ratio"] = round(d / max(b, 1e-6), 2)
    return out
