"""Sensitivity analysis: which framework categories, and which inputs, change sharing most.

The six framework categories group the inputs.

>>> from sim import sobol, morris
>>> screening = morris("sentinel_replay", trajectories=20, seed=1)          # doctest: +SKIP
>>> grouped = sobol("sentinel_replay", n=1024, replicates=5, seed=3)        # doctest: +SKIP
>>> grouped.ranking("share_final_year")                                     # doctest: +SKIP
>>> from sim.sensitivity import shapley
>>> joint = shapley("sentinel_calibrated", seed=3)                          # doctest: +SKIP

Modules: ``factors`` (inputs, ranges and their framework category), ``estimators`` (Sobol
and Morris estimators, noise, bootstrap), ``analysis`` (design -> runs -> indices),
``dependence``, ``shapley``, ``shapley_design`` and ``shapley_analysis`` (Shapley effects
when inputs are dependent, as a posterior's are; blocks shared by assignments run once),
``settings`` (sizes and choices; how the runs execute is one :class:`sim.execution.Execution`,
re-exported here), ``scenario`` (a scenario's runs on the sweep runner),
``result`` (the frozen result), ``figures`` and ``brief`` (what an analyst reads),
``experiment`` (the ``[sensitivity]`` section of an experiment file).
"""

from sim.execution import Execution
from sim.sensitivity.analysis import (
    Evaluator,
    Subject,
    morris_analysis,
    select_outputs,
    sobol_analysis,
)
from sim.sensitivity.factors import (
    ASSIGNMENTS,
    SCENARIO_INPUT_CATEGORY,
    Factor,
    FactorError,
    Level,
    input_category,
    scenario_factors,
)
from sim.sensitivity.methods import (
    DEFAULT_OUTPUTS,
    MorrisSettings,
    RunsError,
    SensitivityError,
    ShapleySettings,
    SobolSettings,
)
from sim.sensitivity.result import SensitivityResult
from sim.sensitivity.scenario import (
    ScenarioEvaluator,
    morris,
    scenario_outputs,
    shapley,
    sobol,
)
from sim.sensitivity.shapley_analysis import shapley_analysis

__all__ = [
    "ASSIGNMENTS",
    "DEFAULT_OUTPUTS",
    "SCENARIO_INPUT_CATEGORY",
    "Evaluator",
    "Execution",
    "Factor",
    "FactorError",
    "Level",
    "MorrisSettings",
    "RunsError",
    "ScenarioEvaluator",
    "SensitivityError",
    "SensitivityResult",
    "ShapleySettings",
    "SobolSettings",
    "Subject",
    "input_category",
    "morris",
    "morris_analysis",
    "scenario_factors",
    "scenario_outputs",
    "select_outputs",
    "shapley",
    "shapley_analysis",
    "sobol",
    "sobol_analysis",
]
