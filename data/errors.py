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
