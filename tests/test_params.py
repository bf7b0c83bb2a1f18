"""The parameter registry: complete evidence for every entry, clear errors for bad values."""

import math

import pytest

from sim.parameter import CATEGORIES, ParameterError
from sim.params import PARAMETERS, check_value, resolve, uncertain_parameters


@pytest.mark.parametrize("param", PARAMETERS.values(), ids=list(PARAMETERS))
def test_every_parameter_carries_its_evidence(param):
    assert param.name.isidentifier() and param.name.islower()
    assert param.low <= param.default <= param.high
    assert param.category in CATEGORIES
    assert param.provenance in ("stated", "external", "inferred", "assumed")
    assert param.source.strip() and param.description.strip() and param.unit.strip()


def test_the_six_categories_are_all_used():
    assert {p.category for p in PARAMETERS.values()} == set(CATEGORIES)
    assert len(CATEGORIES) == 6


def test_uncertain_parameters_are_those_not_pinned_by_evidence():
    names = {p.name for p in uncertain_parameters()}
    assert "double_keying_cost" in names
    assert all(PARAMETERS[n].provenance in ("inferred", "assumed") for n in names)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        (
            "double_keying",
            1.0,
            "unknown parameter 'double_keying' (did you mean 'double_keying_cost'?)",
        ),
        ("nonsense_name_xyz", 1.0, "unknown parameter 'nonsense_name_xyz'"),
        ("decision_gain", "3", "must be a number, got str"),
        ("decision_gain", True, "must be a number, got bool"),
        ("decision_gain", math.nan, "must be finite"),
        ("decision_gain", math.inf, "must be finite"),
        ("turnover_rate", 0.5, "outside its range [0, 0.01]"),
        ("legal_risk", -0.1, "outside its range"),
    ],
)
def test_bad_values_raise_one_clear_error(name, value, fragment):
    with pytest.raises(ParameterError) as info:
        check_value(name, value, where="scenario.toml")
    message = str(info.value)
    assert fragment in message
    assert message.startswith("scenario.toml: ")
    assert "\n" not in message


def test_resolve_applies_checked_overrides_over_defaults():
    values = resolve({"double_keying_cost": 0.5, "turnover_rate": 0})
    assert values["double_keying_cost"] == 0.5
    assert values["turnover_rate"] == 0.0
    assert set(values) == set(PARAMETERS)
    with pytest.raises(ParameterError):
        resolve({"double_keying_cost": 99})
