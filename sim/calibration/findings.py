"""Everything a calibration's report concludes, as data, each with how far it holds.

One :class:`Findings` gathers the joint fit (:mod:`sim.calibration.joint`), what was learnt
and what would teach more (:mod:`sim.calibration.precision`) and the out-of-sample checks
(:mod:`sim.calibration.checks`), computed once, so the report, the notebook and the tests
read the same numbers. :meth:`Findings.headlines` turns them into the report's headline
conclusions, each with the share of bootstrap resamples of the posterior (its particles, or
its posterior-predictive draws) in which it holds; one that holds in fewer than
:data:`FIRM_FROM` of them is worded as open.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.calibration.checks import leave_one_target_out, output_checks
from sim.calibration.joint import ALL_TARGETS, fit_holds, joint_gain, pass_rates
from sim.calibration.precision import LEARNT_BELOW, interval_ratios, value_of_information
from sim.calibration.result import Calibration
from sim.calibration.text import percent
from sim.conclusion import FIRM_FROM, Headline

JOINT = ALL_TARGETS
"""The conclusion that calibrated runs meet every target together more often (its ``about``)."""

POINT = "point estimate"
"""The same conclusion for the point estimate."""

FIT = "fit:"
"""Prefix of a conclusion on one target component's fit."""

INPUT = "input:"
"""Prefix of a conclusion on what was learnt of one calibrated input."""

__all__ = ["FIRM_FROM", "FIT", "INPUT", "JOINT", "POINT", "Findings", "Headline"]


@dataclass(frozen=True)
class Findings:
    """What a calibration concludes, each measure computed once.

    Attributes
    ----------
    rates : DataFrame
        :func:`sim.calibration.joint.pass_rates`.
    gain : dict
        :func:`sim.calibration.joint.joint_gain`.
    fit_holds : Series
        :func:`sim.calibration.joint.fit_holds`.
    ratios : DataFrame
        :func:`sim.calibration.precision.interval_ratios`.
    information : DataFrame
        :func:`sim.calibration.precision.value_of_information` (empty when some parameter
        is learnt, so none is needed).
    left_out : DataFrame
        :func:`sim.calibration.checks.leave_one_target_out`.
    outputs : DataFrame
        :func:`sim.calibration.checks.output_checks`.
    """

    rates: pd.DataFrame
    gain: dict[str, float]
    fit_holds: pd.Series
    ratios: pd.DataFrame
    information: pd.DataFrame
    left_out: pd.DataFrame
    outputs: pd.DataFrame

    @classmethod
    def of(cls, result: Calibration) -> Findings:
        """Compute every finding of ``result``."""
        ratios = interval_ratios(result)
        learnt = bool(ratios["learnt"].any())
        return cls(
            pass_rates(result),
            joint_gain(result),
            fit_holds(result),
            ratios,
            pd.DataFrame() if learnt else value_of_information(result),
            leave_one_target_out(result),
            output_checks(result),
        )

    def headlines(self) -> list[Headline]:
        """Return the report's headline conclusions, each with the share in which it holds."""
        return list(self.keyed_headlines().values())

    def keyed_headlines(self) -> dict[str, Headline]:
        """Return the headline conclusions by what each is about, in the report's order.

        Keys: :data:`JOINT`, :data:`POINT`, ``fit:<component>`` and ``input:<name>``.
        """
        joint = self.rates.loc[ALL_TARGETS]
        lines = {
            JOINT: Headline(
                f"calibrated runs meet all targets at once more often than the scenario's "
                f"defaults and than the prior ({percent(joint['posterior'])} of "
                f"posterior-predictive runs, {percent(joint['defaults'])} at the defaults, "
                f"{percent(joint['prior'])} under the prior)",
                min(self.gain["over_defaults"], self.gain["over_prior"]),
            )
        }
        if "point" in joint:
            lines[POINT] = Headline(
                f"the point estimate (the best-fitting posterior set) meets all targets at "
                f"once more often than the scenario's defaults and than the prior "
                f"({percent(joint['point'])} +/- {percent(self.gain['error_point'])} of "
                f"its runs, {percent(joint['defaults'])} +/- "
                f"{percent(self.gain['error_defaults'])} at the defaults, "
                f"{percent(joint['prior'])} under the prior)",
                min(self.gain["point_over_defaults"], self.gain["point_over_prior"]),
            )
        for component, holds in self.fit_holds.items():
            lines[f"{FIT}{component}"] = Headline(
                f"the median posterior-predictive run meets `{component}` within tolerance", holds
            )
        for name, row in self.ratios.iterrows():
            if row["learnt"]:
                text = (
                    f"`{name}` is narrowed to {row['interval_ratio']:.2f} of its prior interval "
                    f"(+/- {row['mc_error']:.2f}), at most {LEARNT_BELOW}"
                )
                holds = row["learnt_holds"]
            else:
                text = (
                    f"`{name}` is {row['verdict']} (interval ratio {row['interval_ratio']:.2f} "
                    f"+/- {row['mc_error']:.2f})"
                )
                holds = row["verdict_holds"]
            lines[f"{INPUT}{name}"] = Headline(text, float(holds))
        return lines

    def conclusions(self) -> pd.DataFrame:
        """Return the headline conclusions as a table.

        One row each, numbered from 1 in the report's order: ``about`` (:data:`JOINT`,
        :data:`POINT`, ``fit:<component>`` or ``input:<name>``), ``conclusion`` (worded as
        found), ``holds`` (share of resamples) and ``firm`` (at least :data:`FIRM_FROM`).
        """
        lines = self.keyed_headlines()
        return pd.DataFrame(
            {
                "about": list(lines),
                "conclusion": [h.text for h in lines.values()],
                "holds": [h.holds for h in lines.values()],
                "firm": [h.firm for h in lines.values()],
            },
            index=pd.RangeIndex(1, len(lines) + 1, name="number"),
        )
