"""The live model on the page: a :class:`~sim.model.SharingModel` built from the page's inputs.

Mesa's ``SolaraViz`` rebuilds the model on Reset by calling its class with the ``model_params``
entries as keyword arguments. Until an input is moved, an entry is still the page's reactive
variable itself; afterwards it is the value. :class:`DashboardModel` accepts both, and checks
every value before building anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import pandas as pd
import solara

from sim.dashboard.settings import Catalog, Settings
from sim.engine import INTERFACE_NAMES, share_of
from sim.model import SharingModel

ROLLING_WEEKS = 4
"""Recording share is also given over a rolling window this long: a small council handles a
few cases a week, and one week's share of three cases is mostly noise."""

HISTORY_COLUMNS = (
    "week", "partner", "handled", "recorded", "share", "rolling_share", "buy_in", "interface",
    "live",
)  # fmt: skip
"""Columns of :meth:`DashboardModel.history`."""

type Input[T] = T | solara.Reactive[T]
"""A value, or the reactive variable holding it."""


def current[T](value: Input[T]) -> T:
    """Return the value an input holds now."""
    return value.value if isinstance(value, solara.Reactive) else value


class DashboardModel(SharingModel):
    """A :class:`SharingModel` of a scenario from the catalogue, with lever values and a seed.

    Parameters
    ----------
    catalog : Catalog
        The scenarios on offer (a fixed ``model_params`` entry).
    scenario_name : str or Reactive[str]
        Name of a scenario in ``catalog``.
    seed : int or Reactive[int]
        Seed of the run.
    scenario : object, optional
        Mesa's own scenario object, which ``SolaraViz`` passes on Reset to models that take
        keyword arguments; unused (the run's scenario is ``scenario_name``).
    **levers : float or Reactive[float]
        Lever values by registry name.

    Raises
    ------
    SettingsError
        If the scenario is not offered, the seed is not valid or a lever value is out of range.
    """

    def __init__(
        self,
        *,
        catalog: Catalog,
        scenario_name: Input[str],
        seed: Input[int],
        scenario: object | None = None,
        **levers: Input[float],
    ) -> None:
        del scenario
        self.settings = Settings.checked(
            catalog,
            current(scenario_name),
            current(seed),
            {name: current(value) for name, value in levers.items()},
        )
        compiled = self.settings.compile()
        super().__init__(compiled, rng=self.settings.seed)
        self.start_date: date = compiled.start_date
        self._history: tuple[int, pd.DataFrame] | None = None
        self.needs_reset = False
        """True when this run replaced a finished one on a change of scenario: Mesa's Step and
        Play stay off (they go by the finished run) until Reset."""
        # Per-week rows for the charts, kept as the run goes: rebuilding them from the data
        # collector's frame every week took a third of a page redraw.
        self._weeks: list[tuple[np.ndarray, ...]] = []

    def step(self) -> None:
        """Advance one week (see :meth:`SharingModel.step`) and keep the week's partner rows."""
        before = self.week
        super().step()
        if self.week > before:
            state = self.state
            self._weeks.append(
                (state.handled[0].copy(), state.recorded[0].copy(), state.buy_in[0].copy(),
                 state.interface[0].copy())
            )  # fmt: skip

    def week_start(self, week: int | None = None) -> date:
        """Return the first day of week ``week`` (default: the coming week)."""
        return self.start_date + timedelta(weeks=self.week if week is None else week)

    def history(self) -> pd.DataFrame:
        """Return one row per simulated week and partner (the numbers the data collector has).

        Columns (:data:`HISTORY_COLUMNS`): ``week`` (0-based week simulated), ``partner``,
        ``handled`` and ``recorded`` (cases), ``share`` (that week), ``rolling_share`` (over
        :data:`ROLLING_WEEKS` weeks), ``buy_in``, ``interface`` (stage name) and ``live``
        (the partner recorded on the system that week). Built once per week: every panel of
        the page reads it after a step.
        """
        if self._history is not None and self._history[0] == self.week:
            return self._history[1]
        frame = self._build_history()
        self._history = (self.week, frame)
        return frame

    def _build_history(self) -> pd.DataFrame:
        weeks, agencies = len(self._weeks), self.partnership.n_agencies
        if weeks == 0:
            return pd.DataFrame({name: [] for name in HISTORY_COLUMNS})
        handled, recorded, buy_in, interface = (
            np.stack(column) for column in zip(*self._weeks, strict=True)
        )

        rolled_recorded, rolled_handled = _rolling_sum(recorded), _rolling_sum(handled)
        names = np.asarray(self.partnership.names, dtype=object)
        # Rows partner by partner, week by week within a partner (column-major order).
        return pd.DataFrame(
            {
                "week": np.tile(np.arange(weeks), agencies),
                "partner": np.repeat(names, weeks),
                "handled": handled.T.ravel(),
                "recorded": recorded.T.ravel(),
                "share": share_of(recorded, handled).T.ravel(),
                "rolling_share": share_of(rolled_recorded, rolled_handled).T.ravel(),
                "buy_in": buy_in.T.ravel(),
                "interface": np.asarray(INTERFACE_NAMES, dtype=object)[interface.T.ravel()],
                "live": self.schedule.live[:weeks].T.ravel(),
            },
            columns=list(HISTORY_COLUMNS),
        )

    def differs_from(self, levers: Mapping[str, float], seed: int) -> bool:
        """Whether the page's current levers or seed differ from those this run was built with."""
        own = self.settings.lever_values
        return seed != self.settings.seed or any(
            abs(own.get(name, value) - value) > 1e-12 for name, value in levers.items()
        )


def _rolling_sum(values: np.ndarray) -> np.ndarray:
    """Sums over the last :data:`ROLLING_WEEKS` rows (fewer at the start), column by column."""
    totals = np.cumsum(values, axis=0)
    totals[ROLLING_WEEKS:] = totals[ROLLING_WEEKS:] - totals[:-ROLLING_WEEKS]
    return totals
