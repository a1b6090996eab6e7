"""`ews brief ENTERPRISE_ID --output FILE.html`: the one-page brief of a firm for a field visit.

The command itself is `cli.main.brief`, which calls `write_brief`. The page is
`present.brief.brief_html`; this module gathers its inputs from the workspace (the night's
published ranking, the firm's indicator vintages and incidents from the store, its recorded
actions) and writes the file atomically.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from data.errors import EwsError, UsageError
from data.settings import Settings


def write_brief(
    settings: Settings, enterprise_id: str, night: dt.date | None, output: Path, lang: str = "vi"
) -> Path:
    """Write the brief of `enterprise_id` on `night` (default: the latest scored night) to
    `output`, atomically (temporary file, then rename); return the path written.

    An unknown enterprise, a night without a ranking or a folder that does not exist is an
    `EwsError` of one line; nothing is written then.
    """
    import pandas as pd

    from data.store import Store
    from outputs.actions import read_actions
    from outputs.rankings import read_ranking
    from present.brief import brief_html
    from present.exports import atomic_write_bytes

    output = Path(output)
    if not output.parent.is_dir():
        raise UsageError(f"--output: folder {output.parent} does not exist")
    ranking = read_ranking(settings.db_path, str(night) if night else None)
    chosen = str(pd.Timestamp(ranking["as_of"].iloc[0]).date()) if len(ranking) else str(night)
    store = Store(settings.store_dir)
    enterprises = store.load_enterprises()
    firm = enterprises.loc[enterprises["enterprise_id"] == enterprise_id]
    if firm.empty:
        raise EwsError(f"unknown enterprise {enterprise_id!r}")
    if "commune" in firm.columns and "commune" not in ranking.columns:  # the address the store knows
        ranking = ranking.assign(
            commune=ranking["enterprise_id"].map(firm.set_index("enterprise_id")["commune"])
        )
    indicators = store.load_indicators([enterprise_id])
    incidents = store.load_incidents()
    incidents = incidents.loc[incidents["enterprise_id"] == enterprise_id]
    actions = read_actions(settings.db_path, enterprise_id=enterprise_id, up_to=chosen)
    page = brief_html(enterprise_id, chosen, ranking, indicators, incidents, actions, lang=lang)
    return atomic_write_bytes(output, page.encode("utf-8"))
