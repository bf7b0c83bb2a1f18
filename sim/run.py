"""Run a scenario: replicates on the engine, returned as a frozen result of tidy frames."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.engine import (
    INTERFACE_NAMES,
    InterfaceState,
    Trajectory,
    concatenate,
    share_of,
    simulate,
    stack_parameters,
)
from sim.errors import InputError
from sim.seeds import run_seed

if TYPE_CHECKING:
    from sim.scenarios import Scenario


@dataclass(frozen=True)
class RunResult:
    """The outputs of ``replicates`` runs of one scenario.

    Attributes
    ----------
    scenario : str
        Scenario name.
    seed : int
        The seed given to :func:`run`; replicate ``r`` used ``run_seed(seed, 0, r)``.
    parameters : dict
        The full parameter set the runs used.
    trajectory : Trajectory
        Raw arrays, (replicate, week, agency).
    """

    scenario: str
    seed: int
    parameters: Mapping[str, float]
    trajectory: Trajectory

    @property
    def replicates(self) -> int:
        """Number of replicates."""
        return int(self.trajectory.handled.shape[0])

    @property
    def weeks(self) -> int:
        """Number of weeks simulated."""
        return int(self.trajectory.handled.shape[1])

    @cached_property
    def agencies(self) -> pd.DataFrame:
        """Tidy per agency, week and replicate: handled, recorded, share, buy-in, interface."""
        return agency_frame(self.trajectory)

    @cached_property
    def partnership(self) -> pd.DataFrame:
        """Tidy per week and replicate: partnership-wide handled, recorded, share, pressure."""
        return partnership_frame(self.trajectory)

    @cached_property
    def views(self) -> pd.DataFrame:
        """Cross-agency views network as edges: replicate, viewer, owner, views."""
        return views_frame(self.trajectory)

    def summary(self, last_weeks: int = 52) -> pd.DataFrame:
        """Per agency over the last ``last_weeks`` weeks: mean share (and 5-95% band across
        replicates), final buy-in, share of replicates with a live interface at the end."""
        return agency_summary(self.trajectory, last_weeks)


def agency_frame(trajectory: Trajectory) -> pd.DataFrame:
    """Tidy frame of a trajectory: one row per replicate, week and agency."""
    b, t, a = trajectory.handled.shape
    replicate, week, agency = np.meshgrid(np.arange(b), np.arange(t), np.arange(a), indexing="ij")
    return pd.DataFrame(
        {
            "replicate": replicate.ravel(),
            "week": week.ravel(),
            "agency": pd.Categorical.from_codes(agency.ravel(), categories=list(trajectory.names)),
            "handled": trajectory.handled.ravel(),
            "recorded": trajectory.recorded.ravel(),
            "share": trajectory.share.ravel(),
            "buy_in": trajectory.buy_in.ravel(),
            "interface": pd.Categorical.from_codes(
                trajectory.interface.ravel(), categories=list(INTERFACE_NAMES)
            ),
            "attitude": trajectory.attitude.ravel(),
        }
    )


def partnership_frame(trajectory: Trajectory) -> pd.DataFrame:
    """Tidy frame of partnership-wide outputs: one row per replicate and week."""
    b, t, _ = trajectory.handled.shape
    replicate, week = np.meshgrid(np.arange(b), np.arange(t), indexing="ij")
    return pd.DataFrame(
        {
            "replicate": replicate.ravel(),
            "week": week.ravel(),
            "handled": trajectory.handled.sum(axis=2).ravel(),
            "recorded": trajectory.recorded.sum(axis=2).ravel(),
            "share": trajectory.partnership_share.ravel(),
            "pressure": trajectory.pressure.ravel(),
        }
    )


def views_frame(trajectory: Trajectory) -> pd.DataFrame:
    """Edges of the cumulative cross-agency views network (viewer looked at owner's records)."""
    b, a, _ = trajectory.views.shape
    replicate, viewer, owner = np.meshgrid(np.arange(b), np.arange(a), np.arange(a), indexing="ij")
    keep = (viewer != owner).ravel()
    names = list(trajectory.names)
    return pd.DataFrame(
        {
            "replicate": replicate.ravel()[keep],
            "viewer": pd.Categorical.from_codes(viewer.ravel()[keep], categories=names),
            "owner": pd.Categorical.from_codes(owner.ravel()[keep], categories=names),
            "views": trajectory.views.ravel()[keep],
        }
    )


def agency_summary(trajectory: Trajectory, last_weeks: int = 52) -> pd.DataFrame:
    """Per-agency summary over the last ``last_weeks`` weeks of every replicate."""
    handled, recorded = trajectory.last_weeks(last_weeks)
    share = share_of(recorded, handled)
    live = trajectory.interface[:, -1] == InterfaceState.LIVE
    return pd.DataFrame(
        {
            "share": share.mean(axis=0),
            "share_p05": np.quantile(share, 0.05, axis=0),
            "share_p95": np.quantile(share, 0.95, axis=0),
            "buy_in": trajectory.buy_in[:, -1].mean(axis=0),
            "interface_live": live.mean(axis=0),
            "handled_per_week": handled.mean(axis=0) / min(last_weeks, trajectory.handled.shape[1]),
        },
        index=pd.Index(trajectory.names, name="agency"),
    )


def run(
    scenario: Scenario | str,
    *,
    seed: int,
    replicates: int = 1,
    values: Mapping[str, float] | None = None,
    batch_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run ``replicates`` replicates of a scenario on the engine.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or the name or path of a scenario file.
    seed : int
        Non-negative seed; replicate ``r`` uses ``sim.seeds.run_seed(seed, 0, r)``.
    replicates : int
        Number of independent replicates (at least 1).
    values : mapping, optional
        Values for the scenario's uncertain inputs (``Scenario.uncertain_inputs()``); the
        rest take their defaults.
    batch_size : int
        Replicates advanced together by the engine; results do not depend on it.
    progress : callable, optional
        Called with the number of replicates finished after each batch.
    """
    from sim.scenarios import Scenario

    if isinstance(scenario, str):
        scenario = Scenario.load(scenario)
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise InputError(f"replicates must be a whole number of at least 1, got {replicates!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative whole number, got {seed!r}")
    compiled = scenario.compile(values)
    parts = []
    for start in range(0, replicates, batch_size):
        stop = min(start + batch_size, replicates)
        params = stack_parameters([compiled.parameters] * (stop - start))
        seeds = [run_seed(seed, 0, r) for r in range(start, stop)]
        parts.append(simulate(compiled.partnership, compiled.schedule, params, seeds))
        if progress is not None:
            progress(stop)
    return RunResult(scenario.name, seed, dict(compiled.parameters), concatenate(parts))
