"""Calibrate a scenario to its targets: screening, then ABC-SMC, then checks of the fit.

The workflow follows pattern-oriented modelling (Grimm et al. 2005) and the calibration
cookbook of Thiele et al. (2014):

1. **Screening** (:mod:`sim.calibration.screening`): a Latin hypercube over the prior, run
   through the sweep runner; points whose statistics are implausibly far from a target are
   ruled out (Andrianakis et al. 2015). The survivors are ABC's generation 0 and their
   bounding box its prior support.
2. **ABC-SMC** (:mod:`sim.calibration.abc`) on the calibrated inputs, one sweep per
   generation, down to epsilon 1 (every target within its tolerance).
3. **Point estimate** (:mod:`sim.calibration.best_fit`): the posterior's accepted set that
   meets every target at once most often, chosen by successive halving over replicates.
4. **Checks**: a posterior-predictive replay (posterior draws, with the nuisance inputs
   drawn from their priors) and a replay of the calibrated scenario at its point estimate
   on fresh seeds, both compared with every target; and, per parameter, how much the
   evidence narrowed it.

The problem (targets, scenario, priors) is :mod:`sim.calibration.problem`, the stages' runs
:mod:`sim.calibration.stages`, the finished calibration :mod:`sim.calibration.result`; this
module runs the workflow and keeps its folder.

Every simulation goes through :func:`sim.sweep.run_design` into a folder of its own under
``out/runs/``, so a calibration is durable and resumable (run it again with the same ``out``),
and runs unchanged on a process pool or Dask. All randomness comes from the one seed: designs
and proposals from generators derived from ``(seed, stage)``, each run from
``run_seed(stage seed, row, replicate)`` inside the sweep, so the posterior does not depend on
the executor or the number of workers.

The targets need per-week information (the weeks an interface was live, the interface
stages at the 2012 and 2014 dates): the workers compute every target statistic from each
run's trajectory in memory (:class:`sim.calibration.statistics.StageStatistics`), and one
pool of workers serves every stage.

References
----------
Grimm, V. et al. (2005). Science 310, 987-991. doi:10.1126/science.1116681
Thiele, J. C., Kurth, W. & Grimm, V. (2014). JASSS 17(3) 11. doi:10.18564/jasss.2503
Andrianakis, I. et al. (2015). PLoS Comput Biol 11(1): e1003968.
doi:10.1371/journal.pcbi.1003968
Beaumont, M. A. et al. (2009). Biometrika 96(4), 983-990. doi:10.1093/biomet/asp052
Toni, T. et al. (2009). J. R. Soc. Interface 6, 187-202. doi:10.1098/rsif.2008.0172
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.abc import (
    Box,
    Population,
    Settings,
    abc_smc,
    first_population,
    pool,
)
from sim.calibration.best_fit import best_fit, chosen_set, round_seed
from sim.calibration.folder import KIND, RECORD_FILES, check_folder
from sim.calibration.problem import Problem, generation_design, prepare
from sim.calibration.result import Calibration, joint_sample
from sim.calibration.screening import (
    Screening,
    implausibility,
    influence,
    replicate_table,
)
from sim.calibration.settings import CalibrationSettings
from sim.calibration.stages import ProgressCallback, StageResult, StageRunner
from sim.calibration.statistics import excess
from sim.calibration.targets import SHIPPED, TargetSet
from sim.design import latin_hypercube
from sim.durable import LOCK, MANIFEST, SessionLog, locked, made, write_json, write_parquet
from sim.errors import InputError
from sim.execution import Execution, ExecutorName, execution_of
from sim.provenance import environment
from sim.seeds import stage_draws_rng, stage_seed
from sim.sweep.executors import Executors

PREDICTIVE_STAGE = 1000
POINT_STAGE = 1001
DEFAULTS_STAGE = 1002


def _check_folder(folder: Path, identity: Mapping[str, Any]) -> dict[str, Any]:
    """Return the folder's manifest (new or resumed), refusing a folder not this calibration's.

    A folder that is not a calibration's, or holds a different calibration, is refused.
    """
    found = check_folder(folder)
    manifest = dict(found.manifest or {})
    held = manifest.get("identity")
    if held is not None and held != identity:
        differs = sorted(k for k in identity if held.get(k) != identity[k])
        raise InputError(
            f"{folder}: holds a different calibration ({', '.join(differs)} differ); "
            "choose another output folder or delete this one"
        )
    files = {*found.files, *RECORD_FILES}
    return manifest | {
        "kind": KIND,
        "files": sorted(files),
        "identity": identity,
        "sessions": list(manifest.get("sessions", [])),
    }


def _population_path(folder: Path, generation: int) -> Path:
    return folder / "abc" / f"generation_{generation:02d}.parquet"


def _save_population(folder: Path, population: Population, inputs: tuple[str, ...]) -> None:
    frame = pd.DataFrame(population.particles, columns=list(inputs))
    for r in range(population.distances.shape[1]):
        frame[f"distance_{r}"] = population.distances[:, r]
    frame["weight"] = population.weights
    frame["epsilon"] = population.epsilon
    write_parquet(_population_path(folder, population.generation), frame)


def _load_populations(folder: Path, inputs: tuple[str, ...]) -> list[Population]:
    populations = []
    generation = 0
    while (path := _population_path(folder, generation)).exists():
        frame = pd.read_parquet(path)
        distance_columns = [c for c in frame.columns if c.startswith("distance_")]
        populations.append(
            Population(
                generation,
                float(frame["epsilon"].iloc[0]),
                frame[list(inputs)].to_numpy(dtype=float),
                frame[distance_columns].to_numpy(dtype=float),
                frame["weight"].to_numpy(dtype=float),
            )
        )
        generation += 1
    return populations


def _distances(runs: pd.DataFrame, targets: TargetSet, rows: int, replicates: int) -> np.ndarray:
    """Per design row and replicate, the run's distance (inf for failed runs)."""
    values = excess(runs, targets).to_numpy().max(axis=1)
    out = np.full((rows, replicates), np.inf)
    out[runs["row"].to_numpy(dtype=np.int64), runs["replicate"].to_numpy(dtype=np.int64)] = values
    return out


def _screen(problem: Problem, runner: StageRunner) -> tuple[Screening, pd.DataFrame, pd.DataFrame]:
    """Run the screening wave; return it, the inputs' influence table and its runs."""
    settings = problem.settings
    bounds = dict(problem.prior)
    if settings.nuisance == "prior":
        bounds |= problem.nuisance
    seed = stage_seed(settings.seed, 0)
    design = latin_hypercube(bounds, settings.screening, seed=seed)
    result = runner.stage("screening", "screening", design, settings.screening_replicates, seed)
    columns = problem.targets.components()
    runs = result.runs.assign(row=result.runs["row"].astype(np.int64))
    cube = replicate_table(runs, columns)
    screening = Screening(design, cube, implausibility(cube, problem.targets), settings.cutoff)
    return screening, influence(design, cube, columns), runs


def _support(problem: Problem, screening: Screening) -> dict[str, tuple[float, float]]:
    """Return the non-implausible bounding box, widened by one stratum, within the prior.

    Widened by one Latin-hypercube stratum on each side because the wave's extreme points
    sit up to one stratum inside the region.
    """
    try:
        box = screening.support(problem.inputs)
    except ValueError:
        raise InputError(
            f"{problem.targets_label}: every screening point is implausible (cut-off "
            f"{problem.settings.cutoff:g}): no parameter set of the prior comes near the "
            "targets; check the targets or widen the priors"
        ) from None
    widened = {}
    for name, (low, high) in box.items():
        p_low, p_high = problem.prior[name]
        stratum = (p_high - p_low) / problem.settings.screening
        widened[name] = (max(p_low, low - stratum), min(p_high, high + stratum))
        if widened[name][0] >= widened[name][1]:
            widened[name] = (p_low, p_high)
    return widened


@contextmanager
def _working_folder(out: Path | str | None) -> Iterator[Path]:
    if out is not None:
        yield Path(out)
        return
    with tempfile.TemporaryDirectory(prefix="sharesim-calibration-") as scratch:
        yield Path(scratch)


def calibrate(
    targets: TargetSet | str | Path = SHIPPED,
    settings: CalibrationSettings | None = None,
    *,
    out: Path | str | None = None,
    execution: Execution | None = None,
    progress: ProgressCallback | None = None,
    executor: ExecutorName | Executor | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
) -> Calibration:
    """Calibrate a scenario to a targets file: screening, ABC-SMC, posterior checks.

    >>> from sim import calibrate
    >>> from sim.calibration import CalibrationSettings
    >>> result = calibrate(settings=CalibrationSettings(screening=200, particles=100))
    >>> result.identification()        # what the evidence pins down, and what it does not

    Parameters
    ----------
    targets : TargetSet, str or Path
        Targets, or a targets file (default: the shipped ``sentinel_targets.toml``).
    settings : CalibrationSettings, optional
        Inputs, budget and seed (default: the standard calibration).
    out : Path or str, optional
        Working folder: every stage's runs, the generations and the manifest
        (:mod:`sim.calibration.folder`). Run the same call again with the same folder to
        resume; a folder of another calibration, or of anything but a calibration, is
        refused. Without it everything runs in a temporary folder.
    execution : Execution, optional
        Where the runs go: executor, workers, scheduler, chunk size
        (:class:`sim.execution.Execution`; a local process pool by default). None of them
        changes the result.
    progress : callable, optional
        Called with a :class:`CalibrationProgress` as runs finish.
    executor, workers, scheduler, chunk_size
        The fields of ``execution`` given one by one instead (not with ``execution``).

    Returns
    -------
    Calibration
        Write its report and calibrated scenario with
        :func:`sim.calibration.folder.write_outputs`.

    Raises
    ------
    InputError
        Bad targets or settings (one line naming the file and field), or an ``out`` folder
        holding a different calibration.
    """
    chosen = execution_of(
        execution, executor=executor, workers=workers, scheduler=scheduler, chunk_size=chunk_size
    )
    problem = prepare(targets, settings)
    with _working_folder(out) as folder, ExitStack() as stack:
        manifest = _check_folder(folder, problem.identity())
        stack.enter_context(made(folder))
        stack.enter_context(locked(folder / LOCK, "calibration"))
        manifest = _check_folder(folder, problem.identity())
        # One pool for every stage: starting one a stage cost about 1.6 s each (spawned
        # workers import and compile the engine). It stops at the end, or at once on an
        # interruption.
        runner = StageRunner(
            problem,
            folder,
            chosen,
            progress,
            trajectories=problem.settings.trajectories,
            pool=stack.enter_context(Executors(chosen)),
        )
        with SessionLog(
            manifest,
            lambda saved: _save_manifest(folder, saved),
            closing=lambda: {"stage_seconds": {k: round(v, 3) for k, v in runner.seconds.items()}},
        ):
            result = _calibrate(problem, runner, folder)
        wall = round(sum(s.get("seconds", 0.0) for s in manifest["sessions"]), 3)
        result = replace(result, wall_seconds=wall)
        _write_results(result, folder, manifest)
        return result


def _save_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    write_json(folder / MANIFEST, manifest, default=str)


def _calibrate(problem: Problem, runner: StageRunner, folder: Path) -> Calibration:
    """Screening, ABC-SMC, the point estimate and the checks, each stage resumed when done."""
    screening, influence_table, screening_runs = _screen(problem, runner)
    support = _support(problem, screening)
    box = Box(
        problem.inputs,
        np.array([support[n][0] for n in problem.inputs]),
        np.array([support[n][1] for n in problem.inputs]),
    )
    populations = _generations(problem, runner, folder, box, screening, screening_runs)
    final = pool(populations)
    predictive = _predictive(problem, runner, joint_sample(problem, screening, populations))
    selection = best_fit(problem, runner, final)
    point = _point_estimate(problem, runner, chosen_set(selection, problem.inputs))
    defaults = _defaults(problem, runner)
    quarterly = predictive.quarterly if predictive.quarterly is not None else np.empty(0)
    return Calibration(
        problem,
        screening,
        influence_table,
        support,
        tuple(populations),
        predictive.runs.rename(columns={"row": "draw"}),
        quarterly,
        point,
        # every run the result rests on, whichever session computed it
        len(screening_runs)
        + sum(p.runs for p in populations[1:])
        + len(predictive.runs)
        + int(selection["runs"].sum())
        + len(point)
        + len(defaults),
        dict(runner.seconds),
        defaults=defaults,
        selection=selection,
    )


def _abc_settings(settings: CalibrationSettings) -> Settings:
    """Return the ABC-SMC algorithm's settings: the calibration's fields of the same names."""
    return Settings(**{f.name: getattr(settings, f.name) for f in fields(Settings)})


def _generations(
    problem: Problem,
    runner: StageRunner,
    folder: Path,
    box: Box,
    screening: Screening,
    screening_runs: pd.DataFrame,
) -> list[Population]:
    """Run every ABC generation: the screening's plausible points first, then ABC-SMC.

    Each generation is kept in the folder, so a resumed calibration starts after the last one.
    """
    settings = problem.settings
    abc_settings = _abc_settings(settings)
    plausible = screening.plausible
    first_particles = screening.design.loc[plausible, list(problem.inputs)].to_numpy(dtype=float)
    first_distances = _distances(
        screening_runs, problem.targets, len(screening.design), settings.screening_replicates
    )[plausible]
    first = first_population(first_particles, first_distances, abc_settings, box)

    def simulate(generation: int, particles: np.ndarray) -> np.ndarray:
        design = generation_design(problem, generation, particles)
        result = runner.stage(
            f"generation_{generation:02d}",
            f"generation {generation}",
            design,
            settings.replicates,
            stage_seed(settings.seed, generation),
        )
        return _distances(result.runs, problem.targets, len(design), settings.replicates)

    def keep(population: Population) -> None:
        runner.epsilon = population.epsilon
        _save_population(folder, population, problem.inputs)

    done = _load_populations(folder, problem.inputs)
    if done:
        runner.epsilon = done[-1].epsilon
    return abc_smc(simulate, box, abc_settings, first, done, keep)


def _predictive(problem: Problem, runner: StageRunner, joint: pd.DataFrame) -> StageResult:
    """Run the posterior-predictive replay: whole sets drawn from the joint posterior.

    Each draw is an accepted set with the nuisance values it was accepted with
    (:func:`joint_sample`), as the calibrated scenario draws them: fresh nuisance draws
    would ignore what the targets say of the nuisance inputs together with the others.
    """
    settings = problem.settings
    rng = stage_draws_rng(settings.seed, PREDICTIVE_STAGE)
    weights = joint["weight"].to_numpy()
    pick = rng.choice(len(weights), size=settings.predictive, p=weights / weights.sum())
    design = joint.drop(columns="weight").iloc[pick].reset_index(drop=True)
    return runner.stage(
        "predictive",
        "posterior predictive",
        design,
        settings.predictive_replicates,
        stage_seed(settings.seed, PREDICTIVE_STAGE),
        quarterly=True,
    )


def _point_estimate(
    problem: Problem, runner: StageRunner, estimate: Mapping[str, float]
) -> pd.DataFrame:
    """Run the calibrated scenario at its point estimate, on seeds of its own.

    The seeds are not the selection's, so the point estimate's joint rate is not the
    winner's flattering one.
    """
    settings = problem.settings
    return runner.stage(
        "point_estimate",
        "point estimate",
        pd.DataFrame([estimate]),
        settings.point_replicates,
        stage_seed(settings.seed, POINT_STAGE),
    ).runs


def _defaults(problem: Problem, runner: StageRunner) -> pd.DataFrame:
    """Run the scenario at its own defaults (every input as the scenario states it)."""
    settings = problem.settings
    return runner.stage(
        "defaults",
        "defaults",
        pd.DataFrame(index=pd.RangeIndex(1)),
        settings.defaults_replicates,
        stage_seed(settings.seed, DEFAULTS_STAGE),
    ).runs


def _write_results(result: Calibration, folder: Path, manifest: dict[str, Any]) -> None:
    """Write the durable record in ``folder``: posterior, screening, predictive runs, manifest."""
    problem = result.problem
    settings = problem.settings
    write_parquet(folder / "posterior.parquet", result.posterior)
    write_parquet(folder / "populations.parquet", result.population_table())
    screening = result.screening
    table = screening.design.copy()
    worst = screening.worst
    for column in screening.implausibility.columns:
        table[f"implausibility.{column}"] = screening.implausibility[column].to_numpy()
    table["implausibility"] = worst
    table["plausible"] = screening.plausible
    write_parquet(folder / "screening.parquet", table)
    write_parquet(folder / "predictive.parquet", result.predictive)
    write_parquet(folder / "best_fit.parquet", result.selection)
    write_parquet(folder / "point_estimate.parquet", result.point)
    write_parquet(folder / "defaults.parquet", result.defaults)
    manifest |= {
        "targets": problem.targets.name,
        "targets_file": problem.targets_label,
        "scenario": problem.scenario.name,
        "inputs": list(problem.inputs),
        "nuisance_inputs": list(problem.nuisance) if settings.nuisance == "prior" else [],
        "seeds": {
            "seed": settings.seed,
            "screening": stage_seed(settings.seed, 0),
            "generations": {
                str(p.generation): stage_seed(settings.seed, p.generation)
                for p in result.populations[1:]
            },
            "predictive": stage_seed(settings.seed, PREDICTIVE_STAGE),
            "best_fit": {
                str(r): round_seed(settings.seed, r)
                for r in range(int(result.selection["round"].max()) + 1)
            },
            "point_estimate": stage_seed(settings.seed, POINT_STAGE),
            "defaults": stage_seed(settings.seed, DEFAULTS_STAGE),
            "run_seed": "run_seed(stage seed, row, replicate) inside each stage's sweep",
        },
        "screening": {
            "points": len(screening.design),
            "replicates": settings.screening_replicates,
            "ruled_out": screening.ruled_out,
            "support": {k: list(v) for k, v in result.support.items()},
        },
        "populations": result.generations().reset_index().to_dict(orient="records"),
        "epsilons": [p.epsilon for p in result.populations],
        "runs": result.runs,
        "wall_seconds": result.wall_seconds,
        "environment": environment(),
    }
    _save_manifest(folder, manifest)
