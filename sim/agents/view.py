"""What the model's agents share: each is a Mesa agent viewing one row of the engine's arrays."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self, overload

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


class StateValue[T]:
    """An agent's value kept in the agent's row of an engine state array, read only.

    Reading gives the row's entry as ``convert`` makes it (``int``, ``float``, ``bool``).
    """

    def __init__(self, array: str, convert: Callable[[Any], T]) -> None:
        self.array = array
        self.convert = convert

    def __set_name__(self, owner: type, name: str) -> None:
        """Remember the attribute's name, for the message a bad value gets."""
        self.name = name

    @overload
    def __get__(self, agent: None, owner: type) -> Self: ...

    @overload
    def __get__(self, agent: RowView, owner: type) -> T: ...

    def __get__(self, agent: RowView | None, owner: type) -> Self | T:
        """Return the agent's value (the descriptor itself when read from the class)."""
        if agent is None:
            return self
        return self.convert(getattr(agent.model.state, self.array)[0, agent.index])


class UnitValue(StateValue[float]):
    """An agent's value in [0, 1], kept in the agent's row of an engine state array.

    Reading gives the value as a float; writing checks the range first, so an agent can be
    nudged (``partner.buy_in = 0.9``) but never put outside what the rules assume.
    """

    def __init__(self, array: str) -> None:
        super().__init__(array, float)

    def __set__(self, agent: RowView, value: float) -> None:
        """Write the agent's value, refusing one outside [0, 1]."""
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{self.name} must be in [0, 1], got {value}")
        getattr(agent.model.state, self.array)[0, agent.index] = value
