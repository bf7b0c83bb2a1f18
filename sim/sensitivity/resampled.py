"""The sums a Sobol bootstrap needs over each resample of base points, compiled.

:func:`sim.sensitivity.estimators.sobol_indices` resamples the base points of a Saltelli
design about a thousand times. Gathering every resample's ``AB`` rows, ``(resamples, n, k)``
floats, then reducing them in several numpy passes spends most of its time making and reading
those temporaries. :func:`saltelli_sums` reads each picked row once instead.

It adds in the order numpy reduces those arrays along the base-point axis: one term after
another, from zero, in the order of the resample's picks. With the same elementwise operations,
the sums are the same floats to the bit (``tests/test_bootstrap_sums.py`` compares them), so the
intervals do not move.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@njit(cache=True)
def _sums(pick, a, ab, b, a_noise, ab_noise, first, total, noise):  # type: ignore[no-untyped-def]
    """Fill ``first``, ``total`` and ``noise`` (resamples, k) with the sums over each resample."""
    resamples, n = pick.shape
    k = ab.shape[1]
    for s in range(resamples):
        for j in range(k):
            first[s, j] = 0.0
            total[s, j] = 0.0
            noise[s, j] = 0.0
        for i in range(n):
            p = pick[s, i]
            for j in range(k):
                first[s, j] += b[p] * (ab[p, j] - a[p])
                gap = a[p] - ab[p, j]
                total[s, j] += gap * gap
                noise[s, j] += a_noise[p] + ab_noise[p, j]


def saltelli_sums(
    pick: IntArray,
    a: FloatArray,
    ab: FloatArray,
    b: FloatArray,
    a_noise: FloatArray,
    ab_noise: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return the sums over each resample of base points behind first and total indices.

    Parameters
    ----------
    pick : int array (resamples, n)
        The base points of each resample.
    a, b : array (n,)
        The ``A`` and ``B`` rows' values, one per base point.
    ab : array (n, k)
        The ``AB_j`` rows' values.
    a_noise, ab_noise : arrays (n,) and (n, k)
        Noise variances of the ``A`` and ``AB_j`` row means.

    Returns
    -------
    first, total, noise : arrays (resamples, k)
        Over the picked base points: the sum of ``b (ab_j - a)``, of ``(a - ab_j)^2`` and of
        ``a_noise + ab_noise_j``.
    """
    shape = (pick.shape[0], ab.shape[1])
    first, total, noise = np.empty(shape), np.empty(shape), np.empty(shape)
    _sums(
        np.ascontiguousarray(pick),
        np.ascontiguousarray(a),
        np.ascontiguousarray(ab),
        np.ascontiguousarray(b),
        np.ascontiguousarray(a_noise),
        np.ascontiguousarray(ab_noise),
        first,
        total,
        noise,
    )
    return first, total, noise
