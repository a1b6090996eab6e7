"""The one door to MLflow: log, register, alias, verify and load models.

MLflow reads `MLFLOW_TRACKING_URI` itself (set by the CLI to the workspace's SQLite file
unless the operator points it at a server). A model is loaded only after the SHA-256 of
every file of its artifact, recorded at training time, has been checked again: a model
artifact is executable code whatever its format.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import mlflow.sklearn
import pandas as pd
import sklearn
import skops
import skops.io as sio
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from data.errors import EwsError
from features.sets import DEFAULT_FEATURE_SET

CHAMPION = "champion"
CHALLENGER = "challenger"
DIGEST_TAG = "artifact_sha256"
REFERENCE_FILE = "reference_features.parquet"


class ModelIntegrityError(EwsError):
    """The registered model is missing, or its files differ from what training recorded."""


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


def ensure_experiment(name: str, artifact_root: str | None) -> str:
    """Create the experiment once (explicit artifact root on the embedded store); return its id."""
    client = _client()
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    return str(client.create_experiment(name, artifact_location=artifact_root))


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
    untrusted = sio.get_untrusted_types(data=sio.dumps(model))
    example = input_example.head(5)
    signature = infer_signature(example, model.predict_proba(example)[:, 1])
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
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=signature,
            input_example=example,
            serialization_format="skops",
            skops_trusted_types=untrusted,
            pip_requirements=[f"scikit-learn=={sklearn.__version__}", f"skops=={skops.__version__}"],
            registered_model_name=model_name,
        )
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


def get_version(name: str, version: str) -> ModelVersion:
    """One registered version with its tags (MlflowException when it does not exist)."""
    return _version(name, version)


def alias_version(name: str, alias: str = CHAMPION) -> ModelVersion | None:
    """The version an alias points at, or None when the model or alias does not exist."""
    try:
        mv = _client().get_model_version_by_alias(name, alias)
    except MlflowException:
        return None
    return _version(name, str(mv.version))


def set_alias(name: str, alias: str, version: str) -> None:
    """Point an alias at a version (the previous holder is recorded by the caller)."""
    _client().set_registered_model_alias(name, alias, version)


def load_verified(name: str, alias: str = CHAMPION) -> tuple[Any, ModelVersion]:
    """Resolve the alias once, check the artifact digest, then load those exact bytes."""
    resolved = alias_version(name, alias)
    if resolved is None:
        raise ModelIntegrityError(f"no model {name!r}@{alias} is registered; run `ews train` first")
    if not resolved.digest:
        raise ModelIntegrityError(f"{name} version {resolved.version} has no recorded digest")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            uri = f"models:/{name}/{resolved.version}"
            local = Path(mlflow.artifacts.download_artifacts(uri, dst_path=tmp))
        except (MlflowException, OSError) as exc:
            raise ModelIntegrityError(
                f"{name} version {resolved.version}: artifact cannot be read ({exc})"
            ) from None
        found = artifact_digest(local)
        if found != resolved.digest:
            raise ModelIntegrityError(
                f"{name} version {resolved.version}: artifact digest {found[:12]} does not match "
                f"the recorded {resolved.digest[:12]}; refusing to load"
            )
        model = mlflow.sklearn.load_model(str(local))
    return model, resolved


def version_params(name: str, version: str) -> dict[str, str]:
    """The parameters logged with the run that produced a version."""
    run_id = _client().get_model_version(name, version).run_id
    return dict(_client().get_run(str(run_id)).data.params)


def reference_features(name: str, version: str) -> pd.DataFrame | None:
    """The training reference sample logged with a version (None when it has none)."""
    run_id = _client().get_model_version(name, version).run_id
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=f"report/{REFERENCE_FILE}", dst_path=tmp
            )
            return pd.read_parquet(path)
    except (MlflowException, OSError):
        return None


def list_versions(name: str) -> list[dict[str, Any]]:
    """Every version of a model with its aliases, metrics of note and creation time."""
    client = _client()
    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return []
    aliases: dict[str, list[str]] = {}
    for alias, version in client.get_registered_model(name).aliases.items():
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
