"""Operational alerts: recorded in the workspace database, optionally pushed to an operator.

`record_alert` stores an alert once: a rerun of the same night with the same alert is a
no-op (unique on as_of, kind and a fingerprint of severity, message and details), so reruns
stay idempotent. `notify` posts to an operator-configured webhook and/or sends an e-mail
with bounded timeouts and never raises: an alerting outage must not fail the nightly run.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
import ssl
import urllib.parse
import urllib.request
from email.message import EmailMessage
from typing import Any

import pandas as pd
import sqlalchemy as sa

from data.database import Database, DatabaseLike, Schema, connect, transaction
from data.errors import EwsError

SEVERITIES: tuple[str, ...] = ("info", "warn", "alert")
ALERT_COLUMNS: tuple[str, ...] = ("id", "as_of", "kind", "severity", "message", "details", "created_at")

_SCHEMA = Schema(
    tables=("alerts",),
    statements=(
        """CREATE TABLE IF NOT EXISTS alerts (
    id {serial},
    as_of TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    details TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (as_of, kind, fingerprint)
)""",
        "CREATE INDEX IF NOT EXISTS alerts_as_of ON alerts (as_of)",
    ),
)


class AlertError(EwsError):
    """An alert is malformed (unknown severity, empty kind)."""


def _details_json(details: dict[str, Any]) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)


def record_alert(
    db: DatabaseLike, *, as_of: str, kind: str, severity: str, message: str, details: dict[str, Any]
) -> None:
    """Store an alert for the night `as_of`; recording the same alert again changes nothing."""
    if severity not in SEVERITIES:
        raise AlertError(f"severity must be one of {SEVERITIES}, got {severity!r}")
    if not kind:
        raise AlertError("an alert needs a kind")
    as_of = pd.Timestamp(as_of).strftime("%Y-%m-%d")
    body = _details_json(details or {})
    fingerprint = hashlib.sha256(json.dumps([severity, message, body]).encode()).hexdigest()
    created_at = pd.Timestamp.now(tz="UTC").isoformat()
    with transaction(db, _SCHEMA) as conn:
        conn.execute(
            sa.text(
                "INSERT INTO alerts (as_of, kind, severity, message, details, fingerprint, created_at)"
                " VALUES (:as_of, :kind, :severity, :message, :details, :fingerprint, :created_at)"
                " ON CONFLICT (as_of, kind, fingerprint) DO NOTHING"
            ),
            {
                "as_of": as_of,
                "kind": kind,
                "severity": severity,
                "message": message,
                "details": body,
                "fingerprint": fingerprint,
                "created_at": created_at,
            },
        )


def read_alerts(db: DatabaseLike, as_of: str | None = None) -> pd.DataFrame:
    """Recorded alerts (of one night when `as_of` is given), oldest first; details as dicts."""
    db = Database.of(db)
    if not db.exists():
        return pd.DataFrame(columns=list(ALERT_COLUMNS))
    query = f"SELECT {', '.join(ALERT_COLUMNS)} FROM alerts"
    params: dict[str, str] = {}
    if as_of is not None:
        query += " WHERE as_of = :as_of"
        params = {"as_of": pd.Timestamp(as_of).strftime("%Y-%m-%d")}
    with connect(db, _SCHEMA) as conn:
        frame = pd.read_sql_query(sa.text(query + " ORDER BY id"), conn, params=params)
    frame["details"] = [json.loads(d) for d in frame["details"]]
    return frame


def _post_webhook(alert: dict[str, Any], url: str, timeout: float) -> bool:
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        return False  # never file://, ftp:// ... even if misconfigured
    body = json.dumps(alert, ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "labor-ews"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked
        return 200 <= response.status < 300


def _send_mail(alert: dict[str, Any], smtp: dict[str, Any], timeout: float) -> bool:
    """smtp keys: host, port (25), sender, to (str or list), starttls (False), ssl (False), username, password."""
    message = EmailMessage()
    message["Subject"] = (
        f"[labor-ews] {alert.get('severity', '')} {alert.get('kind', '')} {alert.get('as_of', '')}".strip()
    )
    message["From"] = smtp["sender"]
    to = smtp["to"]
    message["To"] = ", ".join(to) if isinstance(to, list | tuple) else str(to)
    message.set_content(
        f"{alert.get('message', '')}\n\n" + json.dumps(alert, ensure_ascii=False, indent=2, default=str)
    )
    host, port = smtp["host"], int(smtp.get("port", 25))
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.get("ssl"):
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if smtp.get("starttls") and not smtp.get("ssl"):
            client.starttls(context=context)
        if smtp.get("username"):
            client.login(smtp["username"], smtp.get("password", ""))
        client.send_message(message)
    return True


def notify(
    alert: dict[str, Any], *, webhook_url: str | None, smtp: dict[str, Any] | None, timeout: float = 10
) -> bool:
    """Push an alert to the configured channels; True only if every configured channel took it.

    Never raises (connection refused, timeout, HTTP error, bad URL, SMTP error all give
    False); with no channel configured nothing is delivered and the result is False.
    Each network operation is bounded by `timeout` seconds.
    """
    if not webhook_url and not smtp:
        return False
    ok = True
    if webhook_url:
        try:
            ok = _post_webhook(alert, webhook_url, timeout) and ok
        except Exception:
            ok = False
    if smtp:
        try:
            ok = _send_mail(alert, smtp, timeout) and ok
        except Exception:
            ok = False
    return ok


def record_and_push(
    db: DatabaseLike,
    webhook_url: str | None,
    *,
    as_of: str,
    kind: str,
    severity: str,
    message: str,
    details: dict[str, Any] | None = None,
) -> bool:
    """Record an alert in the workspace and push it to the operator's webhook when one is set.

    Returns whether the webhook took it (False with no webhook): recording never depends on it.
    """
    record_alert(db, as_of=as_of, kind=kind, severity=severity, message=message, details=details or {})
    if not webhook_url:
        return False
    alert = {"as_of": as_of, "kind": kind, "severity": severity, "message": message}
    return notify(alert, webhook_url=webhook_url, smtp=None)


__all__ = [
    "ALERT_COLUMNS",
    "SEVERITIES",
    "AlertError",
    "notify",
    "read_alerts",
    "record_alert",
    "record_and_push",
]
