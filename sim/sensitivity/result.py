"""The result of a sensitivity analysis: tidy tables, plain data.

Its figures (:mod:`sim.sensitivity.figures`), its brief (:mod:`sim.sensitivity.brief`) and its
folder (:mod:`sim.sensitivity.folder`) are made from it by functions that take it as their
argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from sim.names import partner_names
from sim.sensitivity.factors import Level
from sim.sensitivity.methods import Method


def interval_columns(name: str) -> tuple[str, str, str]:
    """Name the columns of an estimate and its interval: ``name``, ``name_low``, ``name_high``."""
    return (name, f"{name}_low", f"{name}_high")


INDEX_COLUMNS: tuple[str, ...] = (
    "output",
    "level",
    "factor",
    "category",
    *interval_columns("S1"),
    *interval_columns("ST"),
    "S1_distinguishable",
    "ST_distinguishable",
    "distinguishable",
    "S1_estimate",
    "ST_estimate",
    "rank",
    "leads",
)
"""Columns of :attr:`SensitivityResult.indices`."""

SECOND_ORDER_COLUMNS: tuple[str, ...] = (
    "output",
    "level",
    "factor",
    "other",
    *interval_columns("S2"),
    "distinguishable",
    "S2_estimate",
)
"""Columns of :attr:`SensitivityResult.second_order`."""

MORRIS_COLUMNS: tuple[str, ...] = (
    "output",
    "level",
    "factor",
    "category",
    "mu",
    "mu_star",
    "mu_star_low",
    "mu_star_high",
    "mu_star_conf",
    "sigma",
    "noise_floor",
    "distinguishable",
    "rank",
    "leads",
)
"""Columns of :attr:`SensitivityResult.morris`."""

SHAPLEY_COLUMNS: tuple[str, ...] = (
    "output",
    "assignment",
    "factor",
    "inputs",
    "dependent_inputs",
    *interval_columns("Sh"),
    *interval_columns("S1"),
    *interval_columns("ST"),
    "distinguishable",
    "leads",
    "leads_everywhere",
    "Sh_estimate",
    "rank",
)
"""Columns of :attr:`SensitivityResult.shapley`."""

COMPARISON_COLUMNS: tuple[str, ...] = ("output", "assignment", "factor", "other", "share")
"""Columns of :attr:`SensitivityResult.comparisons`."""

CONVERGENCE_COLUMNS: tuple[str, ...] = (
    "output",
    "level",
    "factor",
    "n",
    "index",
    "value",
    "low",
    "high",
    "width",
)
"""Columns of :attr:`SensitivityResult.convergence`."""

NOISE_COLUMNS: tuple[str, ...] = (
    "output",
    "replicates",
    "total_variance",
    "within_variance",
    "noise_share",
    "noise_share_of_means",
    "constant",
    "noise_dominated",
)
"""Columns of :attr:`SensitivityResult.noise`."""


def empty(columns: tuple[str, ...]) -> pd.DataFrame:
    """Make an empty frame with the given columns (a table an analysis did not produce)."""
    return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})


@dataclass(frozen=True)
class SensitivityResult:
    """What a Sobol or Morris analysis found, as tidy tables.

    Attributes
    ----------
    method : {"sobol", "morris", "shapley"}
        The analysis.
    subject : str
        What was analysed (the scenario's name, or a test function's).
    level : {"category", "parameter"}
        Factors are framework categories (grouped) or single inputs.
    seed : int
        The one seed of the design, the runs and the bootstrap.
    settings : mapping
        Sample size, replicates, bootstrap resamples, confidence, outputs.
    factors : DataFrame
        One row per input varied: name, category, low, high, unit, provenance.
    design : DataFrame
        The design matrix: one row per design point, one column per input (input units).
    runs : DataFrame
        One row per run: row, replicate and the analysed outputs.
    noise : DataFrame
        Per output: replicates, variance over runs, within-row variance, ``noise_share``
        (within over total), ``noise_share_of_means``, and whether it was constant or
        noise-dominated.
    indices : DataFrame
        Sobol only (else empty). Per output and factor: ``S1`` and ``ST`` with interval
        bounds, reported within [0, 1]; ``S1_estimate``/``ST_estimate`` are the point
        estimates before that (a negative one is estimation noise, never negative
        importance); ``*_distinguishable`` says the interval lies above zero;
        ``distinguishable`` is ``ST_distinguishable``; ``rank`` orders factors by ``ST``;
        ``leads`` is the share of bootstrap resamples in which its ``ST`` is the largest.
    second_order : DataFrame
        Sobol with second order only (else empty): ``S2`` per pair, as ``indices``.
    morris : DataFrame
        Morris only (else empty). Per output and factor: ``mu``, ``mu_star`` with interval,
        ``sigma``, ``noise_floor`` (the mu* of a factor with no effect) and
        ``distinguishable`` (interval above the noise floor); ``leads``, the share of
        bootstrap resamples in which its ``mu_star`` is the largest.
    convergence : DataFrame
        Sobol only: every index and its interval recomputed on the first ``n`` base points
        as ``n`` doubles up to the full design.
    shapley : DataFrame
        Shapley only (else empty). Per output, assignment of inputs to categories and
        category: its size (``inputs``, and ``dependent_inputs`` drawn jointly from a
        posterior), the Shapley effect ``Sh``, the full first-order index ``S1`` and the
        independent total index ``ST`` (docs/sensitivity.md), with intervals, reported
        within [0, 1]; ``leads``, the share of bootstrap resamples in which its Shapley
        effect is the largest; ``leads_everywhere``, the share in which it is the largest
        under every assignment at once (the same in each assignment's rows);
        ``Sh_estimate`` unclipped; ``rank`` by ``Sh``.
    comparisons : DataFrame
        Shapley only: per output, assignment and ordered pair of categories, the ``share``
        of bootstrap resamples in which ``factor``'s Shapley effect exceeds ``other``'s.
    provenance : mapping
        Scenario content hash and anything else that identifies where the numbers came from.
    """

    method: Method
    subject: str
    level: Level
    seed: int
    settings: Mapping[str, object]
    factors: pd.DataFrame
    design: pd.DataFrame
    runs: pd.DataFrame
    noise: pd.DataFrame
    # A Sobol result has no Morris table and a Morris result no Sobol tables: those are empty.
    indices: pd.DataFrame = field(default_factory=lambda: empty(INDEX_COLUMNS))
    second_order: pd.DataFrame = field(default_factory=lambda: empty(SECOND_ORDER_COLUMNS))
    morris: pd.DataFrame = field(default_factory=lambda: empty(MORRIS_COLUMNS))
    convergence: pd.DataFrame = field(default_factory=lambda: empty(CONVERGENCE_COLUMNS))
    shapley: pd.DataFrame = field(default_factory=lambda: empty(SHAPLEY_COLUMNS))
    comparisons: pd.DataFrame = field(default_factory=lambda: empty(COMPARISON_COLUMNS))
    provenance: Mapping[str, object] = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line: method, subject, seed and size (the tables are its fields)."""
        return (
            f"<SensitivityResult {self.method} of {self.subject!r}, seed {self.seed}: "
            f"{len(self.factors)} inputs by {self.level}, {len(self.runs):,} runs; "
            f"outputs {', '.join(self.outputs)}>"
        )

    @property
    def outputs(self) -> tuple[str, ...]:
        """The outputs analysed, in the order asked for."""
        return tuple(self.noise["output"])

    @property
    def partners(self) -> dict[str, str]:
        """Slug -> full name of the scenario's partners, when its provenance lists them.

        As :func:`sim.names.header` needs to name a per-partner output.
        """
        listed = self.provenance.get("partners")
        return partner_names(map(str, listed)) if isinstance(listed, list | tuple) else {}

    @property
    def confidence(self) -> float:
        """Coverage of the intervals (``settings["confidence"]``, 0.95 by default)."""
        return float(str(self.settings["confidence"]))

    @property
    def noise_share(self) -> pd.Series:
        """Share of each output's variance over runs that is run-to-run noise (0..1)."""
        return self.noise.set_index("output")["noise_share"]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every non-empty table by name (``indices``, ``morris``, ``noise``, ...)."""
        tables = {
            "factors": self.factors,
            "noise": self.noise,
            "indices": self.indices,
            "second_order": self.second_order,
            "morris": self.morris,
            "convergence": self.convergence,
            "shapley": self.shapley,
            "comparisons": self.comparisons,
        }
        return {name: frame for name, frame in tables.items() if len(frame)}

    def ranking(self, output: str | None = None, assignment: str | None = None) -> pd.DataFrame:
        """Factors of one output (the first by default), most influential first.

        Sobol: by ``ST``; Morris: by ``mu_star``; Shapley: by ``Sh`` under ``assignment``
        (the first analysed by default). Factors not distinguishable from zero (or from
        noise) come last, whatever their estimate.
        """
        output = self.outputs[0] if output is None else output
        frame = {"sobol": self.indices, "morris": self.morris, "shapley": self.shapley}[self.method]
        chosen = frame[frame["output"] == output]
        if self.method == "shapley":
            first = str(chosen["assignment"].iloc[0]) if len(chosen) else ""
            chosen = chosen[chosen["assignment"] == (assignment or first)]
        return chosen.sort_values("rank").reset_index(drop=True)
