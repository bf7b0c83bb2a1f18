"""A small partnership and a schedule that exercises every rule, for engine tests; and the
main outputs of a run, which tests of equality in distribution compare."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from scipy.stats import ks_2samp

from sim.benefit import mean_latency
from sim.engine import InterfaceState, Partnership, Schedule, Trajectory
from sim.params import defaults


@dataclass(frozen=True)
class ToySetup:
    """A compiled-scenario look-alike (partnership, schedule, parameters)."""

    partnership: Partnership
    schedule: Schedule
    parameters: dict[str, float] = field(default_factory=defaults)
    name: str = "toy"
    start_date: date = date(2011, 4, 4)


def toy_partnership(staff: tuple[int, ...] = (30, 5, 8, 4, 12)) -> Partnership:
    """Five partners: a police force (the funder), three councils (one with prior use and an
    interface), a county; staff counts as given."""
    n = len(staff)
    kinds = ("police", "district", "district", "district", "county", *("district",) * (n - 5))
    interface = np.full(n, InterfaceState.NONE, dtype=np.int64)
    interface[min(2, n - 1)] = InterfaceState.LIVE
    prior = np.zeros(n, dtype=bool)
    prior[min(2, n - 1)] = True
    priority = np.zeros(n, dtype=bool)
    priority[0] = True
    return Partnership(
        names=tuple(f"partner_{i}" for i in range(n)),
        kinds=kinds[:n],
        staff=np.asarray(staff, dtype=np.int64),
        caseload=np.asarray(staff, dtype=float) * np.linspace(0.6, 1.4, n),
        involvement=np.linspace(0.3, 0.9, n),
        bureaucracy=np.linspace(0.7, 0.2, n),
        initial_buy_in=np.linspace(0.3, 0.7, n),
        initial_interface=interface,
        interface_allowed=np.ones(n, dtype=bool),
        prior_use=prior,
        priority=priority,
    )


def eventful_schedule(n_weeks: int, n_partners: int) -> Schedule:
    """Staggered go-lives, training waves, an agreement, pressure, mandate, co-location,
    a forced interface, a functionality upgrade and a turnover shock."""
    s = Schedule.quiet(n_weeks, n_partners)
    go_live = np.linspace(0, n_weeks // 3, n_partners).astype(int)
    for a, week in enumerate(go_live):
        s.live[:week, a] = False
        s.training[week, a] = 0.7
    s.pressure_impulse[0] = 0.6
    s.pressure_impulse[n_weeks // 2] = 0.5
    s.assurance[n_weeks // 4 :] = 0.5
    s.mandate[n_weeks // 3 :, 0] = 0.8
    s.colocated[n_weeks // 2 :, n_partners - 1] = True
    s.interface_forced[n_weeks // 2, 1] = True
    s.functionality[n_weeks // 3 :] = 0.6
    s.turnover_shock[n_weeks // 2, 0] = 0.2
    return s


def toy_setup(n_weeks: int = 104, staff: tuple[int, ...] = (30, 5, 8, 4, 12)) -> ToySetup:
    """The toy partnership with the eventful schedule and default parameters."""
    partnership = toy_partnership(staff)
    return ToySetup(partnership, eventful_schedule(n_weeks, partnership.n_partners))


ACTIVE = {
    "interface_consider_rate": 0.02,
    "interface_success_pull": 0.004,
    "interface_buy_in_threshold": 0.4,
    "evaluation_decide_rate": 0.3,
    "interface_value_half_life": 13.0,
    "workaround_rate": 0.6,
    "control_priority": 0.5,
    "interface_build_weeks": 16.0,
}
"""A toy set on which every interface transition happens within the toy's year."""


STAGES = ("considering", "building", "workaround", "live", "declined")


def trajectory_outputs(out: Trajectory) -> list[dict[str, float]]:
    """Main outputs of every run of a trajectory.

    Recording shares, cases, buy-in and attitude; the interface-state path (mean number of
    partners in each stage over the weeks, the share of weeks the funder's interface is
    live); what sharing bought over the last quarter (latency, staff hours saved); and the
    total of cross-partner views.
    """
    rows = []
    for b in range(out.handled.shape[0]):
        handled, recorded, interface = out.handled[b], out.recorded[b], out.interface[b]
        row = {
            "share_weeks_13_26": recorded[13:26].sum() / max(handled[13:26].sum(), 1),
            "share_last_13_weeks": recorded[-13:].sum() / max(handled[-13:].sum(), 1),
            "handled": handled.sum(),
            "buy_in_end": out.buy_in[b, -1].mean(),
            "attitude_end": out.attitude[b, -1].mean(),
        }
        for stage in STAGES:
            count = (interface == InterfaceState[stage.upper()]).sum(axis=1)
            row[f"occupancy_{stage}"] = count.mean()
        row["funder_live_weeks"] = (interface[:, 0] == InterfaceState.LIVE).mean()
        row["latency_last_13_weeks"] = mean_latency(out.select([b]), slice(-13, None))[0]
        row["saved_hours_last_13_weeks"] = out.saved_hours[b, -13:].sum()
        row["views_total"] = out.views[b].sum()
        rows.append(row)
    return rows


def ks_pvalues(first: list[dict[str, float]], second: list[dict[str, float]]) -> dict[str, float]:
    """Two-sample Kolmogorov-Smirnov p-value of each output of ``first`` against ``second``."""
    return {k: ks_2samp([r[k] for r in first], [r[k] for r in second]).pvalue for k in first[0]}
