"""A seeded, calibrated synthetic world of enterprises, monthly indicators and incidents.

It follows the data contract (docs/contract.md), so that ingest, features and models run
end to end without real data; its targets, and what the seeded worlds reach, are in
docs/calibration.md. Only the commands, the benchmarks and the tests use it, never
learning or scoring.

- `presets`: the named worlds (`PRESETS`) and the constants they are built with;
- `mechanics`: the latent world: registry, drivers, hazard, its calibration, the draws;
- `frames`: the contract tables as a provider delivers them;
- `geography`: districts and post-2025 communes of the national preset's blocks;
- `world`: `simulate` and the `World` it returns; `simulate_blocks`, a large world
  (the `national` preset) one province block at a time;
- `actions`: officers' actions on warned enterprises (`ACTION_EFFECTS`), given to
  `simulate` as ``actions=``: what each changes, and the truth of what it did;
- `write`: `write_source`, a world as a source folder with its truth aside; `write_blocks`,
  the same for a world generated in blocks;
- `agencies`: `write_agencies`, a world as the four agencies' files, and the same facts
  as a contract folder;
- `calibration`: `calibration_report`, a world's figures to compare with the targets;
  `national_summary`, the same summed over blocks.
"""

from simulator.actions import ACTION_EFFECTS, ACTION_KINDS, ACTION_TRUTH_COLUMNS, ActionEffect
from simulator.agencies import write_agencies
from simulator.calibration import calibration_report, monthly_stoppages, national_summary
from simulator.frames import (
    COMMUNE_ENTERPRISE_COLUMNS,
    ENTERPRISE_COLUMNS,
    INCIDENT_COLUMNS,
    INDICATOR_COLUMNS,
    TRUTH_COLUMNS,
)
from simulator.presets import PRESETS, Preset, ProvinceSpec, national_preset
from simulator.world import World, simulate, simulate_blocks
from simulator.write import write_areas, write_blocks, write_source, write_truth

__all__ = [
    "ACTION_EFFECTS",
    "ACTION_KINDS",
    "ACTION_TRUTH_COLUMNS",
    "COMMUNE_ENTERPRISE_COLUMNS",
    "ENTERPRISE_COLUMNS",
    "INCIDENT_COLUMNS",
    "INDICATOR_COLUMNS",
    "PRESETS",
    "TRUTH_COLUMNS",
    "Preset",
    "ProvinceSpec",
    "ActionEffect",
    "World",
    "calibration_report",
    "monthly_stoppages",
    "national_preset",
    "national_summary",
    "simulate",
    "simulate_blocks",
    "write_agencies",
    "write_areas",
    "write_blocks",
    "write_source",
    "write_truth",
]
