"""Designs: shapes, seeding, stratification, extensibility and the checks on a design."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from sim.design import (
    DesignError,
    check_bounds,
    check_design,
    explicit,
    extends,
    grid,
    input_ranges,
    latin_hypercube,
    linear_levels,
    morris_sample,
    sobol_sample,
)
from sim.errors import InputError
from sim.params import PARAMETERS

BOUNDS = {"double_keying_cost": (0.3, 3.0), "legal_risk": (0.0, 2.0), "norm_weight": (0.0, 2.0)}


@dataclass(frozen=True)
class FakeScenario:
    """Just what ``input_ranges`` reads: a name and uncertain inputs with ranges."""

    name: str
    inputs: dict

    def uncertain_inputs(self):
        return self.inputs


def test_grid_is_the_product_with_the_last_input_fastest():
    frame = grid({"a": [1, 2], "b": [10, 20, 30]})
    assert list(frame.columns) == ["a", "b"]
    assert frame.to_numpy().tolist() == [
        [1, 10], [1, 20], [1, 30], [2, 10], [2, 20], [2, 30],
    ]  # fmt: skip


def test_grid_levels_between_bounds_include_both_ends():
    assert linear_levels(0.3, 3.0, 4) == pytest.approx([0.3, 1.2, 2.1, 3.0])
    with pytest.raises(DesignError):
        linear_levels(0.0, 1.0, 1)


def test_latin_hypercube_puts_one_point_in_every_stratum_and_is_seeded():
    n = 16
    frame = latin_hypercube(BOUNDS, n, seed=4)
    assert frame.shape == (n, 3)
    for name, (low, high) in BOUNDS.items():
        strata = np.floor((frame[name].to_numpy() - low) / (high - low) * n).astype(int)
        assert sorted(strata) == list(range(n)), name
    assert frame.equals(latin_hypercube(BOUNDS, n, seed=4))
    assert not frame.equals(latin_hypercube(BOUNDS, n, seed=5))


def test_sobol_design_has_salibs_shape_and_is_seeded():
    d = len(BOUNDS)
    first = sobol_sample(BOUNDS, 8, seed=3)
    assert first.shape == (8 * (d + 2), d)
    assert sobol_sample(BOUNDS, 8, seed=3, calc_second_order=True).shape == (8 * (2 * d + 2), d)
    assert first.equals(sobol_sample(BOUNDS, 8, seed=3))
    for name, (low, high) in BOUNDS.items():
        assert first[name].between(low, high).all()


def test_doubling_a_sobol_design_appends_rows_so_a_sweep_can_be_extended():
    small, large = sobol_sample(BOUNDS, 8, seed=3), sobol_sample(BOUNDS, 16, seed=3)
    assert extends(small, large)
    assert not extends(large, small)


def test_sobol_needs_a_power_of_two():
    with pytest.raises(DesignError, match="power of two"):
        sobol_sample(BOUNDS, 12, seed=1)


def test_morris_design_has_one_trajectory_per_block_of_d_plus_one_rows():
    d = len(BOUNDS)
    frame = morris_sample(BOUNDS, 5, seed=2, levels=4)
    assert frame.shape == (5 * (d + 1), d)
    assert frame.equals(morris_sample(BOUNDS, 5, seed=2, levels=4))
    # Within a trajectory consecutive points differ in exactly one input.
    steps = np.diff(frame.to_numpy()[: d + 1], axis=0)
    assert ((steps != 0).sum(axis=1) == 1).all()
    with pytest.raises(DesignError, match="even"):
        morris_sample(BOUNDS, 5, seed=2, levels=3)


def test_explicit_rows_must_name_the_same_inputs():
    frame = explicit([{"a": 1.0, "b": 2.0}, {"b": 4.0, "a": 3.0}])
    assert frame.to_numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(DesignError, match="row 1"):
        explicit([{"a": 1.0}, {"b": 2.0}])


def test_check_design_accepts_a_good_design_as_floats():
    ranges = {name: (p.low, p.high) for name, p in PARAMETERS.items()}
    design = pd.DataFrame({"double_keying_cost": [1, 2]}, index=[7, 9])
    checked = check_design(design, ranges)
    assert checked["double_keying_cost"].dtype == np.float64
    assert list(checked.index) == [0, 1]


@pytest.mark.parametrize(
    ("design", "message"),
    [
        (pd.DataFrame({"double_keyng_cost": [1.0]}), "did you mean 'double_keying_cost'"),
        (pd.DataFrame({"double_keying_cost": [1.0, 9.0]}), "row 1 'double_keying_cost' = 9"),
        (pd.DataFrame({"double_keying_cost": [np.nan]}), "row 0"),
        (pd.DataFrame({"double_keying_cost": ["high"]}), "must hold numbers"),
        (pd.DataFrame({"double_keying_cost": []}), "at least one row"),
        ({"double_keying_cost": [1.0]}, "got dict (a grid of levels: sim.design.grid({"),
    ],
)
def test_check_design_names_what_is_wrong(design, message):
    ranges = {name: (p.low, p.high) for name, p in PARAMETERS.items()}
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_design(design, ranges)


def test_bounds_must_be_ordered_and_inside_the_range():
    ranges = {"x": (0.0, 1.0)}
    assert check_bounds({"x": (0.2, 0.4)}, ranges) == {"x": (0.2, 0.4)}
    with pytest.raises(DesignError, match="low < high"):
        check_bounds({"x": (0.4, 0.2)}, ranges)
    with pytest.raises(DesignError, match="leave its range"):
        check_bounds({"x": (0.0, 2.0)}, ranges)


def test_input_ranges_keep_scenario_inputs_that_mean_the_same_in_every_scenario():
    a = FakeScenario(
        "a", {"blaby.staff": (3, 10), "melton.staff": (2, 8), "legal_risk": (0.5, 1.5)}
    )
    b = FakeScenario("b", {"blaby.staff": (3, 10), "melton.staff": (2, 9)})
    ranges = input_ranges([a, b])
    assert ranges["blaby.staff"] == (3.0, 10.0)
    assert "melton.staff" not in ranges  # different ranges: a crossed design would be ambiguous
    assert ranges["legal_risk"] == (0.5, 1.5)  # narrowed by a scenario's own range
    assert ranges["double_keying_cost"] == (0.3, 3.0)  # every registry parameter
