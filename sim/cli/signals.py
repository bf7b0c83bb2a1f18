"""Termination signals handled as Ctrl-C is.

A ``kill`` (SIGTERM, as a batch system or a container runtime sends) or a closed terminal
(SIGHUP) stops a command the way Ctrl-C does, so a sweep, a sensitivity analysis or a
calibration saves its finished chunks, marks its folder interrupted, says so in one line and
exits with the status of an interrupt (130).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

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


class Stopped(Exception):
    """A resumable command stopped by an interrupt, and what it saved.

    Its message is the one line the command line prints. It is not a KeyboardInterrupt, which
    the command framework would swallow into a bare exit status.
    """

    def __init__(self, by: str, saved: str) -> None:
        super().__init__(f"interrupted ({by}); {saved} are saved, run the same command to resume")


def signal_name(interrupt: BaseException) -> str:
    """Name what stopped the command: the termination signal's name, or ``"Ctrl-C"``."""
    return interrupt.name if isinstance(interrupt, Terminated) else "Ctrl-C"


@contextlib.contextmanager
def resumable(saved: str) -> Iterator[None]:
    """Turn an interrupt of the block (Ctrl-C, SIGTERM, SIGHUP) into :class:`Stopped`.

    The :class:`Stopped` says what was ``saved`` ("finished chunks").
    """
    try:
        yield
    except KeyboardInterrupt as interrupt:
        raise Stopped(signal_name(interrupt), saved) from None


@contextlib.contextmanager
def interrupts_recorded() -> Iterator[list[str]]:
    """Record the interrupts that arrive within the block, raising each as Ctrl-C would.

    Within the block, Ctrl-C raises KeyboardInterrupt as ever and SIGTERM and SIGHUP raise
    :class:`Terminated`; yields the list of what arrived (``"Ctrl-C"``, ``"SIGTERM"``...).

    After the first termination signal, further ones are ignored, so the clean-up it started
    (saving the session record, stopping the workers) is not cut short. The previous handlers
    are restored on exit. Outside the main thread (where Python cannot install a handler) the
    block runs unchanged.
    """
    received: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def interrupt(number: int, frame: FrameType | None) -> None:
        if number == signal.SIGINT:
            received.append("Ctrl-C")
            raise KeyboardInterrupt
        for each in TERMINATIONS:
            signal.signal(each, signal.SIG_IGN)
        received.append(signal.Signals(number).name)
        raise Terminated(number)

    handled = (signal.SIGINT, *TERMINATIONS)
    previous = {number: signal.signal(number, interrupt) for number in handled}
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
