"""What sharing buys: information latency and staff time, per run, week and partner.

Both are cheap functions of what a run already counts (cases handled and recorded, the
interface stage, who is live and who is co-located), computed after the run in one
compiled pass over its weekly counts (:func:`benefit`), so they add nothing to the engine's
weekly loop and little to a run. Their constants are registry parameters
(``sim/registry.py``, "what sharing buys"), with the evidence they rest on:

- **Latency** (``shared/DOMAIN.md`` P13): a case recorded on the system reaches partners the
  same day (``system_latency_days``); a case not on the system reaches them by the slower
  pre-system routes, about a month (``pre_system_latency_days``), unless partners chase it,
  "within the week" (``chase_latency_days``). Partners chase a missing update in proportion
  to how much they rely on the system themselves (the other live partners' recording share
  that week), and always when the partner's staff sit with theirs (co-location).
- **Staff time on sharing** (P5, P11, P13): double keying of every case recorded without an
  interface (``double_keying_minutes``), or a manual workaround's time instead while waiting
  for one (``workaround_minutes``); e-mail and telephone for every case not on the system
  (``email_minutes``); and chasing (``chase_minutes``). **Time saved** is against the
  pre-system routine in which every case went by e-mail: P5's integrated partner saved up to
  two hours a day.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from sim.arrays import Benefit, FloatArray, Trajectory
from sim.batch_parameters import kept_rows
from sim.kernel import InterfaceState

FINAL_YEAR = slice(-52, None)
"""The last 52 weeks of a run: the final year summaries read."""


CONSTANTS = (
    "system_latency_days",
    "chase_latency_days",
    "pre_system_latency_days",
    "double_keying_minutes",
    "workaround_minutes",
    "email_minutes",
    "chase_minutes",
)
"""The registry constants of what sharing buys, in the order :func:`_gained` reads them."""


@njit(cache=True)
def _gained(handled, recorded, interface, live, colocated, constants, latency, spent, saved):  # type: ignore[no-untyped-def]
    """Fill ``latency``, ``spent`` and ``saved`` (B, T, A) in one compiled pass.

    ``constants`` (7, B) holds :data:`CONSTANTS` per run; ``live`` and ``colocated`` are
    (B, T, A), or (1, T, A) when the runs share their schedule. Each value is computed with the
    same operations, in the same order, as the formulas of :func:`benefit` state them.
    """
    runs, weeks, a = handled.shape
    for b in range(runs):
        system, chase_days, pre_system = constants[0, b], constants[1, b], constants[2, b]
        keying_minutes, workaround, email = constants[3, b], constants[4, b], constants[5, b]
        chase_minutes = constants[6, b]
        live_b = live[b if live.shape[0] > 1 else 0]
        colocated_b = colocated[b if colocated.shape[0] > 1 else 0]
        for t in range(weeks):
            rec_live = 0
            han_live = 0
            for j in range(a):
                if live_b[t, j]:
                    rec_live += recorded[b, t, j]
                    han_live += handled[b, t, j]
            for j in range(a):
                han, rec = handled[b, t, j], recorded[b, t, j]
                unrecorded = han - rec
                chased_share = 0.0
                if live_b[t, j]:
                    others = (rec_live - rec) / max(han_live - han, 1)
                    chased_share = max(1.0 if colocated_b[t, j] else 0.0, others)
                chased = unrecorded * chased_share
                days = rec * system + chased * chase_days + (unrecorded - chased) * pre_system
                latency[b, t, j] = days / han if han > 0 else np.nan
                if interface[b, t, j] == InterfaceState.LIVE:
                    keying = 0.0
                elif interface[b, t, j] == InterfaceState.WORKAROUND:
                    keying = workaround
                else:
                    keying = keying_minutes
                minutes = rec * keying + unrecorded * email + chased * chase_minutes
                spent[b, t, j] = minutes / 60.0
                saved[b, t, j] = (han * email - minutes) / 60.0


def benefit(
    handled: NDArray,
    recorded: NDArray,
    interface: NDArray,
    live: NDArray,
    colocated: NDArray,
    params: Mapping[str, ArrayLike],
) -> Benefit:
    """Latency and staff time of every run, week and partner.

    For every run, week and partner: of the cases not recorded, partners chase the share
    ``max(co-located, partners' share)`` when the partner is live (none otherwise); latency is
    ``(recorded * system + chased * chase + (unrecorded - chased) * pre-system) / handled``
    days (NaN when nothing was handled); minutes on sharing are ``recorded * keying +
    unrecorded * email + chased * chase_minutes``, with keying 0 once the interface is live
    and the workaround's minutes while one is in use; time saved is ``handled * email``
    minus that. Computed in one compiled pass (:func:`_gained`).

    Parameters
    ----------
    handled, recorded, interface : int array (B, T, A)
        Cases handled and recorded, and the interface stage, per run, week and partner.
    live, colocated : bool array (T, A) or (B, T, A)
        The schedule the runs ran on (shared, or one row per run).
    params : mapping of str to float or array (B,)
        At least the benefit constants; one value for all runs or one per run.
    """
    runs, weeks, a = handled.shape
    constants = np.empty((len(CONSTANTS), runs))
    kept = kept_rows(params, CONSTANTS)
    if kept is not None:
        constants[:] = kept
    else:
        for row, name in enumerate(CONSTANTS):
            constants[row] = params[name]
    latency, spent, saved = np.empty((3, runs, weeks, a))
    _gained(
        handled,
        recorded,
        interface,
        live if live.ndim == 3 else live[None],
        colocated if colocated.ndim == 3 else colocated[None],
        constants,
        latency,
        spent,
        saved,
    )
    return Benefit(latency_days=latency, sharing_hours=spent, saved_hours=saved)


def weekly_latency(trajectory: Trajectory) -> FloatArray:
    """Partnership-wide latency per run and week (B, T), days.

    Weighted by cases handled (NaN in a week nobody handled a case).
    """
    handled = trajectory.handled
    total = np.nansum(trajectory.latency_days * handled, axis=2)
    cases = handled.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cases > 0, total / np.maximum(cases, 1), np.nan)


def mean_latency(trajectory: Trajectory, weeks: slice = FINAL_YEAR) -> FloatArray:
    """Partnership-wide latency per run (B,), days, weighted by cases over partners and weeks."""
    handled = trajectory.handled[:, weeks]
    total = np.nansum(trajectory.latency_days[:, weeks] * handled, axis=(1, 2))
    return total / np.maximum(handled.sum(axis=(1, 2)), 1)


def partner_latency(trajectory: Trajectory, weeks: slice = FINAL_YEAR) -> FloatArray:
    """Latency per run and partner (B, A), days.

    Weighted by the partner's cases over ``weeks`` (the pre-system wait is not known for a
    partner that handled none: NaN).
    """
    handled = trajectory.handled[:, weeks]
    total = np.nansum(trajectory.latency_days[:, weeks] * handled, axis=1)
    cases = handled.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cases > 0, total / np.maximum(cases, 1), np.nan)


def hours_per_week(
    trajectory: Trajectory, weeks: slice = FINAL_YEAR
) -> tuple[FloatArray, FloatArray]:
    """Staff hours a week on sharing and saved, per run and partner (B, A), over ``weeks``."""
    spent = trajectory.sharing_hours[:, weeks].mean(axis=1)
    saved = trajectory.saved_hours[:, weeks].mean(axis=1)
    return spent, saved
