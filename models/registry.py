"""The one door to MLflow: log, register, alias, verify and load models.

MLflow reads `MLFLOW_TRACKING_URI` itself (set by the CLI to the workspace's SQLite file
unless the operator points it at a server). A model artifact is executable code whatever
its format, so it is loaded only when (1) the SHA-256 of every file of it matches the digest
recorded at training time, both MLflow's copy and the workspace's own (kept where the
model files' writer cannot rewrite it alone), and (2) it is in the project's skops format
and holds only types of an explicit allow-list, checked before a byte is deserialised.
MLflow's own loader is never used: it would load a pickle as readily. A model trained under
another scikit-learn (major.minor) than the installed one is refused too: its estimators'
internals may have changed between the two.

Every call to MLflow waits a bounded time (`data.settings.SERVICE_TIMEOUT_DEFAULTS`, applied
when the operator set none) and an MLflow server that refuses, fails or does not answer
becomes :class:`RegistryUnavailable`, one line naming the server; never "no model yet" or an
empty list.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import re
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
import requests
import sklearn
import skops
import skops.io as sio
import sqlalchemy
import urllib3
import yaml
from mlflow import MlflowClient
from mlflow.environment_variables import MLFLOW_HTTP_REQUEST_MAX_RETRIES, MLFLOW_HTTP_REQUEST_TIMEOUT
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode
from sklearn.exceptions import InconsistentVersionWarning
from skops.io.exceptions import UntrustedTypesFoundException

from data.errors import EwsError, NotReady, ServiceUnavailable, causes
from data.settings import apply_timeout_defaults
from data.urls import shown_url
from features.sets import DEFAULT_FEATURE_SET

CHAMPION = "champion"
CHALLENGER = "challenger"
#: A short-lived alias: a version is verified through it before the champion moves.
CANDIDATE = "candidate"
DIGEST_TAG = "artifact_sha256"
REFERENCE_FILE = "reference_features.parquet"


#: The only types a model file may hold (the project's learners: calibrated boosted trees,
#: logistic regression with preprocessing, the blend of them). skops trusts scikit-learn's
#: estimators by default; anything else must be named here, in code, never read from the
#: model's own files. A test checks that every learner the project trains fits in it.
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "functools.partial",
        "numpy.dtype",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.utils._bunch.Bunch",
        "sklearn.utils.validation.check_array",
    }
)
_SKOPS_MAGIC = b"PK\x03\x04"


class ModelIntegrityError(EwsError):
    """The registered model's files differ from what was recorded, or are not allowed."""


class NoModel(NotReady):
    """No model is registered under that name and alias yet."""


class RegistryUnavailable(ServiceUnavailable):
    """The MLflow server refused, failed or did not answer within its timeout and retries."""


P = ParamSpec("P")
R = TypeVar("R")


def _outage(exc: BaseException) -> str | None:
    """Why MLflow could not be reached (None when the error is MLflow's own answer).

    Told apart by type: MLflow's HTTP transport is requests over urllib3, whose errors it
    wraps in an MlflowException (reached through `__cause__`/`__context__`).
    """
    chain = causes(exc)
    if not any(isinstance(e, (requests.RequestException, urllib3.exceptions.HTTPError)) for e in chain):
        return None
    tries = MLFLOW_HTTP_REQUEST_MAX_RETRIES.get()
    retries = f"after {tries} {'retry' if tries == 1 else 'retries'}"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return f"connection refused {retries}"
    if any(isinstance(e, urllib3.exceptions.NameResolutionError) for e in chain):
        return "its host name does not resolve"
    for e in chain:
        status = re.search(r"too many (\d{3}) error responses", str(e))
        if status:
            return f"it answered HTTP {status[1]} {retries}"
    # urllib3's NewConnectionError is a ConnectTimeoutError too: refusals are told apart above.
    if any(isinstance(e, (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)) for e in chain):
        return f"no answer within {MLFLOW_HTTP_REQUEST_TIMEOUT.get()} s {retries}"
    return f"connection failed: {type(chain[-1]).__name__} {retries}"


def _raise_if_unavailable(exc: BaseException) -> None:
    """Raise :class:`RegistryUnavailable` when `exc` is a transport failure, not MLflow's answer."""
    reason = _outage(exc)
    if reason is not None:
        raise RegistryUnavailable(
            f"MLflow at {shown_url(mlflow.get_tracking_uri())} is unavailable ({reason}); "
            "check the server or MLFLOW_TRACKING_URI"
        ) from exc


#: SQLite tracking URIs whose store this process has seen created (see `_store_ready`).
_READY_STORES: set[str] = set()


def _store_ready() -> None:
    """Let one process at a time create a fresh SQLite MLflow store.

    MLflow 3.17 creates and migrates an empty database from each new client without a lock
    (its `_safe_initialize_tables` is not used), so trainings that start together on a new
    workspace break each other's migrations ("table _alembic_tmp_... already exists"). The
    first one here migrates under a lock beside the database; the others wait for it, then
    find the tables in place. Once per process and URI.
    """
    uri = mlflow.get_tracking_uri()
    if uri in _READY_STORES or not uri.startswith("sqlite:"):
        return
    database = sqlalchemy.engine.make_url(uri).database
    if not database or database == ":memory:":
        return
    path = Path(database).resolve()
    if not path.parent.is_dir():
        return  # MLflow cannot create a database there either, and says so
    with open(path.with_name(f".{path.name}.init-lock"), "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            client = MlflowClient(uri)  # creates the tracking tables if missing
            client.search_registered_models(max_results=1)  # and the registry's
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    _READY_STORES.add(uri)


def _through_mlflow(func: Callable[P, R]) -> Callable[P, R]:
    """Bounded waits on MLflow for `func`, a fresh store created once, and MLflow's outages
    as :class:`RegistryUnavailable`."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        apply_timeout_defaults()
        try:
            _store_ready()
            return func(*args, **kwargs)
        except (MlflowException, requests.RequestException) as exc:
            _raise_if_unavailable(exc)
            raise

    return wrapper


@dataclass(frozen=True)
class ModelVersion:
    """A registered model version and the run that produced it."""

    name: str
    version: str
    run_id: str
    digest: str
    tags: dict[str, str]

    @property
    def feature_set(self) -> str:
        """The feature set the version reads (versions registered before the tag read the default)."""
        return self.tags.get("feature_set", DEFAULT_FEATURE_SET)


def artifact_digest(path: Path) -> str:
    """SHA-256 over every file below `path` (relative names and bytes, in sorted order)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _client() -> MlflowClient:
    return MlflowClient()


@_through_mlflow
def ensure_experiment(name: str, artifact_root: str | None) -> str:
    """Create the experiment once (explicit artifact root on the embedded store); return its id.

    Trainings started together may all find it missing: the ones that lose the race to
    create it read the winner's.
    """
    client = _client()
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    try:
        return str(client.create_experiment(name, artifact_location=artifact_root))
    except MlflowException as exc:
        if exc.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise
        return str(experiment.experiment_id)


@_through_mlflow
def log_model_version(
    model: Any,
    *,
    model_name: str,
    experiment: str,
    artifact_root: str | None,
    params: Mapping[str, object],
    metrics: Mapping[str, float],
    tags: Mapping[str, str],
    input_example: pd.DataFrame,
    texts: Mapping[str, str],
    step_metrics: Mapping[str, list[float]] | None = None,
    artifact_dir: Path | None = None,
) -> ModelVersion:
    """Log one training run with its model, register it, and record the artifact digest.

    `step_metrics` are series (one value per backtest origin, logged as steps);
    `artifact_dir` holds plots, tables and the model card, logged under `report/`.
    """
    experiment_id = ensure_experiment(experiment, artifact_root)
    example = input_example.head(5)
    # `mlflow.pyfunc` users (batch jobs, `mlflow models serve`) get the calibrated
    # probabilities: column 1 is P(stoppage within the horizon), never 0/1 labels.
    signature = infer_signature(example, model.predict_proba(example))
    with mlflow.start_run(experiment_id=experiment_id, run_name=tags.get("run_name")) as run:
        mlflow.log_params({k: str(v) for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if pd.notna(v)})
        mlflow.set_tags(dict(tags))
        for file_name, text in texts.items():
            mlflow.log_text(text, file_name)
        for key, series in (step_metrics or {}).items():
            for step, point in enumerate(series):
                if pd.notna(point):
                    mlflow.log_metric(key, float(point), step=step)
        if artifact_dir is not None:
            mlflow.log_artifacts(str(artifact_dir), artifact_path="report")
        try:
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                signature=signature,
                input_example=example,
                serialization_format="skops",
                # The allow-list itself, not the types found in a serialization of the model made
                # for that purpose (seconds for a blend of a thousand trees): MLflow loads the file
                # back with it when saving, so a type outside the list fails the registration.
                skops_trusted_types=sorted(TRUSTED_TYPES),
                pyfunc_predict_fn="predict_proba",
                # MLmodel records scikit-learn's version too (`sklearn_version`), which the load checks.
                pip_requirements=[
                    f"scikit-learn=={sklearn.__version__}",
                    f"numpy=={np.__version__}",
                    f"skops=={skops.__version__}",
                ],
                registered_model_name=model_name,
            )
        except MlflowException as exc:
            untrusted = next((e for e in causes(exc) if isinstance(e, UntrustedTypesFoundException)), None)
            if untrusted is None:
                raise
            raise ModelIntegrityError(
                f"the trained model holds types outside the allow-list ({untrusted}); not registered"
            ) from None
        version = str(info.registered_model_version)
        with tempfile.TemporaryDirectory() as tmp:
            uri = f"models:/{model_name}/{version}"
            local = Path(mlflow.artifacts.download_artifacts(uri, dst_path=tmp))
            digest = artifact_digest(local)
        client = _client()
        client.set_model_version_tag(model_name, version, DIGEST_TAG, digest)
        for key, value in tags.items():
            client.set_model_version_tag(model_name, version, key, str(value))
        mlflow.set_tag(DIGEST_TAG, digest)
    return ModelVersion(model_name, version, run.info.run_id, digest, dict(tags))


def _version(name: str, version: str) -> ModelVersion:
    mv = _client().get_model_version(name, version)
    tags = dict(mv.tags or {})
    return ModelVersion(name, str(mv.version), str(mv.run_id), tags.get(DIGEST_TAG, ""), tags)


@_through_mlflow
def get_version(name: str, version: str) -> ModelVersion:
    """One registered version with its tags (MlflowException when it does not exist)."""
    return _version(name, version)


@_through_mlflow
def alias_version(name: str, alias: str = CHAMPION) -> ModelVersion | None:
    """The version an alias points at, or None when the model or alias does not exist."""
    try:
        mv = _client().get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        _raise_if_unavailable(exc)
        return None
    return _version(name, str(mv.version))


@_through_mlflow
def set_alias(name: str, alias: str, version: str) -> None:
    """Point an alias at a version (the previous holder is recorded by the caller)."""
    _client().set_registered_model_alias(name, alias, version)


@_through_mlflow
def delete_alias(name: str, alias: str) -> None:
    """Remove an alias (no error when it is not set)."""
    try:
        _client().delete_registered_model_alias(name, alias)
    except MlflowException as exc:
        _raise_if_unavailable(exc)


def _major_minor(version: str) -> tuple[int, int] | None:
    match = re.match(r"\s*(\d+)\.(\d+)", version)
    return (int(match[1]), int(match[2])) if match else None


def check_trained_version(recorded: object, label: str) -> None:
    """Refuse a model trained under another scikit-learn major.minor than the installed one.

    Estimators' internals change between minor releases (scikit-learn promises nothing for
    a model loaded under another version); a patch release alone is accepted.
    """
    installed = sklearn.__version__
    if not recorded:
        raise ModelIntegrityError(
            f"{label}: no scikit-learn version is recorded with it; refusing to load (retrain it)"
        )
    trained = _major_minor(str(recorded))
    if trained is None or trained != _major_minor(installed):
        raise ModelIntegrityError(
            f"{label} was trained with scikit-learn {recorded} but {installed} is installed; "
            f"refusing to load: retrain it (`ews train`) or reinstall scikit-learn {recorded}"
        )


def load_skops(local: Path, label: str) -> Any:
    """Load a downloaded model artifact only if it is a skops file of allowed types, trained
    under the installed scikit-learn's major.minor (the version MLflow wrote in MLmodel).

    Refused before anything is deserialised: an MLmodel that names another format (a
    pickle), a model file outside the artifact or not a skops archive, a file whose schema
    names a type outside :data:`TRUSTED_TYPES`, or a model of another scikit-learn.
    """
    try:
        meta = yaml.safe_load((local / "MLmodel").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ModelIntegrityError(f"{label}: its MLmodel file cannot be read ({exc})") from None
    flavor = (meta.get("flavors") or {}).get("sklearn") or {}
    if flavor.get("serialization_format") != "skops":
        raise ModelIntegrityError(
            f"{label}: not in the skops format ({flavor.get('serialization_format')!r}); refusing to load"
        )
    file = (local / str(flavor.get("pickled_model", ""))).resolve()
    if local.resolve() not in file.parents or not file.is_file() or file.suffix != ".skops":
        raise ModelIntegrityError(f"{label}: its model file is not a .skops file of the artifact; refusing")
    with file.open("rb") as fh:
        if fh.read(len(_SKOPS_MAGIC)) != _SKOPS_MAGIC:
            raise ModelIntegrityError(f"{label}: {file.name} is not a skops archive; refusing to load")
    try:
        found = set(sio.get_untrusted_types(file=file))
    except Exception as exc:  # noqa: BLE001 - a damaged archive of any kind
        raise ModelIntegrityError(f"{label}: {file.name} is not a readable skops archive ({exc})") from None
    extra = sorted(found - TRUSTED_TYPES)
    if extra:
        raise ModelIntegrityError(
            f"{label}: holds types outside the allow-list ({', '.join(extra)}); refusing"
        )
    check_trained_version(flavor.get("sklearn_version"), label)
    with warnings.catch_warnings():
        # Decided above: a model of another patch release of the same major.minor loads.
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        return sio.load(file, trusted=sorted(found))


@_through_mlflow
def load_verified(
    name: str, alias: str = CHAMPION, *, workspace_digest: str | None = None
) -> tuple[Any, ModelVersion]:
    """Resolve the alias once, check the artifact digest, then load those exact bytes.

    ``workspace_digest`` is the workspace's own record of the version's digest (see
    :func:`outputs.audit.model_digest`); when given it must equal MLflow's tag too.
    """
    resolved = alias_version(name, alias)
    if resolved is None:
        raise NoModel(f"no model {name!r}@{alias} is registered; run `ews train` first")
    if not resolved.digest:
        raise ModelIntegrityError(f"{name} version {resolved.version} has no recorded digest")
    if workspace_digest is not None and workspace_digest != resolved.digest:
        raise ModelIntegrityError(
            f"{name} version {resolved.version}: MLflow's digest {resolved.digest[:12]} differs from the "
            f"workspace's record {workspace_digest[:12]}; refusing to load"
        )
    with tempfile.TemporaryDirectory() as tmp:
        try:
            uri = f"models:/{name}/{resolved.version}"
            local = Path(mlflow.artifacts.download_artifacts(uri, dst_path=tmp))
        except (MlflowException, OSError) as exc:
            _raise_if_unavailable(exc)
            raise ModelIntegrityError(
                f"{name} version {resolved.version}: artifact cannot be read ({exc})"
            ) from None
        found = artifact_digest(local)
        if found != resolved.digest:
            raise ModelIntegrityError(
                f"{name} version {resolved.version}: artifact digest {found[:12]} does not match "
                f"the recorded {resolved.digest[:12]}; refusing to load"
            )
        model = load_skops(local, f"{name} version {resolved.version}")
    return model, resolved


@_through_mlflow
def version_params(name: str, version: str) -> dict[str, str]:
    """The parameters logged with the run that produced a version."""
    run_id = _client().get_model_version(name, version).run_id
    return dict(_client().get_run(str(run_id)).data.params)


@_through_mlflow
def reference_features(name: str, version: str) -> pd.DataFrame | None:
    """The training reference sample logged with a version (None when it has none)."""
    run_id = _client().get_model_version(name, version).run_id
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=f"report/{REFERENCE_FILE}", dst_path=tmp
            )
            return pd.read_parquet(path)
    except (MlflowException, OSError) as exc:
        _raise_if_unavailable(exc)
        return None


@_through_mlflow
def list_versions(name: str) -> list[dict[str, Any]]:
    """Every version of a model with its aliases, metrics of note and creation time."""
    client = _client()
    try:
        versions = client.search_model_versions(f"name = '{name}'")
        registered = client.get_registered_model(name) if versions else None
    except MlflowException as exc:  # no model of that name yet, unless MLflow cannot be reached
        _raise_if_unavailable(exc)
        return []
    aliases: dict[str, list[str]] = {}
    for alias, version in (registered.aliases if registered is not None else {}).items():
        aliases.setdefault(str(version), []).append(alias)
    rows = []
    for mv in sorted(versions, key=lambda v: int(v.version)):
        tags = dict(mv.tags or {})
        rows.append(
            {
                "version": str(mv.version),
                "aliases": ",".join(sorted(aliases.get(str(mv.version), []))),
                "created": pd.Timestamp(mv.creation_timestamp, unit="ms", tz="UTC").isoformat(),
                "run_id": mv.run_id,
                "as_of": tags.get("as_of", ""),
                "pr_auc": tags.get("valid_pr_auc", ""),
                "recall_at_k": tags.get("valid_recall_at_k", ""),
            }
        )
    return rows


def describe(version: ModelVersion) -> str:
    """One-line JSON summary of a version, for logs and artifacts."""
    return json.dumps(
        {"name": version.name, "version": version.version, "run_id": version.run_id}, sort_keys=True
    )
