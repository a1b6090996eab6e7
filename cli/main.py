"""The `ews` command: every subcommand calls a flow or a read-only query, nothing more.

Errors the project raises on purpose print one line on stderr and exit non-zero; any
other failure prints one line too, and the traceback only with `--debug`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from data.errors import UsageError
from data.settings import Settings, configure_environment

app = typer.Typer(
    name="ews",
    help="labor-ews: early warning of collective work stoppages, enterprise by enterprise.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(help="See and move the champion model.", no_args_is_help=True)
app.add_typer(models_app, name="models")
sources_app = typer.Typer(
    help="Check the sources file; list and confirm unmatched rows.", no_args_is_help=True
)
app.add_typer(sources_app, name="sources")
actions_app = typer.Typer(
    help="Record and list what was done about an enterprise (append-only).", no_args_is_help=True
)
app.add_typer(actions_app, name="actions")

# Piped output (reports, CI logs) gets wide tables instead of rich's 80-column default.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 200)
T = TypeVar("T")
#: Exit statuses (README, "Exit status"): scripts tell wrong usage from a refused delivery,
#: a model that does not verify, a busy workspace, and a crash.
EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_ERROR = 2  # usage: a wrong option or value, or a command the workspace is not ready for
EXIT_INPUT_REFUSED = 3
EXIT_INTEGRITY = 4
EXIT_BUSY = 5
RANK_COLUMNS = (
    "rank",
    "enterprise_id",
    "name",
    "district",
    "zone_id",
    "sector",
    "ownership",
    "score",
    "band",
    "reasons",
    "as_of",
    "model_version",
)


class _State:
    debug = False
    verbose = False


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


class SourceFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


class SourceForm(StrEnum):
    contract = "contract"
    agencies = "agencies"


SourcesOption = Annotated[
    Path | None, typer.Option("--sources", help="The sources file (default: $EWS_HOME/sources.toml).")
]
AcceptVolumeOption = Annotated[
    bool,
    typer.Option(
        "--accept-volume",
        help="Store a delivery whose newest months name under 50% or over 3x the enterprises of "
        "the month before (refused otherwise): the operator knows the change is real.",
    ),
]


class Promote(StrEnum):
    auto = "auto"
    never = "never"


def _settings() -> Settings:
    settings = Settings(home=Path(os.environ["EWS_HOME"])) if os.environ.get("EWS_HOME") else Settings()
    configure_environment(settings, verbose=_State.verbose or _State.debug)
    return settings


def exit_status(exc: BaseException) -> int:
    """The exit status of a failure: 3 input refused (a delivery, a source, training data with
    a target leak), 4 integrity refused, 5 workspace busy,
    1 unexpected (a bug, a store that cannot be read or written, memory exhausted), 2 any
    other refusal."""
    if isinstance(exc, MemoryError):
        return EXIT_UNEXPECTED
    try:
        from data.agency import PullRefused
        from data.database import is_busy
        from data.errors import EwsError, IngestRefused, StoreError, WorkspaceBusy
        from data.sources import SourcesError
        from models.leakage import TargetLeak
        from models.registry import ModelIntegrityError
        from outputs.rankings import PublishError
        from present.exports import ExportError
    except MemoryError:  # memory is exhausted (the failure was a symptom of it): no traceback
        return EXIT_UNEXPECTED

    # A database lock held past the wait: SQLite's "database is locked", PostgreSQL's lock timeout.
    if isinstance(exc, WorkspaceBusy) or is_busy(exc):
        return EXIT_BUSY
    if isinstance(exc, (ModelIntegrityError, ExportError)):
        return EXIT_INTEGRITY
    if isinstance(exc, (IngestRefused, PullRefused, SourcesError, TargetLeak)):
        return EXIT_INPUT_REFUSED
    if isinstance(exc, (StoreError, PublishError)) or not isinstance(exc, EwsError):
        return EXIT_UNEXPECTED
    return EXIT_ERROR


def _service_named(exc: Exception) -> Exception:
    """Prefect's transport failures as one line naming the Prefect API (exit 1); any other
    failure as it is."""
    from_prefect = type(exc).__module__.startswith(("httpx", "httpcore", "prefect"))
    if from_prefect or (isinstance(exc, RuntimeError) and "Failed to reach API" in str(exc)):
        from flows.runtime import prefect_unavailable

        return prefect_unavailable(exc) or exc
    return exc


@contextlib.contextmanager
def _progress_bars() -> Any:
    """Rich progress bars on stderr for the steps the work reports, when stderr is a terminal
    (a log file or a pipe gets none)."""
    if not err.is_terminal:
        yield
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from vocab.progress import listening

    bars = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    )  # fmt: skip
    tasks: dict[str, Any] = {}

    def update(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bars.add_task(step, total=max(total, 1))
        bars.update(tasks[step], completed=done, total=max(total, 1))

    with bars, listening(update):
        yield


def _run(action: Callable[[], T]) -> T:
    """Run a command body; turn failures into one line on stderr and the exit status of
    :func:`exit_status` (the traceback only with --debug)."""
    from data.errors import EwsError

    try:
        with _progress_bars():
            return action()
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 - the CLI's promise: one line, no traceback
        if _State.debug or isinstance(exc, MemoryError):
            raise  # memory: main() writes its line without importing anything more
        exc = _service_named(exc)
        status = exit_status(exc)
        if status == EXIT_BUSY:
            message = f"the workspace is busy ({str(exc).strip().splitlines()[0] if str(exc).strip() else 'locked'}); try again when the other run ends"
        elif isinstance(exc, EwsError):
            message = str(exc)
        else:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            message = f"{type(exc).__name__}: {first} (rerun with --debug for details)"
        err.print(f"error: {message}", markup=False, highlight=False)
        raise typer.Exit(status) from None


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        err.print(f"error: {option} must be a date YYYY-MM-DD (got {value!r})", markup=False)
        raise typer.Exit(EXIT_ERROR) from None


def _not_future(day: dt.date | None, option: str) -> dt.date | None:
    """Refuse a date after today (Asia/Ho_Chi_Minh): a night that has not happened has no
    data yet, and its ranking would look current for months."""
    if day is None:
        return None
    from vocab.months import today_in_vietnam

    today = today_in_vietnam()
    if day > today:
        err.print(f"error: {option} {day} is in the future (today is {today})", markup=False)
        raise typer.Exit(EXIT_ERROR)
    return day


def _month(value: str, option: str) -> str:
    try:
        dt.datetime.strptime(value, "%Y-%m")
    except ValueError:
        err.print(f"error: {option} must be a month YYYY-MM (got {value!r})", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    return value


def _language(value: str, option: str = "--lang") -> str:
    """`value` when the catalogue holds it (vi, en); else one line on stderr and exit 2."""
    from vocab.i18n import LANGS, UnknownLanguage, check_lang

    try:
        return check_lang(value)
    except UnknownLanguage:
        err.print(f"error: {option} must be one of {', '.join(LANGS)} (got {value!r})", markup=False)
        raise typer.Exit(EXIT_ERROR) from None


@app.callback()
def main_callback(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors (and the logs).")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Show the runs' INFO logs on the console.")
    ] = False,
) -> None:
    """labor-ews: early warning of collective work stoppages, enterprise by enterprise."""
    _State.debug = debug
    _State.verbose = verbose


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the source into.")],
    preset: Annotated[
        str, typer.Option(help="World preset: hai-duong, demo, tiny or national (written in blocks).")
    ] = "hai-duong",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    start: Annotated[str | None, typer.Option(help="First month YYYY-MM.")] = None,
    end: Annotated[str | None, typer.Option(help="Last month YYYY-MM.")] = None,
    fmt: Annotated[SourceFormat, typer.Option("--format", help="File format.")] = SourceFormat.csv,
    form: Annotated[
        SourceForm,
        typer.Option(
            "--form",
            help="contract: the three contract tables; agencies: the four agencies' own files "
            "(OUT/agencies, with sources.toml) and the same facts in the contract form (OUT/contract).",
        ),
    ] = SourceForm.contract,
) -> None:
    """Write a synthetic source that follows the data contract (and its truth aside)."""
    start = _month(start, "--start") if start else None
    end = _month(end, "--end") if end else None

    def action() -> None:
        import simulator as sim

        if preset not in sim.PRESETS:
            raise UsageError(f"unknown preset {preset!r}; choose from {', '.join(sorted(sim.PRESETS))}")
        if sim.PRESETS[preset].blockwise:  # too large for one World: written block by block
            if form is SourceForm.agencies:
                raise UsageError(f"--form agencies is not available for {preset!r}; use --form contract")
            paths = sim.write_blocks(preset, seed, out_dir, fmt.value, start=start, end=end)
            report = json.loads(paths[-1].read_text(encoding="utf-8"))["report"]
        else:
            world = sim.simulate(preset, seed=seed, start=start, end=end)
            if form is SourceForm.agencies:
                paths = [
                    *sim.write_agencies(world, out_dir, seed=seed),
                    *sim.write_truth(world, out_dir),
                    sim.write_areas(world, out_dir / "areas.csv"),
                ]
            else:
                paths = sim.write_source(world, out_dir, fmt.value)
            report = sim.calibration_report(world)
        out.print(f"wrote {len(paths)} files to {out_dir}")
        for key in ("enterprises", "workers", "stoppages_realized", "stoppages_expected"):
            if key in report:
                out.print(f"  {key}: {report[key]}")

    _run(action)


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help="A folder of CSV/Parquet files or a SQLAlchemy URL.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    accept_volume: AcceptVolumeOption = False,
) -> None:
    """Validate a delivery and add it to the store; bad rows go to quarantine with reasons."""
    settings = _settings()

    def action() -> dict[str, Any]:
        from flows.ingest import hide_password, ingest_flow

        return ingest_flow(hide_password(source), accept_volume=accept_volume)

    report = _run(action)
    if as_json:
        _print_json(report)
        return
    table = Table(title=f"ingest {source} → {settings.store_dir} ({report['status']})")
    for column in ("table", "rows in", "accepted", "quarantined"):
        table.add_column(column, justify="right" if column != "table" else "left")
    for name, counts in report["tables"].items():
        table.add_row(name, str(counts["rows_in"]), str(counts["accepted"]), str(counts["quarantined"]))
    out.print(table)


@app.command()
def pull(
    names: Annotated[
        list[str] | None, typer.Argument(help="Sources to pull (default: all, in order).")
    ] = None,
    sources_file: SourcesOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    accept_volume: AcceptVolumeOption = False,
) -> None:
    """Fetch each declared agency source in its own form, map it to the contract and ingest it."""
    settings = _settings()
    path = sources_file or settings.sources_file

    def action() -> list[dict[str, Any]]:
        from data.sources import load_sources
        from flows.pull import pull_flow

        sources = load_sources(path)
        chosen = sources.select(names)
        return pull_flow(str(path.resolve()), chosen, accept_volume=accept_volume)

    reports = _run(action)
    if as_json:
        _print_json({"sources": reports})
    else:
        table = Table(title=f"pull → {settings.store_dir}")
        for column in (
            "source",
            "table",
            "status",
            "files",
            "rows in",
            "accepted",
            "quarantined",
            "unmatched",
        ):
            table.add_column(column, justify="left" if column in ("source", "table", "status") else "right")
        for r in reports:
            for name, c in r["tables"].items():
                new = sum(1 for f in r["files"] if f["status"] == "stored")
                status = r["status"] if r["status"] != "unchanged" else "nothing new"
                table.add_row(
                    r["source"], name, status, f"{new}/{len(r['files'])}",
                    *(str(c[k]) for k in ("rows_in", "accepted", "quarantined", "unmatched")),
                )  # fmt: skip
        out.print(table)
        for r in reports:
            for line in r["refused"]:
                err.print(f"refused: {line}", markup=False, highlight=False)
    if any(r["refused"] for r in reports):
        raise typer.Exit(EXIT_INPUT_REFUSED)


@sources_app.command("check")
def sources_check(
    name: Annotated[str | None, typer.Argument(help="One source (default: all).")] = None,
    sources_file: SourcesOption = None,
    rows: Annotated[int, typer.Option(help="Rows to show per source.", min=1, max=50)] = 5,
) -> None:
    """Validate the sources file and dry-run each source on its newest file (nothing is stored)."""
    settings = _settings()
    path = sources_file or settings.sources_file

    def action() -> int:
        from data.errors import EwsError
        from data.pull import dry_run
        from data.sources import load_sources
        from data.store import Store

        sources = load_sources(path)
        out.print(f"{path}: {len(sources.names)} sources, valid", markup=False, highlight=False)
        failures = 0
        for source in sources.select([name] if name else None):
            try:
                file, preview = dry_run(sources, source, Store(settings.store_dir), settings.root, rows=rows)
            except EwsError as exc:
                failures += 1
                err.print(f"error: {exc}", markup=False, highlight=False)
                continue
            table = Table(title=f"{source} ← {file}", title_justify="left")
            for column in preview.columns:
                table.add_column(str(column))
            for _, row in preview.iterrows():
                table.add_row(*("" if pd_isna(v) else str(v) for v in row))
            out.print(table)
        return failures

    if _run(action):
        raise typer.Exit(EXIT_INPUT_REFUSED)


def pd_isna(value: Any) -> bool:
    """Missing value test without importing pandas at the top of the CLI."""
    import pandas as pd

    return bool(pd.isna(value))


@sources_app.command("unmatched")
def sources_unmatched(
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List the pulled rows that matched no enterprise, with reasons and the closest candidates."""
    settings = _settings()

    def action() -> Any:
        from data.store import Store

        frame = Store(settings.store_dir).unmatched()
        if source:
            frame = frame.loc[frame["source"] == source]
        return frame

    frame = _run(action)
    columns = [
        c for c in ("source", "file", "row_number", "key", "name", "reason", "candidates") if c in frame
    ]
    if as_json:
        records = frame[columns].astype(object).where(frame[columns].notna(), None).to_dict("records")
        _print_json({"unmatched": records})
        return
    table = Table(title=f"{len(frame)} unmatched rows")
    for column in columns:
        table.add_column(column)
    for _, row in frame[columns].iterrows():
        table.add_row(*("" if pd_isna(v) or v == "nan" else str(v) for v in row))
    out.print(table)


@sources_app.command("confirm")
def sources_confirm(
    source: Annotated[str, typer.Argument(help="The source the row came from.")],
    key: Annotated[str, typer.Argument(help="The row's key, as `ews sources unmatched` shows it.")],
    enterprise_id: Annotated[str, typer.Argument(help="The enterprise it stands for.")],
    by: Annotated[str, typer.Option("--by", help="Who confirms.")] = os.environ.get("USER", "operator"),
) -> None:
    """Confirm that a source's key stands for an enterprise; applies from the next pull."""
    settings = _settings()

    def action() -> None:
        from data.matching import confirm_match
        from data.pull import confirmed_path
        from data.store import Store

        known = set(Store(settings.store_dir).load_enterprises()["enterprise_id"])
        if enterprise_id not in known:
            raise UsageError(f"enterprise {enterprise_id!r} is not in the store")
        confirm_match(
            confirmed_path(settings.root),
            source=source,
            key=key,
            enterprise_id=enterprise_id,
            confirmed_by=by,
            confirmed_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        out.print(
            f"{source} {key} → {enterprise_id}: confirmed; it applies from the next `ews pull`", markup=False
        )

    _run(action)


@app.command()
def train(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Train on what was known at this date (default: today).")
    ] = None,
    promote: Annotated[
        Promote, typer.Option(help="auto: promote only if it beats the champion; never.")
    ] = Promote.auto,
    origins: Annotated[
        int | None,
        typer.Option(
            help="Monthly origins of the rolling backtest (default: 12, fewer if the history is shorter).",
            min=1,
            max=60,
            show_default=False,
        ),
    ] = None,
    truth: Annotated[
        Path | None, typer.Option(help="Simulated worlds only: truth/true_hazard.parquet, for the ceiling.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as one strict JSON object.")
    ] = False,
) -> None:
    """Backtest, fit and register a challenger; promote it only if it beats the champion."""
    from models.train import ModelParams

    as_of_date = _date(as_of, "--as-of")
    settings = _settings()
    if truth is not None and not truth.is_file():
        err.print(f"error: --truth {truth}: no such file", markup=False)
        raise typer.Exit(EXIT_ERROR)

    params = ModelParams(horizon_months=settings.horizon_months, seed=settings.seed)
    if origins is not None:
        params = params.model_copy(update={"backtest_origins": origins})

    def action() -> dict[str, Any]:
        from flows.train import train_flow

        return train_flow(
            as_of=as_of_date,
            promote=promote.value,
            params=params,
            truth=str(truth) if truth else None,
            fit_origins=origins is None,
        )

    summary = _run(action)
    if as_json:
        _print_json(summary)
        return
    out.print(
        f"model {summary['model_name']} version {summary['version']} ({summary['learner']}, as of {summary['as_of']}); "
        f"champion: {'yes' if summary['promoted'] else 'no'} ({summary['decision']})"
    )
    if summary["backtest_origins"] < params.backtest_origins:
        err.print(
            f"note: the history before {summary['as_of']} allows only {summary['backtest_origins']} "
            "backtest origins; the backtest used them all",
            markup=False,
        )
    table = Table(title=f"backtest over {summary['backtest_origins']} monthly origins")
    columns = ("pr_auc", "recall_at_k", "precision_at_k", "lift_at_k", "brier", "roc_auc")
    table.add_column("model")
    for column in columns:
        table.add_column(column, justify="right")
    for model, row in summary["backtest"].items():
        table.add_row(model, *("-" if row.get(c) is None else f"{row[c]:.4f}" for c in columns))
    out.print(table)


@app.command()
def score(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Score as of this date (default: today, Asia/Ho_Chi_Minh).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as one strict JSON object.")
    ] = False,
) -> None:
    """Score every operating enterprise with the champion and publish the ranking."""
    as_of_date = _not_future(_date(as_of, "--as-of"), "--as-of")
    _settings()

    def action() -> dict[str, Any]:
        from flows.score import score_flow

        return score_flow(as_of=as_of_date)

    summary = _run(action)
    if as_json:
        _print_json(summary)
        return
    out.print(
        f"scored {summary['rows']} enterprises as of {summary['as_of']} with model version "
        f"{summary['model_version']}: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["bands"].items()))
    )


@app.command()
def backfill(
    from_month: Annotated[str, typer.Option("--from", help="First month YYYY-MM.")],
    to_month: Annotated[str, typer.Option("--to", help="Last month YYYY-MM.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as one strict JSON object.")
    ] = False,
) -> None:
    """Score the last day of every month in the range with the champion."""
    first, last = _month(from_month, "--from"), _month(to_month, "--to")
    _settings()

    def action() -> list[dict[str, Any]]:
        import pandas as pd

        from flows.score import score_flow

        ends = pd.date_range(pd.Period(first).start_time, pd.Period(last).end_time, freq="ME")
        if len(ends) == 0:
            raise UsageError(f"--from {first} is after --to {last}")
        from vocab.progress import advance

        nights = []
        for done, day in enumerate(ends):
            advance("backfill nights", done, len(ends))
            nights.append(score_flow(as_of=day.date()))
        advance("backfill nights", len(ends), len(ends))
        return nights

    nights = _run(action)
    if as_json:
        _print_json({"nights": nights})
        return
    for summary in nights:
        out.print(f"{summary['as_of']}: {summary['rows']} enterprises, model {summary['model_version']}")


@app.command()
def rank(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Scored date (default: the latest).")] = None,
    top: Annotated[int, typer.Option(help="How many rows (0: all).", min=0)] = 20,
    fmt: Annotated[
        Format, typer.Option("--format", help="table, csv, json or xlsx (xlsx needs --output).")
    ] = Format.table,
    district: Annotated[str | None, typer.Option(help="Only this district.")] = None,
    zone: Annotated[str | None, typer.Option(help="Only this zone id.")] = None,
    sector: Annotated[str | None, typer.Option(help="Only this VSIC 2-digit sector.")] = None,
    lang: Annotated[str, typer.Option(help="Language of the reasons and band labels: vi or en.")] = "vi",
    province: Annotated[str | None, typer.Option(help="Only this province.")] = None,
    ownership: Annotated[str | None, typer.Option(help="Only this ownership: fdi, private or state.")] = None,
    band: Annotated[str | None, typer.Option(help="Only this band: high, elevated, watch or low.")] = None,
    search: Annotated[
        str | None, typer.Option(help="Tax code prefix or part of the name (accents optional).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write csv, json or xlsx to this file.")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="Only acute warnings (an actionable signal: arrears, debt, layoffs, a stoppage nearby)"
            " or structural ones (base rates).",
        ),
    ] = None,
) -> None:
    """The ranking analysts read, with reasons in plain words; the same filters as the analysts' page."""
    from outputs.tables import WARNING_KINDS

    as_of_date = _date(as_of, "--as-of")
    lang = _language(lang)
    if kind is not None and kind not in WARNING_KINDS:
        err.print(Text(f"error: --kind {kind[:40]!r} is not one of {', '.join(WARNING_KINDS)}"), markup=False)
        raise typer.Exit(EXIT_ERROR)
    settings = _settings()
    if fmt is Format.xlsx and output is None:
        err.print("error: --format xlsx writes a file: add --output FILE.xlsx", markup=False)
        raise typer.Exit(EXIT_ERROR)

    def action() -> Any:
        from outputs.rankings import read_ranking
        from outputs.views import RankingFilter, apply_filter, check_filter

        frame = read_ranking(settings.db_path, str(as_of_date) if as_of_date else None)
        choice = RankingFilter(
            province=province,
            district=district,
            zone=zone,
            sector=sector,
            ownership=ownership,
            band=band,
            warning_kind=kind,  # a night scored before kinds were kept has none: nothing matches
            search=search,
        )
        frame = apply_filter(frame, check_filter(choice, frame))
        if lang == "en":
            frame = frame.assign(reasons=frame["reasons_en"])
        return frame.head(top) if top else frame

    frame = _run(action)
    view = frame.loc[:, [*RANK_COLUMNS, "warning_kind"]]
    if fmt is Format.json:
        records = view.astype(object).where(view.notna(), None).to_dict(orient="records")
        text = strict_json(records)
        _emit(text + "\n", output)
    elif fmt is Format.csv:
        from present.exports import escape_formula

        safe = view.copy()
        for column in ("enterprise_id", "name", "district", "zone_id", "reasons", "warning_kind"):
            safe[column] = safe[column].map(escape_formula)
        _emit(safe.to_csv(index=False), output)
    elif fmt is Format.xlsx and output is not None:
        from present.exports import atomic_write_bytes, xlsx_bytes

        _run(lambda: atomic_write_bytes(output, xlsx_bytes(view)))
        out.print(f"wrote {len(view)} rows to {output}")
    else:
        from present.signals import kind_label
        from vocab.formats import format_date, format_probability
        from vocab.i18n import label, t

        night = format_date(view["as_of"].iloc[0], lang) if len(view) else "-"
        table = Table(title=f"{t('page_ranking', lang)}: {t('as_of', lang)} {night}")
        for column in (
            "rank", "enterprise_id", "name", "district", "sector", "score", "band", "warning_kind", "reasons"
        ):  # fmt: skip
            table.add_column(t(column, lang), overflow="fold")
        for row in view.itertuples(index=False):
            table.add_row(
                *(
                    shown(v)
                    for v in (
                        str(row.rank),
                        row.enterprise_id,
                        row.name,
                        row.district or "",
                        row.sector,
                        format_probability(row.score, lang),
                        label("band", row.band, lang),
                        kind_label(row.warning_kind, lang),
                        row.reasons or "",
                    )
                )
            )
        out.print(table)


def shown(value: Any) -> Text:
    """A value from a file or a name as terminal text: never read as Rich markup, and
    control characters (terminal escape codes among them) replaced by U+FFFD."""
    from vocab.formats import plain_text

    return Text(plain_text(value))


def strict_json(value: Any) -> str:
    """One JSON document that strict parsers accept: NaN and infinities become null, and
    dates, paths and numpy numbers become plain text or numbers."""
    import math

    import numpy as np

    def clean(item: Any) -> Any:
        if isinstance(item, dict):
            return {str(k): clean(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [clean(v) for v in item]
        if isinstance(item, np.generic):
            item = item.item()
        if isinstance(item, float) and not math.isfinite(item):
            return None
        if item is None or isinstance(item, (str, int, float, bool)):
            return item
        if isinstance(item, (dt.date, dt.datetime)):
            return item.isoformat()
        return str(item)

    return json.dumps(clean(value), ensure_ascii=False, allow_nan=False)


def _print_json(value: Any) -> None:
    sys.stdout.write(strict_json(value) + "\n")


def _emit(text: str, output: Path | None) -> None:
    """Print `text`, or write it atomically to `output` when given."""
    if output is None:
        sys.stdout.write(text)
        return
    from present.exports import atomic_write_bytes

    _run(lambda: atomic_write_bytes(output, text.encode("utf-8")))
    out.print(f"wrote {output}")


@app.command()
def explain(
    enterprise_id: Annotated[str, typer.Argument(help="Enterprise id (tax code).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Scored date (default: the latest).")] = None,
    lang: Annotated[str, typer.Option(help="Language: vi or en.")] = "vi",
) -> None:
    """The score, its reasons, and the indicator history behind them."""
    as_of_date = _date(as_of, "--as-of")
    lang = _language(lang)
    settings = _settings()

    def action() -> None:
        from cli.explain import explain_enterprise

        explain_enterprise(settings, enterprise_id, as_of_date, out, lang)

    _run(action)


@models_app.command("list")
def models_list(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as one strict JSON object.")
    ] = False,
) -> None:
    """Every registered version, its aliases, and who was champion when."""
    settings = _settings()

    def action() -> None:
        from models.registry import list_versions
        from outputs.audit import alias_history

        if as_json:
            history = alias_history(settings.db_path, settings.model_name)
            _print_json(
                {
                    "model": settings.model_name,
                    "versions": list_versions(settings.model_name),
                    "champion_history": history.astype(object)
                    .where(history.notna(), None)
                    .to_dict("records"),
                }
            )
            return

        table = Table(title=f"model {settings.model_name}")
        for column in ("version", "aliases", "as_of", "pr_auc", "recall_at_k", "created", "run_id"):
            table.add_column(column)
        for row in list_versions(settings.model_name):
            table.add_row(
                *(
                    str(row[c])
                    for c in ("version", "aliases", "as_of", "pr_auc", "recall_at_k", "created", "run_id")
                )
            )
        out.print(table)
        history = alias_history(settings.db_path, settings.model_name)
        if len(history):
            moves = Table(title="champion history")
            for column in ("at", "alias", "version", "previous", "actor", "reason"):
                moves.add_column(column)
            for record in history.to_dict("records"):
                moves.add_row(
                    *(str(record[c] or "") for c in ("at", "alias", "version", "previous", "actor", "reason"))
                )
            out.print(moves)

    _run(action)


@models_app.command("promote")
def models_promote(
    version: Annotated[str, typer.Argument(help="The version to make champion.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the history).")] = "manual promotion",
) -> None:
    """Make a version the champion; the move is recorded."""
    settings = _settings()

    def action() -> str:
        from models.champion import promote_version

        return promote_version(settings.model_name, settings.db_path, version, reason)

    out.print(_run(action))


@models_app.command("trust")
def models_trust(version: Annotated[str, typer.Argument(help="The version to trust.")]) -> None:
    """Record in the workspace the digest of a version registered without one (after checking
    that its files match MLflow's digest and load as an allowed skops model)."""
    settings = _settings()

    def action() -> str:
        from models.champion import trust_version

        return trust_version(settings.model_name, settings.db_path, version)

    out.print(_run(action), markup=False)


@models_app.command("rollback")
def models_rollback() -> None:
    """Give the champion alias back to the version that held it before."""
    settings = _settings()

    def action() -> str:
        from models.champion import rollback

        return rollback(settings.model_name, settings.db_path)

    out.print(_run(action))


@actions_app.command("add")
def actions_add(
    enterprise_id: Annotated[str, typer.Argument(help="Enterprise id (tax code).")],
    kind: Annotated[
        str,
        typer.Option(help="inspection, mediation, wage_payment, insurance_payment or support."),
    ],
    started: Annotated[str, typer.Option(help="First day of the action, YYYY-MM-DD.")],
    ended: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD (none while under way).")] = None,
    outcome: Annotated[
        str | None, typer.Option(help="paid, agreed, no_change or pending (none when not known).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Free text (at most 1000 characters).")] = None,
    by: Annotated[str, typer.Option("--by", help="Who records it.")] = os.environ.get("USER", "operator"),
) -> None:
    """Record an action taken about an enterprise; a value that does not fit exits 3."""
    settings = _settings()

    def action() -> Any:
        from outputs.actions import ActionRefused, record_action

        try:
            return record_action(
                settings.db_path,
                enterprise_id=enterprise_id,
                kind=kind,
                started=started,
                ended=ended,
                outcome=outcome,
                note=note,
                recorded_by=by,
            )
        except ActionRefused as exc:  # input refused: one line, exit 3
            err.print(f"error: {exc}", markup=False, highlight=False)
            raise typer.Exit(EXIT_INPUT_REFUSED) from None

    saved = _run(action)
    out.print(
        shown(f"action {saved.id}: {saved.kind} at {saved.enterprise_id} recorded by {saved.recorded_by}")
    )


@actions_app.command("list")
def actions_list(
    enterprise: Annotated[str | None, typer.Option("--enterprise", help="Only this enterprise.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as one strict JSON object.")
    ] = False,
    lang: Annotated[str, typer.Option(help="Language of the kinds and outcomes: vi or en.")] = "vi",
) -> None:
    """Every recorded action (of one enterprise), in the order recorded."""
    lang = _language(lang)
    settings = _settings()

    def action() -> Any:
        from outputs.actions import read_actions

        return read_actions(settings.db_path, enterprise_id=enterprise)

    frame = _run(action)
    if as_json:
        _print_json({"actions": frame.to_dict("records")})
        return
    from vocab.i18n import label, t

    table = Table(title=f"{t('actions', lang)}: {len(frame)}")
    columns = ("enterprise_id", "action", "started", "ended", "outcome", "note", "recorded_by", "recorded_at")
    for column in columns:
        table.add_column(t(column, lang), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(
            *(
                shown(v or "")
                for v in (
                    row.enterprise_id,
                    label("action", row.kind, lang),
                    row.started,
                    row.ended,
                    label("outcome", row.outcome, lang) if row.outcome else "",
                    row.note,
                    row.recorded_by,
                    row.recorded_at,
                )
            )
        )
    out.print(table)


@app.command()
def brief(
    enterprise_id: Annotated[str, typer.Argument(help="Enterprise id (tax code).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write (printable, A4).")],
    night: Annotated[
        str | None, typer.Option("--night", help="Scored night YYYY-MM-DD (default: the latest).")
    ] = None,
    lang: Annotated[str, typer.Option(help="Language: vi or en.")] = "vi",
) -> None:
    """A one-page brief of one enterprise for a field visit: score, reasons, arrears and
    debt over 24 months, incidents and actions, as known on the night (HTML, prints on A4)."""
    from cli.brief import write_brief

    night_date = _date(night, "--night")
    lang = _language(lang)
    settings = _settings()
    path = _run(lambda: write_brief(settings, enterprise_id, night_date, output, lang))
    out.print(shown(f"wrote {path}"))


@app.command()
def deploy(
    pool: Annotated[str, typer.Option(help="Prefect process work pool (created if missing).")] = "ews",
) -> None:
    """Register the schedules with a Prefect work pool, for workers on several machines.

    Needs PREFECT_API_URL (the shared Prefect server). Then run `prefect worker start --pool
    POOL` on each machine that has this project installed and the same settings.
    """
    _settings()
    if not os.environ.get("PREFECT_API_URL"):
        err.print(
            "error: ews deploy needs PREFECT_API_URL: the Prefect server the workers share", markup=False
        )
        raise typer.Exit(EXIT_ERROR)
    from flows import schedule

    names = _run(lambda: schedule.deploy_to_pool(pool))
    for name in names:
        out.print(shown(f"deployed {name} to the work pool {pool}"))


@app.command()
def serve(
    list_only: Annotated[
        bool, typer.Option("--list", help="Only list the deployments and their next runs.")
    ] = False,
) -> None:
    """Run the schedules: nightly scoring (02:00) and monthly retraining (the 1st, 03:00), Asia/Ho_Chi_Minh."""
    # A service's console is its log (journald keeps it): the runs' INFO logs go there.
    _State.verbose = True
    settings = _settings()
    from flows import schedule

    for name, times in _run(lambda: schedule.upcoming(3)).items():
        out.print(f"{name}: next runs " + ", ".join(t.isoformat() for t in times))
    if list_only:
        return

    def action() -> None:
        from flows.server import local_prefect_server

        server = (
            contextlib.nullcontext(os.environ["PREFECT_API_URL"])
            if os.environ.get("PREFECT_API_URL")
            else local_prefect_server(settings.prefect_dir)
        )
        with server as api_url:
            os.environ["PREFECT_API_URL"] = api_url
            _serve_catch_up(schedule)
            out.print(f"serving on {api_url}; stop with Ctrl-C (future runs are kept)")
            schedule.serve_deployments()

    _run(action)


def _serve_catch_up(schedule: Any) -> None:
    """Score the latest missed night once before serving; a failure is reported, not fatal."""
    try:
        result = schedule.catch_up()
    except Exception as exc:  # noqa: BLE001 - the schedules must still be served
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        err.print(f"warning: catch-up of the latest night failed: {message}", markup=False, highlight=False)
        return
    state = result["skipped"] or "scored"
    out.print(f"catch-up: night {result['night']} {state}")
    if result["older_missed"]:
        nights = result["older_missed"]
        out.print(
            f"catch-up: {len(nights)} older missed night(s) not scored ({nights[0]} .. {nights[-1]}); "
            "fill them with `ews backfill` or `ews score --as-of`"
        )


def _streamlit_command(script: str, host: str, port: int) -> list[str]:
    """`streamlit run` with the page's safe settings: headless, no telemetry, no tracebacks, no uploads."""
    options = {
        "server.address": host,
        "server.port": str(port),
        "server.headless": "true",
        "server.fileWatcherType": "none",
        "server.runOnSave": "false",
        "server.enableXsrfProtection": "true",
        "server.enableCORS": "true",
        "server.maxUploadSize": "1",
        "browser.gatherUsageStats": "false",
        "client.showErrorDetails": "none",
        "client.toolbarMode": "minimal",
        "global.developmentMode": "false",
        "theme.base": "light",
    }
    return [sys.executable, "-m", "streamlit", "run", script, *(f"--{k}={v}" for k, v in options.items())]


@app.command()
def dashboard(
    host: Annotated[
        str, typer.Option(help="Address to listen on; the default keeps the page on this machine.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8501,
) -> None:
    """The analysts' web page (ranking, enterprises, reviews) on 127.0.0.1; stop with Ctrl-C."""
    import importlib.util
    import ipaddress
    import re
    import signal
    import subprocess

    settings = _settings()
    if not re.fullmatch(r"[A-Za-z0-9.:-]{1,253}", host):
        err.print(f"error: --host {host[:60]!r} is not a host name or address", markup=False)
        raise typer.Exit(EXIT_ERROR)
    with contextlib.suppress(ValueError):
        if not ipaddress.ip_address(host).is_loopback:
            err.print(
                f"warning: listening on {host} exposes the page beyond this machine; "
                "put it behind an authenticating proxy",
                markup=False,
            )

    def action() -> bool:
        from outputs.rankings import scored_dates

        return bool(scored_dates(settings.db_path))

    if not _run(action):
        err.print(
            f"note: {settings.root} has no ranking yet; the page will say so until `ews score` runs",
            markup=False,
        )
    spec = importlib.util.find_spec("app.main")
    if spec is None or spec.origin is None:
        err.print("error: the analysts' page (app/main.py) is not installed", markup=False)
        raise typer.Exit(EXIT_ERROR)
    env = {**os.environ, "EWS_HOME": str(settings.root), "EWS_CAPACITY": str(settings.capacity)}
    out.print(f"analysts' page on http://{host}:{port} (workspace {settings.root}); stop with Ctrl-C")
    process = subprocess.Popen(_streamlit_command(spec.origin, host, port), env=env)

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # a service manager's SIGTERM stops the page like Ctrl-C

    signal.signal(signal.SIGTERM, _stop)
    try:
        code = process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        out.print("stopped")
        return
    if code != 0:
        err.print(f"error: the page stopped with status {code}", markup=False)
        raise typer.Exit(EXIT_ERROR)


@app.command()
def evaluate(
    from_month: Annotated[str, typer.Option("--from", help="First month YYYY-MM.")],
    to_month: Annotated[str, typer.Option("--to", help="Last month YYYY-MM.")],
    train_as_of: Annotated[
        str | None,
        typer.Option("--train-as-of", help="Train the reference as of this date (default: the model's)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    lang: Annotated[str, typer.Option(help="Language of the acted / not-acted table: vi or en.")] = "vi",
) -> None:
    """Score the published month-end rankings against the stoppages that followed, beside a reference GBM and the checklist, then the warnings acted on and not acted on apart."""
    first, last = _month(from_month, "--from"), _month(to_month, "--to")
    trained = _date(train_as_of, "--train-as-of")
    lang = _language(lang)
    _settings()

    def action() -> dict[str, Any]:
        from flows.evaluate import evaluate_flow

        return evaluate_flow(first, last, train_as_of=trained)

    summary = _run(action)
    if as_json:
        _print_json(summary)
        return
    out.print(
        f"model version {summary['model_version']} ({summary['learner']}, trained as of {summary['trained_as_of']}); "
        f"outcomes known until {summary['outcomes_known_until']}; top k = {summary['capacity']:g} per month"
        + (
            f"; left out (outcome window still open): {', '.join(summary['open_months'])}"
            if summary["open_months"]
            else ""
        )
    )
    models = ("model", "reference_gbm", "checklist")
    table = Table(title="PR-AUC and share of stoppages caught in the month's top k")
    for column in (
        "month",
        "rows",
        "positives",
        *(f"{m} pr_auc" for m in models),
        *(f"{m} caught" for m in models),
    ):
        table.add_column(column, justify="left" if column == "month" else "right")
    by_month: dict[str, dict[str, Any]] = {}
    for row in summary["table"]:
        by_month.setdefault(row["month"], {"rows": row["rows"], "positives": row["positives"]})[
            row["model"]
        ] = row
    for month, rows in by_month.items():
        cells = [
            f"{rows[m][key]:.3f}" if m in rows and rows[m][key] == rows[m][key] else "-"
            for key in ("pr_auc", "caught_top_k")
            for m in models
        ]
        table.add_row(month, str(rows["rows"]), str(rows["positives"]), *cells)
    out.print(table)
    # The warnings acted on and not acted on apart (`judging.acted.evaluation_split`).
    from vocab.formats import format_number, format_percent, format_probability, format_significant
    from vocab.i18n import label, t

    split = summary["acted"]

    def rate(value: Any, show: Callable[[Any], str]) -> str:
        return "-" if value is None or value != value else show(value)

    capacity = split["capacity"]
    shown_k = format_percent(capacity, lang) if capacity < 1 else format_number(capacity, lang)
    known = format_number(split["actions_known"], lang)
    out.print(
        Text(
            t(
                "acted_definition",
                lang,
                k=shown_k,
                months=split["window_months"],
                until=split["actions_known_until"],
                actions=known,
            )
        )
    )
    by_action = Table(title=t("acted_title", lang))
    for key in ("acted_group", "band", "acted_warnings", "acted_struck", "acted_stoppages", "acted_hit_rate",
                "acted_mean_predicted", "acted_ratio", "acted_before_action"):  # fmt: skip
        by_action.add_column(t(key, lang), justify="left" if key in ("acted_group", "band") else "right")
    for row in split["table"]:
        band = t("acted_all_bands", lang) if row["band"] == "all" else label("band", row["band"], lang)
        by_action.add_row(
            Text(t(f"acted_group.{row['group']}", lang)),
            Text(band),
            format_number(row["warnings"], lang),
            format_number(row["struck"], lang),
            format_number(row["stoppages"], lang),
            rate(row["hit_rate"], lambda v: format_percent(v, lang)),
            rate(row["mean_predicted"], lambda v: format_probability(v, lang)),
            rate(row["ratio"], lambda v: format_significant(v, lang, 3)),
            format_number(row["struck_before_action"], lang),
        )
    out.print(by_action)


@app.command()
def demo(
    preset: Annotated[str, typer.Option(help="World preset.")] = "demo",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    top: Annotated[int, typer.Option(help="Rows of the ranking to print.")] = 15,
) -> None:
    """Simulate, ingest, train, register, score and print the top of the ranking."""
    settings = _settings()

    def action() -> dict[str, Any]:
        from flows.demo import run_demo

        return run_demo(settings, preset=preset, seed=seed, console=out)

    started = time.monotonic()
    summary = _run(action)
    rank(as_of=summary["as_of"], top=top, fmt=Format.table, district=None, zone=None, sector=None, lang="vi")
    out.print(f"\nworkspace: {settings.root}")
    out.print(f"MLflow: {os.environ.get('MLFLOW_TRACKING_URI')}  (mlflow ui --backend-store-uri ...)")
    out.print(
        f"Prefect: {os.environ.get('PREFECT_API_URL') or 'PREFECT_HOME=' + os.environ.get('PREFECT_HOME', '')}"
    )
    out.print(f"demo finished in {time.monotonic() - started:.0f} s")


#: Exit status of a command stopped by SIGTERM after its cleanup ran: 128 + 15, what a shell
#: also reports for a process the signal killed outright.
EXIT_TERMINATED = 143


class Terminated(BaseException):
    """SIGTERM raised in the main thread, so that `finally` blocks, rollbacks and temp-file
    removal run on the way out (the signal's default action ends the process without them).
    A BaseException like KeyboardInterrupt: no `except Exception` swallows it."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


#: Made before any command runs: out of memory, even making the exit's exception can fail.
_OUT_OF_MEMORY_EXIT = SystemExit(EXIT_UNEXPECTED)
_OUT_OF_MEMORY_LINE = "error: out of memory; free memory or lower the load, then run the command again\n"


def _quiet_out_of_memory(unraisable: Any) -> None:
    """`sys.unraisablehook`: a MemoryError in a finalizer while memory is exhausted (a
    library's generator closed on the way out) is the same failure `main` reports in one
    line, not a second traceback; anything else is reported as Python would."""
    if isinstance(getattr(unraisable, "exc_value", None), MemoryError):
        return
    sys.__unraisablehook__(unraisable)


def main() -> None:
    """Console entry point. SIGTERM ends a command like a failure: its cleanup runs, one line
    on stderr, exit status 143. Inside a flow run Prefect turns the signal into a crash of the
    run first, then hands it back here; `ews serve` and `ews dashboard` install their own."""
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    sys.unraisablehook = _quiet_out_of_memory
    try:
        app()
    except Terminated:
        if _State.debug:
            raise
        err.print(
            "error: stopped by SIGTERM before the command finished; run it again to complete it",
            markup=False,
            highlight=False,
        )
        raise SystemExit(EXIT_TERMINATED) from None
    except MemoryError:
        # Out of memory even to print the failure (Rich imports as it renders): a plain write.
        if _State.debug:
            raise
        sys.stderr.write(_OUT_OF_MEMORY_LINE)
        raise _OUT_OF_MEMORY_EXIT from None


if __name__ == "__main__":
    main()
