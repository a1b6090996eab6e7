"""The models issue's done-when on any source: the real `ews` commands run it, an outside judge scores it.

Run: `.venv/bin/python benchmarks/holdout.py SOURCE --as-of 2025-06-25 --from 2025-06 --to 2026-07
[--workspace DIR] [--judge-only] [--capacity 0.01] [--bootstrap 200] [--json FILE]`.

1. **The product, as an operator runs it.** In a fresh workspace (`EWS_HOME`): `ews ingest
   SOURCE`, `ews train --as-of D`, `ews backfill --from .. --to ..`, then `ews rank --as-of M
   --top 0 --format csv` for every month end M, which is all the judge reads of the product.
2. **The judge, which shares no code with labor-ews** (`tests/benchmarks/test_holdout.py`
   checks its imports). From the contract files alone it rebuilds every month end's
   universe (operating enterprises with an indicator row known by M) and its outcomes (a
   `work_stoppage` starting in (M, M + 3 months], from every incident in the source). It
   fits reference gradient-boosting models on simple hand features (the latest figures
   known, their age, sector, ownership, zone type; no history, calendar or neighbours) as
   of D, on what was known at D, and reports for the champion, each reference and the
   officers' checklist: PR-AUC over all months' rows and the share of stoppages caught in
   each month's top 1%, with paired bootstrap intervals (enterprises resampled) on the
   champion's margin over each reference.

The judge's universe must equal the product's: any enterprise scored by one and not the
other is counted and printed, since it would mean one of them misreads the contract.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

HORIZON_MONTHS = 3
TARGET_KIND = "work_stoppage"
REPORTING_LAG_DAYS = 20  # the contract's default `reported_at` of an indicator row
# Every number of an indicator row: the features use some, a conflict is told by all.
NUMBERS = (
    "headcount",
    "avg_wage_vnd",
    "wage_arrears_vnd",
    "wage_arrears_months",
    "insurance_debt_vnd",
    "insurance_debt_months",
    "layoffs",
    "reduced_hours_workers",
)
CATEGORIES = ("sector", "ownership", "zone_type")
FEATURES = (
    "headcount",
    "avg_wage_vnd",
    "wage_arrears_months",
    "insurance_debt_months",
    "layoff_share",
    "reduced_hours_share",
    "age_days",
    *CATEGORIES,
)


@dataclass
class Source:
    """The contract's three tables, parsed once: indicator rows sorted for "latest known"."""

    enterprises: pd.DataFrame  # indexed by enterprise_id
    indicators: pd.DataFrame  # enterprise_id, month_end, known_from, NUMBERS
    stoppages: pd.DataFrame  # enterprise_id, started, known_from


def _read(folder: Path, name: str) -> pd.DataFrame:
    parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
    if parquet.exists():
        return pd.read_parquet(parquet).astype({"enterprise_id": "str"})
    if csv.exists():
        return pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
    raise SystemExit(f"{folder}: neither {name}.csv nor {name}.parquet")


def read_source(folder: Path) -> Source:
    """Parse a contract folder as the contract says: an empty `reported_at` defaults (month end + 20
    days for an indicator row, `started` for an incident), and the rows of a conflict are left out."""
    ent = _read(folder, "enterprises").drop_duplicates("enterprise_id").set_index("enterprise_id")
    ent["founded"] = pd.to_datetime(ent["founded"]) if "founded" in ent else pd.NaT
    ent["closed"] = pd.to_datetime(ent["closed"]) if "closed" in ent else pd.NaT
    for column in CATEGORIES:
        ent[column] = ent[column].astype("str").astype("category")

    raw = _read(folder, "indicators")
    month_end = pd.to_datetime(raw["month"].astype("str") + "-01") + pd.offsets.MonthEnd(0)
    reported = (
        pd.to_datetime(raw["reported_at"]) if "reported_at" in raw else pd.Series(pd.NaT, index=raw.index)
    )
    ind = pd.DataFrame(
        {
            "enterprise_id": raw["enterprise_id"].astype("str"),
            "month_end": month_end,
            "known_from": reported.fillna(month_end + pd.Timedelta(days=REPORTING_LAG_DAYS)),
        }
    )
    for column in NUMBERS:
        ind[column] = pd.to_numeric(raw[column], errors="coerce") if column in raw else np.nan
    ind = ind[ind["enterprise_id"].isin(ent.index)].drop_duplicates()
    # Two different rows of one month reported on the same day are a conflict: neither is used.
    ind = ind[~ind.duplicated(["enterprise_id", "month_end", "known_from"], keep=False)]
    ind = ind.sort_values(["enterprise_id", "month_end", "known_from"], kind="stable").reset_index(drop=True)

    inc = _read(folder, "incidents")
    inc = inc[inc["kind"] == TARGET_KIND]
    started = pd.to_datetime(inc["started"])
    reported = (
        pd.to_datetime(inc["reported_at"]) if "reported_at" in inc else pd.Series(pd.NaT, index=inc.index)
    )
    stoppages = pd.DataFrame(
        {
            "enterprise_id": inc["enterprise_id"].astype("str"),
            "started": started,
            "known_from": reported.fillna(started),
        }
    )
    return Source(ent, ind, stoppages)


def snapshot(source: Source, day: pd.Timestamp) -> pd.DataFrame:
    """Each operating enterprise with a row known by `day`: its latest known figures as features."""
    known = source.indicators[source.indicators["known_from"] <= day]
    # Sorted by month then report: the last row is the latest month at its latest revision.
    last = known.groupby("enterprise_id", sort=False).tail(1).set_index("enterprise_id")
    ent = source.enterprises.loc[last.index]
    operating = ((ent["founded"].isna()) | (ent["founded"] <= day)) & (
        (ent["closed"].isna()) | (ent["closed"] > day)
    )
    last, ent = last[operating.to_numpy()], ent[operating.to_numpy()]
    staff = last["headcount"].where(last["headcount"] > 0)
    out = pd.DataFrame(
        {
            "headcount": last["headcount"],
            "avg_wage_vnd": last["avg_wage_vnd"],
            "wage_arrears_months": last["wage_arrears_months"],
            "insurance_debt_months": last["insurance_debt_months"],
            "layoff_share": last["layoffs"] / staff,
            "reduced_hours_share": last["reduced_hours_workers"] / staff,
            "age_days": (day - last["month_end"]).dt.days.astype("float64"),
            **{column: ent[column] for column in CATEGORIES},
        },
        index=last.index.rename("enterprise_id"),
    )
    out["as_of"] = day
    return out.sort_index()


def outcomes(
    source: Source, frame: pd.DataFrame, day: pd.Timestamp, known_by: pd.Timestamp | None
) -> np.ndarray:
    """1 where a stoppage starts in (day, day + 3 months], from stoppages known by `known_by` (None: all)."""
    stops = (
        source.stoppages if known_by is None else source.stoppages[source.stoppages["known_from"] <= known_by]
    )
    window = (stops["started"] > day) & (stops["started"] <= day + pd.DateOffset(months=HORIZON_MONTHS))
    return np.asarray(frame.index.isin(stops.loc[window, "enterprise_id"].unique()), dtype=np.int64)


def training_table(source: Source, as_of: pd.Timestamp) -> pd.DataFrame:
    """Month-end snapshots whose outcome window closed by `as_of`, labelled with what was known then."""
    first = source.indicators["month_end"].min() + pd.DateOffset(months=6)
    last = as_of - pd.DateOffset(months=HORIZON_MONTHS)
    parts = []
    for day in pd.date_range(first, last, freq="ME"):
        part = snapshot(source, day)
        part["y"] = outcomes(source, part, day, as_of)
        parts.append(part)
    if not parts:
        raise SystemExit(f"no labelled month before {as_of.date()}")
    return pd.concat(parts)


def fit_references(train: pd.DataFrame, seed: int = 0) -> dict[str, Any]:
    """Three gradient-boosting references on the simple features, as an outside modeller might fit them.

    - `gbm_stock`: scikit-learn's HistGradientBoostingClassifier with its defaults.
    - `gbm_careful`: small trees, strong regularization, stopped on the last six labelled
      months (a later slice), all other months fitted.
    - `gbm_classic`: GradientBoostingClassifier's defaults on every positive and a 10% sample of
      negatives weighted 10 (it does not scale to millions of rows).
    """
    X, y = train[list(FEATURES)], train["y"].to_numpy()
    stock = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed).fit(X, y)

    later = train["as_of"] > train["as_of"].max() - pd.DateOffset(months=6)
    careful = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=300,
        max_leaf_nodes=7,
        min_samples_leaf=400,
        l2_regularization=10.0,
        categorical_features="from_dtype",
        early_stopping=True,
        scoring="loss",
        n_iter_no_change=25,
        random_state=seed,
    )
    careful.fit(
        X[~later.to_numpy()], y[~later.to_numpy()], X_val=X[later.to_numpy()], y_val=y[later.to_numpy()]
    )

    keep = (y == 1) | (np.random.default_rng(seed).random(len(y)) < 0.1)
    classic = make_pipeline(
        FunctionTransformer(_category_codes), GradientBoostingClassifier(random_state=seed)
    )
    classic.fit(X[keep], y[keep], gradientboostingclassifier__sample_weight=np.where(y[keep] == 1, 1.0, 10.0))
    return {"gbm_stock": stock, "gbm_careful": careful, "gbm_classic": classic}


def _category_codes(X: pd.DataFrame) -> pd.DataFrame:
    """Categories as their codes and missing numbers as −1, for learners without either."""
    out = X.copy()
    for column in CATEGORIES:
        out[column] = out[column].cat.codes
    return out.fillna(-1)


def reference_scores(models: dict[str, Any], frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each reference's probability for the rows of `frame`."""
    X = frame[list(FEATURES)]
    return {name: model.predict_proba(X)[:, 1] for name, model in models.items()}


def checklist(frame: pd.DataFrame) -> np.ndarray:
    """The officers' checklist: arrears ≥ 1 month or insurance debt ≥ 3 months first, then by months owed."""
    arrears, debt = frame["wage_arrears_months"].fillna(0), frame["insurance_debt_months"].fillna(0)
    return (((arrears >= 1) | (debt >= 3)) * 100.0 + arrears + debt / 10.0).to_numpy()


def top_share(rows: pd.DataFrame, score: str, capacity: float) -> np.ndarray:
    """1 for the rows in their month's top ⌈capacity × n⌉ by `score` (ties: enterprise id order)."""
    flags = np.zeros(len(rows), dtype=np.int64)
    positions = np.arange(len(rows))
    for _, index in rows.groupby("as_of", sort=False).indices.items():
        k = math.ceil(capacity * len(index))
        month = rows.iloc[index]
        order = np.lexsort((month["enterprise_id"].to_numpy(), -month[score].to_numpy()))
        flags[positions[index][order[:k]]] = 1
    return flags


def margins(
    rows: pd.DataFrame, models: list[str], capacity: float, resamples: int, seed: int = 0
) -> dict[str, dict[str, float]]:
    """PR-AUC and share caught in the monthly top k per model; for each model other than the
    first, the first's margin over it with a 95% interval from an enterprise bootstrap."""
    y = rows["y"].to_numpy()
    tops = {m: top_share(rows, m, capacity) for m in models}

    def stats(weight: np.ndarray | None) -> dict[str, tuple[float, float]]:
        w = np.ones(len(rows)) if weight is None else weight
        return {
            m: (
                float(average_precision_score(y, rows[m].to_numpy(), sample_weight=w)),
                float((w * y * tops[m]).sum() / (w * y).sum()),
            )
            for m in models
        }

    point = stats(None)
    ids, codes = np.unique(rows["enterprise_id"].to_numpy(), return_inverse=True)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        counts = rng.multinomial(len(ids), np.full(len(ids), 1.0 / len(ids)))
        draws.append(stats(counts[codes].astype(np.float64)))
    first = models[0]
    out: dict[str, dict[str, float]] = {}
    for m in models:
        out[m] = {"pr_auc": point[m][0], "caught": point[m][1]}
        if m != first and draws:
            for i, metric in enumerate(("pr_auc", "caught")):
                diffs = np.array([d[first][i] - d[m][i] for d in draws])
                lo, hi = np.quantile(diffs, [0.025, 0.975])
                out[m][f"{first}_{metric}_margin_lo"] = float(lo)
                out[m][f"{first}_{metric}_margin_hi"] = float(hi)
    return out


def monthly_catches(rows: pd.DataFrame, first: str, other: str, capacity: float) -> tuple[int, int, int]:
    """Months in which `first` caught more, as many, and fewer stoppages in its top k than `other`."""
    caught = rows.assign(
        a=rows["y"] * top_share(rows, first, capacity), b=rows["y"] * top_share(rows, other, capacity)
    )
    per_month = caught.groupby("as_of")[["a", "b"]].sum()
    diff = per_month["a"] - per_month["b"]
    return int((diff > 0).sum()), int((diff == 0).sum()), int((diff < 0).sum())


def judge(source: Source, ranks: Path, as_of: pd.Timestamp) -> pd.DataFrame:
    """The rows the champion scored at each month end, beside the judge's own scores and outcomes."""
    train = training_table(source, as_of)
    print(f"judge's training table: {len(train):,} rows, {int(train['y'].sum())} positive", flush=True)
    models = fit_references(train)
    parts = []
    for path in sorted(ranks.glob("*.csv")):
        day = pd.Timestamp(path.stem)
        champion = pd.read_csv(path, dtype={"enterprise_id": str}).set_index("enterprise_id")["score"]
        frame = snapshot(source, day)
        only_product = champion.index.difference(frame.index)
        only_judge = frame.index.difference(champion.index)
        if len(only_product) or len(only_judge):
            print(
                f"{day.date()}: universes differ: {len(only_product)} only scored by the product, "
                f"{len(only_judge)} only by the judge, e.g. {list(only_product[:3]) + list(only_judge[:3])}"
            )
        frame = frame.join(champion.rename("champion"), how="inner")
        frame["y"] = outcomes(source, frame, day, None)
        for name, score in reference_scores(models, frame).items():
            frame[name] = score
        frame["checklist"] = checklist(frame)
        parts.append(frame.reset_index())
    if not parts:
        raise SystemExit(f"{ranks}: no ranking exported")
    return pd.concat(parts, ignore_index=True)


def run_product(source: Path, workspace: Path, as_of: str, first: str, last: str) -> Path:
    """Ingest, train, backfill and export every month end's full ranking with the `ews` command."""
    env = {**os.environ, "EWS_HOME": str(workspace)}
    ews = str(Path(sys.executable).with_name("ews"))

    def run(*args: str) -> None:
        started = time.monotonic()
        subprocess.run([ews, *args], env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"ews {' '.join(args)}: {time.monotonic() - started:.0f} s", flush=True)

    run("ingest", str(source))
    run("train", "--as-of", as_of, "--promote", "auto")
    run("backfill", "--from", first, "--to", last)
    ranks = workspace / "holdout-ranks"
    ranks.mkdir(parents=True, exist_ok=True)
    for month in pd.period_range(first, last, freq="M"):
        day = month.end_time.normalize().date().isoformat()
        subprocess.run(
            [
                ews,
                "rank",
                "--as-of",
                day,
                "--top",
                "0",
                "--format",
                "csv",
                "--output",
                str(ranks / f"{day}.csv"),
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return ranks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="A contract folder (CSV or Parquet).")
    parser.add_argument("--as-of", default="2025-06-25", help="Training date D.")
    parser.add_argument("--from", dest="first", default="2025-06", help="First scored month YYYY-MM.")
    parser.add_argument("--to", dest="last", default="2026-07", help="Last scored month YYYY-MM.")
    parser.add_argument("--workspace", type=Path, help="EWS_HOME to use (default: a temporary one).")
    parser.add_argument(
        "--judge-only", action="store_true", help="Judge the rankings already in --workspace."
    )
    parser.add_argument("--capacity", type=float, default=0.01, help="Share of each month reviewed.")
    parser.add_argument("--bootstrap", type=int, default=200, help="Enterprise resamples for intervals.")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        workspace = args.workspace or Path(tmp)
        if args.judge_only:
            if args.workspace is None:
                raise SystemExit("--judge-only needs --workspace")
            ranks = workspace / "holdout-ranks"
        else:
            if workspace.exists() and any(workspace.iterdir()):
                raise SystemExit(f"{workspace}: not empty; the product must start from a fresh workspace")
            ranks = run_product(args.source, workspace, args.as_of, args.first, args.last)
        source = read_source(args.source)
        rows = judge(source, ranks, pd.Timestamp(args.as_of))
    names = ["champion", "gbm_stock", "gbm_careful", "gbm_classic", "checklist"]
    figures = margins(rows, names, args.capacity, args.bootstrap)
    print(
        f"\n{len(rows):,} rows over {rows['as_of'].nunique()} month ends, {int(rows['y'].sum())} positive; "
        f"capacity {args.capacity:.0%} a month; {time.monotonic() - started:.0f} s in all\n"
    )
    print(
        "| model | PR-AUC | caught in top k | champion's PR-AUC margin (95%) | champion's caught margin (95%) "
        "| months the champion caught more / as many / fewer |"
    )
    print("|---|---|---|---|---|---|")
    for name in names:
        f = figures[name]
        pr = (
            f"{f['champion_pr_auc_margin_lo']:+.4f} … {f['champion_pr_auc_margin_hi']:+.4f}"
            if name != "champion" and args.bootstrap
            else ""
        )
        ca = (
            f"{f['champion_caught_margin_lo']:+.3f} … {f['champion_caught_margin_hi']:+.3f}"
            if name != "champion" and args.bootstrap
            else ""
        )
        months = (
            ""
            if name == "champion"
            else " / ".join(map(str, monthly_catches(rows, "champion", name, args.capacity)))
        )
        print(f"| {name} | {f['pr_auc']:.4f} | {f['caught']:.3f} | {pr} | {ca} | {months} |")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
