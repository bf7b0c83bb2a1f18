"""The live run on the page: one :class:`~sim.model.SharingModel` and what the page keeps beside it.

The page steps the same Mesa model a notebook does. What only the page needs (the settings the
run was built from, and the per-week table every chart reads) sits here, beside the model, not
in a second model class.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.arrays import share_of
from sim.dashboard.choices import Catalog, Settings, lever_moved
from sim.engine import INTERFACE_NAMES
from sim.model import SharingModel
from sim.weeks import trailing_sum

HISTORY_COLUMNS = (
    "week", "partner", "handled", "recorded", "share", "rolling_share", "buy_in", "interface",
    "live",
)  # fmt: skip
"""Columns of :meth:`LiveRun.history`."""


@dataclass
class LiveRun:
    """The page's live run: the model, the settings it was built from, and its weekly table.

    Create with :meth:`start`. Mesa's Play steps it from a background thread while the page
    redraws; :meth:`step` and :meth:`history` take turns (a lock), so a chart never reads a
    week half written.

    Attributes
    ----------
    model : SharingModel
        The Mesa model (the scenario with the settings' levers, at its point estimate).
    settings : Settings
        What the page had set when the run was built (Reset builds a new one).
    """

    model: SharingModel
    settings: Settings
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _history: tuple[int, pd.DataFrame] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def start(cls, catalog: Catalog, settings: Settings) -> LiveRun:
        """Return a run of ``settings`` at week 0."""
        model = SharingModel(settings.with_levers(catalog), rng=settings.seed)
        return cls(model, settings)

    @property
    def running(self) -> bool:
        """Whether weeks are left to run."""
        return bool(self.model.running)

    def step(self, weeks: int = 1) -> None:
        """Run up to ``weeks`` more weeks (fewer at the end of the run)."""
        with self._lock:
            for _ in range(weeks):
                if not self.model.running:
                    break
                self.model.step()

    def history(self) -> pd.DataFrame:
        """Return one row per week run and partner.

        Columns (:data:`HISTORY_COLUMNS`): ``week`` (1 for the first week run, as Mesa counts
        steps), ``partner``, ``handled`` and ``recorded`` (cases), ``share`` (that week),
        ``rolling_share`` (over :data:`sim.weeks.TRAILING_WEEKS` weeks), ``buy_in``,
        ``interface`` (stage name) and ``live`` (the partner recorded on the system that
        week). Built once per week: every panel of the page reads it after a step.
        """
        with self._lock:
            if self._history is None or self._history[0] != self.model.week:
                self._history = (self.model.week, history_frame(self.model))
            return self._history[1]

    def differs_from(self, levers: Mapping[str, float], seed: int) -> bool:
        """Whether the page's levers or seed differ from those this run was built with."""
        return seed != self.settings.seed or bool(self.moved_levers(levers))

    def moved_levers(self, levers: Mapping[str, float]) -> dict[str, float]:
        """Return the page's lever values that differ from this run's.

        By more than half a slider step (:func:`lever_moved`).
        """
        own = self.model.parameters
        return {
            name: value for name, value in levers.items() if lever_moved(name, value, own[name])
        }


def history_frame(model: SharingModel) -> pd.DataFrame:
    """Tabulate the weeks ``model`` has run, one row per week and partner.

    See :meth:`LiveRun.history`.
    """
    run = model.trajectory()
    weeks, partners = run.handled.shape[1], model.partnership.n_partners
    if weeks == 0:
        return pd.DataFrame({name: [] for name in HISTORY_COLUMNS})
    handled, recorded = run.handled[0], run.recorded[0]
    rolled_recorded, rolled_handled = trailing_sum(recorded, 0), trailing_sum(handled, 0)
    names = np.asarray(model.partnership.names, dtype=object)
    # Rows partner by partner, week by week within a partner (column-major order).
    return pd.DataFrame(
        {
            "week": np.tile(np.arange(1, weeks + 1), partners),
            "partner": np.repeat(names, weeks),
            "handled": handled.T.ravel(),
            "recorded": recorded.T.ravel(),
            "share": share_of(recorded, handled).T.ravel(),
            "rolling_share": share_of(rolled_recorded, rolled_handled).T.ravel(),
            "buy_in": run.buy_in[0].T.ravel(),
            "interface": np.asarray(INTERFACE_NAMES, dtype=object)[run.interface[0].T.ravel()],
            "live": model.schedule.live[:weeks].T.ravel(),
        },
        columns=list(HISTORY_COLUMNS),
    )
