"""Typed project exceptions.

Each carries a one-line, human-readable message: the CLI prints ``str(exc)`` on stderr
and exits non-zero, so the message must name the file or table and the problem.
"""

from __future__ import annotations


class EwsError(Exception):
    """Base class of every error the project raises on purpose."""


class IngestRefused(EwsError):
    """A whole delivery was refused: nothing was stored and nothing quarantined."""


class StoreError(EwsError):
    """The validated store is unreadable, inconsistent or cannot be written."""


class WorkspaceBusy(EwsError):
    """Another run holds the workspace (a scoring run, a database lock held too long)."""


class NotReady(EwsError):
    """The command cannot run yet in this workspace (no model trained, nothing scored)."""


class UsageError(EwsError):
    """A command was given a value it cannot use (an unknown preset, an empty range)."""


class ServiceUnavailable(StoreError):
    """An external service (an MLflow server, the Prefect API) refused, failed or did not
    answer within its timeout and retries.

    A :class:`StoreError`: like a store that cannot be read or written, the command ends with
    exit status 1 and one line that names the service and its address (passwords hidden).
    """


def causes(exc: BaseException) -> list[BaseException]:
    """`exc` and the exceptions it was raised from or while handling, outermost first (at
    most 20): libraries wrap a transport error several layers deep (MLflow, Prefect)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 20:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
