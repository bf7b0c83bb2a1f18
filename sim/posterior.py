"""Draws from a scenario's posterior: which weighted parameter set each run uses.

A scenario may carry a posterior (``[posterior]`` in its file, written by ``sharesim
calibrate``): weighted sets of values of some of its uncertain inputs. Every run of such a
scenario draws one set, with probability proportional to its weight, and uses its values for
the inputs the caller does not set. The draw of replicate ``r`` of design row ``i`` in an
experiment seeded ``s`` comes from its own stream, :func:`sim.seeds.draw_seed` ``(s, i, r)``,
so it depends on the run's identity only: not on workers, chunking, order or executor, and
not on the model's own random stream (which keeps ``run_seed(s, i, r)``).

>>> from sim.scenarios import Scenario
>>> posterior = Scenario.load("sentinel_calibrated").posterior
>>> draw = posterior.draw(seed=1, row=0, replicate=0)
>>> draw == posterior.draw(seed=1, row=0, replicate=0)
True
>>> set(posterior.values(draw)) == set(posterior.inputs)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.seeds import draw_seed

if TYPE_CHECKING:
    from sim.scenarios.schema import PosteriorSpec

__all__ = ["Posterior"]


@dataclass(frozen=True, eq=False)
class Posterior:
    """A scenario's posterior as arrays, ready to draw from.

    Attributes
    ----------
    inputs : tuple of str
        The uncertain inputs it gives values to, one per column of ``sets``.
    sets : float array (n, k)
        One parameter set per row.
    weights : float array (n,)
        Probability of each set (summing to 1).
    source : str
        Where the sets come from.
    """

    inputs: tuple[str, ...]
    sets: NDArray[np.float64]
    weights: NDArray[np.float64]
    source: str

    @classmethod
    def from_spec(cls, spec: PosteriorSpec) -> Posterior:
        """Return the posterior a scenario file describes."""
        sets = np.array(spec.sets, dtype=np.float64).reshape(len(spec.sets), len(spec.inputs))
        weights = np.array(spec.weights, dtype=np.float64)
        weights = weights / weights.sum()
        sets.flags.writeable = False
        weights.flags.writeable = False
        return cls(tuple(spec.inputs), sets, weights, spec.source)

    def __repr__(self) -> str:
        """One line: how many sets over how many inputs, and where they come from."""
        sets = f"{len(self):,} weighted sets over {len(self.inputs)} inputs"
        return f"<Posterior: {sets}, from {self.source}>"

    def __len__(self) -> int:
        """Return the number of sets."""
        return int(self.weights.shape[0])

    def draw(self, seed: int, row: int = 0, replicate: int = 0) -> int:
        """Return the index of the set that run ``(row, replicate)`` of a seeded experiment uses.

        The experiment is seeded ``seed``; the set is a weighted draw from the run's own
        stream (:func:`sim.seeds.draw_seed`).
        """
        rng = np.random.default_rng(draw_seed(seed, row, replicate))
        return int(rng.choice(len(self), p=self.weights))

    def draws(self, seed: int, runs: Sequence[tuple[int, int]]) -> NDArray[np.int64]:
        """Return :meth:`draw` for each ``(row, replicate)`` in ``runs``."""
        return np.array([self.draw(seed, row, rep) for row, rep in runs], dtype=np.int64)

    def values(self, index: int) -> dict[str, float]:
        """Return set ``index`` as input name to value."""
        return dict(zip(self.inputs, self.sets[index].tolist(), strict=True))

    def frame(self) -> pd.DataFrame:
        """Return the posterior as a table: ``weight``, then a column per input, a row per set."""
        table = pd.DataFrame(self.sets, columns=list(self.inputs))
        table.insert(0, "weight", self.weights)
        table.index.name = "draw"
        return table

    def run_values(
        self, given: Mapping[str, float], seed: int, row: int, replicate: int
    ) -> tuple[dict[str, float], int | None]:
        """Return the inputs of one run and the set drawn.

        The drawn set's values, with ``given`` (a design row, values a caller sets) taking
        precedence. When ``given`` sets every input of the posterior nothing is drawn (the set
        is None).
        """
        if all(name in given for name in self.inputs):
            return dict(given), None
        index = self.draw(seed, row, replicate)
        return {**self.values(index), **given}, index
