"""Operators' moves of the champion alias: promote a version, roll back to the previous one.

Both take the registered model's name and the workspace database (where the moves are
recorded) as plain arguments, so that any caller can move the alias without the settings.
"""

from __future__ import annotations

from typing import Any

from data.database import DatabaseLike
from data.errors import EwsError
from data.faults import pause_point
from models import registry
from outputs import audit


def promote_version(model_name: str, db_path: DatabaseLike, version: str, reason: str) -> str:
    """Point `champion` at `version` (it must exist and verify) and record the move."""
    known = {row["version"] for row in registry.list_versions(model_name)}
    if version not in known:
        raise EwsError(
            f"{model_name} has no version {version}; known: {', '.join(sorted(known, key=int)) or 'none'}"
        )
    current = registry.alias_version(model_name, registry.CHAMPION)
    if current is not None and current.version == version:
        return f"version {version} is already the champion"
    # Verify first, through a temporary alias: the champion moves only to a version that loads.
    registry.set_alias(model_name, registry.CANDIDATE, version)
    try:
        registry.load_verified(
            model_name, registry.CANDIDATE, workspace_digest=workspace_digest(db_path, model_name, version)
        )
    finally:
        registry.delete_alias(model_name, registry.CANDIDATE)
    registry.set_alias(model_name, registry.CHAMPION, version)
    audit.record_alias_change(
        db_path,
        model_name=model_name,
        alias=registry.CHAMPION,
        version=version,
        previous=current.version if current else None,
        reason=f"promote: {reason}",
    )
    return f"champion is now version {version} (was {current.version if current else 'none'})"


def rollback(model_name: str, db_path: DatabaseLike) -> str:
    """Give `champion` back to the version that held it before the last move."""
    history = audit.alias_history(db_path, model_name)
    history = history.loc[history["alias"] == registry.CHAMPION]
    current = registry.alias_version(model_name, registry.CHAMPION)
    if current is None or history.empty:
        raise EwsError("nothing to roll back: no champion history is recorded")
    previous = history.iloc[-1]["previous"]
    if previous is None or previous != previous:  # None or NaN
        raise EwsError(f"version {current.version} was the first champion; nothing to roll back to")
    return promote_version(model_name, db_path, str(previous), f"rollback from version {current.version}")


def load_champion(model_name: str, db_path: DatabaseLike) -> tuple[Any, registry.ModelVersion]:
    """The verified champion: its files, MLflow's digest and the workspace's record agree."""
    current = registry.alias_version(model_name, registry.CHAMPION)
    if current is None:
        raise registry.NoModel(f"no model {model_name!r}@champion is registered; run `ews train` first")
    digest = workspace_digest(db_path, model_name, current.version)
    return registry.load_verified(model_name, registry.CHAMPION, workspace_digest=digest)


def workspace_digest(db_path: DatabaseLike, model_name: str, version: str) -> str:
    """The workspace's record of a version's digest; refused when there is none."""
    digest = audit.model_digest(db_path, model_name, version)
    if digest is None:
        raise registry.ModelIntegrityError(
            f"{model_name} version {version} has no digest recorded in this workspace (registered "
            f"elsewhere or before digests were kept); check it and run `ews models trust {version}`"
        )
    return digest


def trust_version(model_name: str, db_path: DatabaseLike, version: str) -> str:
    """An operator's decision to trust a version registered without a workspace digest:
    its files must match MLflow's digest and load as an allowed skops model."""
    known = audit.model_digest(db_path, model_name, version)
    if known is not None:
        return f"version {version} is already recorded ({known[:12]})"
    registry.set_alias(model_name, registry.CANDIDATE, version)
    try:
        _, resolved = registry.load_verified(model_name, registry.CANDIDATE)
    finally:
        registry.delete_alias(model_name, registry.CANDIDATE)
    audit.record_model_digest(db_path, model_name=model_name, version=version, digest=resolved.digest)
    return f"version {version} trusted: digest {resolved.digest[:12]} recorded in the workspace"


def record_training_aliases(
    model_name: str,
    db_path: DatabaseLike,
    version: str,
    *,
    promoted: bool,
    previous: str | None,
    reason: str,
    digest: str | None = None,
) -> None:
    """After a training run: the version's digest is kept in the workspace, `challenger` is
    the new version, and `champion` too when it was promoted (that move recorded with its
    reason, as every champion move is)."""
    if digest:
        audit.record_model_digest(db_path, model_name=model_name, version=version, digest=digest)
    registry.set_alias(model_name, registry.CHALLENGER, version)
    pause_point("train.before_champion_alias")  # digest recorded, challenger moved; champion not yet
    if promoted:
        registry.set_alias(model_name, registry.CHAMPION, version)
        audit.record_alias_change(
            db_path,
            model_name=model_name,
            alias=registry.CHAMPION,
            version=version,
            previous=previous,
            reason=f"train: {reason}",
        )
