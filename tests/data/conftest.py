"""Fixtures for the data-layer tests: tiny hand-written deliveries (not simulated)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

ENTERPRISES_CSV = """\
enterprise_id,name,province,district,zone_id,zone_type,sector,ownership,founded,closed
0800123456,"Công ty TNHH May Việt, Hải Dương",Hải Dương,Cẩm Giàng,KCN-DA,industrial_zone,14,fdi,2010-05-01,
0100000001,"=HYPERLINK(""http://x"",""y"")",Hà Nội,,,outside,26,private,,
0300000002,"x'); DROP TABLE t;--",Bình Dương,Thuận An,CCN-01,industrial_cluster,15,state,1995-01-31,2024-06-30
"""

INDICATORS_CSV = """\
enterprise_id,month,headcount,avg_wage_vnd,wage_arrears_vnd,wage_arrears_months,insurance_debt_vnd,insurance_debt_months,layoffs,reduced_hours_workers,reported_at
0800123456,2024-01,1200,7500000,0,0,,,3,0,
0800123456,2024-02,1190,7500000,,1.5,0,0,,,2024-03-15
0100000001,2024-01,50,6000000,0,0,0,0,0,0,2024-02-20
0300000002,2024-01,800,5200000.5,120000000,2,40000000,3,25,100,2024-02-25
"""

INCIDENTS_CSV = """\
incident_id,enterprise_id,started,ended,kind,participants,cause,reported_at
I-001,0800123456,2024-03-02,2024-03-04,work_stoppage,300,wage_arrears,
I-002,0300000002,2024-04-10,,petition,,,2024-04-12
"""

GOOD = {
    "enterprises": ENTERPRISES_CSV,
    "indicators": INDICATORS_CSV,
    "incidents": INCIDENTS_CSV,
}

WriteSource = Callable[..., Path]


@pytest.fixture
def good_tables() -> dict[str, str]:
    """The three contract tables as CSV text, written by hand from the contract."""
    return dict(GOOD)


@pytest.fixture
def write_source(tmp_path: Path) -> WriteSource:
    """Write CSV text per table into a fresh folder; ``None`` leaves a table out."""
    counter = iter(range(1_000_000))

    def _write(tables: dict[str, str | bytes | None] | None = None, **overrides: str | bytes | None) -> Path:
        folder = tmp_path / f"src{next(counter)}"
        folder.mkdir()
        content: dict[str, str | bytes | None] = {**GOOD, **(tables or {}), **overrides}
        for name, text in content.items():
            if text is None:
                continue
            path = folder / f"{name}.csv"
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8", newline="")
        return folder

    return _write


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    """A store location that does not exist yet (the store creates it lazily)."""
    return tmp_path / "store"
