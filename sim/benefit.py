"""What sharing buys: information latency and staff time, per run, week and partner.

Both are cheap functions of what a run already counts (cases handled and recorded, the
interface stage, who is live and who is co-located), computed after the run with numpy, so
they add nothing to the engine's weekly loop. Their constants are registry parameters
(``sim/params.py``, "what sharing buys"), with the evidence they rest on:

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
from numpy.typing import ArrayLike, NDArray

from sim.arrays import Benefit, FloatArray, Trajectory
from sim.kernel import InterfaceState

FINAL_YEAR = slice(-52, None)
"""The last 52 weeks of a run: the final year summaries read."""


def _column(params: Mapping[str, ArrayLike], name: str) -> FloatArray:
    """Parameter ``name`` (one value, or one per run) shaped to broadcast over (B, T, A)."""
    return np.asarray(params[name], dtype=float).reshape(-1, 1, 1)


def _weekly(values: NDArray, runs: int) -> NDArray:
    """Return a schedule array (T, A) or (B, T, A) as (B, T, A)."""
    return np.broadcast_to(values, (runs, *values.shape[-2:]))


def partners_share(recorded: NDArray, handled: NDArray, live: NDArray) -> FloatArray:
    """Return the recording share of the other live partners per run, week and partner (B, T, A)."""
    rec = np.where(live, recorded, 0)
    han = np.where(live, handled, 0)
    other_rec = rec.sum(axis=2, keepdims=True) - rec
    other_han = han.sum(axis=2, keepdims=True) - han
    return other_rec / np.maximum(other_han, 1)


def benefit(
    handled: NDArray,
    recorded: NDArray,
    interface: NDArray,
    live: NDArray,
    colocated: NDArray,
    params: Mapping[str, ArrayLike],
) -> Benefit:
    """Latency and staff time of every run, week and partner.

    Parameters
    ----------
    handled, recorded, interface : int array (B, T, A)
        Cases handled and recorded, and the interface stage, per run, week and partner.
    live, colocated : bool array (T, A) or (B, T, A)
        The schedule the runs ran on (shared, or one row per run).
    params : mapping of str to float or array (B,)
        At least the benefit constants; one value for all runs or one per run.
    """
    runs = handled.shape[0]
    live_now = _weekly(live, runs)
    contact = _weekly(colocated, runs)
    unrecorded = handled - recorded
    chased_share = np.where(
        live_now, np.maximum(contact, partners_share(recorded, handled, live_now)), 0.0
    )
    chased = unrecorded * chased_share
    days = (
        recorded * _column(params, "system_latency_days")
        + chased * _column(params, "chase_latency_days")
        + (unrecorded - chased) * _column(params, "pre_system_latency_days")
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        latency = np.where(handled > 0, days / handled, np.nan)
    keying = np.where(
        interface == InterfaceState.LIVE,
        0.0,
        np.where(
            interface == InterfaceState.WORKAROUND,
            _column(params, "workaround_minutes"),
            _column(params, "double_keying_minutes"),
        ),
    )
    email = _column(params, "email_minutes")
    minutes = recorded * keying + unrecorded * email + chased * _column(params, "chase_minutes")
    return Benefit(
        latency_days=latency,
        sharing_hours=minutes / 60.0,
        saved_hours=(handled * email - minutes) / 60.0,
    )


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
