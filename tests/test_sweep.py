"""Sweeps give the same results however they run: 1 or 2 workers, any chunk size, the process
pool or a real Dask LocalCluster, in one go or interrupted and resumed or extended.

Budget: 3 scenarios x 4 design rows x 3 replicates = 36 runs of the full 156-week replay
(a few milliseconds each). The design moves a registry parameter, a staff count (a different
partnership, so a separate engine batch) and a go-live week (a different timeline, so a
batched schedule), which is every way runs can be grouped inside a chunk; 36 runs in chunks
of 1, 5 and the default size give chunk boundaries inside and across those groups. The third
scenario has a posterior, so each of its runs also draws a parameter set (one of whose inputs,
a partner's caseload, changes the timeline again). Equality is exact (a SHA-256 of the result
table), so a small sweep is as strong a check as a big one.
"""

import importlib
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest
import support

from sim import store
from sim.engine import simulate, stack_parameters
from sim.errors import InputError
from sim.metrics import summary_columns, summary_metrics
from sim.run import run
from sim.scenarios import Scenario
from sim.scenarios.schema import PosteriorSpec
from sim.seeds import run_seed
from sim.store import read_runs, read_trajectories, result_hash
from sim.sweep import make_plan, read_results, run_design, run_plan, status, sweep

DESIGN = pd.DataFrame(
    {
        "double_keying_cost": [0.3, 1.0, 2.0, 3.0],
        "blaby.staff": [3.0, 6.0, 6.0, 10.0],
        "blaby.go_live_week": [31.0, 40.0, 50.0, 60.0],
    }
)


def _with_posterior() -> Scenario:
    """The replay with a small posterior over two parameters, a caseload and a design input."""
    replay = Scenario.load("sentinel_replay")
    posterior = PosteriorSpec(
        source="Test posterior",
        inputs=("decision_gain", "norm_weight", "blaby.caseload", "double_keying_cost"),
        weights=(0.1, 0.2, 0.3, 0.4),
        sets=(
            (2.0, 0.2, 15.0, 0.5),
            (3.5, 1.0, 25.0, 1.0),
            (5.0, 0.5, 20.0, 1.5),
            (6.0, 1.5, 30.0, 2.5),
        ),
    )
    spec = replay.spec.model_copy(update={"name": "replay_posterior", "posterior": posterior})
    return Scenario.from_spec(spec)


POSTERIOR = _with_posterior()
SCENARIOS = ("sentinel_replay", "all_integrated", "replay_posterior")
SOURCES = ("sentinel_replay", "all_integrated", POSTERIOR)
REPLICATES = 3
SEED = 20


def _plan(design=DESIGN, replicates=REPLICATES, seed=SEED, keep="summary"):
    return make_plan(list(SOURCES), design, replicates=replicates, seed=seed, keep=keep)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The sweep run serially in this process, in the default chunk size."""
    folder = tmp_path_factory.mktemp("reference") / "sweep"
    run_plan(_plan(), folder, executor="serial")
    frame = read_results(folder)
    assert len(frame) == len(SCENARIOS) * len(DESIGN) * REPLICATES
    assert frame["error"].isna().all()
    return frame


def test_the_result_table_has_one_row_per_run_in_order(reference):
    assert list(reference.columns[:4]) == ["scenario", "row", "replicate", "run_key"]
    assert list(reference.columns[4:7]) == list(DESIGN.columns)
    assert reference.columns[-1] == "error"
    assert reference["run_key"].is_unique
    expected = [(s, r, k) for s in SCENARIOS for r in range(4) for k in range(REPLICATES)]
    assert list(reference[["scenario", "row", "replicate"]].itertuples(index=False)) == expected
    assert {"share_final_year", "share_final_year.blaby", "interfaces_live"} <= set(reference)
    drawn = reference["scenario"] == "replay_posterior"
    assert reference.loc[~drawn, "posterior_draw"].isna().all()
    assert reference.loc[drawn, "posterior_draw"].between(0, 3).all()


def test_each_posterior_run_is_a_plain_run_at_its_draw_with_the_design_winning(reference):
    """A run of the posterior scenario equals a run without the posterior at its drawn set's
    values, overridden by its design row (``double_keying_cost`` is in both), with its seed."""
    drawn = reference[reference["scenario"] == "replay_posterior"]
    assert drawn["posterior_draw"].nunique() > 1
    posterior = POSTERIOR.posterior
    plain = POSTERIOR.without_posterior()
    for record in drawn.to_dict("records"):
        row, replicate, draw = record["row"], record["replicate"], int(record["posterior_draw"])
        assert posterior.draw(SEED, row, replicate) == draw
        values = {**posterior.values(draw), **DESIGN.iloc[row].to_dict()}
        compiled = plain.compile(values)
        alone = simulate(
            compiled.partnership,
            compiled.schedule,
            stack_parameters([compiled.parameters]),
            [run_seed(SEED, row, replicate)],
        )
        assert summary_metrics(alone)["share_final_year"].iloc[0] == record["share_final_year"]


def test_row_zero_reproduces_a_plain_run_with_the_same_seed():
    base = Scenario.load("sentinel_replay")
    frame = sweep(base, seed=7, replicates=3, executor="serial")
    expected = summary_metrics(run(base, seed=7, replicates=3).trajectory)
    assert np.array_equal(frame[expected.columns].to_numpy(float), expected.to_numpy(float))


def test_from_sim_import_sweep_works_whatever_was_imported_first():
    import sim

    # `sim.sweep` is now the module (this file imported it); calling it still sweeps.
    frame = sim.sweep("all_integrated", seed=7, executor="serial")
    assert frame["scenario"].tolist() == ["all_integrated"] and frame["error"].isna().all()


def test_scenarios_of_the_same_name_are_labelled_apart():
    base = Scenario.load("sentinel_replay")
    better = base.replace(double_keying_cost=0.3)
    frame = sweep([base, better], seed=7, replicates=2, executor="serial")
    assert frame["scenario"].tolist() == ["sentinel_replay"] * 2 + ["sentinel_replay#2"] * 2
    named = sweep({"replay": base, "cheap keying": better}, seed=7, executor="serial")
    assert named["scenario"].tolist() == ["replay", "cheap keying"]
    # Common random numbers: the same seeds, so run 0 of each label matches.
    assert named["share_final_year"].tolist() == frame["share_final_year"].iloc[[0, 2]].tolist()


def test_design_values_reach_the_runs(reference):
    # Blaby with 10 staff at row 3 against 3 staff at row 0: same seed stream, other partnership.
    one = reference[(reference["scenario"] == "sentinel_replay") & (reference["replicate"] == 0)]
    assert one["double_keying_cost"].tolist() == DESIGN["double_keying_cost"].tolist()
    assert one["share_final_year"].nunique() == len(DESIGN)


@pytest.fixture(scope="module")
def two_workers():
    """One spawn pool of two workers shared by the tests below (starting one costs seconds)."""
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


@pytest.mark.parametrize(
    ("executor", "workers", "chunk_size"),
    [
        ("serial", None, 1),
        ("serial", None, 5),
        ("process", 1, None),
        ("two_workers", 2, 1),
        ("two_workers", 2, 5),
    ],
)
def test_same_hash_for_any_executor_worker_count_and_chunk_size(
    reference, tmp_path, request, executor, workers, chunk_size
):
    if executor == "two_workers":
        executor = request.getfixturevalue("two_workers")
    folder = tmp_path / "sweep"
    state = run_plan(_plan(), folder, executor=executor, workers=workers, chunk_size=chunk_size)
    assert state.complete and state.failed == 0
    assert result_hash(read_results(folder)) == result_hash(reference)


def test_same_hash_on_a_dask_cluster_reached_by_its_address(reference, tmp_path):
    """A real ``LocalCluster`` (worker processes, one thread each), used exactly as a remote
    cluster is: ``executor="dask"`` with the scheduler's address."""
    with support.local_cluster() as cluster:
        state = run_plan(
            _plan(), tmp_path / "sweep", executor="dask", scheduler=cluster.scheduler_address,
            chunk_size=4,
        )  # fmt: skip
    assert state.complete and state.failed == 0
    assert state.sessions[-1]["executor"].startswith("dask tcp://127.0.0.1")
    assert result_hash(read_results(tmp_path / "sweep")) == result_hash(reference)


def test_an_interrupted_sweep_resumes_to_the_same_hash(reference, tmp_path):
    folder = tmp_path / "sweep"
    interrupted_after = 6

    def interrupt(progress):
        if progress.done >= interrupted_after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_plan(_plan(), folder, executor="serial", chunk_size=2, progress=interrupt)
    # The interruption lands between commits: six runs saved, the rest not.
    part = status(folder)
    assert part.done == interrupted_after and part.left == part.total - interrupted_after

    run_plan(_plan(), folder, executor="serial", chunk_size=3)
    frame = read_results(folder)
    assert result_hash(frame) == result_hash(reference)
    assert len(read_runs(folder)) == part.total  # nothing computed twice
    sessions = json.loads((folder / store.MANIFEST).read_text())["sessions"]
    assert [s["state"] for s in sessions] == ["interrupted", "finished"]
    assert sessions[1]["runs_computed"] == part.total - interrupted_after


def test_an_extended_design_reuses_every_finished_run(reference, tmp_path):
    folder = tmp_path / "sweep"
    run_plan(_plan(design=DESIGN.iloc[:2], replicates=2), folder, executor="serial")
    first_files = {p.name for p in store.chunk_files(folder)}

    run_plan(_plan(), folder, executor="serial")
    assert first_files <= {p.name for p in store.chunk_files(folder)}
    assert result_hash(read_results(folder)) == result_hash(reference)
    manifest = json.loads((folder / store.MANIFEST).read_text())
    assert manifest["sessions"][-1]["runs_computed"] == len(reference) - len(SCENARIOS) * 2 * 2
    assert len(manifest["extended_from"]) == 1


def test_another_experiment_in_the_same_folder_is_refused_and_nothing_changes(tmp_path):
    folder = tmp_path / "sweep"
    run_plan(_plan(design=DESIGN.iloc[:1], replicates=1), folder, executor="serial")
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    with pytest.raises(InputError, match="seed"):
        run_plan(_plan(design=DESIGN.iloc[:1], replicates=1, seed=21), folder, executor="serial")
    assert {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def _fail_runs_at_two(monkeypatch):
    """Make every run at ``double_keying_cost == 2.0`` raise; return the real engine call.

    Only this process's runs are affected: the serial executor runs chunks here.
    """
    module = importlib.import_module("sim.run_inputs")  # where runs are batched
    real = module.simulate

    def fails_at_two(partnership, schedule, params, seeds):
        if np.any(params["double_keying_cost"] == 2.0):
            raise FloatingPointError("injected failure")
        return real(partnership, schedule, params, seeds)

    monkeypatch.setattr(module, "simulate", fails_at_two)
    return module, real


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(reference, tmp_path, monkeypatch):
    folder = tmp_path / "sweep"
    module, real = _fail_runs_at_two(monkeypatch)
    state = run_plan(_plan(), folder, executor="serial", chunk_size=8)
    frame = read_results(folder)
    bad = frame["double_keying_cost"] == 2.0
    assert state.complete and state.failed == bad.sum() == len(SCENARIOS) * REPLICATES
    assert (frame.loc[bad, "error"] == "FloatingPointError: injected failure").all()
    assert frame.loc[bad, "share_final_year"].isna().all()
    assert state.errors == (("FloatingPointError: injected failure", int(bad.sum())),)
    # The others ran in the same chunks, batched or alone, and are exactly the reference.
    good = reference[~bad.to_numpy()].drop(columns="error")
    assert result_hash(frame[~bad].drop(columns="error")) == result_hash(good)

    monkeypatch.setattr(module, "simulate", real)
    run_plan(_plan(), folder, executor="serial", retry_failed=True)
    assert result_hash(read_results(folder)) == result_hash(reference)


def test_trajectories_are_kept_on_request_and_agree_with_the_summary(tmp_path):
    folders = [tmp_path / "a", tmp_path / "b"]
    plan = make_plan(
        ["sentinel_replay"], DESIGN.iloc[:2], replicates=2, seed=SEED, keep="trajectories"
    )
    for folder, chunk_size in zip(folders, (1, 4), strict=True):
        run_plan(plan, folder, executor="serial", chunk_size=chunk_size)
    rows = read_trajectories(folders[0])
    assert result_hash(rows) == result_hash(read_trajectories(folders[1]))
    weeks, n_partners = 156, 11
    assert len(rows) == 2 * 2 * weeks * n_partners
    partners = Scenario.load("sentinel_replay").partner_names
    assert tuple(rows["partner"].iloc[:n_partners]) == partners  # partnership order kept
    summary = read_results(folders[0]).set_index("run_key")
    last_year = rows[rows["week"] >= weeks - 52].groupby("run_key")[["recorded", "handled"]].sum()
    share = last_year["recorded"] / last_year["handled"]
    assert np.allclose(share, summary.loc[share.index, "share_final_year"])


def test_a_sweep_without_a_folder_returns_the_same_table(reference):
    frame = run_design("sentinel_replay", DESIGN, replicates=REPLICATES, seed=SEED,
                       executor="serial")  # fmt: skip
    ours = reference[reference["scenario"] == "sentinel_replay"]
    assert result_hash(frame) == result_hash(ours)
    with pytest.raises(InputError, match="out="):
        run_design("sentinel_replay", DESIGN, replicates=1, seed=1, keep="trajectories",
                   executor="serial")  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"design": pd.DataFrame({"double_keyng_cost": [1.0]})}, "did you mean"),
        ({"design": pd.DataFrame({"blaby.staff": [50.0]})}, r"row 0 'blaby.staff' = 50"),
        ({"replicates": 0}, "replicates"),
        ({"seed": -1}, "seed"),
        ({"keep": "everything"}, "keep"),
    ],
)
def test_bad_sweep_inputs_raise_one_clear_input_error(kwargs, message):
    arguments = {"design": DESIGN, "replicates": 1, "seed": 1, **kwargs}
    with pytest.raises(InputError, match=message) as error:
        make_plan(["sentinel_replay"], **arguments)
    assert "\n" not in str(error.value)


def test_bad_run_options_are_refused_before_anything_is_written(tmp_path):
    plan = _plan(design=DESIGN.iloc[:1], replicates=1)
    for options, message in [
        ({"executor": "threads"}, "executor"),
        ({"executor": "dask"}, "scheduler"),
        ({"executor": "process", "scheduler": "tcp://x:1"}, "scheduler"),
        ({"workers": 0}, "workers"),
    ]:
        with pytest.raises(InputError, match=message):
            run_plan(plan, tmp_path / "sweep", **options)
    assert not (tmp_path / "sweep").exists()
    with pytest.raises(InputError, match="more than once"):
        make_plan(["sentinel_replay", "sentinel_replay"], None, replicates=1, seed=1)


def test_the_table_a_session_holds_is_the_table_read_back_bit_for_bit(tmp_path, monkeypatch):
    """A session that computes every chunk of its folder keeps their tables as it commits
    them and returns the result table from memory: exactly the table read back from the
    folder (three scenarios, chunks of five, failed runs among them). A session that resumes
    reads the folder instead, and gives the same table."""
    from sim.execution import Execution
    from sim.sweep import session, worker

    _fail_runs_at_two(monkeypatch)
    reads: list[object] = []
    monkeypatch.setattr(session, "read_results", lambda out: reads.append(out) or read_results(out))
    sent: list[int] = []
    encode = worker._ipc_bytes
    monkeypatch.setattr(worker, "_ipc_bytes", lambda table: sent.append(1) or encode(table))
    execution = Execution(executor="serial", chunk_size=5)
    held = session.execute_and_read(_plan(), tmp_path / "held", execution)
    assert reads == []  # from memory
    assert sent  # each chunk's table came back in memory, not read from its Parquet bytes
    assert held["error"].notna().sum() == len(SCENARIOS) * REPLICATES
    read_back = read_results(tmp_path / "held")
    pd.testing.assert_frame_equal(held, read_back, check_exact=True)
    assert result_hash(held) == result_hash(read_back)
    assert status(tmp_path / "held").failed == held["error"].notna().sum()

    folder = tmp_path / "resumed"
    sent.clear()
    run_plan(_plan(design=DESIGN.iloc[:2]), folder, executor="serial")
    assert not sent  # a sweep that only writes its folder sends the Parquet bytes alone
    resumed = session.execute_and_read(_plan(), folder, execution)
    assert reads == [folder]  # the folder held chunks from before: read back
    pd.testing.assert_frame_equal(resumed, read_back, check_exact=True)
    # Negative control: the comparison sees a single changed bit of a single value.
    changed = held.copy()
    changed.loc[0, "share_final_year"] = np.nextafter(changed.loc[0, "share_final_year"], 1.0)
    assert result_hash(changed) != result_hash(read_back)
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(changed, read_back, check_exact=True)


def test_a_chunks_table_does_not_depend_on_how_its_runs_were_batched():
    """A chunk's runs table is the same whether its runs came from one engine batch or from
    several, interleaved (as when partners differ or a batch fails and is retried run by
    run): column for column, type for type."""
    from sim.run_inputs import simulate_prepared
    from sim.sweep import worker
    from sim.sweep.plan import expected_runs
    from sim.sweep.session import _chunks

    plan = _plan()
    identity = plan.identity()
    task = next(_chunks(plan, identity, expected_runs(identity), set(), 8))
    scenario = worker._scenario(task.scenario_toml, task.scenario_name)[0]
    members = worker._prepare(task, scenario, {})
    whole = summary_columns(simulate_prepared([m.prepared for m in members], task.seed))
    n = len(task.runs)
    one = worker._runs_table(task, [(list(range(n)), whole)], {}, {})
    parts = [
        (list(range(start, n, 2)), {name: v[start::2] for name, v in whole.items()})
        for start in (1, 0)
    ]
    assert worker._runs_table(task, parts, {}, {}).equals(one)
    # Negative control: a run left out of every batch has no metrics (and the tables differ).
    fewer = worker._runs_table(task, parts[1:], {}, {})
    assert not fewer.equals(one)
    assert fewer.column("share_final_year").null_count == len(parts[0][0])
