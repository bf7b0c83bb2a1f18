"""Behaviour carried from a calibrated scenario to another partnership (``behaviour_from``).

A calibration learns about the model's behavioural parameters (the registry's, ``sim.params``)
together with the facts of the partnership it was calibrated on (its partners' sizes, dates
and events). Only the first kind describes how staff and partners behave, so only it moves to
another partnership: the calibrated scenario's settings of registry parameters (their ranges
and defaults) and the columns of its posterior that are registry parameters, with their joint
weights, so every run of the new scenario draws one accepted set of behaviour. Partner and
event columns stay behind (``docs/new-partnership.md`` says what that means for a forecast).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.params import PARAMETERS
from sim.scenarios.schema import PosteriorSpec, ScenarioSpec
from sim.scenarios.values import Span


def behaviour_parameters(source: ScenarioSpec, reference: str) -> dict[str, Any]:
    """Return the registry parameters ``source`` sets, each source naming where it came from.

    Parameters
    ----------
    source : ScenarioSpec
        The resolved calibrated scenario.
    reference : str
        How the new scenario names it (its ``behaviour_from``).
    """
    return {
        name: value.model_copy(update={"source": f"Behaviour from {reference}: {value.source}"})
        for name, value in source.parameters.items()
        if name in PARAMETERS
    }


def behaviour_posterior(
    source: ScenarioSpec, reference: str, parameters: Mapping[str, Any]
) -> PosteriorSpec | None:
    """Return the columns of ``source``'s posterior that are behaviour, or None if none are.

    A column is kept when it is a registry parameter that stays an uncertain input under
    ``parameters`` (the new scenario's settings, after the transfer): a range there, or not
    set and uncertain in the registry. Rows keep their weights, so the joint distribution of
    the kept columns is the posterior's marginal over them.
    """
    posterior = source.posterior
    if posterior is None:
        return None

    def uncertain(name: str) -> bool:
        if name not in PARAMETERS:
            return False
        given = parameters.get(name)
        return isinstance(given, Span) or (given is None and PARAMETERS[name].uncertain)

    kept = posterior.without(name for name in posterior.inputs if not uncertain(name))
    if kept is None:
        return None
    return kept.model_copy(update={"source": f"Behaviour from {reference}: {posterior.source}"})
