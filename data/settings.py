"""Where things live and how runs are tuned: read from the environment at run time.

Nothing here is read at import. `Settings()` is built by the CLI and by each flow when it
starts, so that two workspaces (two `EWS_HOME`s) never touch each other.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from data import workspace as layout
from data.database import Database
from data.workspace import DEFAULT_HOME
from vocab.terms import DEFAULT_CAPACITY

#: Bounded waits on the external services (I6), applied where the operator set none. A
#: request is tried 1 + retries times, each try bounded by the timeout, with backoff between
#: tries (MLflow 0, 4, 8 s; Prefect 2, 4, 8 s; plus jitter): a server that accepts and never
#: answers fails a request within about 100 s (MLflow) or 80 s (Prefect), a closed port
#: within about 15 s (Prefect at once before its first connection). MLflow's own defaults (7
#: retries of 120 s) would wait 20 minutes, Prefect's (5 of 60 s) 7. More Prefect retries
#: would ride out a longer server restart, but a run that loses its server makes several
#: calls, each waiting its retries (measured: ~70 s from the loss to the exit with these).
#: SQLite waits for a lock `data.sqlite.BUSY_TIMEOUT_SECONDS` (MLflow's store: 20 s itself).
SERVICE_TIMEOUT_DEFAULTS: dict[str, str] = {
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "2",
    "PREFECT_API_REQUEST_TIMEOUT": "15",
    "PREFECT_CLIENT_MAX_RETRIES": "3",
    # With a tracking server, MLflow prints "View run ... at <url>" on stdout at each run's
    # end, which breaks `ews train --json` (one JSON document on stdout).
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
}


def apply_timeout_defaults() -> None:
    """Set :data:`SERVICE_TIMEOUT_DEFAULTS` in the environment where the operator set nothing.

    MLflow reads its variables at each request, so the registry calls this before each use;
    Prefect reads its own at import, so :func:`configure_environment` sets them first.
    """
    for key, value in SERVICE_TIMEOUT_DEFAULTS.items():
        if not os.environ.get(key):
            os.environ[key] = value


class Settings(BaseSettings):
    """Workspace location and run defaults (`EWS_*` environment variables)."""

    model_config = SettingsConfigDict(env_prefix="EWS_", extra="ignore")

    home: Path = Field(default=DEFAULT_HOME, description="Workspace folder (EWS_HOME).")
    model_name: str = Field(default="labor-ews", description="Registered model name in MLflow.")
    experiment: str = Field(default="labor-ews", description="MLflow experiment name.")
    horizon_months: int = Field(default=3, ge=1, le=12, description="Target horizon H.")
    max_bad_share: float = Field(
        default=0.05, ge=0, le=1, description="Share of bad rows above which a delivery is refused."
    )
    max_file_mb: float = Field(
        default=4096,
        gt=0,
        description="Largest file a delivery or an agency may bring, in MB (EWS_MAX_FILE_MB).",
    )
    max_cell_kb: float = Field(
        default=64, gt=0, description="Largest cell of a delivered table, in KB (EWS_MAX_CELL_KB)."
    )
    capacity: float = Field(
        default=DEFAULT_CAPACITY, gt=0, description="Analysts' monthly capacity: a share (<1) or a count."
    )
    seed: int = Field(default=0, description="Seed for every random choice in training.")
    alert_webhook_url: str | None = Field(
        default=None, description="Operator's webhook that receives alerts as JSON (EWS_ALERT_WEBHOOK_URL)."
    )
    db_url: str | None = Field(
        default=None,
        repr=False,  # it may hold a password
        description="The workspace database as a SQLAlchemy URL (EWS_DB_URL), e.g. "
        "postgresql+psycopg://user@host:5432/ews; unset, the SQLite file ews.db in the workspace.",
    )
    dashboard_url: str | None = Field(
        default="http://127.0.0.1:8501/",
        description="Where the analysts' page is served (`ews dashboard`'s default), linked from the nightly report.",
    )
    dask_address: str | None = Field(
        default=None,
        description=(
            "Scheduler of a running Dask cluster (`tcp://host:8786`) on which the backtest runs, one "
            "Prefect task per origin and member (EWS_DASK_ADDRESS). Its workers need this code installed "
            "and, on other machines, PREFECT_API_URL naming a Prefect server they reach. Unset: "
            "EWS_DASK_WORKERS decides."
        ),
    )
    dask_workers: int = Field(
        default=0,
        ge=0,
        description=(
            "Without EWS_DASK_ADDRESS: worker processes of a local Dask cluster started for the "
            "backtest, one thread each (EWS_DASK_WORKERS). 0 (default): the backtest's fits run one "
            "after another in the training process, which is faster for a backtest of a few fits."
        ),
    )
    dask_fit_threads: int = Field(
        default=1,
        ge=1,
        description=(
            "Threads each backtest fit may use on a Dask worker, read where the worker runs "
            "(EWS_DASK_FIT_THREADS). 1 (default): one fit per core, and the figures equal the "
            "serial run's at one thread. A machine without the memory for one fit per core (a "
            "national boosted-trees fit needs about 11 GB) runs one single-thread worker whose "
            "fits use all its cores, e.g. 2 on 2 cores; probabilities then move in the last digits."
        ),
    )

    training_on_disk: bool = Field(
        default=False,
        description=(
            "Stream the training table to a Parquet file in the workspace's tmp/ folder while it "
            "is built, and let each backtest fit read only the months it needs "
            "(EWS_TRAINING_ON_DISK); for national tables. With a Dask cluster on other machines, "
            "the workspace must be reachable there at the same path. Off: the table is held in memory."
        ),
    )

    @property
    def root(self) -> Path:
        """The workspace folder, expanded and absolute."""
        return self.home.expanduser().resolve()

    @property
    def store_dir(self) -> Path:
        return layout.store_dir(self.root)

    @property
    def db_path(self) -> Database:
        """The workspace database (rankings, runs, reviews, alerts, champion history):
        `EWS_DB_URL`, else the SQLite file `$EWS_HOME/ews.db`."""
        return layout.database(self.root, self.db_url)

    @property
    def mlflow_dir(self) -> Path:
        return self.root / "mlflow"

    @property
    def prefect_dir(self) -> Path:
        return self.root / "prefect"

    @property
    def tmp_dir(self) -> Path:
        """Scratch files of runs (a training table on disk), removed when the run ends."""
        return self.root / "tmp"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    @property
    def sources_file(self) -> Path:
        """The default sources file (``ews pull``, ``ews sources``): ``$EWS_HOME/sources.toml``."""
        return self.root / "sources.toml"

    @property
    def mlflow_tracking_uri(self) -> str:
        """The tracking URI in force: `MLFLOW_TRACKING_URI` or the workspace's SQLite file."""
        return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{self.mlflow_dir / 'mlflow.db'}"

    @property
    def mlflow_artifact_root(self) -> str | None:
        """Artifact root for a new experiment on the embedded store; a server decides its own."""
        if self.mlflow_tracking_uri.startswith("sqlite:"):
            return (self.mlflow_dir / "artifacts").as_uri()
        return None


#: How long a command waits for its temporary Prefect server to start (Prefect's own 20 s is
#: missed on a loaded machine: the start costs 15 CPU-seconds on a fresh database).
TEMPORARY_SERVER_START_SECONDS = 120


def configure_environment(settings: Settings, *, verbose: bool = False) -> None:
    """Point Prefect and MLflow at the workspace unless the operator set real servers.

    Must run before `prefect` or `mlflow` is imported: both read their settings at import.
    Run logs go to the Prefect API in full; the console shows them only when `verbose`,
    so that a failure reaches the user as the CLI's one line, not as a logged traceback.
    """
    root = settings.root
    if not root.exists():
        # The workspace holds enterprise records and models: private to its owner.
        root.mkdir(parents=True, mode=0o700)
        root.chmod(0o700)
    settings.mlflow_dir.mkdir(parents=True, exist_ok=True)
    settings.prefect_dir.mkdir(parents=True, exist_ok=True)
    defaults = {
        "PREFECT_HOME": str(settings.prefect_dir),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(TEMPORARY_SERVER_START_SECONDS),
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "INFO" if verbose else "CRITICAL",
        # Prefect's machinery (its events worker, when the API has gone) logs to stderr itself.
        "PREFECT_INTERNAL_LOGGING_LEVEL": "ERROR" if verbose else "CRITICAL",
        "MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
        "GIT_PYTHON_REFRESH": "quiet",
        "MLFLOW_LOGGING_LEVEL": "INFO" if verbose else "WARNING",
        # MLflow draws a progress bar on stderr for every model it downloads.
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "true" if verbose else "false",
    }
    # One Prefect server per workspace: while `ews serve` runs, every command uses its server
    # rather than a temporary one of its own on the same database (and its 15 s start).
    if not os.environ.get("PREFECT_API_URL"):
        from data.workspace import running_server

        url = running_server(settings.prefect_dir)
        if url:
            defaults["PREFECT_API_URL"] = url
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    apply_timeout_defaults()
    # MLflow reads its level at import; an already imported MLflow is quietened here.
    logging.getLogger("mlflow").setLevel(logging.INFO if verbose else logging.WARNING)
    if not verbose:
        # A log handler that fails (Prefect's, sending run logs to an API that has gone)
        # says nothing rather than printing its own error on stderr.
        logging.raiseExceptions = False


def code_version() -> str:
    """The git commit of the running code, or 'unknown' outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"
