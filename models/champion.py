"""Operators' moves of the champion alias: promote a version, roll back to the previous one.

Both take the registered model's name and the workspace database (where the moves are
recorded) as plain arguments, so that any caller can move the alias without the settings.
"""

from __future__ import annotations

from pathlib import Path

from data.errors import EwsError
from models import registry
from outputs import audit


def promote_version(model_name: str, db_path: Path, version: str, reason: str) -> str:
    """Point `champion` at `version` (it must exist and verify) and record the move."""
    known = {row["version"] for row in registry.list_versions(model_name)}
    if version not in known:
        raise EwsError(
            f"{model_name} has no version {version}; known: {', '.join(sorted(known, key=int)) or 'none'}"
        )
    current = registry.alias_version(model_name, registry.CHAMPION)
    if current is not None and current.version == version:
        return f"version {version} is already the champion"
    registry.set_alias(model_name, registry.CHAMPION, version)
    registry.load_verified(model_name, registry.CHAMPION)
    audit.record_alias_change(
        db_path,
        model_name=model_name,
        alias=registry.CHAMPION,
        version=version,
        previous=current.version if current else None,
        reason=f"promote: {reason}",
    )
    return f"champion is now version {version} (was {current.version if current else 'none'})"


def rollback(model_name: str, db_path: Path) -> str:
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


def record_training_aliases(
    model_name: str, db_path: Path, version: str, *, promoted: bool, previous: str | None, reason: str
) -> None:
    """After a training run: `challenger` is the new version, and `champion` too when it was
    promoted (that move recorded with its reason, as every champion move is)."""
    registry.set_alias(model_name, registry.CHALLENGER, version)
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
