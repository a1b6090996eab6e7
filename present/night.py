"""One scored night in the workspace: where its report goes, whether it is published whole,
the past nights it is compared with, and the Markdown and tables the scoring run shows.

The nightly flow (`flows.score`) calls these; the rules of ranking and of the checks live
below, in `outputs.ranking` and `judging.night_checks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from data.database import DatabaseLike
from data.settings import Settings
from judging import monitoring
from judging.night_checks import ActedCalibration, Alert, calibration_by_action
from outputs import rankings
from present.exports import verify_exports

# Rows of the ranking shown in the scoring run's top-k table.
TOP_ROWS = 20
TOP_COLUMNS = ["rank", "enterprise_id", "name", "score", "band", "reasons"]
CALIBRATION_COLUMNS = [
    "band",
    "nights",
    "rows",
    "events",
    "expected",
    "mean_predicted",
    "observed_rate",
    "z",
    "status",
]


def report_path(settings: Settings, as_of: str) -> Path:
    """Where the HTML report of one night is written."""
    return settings.root / "reports" / f"report-{as_of}.html"


def night_complete(settings: Settings, as_of: str) -> bool:
    """True when the night is published whole: the run that wrote its rows also finished its
    exports (which still verify), report and checks (`rankings.mark_complete`).

    A run killed after the database commit but before the end is not complete, so the
    catch-up scores that night again.
    """
    return (
        as_of in rankings.completed_dates(settings.db_path)
        and verify_exports(settings.exports_dir, as_of)
        and report_path(settings, as_of).is_file()
    )


def previous_ranking(db_path: DatabaseLike, as_of: str) -> pd.DataFrame | None:
    """The latest ranking published before `as_of`, for movers and churn (None: first night)."""
    earlier = [d for d in rankings.scored_dates(db_path) if d < as_of]
    return rankings.read_ranking(db_path, earlier[-1]) if earlier else None


def calibration_watch(
    settings: Settings, incidents: pd.DataFrame, as_of: str, actions: pd.DataFrame
) -> tuple[pd.DataFrame, ActedCalibration]:
    """Published probabilities of past nights (one a month, horizon closed) against the outcomes:
    the table over every row (the report's), and the same nights with the rows acted on apart
    (`night_checks.calibration_by_action`, whose table the alert judges). One read of the nights."""
    horizon = settings.horizon_months
    nights = monitoring.calibration_nights(rankings.scored_dates(settings.db_path), as_of, horizon)
    published = rankings.read_scores(settings.db_path, nights)
    table = monitoring.calibration_against_outcomes(published, incidents, horizon, as_of_cutoff=as_of)
    design_effect = float(min(horizon, max(len(nights), 1)))
    by_action = calibration_by_action(published, incidents, actions, as_of=as_of, horizon_months=horizon)
    return monitoring.calibration_check(table, design_effect=design_effect), by_action


def calibration_markdown(calibration: pd.DataFrame) -> str:
    """The calibration table as Markdown for the Prefect artifact (empty string when empty)."""
    if calibration.empty:
        return ""
    columns = CALIBRATION_COLUMNS
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for record in calibration.loc[:, columns].to_dict("records"):
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in record.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def night_checks_markdown(
    *,
    as_of: str,
    report: Path,
    exports: dict[str, Path],
    k: int,
    churn_share: float | None,
    stale_share: float,
    alerts: Sequence[Alert],
    calibration: pd.DataFrame,
) -> str:
    """The night's checks for the Prefect artifact: where the report and exports are, churn,
    staleness, the alerts raised and the calibration table."""
    return (
        f"# Checks for {as_of}\n\n- report: `{report}`\n- exports: `{exports['csv'].parent}`\n"
        f"- top-{k} churn: {'n/a (first night)' if churn_share is None else f'{churn_share:.0%}'}\n- stale enterprises: {stale_share:.1%}\n"
        + "".join(f"- **{kind}** ({severity}): {message}\n" for kind, severity, message, _ in alerts)
        + "\n## Calibration against outcomes\n\n"
        + (calibration_markdown(calibration) or "No past night has a closed horizon yet.\n")
    )


def top_table(ranking: pd.DataFrame) -> list[dict[str, Any]]:
    """The first `TOP_ROWS` of the ranking as records, for the Prefect table artifact."""
    top = ranking.head(TOP_ROWS)
    return [{str(k): v for k, v in r.items()} for r in top[TOP_COLUMNS].to_dict(orient="records")]


def band_counts(ranking: pd.DataFrame) -> dict[Any, int]:
    """How many enterprises are in each band tonight."""
    return ranking["band"].value_counts().to_dict()


def score_summary_markdown(
    *, as_of: str, model_name: str, version: str, rows: int, bands: dict[Any, int]
) -> str:
    """The scoring run's summary for the Prefect artifact: the model and the band counts."""
    return (
        f"# Scoring as of {as_of}\n\n"
        f"Model {model_name} v{version}; {rows} enterprises scored.\n\n"
        + "\n".join(f"- {band}: {count}" for band, count in sorted(bands.items()))
    )
