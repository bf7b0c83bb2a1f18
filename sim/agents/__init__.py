"""Mesa agents of the hosted model: thin views over the engine's arrays."""

from sim.agents.partner import Partner
from sim.agents.staff import Staff

__all__ = ["Partner", "Staff"]
