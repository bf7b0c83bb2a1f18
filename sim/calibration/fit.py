"""Calibrate a scenario to its targets: screening, then ABC-SMC, then checks of the fit.

The workflow follows pattern-oriented modelling (Grimm et al. 2005) and the calibration
cookbook of Thiele et al. (2014):

1. **Screening** (:mod:`sim.calibration.screening`): a Latin hypercube over the prior, run
   through the sweep runner; points whose statistics are implausibly far from a target are
   ruled out (Andrianakis et al. 2015). The survivors are ABC's generation 0 and their
   bounding box its prior support.
2. **ABC-SMC** (:mod:`sim.calibration.abc`) on the calibrated inputs, one sweep per
   generation, down to epsilon 1 (every target within its tolerance).
3. **Checks**: a posterior-predictive replay (posterior draws, with the nuisance inputs
   drawn from their priors) and a replay of the calibrated scenario at its point estimate,
   both compared with every target; and, per parameter, how much the evidence narrowed it.

Every simulation goes through :func:`sim.sweep.run_design` into a folder of its own under
``out/runs/``, so a calibration is durable and resumable (run it again with the same ``out``),
and runs unchanged on a process pool or Dask. All randomness comes from the one seed: designs
and proposals from generators derived from ``(seed, stage)``, each run from
``run_seed(stage seed, row, replicate)`` inside the sweep, so the posterior does not depend on
the executor or the number of workers.

The sweep runner keeps summary metrics per run, and the targets need per-week information
(the weeks an interface was live, the interface stages at a 2012 date); the stages therefore
ask the runner to keep trajectories and compute the target statistics from them.

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

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.calibration.abc import (
    Box,
    Population,
    Sample,
    Settings,
    abc_smc,
    first_population,
    pool,
)
from sim.calibration.screening import (
    Screening,
    implausibility,
    influence,
    replicate_table,
)
from sim.calibration.settings import CalibrationSettings, SettingsError
from sim.calibration.statistics import (
    TargetStatistics,
    excess,
    partner_statistics,
    quarterly_share,
    trajectory_from_rows,
)
from sim.calibration.targets import SHIPPED, TargetsError, TargetSet, load_targets
from sim.errors import InputError
from sim.params import PARAMETERS
from sim.scenarios import Scenario

ExecutorChoice = Literal["process", "dask-local", "dask", "serial"] | Executor
"""Where the runs go: an executor name of :func:`sim.sweep.run_design`, or an executor."""

Verdict = Literal["identified", "weakly identified", "not identified"]
"""What the targets say about a parameter, from its posterior-to-prior interval ratio."""

WEAKLY_BELOW = 0.5
"""Interval ratio below which a parameter counts as identified (weakly up to the threshold
of :attr:`CalibrationSettings.not_identified_above`)."""

RUNS_KEY = 7_010_001
"""First element of the spawn keys of the stages' run seeds."""

DRAWS_KEY = 7_010_002
"""First element of the spawn keys of design draws (nuisance inputs, posterior draws)."""

PREDICTIVE_STAGE = 1000
POINT_STAGE = 1001
MANIFEST = "manifest.json"
FORMAT = "sharesim-calibration/1"


@dataclass(frozen=True)
class CalibrationProgress:
    """Where a running calibration stands (passed to a ``progress`` callable).

    Attributes
    ----------
    stage : str
        ``screening``, ``generation 3``, ``predictive`` or ``point estimate``.
    done, total : int
        Runs of this stage finished and planned.
    epsilon : float or None
        Epsilon of the last finished generation.
    """

    stage: str
    done: int
    total: int
    epsilon: float | None


ProgressCallback = Callable[[CalibrationProgress], None]


def stage_seed(seed: int, stage: int) -> int:
    """The sweep seed of one stage (0 screening, ``g`` generation ``g``, 1000 predictive,
    1001 point estimate): a deterministic function of the calibration seed."""
    sequence = np.random.SeedSequence(seed, spawn_key=(RUNS_KEY, stage))
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def draws_rng(seed: int, stage: int) -> np.random.Generator:
    """Generator of one stage's design draws (nuisance inputs, posterior resampling)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DRAWS_KEY, stage)))


@dataclass(frozen=True)
class Problem:
    """A calibration problem, checked: targets, scenario, inputs and their priors.

    Attributes
    ----------
    targets : TargetSet
        The targets.
    targets_label : str
        Where they came from (for messages).
    settings : CalibrationSettings
        Budget, inputs, seed.
    scenario : Scenario
        The scenario calibrated.
    prior : dict of str to (low, high)
        Uniform prior range of each calibrated input.
    nuisance : dict of str to (low, high)
        Ranges of the scenario's other uncertain inputs (drawn when ``nuisance == "prior"``).
    statistics : TargetStatistics
        The target statistics of this scenario's runs.
    """

    targets: TargetSet
    targets_label: str
    settings: CalibrationSettings
    scenario: Scenario
    prior: dict[str, tuple[float, float]]
    nuisance: dict[str, tuple[float, float]]
    statistics: TargetStatistics

    @property
    def inputs(self) -> tuple[str, ...]:
        """Calibrated inputs, in order."""
        return tuple(self.prior)

    def identity(self) -> dict[str, Any]:
        """What must match for a folder to be resumed."""
        from sim.sweep import model_version

        return {
            "format": FORMAT,
            "targets_hash": self.targets.content_hash(),
            "scenario": self.scenario.name,
            "scenario_hash": self.scenario.content_hash(),
            "settings": self.settings.model_dump(mode="json"),
            "model_version": model_version(),
        }


def prepare(
    targets: TargetSet | str | Path = SHIPPED, settings: CalibrationSettings | None = None
) -> Problem:
    """Check targets and settings against the scenario; return the calibration problem.

    Raises
    ------
    InputError
        A bad targets file, an unknown input, a partner or date the scenario does not have,
        or a prior that breaks a constraint of the targets file.
    """
    settings = settings or CalibrationSettings()
    if isinstance(targets, TargetSet):
        target_set, label = targets, "<targets>"
    else:
        target_set, label = load_targets(targets), str(targets)
    reference = settings.scenario or target_set.scenario
    try:
        scenario = Scenario.load(reference)
    except InputError as error:
        where = "settings: scenario" if settings.scenario else f"{label}: scenario"
        raise TargetsError(f"{where}: {error}") from None
    ranges = scenario.uncertain_inputs()
    prior: dict[str, tuple[float, float]] = {}
    for name in settings.inputs:
        if name not in PARAMETERS:
            raise SettingsError(
                f"inputs: {name!r} is not a registry parameter; scenario inputs (dates, sizes, "
                "event amounts) are not calibrated but drawn from their ranges (nuisance)"
            )
        if name in ranges:
            prior[name] = (float(ranges[name][0]), float(ranges[name][1]))
        else:
            raise SettingsError(
                f"inputs: {name!r} is not uncertain in scenario {scenario.name!r} (it sets one "
                "value), so there is nothing to calibrate"
            )
        if prior[name][0] >= prior[name][1]:
            raise SettingsError(f"inputs: {name!r} has an empty range {prior[name]}")
    nuisance = {
        name: (float(lo), float(hi))
        for name, (lo, hi) in ranges.items()
        if name not in prior and lo < hi
    }
    defaults = scenario.input_defaults()
    compiled = scenario.compile()
    for i, constraint in enumerate(target_set.constraints):
        name = constraint.parameter
        if name in prior:
            low, high = prior[name]
        elif name in nuisance and settings.nuisance == "prior":
            low, high = nuisance[name]
        else:
            low = high = float(defaults.get(name, compiled.parameters[name]))
        if not constraint.holds(low, high):
            raise TargetsError(
                f"{label}: constraints[{i}] ({constraint.id}): {name} may take values in "
                f"[{low:g}, {high:g}] in this calibration, which breaks the constraint"
            )
    statistics = TargetStatistics.for_scenario(
        target_set, scenario.partner_names, scenario.start_date, scenario.weeks, label
    )
    return Problem(target_set, label, settings, scenario, prior, nuisance, statistics)


# --- running stages through the sweep runner ------------------------------------------------


@dataclass(frozen=True)
class StageResult:
    """Target statistics (and per-partner outputs) of one stage's runs, one row per run."""

    runs: pd.DataFrame
    quarterly: np.ndarray | None = None


@dataclass
class _Runner:
    """Runs designs through :func:`sim.sweep.run_design`, one folder per stage."""

    problem: Problem
    folder: Path
    executor: ExecutorChoice
    workers: int | None
    scheduler: str | None
    progress: ProgressCallback | None
    epsilon: float | None = None
    runs: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def stage(
        self,
        name: str,
        label: str,
        design: pd.DataFrame,
        replicates: int,
        seed: int,
        quarterly: bool = False,
    ) -> StageResult:
        """Run a stage (or reuse it when already done) and return its statistics."""
        from sim.store import read_trajectories
        from sim.sweep import run_design

        started = time.perf_counter()
        folder = self.folder / "runs" / name
        cache = self.folder / "runs" / f"{name}.statistics.parquet"
        total = len(design) * replicates
        frame = run_design(
            self.problem.scenario,
            design,
            replicates=replicates,
            seed=seed,
            out=folder,
            executor=self.executor,
            workers=self.workers,
            scheduler=self.scheduler,
            keep="trajectories",
            progress=self._forward(label, total),
        )
        self.runs += len(frame)
        if cache.exists() and not quarterly:
            cached = pd.read_parquet(cache)
            if list(cached["run_key"]) == list(frame["run_key"]):
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
                return StageResult(cached)
        ok = frame[frame["error"].isna()].reset_index(drop=True)
        rows = read_trajectories(folder, list(ok["run_key"]))
        trajectory = trajectory_from_rows(rows, ok, self.problem.scenario.partner_names)
        statistics = pd.concat(
            [
                ok[["row", "replicate", "run_key"]],
                self.problem.statistics(trajectory),
                partner_statistics(trajectory),
            ],
            axis=1,
        )
        # Failed runs keep their place with undefined statistics (infinitely far).
        result = frame[["row", "replicate", "run_key"]].merge(
            statistics, on=["row", "replicate", "run_key"], how="left"
        )
        _write_parquet(result, cache)
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
        return StageResult(result, quarterly_share(trajectory) if quarterly else None)

    def _forward(self, label: str, total: int) -> Callable[[Any], None] | bool:
        callback = self.progress
        if callback is None:
            return False
        epsilon = self.epsilon
        callback(CalibrationProgress(label, 0, total, epsilon))

        def forward(status: Any) -> None:
            callback(CalibrationProgress(label, int(status.done), int(status.total), epsilon))

        return forward


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` atomically (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        frame.to_parquet(temporary, index=False)
        with open(temporary, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _write_json(data: Mapping[str, Any], path: Path) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w") as stream:
        json.dump(data, stream, indent=2, default=str)
        stream.write("\n")
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


# --- the result -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """A finished calibration: the posterior, how it was reached and how well it fits.

    Attributes
    ----------
    problem : Problem
        Targets, scenario, settings, priors.
    screening : Screening
        The screening wave.
    influence : DataFrame
        Spearman correlation of every screened input with every target statistic.
    support : dict of str to (low, high)
        The prior support ABC used (the screening's non-implausible box).
    populations : tuple of Population
        Every ABC generation; the last is the posterior.
    predictive : DataFrame
        Posterior-predictive runs: ``draw``, ``replicate``, target statistics, per-partner
        statistics.
    predictive_quarterly : array (runs, quarters, partners)
        Quarterly recording share of every posterior-predictive run.
    point : DataFrame
        Runs of the calibrated scenario at its point estimate (:func:`central_particle`).
    runs : int
        Model runs in the whole calibration (resumed ones included).
    seconds : dict of str to float
        Wall time per stage in this session.
    wall_seconds : float
        Wall time of the whole calibration, over every session that worked on its folder.
    """

    problem: Problem
    screening: Screening
    influence: pd.DataFrame
    support: dict[str, tuple[float, float]]
    populations: tuple[Population, ...]
    predictive: pd.DataFrame
    predictive_quarterly: np.ndarray
    point: pd.DataFrame
    runs: int
    seconds: dict[str, float]
    wall_seconds: float = 0.0

    @property
    def final(self) -> Sample:
        """The posterior sample: the generations at the final epsilon, pooled."""
        return pool(self.populations)

    @property
    def posterior(self) -> pd.DataFrame:
        """The posterior as a table: parameter sets with weights (summing to 1), the
        generation each comes from and the epsilon it was accepted at."""
        sample = self.final
        frame = pd.DataFrame(sample.particles, columns=list(self.problem.inputs))
        frame.insert(0, "weight", sample.weights)
        frame.insert(0, "epsilon", sample.epsilon)
        frame.insert(0, "generation", sample.generation)
        return frame

    def nuisance_values(self, generation: int) -> pd.DataFrame:
        """The nuisance inputs every particle of ``generation`` was simulated with, one row
        per particle (no columns when ``nuisance = "defaults"``).

        Generation 0 is the screening wave's plausible points; a later generation's values
        are drawn again exactly as its design drew them (the same generator, the same
        particles), so they need no stored runs.
        """
        problem = self.problem
        names = list(problem.nuisance) if problem.settings.nuisance == "prior" else []
        if generation == 0:
            design = self.screening.design.loc[self.screening.plausible]
            return design[names].reset_index(drop=True)
        population = next(p for p in self.populations if p.generation == generation)
        return generation_design(problem, generation, population.particles)[names]

    def joint_posterior(self) -> pd.DataFrame:
        """The posterior over every input the calibration varied: :attr:`posterior`'s weights
        and calibrated inputs, then the nuisance inputs each accepted set was simulated with.

        Each accepted particle was weighed by runs at exactly these nuisance values, so the
        rows are a weighted sample of the joint ABC posterior of calibrated and nuisance
        inputs (whose marginal for the calibrated inputs is :attr:`posterior`). What the
        calibrated scenario draws from.
        """
        sample = self.final
        frame = self.posterior.drop(columns=["generation", "epsilon"])
        parts = []
        for generation in np.unique(sample.generation):
            mine = np.flatnonzero(sample.generation == generation)
            values = self.nuisance_values(int(generation)).iloc[sample.rows[mine]]
            parts.append(values.set_axis(mine))
        if parts and len(parts[0].columns):
            frame = pd.concat([frame, pd.concat(parts).sort_index()], axis=1)
        return frame

    @property
    def prior_acceptance(self) -> float:
        """Share of the screening wave's runs (parameter sets from the whole prior) that meet
        every target within tolerance: how much of the prior the evidence leaves, jointly."""
        return self.prior_share_within(self.problem.settings.epsilon_floor)

    def prior_share_within(self, epsilon: float) -> float:
        """Share of the screening wave's runs within ``epsilon`` of every target."""
        cube = self.screening.statistics
        runs = pd.DataFrame(
            cube.reshape(-1, cube.shape[2]), columns=list(self.problem.targets.components())
        )
        distance = excess(runs, self.problem.targets).to_numpy().max(axis=1)
        return float(np.mean(distance <= epsilon))

    def population_table(self) -> pd.DataFrame:
        """Every generation's particles (accepted or not) with weights and distances."""
        frames = []
        for pop in self.populations:
            frame = pd.DataFrame(pop.particles, columns=list(self.problem.inputs))
            for r in range(pop.distances.shape[1]):
                frame[f"distance_{r}"] = pop.distances[:, r]
            frame.insert(0, "weight", pop.weights)
            frame.insert(0, "epsilon", pop.epsilon)
            frame.insert(0, "generation", pop.generation)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def generations(self) -> pd.DataFrame:
        """One row per generation: epsilon, particles, accepted, effective sample size, runs."""
        return pd.DataFrame(
            {
                "generation": [p.generation for p in self.populations],
                "epsilon": [p.epsilon for p in self.populations],
                "particles": [len(p.weights) for p in self.populations],
                "accepted": [int(p.accepted.sum()) for p in self.populations],
                "ess": [round(p.ess, 1) for p in self.populations],
                "runs": [p.runs for p in self.populations],
            }
        ).set_index("generation")

    def point_estimate(self) -> dict[str, float]:
        """The calibrated scenario's defaults: the posterior's central accepted parameter set
        (:func:`central_particle`)."""
        return central_particle(self.final, self.problem.inputs)

    def identification(self) -> pd.DataFrame:
        """Per calibrated input: prior, screening support, posterior median and 90% interval,
        the interval's width over the prior's 90% width, the verdict, and the point estimate
        the calibrated scenario uses as default."""
        post = self.posterior
        w = post["weight"].to_numpy()
        rows = []
        limit = self.problem.settings.not_identified_above
        estimate = self.point_estimate()
        for name in self.problem.inputs:
            low, high = self.problem.prior[name]
            x = post[name].to_numpy()
            q05, q50, q95 = (weighted_quantile(x, w, q) for q in (0.05, 0.5, 0.95))
            ratio = (q95 - q05) / (0.9 * (high - low))
            verdict: Verdict = (
                "not identified"
                if ratio > limit
                else "weakly identified"
                if ratio >= WEAKLY_BELOW
                else "identified"
            )
            rows.append(
                {
                    "input": name,
                    "prior_low": low,
                    "prior_high": high,
                    "support_low": self.support[name][0],
                    "support_high": self.support[name][1],
                    "posterior_median": q50,
                    "posterior_q05": q05,
                    "posterior_q95": q95,
                    "interval_ratio": ratio,
                    "verdict": verdict,
                    "point_estimate": estimate[name],
                }
            )
        return pd.DataFrame(rows).set_index("input")

    def fit(self) -> pd.DataFrame:
        """Fit per target component, for the posterior-predictive replay and the point
        estimate: median and 5-95% of the statistic, share of runs meeting the target, and
        whether the median run meets it (else by how much it misses, in the statistic's
        units)."""
        return fit_table(self.problem.targets, self.predictive, self.point)


def central_particle(sample: Sample, inputs: tuple[str, ...]) -> dict[str, float]:
    """A point estimate that is itself a posterior draw: among the particles all of whose
    runs met epsilon (all accepted particles if none did), the one nearest the weighted
    marginal medians, each coordinate measured in units of its posterior 90% interval.

    The marginal medians themselves are not used: when the posterior is broad in many
    dimensions their combination can sit where no accepted run came from (here, a partnership
    in which every partner records everything, so the gap P2 states vanishes).
    """
    w = sample.weights
    median = np.array(
        [weighted_quantile(sample.particles[:, k], w, 0.5) for k in range(len(inputs))]
    )
    spread = np.array(
        [
            weighted_quantile(sample.particles[:, k], w, 0.95)
            - weighted_quantile(sample.particles[:, k], w, 0.05)
            for k in range(len(inputs))
        ]
    )
    spread = np.where(spread > 0, spread, 1.0)
    candidates = np.flatnonzero(sample.acceptance >= 1.0)
    if candidates.size == 0:
        candidates = np.arange(len(w))
    gaps = (((sample.particles[candidates] - median) / spread) ** 2).sum(axis=1)
    best = candidates[int(np.argmin(gaps))]
    return {name: float(sample.particles[best, k]) for k, name in enumerate(inputs)}


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` with ``weights`` (inverse of the weighted CDF)."""
    order = np.argsort(values, kind="stable")
    x, w = values[order], weights[order]
    cumulative = np.cumsum(w) / np.sum(w)
    index = int(np.searchsorted(cumulative, q, side="left"))
    return float(x[min(index, len(x) - 1)])


def fit_table(targets: TargetSet, predictive: pd.DataFrame, point: pd.DataFrame) -> pd.DataFrame:
    """How each target component is met by two sets of runs (see :meth:`Calibration.fit`)."""
    gaps = {"predictive": excess(predictive, targets), "point": excess(point, targets)}
    frames = {"predictive": predictive, "point": point}
    rows = []
    for target in targets.targets:
        low, high = target.interval
        for column in target.components():
            row: dict[str, Any] = {
                "target": column,
                "source": target.source,
                "strength": target.strength,
                "low": low,
                "high": high,
                "tolerance": target.tolerance,
            }
            for prefix, frame in frames.items():
                x = frame[column].to_numpy(dtype=float)
                defined = x[~np.isnan(x)]
                gap = gaps[prefix][column].to_numpy()
                if defined.size:
                    median = float(np.median(defined))
                    q05, q95 = (float(v) for v in np.quantile(defined, [0.05, 0.95]))
                    miss = max(low - median, median - high, 0.0)
                else:
                    median = q05 = q95 = miss = float("nan")
                row |= {
                    f"{prefix}_median": median,
                    f"{prefix}_q05": q05,
                    f"{prefix}_q95": q95,
                    f"{prefix}_meets": float(np.mean(gap <= 1.0)),
                    f"{prefix}_miss": miss,
                    f"{prefix}_met": bool(defined.size and miss <= target.tolerance),
                }
            rows.append(row)
    return pd.DataFrame(rows).set_index("target")


# --- the workflow ---------------------------------------------------------------------------


def _check_folder(folder: Path, identity: Mapping[str, Any]) -> dict[str, Any]:
    """Return the folder's manifest (new or resumed); refuse a folder of another calibration."""
    path = folder / MANIFEST
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: the output must be a folder, and this is a file")
    if path.exists():
        try:
            manifest: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise InputError(f"{path}: unreadable calibration manifest ({error})") from None
        if manifest.get("identity") != identity:
            differs = sorted(
                k for k in identity if manifest.get("identity", {}).get(k) != identity[k]
            )
            raise InputError(
                f"{folder}: holds a different calibration ({', '.join(differs)} differ); "
                "choose another output folder or delete this one"
            )
        return manifest
    folder.mkdir(parents=True, exist_ok=True)
    return {"identity": identity, "sessions": []}


def _population_path(folder: Path, generation: int) -> Path:
    return folder / "abc" / f"generation_{generation:02d}.parquet"


def _save_population(folder: Path, population: Population, inputs: tuple[str, ...]) -> None:
    frame = pd.DataFrame(population.particles, columns=list(inputs))
    for r in range(population.distances.shape[1]):
        frame[f"distance_{r}"] = population.distances[:, r]
    frame["weight"] = population.weights
    frame["epsilon"] = population.epsilon
    _write_parquet(frame, _population_path(folder, population.generation))


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


def generation_design(problem: Problem, generation: int, particles: np.ndarray) -> pd.DataFrame:
    """The design ABC generation ``generation`` runs: its particles with their nuisance draws
    (from the generation's own generator, so the same particles always get the same draws)."""
    return _with_nuisance(problem, particles, draws_rng(problem.settings.seed, generation))


def _with_nuisance(
    problem: Problem, particles: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """A design of calibrated values plus, with ``nuisance = "prior"``, a prior draw of
    every other uncertain input."""
    design = pd.DataFrame(particles, columns=list(problem.inputs))
    if problem.settings.nuisance == "prior" and problem.nuisance:
        low = np.array([lo for lo, _ in problem.nuisance.values()])
        high = np.array([hi for _, hi in problem.nuisance.values()])
        draws = low + (high - low) * rng.random((len(particles), len(low)))
        design = pd.concat([design, pd.DataFrame(draws, columns=list(problem.nuisance))], axis=1)
    return design


def _screen(problem: Problem, runner: _Runner) -> tuple[Screening, pd.DataFrame, pd.DataFrame]:
    """Run the screening wave; return it, the inputs' influence table and its runs."""
    from sim.design import latin_hypercube

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
    """The non-implausible bounding box, widened by one Latin-hypercube stratum on each side
    (the wave's extreme points sit up to one stratum inside the region), within the prior."""
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
    executor: ExecutorChoice = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: ProgressCallback | None = None,
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
        Working folder: every stage's runs, the generations and the manifest. Run the same
        call again with the same folder to resume; a folder of another calibration is
        refused. Without it everything runs in a temporary folder.
    executor, workers, scheduler
        Where the runs go (as for :func:`sim.sweep.run_design`); none changes the result.
    progress : callable, optional
        Called with a :class:`CalibrationProgress` as runs finish.

    Returns
    -------
    Calibration
        Write its report and calibrated scenario with
        :func:`sim.calibration.report.write_outputs`.

    Raises
    ------
    InputError
        Bad targets or settings (one line naming the file and field), or an ``out`` folder
        holding a different calibration.
    """
    problem = prepare(targets, settings)
    settings = problem.settings
    with _working_folder(out) as folder:
        identity = problem.identity()
        manifest = _check_folder(folder, identity)
        session: dict[str, Any] = {"started": _now(), "state": "running"}
        manifest["sessions"].append(session)
        _write_json(manifest, folder / MANIFEST)
        clock = time.perf_counter()
        runner = _Runner(problem, folder, executor, workers, scheduler, progress)
        try:
            result = _calibrate(problem, runner, folder)
            session["state"] = "finished"
        except BaseException:
            session["state"] = "interrupted"
            raise
        finally:
            session |= {
                "finished": _now(),
                "seconds": round(time.perf_counter() - clock, 3),
                "stage_seconds": {k: round(v, 3) for k, v in runner.seconds.items()},
            }
            _write_json(manifest, folder / MANIFEST)
        wall = round(sum(s.get("seconds", 0.0) for s in manifest["sessions"]), 3)
        result = replace(result, wall_seconds=wall)
        _write_results(result, folder, manifest)
        return result


def _calibrate(problem: Problem, runner: _Runner, folder: Path) -> Calibration:
    settings = problem.settings
    screening, influence_table, screening_runs = _screen(problem, runner)
    support = _support(problem, screening)
    box = Box(
        problem.inputs,
        np.array([support[n][0] for n in problem.inputs]),
        np.array([support[n][1] for n in problem.inputs]),
    )
    abc_settings = Settings(
        particles=settings.particles,
        generations=settings.generations,
        ess_fraction=settings.ess_fraction,
        quantile=settings.quantile,
        min_ess=settings.min_ess,
        floor=settings.epsilon_floor,
        seed=settings.seed,
        defensive=settings.defensive,
    )
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

    def store(population: Population) -> None:
        runner.epsilon = population.epsilon
        _save_population(folder, population, problem.inputs)

    done = _load_populations(folder, problem.inputs)
    if done:
        runner.epsilon = done[-1].epsilon
    populations = abc_smc(simulate, box, abc_settings, first, done, store)

    final = pool(populations)
    rng = draws_rng(settings.seed, PREDICTIVE_STAGE)
    pick = rng.choice(len(final.weights), size=settings.predictive, p=final.weights)
    design = _with_nuisance(problem, final.particles[pick], rng)
    predictive = runner.stage(
        "predictive",
        "posterior predictive",
        design,
        settings.predictive_replicates,
        stage_seed(settings.seed, PREDICTIVE_STAGE),
        quarterly=True,
    )
    estimate = central_particle(final, problem.inputs)
    point = runner.stage(
        "point_estimate",
        "point estimate",
        pd.DataFrame([estimate]),
        settings.point_replicates,
        stage_seed(settings.seed, POINT_STAGE),
    ).runs
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
        runner.runs,
        dict(runner.seconds),
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_results(result: Calibration, folder: Path, manifest: dict[str, Any]) -> None:
    """The durable record in ``folder``: posterior, screening, predictive runs, manifest."""
    from sim.provenance import environment

    problem = result.problem
    settings = problem.settings
    _write_parquet(result.posterior, folder / "posterior.parquet")
    _write_parquet(result.population_table(), folder / "populations.parquet")
    screening = result.screening
    table = screening.design.copy()
    worst = screening.worst
    for column in screening.implausibility.columns:
        table[f"implausibility.{column}"] = screening.implausibility[column].to_numpy()
    table["implausibility"] = worst
    table["plausible"] = screening.plausible
    _write_parquet(table, folder / "screening.parquet")
    _write_parquet(result.predictive, folder / "predictive.parquet")
    _write_parquet(result.point, folder / "point_estimate.parquet")
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
            "point_estimate": stage_seed(settings.seed, POINT_STAGE),
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
    _write_json(manifest, folder / MANIFEST)
