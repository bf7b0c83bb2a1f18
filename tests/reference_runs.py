"""Runs of the per-agent reference model reduced to their docked statistics, one seed a call,
so that a process pool can spread a test's reference runs over the machine's cores.

The statistics of a run (recording shares, buy-in and attitude at the end, and the interface
path: mean number of partners in each stage over the run's weeks, and the share of weeks the
funder's interface is live) are those ``tests/test_reference.py`` docks the engine on.
"""

from __future__ import annotations

import numpy as np

from sim.arrays import Partnership, Schedule
from sim.engine import InterfaceState
from sim.reference import ReferenceModel

STAGES = ("considering", "building", "workaround", "live", "declined")
STATISTICS = (
    "share_weeks_13_26",
    "share_last_13_weeks",
    "buy_in_end",
    "attitude_end",
    *(f"occupancy_{stage}" for stage in STAGES),
    "funder_live_weeks",
)


def docked_statistics(handled, recorded, buy_in, interface, attitude) -> dict[str, float]:
    """The docked statistics of one run, from its (T, A) arrays."""
    out = {
        "share_weeks_13_26": recorded[13:26].sum() / max(handled[13:26].sum(), 1),
        "share_last_13_weeks": recorded[-13:].sum() / max(handled[-13:].sum(), 1),
        "buy_in_end": float(buy_in[-1].mean()),
        "attitude_end": float(attitude[-1].mean()),
    }
    for stage in STAGES:
        count = (interface == InterfaceState[stage.upper()]).sum(axis=1)
        out[f"occupancy_{stage}"] = float(count.mean())
    out["funder_live_weeks"] = float((interface[:, 0] == InterfaceState.LIVE).mean())
    return out


def reference_run(
    partnership: Partnership, schedule: Schedule, params: dict[str, float], seed: int
) -> dict[str, float]:
    """The docked statistics of the reference model's run at ``seed``."""
    weeks, a = schedule.n_weeks, partnership.n_partners
    model = ReferenceModel(partnership, schedule, params, rng=seed)
    while model.running:
        model.step()
    arrays = {
        k: np.array([r[k] for r in model.history], dtype=float).reshape(weeks, a)
        for k in ("handled", "recorded", "buy_in", "interface", "attitude")
    }
    return docked_statistics(**arrays)
