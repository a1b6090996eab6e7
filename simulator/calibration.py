"""The calibration report: a world's figures, to compare with the targets of docs/calibration.md."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simulator.mechanics import tet_months
from simulator.presets import HD_WINDOW, KINDS, SLUMP_END, SLUMP_START, TEXTILE_SECTORS
from simulator.world import World
from vocab.months import label_month_number, month_starts
from vocab.terms import WORK_STOPPAGE


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
    first = label_month_number(str(month_index[0]))
    starts = month_starts(np.arange(first, first + len(month_index) + 1)).astype(np.int64)
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
    """Figures to compare with the targets: sizes, zone counts, realized and expected stoppages.

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
    first = label_month_number(str(months[0]))
    tet_flags = tet_months(month_starts(np.arange(first, first + n_months)), first)
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
    report["min_participants_realized"] = float(stops["participants"].min())
    report.update(
        _article_figures(world, latest, months, in_window, s_window, hazard, part, known, fdi_ent[t_ent])
    )
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


def _article_figures(
    world: World,
    latest: dict[str, np.ndarray],
    months: pd.Index,
    in_window: np.ndarray,
    s_window: np.ndarray,
    hazard: np.ndarray,
    part: np.ndarray,
    known: np.ndarray,
    fdi: np.ndarray,
) -> dict[str, float | int | str]:
    """Hải Dương as the source article has it: firms operating and workers in June 2024
    (the end of `HD_WINDOW`; truth's operating flag, and the reported June headcounts of
    those firms), and its 2021-01..2024-06 stoppages' participants and FDI share.
    Empty when the world has no Hải Dương or does not cover its window."""
    ent, truth = world.enterprises, world.true_hazard
    hd_ids = ent.loc[ent["province"] == "Hải Dương", "enterprise_id"]
    if hd_ids.empty or HD_WINDOW[1] not in months or not in_window.any():
        return {}
    out: dict[str, float | int | str] = {}
    june = truth[(truth["month"] == HD_WINDOW[1]) & truth["operating"] & truth["enterprise_id"].isin(hd_ids)]
    out["hd_operating_2024_06"] = len(june)
    ent_index = pd.Index(ent["enterprise_id"])
    month_pos = int(np.flatnonzero(months == HD_WINDOW[1])[0])
    keys = ent_index.get_indexer(june["enterprise_id"]).astype(np.int64) * len(months) + month_pos
    pos = np.minimum(np.searchsorted(latest["key"], keys), latest["key"].size - 1)
    out["hd_workers_2024_06"] = int(latest["headcount"][pos][latest["key"][pos] == keys].sum())
    stops = world.incidents[world.incidents["kind"] == WORK_STOPPAGE]
    participants = stops["participants"].to_numpy(dtype=np.float64)[s_window]
    window = in_window & known
    out["hd_mean_participants_expected_2021_2024h1"] = round(
        float((hazard * part)[window].sum() / hazard[window].sum()), 1
    )
    if s_window.any():
        out["hd_participants_realized_2021_2024h1"] = int(np.nansum(participants))
        out["hd_mean_participants_realized_2021_2024h1"] = round(float(np.nanmean(participants)), 1)
        out["hd_min_participants_realized_2021_2024h1"] = float(np.nanmin(participants))
    out["hd_fdi_share_expected_2021_2024h1"] = round(
        float(hazard[in_window & fdi].sum() / hazard[in_window].sum()), 3
    )
    return out


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


# --------------------------------------------------------------------------- national

#: Sourced counts a national world is compared with: (what, pre-2025 provinces (empty: the
#: whole country), first month, last month, count). Sections (§) of the sourced facts.
NATIONAL_CHECKS: tuple[tuple[str, tuple[str, ...], str, str, float], ...] = (
    ("national H1 2019 (MOLISA, §1A)", (), "2019-01", "2019-06", 67),
    ("Long An H1 2019 (§1B)", ("Long An",), "2019-01", "2019-06", 22),
    ("Đồng Nai H1 2019 (§1B)", ("Đồng Nai",), "2019-01", "2019-06", 18),
    ("Bình Dương H1 2019 (§1B)", ("Bình Dương",), "2019-01", "2019-06", 13),
    ("Hồ Chí Minh H1 2019 (§1B)", ("Hồ Chí Minh",), "2019-01", "2019-06", 6),
    ("Hải Dương H1 2019 (§1B)", ("Hải Dương",), "2019-01", "2019-06", 9),
    ("Hải Dương 2021-01..2024-06 (source article)", ("Hải Dương",), "2021-01", "2024-06", 7),
    ("national Q1 2022 (VGCL, §1A)", (), "2022-01", "2022-03", 64),
    ("Bình Dương H1 2022 (~20, §1B)", ("Bình Dương",), "2022-01", "2022-06", 20),
    ("national Q1 2023 (§1A)", (), "2023-01", "2023-03", 23),
)

#: National stoppages per year (VGCL, §1A; 2020 derived); 2024-2026 were not found.
NATIONAL_COUNTS: dict[int, float] = {2019: 121, 2020: 125, 2021: 107, 2022: 144, 2023: 60}


def monthly_stoppages(world: World) -> pd.DataFrame:
    """Work stoppages per month: ``expected`` (sum of the true hazard) and ``realized``
    (incidents started), indexed by month label. Sums over blocks give a national series."""
    truth = world.true_hazard
    codes, months = pd.factorize(truth["month"], sort=True)
    expected = np.bincount(codes, weights=truth["hazard"].to_numpy(dtype=np.float64), minlength=len(months))
    inc = world.incidents
    started = inc.loc[inc["kind"] == WORK_STOPPAGE, "started"].str[:7]
    realized = started.value_counts().reindex(months, fill_value=0).to_numpy()
    return pd.DataFrame({"expected": expected, "realized": realized}, index=pd.Index(months, name="month"))


def national_summary(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """A world generated in blocks, summed up: sizes, stoppages per year, region and
    province, composition shares and the sourced checks (`NATIONAL_CHECKS`).

    Each block is ``{"province", "legacy", "macro_region", "report", "monthly"}``: its
    `calibration_report`, and its `monthly_stoppages` as {month: [expected, realized]}.
    Shares are weighted by each block's expected (or realized) stoppages.
    """
    frames = []
    for b in blocks:
        monthly = pd.DataFrame.from_dict(b["monthly"], orient="index", columns=["expected", "realized"])
        frames.append(monthly.assign(province=b["province"], legacy=b["legacy"], region=b["macro_region"]))
    months = pd.concat(frames).rename_axis("month").reset_index()
    months["year"] = months["month"].str[:4].astype(int)
    reports = [b["report"] for b in blocks]

    def total(key: str) -> float:
        return float(sum(float(r[key]) for r in reports))

    def weighted(key: str, weight: str) -> float:
        w = np.array([float(r[weight]) for r in reports])
        v = np.array([float(r[key]) for r in reports])
        ok = (w > 0) & ~np.isnan(v)
        return round(float((v[ok] * w[ok]).sum() / w[ok].sum()), 3) if ok.any() else float("nan")

    expected, realized = months["expected"].sum(), months["realized"].sum()
    summary: dict[str, Any] = {
        "provinces": len({b["province"] for b in blocks}),
        "blocks": len(blocks),
        "enterprises": int(total("enterprises")),
        "enterprises_operating_at_end": int(total("enterprises_operating_at_end")),
        "workers": int(total("workers")),
        "stoppages_expected": round(float(expected), 1),
        "stoppages_realized": int(realized),
        "fdi_share_expected": weighted("fdi_share_expected", "stoppages_expected"),
        "fdi_share_realized": weighted("fdi_share_realized", "stoppages_realized"),
        "tet_share_expected": weighted("tet_share_expected", "stoppages_expected"),
        "mean_participants_expected": weighted("mean_participants_expected", "stoppages_expected"),
        "mean_participants_realized": weighted("mean_participants_realized", "stoppages_realized"),
    }
    by_year = months.groupby("year")[["expected", "realized"]].sum()
    summary["by_year"] = {
        str(y): {"expected": round(float(e), 1), "realized": int(r), "source": NATIONAL_COUNTS.get(int(y))}
        for y, e, r in zip(by_year.index, by_year["expected"], by_year["realized"], strict=True)
    }
    by_region = months.groupby(["region", "year"])[["expected", "realized"]].sum()
    summary["by_region"] = {
        str(region): {
            "expected": round(float(grp["expected"].sum()), 1),
            "realized": int(grp["realized"].sum()),
            "share_expected": round(float(grp["expected"].sum() / expected), 3),
            "share_realized": round(float(grp["realized"].sum() / max(realized, 1)), 3),
            "by_year": {str(y): [round(float(e), 1), int(r)] for (_, y), e, r in zip(grp.index, grp["expected"], grp["realized"], strict=True)},
        }
        for region, grp in by_region.groupby(level="region")
    }  # fmt: skip
    by_province = months.groupby("province")[["expected", "realized"]].sum()
    summary["by_province"] = {
        str(p): [round(float(row.expected), 1), int(row.realized)] for p, row in by_province.iterrows()
    }
    checks = {}
    for what, legacy, first, last, count in NATIONAL_CHECKS:
        rows = (months["month"] >= first) & (months["month"] <= last)
        if legacy:
            rows &= months["legacy"].isin(legacy)
        if not ((months["month"] == first).any() and (months["month"] == last).any()):
            continue  # the world's period does not cover it
        checks[what] = {"source": count, "expected": round(float(months.loc[rows, "expected"].sum()), 1),
                        "realized": int(months.loc[rows, "realized"].sum())}  # fmt: skip
    summary["checks"] = checks
    return summary
