"""Addresses shown to people and stored: never with a password in them.

One rule for every address the project prints, logs or hands to Prefect (which keeps flow
parameters in its database in clear): a database URL, an MLflow tracking server, an
agency's http or object-store location. The password becomes ``***``; the user name, host,
port and path stay, so that the operator still sees which server is meant.
"""

from __future__ import annotations

import urllib.parse


def shown_url(url: str) -> str:
    """`url` with any password replaced by ``***``; an address that cannot be parsed is
    shown by its scheme alone (it might hold a password in a form we do not recognise)."""
    if "://" not in url:
        return url
    try:
        parts = urllib.parse.urlsplit(url)
        password, port = parts.password, parts.port
    except ValueError:
        return url.split("://", 1)[0] + "://…"
    if password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}" + (f":{port}" if port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
