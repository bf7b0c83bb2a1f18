"""Response curves and tipping points.

How an output moves as one input changes, and where a small change of the input moves it most.

A response curve is the median of an output over the runs at each level of an input, with
the 90% interval of those runs (the one headline statistic of every report). A tipping point
is the curve's largest jump between adjacent levels, when that jump is

* real: its 90% bootstrap interval (medians resampled within each level) excludes zero, and
  the curve's levels surely differ: the p-value of the Kruskal-Wallis test that the runs at
  every level come from one distribution is at most :data:`FALSE_DISCOVERY` once adjusted for
  every curve compared (Benjamini-Hochberg), so that of the tipping points a table lists,
  about one in ten at most is expected to come from an input that does nothing;
* sharp: the rate its interval is sure of (the end nearest zero over the width of the step)
  is at least :data:`SHARP` times the curve's mean rate (total variation over the range), so
  a straight line has none, even when noise makes one of its steps the largest; and
* material: at least :data:`MATERIAL` of the output's range over everything compared.

Designs with many distinct values of an input (Latin hypercube, Sobol, Morris samples) are cut
into :data:`BINS` quantile bins, each counted at the median input value of its runs.

What counts as one observation depends on the design. Where every level of an input meets the
same settings of the other inputs (a one-input sweep, a full grid), the runs are: their only
other difference is chance. Where it does not (a Latin hypercube), the runs at a level share
their design point's other inputs, so the design point is: the interval resamples design
points, with all their runs, and the test compares the design points' mean outputs. A curve
with a level of fewer than two design points then cannot tell the input's effect from the
other inputs' (a small hypercube, whose every level is one point), and is never a tipping
point: its p-value is 1.

Tipping points are listed by the size their interval is sure of (:func:`sure_size`), not by the
median jump: where an output has two modes (most runs share little or nearly everything), a
level's median can flip from one mode to the other on a modest change in how many runs are in
each, and the jump's interval then reaches nearly to zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, kruskal

from sim.errors import InputError
from sim.inputs import did_you_mean

CONFIDENCE = 0.9
"""Coverage of every interval: the 5% and 95% quantiles."""

LEVELS_AT_MOST = 12
"""An input with more distinct values than this is binned."""

BINS = 8
"""Quantile bins of a binned input."""

SHARP = 2.0
"""The rate a tipping point's interval is sure of is at least this many times the curve's mean."""

MATERIAL = 0.1
"""A tipping point's jump is at least this share of the output's range over all curves."""

RESAMPLES = 1000
"""Bootstrap resamples of each level's median."""

FALSE_DISCOVERY = 1 - CONFIDENCE
"""The Benjamini-Hochberg rate: the share of listed tipping points expected to be noise, at most."""


@dataclass(frozen=True)
class Jump:
    """The largest jump of a response curve between adjacent levels of its input.

    Attributes
    ----------
    before_level, after_level : float
        The input's adjacent levels the jump lies between (``before_level < after_level``).
    before, after : float
        The output's median at each.
    jump : float
        ``after - before``.
    jump_low, jump_high : float
        Its bootstrap interval (:data:`CONFIDENCE`); NaN where a level is one design point
        whose runs are not the observations (module docstring).
    rate : float
        ``jump / (after_level - before_level)``, in output units per input unit.
    sharpness : float
        The rate the jump's interval is sure of (its end nearest zero over the width of the
        step; 0 when it holds zero) over the curve's mean rate: at most about 1 for a straight
        line, NaN for a flat curve.
    p_value : float
        The chance that the levels' runs differ as much as they do if the input did nothing:
        the Kruskal-Wallis test (on ranks) that the runs at every level come from one
        distribution.
    q_value : float
        ``p_value`` adjusted for every curve compared (Benjamini-Hochberg); ``p_value`` for a
        curve on its own.
    tipping : bool
        Whether the jump is a tipping point (real, sharp and material; module docstring).
    """

    before_level: float
    after_level: float
    before: float
    after: float
    jump: float
    jump_low: float
    jump_high: float
    rate: float
    sharpness: float
    p_value: float
    q_value: float
    tipping: bool

    @property
    def by_chance(self) -> bool:
        """Whether the curve's levels may not differ at all (:func:`chance_curves`)."""
        return self.q_value > FALSE_DISCOVERY


def chance_curves(jumps: pd.DataFrame) -> pd.Series:
    """Return which curves of a :func:`tipping_points` table may not differ between levels.

    Their adjusted p-value is above :data:`FALSE_DISCOVERY`: they move no more than chance
    does with the runs they have. None is so counted in a table without ``q_value``.
    """
    if "q_value" not in jumps.columns:
        return pd.Series(False, index=jumps.index)
    return jumps["q_value"] > FALSE_DISCOVERY


def confounded_curves(jumps: pd.DataFrame) -> pd.Series:
    """Return which curves of a :func:`tipping_points` table cannot tell their input apart.

    A level of theirs is one design point whose other inputs differ too (module docstring),
    so their jump has no interval: the runs cannot tell the input's effect from the others'.
    """
    if "jump_low" not in jumps.columns:
        return pd.Series(False, index=jumps.index)
    return jumps["jump_low"].isna()


def levels(values: pd.Series, at_most: int = LEVELS_AT_MOST, bins: int = BINS) -> pd.Series:
    """Return the level each run counts at.

    Its own value when the input takes at most ``at_most`` distinct values, else the median value of
    its quantile bin.
    """
    if values.nunique() <= at_most:
        return values.astype(float)
    x = values.to_numpy(float)
    # Quantile bins as ``pd.qcut(values, bins, duplicates="drop")`` cuts them, (low, high] with
    # the lowest value in the first, in numpy: a report reads hundreds of curves.
    edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, bins + 1)))
    which = np.clip(np.searchsorted(edges, x, side="left") - 1, 0, None)
    # Two edges can fall between the same two runs, leaving a bin empty: its median is unused.
    medians = np.array(
        [np.median(x[which == b]) if np.any(which == b) else np.nan for b in range(len(edges) - 1)]
    )
    return pd.Series(medians[which], index=values.index, name=values.name)


def _quantiles(values: np.ndarray) -> tuple[float, float, float]:
    tail = (1 - CONFIDENCE) / 2
    low, mid, high = np.quantile(values, [tail, 0.5, 1 - tail])
    return float(mid), float(low), float(high)


def response(
    frame: pd.DataFrame, input: str, output: str, by: Sequence[str] = ("scenario",)
) -> pd.DataFrame:
    """Return the response curve of ``output`` over ``input`` for each group of ``by``.

    Returns
    -------
    DataFrame
        One row per group and level: the ``by`` columns, ``input``, ``output``, ``level``,
        ``runs``, ``median``, ``low`` and ``high`` (the 5% and 95% quantiles of the runs).
    """
    _check_columns(frame, [input, output, *by])
    rows = []
    for key, group in _groups(frame, by):
        valid = group[[input, output]].dropna()
        if valid.empty:
            continue
        level = levels(valid[input])
        for value, values in valid[output].groupby(level, sort=True):
            mid, low, high = _quantiles(values.to_numpy(float))
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "input": input,
                    "output": output,
                    "level": float(value),
                    "runs": len(values),
                    "median": mid,
                    "low": low,
                    "high": high,
                }
            )
    columns = [*by, "input", "output", "level", "runs", "median", "low", "high"]
    return pd.DataFrame(rows, columns=columns)


def largest_jump(
    at: Sequence[float],
    samples: Sequence[np.ndarray],
    *,
    design_points: Sequence[np.ndarray] | None = None,
    scale: float | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Jump | None:
    """Return the largest jump between adjacent levels of one response curve.

    Parameters
    ----------
    at : sequence of float
        The input's levels, increasing.
    samples : sequence of arrays
        The output of the runs at each level (at least one run each).
    design_points : sequence of arrays, optional
        The design point of each run at each level, where the design points, not the runs,
        are the observations (module docstring); the runs are when omitted.
    scale : float, optional
        The output's range over everything compared, for materiality (this curve's range
        of medians when omitted).
    resamples, seed : int
        Bootstrap resamples of each level's median, and their seed (fixed: the same data
        give the same interval).

    Returns
    -------
    Jump or None
        None when the curve has fewer than two levels.
    """
    points = np.asarray(at, dtype=float)
    if len(points) < 2:
        return None
    if np.any(np.diff(points) <= 0):
        raise InputError("largest_jump: the levels must increase")
    medians = np.array([np.median(s) for s in samples])
    jumps = np.diff(medians)
    k = int(np.argmax(np.abs(jumps)))
    rng = np.random.default_rng(seed)
    before, after = (_observations(samples, design_points, i) for i in (k, k + 1))
    boot = _boot_medians(after, resamples, rng) - _boot_medians(before, resamples, rng)
    tail = (1 - CONFIDENCE) / 2
    low, high = (float(v) for v in np.quantile(boot, [tail, 1 - tail]))
    if design_points is not None and min(len(before), len(after)) < 2:
        low = high = float("nan")  # one design point cannot be resampled: no interval
    width = points[k + 1] - points[k]
    rate = float(jumps[k] / width)
    mean_rate = float(np.abs(jumps).sum() / (points[-1] - points[0]))
    # Judged by the end of its interval nearest zero: the largest of several noisy steps of a
    # straight line is often twice their mean, but seldom surely so.
    sure = max(low, 0.0) + max(-high, 0.0)
    sharpness = sure / width / mean_rate if mean_rate > 0 else float("nan")
    spread = float(medians.max() - medians.min()) if scale is None else float(scale)
    p_value = (
        levels_differ(samples) if design_points is None else points_differ(samples, design_points)
    )
    real = (low > 0 or high < 0) and p_value <= FALSE_DISCOVERY
    material = spread > 0 and abs(jumps[k]) >= MATERIAL * spread
    return Jump(
        before_level=float(points[k]),
        after_level=float(points[k + 1]),
        before=float(medians[k]),
        after=float(medians[k + 1]),
        jump=float(jumps[k]),
        jump_low=low,
        jump_high=high,
        rate=rate,
        sharpness=sharpness,
        p_value=p_value,
        q_value=p_value,
        tipping=bool(real and material and sharpness >= SHARP),
    )


def levels_differ(samples: Sequence[np.ndarray]) -> float:
    """Return the p-value of the Kruskal-Wallis test that every level's runs share one distribution.

    1 when every run has the same value (nothing to tell apart).
    """
    pooled = np.concatenate([np.asarray(s, dtype=float) for s in samples])
    if np.ptp(pooled) == 0:
        return 1.0
    return float(kruskal(*samples).pvalue)


def points_differ(samples: Sequence[np.ndarray], points: Sequence[np.ndarray]) -> float:
    """Return the p-value of the Kruskal-Wallis test on the design points' mean outputs.

    As :func:`levels_differ`, with each design point (its runs averaged) one observation; 1
    when a level has fewer than two design points (nothing sets the input's effect apart).
    """
    means = [np.nanmean(_by_point(s, p), axis=1) for s, p in zip(samples, points, strict=True)]
    if min(len(m) for m in means) < 2:
        return 1.0
    return levels_differ(means)


def _by_point(values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Return the runs of each design point as a row, padded with NaN to the longest."""
    values = np.asarray(values, dtype=float)
    _, which, counts = np.unique(points, return_inverse=True, return_counts=True)
    order = np.argsort(which, kind="stable")
    rows = np.full((len(counts), int(counts.max())), np.nan)
    within = np.arange(len(values)) - np.repeat(np.cumsum(counts) - counts, counts)
    rows[which[order], within] = values[order]
    return rows


def _observations(
    samples: Sequence[np.ndarray], points: Sequence[np.ndarray] | None, i: int
) -> np.ndarray:
    """Return level ``i``'s runs, one a row, or its design points' runs, one point a row."""
    if points is None:
        return np.asarray(samples[i], dtype=float)[:, None]
    return _by_point(samples[i], points[i])


def _boot_medians(rows: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Return the median of the runs in each of ``resamples`` resamples of the rows."""
    picks = rng.integers(0, len(rows), size=(resamples, len(rows)))
    drawn = rows[picks].reshape(resamples, -1)
    if rows.shape[1] == 1 or not np.isnan(rows).any():
        return np.median(drawn, axis=1)
    return np.nanmedian(drawn, axis=1)


def tipping_points(
    frame: pd.DataFrame,
    inputs: Sequence[str],
    outputs: Sequence[str],
    by: Sequence[str] = ("scenario",),
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """Return the largest jump of every response curve (group x input x output) of ``frame``.

    Parameters
    ----------
    frame : DataFrame
        One row per run: the ``by`` columns, the inputs and the outputs.
    inputs, outputs : sequence of str
        Columns varied and columns measured.
    by : sequence of str
        Columns that split the runs into separate curves (the scenario, by default).
    resamples, seed : int
        As :func:`largest_jump`.

    Returns
    -------
    DataFrame
        One row per curve with at least two levels: the ``by`` columns, ``input``,
        ``output`` and the fields of :class:`Jump`, ``q_value`` adjusted over every row;
        the tipping points first, then by the size of the jump.
    """
    _check_columns(frame, [*inputs, *outputs, *by])
    rows = []
    groups = [(key, g, _settings(g, inputs)) for key, g in _groups(frame, by)]
    for output in outputs:
        curves = [
            (key, name, _samples(g, name, output, settings))
            for name in inputs
            for key, g, settings in groups
        ]
        medians = [np.median(s) for _, _, (_, samples, _) in curves for s in samples]
        scale = float(np.ptp(medians)) if medians else 0.0
        for key, name, (at, samples, design_points) in curves:
            jump = largest_jump(
                at,
                samples,
                design_points=design_points,
                scale=scale,
                resamples=resamples,
                seed=seed,
            )
            if jump is not None:
                row = {**dict(zip(by, key, strict=True)), "input": name, "output": output}
                rows.append(row | jump.__dict__)
    columns = [*by, "input", "output", *Jump.__dataclass_fields__]
    table = _held_to_false_discovery(pd.DataFrame(rows, columns=columns))
    order = table.assign(_sure=sure_size(table), _size=table["jump"].abs()).sort_values(
        ["tipping", "_sure", "_size"], ascending=False, kind="stable"
    )
    return order.drop(columns=["_sure", "_size"]).reset_index(drop=True)


def _held_to_false_discovery(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` with ``q_value`` adjusted over every row (Benjamini-Hochberg).

    Its tipping points are kept to those whose adjusted value is at most
    :data:`FALSE_DISCOVERY`.
    """
    if table.empty:
        return table
    q = false_discovery_control(table["p_value"].to_numpy(float), method="bh")
    return table.assign(q_value=q, tipping=table["tipping"] & (q <= FALSE_DISCOVERY))


def sure_size(jumps: pd.DataFrame) -> pd.Series:
    """Return how large each jump is at least, by its interval: the end nearest zero.

    Zero when the interval holds zero. A jump of +89 points whose interval reaches down to +6
    is sure of 6 points only, and ranks below one of -83 whose interval stops at -42.
    """
    low, high = jumps["jump_low"], jumps["jump_high"]
    return low.clip(lower=0) + (-high).clip(lower=0)


@dataclass(frozen=True)
class _Settings:
    """Each run's design point in a group of runs, and per input its other inputs' settings.

    Both as keys: a hash of the inputs' values (of all of them, or of all but the one).
    """

    point: np.ndarray
    others: dict[str, np.ndarray]


def _settings(group: pd.DataFrame, inputs: Sequence[str]) -> _Settings:
    """Return the design point of each run of ``group`` and, per input, its other settings."""
    names = list(dict.fromkeys(inputs))
    if not names:
        return _Settings(np.zeros(len(group), dtype=np.uint64), {})
    codes = np.column_stack([pd.factorize(group[name])[0] for name in names]).astype(np.uint64)
    # Random odd 64-bit weights (a fixed seed): two settings share a key by chance about once
    # in 2**64 pairs; uint64 arithmetic wraps around.
    weights = np.random.default_rng(0).integers(0, 2**63, size=len(names), dtype=np.uint64)
    terms = codes * (2 * weights + 1)
    point = terms.sum(axis=1, dtype=np.uint64)
    return _Settings(point, {name: point - terms[:, j] for j, name in enumerate(names)})


def _samples(
    group: pd.DataFrame, input: str, output: str, settings: _Settings
) -> tuple[list[float], list[np.ndarray], list[np.ndarray] | None]:
    """Return a curve's levels, the output of its runs at each, and their design points.

    The design point of each run at each level where the design points are the observations
    (module docstring), None where the runs are.
    """
    valid = group[[input, output]].notna().all(axis=1).to_numpy()
    if not valid.any():
        return [], [], None
    level = levels(group[input][valid])
    parts = group[output][valid].groupby(level, sort=True)
    at, samples = [float(v) for v in parts.groups], [p.to_numpy(float) for _, p in parts]
    others = settings.others[input][valid]
    met = pd.DataFrame({"level": level.to_numpy(), "others": others}).drop_duplicates()
    if len(met) == level.nunique() * len(np.unique(others)):
        return at, samples, None  # every level meets every setting of the other inputs
    point = pd.Series(settings.point[valid], index=level.index)
    return at, samples, [p.to_numpy() for _, p in point.groupby(level, sort=True)]


def _groups(
    frame: pd.DataFrame, by: Sequence[str]
) -> list[tuple[tuple[object, ...], pd.DataFrame]]:
    """Return the groups of ``frame`` by ``by`` in order of first appearance (one group if none)."""
    if not by:
        return [((), frame)]
    return [
        (key if isinstance(key, tuple) else (key,), group)
        for key, group in frame.groupby(list(by), sort=False)
    ]


def _check_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hint = did_you_mean(missing[0], map(str, frame.columns))
        raise InputError(f"the results have no column {missing[0]!r}{hint}")
