"""Mesa agents of the hosted model: thin views over the engine's arrays."""

from sim.agents.agency import Agency
from sim.agents.staff import Staff

__all__ = ["Agency", "Staff"]
