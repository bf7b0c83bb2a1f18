"""A partner: a view over its row of the engine's partner arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.agents.view import RowView, StateValue, UnitValue
from sim.engine import INTERFACE_NAMES, InterfaceState, partner_attitude

if TYPE_CHECKING:
    from sim.agents.staff import Staff
    from sim.model import SharingModel


class Partner(RowView):
    """A partner in the information sharing project (police, council, ...).

    Every attribute reads (and the dynamic ones write) the engine's arrays at this partner's
    index, so the Mesa model and the engine never disagree.
    """

    def __init__(self, model: SharingModel, index: int) -> None:
        super().__init__(model, index)
        self.staff: list[Staff] = []

    def __repr__(self) -> str:
        """One line: who it is and where it stands this week."""
        return (
            f"<Partner {self.name!r} ({self.kind}), week {self.model.week}: buy-in "
            f"{self.buy_in:.2f}, interface {self.interface_stage}, recorded {self.recorded} of "
            f"{self.handled} cases>"
        )

    @property
    def name(self) -> str:
        """The partner's name."""
        return self.model.partnership.names[self.index]

    @property
    def kind(self) -> str:
        """Police, district, county or unitary."""
        return self.model.partnership.kinds[self.index]

    @property
    def bureaucracy(self) -> float:
        """Formal procedure and documentation, 0..1."""
        return float(self.model.partnership.bureaucracy[self.index])

    @property
    def involvement(self) -> float:
        """Involvement in the project, 0..1."""
        return float(self.model.partnership.involvement[self.index])

    @property
    def caseload(self) -> float:
        """Mean ASB cases handled per week."""
        return float(self.model.partnership.caseload[self.index])

    buy_in = UnitValue("buy_in")
    """Partner buy-in to the project, 0..1."""

    @property
    def interface(self) -> InterfaceState:
        """Stage of the partner's interface into the shared system."""
        return InterfaceState(int(self.model.state.interface[0, self.index]))

    @interface.setter
    def interface(self, value: InterfaceState) -> None:
        self.model.state.interface[0, self.index] = int(InterfaceState(value))

    @property
    def interface_stage(self) -> str:
        """Interface stage by name, as the run results and the dashboard write it.

        One of ``none``, ``considering``, ``building``, ``live``, ``workaround``, ``declined``.
        """
        return INTERFACE_NAMES[int(self.model.state.interface[0, self.index])]

    @property
    def double_keying_cost(self) -> float:
        """Cost of double keying this partner's staff face now.

        Zero once the interface is live, less with a manual workaround.
        """
        cost = self.model.parameters["double_keying_cost"]
        if self.interface is InterfaceState.LIVE:
            return 0.0
        if self.interface is InterfaceState.WORKAROUND:
            return cost * (1.0 - self.model.parameters["workaround_relief"])
        return cost

    @property
    def live(self) -> bool:
        """Whether the partner records on the shared system in the coming week."""
        week = min(self.model.state.week, self.model.n_weeks - 1)
        return bool(self.model.schedule.live[week, self.index])

    handled = StateValue("handled", int)
    """ASB cases handled last week."""

    recorded = StateValue("recorded", int)
    """ASB cases recorded on the shared system last week."""

    @property
    def share(self) -> float:
        """Recording share last week (0 when no case was handled)."""
        return self.recorded / self.handled if self.handled else 0.0

    @property
    def mean_attitude(self) -> float:
        """Mean attitude to sharing of the partner's staff."""
        means = partner_attitude(self.model.state.attitude, self.model.partnership)
        return float(means[0, self.index])
