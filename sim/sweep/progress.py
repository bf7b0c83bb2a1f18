"""How a running sweep reports where it stands: a progress value after every chunk.

A :class:`SweepProgress` is passed to a callable after every committed chunk. Displaying it
is the caller's business (the command line draws a bar, ``sim.cli.progress``);
:class:`ProgressLine` is the plain text line a notebook gets with ``progress=True``.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import TextIO


@dataclasses.dataclass(frozen=True)
class SweepProgress:
    """Where a running sweep stands (passed to a ``progress`` callable after every chunk).

    Attributes
    ----------
    total : int
        Runs in the experiment.
    done : int
        Runs with a result (including failed ones), from earlier sessions too.
    failed : int
        Runs recorded with an error.
    resumed : int
        Runs that were already done when this session started.
    elapsed : float
        Seconds since this session started computing.
    """

    total: int
    done: int
    failed: int
    resumed: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Runs per second computed in this session."""
        return (self.done - self.resumed) / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None before the first chunk)."""
        return (self.total - self.done) / self.rate if self.rate > 0 else None


ProgressCallback = Callable[[SweepProgress], None]
"""What a sweep calls with its progress after every committed chunk."""


def clock(seconds: float) -> str:
    """``seconds`` as ``h:mm:ss``."""
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class ProgressLine:
    """Progress as one line of text, rewritten in place after every chunk.

    A terminal and a notebook both honour the carriage return; the line is ended when the
    sweep is complete.

    Parameters
    ----------
    label : str
        What the line is about (the sweep's name).
    stream : text stream, optional
        Where to write; standard error by default.
    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream

    def __call__(self, state: SweepProgress) -> None:
        """Write ``state``."""
        stream = self.stream or sys.stderr
        failed = f", {state.failed} failed" if state.failed else ""
        rate = f", {state.rate:,.1f} runs/s" if state.rate else ""
        eta = "" if state.eta is None else f", {clock(state.eta)} left"
        end = "\n" if state.done >= state.total else ""
        stream.write(f"\r{self.label}: {state.done}/{state.total} runs{failed}{rate}{eta}{end}")
        stream.flush()
