"""Trailing sums of weekly counts, the one helper behind every trailing recording share (the run
report's panels and headline, the dashboard's rolling share): each week's sum over the last
weeks, fewer at the start, along any axis, exact on counts."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.weeks import TRAILING_WEEKS, trailing_sum

counts = arrays(
    np.int64,
    st.tuples(st.integers(1, 3), st.integers(1, 12), st.integers(1, 3)),
    elements=st.integers(0, 10**6),
)


def by_hand(values: np.ndarray, axis: int, weeks: int) -> np.ndarray:
    """Each week's sum over itself and the weeks before it, up to ``weeks`` in all."""
    moved = np.moveaxis(values, axis, 0)
    sums = np.stack([moved[max(0, t - weeks + 1) : t + 1].sum(axis=0) for t in range(len(moved))])
    return np.moveaxis(sums, 0, axis)


@given(counts, st.integers(0, 2), st.integers(1, 6))
def test_each_week_sums_the_last_weeks_along_any_axis(values, axis, weeks):
    before = values.copy()
    summed = trailing_sum(values, axis, weeks)
    assert summed.shape == values.shape
    np.testing.assert_array_equal(summed, by_hand(values, axis, weeks))
    np.testing.assert_array_equal(values, before)  # the input is left as it was


def test_the_default_window_is_four_weeks():
    weekly = np.array([1, 2, 3, 4, 5, 6])
    assert TRAILING_WEEKS == 4
    assert trailing_sum(weekly, 0).tolist() == [1, 3, 6, 10, 14, 18]
