"""Termination signals handled as Ctrl-C is: a ``kill`` (SIGTERM, as a batch system or a
container runtime sends) or a closed terminal (SIGHUP) stops a command the way Ctrl-C does,
so a sweep, a sensitivity analysis or a calibration saves its finished chunks, marks its
folder interrupted, says so in one line and exits with the status of an interrupt (130)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import typer

from sim.cli.app import stderr

TERMINATIONS = (signal.SIGTERM, signal.SIGHUP)
"""The signals handled like SIGINT."""

INTERRUPTED = 130
"""Exit status of a command stopped by Ctrl-C or a termination signal (128 + SIGINT)."""


class Terminated(KeyboardInterrupt):
    """A termination signal arrived: raised where Ctrl-C would raise KeyboardInterrupt.

    Attributes
    ----------
    name : str
        The signal's name (``"SIGTERM"``).
    """

    def __init__(self, number: int) -> None:
        self.name = signal.Signals(number).name
        super().__init__(self.name)


def signal_name(interrupt: KeyboardInterrupt) -> str:
    """What stopped the command: the termination signal's name, or ``"Ctrl-C"``."""
    return interrupt.name if isinstance(interrupt, Terminated) else "Ctrl-C"


@contextlib.contextmanager
def terminations_as_interrupts() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Terminated` in the main thread.

    After the first one, further termination signals are ignored, so the clean-up they
    started (saving the session record, stopping the workers) is not cut short. The previous
    handlers are restored on exit. Outside the main thread (where Python cannot install a
    handler) the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(number: int, frame: FrameType | None) -> None:
        for each in TERMINATIONS:
            signal.signal(each, signal.SIG_IGN)
        raise Terminated(number)

    previous = {number: signal.signal(number, interrupt) for number in TERMINATIONS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def resumable(saved: str) -> Iterator[None]:
    """Stop a resumable command interrupted in the block (Ctrl-C, SIGTERM, SIGHUP) with one
    line saying so and what was ``saved`` ("finished chunks"), and exit status 130."""
    try:
        yield
    except KeyboardInterrupt as interrupt:
        stderr.print(
            f"sharesim: interrupted ({signal_name(interrupt)}); {saved} are saved, run the "
            "same command to resume",
            markup=False,
        )
        raise typer.Exit(INTERRUPTED) from None
