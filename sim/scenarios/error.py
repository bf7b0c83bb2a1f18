"""The scenario error, in a module of its own that loads nothing heavy.

Finding a scenario by name (:mod:`sim.scenarios.locate`) raises it; so that a misspelled name
is answered before the scenario schemas (pydantic), the engine or pandas are imported, it does
not live beside the collector of :mod:`sim.scenarios.problems`, which needs them.
"""

from __future__ import annotations

from sim.inputs import FileError


class ScenarioError(FileError):
    """A scenario file or value the model cannot accept (a ``ValueError``).

    Part of the project's bad-input family (:class:`sim.errors.InputError`), which the command
    line reports as one line: ``<file>: <field path>: <problem>``, plus "(and N more problems)" when
    there are further problems. Its parts are those of :class:`~sim.inputs.FileError`
    (``file``, ``path``, ``problem``, ``more``); create one with
    :meth:`~sim.inputs.FileError.at`.
    """
