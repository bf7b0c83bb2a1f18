"""Run a scenario: replicates on the engine, returned as a frozen result of tidy frames.

Each replicate's engine inputs come from :class:`sim.run_inputs.RunInputs`, as a sweep's do.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.benefit import hours_per_week, partner_latency, weekly_latency
from sim.engine import (
    INTERFACE_NAMES,
    InterfaceState,
    Trajectory,
    concatenate,
    share_of,
)
from sim.errors import InputError
from sim.headline import spread
from sim.metrics import final_year_share
from sim.run_inputs import RunInputs, simulate_in_order

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
        The full parameter set at the scenario's defaults and the values given to
        :func:`run`: what every replicate used, except the inputs in ``draws``.
    trajectory : Trajectory
        Raw arrays, (replicate, week, partner).
    draws : DataFrame or None
        When the replicates drew their inputs from the scenario's posterior: per replicate,
        the set drawn (``draw``, its row in ``Scenario.posterior``) and the values it gave.
        None otherwise.
    start : date or None
        The calendar date week 0 begins on (figures and tables show dates beside weeks).
    """

    scenario: str
    seed: int
    parameters: Mapping[str, float]
    trajectory: Trajectory
    draws: pd.DataFrame | None = None
    start: date | None = None

    def __repr__(self) -> str:
        """One line: scenario, seed, size and the final-year share over the replicates."""
        share = spread(final_year_share(self.trajectory)).text("share")
        return (
            f"<RunResult {self.scenario!r}, seed {self.seed}: {self.replicates} "
            f"replicate{'s' if self.replicates != 1 else ''} x "
            f"{self.weeks} weeks x {len(self.trajectory.names)} partners; final-year share "
            f"{share}>"
        )

    @property
    def replicates(self) -> int:
        """Number of replicates."""
        return int(self.trajectory.handled.shape[0])

    @property
    def weeks(self) -> int:
        """Number of weeks simulated."""
        return int(self.trajectory.handled.shape[1])

    @cached_property
    def partners(self) -> pd.DataFrame:
        """Tidy per partner, week and replicate: counts, states and what sharing bought.

        Handled, recorded, share, buy-in, interface, attitude, ``latency_days`` (days until
        partners learn of a case), ``sharing_hours`` and ``saved_hours`` (staff hours that week).
        """
        return partner_frame(self.trajectory)

    @property
    def agencies(self) -> pd.DataFrame:
        """Deprecated name of :attr:`partners`."""
        warnings.warn(
            "RunResult.agencies is now RunResult.partners (its column 'agency' is 'partner')",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.partners

    @cached_property
    def partnership(self) -> pd.DataFrame:
        """Tidy per week and replicate: partnership-wide counts, pressure and benefit.

        Handled, recorded, share, pressure, latency (weighted by cases) and staff hours on
        sharing and saved (summed).
        """
        return partnership_frame(self.trajectory)

    @cached_property
    def views(self) -> pd.DataFrame:
        """Cross-partner views network as edges: replicate, viewer, owner, views."""
        return views_frame(self.trajectory)

    def summary(self, last_weeks: int = 52) -> pd.DataFrame:
        """Per partner over the last ``last_weeks`` weeks: share, buy-in, interface and benefit.

        Median share over the replicates (and the 5% and 95% quantiles), median final buy-in,
        share of replicates with a live interface at the end, and the median latency (days)
        and staff hours a week on sharing and saved.
        """
        return partner_summary(self.trajectory, last_weeks)


def partner_frame(trajectory: Trajectory) -> pd.DataFrame:
    """Tidy frame of a trajectory: one row per replicate, week and partner."""
    b, t, a = trajectory.handled.shape
    replicate, week, partner = np.meshgrid(np.arange(b), np.arange(t), np.arange(a), indexing="ij")
    return pd.DataFrame(
        {
            "replicate": replicate.ravel(),
            "week": week.ravel(),
            "partner": pd.Categorical.from_codes(
                partner.ravel(), categories=list(trajectory.names)
            ),
            "handled": trajectory.handled.ravel(),
            "recorded": trajectory.recorded.ravel(),
            "share": trajectory.share.ravel(),
            "buy_in": trajectory.buy_in.ravel(),
            "interface": pd.Categorical.from_codes(
                trajectory.interface.ravel(), categories=list(INTERFACE_NAMES)
            ),
            "attitude": trajectory.attitude.ravel(),
            "latency_days": trajectory.latency_days.ravel(),
            "sharing_hours": trajectory.sharing_hours.ravel(),
            "saved_hours": trajectory.saved_hours.ravel(),
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
            "latency_days": weekly_latency(trajectory).ravel(),
            "sharing_hours": trajectory.sharing_hours.sum(axis=2).ravel(),
            "saved_hours": trajectory.saved_hours.sum(axis=2).ravel(),
        }
    )


def views_frame(trajectory: Trajectory) -> pd.DataFrame:
    """Edges of the cumulative cross-partner views network (viewer looked at owner's records)."""
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


def partner_summary(trajectory: Trajectory, last_weeks: int = 52) -> pd.DataFrame:
    """Per-partner summary over the last ``last_weeks`` weeks of every replicate.

    Medians over the replicates, with the 5% and 95% quantiles of the share (the one headline
    statistic of every report, as the dashboard shows its ensemble).
    """
    handled, recorded = trajectory.last_weeks(last_weeks)
    share = share_of(recorded, handled)
    live = trajectory.interface[:, -1] == InterfaceState.LIVE
    weeks = slice(max(trajectory.handled.shape[1] - last_weeks, 0), None)
    n_weeks = min(last_weeks, trajectory.handled.shape[1])
    spent, saved = hours_per_week(trajectory, weeks)
    return pd.DataFrame(
        {
            "share": np.median(share, axis=0),
            "share_p05": np.quantile(share, 0.05, axis=0),
            "share_p95": np.quantile(share, 0.95, axis=0),
            "buy_in": np.median(trajectory.buy_in[:, -1], axis=0),
            "interface_live": live.mean(axis=0),
            "handled_per_week": np.median(handled, axis=0) / n_weeks,
            "latency_days": np.nanmedian(partner_latency(trajectory, weeks), axis=0),
            "sharing_hours": np.median(spent, axis=0),
            "saved_hours": np.median(saved, axis=0),
        },
        index=pd.Index(trajectory.names, name="partner"),
    )


def run(
    scenario: Scenario | str,
    *,
    seed: int,
    replicates: int = 1,
    values: Mapping[str, float] | None = None,
    posterior: bool = True,
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
        Values for the scenario's uncertain inputs (``Scenario.uncertain_inputs()``) or
        registry parameters; the rest are drawn from the posterior (if any) or take their
        defaults.
    posterior : bool
        When the scenario has a posterior, draw each replicate's parameter set from it
        (replicate ``r`` draws with ``sim.seeds.draw_seed(seed, 0, r)``); False runs every
        replicate at the scenario's defaults (its point estimate).
    batch_size : int
        Replicates advanced together by the engine; results do not depend on it.
    progress : callable, optional
        Called with the number of replicates finished after each batch.
    """
    # Not imported above: `import sim` loads this module, and the scenario machinery (pydantic
    # schemas) would slow every notebook and command start; it loads when a scenario is used.
    from sim.scenarios import Scenario

    scenario = Scenario.of(scenario)
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise InputError(f"replicates must be a whole number of at least 1, got {replicates!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative whole number, got {seed!r}")
    given = dict(values or {})
    compiled = scenario.compile(given)  # checks every value given, before any run
    inputs = RunInputs(scenario, seed, posterior=posterior)
    parts: list[Trajectory] = []
    names = inputs.posterior.inputs if inputs.posterior is not None else ()
    drawn: list[tuple[int | None, tuple[float, ...]]] = []  # per replicate, with a posterior
    for start in range(0, replicates, batch_size):
        stop = min(start + batch_size, replicates)
        batch = [inputs.prepare(0, r, given) for r in range(start, stop)]
        parts.append(simulate_in_order(batch, seed))
        if names:
            drawn += [(r.draw, tuple(r.values[name] for name in names)) for r in batch]
        if progress is not None:
            progress(stop)
    draws = _draws_frame(names, drawn) if names else None
    return RunResult(
        scenario.name,
        seed,
        dict(compiled.parameters),
        concatenate(parts),
        draws,
        compiled.start_date,
    )


def _draws_frame(
    names: Sequence[str], drawn: Sequence[tuple[int | None, tuple[float, ...]]]
) -> pd.DataFrame:
    """Per replicate: the posterior set drawn and the values it used for the set's inputs."""
    frame = pd.DataFrame(
        [values for _, values in drawn],
        columns=list(names),
        index=pd.RangeIndex(len(drawn), name="replicate"),
    )
    frame.insert(0, "draw", [draw for draw, _ in drawn])
    return frame
