"""The parameter values of a batch of runs: by name, as one table, as the kernel's records.

A batch of ``B`` runs gives every registry parameter one value per run. Users and pipelines
hold them by name (:func:`stack_parameters`: an array (B,) per name); the engine reads them
as one table (B, P) in registry order (:func:`parameter_table`) whose rows, viewed as
:data:`RECORD`, are the records the compiled kernel reads (:func:`as_records`).

:func:`stack_parameters` builds the table first and gives its columns by name, so a batch
stacked this way is not stacked again: :func:`parameter_table` takes the table back while
the mapping is unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, MutableMapping, Sequence

import numpy as np
from numpy.typing import NDArray

from sim.arrays import FloatArray
from sim.params import PARAMETERS

ParameterArrays = Mapping[str, FloatArray]
"""Parameter values by registry name, each an array of shape (B,): one value per run."""

RECORD = np.dtype([(name, np.float64) for name in PARAMETERS])
"""One run's parameters as the kernel reads them: a record with a field per registry name."""

COLUMNS = {name: column for column, name in enumerate(PARAMETERS)}
"""Each parameter's column in a batch's table."""

_NAMES = frozenset(PARAMETERS)


class StackedParameters(MutableMapping[str, FloatArray]):
    """Parameter arrays by registry name, as :func:`stack_parameters` makes them.

    The values are the rows of one (P, B) array, in registry order, and each is looked up as
    a view of its row: a value changed in place changes the array too. While no entry is set
    or removed the mapping keeps that array (:attr:`rows`), so that :func:`parameter_table`
    need not stack the columns again and a run pays for no array per parameter. Setting or
    removing an entry turns it into an ordinary mapping of its own arrays. A copy or a pickle
    is a plain dict.
    """

    def __init__(self, rows: FloatArray) -> None:
        if rows.shape[0] != len(PARAMETERS):
            size = len(PARAMETERS)
            raise ValueError(f"{rows.shape[0]} rows of parameters, the registry has {size}")
        self._rows: FloatArray | None = rows
        self._values: dict[str, FloatArray] = {}

    @property
    def rows(self) -> FloatArray | None:
        """The (P, B) array whose rows are the values, or None once an entry has changed."""
        return self._rows

    def __getitem__(self, name: str) -> FloatArray:
        """Return the values of parameter ``name``, one per run."""
        if self._rows is not None:
            return self._rows[COLUMNS[name]]
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        """Iterate over the names, in registry order until an entry changes."""
        return iter(PARAMETERS if self._rows is not None else self._values)

    def __len__(self) -> int:
        """Return the number of names."""
        return len(PARAMETERS) if self._rows is not None else len(self._values)

    def __setitem__(self, name: str, value: FloatArray) -> None:
        """Set parameter ``name``'s values; the mapping no longer keeps one array."""
        self._own()[name] = value

    def __delitem__(self, name: str) -> None:
        """Remove parameter ``name``; the mapping no longer keeps one array."""
        del self._own()[name]

    def __reduce__(self) -> tuple[type, tuple[dict[str, FloatArray]]]:
        """Pickle (and copy) as a plain dict."""
        return dict, (dict(self),)

    def __repr__(self) -> str:
        """As a dict of the values."""
        return f"{type(self).__name__}({dict(self)!r})"

    def _own(self) -> dict[str, FloatArray]:
        if self._rows is not None:
            self._values = dict(zip(PARAMETERS, self._rows, strict=True))
            self._rows = None
        return self._values


def stack_parameters(runs: Sequence[Mapping[str, float]]) -> StackedParameters:
    """Turn one full parameter mapping per run into arrays of shape (B,) per name."""
    try:
        table = np.array([[r[name] for name in PARAMETERS] for r in runs], dtype=float)
    except KeyError:
        table = np.empty(0)
    if table.ndim != 2:
        missing = set(PARAMETERS).difference(*[set(r) for r in runs])
        raise ValueError(f"parameter values missing: {sorted(missing)}")
    return StackedParameters(np.ascontiguousarray(table.T))


def parameter_table(params: ParameterArrays) -> FloatArray:
    """Every parameter of every run (B, P), registry order: one row per run, C-contiguous.

    Viewed as :data:`RECORD`, a row is the run's record.
    """
    rows = params.rows if isinstance(params, StackedParameters) else None
    if rows is not None:
        return np.ascontiguousarray(rows.T)
    if params.keys() != _NAMES:
        unknown = set(params) - set(PARAMETERS)
        raise ValueError(f"parameters do not match the registry: {sorted(unknown) or 'missing'}")
    try:
        table = np.array([params[name] for name in PARAMETERS], float)
    except ValueError:  # arrays of different shapes
        table = np.empty(0)
    if table.ndim != 2:
        sizes = sorted({np.shape(v) for v in params.values()})
        raise ValueError(f"parameter arrays must all have one shape (B,), got {sizes}")
    return np.ascontiguousarray(table.T)


def as_records(table: FloatArray) -> np.ndarray:
    """Return the rows of a batch's parameter table as the kernel reads them: records."""
    return table.view(RECORD).reshape(table.shape[0])


def kept_rows(params: Mapping[str, object], names: Sequence[str]) -> FloatArray | None:
    """Return the values of ``names`` (len(names), B) from a stacked batch's kept array.

    None when ``params`` keeps no array (not from :func:`stack_parameters`, or changed since):
    the caller then reads the values by name.
    """
    rows = params.rows if isinstance(params, StackedParameters) else None
    return None if rows is None else rows.take(_row_index(tuple(names)), axis=0)


@functools.lru_cache(maxsize=64)
def _row_index(names: tuple[str, ...]) -> NDArray[np.intp]:
    return np.array([COLUMNS[name] for name in names], dtype=np.intp)
