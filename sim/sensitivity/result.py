"""The result of a sensitivity analysis: tidy tables, and the figures and brief made from them."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from sim.sensitivity.factors import Level

Method = Literal["sobol", "morris"]
"""The two analyses: variance-based indices, or elementary-effects screening."""

INDEX_COLUMNS: tuple[str, ...] = (
    "output",
    "level",
    "factor",
    "category",
    "S1",
    "S1_low",
    "S1_high",
    "ST",
    "ST_low",
    "ST_high",
    "S1_distinguishable",
    "ST_distinguishable",
    "distinguishable",
    "S1_estimate",
    "ST_estimate",
    "rank",
)
"""Columns of :attr:`SensitivityResult.indices`."""

SECOND_ORDER_COLUMNS: tuple[str, ...] = (
    "output",
    "level",
    "factor",
    "other",
    "S2",
    "S2_low",
    "S2_high",
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
)
"""Columns of :attr:`SensitivityResult.morris`."""

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
    method : {"sobol", "morris"}
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
        ``distinguishable`` is ``ST_distinguishable``; ``rank`` orders factors by ``ST``.
    second_order : DataFrame
        Sobol with second order only (else empty): ``S2`` per pair, as ``indices``.
    morris : DataFrame
        Morris only (else empty). Per output and factor: ``mu``, ``mu_star`` with interval,
        ``sigma``, ``noise_floor`` (the mu* of a factor with no effect) and
        ``distinguishable`` (interval above the noise floor).
    convergence : DataFrame
        Sobol only: every index and its interval recomputed on the first ``n`` base points
        as ``n`` doubles up to the full design.
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
    provenance: Mapping[str, object] = field(default_factory=dict)

    @property
    def outputs(self) -> tuple[str, ...]:
        """The outputs analysed, in the order asked for."""
        return tuple(self.noise["output"])

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
        }
        return {name: frame for name, frame in tables.items() if len(frame)}

    def ranking(self, output: str | None = None) -> pd.DataFrame:
        """Factors of one output (the first by default), most influential first.

        Sobol: by ``ST``; Morris: by ``mu_star``. Factors not distinguishable from zero (or
        from noise) come last, whatever their estimate.
        """
        output = self.outputs[0] if output is None else output
        frame = self.indices if self.method == "sobol" else self.morris
        chosen = frame[frame["output"] == output]
        return chosen.sort_values("rank").reset_index(drop=True)

    def figures(self) -> dict[str, object]:
        """Build the figures (matplotlib ``Figure`` objects) by file stem; nothing is written."""
        # The figures import matplotlib, which a result that is never drawn does without.
        from sim.sensitivity.figures import result_figures

        return dict(result_figures(self))

    def write_figures(self, folder: Path | str) -> dict[str, Path]:
        """Write every figure as PNG into ``folder``; return their paths by stem."""
        # The figures import matplotlib, which a result that is never drawn does without.
        from sim.sensitivity.figures import write_figures

        return write_figures(self, Path(folder))

    def brief_markdown(self, figures: Mapping[str, Path] | None = None) -> str:
        """Write the analyst's brief as Markdown (figures linked relative to the brief's folder)."""
        # The brief imports the figures (and so matplotlib), which a result never written does
        # without.
        from sim.sensitivity.brief import brief_markdown

        return brief_markdown(self, figures or {})

    def write_brief(
        self, folder: Path | str, figures: Mapping[str, Path] | None = None
    ) -> tuple[Path, Path]:
        """Write ``brief.md`` and ``brief.html`` into ``folder``; return both paths."""
        # The brief imports the figures (and so matplotlib), which a result never written does
        # without.
        from sim.sensitivity.brief import write_brief

        return write_brief(self, Path(folder), figures or {})

    def write_tables(self, folder: Path | str) -> dict[str, Path]:
        """Write every table, the design, runs, settings and provenance into ``folder``.

        Tables as CSV, the design and runs as Parquet, the settings and provenance as
        ``result.json``; return the paths by name.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for name, frame in self.tables().items():
            written[f"{name}.csv"] = folder / f"{name}.csv"
            frame.to_csv(written[f"{name}.csv"], index=False)
        for name, frame in (("design", self.design), ("runs", self.runs)):
            written[f"{name}.parquet"] = folder / f"{name}.parquet"
            frame.to_parquet(written[f"{name}.parquet"], index=False)
        summary = {
            "method": self.method,
            "subject": self.subject,
            "level": self.level,
            "seed": self.seed,
            "settings": dict(self.settings),
            "noise_share": {k: _finite_or_none(v) for k, v in self.noise_share.items()},
            "provenance": dict(self.provenance),
        }
        written["result.json"] = folder / "result.json"
        written["result.json"].write_text(
            json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
        )
        return written

    def write(self, folder: Path | str) -> dict[str, Path]:
        """Write tables (CSV and Parquet), the design, figures and the brief into ``folder``.

        Returns every file written, by a short name.
        """
        folder = Path(folder)
        written = self.write_tables(folder)
        figures = self.write_figures(folder / "figures")
        written.update({f"figure:{stem}": path for stem, path in figures.items()})
        markdown, html = self.write_brief(folder, figures)
        written["brief.md"], written["brief.html"] = markdown, html
        return written


def _finite_or_none(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None
