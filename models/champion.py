"""Operators' moves of the champion alias: promote a version, roll back to the previous one."""

from __future__ import annotations

from data.errors import EwsError
from data.settings import Settings
from models import registry
from outputs import audit


def promote_version(settings: Settings, version: str, reason: str) -> str:
    """Point `champion` at `version` (it must exist and verify) and record the move."""
    known = {row["version"] for row in registry.list_versions(settings.model_name)}
    if version not in known:
        raise EwsError(
            f"{settings.model_name} has no version {version}; known: {', '.join(sorted(known, key=int)) or 'none'}"
        )
    current = registry.alias_version(settings.model_name, registry.CHAMPION)
    if current is not None and current.version == version:
        return f"version {version} is already the champion"
    registry.set_alias(settings.model_name, registry.CHAMPION, version)
    registry.load_verified(settings.model_name, registry.CHAMPION)
    audit.record_alias_change(
        settings.db_path,
        model_name=settings.model_name,
        alias=registry.CHAMPION,
        version=version,
        previous=current.version if current else None,
        reason=f"promote: {reason}",
    )
    return f"champion is now version {version} (was {current.version if current else 'none'})"


def rollback(settings: Settings) -> str:
    """Give `champion` back to the version that held it before the last move."""
    history = audit.alias_history(settings.db_path, settings.model_name)
    history = history.loc[history["alias"] == registry.CHAMPION]
    current = registry.alias_version(settings.model_name, registry.CHAMPION)
    if current is None or history.empty:
        raise EwsError("nothing to roll back: no champion history is recorded")
    previous = history.iloc[-1]["previous"]
    if previous is None or previous != previous:  # None or NaN
        raise EwsError(f"version {current.version} was the first champion; nothing to roll back to")
    return promote_version(settings, str(previous), f"rollback from version {current.version}")
