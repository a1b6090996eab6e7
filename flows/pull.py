"""Pull the declared agency sources: one Prefect task per source, retries for remote fetches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from data.agency import FetchFailed
from data.pull import COUNT_KEYS, SourceReport, pull_source
from data.settings import Settings
from data.sources import load_sources
from data.store import Store
from flows.hooks import PULL_TIMEOUT_SECONDS, alert_on_failure
from vocab.months import today_in_vietnam


def _pull_one(
    sources_file: str,
    name: str,
    store_dir: str,
    home: str,
    accept_volume: bool = False,
    retry_fetch: bool = False,
) -> dict[str, Any]:
    """Pull one source; a refusal is reported, never raised, so the other sources go on.

    With `retry_fetch` (remote sources) a file that could not be fetched is raised instead,
    so that Prefect tries the source again; the files already stored are recognised by
    their digest on the next try and change nothing.
    """
    sources = load_sources(Path(sources_file))
    report: SourceReport = pull_source(
        sources, name, Store(Path(store_dir)), Path(home), accept_volume=accept_volume
    )
    if retry_fetch and report.fetch_failed:
        raise FetchFailed("; ".join(report.refused))
    return report.to_json()


_local = task(name="pull-source", cache_policy=NO_CACHE)(_pull_one)
_remote = task(
    name="pull-remote-source", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[10, 60, 300]
)(_pull_one)


def _markdown(reports: list[dict[str, Any]]) -> str:
    lines = [
        "# Pull",
        "",
        "| source | table | status | " + " | ".join(COUNT_KEYS) + " |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        for table, counts in r["tables"].items():
            lines.append(
                f"| {r['source']} | {table} | {r['status']} | "
                + " | ".join(str(counts[k]) for k in COUNT_KEYS)
                + " |"
            )
    refused = [line for r in reports for line in r["refused"]]
    if refused:
        lines += ["", "## Refused", "", *[f"- {line}" for line in refused]]
    return "\n".join(lines)


def _alert_refusal(settings: Settings, line: str) -> None:
    """A refused agency file is an alert of the day: recorded, and pushed to the webhook."""
    from outputs import alerts

    alerts.record_and_push(
        settings.db_path,
        settings.alert_webhook_url,
        as_of=today_in_vietnam().isoformat(),
        kind="pull-refused",
        severity="warn",
        message=line,
    )


@flow(
    name="pull",
    log_prints=False,
    timeout_seconds=PULL_TIMEOUT_SECONDS,
    on_failure=[alert_on_failure],
    on_crashed=[alert_on_failure],
)
def pull_flow(
    sources_file: str, names: list[str] | None = None, accept_volume: bool = False
) -> list[dict[str, Any]]:
    """Pull the named sources (all by default) in order: enterprises, indicators, incidents.

    ``accept_volume`` stores files the volume check would refuse (``--accept-volume``).
    """
    settings = Settings()
    sources = load_sources(Path(sources_file))
    reports = []
    for name in sources.select(names):
        args = (sources_file, name, str(settings.store_dir), str(settings.root), accept_volume)
        if not sources.source(name).remote:
            reports.append(_local(*args))
            continue
        spec = sources.source(name)
        runner = _remote.with_options(retries=spec.retries, retry_delay_seconds=spec.retry_delay)
        state = runner(*args, retry_fetch=True, return_state=True)
        if state.is_completed():
            reports.append(state.result())
        else:  # retries exhausted: the source is reported refused, the others go on
            message = str(state.result(raise_on_failure=False))
            table = sources.source(name).table
            reports.append(SourceReport(source=name, table=table, refused=[message]).to_json())
    logger = get_run_logger()
    for r in reports:
        if r["status"] == "unchanged" and not r["refused"]:
            logger.info("source %s: nothing new (%d file(s) already pulled)", r["source"], len(r["files"]))
        for table, counts in r["tables"].items():
            logger.info("source %s → %s: %s %s", r["source"], table, r["status"], counts)
        for line in r["refused"]:
            logger.error("refused: %s", line)
            _alert_refusal(settings, line)
    create_markdown_artifact(key="pull-summary", markdown=_markdown(reports))
    return reports
