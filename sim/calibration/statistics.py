"""Target statistics of runs, and how far each run is from each target.

:class:`TargetStatistics` turns a batch :class:`~sim.engine.Trajectory` into one row per run
with one column per target component (``integrated_share.melton``, ``interfaces_2012``, ...).
It needs per-week information that the standard summary metrics do not keep (the weeks an
interface was live, the interface stages at a 2012 date), so it is a function of the whole
trajectory; it is a plain frozen dataclass so it can be sent to worker processes.

Distances follow pattern-oriented modelling (Grimm et al. 2005): a statistic inside its target
interval is at distance 0; outside, the distance is how far outside, in units of the target's
tolerance. A run meets a target when its distance is at most 1. A run's overall distance is the
largest over the targets (the worst-fitting pattern), so "distance <= 1" means "meets every
target within its tolerance". An undefined statistic (a partner whose interface never went
live, an empty group) is infinitely far: the run cannot show the pattern.

References
----------
Grimm, V. et al. (2005). Science 310, 987-991. doi:10.1126/science.1116681
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from sim.calibration.targets import Target, TargetsError, TargetSet
from sim.engine import ENGAGED, FloatArray, InterfaceState, Trajectory
from sim.inputs import Problem, did_you_mean
from sim.metrics import FINAL_YEAR_WEEKS, interface_positions, positions_off, rank_correlation
from sim.names import slug
from sim.timeline import week_of


def _share(recorded: np.ndarray, handled: np.ndarray) -> FloatArray:
    """Return recorded over handled; NaN where nothing was handled."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(handled > 0, recorded / np.maximum(handled, 1), np.nan)


@dataclass(frozen=True)
class TargetStatistics:
    """The target statistics of a scenario's runs, as a metrics function of a trajectory.

    Build it with :meth:`for_scenario`, which checks the targets against the scenario (partner
    names, dates inside the run).

    Attributes
    ----------
    targets : TargetSet
        The targets.
    partners : tuple of str
        The scenario's partner names, in array order.
    weeks : dict of str to int
        The week of every target's ``at`` date, by target id (``<id>.then`` for ``then``).
    final_weeks : int
        Length of the "final year" window.
    """

    targets: TargetSet
    partners: tuple[str, ...]
    weeks: dict[str, int]
    final_weeks: int = FINAL_YEAR_WEEKS

    @classmethod
    def for_scenario(
        cls,
        targets: TargetSet,
        partners: tuple[str, ...],
        start: date,
        n_weeks: int,
        label: str = "<targets>",
    ) -> TargetStatistics:
        """Return the statistics of ``targets`` for a scenario with these partners and dates.

        Raises
        ------
        TargetsError
            Every partner a target names that the scenario does not have, and every date
            outside the run.
        """
        weeks: dict[str, int] = {}
        problems: list[Problem] = []
        for i, target in enumerate(targets.targets):
            where = f"targets[{i}] ({target.id})"
            for field in ("partners", "group", "versus"):
                names = getattr(target, field)
                for name in names if isinstance(names, list) else ():
                    if name not in partners:
                        hint = did_you_mean(name, partners)
                        problem = f"no partner named {name!r} in the scenario{hint}"
                        problems.append(Problem(f"{where}.{field}", problem))
            for field, key in (("at", target.id), ("then", f"{target.id}.then")):
                day = getattr(target, field)
                if day is None:
                    continue
                week = week_of(day, start)
                if not 0 <= week < n_weeks:
                    problems.append(
                        Problem(
                            f"{where}.{field}",
                            f"{day} is outside the run ({start} plus {n_weeks} weeks)",
                        )
                    )
                weeks[key] = week
        TargetsError.raise_any(label, problems)
        return cls(targets, partners, weeks)

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns :meth:`__call__` returns."""
        return self.targets.components()

    def __call__(self, trajectory: Trajectory) -> pd.DataFrame:
        """One row per run of ``trajectory``, one column per target component."""
        if tuple(trajectory.names) != self.partners:
            raise ValueError("trajectory partners differ from the targets' scenario")
        window = slice(max(trajectory.handled.shape[1] - self.final_weeks, 0), None)
        handled = trajectory.handled[:, window].sum(axis=1)
        recorded = trajectory.recorded[:, window].sum(axis=1)
        final_share = _share(recorded, handled)
        live_end = trajectory.interface[:, -1] == InterfaceState.LIVE
        columns: dict[str, FloatArray] = {}
        for target in self.targets.targets:
            for name, values in self._statistic(
                target, trajectory, handled, recorded, final_share, live_end
            ).items():
                columns[name] = values
        return pd.DataFrame(columns, columns=list(self.columns))

    def _index(self, names: list[str]) -> np.ndarray:
        return np.array([self.partners.index(n) for n in names], dtype=np.int64)

    def _group(self, group: list[str] | str | None, live_end: np.ndarray) -> np.ndarray:
        """Membership (B, A) of a static or per-run partner group."""
        b, a = live_end.shape
        if group == "interface_live":
            return live_end
        if group == "no_interface_live":
            return ~live_end
        if group == "all":
            return np.ones((b, a), dtype=bool)
        member = np.zeros(a, dtype=bool)
        member[self._index(list(group or []))] = True
        return np.broadcast_to(member, (b, a))

    def _statistic(
        self,
        target: Target,
        trajectory: Trajectory,
        handled: np.ndarray,
        recorded: np.ndarray,
        final_share: FloatArray,
        live_end: np.ndarray,
    ) -> dict[str, FloatArray]:
        kind = target.statistic
        if kind == "share_after_interface_live":
            names = target.components()
            live = trajectory.interface == InterfaceState.LIVE
            index = self._index(target.partners or [])
            rec = (trajectory.recorded * live).sum(axis=1)[:, index]
            han = (trajectory.handled * live).sum(axis=1)[:, index]
            share = _share(rec, han)
            return {name: share[:, k] for k, name in enumerate(names)}
        if kind == "share_final_year" and target.group is not None:
            group = self._group(target.group, live_end)
            return {target.id: _group_mean(final_share, group)}
        if kind == "share_final_year":
            chosen = (
                self._index(target.partners) if target.partners else np.arange(len(self.partners))
            )
            return {target.id: _share(recorded[:, chosen].sum(1), handled[:, chosen].sum(1))}
        if kind == "share_final_year_gap":
            first = self._group(target.group, live_end)
            second = self._group(target.versus, live_end)
            return {target.id: _group_mean(final_share, first) - _group_mean(final_share, second)}
        if kind == "buy_in_share_rank_correlation":
            return {
                target.id: rank_correlation(trajectory.buy_in[:, -1], np.nan_to_num(final_share))
            }
        if kind == "interfaces_considering_or_beyond":
            week = self.weeks[target.id]
            stage = trajectory.interface[:, week]
            return {target.id: np.isin(stage, ENGAGED).sum(axis=1).astype(float)}
        if kind == "interface_positions_off":
            positions = interface_positions(
                trajectory.interface, self.weeks[target.id], self.weeks[f"{target.id}.then"]
            )
            return {target.id: positions_off(positions).astype(float)}
        raise AssertionError(f"statistic kind {kind!r} has no implementation")


def _group_mean(share: FloatArray, group: np.ndarray) -> FloatArray:
    """Mean over each run's partners in ``group`` (NaN shares left out; NaN if none)."""
    counted = group & ~np.isnan(share)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nansum(np.where(counted, share, 0.0), axis=1) / counted.sum(axis=1)


def excess(values: pd.DataFrame, targets: TargetSet) -> pd.DataFrame:
    """How far each statistic is outside its target, in tolerances (0 inside; inf undefined).

    Parameters
    ----------
    values : DataFrame
        One row per run, one column per target component (:meth:`TargetSet.components`).
    targets : TargetSet
        The targets.
    """
    out: dict[str, np.ndarray] = {}
    for target in targets.targets:
        low, high = target.interval
        for column in target.components():
            x = values[column].to_numpy(dtype=float)
            below = np.where(x < low, low - x, 0.0)
            above = np.where(x > high, x - high, 0.0)
            d = (below + above) / target.tolerance
            out[column] = np.where(np.isnan(x), np.inf, d)
    return pd.DataFrame(out, index=values.index)


def meets(runs: pd.DataFrame, targets: TargetSet) -> pd.DataFrame:
    """Whether each run (rows) meets each target (columns, by id) within tolerance.

    A target with one component per partner is met when every component is.
    """
    gaps = excess(runs, targets)
    return pd.DataFrame(
        {t.id: (gaps[list(t.components())] <= 1.0).all(axis=1) for t in targets.targets},
        index=runs.index,
    )


def distance(values: pd.DataFrame, targets: TargetSet) -> np.ndarray:
    """Each run's distance to the evidence: its worst target, in tolerances (<= 1 meets all)."""
    return excess(values, targets).to_numpy().max(axis=1)


def partner_statistics(trajectory: Trajectory, final_weeks: int = FINAL_YEAR_WEEKS) -> pd.DataFrame:
    """Per partner and run: share, share while live, final buy-in and interface.

    Final-year share, share while the interface is live (NaN if it never is), final buy-in
    and whether the interface is live at the end. Columns are ``<statistic>.<partner
    slug>``; used for the per-partner posterior-predictive check.
    """
    window = slice(max(trajectory.handled.shape[1] - final_weeks, 0), None)
    final = _share(
        trajectory.recorded[:, window].sum(axis=1), trajectory.handled[:, window].sum(axis=1)
    )
    live = trajectory.interface == InterfaceState.LIVE
    after = _share(
        (trajectory.recorded * live).sum(axis=1), (trajectory.handled * live).sum(axis=1)
    )
    columns: dict[str, np.ndarray] = {}
    for a, name in enumerate(trajectory.names):
        key = slug(name)
        columns[f"share_final_year.{key}"] = final[:, a]
        columns[f"share_after_interface_live.{key}"] = after[:, a]
        columns[f"buy_in_final.{key}"] = trajectory.buy_in[:, -1, a]
        columns[f"interface_live_final.{key}"] = live[:, -1, a].astype(float)
    return pd.DataFrame(columns)


def quarterly_share(trajectory: Trajectory, weeks: int = 13) -> np.ndarray:
    """Return the recording share per run, quarter (``weeks`` weeks) and partner (B, Q, A).

    NaN where a partner handled nothing in a quarter (e.g. before it went live).
    """
    b, t, a = trajectory.handled.shape
    quarters = t // weeks
    cut = quarters * weeks
    handled = trajectory.handled[:, :cut].reshape(b, quarters, weeks, a).sum(axis=2)
    recorded = trajectory.recorded[:, :cut].reshape(b, quarters, weeks, a).sum(axis=2)
    return _share(recorded, handled)


STATISTIC_PREFIX = "statistic."
"""Prefix of the columns :class:`StageStatistics` adds to a sweep's results."""

OUTPUT_METRICS = ("latency_final_year", "sharing_hours_final_year", "saved_hours_final_year")
"""Summary metrics (and their per-partner columns) a calibration keeps as outputs that are
not targets, for the posterior-predictive check (DOMAIN.md P5, P13)."""


@dataclass(frozen=True)
class StageStatistics:
    """What a calibration stage needs of each run, computed in the workers from memory.

    The target statistics, the per-partner statistics (:func:`partner_statistics`) and,
    with ``quarterly``, the quarterly share of every partner (``quarter_<q>.<partner>``),
    all prefixed :data:`STATISTIC_PREFIX` so they never clash with the summary metrics. A
    :class:`sim.sweep.plan.RunStatistics`: the sweep runner calls it on each engine batch,
    so no weekly trajectory is written and read back.
    """

    targets: TargetStatistics
    quarterly: bool = False

    def __call__(self, trajectory: Trajectory) -> pd.DataFrame:
        """One row per run: every statistic the stage keeps, prefixed."""
        parts = [self.targets(trajectory), partner_statistics(trajectory, self.targets.final_weeks)]
        if self.quarterly:
            parts.append(quarterly_columns(trajectory))
        return pd.concat(parts, axis=1).add_prefix(STATISTIC_PREFIX)

    def key(self) -> str:
        """Return a hash of what is computed: targets, partners, dates, window, quarters."""
        stats = self.targets
        what = {
            "targets": stats.targets.content_hash(),
            "partners": list(stats.partners),
            "weeks": stats.weeks,
            "final_weeks": stats.final_weeks,
            "quarterly": self.quarterly,
        }
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()

    def unpack(
        self, results: pd.DataFrame, inputs: tuple[str, ...] = ()
    ) -> tuple[pd.DataFrame, np.ndarray | None]:
        """Split a sweep's results into the stage's statistics table and quarterly array.

        The table holds ``row``, ``replicate``, ``run_key``, the values of ``inputs`` the
        design set, the target and per-partner statistics and the :data:`OUTPUT_METRICS`;
        a failed run keeps its place with undefined (NaN) values, so it is infinitely far
        from every target.
        """
        names = [c for c in results.columns if c.startswith(STATISTIC_PREFIX)]
        values = results[names].rename(columns=lambda c: c[len(STATISTIC_PREFIX) :])
        quarters = [c for c in values.columns if c.startswith("quarter_")]
        outputs = [c for c in results.columns if c.split(".")[0] in OUTPUT_METRICS]
        table = pd.concat(
            [
                results[["row", "replicate", "run_key"]].astype({"row": np.int64}),
                results[[n for n in inputs if n in results.columns]].astype(float),
                values.drop(columns=quarters).astype(float),
                results[outputs].astype(float),
            ],
            axis=1,
        )
        if not self.quarterly:
            return table, None
        b, a = len(results), len(self.targets.partners)
        cube = values[quarters].to_numpy(dtype=float).reshape(b, len(quarters) // a, a)
        return table, cube


def quarterly_columns(trajectory: Trajectory, weeks: int = 13) -> pd.DataFrame:
    """Return :func:`quarterly_share` as columns ``quarter_<q>.<partner slug>`` (q from 0)."""
    share = quarterly_share(trajectory, weeks)
    b, quarters, a = share.shape
    names = [f"quarter_{q:02d}.{slug(n)}" for q in range(quarters) for n in trajectory.names]
    return pd.DataFrame(share.reshape(b, quarters * a), columns=names)


def trajectory_from_rows(
    rows: pd.DataFrame, runs: pd.DataFrame, partners: tuple[str, ...]
) -> Trajectory:
    """Rebuild a batch :class:`Trajectory` from a sweep's tidy partner x week rows.

    Parameters
    ----------
    rows : DataFrame
        ``sim.store.read_trajectories`` output: ``run_key``, ``week``, ``partner``,
        ``handled``, ``recorded``, ``buy_in``, ``interface`` (stage name), ``attitude``,
        ``latency_days``, ``sharing_hours``, ``saved_hours``.
    runs : DataFrame
        The runs to rebuild, in the order wanted (a ``run_key`` column); each must have rows.
    partners : tuple of str
        Partner names in the scenario's order.

    Returns
    -------
    Trajectory
        One run per row of ``runs``. Pressure and the views network are not kept by sweeps
        and come back as zeros; no target statistic reads them.
    """
    position = pd.Series(np.arange(len(runs)), index=pd.Index(runs["run_key"]))
    run = position.reindex(rows["run_key"]).to_numpy()
    if np.isnan(run.astype(float)).any():
        raise ValueError("trajectory rows belong to runs that were not asked for")
    partner = pd.Series(np.arange(len(partners)), index=pd.Index(partners))
    where = partner.reindex(rows["partner"].astype(str)).to_numpy()
    if np.isnan(where.astype(float)).any():
        raise ValueError("trajectory rows name a partner the scenario does not have")
    run, where = run.astype(np.int64), where.astype(np.int64)
    week = rows["week"].to_numpy(dtype=np.int64)
    b, t, a = len(runs), int(week.max()) + 1, len(partners)
    counts = np.zeros(b, dtype=np.int64)
    np.add.at(counts, run, 1)
    if np.any(counts != t * a):
        raise ValueError("some runs have no (or incomplete) trajectory rows")

    def cube(column: str, dtype: type) -> np.ndarray:
        values: np.ndarray = np.zeros((b, t, a), dtype=dtype)
        values[run, week, where] = rows[column].to_numpy(dtype=dtype)
        return values

    stages = {s.name.lower(): int(s) for s in InterfaceState}
    interface = np.zeros((b, t, a), dtype=np.int64)
    interface[run, week, where] = rows["interface"].astype(str).map(stages).to_numpy(dtype=np.int64)
    return Trajectory(
        names=partners,
        handled=cube("handled", np.int64),
        recorded=cube("recorded", np.int64),
        buy_in=cube("buy_in", np.float64),
        interface=interface,
        attitude=cube("attitude", np.float64),
        pressure=np.zeros((b, t)),
        views=np.zeros((b, a, a)),
        latency_days=cube("latency_days", np.float64),
        sharing_hours=cube("sharing_hours", np.float64),
        saved_hours=cube("saved_hours", np.float64),
    )
