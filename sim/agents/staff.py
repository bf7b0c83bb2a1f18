"""A member of staff: a view over its row of the engine's staff arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.agents.view import RowView, StateValue, UnitValue

if TYPE_CHECKING:
    from sim.agents.partner import Partner
    from sim.model import SharingModel


class Staff(RowView):
    """A member of a partner's staff who decides, case by case, whether to record.

    A position, not a person: when the holder leaves (turnover), the position is refilled by
    an untrained newcomer and ``tenure`` restarts.
    """

    def __init__(self, model: SharingModel, index: int, partner: Partner) -> None:
        super().__init__(model, index)
        self.partner = partner
        partner.staff.append(self)

    def __repr__(self) -> str:
        """One line: whose staff and where this person stands this week."""
        trained = "trained" if self.trained else "untrained"
        return (
            f"<Staff {self.index} of {self.partner.name!r}, week {self.model.week}: attitude "
            f"{self.attitude:.2f}, habit {self.habit:.2f}, {trained}, {self.tenure} weeks in post>"
        )

    attitude = UnitValue("attitude")
    """Attitude to sharing, 0..1."""

    habit = UnitValue("habit")
    """Habit of recording, 0..1."""

    perceived_legal_risk = StateValue("risk", float)
    """Multiplier on the partnership's legal risk as this person perceives it (mean 1)."""

    @property
    def trained(self) -> bool:
        """Whether this person has been trained on the shared system."""
        return bool(self.model.state.trained[0, self.index])

    @trained.setter
    def trained(self, value: bool) -> None:
        self.model.state.trained[0, self.index] = bool(value)

    tenure = StateValue("tenure", int)
    """Weeks in post."""

    @property
    def handled(self) -> int:
        """Cases handled last week (0 before the first step)."""
        week = self.model.last_week
        return 0 if week is None else int(week.staff_handled[0, self.index])

    @property
    def recorded(self) -> int:
        """Cases recorded last week (0 before the first step)."""
        week = self.model.last_week
        return 0 if week is None else int(week.staff_recorded[0, self.index])

    @property
    def probability(self) -> float:
        """Chance last week that this person recorded a case."""
        week = self.model.last_week
        return 0.0 if week is None else float(week.probability[0, self.index])
