"""Solara dashboard for exploring the levers of the simulation."""
