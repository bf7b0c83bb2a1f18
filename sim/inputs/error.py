"""An input file's problems: where each is and what, told as one line naming the file.

A problem is raised as a :class:`FileError` (an :class:`~sim.errors.InputError`) whose text is
``<file>: <field path>: <problem>``, plus "(and N more problems)" when there are further
problems, each kept (:attr:`FileError.problems`) and shown by a traceback (the error's notes).
:func:`did_you_mean` suggests the closest known name for a misspelt one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Self

from sim.errors import InputError


class Problem(NamedTuple):
    """One problem in a file: where (a field path, or a line and column) and what."""

    path: str
    text: str


def problem_line(file: str, path: str, problem: str, more: int = 0) -> str:
    """Return ``<file>: <path>: <problem>`` on one line (empty parts left out).

    With "(and N more problems)" when ``more`` further problems were found.
    """
    line = ": ".join(part for part in (file, path, problem) if part)
    line += f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return re.sub(r"[\r\n]+", " ", line)


class FileError(InputError):
    """An input file the model cannot use: ``<file>: <field path>: <problem>`` on one line.

    Create one with :meth:`at` (or :meth:`first`) to keep the parts; a plain message, as any
    :class:`~sim.errors.InputError` takes, leaves them empty.

    Attributes
    ----------
    file : str
        The file (or other input) the problem is in.
    path : str
        Field path such as ``partners[3].staff``; empty when the problem is the whole file.
    problem : str
        What is wrong, in plain words.
    more : int
        How many further problems were found.
    problems : tuple of Problem
        Every problem found, this one first, when it was created by :meth:`first` (one
        when created by :meth:`at`, none from a plain message).
    """

    file: str = ""
    path: str = ""
    problem: str = ""
    more: int = 0
    problems: tuple[Problem, ...] = ()

    @classmethod
    def at(cls, file: str, path: str, problem: str, more: int = 0) -> Self:
        """Return the error for ``problem`` at ``path`` in ``file``."""
        error = cls(problem_line(file, path, problem, more))
        error.file, error.path, error.problem, error.more = file, path, problem, more
        error.problems = (Problem(path, problem),)
        return error

    @classmethod
    def first(cls, file: str, problems: Sequence[Problem]) -> Self:
        """Return the error for the first of ``problems`` (at least one), keeping them all.

        The others are the error's notes, so that a traceback (in a notebook, say) shows every
        problem, a line each, while the error's own text stays one line.
        """
        path, problem = problems[0]
        error = cls.at(file, path, problem, len(problems) - 1)
        error.problems = tuple(Problem(*found) for found in problems)
        for line in error.lines()[1:]:
            error.add_note(line)
        return error

    @classmethod
    def raise_any(cls, file: str, problems: Sequence[Problem]) -> None:
        """Raise the error of ``problems`` in ``file`` (:meth:`first`), if there are any.

        For a check that finds every problem before it reports them.
        """
        if problems:
            raise cls.first(file, problems)

    @classmethod
    def moved(cls, error: FileError, file: str, under: str = "") -> Self:
        """Return ``error``'s problems as found in ``file``, each field path below ``under``.

        For problems found in what a file gave (a scenario's inputs, an experiment's
        settings) by code that does not know the file.
        """
        return cls.first(file, problems_below(error, under))

    def lines(self) -> list[str]:
        """Return one ``<file>: <field path>: <problem>`` line for every problem found.

        The error's own text when it holds no parts (a plain message).
        """
        if not self.problems:
            return [str(self)]
        return [problem_line(self.file, path, text) for path, text in self.problems]


def problems_below(error: FileError, under: str) -> list[Problem]:
    """Return ``error``'s problems with each field path below ``under`` (its text, if plain)."""
    if not error.problems:
        return [Problem(under, str(error))]
    return [Problem(_below(under, p.path), p.text) for p in error.problems]


def _below(under: str, path: str) -> str:
    """``sensitivity`` and ``inputs[2]`` make ``sensitivity.inputs[2]``."""
    if not under or not path:
        return under or path
    return f"{under}{'' if path.startswith('[') else '.'}{path}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` naming the choice closest to ``word``, or ``""``.

    Nothing is named when no choice is close (``difflib``'s ratio of at least 0.6), nor
    ``word`` itself: a name known elsewhere but not here is no suggestion.
    """
    hint = difflib.get_close_matches(word, [c for c in choices if c != word], n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


def one_of(options: Sequence[str]) -> str:
    """Join choices as ``'a', 'b' or 'c'``."""
    quoted = [repr(option) for option in options]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
