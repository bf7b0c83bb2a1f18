"""Workers die with their coordinator.

A process-pool worker ends when the process that started it ends, however it ends (SIGKILL
included), so no worker is left computing for nobody and holding its memory.

Two guards, armed in every worker as it starts (:func:`bind_to_parent`):

* on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the moment
  its parent dies;
* everywhere, a watchdog thread that ends the worker within :data:`WATCH_SECONDS` of its
  parent's pid changing (an orphan is adopted by init or a subreaper), for systems without
  ``prctl``.

The pool's resource tracker exits by itself once the last process holding its pipe (the
coordinator and the workers) is gone. Dask's ``LocalCluster`` workers need neither guard: each
exits when the pipe its parent holds open closes (``distributed.process``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
"""The ``prctl`` option that asks for a signal when the parent dies (linux/prctl.h)."""

WATCH_SECONDS = 1.0
"""How often the watchdog looks at the parent's pid."""


def bind_to_parent(parent: int) -> None:
    """End this process when ``parent`` (the pid of the process that started it) ends."""
    _parent_death_signal()
    if os.getppid() != parent:
        # The parent died before the signal was armed: nothing would deliver it now.
        os._exit(1)
    watchdog = threading.Thread(
        target=_watch, args=(parent,), name="sharesim-lifeline", daemon=True
    )
    watchdog.start()


def _parent_death_signal() -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies; whether it could."""
    if not sys.platform.startswith("linux"):
        return False
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0)
    return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)
