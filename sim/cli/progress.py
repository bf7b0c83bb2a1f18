"""Progress bars of the command line, on standard error.

The library only reports progress through callbacks; drawing it is the command line's job.

A notebook can use them too::

    from sim.cli.progress import ProgressBar
    with ProgressBar("my sweep") as bar:
        frame = sweep(scenarios, seed=1, progress=bar)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Self

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:
    from sim.calibration import CalibrationProgress
    from sim.sweep.progress import SweepProgress


class ProgressBar:
    """A sweep's progress bar: runs done of total, runs per second, time left.

    Usable as a ``progress`` callable inside ``with ProgressBar() as bar:``.

    Parameters
    ----------
    description : str
        The label in front of the bar (the sweep's name).
    console : rich Console, optional
        Where to draw; rich's default console (standard output) when omitted.
    """

    def __init__(self, description: str = "sweep", console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA {task.fields[eta]}"),
            console=console,
        )
        # The label is a name, shown as written: a "[" in it is no markup.
        self._task = self._progress.add_task(escape(description), total=None, rate="", eta="-")

    def __enter__(self) -> Self:
        """Start drawing the bar."""
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop drawing the bar."""
        self._progress.stop()

    def __call__(self, state: SweepProgress) -> None:
        """Show ``state``."""
        # Imported here, not at the top: importing sim.sweep loads pandas and the engine,
        # which `sharesim --help` must not wait for (start-up time).
        from sim.sweep.progress import clock

        eta = "-" if state.eta is None else clock(state.eta)
        rate = f"{state.rate:,.1f} runs/s" if state.rate else ""
        failed = f" ({state.failed} failed)" if state.failed else ""
        self._progress.update(
            self._task,
            total=state.total,
            completed=state.done,
            rate=rate + failed,
            eta=eta,
        )


@contextmanager
def stage_bars(quiet: bool = False) -> Iterator[Callable[[CalibrationProgress], None]]:
    """Show a calibration's progress on standard error: one bar per stage, runs done of planned.

    Hidden when ``quiet`` or when standard error is not a terminal.
    """
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=quiet or not sys.stderr.isatty(),
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(status: CalibrationProgress) -> None:
            label = status.stage
            if status.epsilon is not None and status.stage.startswith("generation"):
                label = f"{status.stage} (epsilon so far {status.epsilon:.3g})"
            if status.stage not in tasks:
                tasks[status.stage] = bar.add_task(label, total=max(status.total, 1))
            bar.update(tasks[status.stage], completed=status.done, description=label)

        yield update


@contextmanager
def counter_bar(total: int, label: str, quiet: bool = False) -> Iterator[Callable[[int], None]]:
    """Show a bar of ``total`` steps on standard error, fed with the count done.

    Hidden when ``quiet`` or when standard error is not a terminal, and gone once finished.
    """
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=quiet or not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


def sweep_bar(label: str, quiet: bool) -> AbstractContextManager[ProgressBar | None]:
    """Show a sweep's bar on standard error.

    When ``quiet``, or when standard error is not a terminal, the context gives None.
    """
    if quiet or not sys.stderr.isatty():
        return nullcontext()
    return ProgressBar(label, console=Console(stderr=True))
