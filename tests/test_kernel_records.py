"""The kernel's records: every declared array reaches the kernel by name, every container
follows its declaration, and the interface stages are declared once."""

import ast
import dataclasses
import inspect
import textwrap
from typing import get_args

import numba
import numpy as np
import pytest
from toy import toy_setup

import sim.engine
import sim.kernel
from sim.arrays import (
    Benefit,
    Layout,
    OutputRecord,
    Outputs,
    Schedule,
    ScheduleRecord,
    State,
    StateRecord,
    Static,
    StaticRecord,
    Trajectory,
    WeekOutput,
    layouts,
)
from sim.engine import (
    INTERFACE_NAMES,
    InterfaceState,
    generators,
    initial_state,
    prepare,
    simulate,
    stack_parameters,
    step,
)
from sim.scenarios.schema import InterfaceName


def test_interface_stages_are_declared_once():
    """Scenario files spell the kernel's stages, in code order; the codes count from 0."""
    assert get_args(InterfaceName) == INTERFACE_NAMES
    assert INTERFACE_NAMES == (
        "none",
        "considering",
        "building",
        "live",
        "workaround",
        "declined",
    )
    assert [int(stage) for stage in InterfaceState] == list(range(len(INTERFACE_NAMES)))


def test_every_declared_array_has_a_layout():
    state = {f.name for f in dataclasses.fields(State)} - {"week"}
    assert set(layouts(State)) == state
    assert set(layouts(WeekOutput)) == {f.name for f in dataclasses.fields(WeekOutput)}
    assert set(layouts(Trajectory)) == set(layouts(Outputs)) | set(layouts(Benefit)) | {"views"}
    assert all(isinstance(layout, Layout) for layout in layouts(State).values())


def test_the_kernel_reads_every_declared_array_by_name():
    """Each record has a field per declared array, sorted, and the kernel reads every field
    by name: so a renamed array changes the kernel's source, which refreshes its numba cache
    (positions in a record are never compiled against an old declaration)."""
    records = {
        "static": (StaticRecord, [f.name for f in dataclasses.fields(Static)]),
        "schedule": (ScheduleRecord, [f.name for f in dataclasses.fields(Schedule)]),
        "state": (StateRecord, list(layouts(State))),
        "out": (OutputRecord, list(layouts(WeekOutput))),
    }
    source = ast.parse(textwrap.dedent(inspect.getsource(sim.kernel.advance.py_func)))
    read: dict[str, set[str]] = {group: set() for group in records}
    for node in ast.walk(source):
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) in read:
            read[node.value.id].add(node.attr)
    for group, (record, names) in records.items():
        assert record._fields == tuple(sorted(names)), group
        assert read[group] == set(names), group


def _check_layouts(container, arrays, leading, sizes):
    for name, layout in layouts(container).items():
        value = getattr(arrays, name)
        assert value.shape == leading + layout.shape(sizes), name
        assert value.dtype == layout.dtype, name


def test_containers_follow_their_declaration():
    setup = toy_setup(n_weeks=6)
    sizes = setup.partnership.sizes
    params = stack_parameters([setup.parameters] * 3)
    batch = prepare(setup.partnership, setup.schedule, params)
    rngs = generators([1, 2, 3])
    state = initial_state(batch, rngs)
    _check_layouts(State, state, (3,), sizes)
    state, week = step(state, batch, rngs)
    _check_layouts(State, state, (3,), sizes)
    _check_layouts(WeekOutput, week, (3,), sizes)
    trajectory = simulate(setup.partnership, setup.schedule, params, [1, 2, 3])
    _check_layouts(Outputs, trajectory, (3, 6), sizes)
    assert trajectory.views.shape == (3, *layouts(State)["views"].shape(sizes))


def test_select_and_concatenate_keep_every_declared_array():
    setup = toy_setup(n_weeks=8)
    whole = simulate(
        setup.partnership, setup.schedule, stack_parameters([setup.parameters] * 4), range(4)
    )
    parts = [whole.select([0, 1]), whole.select(slice(2, 4))]
    joined = sim.engine.concatenate(parts)
    assert joined.names == whole.names
    for name in layouts(Trajectory):
        assert np.array_equal(getattr(joined, name), getattr(whole, name), equal_nan=True), name


def test_step_and_simulate_share_one_compiled_kernel(monkeypatch):
    """Every call, one week or a whole run, shared or batched schedule, has one signature:
    the kernel compiles (or loads) once."""
    seen = set()
    kernel = sim.engine.advance

    def recording(*args):
        seen.add(tuple(numba.typeof(a) for a in args))
        return kernel(*args)

    monkeypatch.setattr(sim.engine, "advance", recording)
    setup = toy_setup(n_weeks=5)
    params = stack_parameters([setup.parameters] * 2)
    simulate(setup.partnership, setup.schedule, params, [1, 2])
    fields = dataclasses.fields(Schedule)
    stacked = Schedule(**{f.name: np.stack([getattr(setup.schedule, f.name)] * 2) for f in fields})
    simulate(setup.partnership, stacked, params, [1, 2])
    batch = prepare(setup.partnership, setup.schedule, params)
    rngs = generators([1, 2])
    step(initial_state(batch, rngs), batch, rngs)
    assert len(seen) == 1


@pytest.mark.parametrize("batched", [False, True])
def test_a_week_at_a_time_equals_a_whole_run(batched):
    setup = toy_setup(n_weeks=12)
    schedule = setup.schedule
    if batched:
        fields = dataclasses.fields(Schedule)
        schedule = Schedule(**{f.name: np.stack([getattr(schedule, f.name)] * 2) for f in fields})
    params = stack_parameters([setup.parameters] * 2)
    whole = simulate(setup.partnership, schedule, params, [5, 6])
    batch = prepare(setup.partnership, schedule, params)
    rngs = generators([5, 6])
    state = initial_state(batch, rngs)
    for week in range(12):
        state, out = step(state, batch, rngs)
        for name in layouts(Outputs):
            assert np.array_equal(getattr(out, name), getattr(whole, name)[:, week]), name
    assert np.array_equal(state.views, whole.views)
