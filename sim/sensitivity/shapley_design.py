"""Shapley designs of several assignments at once, each distinct block drawn and run once.

Under every assignment of inputs to categories (:data:`sim.sensitivity.factors.ASSIGNMENTS`)
a Shapley design (:mod:`sim.sensitivity.shapley`) has a variance block and one block per
subset of categories, in which the inputs outside the subset are fixed within each outer
draw and the others drawn given them. What a block estimates depends only on which inputs
it fixes, not on what the categories are called: the variance block fixes none, and a
subset holding the same inputs under two assignments (say Individual and Organisation, or
Technology with Process and Project) fixes the same ones. Such blocks are drawn and run
once, for the first assignment that needs them, and read by every later one.

Each assignment's design is still drawn from its own stream
(:func:`sim.seeds.shapley_design_rng`) as if it were analysed alone, so the first
assignment's design, runs and effects are those it has alone; a later one reads the earlier
draws of the blocks it shares and keeps its own draws of the others. Its bootstrap resamples
the shared blocks as the earlier assignment does (:func:`joint_resampling`), so that
statements over several assignments at once are read off the same resamples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.seeds import shapley_design_rng
from sim.sensitivity.dependence import JointInputs
from sim.sensitivity.estimators import FloatArray, IntArray
from sim.sensitivity.shapley import Resampling, ShapleyLayout, draw_blocks, draw_resampling

Source = tuple[str, int]
"""An earlier assignment and the number of its block that a block is shared with."""


def block_sources(
    layouts: Mapping[str, ShapleyLayout], names: Sequence[str]
) -> dict[str, tuple[Source | None, ...]]:
    """Return, for each block of each assignment's design, the earlier block it shares.

    Parameters
    ----------
    layouts : mapping of str to ShapleyLayout
        Each assignment's layout, in the order the assignments are analysed; all lay out
        the same inputs.
    names : sequence of str
        The inputs' names, in the layouts' order.

    Returns
    -------
    dict
        Per assignment, one entry per block (0 the variance block, ``u`` subset ``u``'s):
        None for a block of its own, else the first assignment and block fixing the same
        inputs.
    """
    first: dict[frozenset[str], Source] = {}
    sources: dict[str, tuple[Source | None, ...]] = {}
    for assignment, layout in layouts.items():
        found: list[Source | None] = []
        for block in range(len(layout.subsets) + 1):
            key = frozenset(np.asarray(names)[layout.fixed(block)].tolist())
            found.append(first.get(key))
            first.setdefault(key, (assignment, block))
        sources[assignment] = tuple(found)
    return sources


def distinct_rows(layouts: Mapping[str, ShapleyLayout], names: Sequence[str]) -> int:
    """Rows run for every assignment's design together, each shared block counted once."""
    sources = block_sources(layouts, names)
    return sum(
        layout.block_rows(block)
        for assignment, layout in layouts.items()
        for block, source in enumerate(sources[assignment])
        if source is None
    )


@dataclass(frozen=True)
class SharedDesign:
    """The distinct rows of several assignments' Shapley designs, and where each design sits.

    Attributes
    ----------
    values : float array (distinct rows, inputs)
        Every block run, in input units: the first assignment's design whole, then each
        later assignment's blocks of its own, in its block order.
    rows : dict of str to int array
        Per assignment, the rows of ``values`` that make up its design, in its layout's
        order (``values[rows[a]]`` is the design it would have alone).
    sources : dict
        Per assignment, the earlier block each of its blocks shares (:func:`block_sources`).
    """

    values: FloatArray
    rows: dict[str, IntArray]
    sources: dict[str, tuple[Source | None, ...]]


def draw_shared_design(
    joint: JointInputs, layouts: Mapping[str, ShapleyLayout], seed: int
) -> SharedDesign:
    """Draw every assignment's design from its own stream, keeping each shared block once."""
    sources = block_sources(layouts, joint.names)
    kept: list[FloatArray] = []
    placed: dict[Source, IntArray] = {}
    rows: dict[str, IntArray] = {}
    count = 0
    for assignment, layout in layouts.items():
        blocks = draw_blocks(joint, layout, shapley_design_rng(seed, assignment))
        for block, (values, source) in enumerate(zip(blocks, sources[assignment], strict=True)):
            if source is None:
                placed[assignment, block] = np.arange(count, count + len(values))
                kept.append(values)
                count += len(values)
            else:
                placed[assignment, block] = placed[source]
        rows[assignment] = np.concatenate(
            [placed[assignment, block] for block in range(len(blocks))]
        )
    return SharedDesign(np.vstack(kept), rows, sources)


def joint_resampling(
    layouts: Mapping[str, ShapleyLayout],
    sources: Mapping[str, tuple[Source | None, ...]],
    resamples: int,
    rngs: Mapping[str, np.random.Generator],
) -> dict[str, Resampling]:
    """Draw each assignment's bootstrap resamples, shared blocks resampled alike.

    Each assignment draws its resamples from its own stream (``rngs``) as it would alone;
    a block it shares then takes the earlier assignment's rows of that block, so resample
    ``r`` of every assignment uses the same draws of every shared block, and each
    assignment's own resamples are still a bootstrap of its design.
    """
    drawn: dict[str, Resampling] = {}
    for assignment, layout in layouts.items():
        own = draw_resampling(layout, resamples, rngs[assignment])
        variance, outer = own.variance, own.outer.copy()
        for block, source in enumerate(sources[assignment]):
            if source is None:
                continue
            earlier, theirs = drawn[source[0]], source[1]
            if block == 0:
                variance = earlier.variance
            else:
                outer[:, block - 1] = earlier.outer[:, theirs - 1]
        drawn[assignment] = Resampling(variance, outer)
    return drawn
