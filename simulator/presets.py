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
from typing import Any, Literal

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


#: Share of a struck firm's workforce that joins a stoppage: 80.59% on average in Q1 2023
#: (§1C); the participants' draw (`simulator.frames`) has this mean.
PARTICIPATION_SHARE = 0.8


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
    # National preset only (the defaults keep the other presets as they were): `name` is then
    # the post-2025 province and `legacy` the pre-2025 province this block covers; firms are
    # addressed by post-2025 commune (`communes`: per district, filled in by
    # `simulator.geography.resolve`), `wage_region` is the minimum-wage region assumed where
    # data/reference has none, and `macro_region` is north, central or south.
    legacy: str | None = None
    province_code: str | None = None
    communes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    wage_region: float | None = None
    macro_region: Literal["north", "central", "south"] | None = None
    # The article presets only (the defaults keep the other presets as they were): a
    # multiplier of this province's firm sizes; the fewest workers on the payroll of a firm
    # that can have a work stoppage (0: any firm); and the spread, in log workers, of the
    # stoppage hazard around the size whose workforce gives `mean_participants` (None: the
    # hazard is log-linear in size). Both shape work stoppages only, not the other kinds.
    size_scale: float = 1.0
    stoppage_min_workers: int = 0
    stoppage_size_spread: float | None = None


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
    # Generated one province block at a time (`simulate_blocks`, `write_blocks`), never as one
    # World: too large for memory.
    blockwise: bool = False
    # Fixed-point rounds that undo contagion's inflation of the expected counts, and the
    # gap (|log expected/target| in every province) that ends them early (0: never).
    contagion_rounds: int = 3
    contagion_tolerance: float = 0.0


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


# The source article's Hải Dương at mid-2024, the end of `HD_WINDOW` (the `hai-duong` and
# `demo` presets; `_hai_duong` alone is the province before, kept by `demo-robust`, `tiny`
# and the national block): more than 17,000 enterprises operating, ~400,000 workers, and
# 7 stoppages of ~2,600 participants in all, ~370 each.

#: Registrations that keep more than 17,000 firms operating in June 2024 on every seed.
#: Derived from the world's exits: 22% of firms are founded inside 2019-01..2026-10, a
#: third of them after June 2024, and ~9% of the others have closed by then, so 84.9-85.7%
#: of the registry operates in June 2024 (seeds 0-9): 17,000 / 0.849 = 20,024, and 20,500
#: leave a margin of ~2% (17,399-17,567 operating).
HD_ARTICLE_ENTERPRISES = 20_500

#: Assumption: firm sizes times 0.89, so that the larger registry keeps the article's
#: ~400,000 workers in June 2024 (seeds 0-9: 363,000-463,000, 401,000 on average).
HD_ARTICLE_SIZE_SCALE = 0.89

#: A stoppage is collective: at least 10 participants (assumption: the threshold of a
#: "group" labour case, >= 10 workers, in the Ningbo system, §1N), so with ~80% of the
#: workforce joining (`PARTICIPATION_SHARE`) a firm needs 13 workers to have one. Every
#: province of `hai-duong` and `demo` keeps it.
STOPPAGE_MIN_WORKERS = 13

#: Assumption: the stoppage hazard's spread in log workers around the firm size whose
#: workforce gives ~370 participants. The sourced means over few stoppages all lie in
#: 340-680 (Hải Dương 7 and 9 stoppages, Bình Dương ~20, national Q1 2023 23; §1C), which
#: a hazard log-linear in size gives for about half of such windows (a few large plants
#: carry the mean); a spread of 0.5 gives it for ~85%, and keeps Hải Dương's 2021-01..
#: 2024-06 mean within 30% of 370 on 9 of seeds 0-9 (docs/calibration.md).
HD_STOPPAGE_SIZE_SPREAD = 0.5


def _hai_duong_article() -> ProvinceSpec:
    """Hải Dương as the source article has it at mid-2024 (see the constants above)."""
    return replace(
        _hai_duong(HD_ARTICLE_ENTERPRISES, 7.0),
        size_scale=HD_ARTICLE_SIZE_SCALE,
        stoppage_min_workers=STOPPAGE_MIN_WORKERS,
        stoppage_size_spread=HD_STOPPAGE_SIZE_SPREAD,
    )


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


# --------------------------------------------------------------------------- national
#
# The `national` preset: Vietnam's 34 provinces as of 1 July 2025, each made of the
# pre-2025 provinces that formed it (63 blocks). A block is one pre-2025 province: the
# unit the sourced strike counts are given in, and the unit the world is generated in
# (`simulate_blocks`, `write_blocks`). Names and codes are those of the pinned
# `vietnamadminunits` package (checked by tests/simulator/test_national.py); districts and
# post-2025 communes are read from it when a block is built (`simulator.geography`).
# It is not the union of the other presets: Hải Dương is one block of Hải Phòng with its
# own calibration, seeds and ids, and the comparable provinces keep only their ownership
# mix and strike sizes.

#: The 34 provinces from 1 July 2025: (code, short name), `vietnamadminunits` 1.0.4.
NATIONAL_PROVINCES: tuple[tuple[str, str], ...] = (
    ("01", "Hà Nội"), ("04", "Cao Bằng"), ("08", "Tuyên Quang"), ("11", "Điện Biên"),
    ("12", "Lai Châu"), ("14", "Sơn La"), ("15", "Lào Cai"), ("19", "Thái Nguyên"),
    ("20", "Lạng Sơn"), ("22", "Quảng Ninh"), ("24", "Bắc Ninh"), ("25", "Phú Thọ"),
    ("31", "Hải Phòng"), ("33", "Hưng Yên"), ("37", "Ninh Bình"), ("38", "Thanh Hóa"),
    ("40", "Nghệ An"), ("42", "Hà Tĩnh"), ("44", "Quảng Trị"), ("46", "Huế"),
    ("48", "Đà Nẵng"), ("51", "Quảng Ngãi"), ("52", "Gia Lai"), ("56", "Khánh Hòa"),
    ("66", "Đắk Lắk"), ("68", "Lâm Đồng"), ("75", "Đồng Nai"), ("79", "Hồ Chí Minh"),
    ("80", "Tây Ninh"), ("82", "Đồng Tháp"), ("86", "Vĩnh Long"), ("91", "An Giang"),
    ("92", "Cần Thơ"), ("96", "Cà Mau"),
)  # fmt: skip

#: The 63 pre-2025 provinces: (short name, code, the post-2025 province it joined, urban
#: wards "Phường" it had), `vietnamadminunits` 1.0.4 (`admin_units_legacy`, converter 2025).
LEGACY_PROVINCES: tuple[tuple[str, str, str, int], ...] = (
    ("Hà Nội", "01", "Hà Nội", 160), ("Hà Giang", "02", "Tuyên Quang", 5),
    ("Cao Bằng", "04", "Cao Bằng", 8), ("Bắc Kạn", "06", "Thái Nguyên", 6),
    ("Tuyên Quang", "08", "Tuyên Quang", 10), ("Lào Cai", "10", "Lào Cai", 16),
    ("Điện Biên", "11", "Điện Biên", 9), ("Lai Châu", "12", "Lai Châu", 5),
    ("Sơn La", "14", "Sơn La", 15), ("Yên Bái", "15", "Lào Cai", 12),
    ("Hòa Bình", "17", "Phú Thọ", 12), ("Thái Nguyên", "19", "Thái Nguyên", 41),
    ("Lạng Sơn", "20", "Lạng Sơn", 5), ("Quảng Ninh", "22", "Quảng Ninh", 73),
    ("Bắc Giang", "24", "Bắc Ninh", 35), ("Phú Thọ", "25", "Phú Thọ", 15),
    ("Vĩnh Phúc", "26", "Phú Thọ", 15), ("Bắc Ninh", "27", "Bắc Ninh", 50),
    ("Hải Dương", "30", "Hải Phòng", 46), ("Hải Phòng", "31", "Hải Phòng", 79),
    ("Hưng Yên", "33", "Hưng Yên", 13), ("Thái Bình", "34", "Hưng Yên", 10),
    ("Hà Nam", "35", "Ninh Bình", 29), ("Nam Định", "36", "Ninh Bình", 14),
    ("Ninh Bình", "37", "Ninh Bình", 18), ("Thanh Hóa", "38", "Thanh Hóa", 63),
    ("Nghệ An", "40", "Nghệ An", 33), ("Hà Tĩnh", "42", "Hà Tĩnh", 25),
    ("Quảng Bình", "44", "Quảng Trị", 15), ("Quảng Trị", "45", "Quảng Trị", 13),
    ("Huế", "46", "Huế", 48), ("Đà Nẵng", "48", "Đà Nẵng", 36),
    ("Quảng Nam", "49", "Đà Nẵng", 29), ("Quảng Ngãi", "51", "Quảng Ngãi", 17),
    ("Bình Định", "52", "Gia Lai", 28), ("Phú Yên", "54", "Đắk Lắk", 18),
    ("Khánh Hòa", "56", "Khánh Hòa", 30), ("Ninh Thuận", "58", "Khánh Hòa", 12),
    ("Bình Thuận", "60", "Lâm Đồng", 16), ("Kon Tum", "62", "Quảng Ngãi", 10),
    ("Gia Lai", "64", "Gia Lai", 24), ("Đắk Lắk", "66", "Đắk Lắk", 18),
    ("Đắk Nông", "67", "Lâm Đồng", 6), ("Lâm Đồng", "68", "Lâm Đồng", 18),
    ("Bình Phước", "70", "Đồng Nai", 20), ("Tây Ninh", "72", "Tây Ninh", 17),
    ("Bình Dương", "74", "Hồ Chí Minh", 47), ("Đồng Nai", "75", "Đồng Nai", 33),
    ("Bà Rịa - Vũng Tàu", "77", "Hồ Chí Minh", 30), ("Hồ Chí Minh", "79", "Hồ Chí Minh", 208),
    ("Long An", "80", "Tây Ninh", 11), ("Tiền Giang", "82", "Đồng Tháp", 21),
    ("Bến Tre", "83", "Vĩnh Long", 6), ("Trà Vinh", "84", "Vĩnh Long", 9),
    ("Vĩnh Long", "86", "Vĩnh Long", 13), ("Đồng Tháp", "87", "Đồng Tháp", 18),
    ("An Giang", "89", "An Giang", 27), ("Kiên Giang", "91", "An Giang", 17),
    ("Cần Thơ", "92", "Cần Thơ", 39), ("Hậu Giang", "93", "Cần Thơ", 13),
    ("Sóc Trăng", "94", "Cần Thơ", 16), ("Bạc Liêu", "95", "Cà Mau", 10),
    ("Cà Mau", "96", "Cà Mau", 9),
)  # fmt: skip

#: Enterprises in the registry over 2019-2026. GSO counted 668,505 active enterprises in
#: 2019 and 735,455 in 2022 (§1L); the world founds ~22% of its firms inside the period and
#: closes some, so ~900,000 ever-registered firms keep ~700,000 operating at a time.
NATIONAL_ENTERPRISES = 900_000

#: Sourced registry sizes: Hải Dương >17,000 (the source article); Hồ Chí Minh ~110,000
#: businesses (2022, §1G); the post-2025 Hồ Chí Minh 161,050 enterprises (end-Sep 2025,
#: §1G), so Bình Dương and Bà Rịa - Vũng Tàu share the remaining 51,050.
ENTERPRISE_ANCHORS: Mapping[str, int] = {"Hải Dương": 17_000, "Hồ Chí Minh": 110_000}
MERGED_ANCHOR: tuple[tuple[str, ...], int] = (("Bình Dương", "Bà Rịa - Vũng Tàu"), 161_050 - 110_000)

#: National stoppages in 2019 (VGCL, §1A), the base of `NATIONAL_YEAR_FACTOR`.
NATIONAL_STOPPAGES_2019 = 121.0

#: Share of stoppages per macro region. Assumption between the sourced splits: 2017-18
#: (derived, §1A) south 62%, north 33%, central 5%; H1 2019 ~90% in the south (§1B); Q1
#: 2023 20 of 23 at southern FDI firms (§1A).
REGION_SHARE: Mapping[str, float] = {"south": 0.75, "north": 0.20, "central": 0.05}

#: H1 2019 stoppages by province (§1B): 59 of the ~60 southern ones. They weight 90% of the
#: south's target (assumption: other southern provinces strike in other years).
SOUTH_H1_2019: Mapping[str, float] = {"Long An": 22, "Đồng Nai": 18, "Bình Dương": 13, "Hồ Chí Minh": 6}
SOUTH_NAMED_SHARE = 0.9

#: Strike hot spots named in the sources: Bắc Giang, Phú Thọ, Bắc Ninh (north, 2018, §1A);
#: Thanh Hóa and Nam Định (2025 wave, §1A, §1F). Their FDI firms weigh 3 times as much in
#: the split of a region's remaining stoppages (assumption).
HOT_SPOTS = frozenset({"Bắc Giang", "Phú Thọ", "Bắc Ninh", "Nam Định", "Thanh Hóa"})
HOT_SPOT_WEIGHT = 3.0

#: Assumption: the 2025 wave in Thanh Hóa (10 stoppages in one week) and Nam Định (§1A,
#: §1F) triples those provinces' 2025 rate.
WAVE_2025: Mapping[int, float] = {2025: 3.0}

#: Hải Dương's expected stoppages over 2019-01..2026-10 when calibrated to 7 in its window
#: (the demo world of docs/calibration.md before the article's figures, 2026-11-26: 20.6;
#: kept, so that the national world stays as it was); the rest of the north's share goes
#: elsewhere.
HD_PERIOD_EXPECTED = 20.6

#: National FDI share of enterprises, 3.3% (22,200 of 683,600, 2020, §1L); state-owned
#: 0.3% (derived: 1,963 SOEs). Mean participants 470 and FDI share of stoppages 82%
#: (H1 2019, §1C, §1B) for the provinces without their own figures.
NATIONAL_FDI_SHARE = 0.033
NATIONAL_STATE_SHARE = 0.003
NATIONAL_PARTICIPANTS = 470.0
NATIONAL_FDI_STOPPAGE_SHARE = 0.82

#: Assumption: the minimum-wage region of provinces data/reference does not list (their
#: most common district region, best knowledge, not verified against the decrees).
WAGE_REGION_FALLBACK: Mapping[str, float] = {
    "Hà Nội": 1.0, "Hồ Chí Minh": 1.0, "Hải Phòng": 1.0, "Đà Nẵng": 2.0, "Cần Thơ": 2.0,
    "Quảng Ninh": 2.0, "Bà Rịa - Vũng Tàu": 2.0,
}  # fmt: skip


def macro_region(legacy_code: str) -> Literal["north", "central", "south"]:
    """North (Red River Delta, northern midlands and mountains: codes below 38), central
    (Thanh Hóa to Bình Thuận and the Central Highlands: 38-68) or south (70 and above)."""
    code = int(legacy_code)
    return "north" if code < 38 else "central" if code < 70 else "south"


def _period_years(start: str, end: str) -> float:
    """National stoppages expected over start..end (inclusive months), from
    `NATIONAL_YEAR_FACTOR` times the 2019 count."""
    (y0, m0), (y1, m1) = (tuple(int(x) for x in label.split("-")) for label in (start, end))
    total = 0.0
    for year in range(y0, y1 + 1):
        months = (m1 if year == y1 else 12) - (m0 if year == y0 else 1) + 1
        total += NATIONAL_YEAR_FACTOR.get(year, 0.85) * months / 12
    return NATIONAL_STOPPAGES_2019 * total


#: Assumption: Long An counts as many urban wards as Đồng Nai. The proxy gives it 5,701
#: enterprises (11 wards), too few for the stoppages its sources give (22 in H1 2019 alone):
#: its ~400 FDI firms would strike ~5% a year each and the world's contagion turns
#: explosive (the calibration no longer converges). Both are industrial provinces of the
#: same rank in the sources.
URBAN_WARDS_AS: Mapping[str, str] = {"Long An": "Đồng Nai"}


def _national_sizes() -> dict[str, int]:
    """Enterprises per pre-2025 province: the sourced anchors, the rest in proportion to
    urban wards (Phường), a proxy for where enterprises are (assumption; it understates
    industrial provinces with few wards, and Hà Nội; see `URBAN_WARDS_AS`)."""
    wards = {name: phuong for name, _, _, phuong in LEGACY_PROVINCES}
    wards.update({name: wards[like] for name, like in URBAN_WARDS_AS.items()})
    merged, merged_total = MERGED_ANCHOR
    sizes = dict(ENTERPRISE_ANCHORS)
    for name in merged:
        sizes[name] = round(merged_total * wards[name] / sum(wards[m] for m in merged))
    rest = [name for name in wards if name not in sizes]
    left = NATIONAL_ENTERPRISES - sum(sizes.values())
    total_wards = sum(wards[name] for name in rest)
    for name in rest:
        sizes[name] = round(left * wards[name] / total_wards)
    return sizes


def national_preset(scale: float = 1.0, *, start: str = "2019-01", end: str = "2026-10") -> Preset:
    """The `national` preset; ``scale`` multiplies every registry size and target (tests
    use a small one). See the section comment above and docs/calibration.md."""
    sizes = {name: max(20, round(n * scale)) for name, n in _national_sizes().items()}
    demo = {spec.name: spec for spec in _comparables(1.0)}
    fixed_fdi = sum(demo[name].fdi_share * sizes[name] for name in demo) + 0.035 * sizes["Hải Dương"]
    other = sum(n for name, n in sizes.items() if name not in demo and name != "Hải Dương")
    fdi_rest = (NATIONAL_FDI_SHARE * sum(sizes.values()) - fixed_fdi) / other
    fdi = {name: demo[name].fdi_share if name in demo else fdi_rest for name in sizes}
    # Targets: the national count over the period, split by region, then by province.
    total = _period_years(start, end) * scale
    weight = {
        name: sizes[name] * fdi[name] * (HOT_SPOT_WEIGHT if name in HOT_SPOTS else 1.0)
        for name in sizes
    }  # fmt: skip
    region = {name: macro_region(code) for name, code, _, _ in LEGACY_PROVINCES}
    target: dict[str, float] = {}
    south_total = REGION_SHARE["south"] * total
    for name, h1 in SOUTH_H1_2019.items():
        target[name] = SOUTH_NAMED_SHARE * south_total * h1 / sum(SOUTH_H1_2019.values())
    remaining = {
        "south": (1 - SOUTH_NAMED_SHARE) * south_total,
        "north": REGION_SHARE["north"] * total - HD_PERIOD_EXPECTED * scale,
        "central": REGION_SHARE["central"] * total,
    }
    for part, amount in remaining.items():
        names = [n for n in sizes if region[n] == part and n not in target and n != "Hải Dương"]
        for name in names:
            target[name] = amount * weight[name] / sum(weight[n] for n in names)
    codes = dict(NATIONAL_PROVINCES)
    code_of = {name: code for code, name in NATIONAL_PROVINCES}
    blocks: list[ProvinceSpec] = []
    for name, code, joined, _ in LEGACY_PROVINCES:
        assert joined in codes.values()
        common: dict[str, Any] = dict(
            name=joined, code=code, tax_prefix=code, legacy=name, province_code=code_of[joined],
            wage_region=WAGE_REGION_FALLBACK.get(name, 3.0), macro_region=region[name],
        )  # fmt: skip
        n = sizes[name]
        if name == "Hải Dương":
            n_iz, n_ccn = max(1, round(11 * scale)), max(1, round(32 * scale))
            blocks.append(replace(_hai_duong(n, 7.0 * scale, n_iz=n_iz, n_ccn=n_ccn), **common))
            continue
        # Zones in proportion to the registry, Hải Dương's ratio (11 zones and 32 clusters
        # for 17,000 enterprises, 24 and 55 planned; source article): an assumption that
        # keeps firms per zone, hence contagion, as in the calibrated province.
        n_iz, n_ccn = max(1, round(n * 11 / 17_000)), max(1, round(n * 32 / 17_000))
        spec = demo.get(name)
        blocks.append(
            ProvinceSpec(
                n_enterprises=n, districts=(), iz_named=(), ccn_named=(), n_iz=n_iz, n_ccn=n_ccn,
                planned_iz=round(n_iz * 24 / 11), planned_ccn=round(n_ccn * 55 / 32),
                target_stoppages=target[name], target_window=None,
                mean_participants=spec.mean_participants if spec else NATIONAL_PARTICIPANTS,
                fdi_share=fdi[name], state_share=spec.state_share if spec else NATIONAL_STATE_SHARE,
                fdi_stoppage_share=spec.fdi_stoppage_share if spec else NATIONAL_FDI_STOPPAGE_SHARE,
                year_override=WAVE_2025 if name in ("Thanh Hóa", "Nam Định") else {},
                **common,
            )
        )  # fmt: skip
    # Southern blocks strike near the contagion's critical point: more fixed-point rounds,
    # ended once every block is within 1% of its target.
    return Preset(
        "national", tuple(blocks), start, end, blockwise=True, contagion_rounds=12, contagion_tolerance=0.01
    )


PRESETS: Mapping[str, Preset] = {
    "hai-duong": Preset("hai-duong", (_hai_duong_article(),), "2019-01", "2026-10"),
    "demo": Preset(
        "demo",
        (
            _hai_duong_article(),
            *(replace(spec, stoppage_min_workers=STOPPAGE_MIN_WORKERS) for spec in _comparables(1.0)),
        ),
        "2019-01",
        "2026-10",
    ),
    # Robustness variant (not calibrated to any source): the demo's provinces with base rates
    # shifted north (fewer southern, more northern stoppages), a hazard of steps and
    # interactions (`THRESHOLD_COEFS`) and contagion 1.8 times as strong. It stands in for a
    # world whose hazard the models were not designed on; never tune on it. Its Hải Dương is
    # the province before the article's figures (17,000 registrations, any stoppage size):
    # its worlds, and the results measured on them, stay as they were.
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
    "national": national_preset(),
}
