"""A small partnership and a schedule that exercises every rule, for engine tests; and the
main outputs of a run, which tests of equality in distribution compare."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from scipy.stats import ks_2samp

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
    """Five partners: a police force, three councils (one with prior use and an interface),
    a county; staff counts as given."""
    n = len(staff)
    kinds = ("police", "district", "district", "district", "county", *("district",) * (n - 5))
    interface = np.full(n, InterfaceState.NONE, dtype=np.int64)
    interface[min(2, n - 1)] = InterfaceState.LIVE
    prior = np.zeros(n, dtype=bool)
    prior[min(2, n - 1)] = True
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


def main_outputs(handled, recorded, buy_in, interface, attitude) -> dict[str, float]:
    """Main outputs of one run from its (T, A) arrays."""
    return {
        "share_weeks_13_26": recorded[13:26].sum() / max(handled[13:26].sum(), 1),
        "share_last_13_weeks": recorded[-13:].sum() / max(handled[-13:].sum(), 1),
        "handled": handled.sum(),
        "buy_in_end": buy_in[-1].mean(),
        "attitude_end": attitude[-1].mean(),
        "interfaces_live_end": (interface[-1] == InterfaceState.LIVE).sum(),
    }


def trajectory_outputs(out: Trajectory) -> list[dict[str, float]]:
    """Main outputs of every run of a trajectory, with the total of cross-partner views."""
    return [
        {
            **main_outputs(
                out.handled[b], out.recorded[b], out.buy_in[b], out.interface[b], out.attitude[b]
            ),
            "views_total": out.views[b].sum(),
        }
        for b in range(out.handled.shape[0])
    ]


def ks_pvalues(first: list[dict[str, float]], second: list[dict[str, float]]) -> dict[str, float]:
    """Two-sample Kolmogorov-Smirnov p-value of each output of ``first`` against ``second``."""
    return {k: ks_2samp([r[k] for r in first], [r[k] for r in second]).pvalue for k in first[0]}
