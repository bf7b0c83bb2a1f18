"""What the model's agents share: each is a Mesa agent viewing one row of the engine's arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from sim.model import SharingModel


class RowView(mesa.Agent):
    """A Mesa agent whose attributes read and write row ``index`` of the engine's arrays.

    The week is one synchronous update of every agent at once (the engine's step), so an agent
    has no step of its own: :meth:`step` says so instead of silently doing nothing.
    """

    model: SharingModel

    def __init__(self, model: SharingModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    def step(self) -> None:
        """Refuse: every agent's week is computed together by ``model.step()``.

        Raises
        ------
        RuntimeError
            Always, naming ``model.step()`` (so ``model.agents.shuffle_do("step")`` fails
            loudly instead of leaving the run where it was).
        """
        raise RuntimeError(
            f"{type(self).__name__} agents do not step one by one: every partner and member of "
            "staff decides within the same week from last week's state, so the whole week is "
            "one update on the engine's arrays. Advance it with model.step()."
        )
