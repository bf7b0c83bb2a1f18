"""A batch's parameters: stacked by name, taken back as one table while unchanged."""

import copy
import pickle

import numpy as np
import pytest

from sim.batch_parameters import StackedParameters, as_records, parameter_table, stack_parameters
from sim.params import PARAMETERS, defaults


def _runs(size):
    base = defaults()
    return [{name: value + 0.001 * run for name, value in base.items()} for run in range(size)]


def test_the_table_of_a_stacked_batch_is_the_table_of_its_columns():
    params = stack_parameters(_runs(3))
    assert isinstance(params, StackedParameters) and params.rows is not None
    table = parameter_table(params)
    assert table.flags.c_contiguous and table.shape == (3, len(PARAMETERS))
    np.testing.assert_array_equal(table, parameter_table(dict(params)))
    assert as_records(table)[2]["decision_gain"] == params["decision_gain"][2]


def test_values_are_the_rows_of_the_kept_table_in_registry_order():
    params = stack_parameters(_runs(2))
    assert list(params) == list(PARAMETERS) and len(params) == len(PARAMETERS)
    for column, (name, values) in enumerate(params.items()):
        assert values.shape == (2,)
        np.testing.assert_array_equal(values, [r[name] for r in _runs(2)])
        np.testing.assert_array_equal(values, params.rows[column])
    with pytest.raises(KeyError):
        params["no_such_parameter"]


def test_a_value_changed_in_place_changes_the_table():
    params = stack_parameters(_runs(2))
    params["decision_gain"][1] = 7.0
    assert parameter_table(params)[1, list(PARAMETERS).index("decision_gain")] == 7.0


MUTATIONS = {
    "set": lambda p: p.__setitem__("decision_gain", np.array([5.0, 6.0])),
    "augmented": lambda p: p.__setitem__("decision_gain", p["decision_gain"] + 4.0),
    "update": lambda p: p.update(decision_gain=np.array([5.0, 6.0])),
    "setdefault": lambda p: p.setdefault("unknown", np.zeros(2)),
    "pop": lambda p: p.pop("decision_gain"),
    "del": lambda p: p.__delitem__("decision_gain"),
    "popitem": lambda p: p.popitem(),
    "clear": lambda p: p.clear(),
}


@pytest.mark.parametrize("change", MUTATIONS)
def test_any_change_of_an_entry_drops_the_kept_table(change):
    params = stack_parameters(_runs(2))
    MUTATIONS[change](params)
    assert params.rows is None
    if params.keys() == set(PARAMETERS):
        # The table is stacked again from the entries, so it shows the change.
        column = parameter_table(params)[:, list(PARAMETERS).index("decision_gain")]
        np.testing.assert_array_equal(column, params["decision_gain"])
    else:
        with pytest.raises(ValueError, match="do not match the registry"):
            parameter_table(params)


def test_a_changed_entry_of_the_wrong_shape_is_refused():
    params = stack_parameters(_runs(2))
    params["decision_gain"] = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="one shape"):
        parameter_table(params)


@pytest.mark.parametrize(
    "duplicate", [copy.copy, copy.deepcopy, lambda p: pickle.loads(pickle.dumps(p))]
)
def test_a_copy_or_pickle_is_a_plain_dict_with_the_same_values(duplicate):
    params = stack_parameters(_runs(2))
    other = duplicate(params)
    assert type(other) is dict and list(other) == list(params) == list(PARAMETERS)
    np.testing.assert_array_equal(parameter_table(other), parameter_table(params))


def test_missing_values_are_named():
    runs = _runs(1)
    del runs[0]["decision_gain"]
    with pytest.raises(ValueError, match="decision_gain"):
        stack_parameters(runs)
