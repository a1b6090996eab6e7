"""The named worlds (`PRESETS`) and the constants their hazard is built and calibrated with.

A preset names provinces (registry size, districts, zones, strike targets) and a period;
the constants are the fixed parts of the world: sector mix and hazard offsets, driver
coefficients, yearly factors and the 2022Q4-2023Q3 order slump. The targets, and what the
seeded worlds reach, are in docs/calibration.md.

The preset 'demo-robust' is a robustness variant, not a calibrated world: the same drivers
enter the hazard through steps and interactions (`THRESHOLD_COEFS`), contagion is stronger
and the provinces' base rates are shifted. It exists to check models on a hazard shape they
were not designed on; nothing may be tuned on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from vocab.terms import INCIDENT_KINDS

KINDS = INCIDENT_KINDS


TEXTILE_SECTORS = ("13", "14", "15")


SLUMP_START, SLUMP_END = "2022-10", "2023-09"


HD_WINDOW = ("2021-01", "2024-06")


SECTOR_MIX: dict[str, dict[str, float]] = {
    "fdi": {"14": 20, "26": 14, "27": 8, "25": 9, "22": 9, "15": 7, "13": 6, "16": 3,
            "31": 3, "29": 6, "32": 3, "28": 3, "10": 2, "20": 2, "46": 5},
    "private": {"46": 24, "47": 10, "41": 12, "43": 6, "49": 6, "56": 3, "68": 2, "01": 2,
                "10": 5, "14": 5, "13": 1.5, "15": 1, "16": 4, "17": 1, "22": 2.5, "23": 4,
                "25": 6, "31": 3, "27": 1, "26": 0.5, "32": 0.5},
    "state": {"35": 15, "41": 15, "49": 15, "46": 15, "10": 10, "01": 10, "23": 10, "25": 10},
}  # fmt: skip


# Log-hazard offset per sector: textile, apparel and footwear strike most, then wood and electronics.
SECTOR_HAZARD: dict[str, float] = {
    "13": 0.9, "14": 1.2, "15": 1.5, "16": 0.9, "26": 0.7, "22": 0.5, "31": 0.6,
    "32": 0.8, "27": 0.2, "25": 0.0, "29": 0.1, "28": 0.0, "17": 0.0, "20": -0.3,
    "10": -0.3, "23": -0.5,
}  # fmt: skip


NON_MANUFACTURING_HAZARD = -1.8


SLUMP_INTENSITY: dict[str, float] = {"13": 1.0, "14": 1.0, "15": 1.0, "16": 0.6, "26": 0.5, "31": 0.4}


# National strike counts per year, relative to 2019; 2024-26 assumed.
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


# Hải Dương: H1 2019 had 9 stoppages, ~12x the 2021-25 pace.
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
    """Comparable provinces: the south strikes far more than the north."""
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
