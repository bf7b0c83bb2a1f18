"""Parameter designs: which values of which inputs a sweep runs.

A design is a :class:`pandas.DataFrame` with one column per input and one row per design
point. Column names are the names used everywhere else: registry parameters
(``double_keying_cost``) or a scenario's uncertain inputs (``"blaby.go_live_week"``). The
row number is part of each run's identity: replicate ``r`` of row ``i`` is seeded
``SeedSequence(seed, spawn_key=(i, r))`` (:func:`sim.seeds.run_seed`), so a row keeps its
random stream wherever and whenever it runs.

Every random design takes an explicit ``seed`` and is a pure function of its arguments, so a
design can be regenerated from the manifest's description and is also stored there in full.
Two designs grow by appending rows, which lets a finished sweep be extended without redoing
anything: a Sobol design with ``2n`` base points starts with the ``n``-point design (the
Sobol sequence is extensible, checked in ``tests/test_design.py``), and an explicit list can
gain rows at its end.

Every design's size is checked against ``sim.limits`` before it is built.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, Protocol

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.inputs import did_you_mean
from sim.limits import MAX_GRID_POINTS, design_problem
from sim.params import PARAMETERS

DesignKind = Literal["grid", "latin_hypercube", "sobol", "morris", "list"]
"""The kinds of design an experiment file can ask for."""

Bounds = Mapping[str, tuple[float, float]]
"""Lower and upper bound per input name."""


class DesignError(InputError):
    """A design that cannot be run: unknown input, value out of range, wrong shape."""


class HasInputs(Protocol):
    """What a design needs from a scenario: its name and its uncertain inputs with ranges."""

    @property
    def name(self) -> str:
        """Scenario name."""
        ...

    def uncertain_inputs(self) -> Mapping[str, tuple[float, float]]:
        """Ranges of the scenario's uncertain inputs, by input name."""
        ...


def input_ranges(scenarios: Sequence[HasInputs]) -> dict[str, tuple[float, float]]:
    """Return the inputs a design over ``scenarios`` may vary, with their ranges.

    Every registry parameter is an input of every scenario, with its registry range (or the
    scenario's own range when the scenario narrows it). A scenario input such as
    ``"blaby.go_live_week"`` can be varied only if every scenario has it with the same range,
    so a crossed design means the same thing for each scenario.

    Parameters
    ----------
    scenarios : sequence of scenarios
        At least one.

    Returns
    -------
    dict
        Input name to ``(low, high)``, registry parameters first.
    """
    ranges: dict[str, tuple[float, float]] = {
        name: (p.low, p.high) for name, p in PARAMETERS.items()
    }
    shared: dict[str, tuple[float, float]] | None = None
    for scenario in scenarios:
        own = {
            name: (float(lo), float(hi)) for name, (lo, hi) in scenario.uncertain_inputs().items()
        }
        extra = {name: span for name, span in own.items() if name not in PARAMETERS}
        # A scenario input must mean the same in every scenario of a crossed design.
        shared = extra if shared is None else {n: s for n, s in shared.items() if extra.get(n) == s}
        for name, span in own.items():
            if name in PARAMETERS:
                low, high = ranges[name]
                ranges[name] = (max(low, span[0]), min(high, span[1]))
    ranges.update(shared or {})
    return ranges


def _unknown(name: str, known: Iterable[str], where: str) -> DesignError:
    return DesignError(f"{where}unknown input {name!r}{did_you_mean(name, known)}")


def check_bounds(bounds: Bounds, ranges: Bounds, where: str = "") -> dict[str, tuple[float, float]]:
    """Return ``bounds`` as floats after checking each lies inside the input's range.

    Parameters
    ----------
    bounds : mapping
        Input name to ``(low, high)``; ``low < high``.
    ranges : mapping
        The allowed range per input (:func:`input_ranges`).
    where : str
        Prefix for error messages (a file and field, or a function name).
    """
    prefix = f"{where}: " if where else ""
    if not bounds:
        raise DesignError(f"{prefix}a design needs at least one input")
    checked: dict[str, tuple[float, float]] = {}
    for name, (low, high) in bounds.items():
        if name not in ranges:
            raise _unknown(name, ranges, prefix)
        low, high = float(low), float(high)
        if not (math.isfinite(low) and math.isfinite(high)):
            raise DesignError(f"{prefix}bounds of {name!r} must be finite, got [{low}, {high}]")
        if not low < high:
            raise DesignError(
                f"{prefix}bounds of {name!r} need low < high, got [{low:g}, {high:g}]"
            )
        lo, hi = ranges[name]
        if low < lo or high > hi:
            raise DesignError(
                f"{prefix}bounds [{low:g}, {high:g}] of {name!r} leave its range [{lo:g}, {hi:g}]"
            )
        checked[name] = (low, high)
    return checked


def check_design(design: pd.DataFrame, ranges: Bounds, where: str = "design") -> pd.DataFrame:
    """Return ``design`` as a float frame with rows ``0..n-1`` after checking every value.

    Parameters
    ----------
    design : DataFrame
        One column per input, one row per design point (at least one row; no columns means
        one point at the scenario's own values).
    ranges : mapping
        The allowed range per input (:func:`input_ranges`).
    where : str
        Prefix for error messages.

    Raises
    ------
    DesignError
        Naming the first unknown column, or the row and column of the first value that is
        not a finite number inside the input's range; or a design bigger than
        ``sim.limits`` allows.
    """
    if not isinstance(design, pd.DataFrame):
        raise DesignError(
            f"{where}: a design is a pandas DataFrame, got {type(design).__name__} (a grid of "
            "levels: sim.design.grid({'legal_risk': [1, 2]}))"
        )
    if len(design) == 0:
        raise DesignError(f"{where}: a design needs at least one row")
    _check_size(where, len(design), len(design.columns))
    columns = [str(c) for c in design.columns]
    if len(set(columns)) != len(columns):
        raise DesignError(f"{where}: input names repeat in the columns {columns}")
    for name in columns:
        if name not in ranges:
            raise _unknown(name, ranges, f"{where}: ")
    values: dict[str, np.ndarray] = {}
    for name, column in zip(columns, design.columns, strict=True):
        raw = design[column]
        if raw.dtype == bool or not pd.api.types.is_numeric_dtype(raw):
            raise DesignError(f"{where}: column {name!r} must hold numbers, got {raw.dtype}")
        numbers = raw.to_numpy(dtype=float, na_value=np.nan)
        low, high = ranges[name]
        bad = ~np.isfinite(numbers) | (numbers < low) | (numbers > high)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DesignError(
                f"{where}: row {row} {name!r} = {numbers[row]:g} is not a finite number in "
                f"[{low:g}, {high:g}]"
            )
        values[name] = numbers
    return pd.DataFrame(values, index=pd.RangeIndex(len(design)), columns=columns)


def grid(levels: Mapping[str, Sequence[float]]) -> pd.DataFrame:
    """Every combination of the given levels (the last input varies fastest).

    Parameters
    ----------
    levels : mapping
        Input name to its values, e.g. ``{"double_keying_cost": [0.3, 1.0, 3.0]}``.

    Returns
    -------
    DataFrame
        ``prod(len(v))`` rows, one column per input.
    """
    if not levels:
        raise DesignError("grid: a design needs at least one input")
    for name, values in levels.items():
        if len(values) == 0:
            raise DesignError(f"grid: input {name!r} has no levels")
    _check_size("grid", math.prod(len(v) for v in levels.values()), len(levels))
    rows = list(itertools.product(*(list(map(float, v)) for v in levels.values())))
    return pd.DataFrame(rows, columns=list(levels), dtype=float)


def linear_levels(low: float, high: float, points: int) -> list[float]:
    """``points`` evenly spaced values from ``low`` to ``high`` inclusive (``points >= 2``)."""
    if not 2 <= points <= MAX_GRID_POINTS:
        raise DesignError(
            f"grid: an input needs 2 to {MAX_GRID_POINTS:,} points between its bounds, "
            f"got {points:,}"
        )
    return [float(v) for v in np.linspace(low, high, points)]


def _check_size(where: str, rows: int, inputs: int) -> None:
    """Refuse, before building it, a design bigger than ``sim.limits`` allows."""
    problem = design_problem(rows, inputs)
    if problem is not None:
        raise DesignError(f"{where}: {problem}")


def sobol_rows(n: int, inputs: int, second_order: bool = False) -> int:
    """Rows of a Saltelli-Sobol design: ``n`` blocks of ``D + 2`` rows.

    ``2D + 2`` rows a block with second order; ``D`` is the number of ``inputs`` (or of
    groups).
    """
    return n * ((2 * inputs + 2) if second_order else (inputs + 2))


def morris_rows(trajectories: int, inputs: int) -> int:
    """Rows of a Morris design: ``trajectories`` paths of ``D + 1`` points over ``inputs``."""
    return trajectories * (inputs + 1)


def _scale(unit: np.ndarray, bounds: Bounds) -> pd.DataFrame:
    lows = np.array([b[0] for b in bounds.values()], dtype=float)
    highs = np.array([b[1] for b in bounds.values()], dtype=float)
    return pd.DataFrame(lows + unit * (highs - lows), columns=list(bounds))


def latin_hypercube(bounds: Bounds, n: int, *, seed: int) -> pd.DataFrame:
    """Draw a Latin hypercube of ``n`` points inside ``bounds`` (scipy.stats.qmc, seeded).

    Each input's range is cut into ``n`` equal strata and every stratum holds exactly one
    point (McKay, Beckman and Conover 1979, doi:10.1080/00401706.1979.10489755).

    Parameters
    ----------
    bounds : mapping
        Input name to ``(low, high)``.
    n : int
        Number of points, at least 1.
    seed : int
        Non-negative seed of the design.
    """
    # scipy.stats and SALib are slow to import and `import sim` loads this module; only the
    # designs that need them import them.
    from scipy.stats import qmc

    if n < 1:
        raise DesignError(f"latin_hypercube: n must be at least 1, got {n}")
    if not bounds:
        raise DesignError("latin_hypercube: a design needs at least one input")
    _check_size("latin_hypercube", n, len(bounds))
    sampler = qmc.LatinHypercube(d=len(bounds), rng=np.random.default_rng(_seed(seed)))
    return _scale(sampler.random(n), bounds)


def salib_problem(bounds: Bounds, groups: Mapping[str, str] | None = None) -> dict[str, object]:
    """Make the SALib problem dictionary for ``bounds`` (and optional groups, e.g. categories)."""
    problem: dict[str, object] = {
        "num_vars": len(bounds),
        "names": list(bounds),
        "bounds": [[float(lo), float(hi)] for lo, hi in bounds.values()],
    }
    if groups is not None:
        missing = [name for name in bounds if name not in groups]
        if missing:
            raise DesignError(f"groups: no group given for {missing[0]!r}")
        problem["groups"] = [groups[name] for name in bounds]
    return problem


def sobol_sample(
    bounds: Bounds,
    n: int,
    *,
    seed: int,
    calc_second_order: bool = False,
    groups: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Draw a Saltelli-Sobol design for Sobol indices (SALib ``sample.sobol``, scrambled, seeded).

    Rows come in blocks of ``D + 2`` (``2D + 2`` with second order; ``D`` is the number of
    inputs, or of groups), one block per base point, in the order SALib's ``analyze_sobol``
    expects (Saltelli et al. 2010, doi:10.1016/j.cpc.2009.09.018).

    Parameters
    ----------
    bounds : mapping
        Input name to ``(low, high)``.
    n : int
        Base points, a power of two (the Sobol sequence's balance needs it).
    seed : int
        Non-negative seed of the scrambling.
    calc_second_order : bool
        Whether the design supports second-order indices.
    groups : mapping, optional
        Group name per input (indices are then per group).
    """
    # SALib is slow to import (see latin_hypercube).
    from SALib.sample import sobol as salib_sobol

    if n < 1 or n & (n - 1):
        raise DesignError(f"sobol: n must be a power of two, got {n}")
    problem = salib_problem(bounds, groups)
    factors = len(bounds) if groups is None else len(set(groups.values()))
    _check_size("sobol", sobol_rows(n, factors, calc_second_order), len(bounds))
    # SALib scales the sample to the bounds itself.
    matrix = salib_sobol.sample(
        problem, n, calc_second_order=calc_second_order, scramble=True, seed=_seed(seed)
    )
    return pd.DataFrame(np.asarray(matrix, dtype=float), columns=list(bounds))


def morris_sample(
    bounds: Bounds,
    trajectories: int,
    *,
    seed: int,
    levels: int = 4,
    groups: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Draw a Morris elementary-effects design (SALib ``sample.morris``, seeded).

    ``trajectories`` one-at-a-time paths of ``D + 1`` points each on a ``levels``-level grid
    (Morris 1991, doi:10.1080/00401706.1991.10484804; Campolongo et al. 2007).

    Parameters
    ----------
    trajectories : int
        Number of trajectories, at least 2.
    levels : int
        Grid levels per input, an even number of at least 2.
    groups : mapping, optional
        Group name per input.

    ``bounds`` and ``seed`` are as for :func:`latin_hypercube`.
    """
    # SALib is slow to import (see latin_hypercube).
    from SALib.sample import morris as salib_morris

    if trajectories < 2:
        raise DesignError(f"morris: trajectories must be at least 2, got {trajectories}")
    if levels < 2 or levels % 2:
        raise DesignError(f"morris: levels must be an even number of at least 2, got {levels}")
    problem = salib_problem(bounds, groups)
    factors = len(bounds) if groups is None else len(set(groups.values()))
    _check_size("morris", morris_rows(trajectories, factors), len(bounds))
    matrix = salib_morris.sample(problem, trajectories, num_levels=levels, seed=_seed(seed))
    return pd.DataFrame(np.asarray(matrix, dtype=float), columns=list(bounds))


def explicit(rows: Sequence[Mapping[str, float]]) -> pd.DataFrame:
    """Make a design from a list of points, each naming the same inputs.

    Parameters
    ----------
    rows : sequence of mappings
        One mapping per point, input name to value.
    """
    if not rows:
        raise DesignError("list: a design needs at least one row")
    names = list(rows[0])
    _check_size("list", len(rows), len(names))
    for i, row in enumerate(rows):
        if set(row) != set(names):
            raise DesignError(f"list: row {i} names {sorted(row)}, but row 0 names {sorted(names)}")
    return pd.DataFrame(
        [[float(row[n]) for n in names] for row in rows], columns=names, dtype=float
    )


def _seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise DesignError(f"a design seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def extends(old: pd.DataFrame, new: pd.DataFrame) -> bool:
    """Whether ``new`` keeps every row of ``old`` under the same row number.

    Row numbers seed the runs, so only a design whose first ``len(old)`` rows equal ``old``
    (same columns, same values bit for bit) can reuse ``old``'s finished runs.
    """
    if list(old.columns) != list(new.columns) or len(new) < len(old):
        return False
    head = new.iloc[: len(old)].to_numpy(dtype=float)
    return bool(np.array_equal(head, old.to_numpy(dtype=float)))
