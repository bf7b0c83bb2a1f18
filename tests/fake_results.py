"""Sensitivity results over the replay's real inputs, computed from a cheap stand-in for the
model (a smooth function of a few inputs plus noise): figures and briefs get the names,
categories and number of factors a real analysis has, in a fraction of a second."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.scenarios import Scenario
from sim.sensitivity import (
    MorrisSettings,
    SensitivityResult,
    SobolSettings,
    morris_analysis,
    scenario_factors,
    sobol_analysis,
)

OUTPUTS = ("share_final_year", "share_mean", "buy_in_final")


def _stand_in(names: list[str], partners: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """An evaluator: the headline outputs fall with double keying cost (a cliff near 0.9),
    legal risk and bureaucracy, and rise with buy-in; noise from each run's seed."""

    def evaluate(design: pd.DataFrame, *, replicates: int, seed: int) -> pd.DataFrame:
        rows = len(design)
        column = {n: design[n].to_numpy() if n in design else np.zeros(rows) for n in names}
        cliff = 1 / (1 + np.exp((column["double_keying_cost"] - 0.9) * 25))
        base = (
            0.3
            + 0.5 * cliff
            - 0.1 * column.get("legal_risk", 0)
            + 0.05 * column.get("buy_in_weight", 0)
        )
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(3,)))
        frame = {
            "row": np.repeat(np.arange(rows), replicates),
            "replicate": np.tile(np.arange(replicates), rows),
        }
        for k, output in enumerate(OUTPUTS):
            values = np.repeat(np.clip(base * (1 - 0.1 * k), 0, 1), replicates)
            frame[output] = values + rng.normal(0, 0.02, size=values.shape)
        for a, partner in enumerate(partners):
            values = np.repeat(np.clip(base + 0.02 * a, 0, 1), replicates)
            frame[f"share_final_year.{partner}"] = values + rng.normal(0, 0.03, values.shape)
        return pd.DataFrame(frame)

    return evaluate


def fake_result(
    method: str, level: str = "parameter", *, partners: bool = False
) -> SensitivityResult:
    """A Morris or Sobol result over the replay's uncertain registry parameters."""
    from sim.names import slug

    scenario = Scenario.load("sentinel_replay")
    factors = scenario_factors(scenario, scenario_inputs=False)
    names = [f.name for f in factors]
    slugs = tuple(slug(p) for p in scenario.partner_names) if partners else ()
    outputs = OUTPUTS + tuple(f"share_final_year.{s}" for s in slugs)
    evaluate = _stand_in(names, slugs)
    if method == "morris":
        settings = MorrisSettings(trajectories=8, replicates=2, level=level, outputs=outputs)
        result = morris_analysis(factors, evaluate, settings, seed=4)
    else:
        settings = SobolSettings(n=64, replicates=2, level=level, outputs=outputs, bootstrap=200)
        result = sobol_analysis(factors, evaluate, settings, seed=4)
    provenance = {
        "scenario": scenario.name,
        "scenario_hash": scenario.content_hash(),
        "partners": list(scenario.partner_names),
    }
    return SensitivityResult(
        **{**result.__dict__, "subject": scenario.name, "provenance": provenance}
    )
