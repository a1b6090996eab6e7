"""The words of the domain, declared once: incident kinds, causes, ownerships, zone types, bands.

The contract (`data.schemas`) validates deliveries against these tuples, the simulator
draws from them, the features and labels count them, and the ranking, the report and the
page show them. A code here is the stored value; its words in each language live in the
translation catalogue (`vocab.i18n`).
"""

from __future__ import annotations

import math
import re

ZONE_TYPES: tuple[str, ...] = ("industrial_zone", "industrial_cluster", "outside")
OWNERSHIPS: tuple[str, ...] = ("fdi", "private", "state")

#: A collective work stoppage: the event the system warns of (the target of every model).
WORK_STOPPAGE = "work_stoppage"
INCIDENT_KINDS: tuple[str, ...] = (WORK_STOPPAGE, "slowdown", "gathering", "petition")
#: The incident kinds a model predicts unless its recipe says otherwise.
TARGET_KINDS: tuple[str, ...] = (WORK_STOPPAGE,)
CAUSES: tuple[str, ...] = (
    "wages",
    "wage_arrears",
    "tet_bonus",
    "insurance",
    "layoffs",
    "conditions",
    "other",
)

#: Risk bands of the ranking, highest first (the rule is `outputs.ranking.bands_from_probability`).
BANDS: tuple[str, ...] = ("high", "elevated", "watch", "low")

#: The analysts' monthly review capacity k when none is configured: 1% of the enterprises.
DEFAULT_CAPACITY = 0.01


def capacity_count(n: int, capacity: float) -> int:
    """The monthly review capacity as a count of `n` enterprises: a share when < 1, a count otherwise."""
    k = int(math.ceil(capacity * n)) if capacity < 1 else int(capacity)
    return max(1, min(n, k))


#: An enterprise id a person may type or a link may carry (a review, an action, the page's
#: query): letters, digits and . _ -, at most 32; anything else is refused before use.
ENTERPRISE_ID_TYPED = re.compile(r"^[0-9A-Za-z._-]{1,32}$")
