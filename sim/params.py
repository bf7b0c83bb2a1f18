"""The parameter registry: every model parameter, once, with its evidence.

Each entry carries a default, a plausible range, a unit, one of the six categories of the
information sharing framework (Cairns 2015; ``shared/DOMAIN.md``), how sure we are of it
(``stated``, ``external``, ``inferred`` or ``assumed``) and its source. Sensitivity analysis,
calibration, scenario validation, the dashboard sliders and the ODD parameter table all read
this registry; no other module lists parameter names. What an entry holds is
:class:`sim.parameter.Parameter`.

Time unit: one step is one week.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from sim.inputs import did_you_mean
from sim.parameter import Parameter, ParameterError

_DOMAIN = "shared/DOMAIN.md"

_REGISTRY: tuple[Parameter, ...] = (
    # --- the decision -------------------------------------------------------------------
    Parameter(
        "decision_gain",
        2.5,
        1.0,
        8.0,
        "1/utility",
        "Individual",
        "assumed",
        "Modelling choice: sharpness of the logistic choice between recording and not",
        "Gain of the logistic decision P(record) = logistic(gain * (motivation - cost)).",
    ),
    Parameter(
        "baseline_motivation",
        0.0,
        -1.5,
        1.5,
        "utility",
        "Individual",
        "assumed",
        "Modelling choice: intercept of the motivation-minus-cost balance",
        "Motivation a member of staff has before any modelled factor.",
    ),
    # --- motivation ---------------------------------------------------------------------
    Parameter(
        "buy_in_weight",
        1.5,
        0.3,
        3.0,
        "utility",
        "Organisation",
        "inferred",
        f"{_DOMAIN} finding 2 and P4: buy-in tracks case recording",
        "Motivation per unit of partner buy-in.",
    ),
    Parameter(
        "attitude_weight",
        1.0,
        0.2,
        2.0,
        "utility",
        "Individual",
        "inferred",
        f"{_DOMAIN} Individual category: motivation to share",
        "Motivation per unit of a staff member's attitude to sharing.",
    ),
    Parameter(
        "norm_weight",
        0.5,
        0.0,
        2.0,
        "utility",
        "Individual",
        "assumed",
        "Theory of Planned Behaviour: subjective norm (colleagues' recording last week)",
        "Motivation per unit of the own partner's recording share last week.",
    ),
    Parameter(
        "reciprocity_weight",
        0.5,
        0.0,
        2.0,
        "utility",
        "Process",
        "inferred",
        f"{_DOMAIN} Process category: real-time sharing is worth more when partners record",
        "Motivation per unit of partners' recording share last week.",
    ),
    Parameter(
        "pressure_weight",
        0.6,
        0.0,
        1.5,
        "utility",
        "External Environment",
        "external",
        f"{_DOMAIN} Pilkington case: external pressure to share ASB information",
        "Motivation per unit of external pressure (pressure events raise it, it then decays).",
    ),
    Parameter(
        "pressure_half_life",
        52.0,
        13.0,
        156.0,
        "weeks",
        "External Environment",
        "assumed",
        "Modelling choice: how long the effect of a high-profile failure lasts",
        "Half-life of external pressure after a pressure event.",
    ),
    Parameter(
        "mandate_weight",
        1.0,
        0.0,
        2.0,
        "utility",
        "Organisation",
        "inferred",
        f"{_DOMAIN} Organisation category (control); forced adoption (Zhang et al. 2013)",
        "Motivation per unit of management mandate to record on the shared system.",
    ),
    Parameter(
        "habit_weight",
        0.8,
        0.0,
        2.0,
        "utility",
        "Individual",
        "assumed",
        "Modelling choice: routine use makes recording the default",
        "Motivation per unit of a staff member's recording habit.",
    ),
    # --- cost ---------------------------------------------------------------------------
    Parameter(
        "double_keying_cost",
        1.0,
        0.3,
        3.0,
        "utility",
        "Process",
        "inferred",
        f"{_DOMAIN} P2: partners with interfaces shared close to 100%, others less",
        "Cost of entering a case twice while the partner has no live interface.",
    ),
    Parameter(
        "functionality_cost",
        0.5,
        0.1,
        1.5,
        "utility",
        "Technology",
        "inferred",
        f"{_DOMAIN} P6: every partner reported functionality problems (cost above zero)",
        "Cost of poor functionality and usability of the shared system.",
    ),
    Parameter(
        "legal_risk",
        1.0,
        0.0,
        2.0,
        "utility",
        "External Environment",
        "inferred",
        f"{_DOMAIN} External Environment: the Data Protection Act acts as a deterrent",
        "Mean perceived legal risk of recording a case, before documentary assurance.",
    ),
    Parameter(
        "assurance_relief",
        0.6,
        0.0,
        1.0,
        "fraction",
        "Organisation",
        "inferred",
        f"{_DOMAIN} finding 1: documentary evidence lets a cautious officer point to authority",
        "Share of perceived legal risk removed by full documentary assurance.",
    ),
    Parameter(
        "bureaucracy_burden",
        0.8,
        0.0,
        2.0,
        "utility",
        "Organisation",
        "inferred",
        f"{_DOMAIN} finding 1: procedural burden channel of bureaucracy",
        "Cost per unit of partner bureaucracy (formal procedure and documentation).",
    ),
    Parameter(
        "bureaucracy_assurance",
        0.6,
        0.0,
        1.0,
        "fraction",
        "Organisation",
        "inferred",
        f"{_DOMAIN} finding 1: documentary assurance channel of bureaucracy",
        "Documentary assurance gained per unit of partner bureaucracy.",
    ),
    Parameter(
        "workload_cost",
        0.3,
        0.0,
        1.5,
        "utility",
        "Organisation",
        "assumed",
        f"{_DOMAIN} Organisation category: workload",
        "Cost per unit of relative workload (cases per staff against the partnership mean).",
    ),
    Parameter(
        "training_relief",
        0.5,
        0.0,
        1.5,
        "utility",
        "Individual",
        "assumed",
        "Modelling choice: trained staff find recording cheaper",
        "Cost removed for a trained member of staff.",
    ),
    Parameter(
        "colocation_trust",
        0.5,
        0.0,
        1.0,
        "fraction",
        "Organisation",
        "inferred",
        f"{_DOMAIN} Organisation category and P7: co-location rated most effective; "
        "trust (Individual category)",
        "Share of perceived legal risk removed while staff are co-located with partner staff.",
    ),
    Parameter(
        "colocation_chasing",
        1.5,
        0.0,
        3.0,
        "utility",
        "Organisation",
        "inferred",
        f"{_DOMAIN} P7 and P13: co-located partner staff chase missing updates face to face",
        "Motivation per unit of partners' recording share while staff are co-located with them.",
    ),
    # --- learning and feedback ----------------------------------------------------------
    Parameter(
        "attitude_learning_rate",
        0.05,
        0.005,
        0.2,
        "1/week",
        "Individual",
        "assumed",
        "Modelling choice: attitude follows the benefit staff see",
        "Weekly rate at which attitude moves toward the partners' recording share seen.",
    ),
    Parameter(
        "habit_learning_rate",
        0.05,
        0.005,
        0.2,
        "1/week",
        "Individual",
        "assumed",
        "Modelling choice: habit grows with use and decays without it",
        "Weekly rate at which habit moves toward the own recording share.",
    ),
    Parameter(
        "buy_in_adjustment_rate",
        0.03,
        0.005,
        0.1,
        "1/week",
        "Organisation",
        "assumed",
        "Modelling choice: partner buy-in follows realised benefit and involvement",
        "Weekly rate at which partner buy-in moves toward its target.",
    ),
    Parameter(
        "involvement_weight",
        0.5,
        0.0,
        1.0,
        "fraction",
        "Organisation",
        "inferred",
        f"{_DOMAIN} finding 2: buy-in and involvement in the project",
        "Weight of project involvement (against realised benefit) in target buy-in.",
    ),
    Parameter(
        "delay_erosion",
        0.004,
        0.0,
        0.02,
        "1/week",
        "Project",
        "inferred",
        f"{_DOMAIN} P8: long delivery delays eroded the benefit partners saw",
        "Weekly loss of buy-in while a partner waits to go live after the project starts.",
    ),
    Parameter(
        "turnover_rate",
        0.003,
        0.0,
        0.01,
        "1/week",
        "Organisation",
        "assumed",
        "Modelling choice: about 15% of staff a year replaced by untrained newcomers",
        "Weekly probability that a member of staff leaves and is replaced.",
    ),
    Parameter(
        "attitude_mean",
        0.5,
        0.2,
        0.8,
        "fraction",
        "Individual",
        "assumed",
        "Modelling choice: no survey of staff attitudes exists",
        "Mean attitude to sharing of a newly arrived member of staff.",
    ),
    Parameter(
        "attitude_spread",
        0.15,
        0.02,
        0.3,
        "fraction",
        "Individual",
        "assumed",
        "Modelling choice: no survey of staff attitudes exists",
        "Standard deviation of newcomers' attitude to sharing.",
    ),
    Parameter(
        "prior_use_habit",
        0.8,
        0.3,
        1.0,
        "fraction",
        "Individual",
        "external",
        f"{_DOMAIN} P9: Charnwood had four to five years of use before the project",
        "Initial habit of staff at partners that used the system before the project.",
    ),
    Parameter(
        "caseload_scale",
        1.0,
        0.5,
        2.0,
        "factor",
        "Organisation",
        "assumed",
        f"{_DOMAIN} missing numbers: per-partner caseloads are orders of magnitude only",
        "Multiplier on every partner's weekly ASB caseload.",
    ),
    # --- interfaces ---------------------------------------------------------------------
    Parameter(
        "interface_consider_rate",
        0.0005,
        0.0,
        0.05,
        "1/week",
        "Technology",
        "inferred",
        f"{_DOMAIN} P3: in 2012 only 4 of 11 partners were considering an interface",
        "Weekly probability that a live partner starts scoping an interface unprompted.",
    ),
    Parameter(
        "interface_success_pull",
        0.0028,
        0.0,
        0.005,
        "1/week per interface-week",
        "Technology",
        "inferred",
        f"{_DOMAIN} P12: the success of the Melton and Charnwood interfaces prompted "
        "partners to scope theirs",
        "Weekly hazard of scoping and of deciding per interface-week of working interfaces "
        "seen elsewhere.",
    ),
    Parameter(
        "evaluation_decide_rate",
        0.25,
        0.0,
        0.5,
        "1/week",
        "Project",
        "inferred",
        f"{_DOMAIN} Project phases and P10: by early 2014 the partners had decided, "
        "one way or the other",
        "Extra weekly probability that a live partner without a decision decides during "
        "the Evaluation phase.",
    ),
    Parameter(
        "interface_buy_in_threshold",
        0.22,
        0.2,
        0.9,
        "fraction",
        "Technology",
        "assumed",
        f"{_DOMAIN} P4 and P8: only committed partners invest in an interface, and delays "
        "they see erode its value",
        "Buy-in, discounted by the delays a partner sees, at or above which a deciding partner "
        "builds an interface (below it, it declines).",
    ),
    Parameter(
        "interface_value_half_life",
        52.0,
        13.0,
        156.0,
        "weeks",
        "Project",
        "inferred",
        f"{_DOMAIN} P8 and P11: long delays eroded the benefit partners expected from an interface",
        "Wait after which an interface still to come is worth half as much to its partner.",
    ),
    Parameter(
        "workaround_rate",
        1.0,
        0.0,
        1.0,
        "1/week",
        "Process",
        "inferred",
        f"{_DOMAIN} P11: two partners waiting for their interfaces found manual workarounds",
        "Weekly probability that a partner waiting for its interface settles on a manual "
        "workaround, times the share of the interface's value the wait has eroded.",
    ),
    Parameter(
        "workaround_relief",
        0.5,
        0.0,
        1.0,
        "fraction",
        "Process",
        "assumed",
        f"{_DOMAIN} P11: manual workarounds for the missing data (their effect on "
        "re-keying not stated)",
        "Share of the double keying cost a manual workaround removes.",
    ),
    Parameter(
        "control_priority",
        0.1,
        0.0,
        0.9,
        "fraction",
        "Organisation",
        "inferred",
        f"{_DOMAIN} P15: the police used funding control to get their changes prioritised; "
        "the supplier was contracted to Charnwood",
        "Share of the interface's delivery time, and of the delays it sees, spared to a "
        "partner with funding or contract control.",
    ),
    Parameter(
        "interface_build_weeks",
        104.0,
        8.0,
        130.0,
        "weeks",
        "Project",
        "inferred",
        f"{_DOMAIN} P8 and P11: long delivery delays; interfaces decided in 2012 not live in 2014",
        "Mean time from deciding to build an interface to it going live.",
    ),
    # --- what sharing buys (outputs only: they change no decision) ------------------------
    Parameter(
        "pre_system_latency_days",
        30.0,
        14.0,
        45.0,
        "days",
        "Process",
        "stated",
        f"{_DOMAIN} P13: before the system a partner waited about a month for information",
        "Days until partners learn of a case that is not on the system and not chased.",
        output_only=True,
    ),
    Parameter(
        "chase_latency_days",
        5.0,
        1.0,
        7.0,
        "days",
        "Process",
        "stated",
        f"{_DOMAIN} P13: partners chased each other within the week when updates were missing",
        "Days until partners learn of a case that is not on the system but is chased.",
        output_only=True,
    ),
    Parameter(
        "system_latency_days",
        0.0,
        0.0,
        1.0,
        "days",
        "Process",
        "stated",
        f"{_DOMAIN} P13: with the system information arrived the same day",
        "Days until partners learn of a case recorded on the shared system.",
        output_only=True,
    ),
    Parameter(
        "email_minutes",
        30.0,
        10.0,
        60.0,
        "minutes/case",
        "Process",
        "inferred",
        f"{_DOMAIN} P5: up to 2 hours a day of e-mails saved by an integrated partner "
        "(at 12 to 20 cases a week)",
        "Staff time to share a case with partners by e-mail and telephone (the pre-system route).",
        output_only=True,
    ),
    Parameter(
        "double_keying_minutes",
        10.0,
        3.0,
        30.0,
        "minutes/case",
        "Process",
        "assumed",
        f"{_DOMAIN} Process category: double keying where no interface exists (time not stated)",
        "Staff time to enter a case on the shared system as well as on the partner's own system.",
        output_only=True,
    ),
    Parameter(
        "workaround_minutes",
        5.0,
        1.0,
        20.0,
        "minutes/case",
        "Process",
        "assumed",
        f"{_DOMAIN} P11: manual workarounds for the missing data (time not stated)",
        "Staff time per recorded case of a manual workaround (replaces double keying).",
        output_only=True,
    ),
    Parameter(
        "chase_minutes",
        15.0,
        5.0,
        30.0,
        "minutes/case",
        "Process",
        "assumed",
        f"{_DOMAIN} P13: partners chased each other when updates were missing (time not stated)",
        "Staff time of chaser and chased for one missing update.",
        output_only=True,
    ),
)

PARAMETERS: Mapping[str, Parameter] = MappingProxyType({p.name: p for p in _REGISTRY})
"""Every parameter by name, in registry order."""


def defaults() -> dict[str, float]:
    """Return the default value of every parameter."""
    return {name: p.default for name, p in PARAMETERS.items()}


def uncertain_parameters() -> tuple[Parameter, ...]:
    """Return the parameters that sensitivity analysis and calibration treat as uncertain."""
    return tuple(p for p in PARAMETERS.values() if p.uncertain)


def check_value(name: str, value: object, where: str = "") -> float:
    """Return ``value`` as a float if it is a valid value of parameter ``name``.

    Raises
    ------
    ParameterError
        With one message naming the parameter, the value and the problem.
    """
    prefix = f"{where}: " if where else ""
    param = PARAMETERS.get(name)
    if param is None:
        suggestion = did_you_mean(name, PARAMETERS)
        raise ParameterError(f"{prefix}unknown parameter {name!r}{suggestion}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(
            f"{prefix}parameter {name!r} must be a number, got {type(value).__name__} {value!r}"
        )
    number = float(value)
    if not math.isfinite(number):
        raise ParameterError(f"{prefix}parameter {name!r} must be finite, got {number}")
    if not param.low <= number <= param.high:
        raise ParameterError(
            f"{prefix}parameter {name!r} = {number:g} is outside its range "
            f"[{param.low:g}, {param.high:g}] {param.unit}"
        )
    return number


def resolve(overrides: Mapping[str, object] | None = None, where: str = "") -> dict[str, float]:
    """Return a full parameter set: defaults with ``overrides`` checked and applied."""
    values = defaults()
    for name, value in (overrides or {}).items():
        values[name] = check_value(name, value, where)
    return values


def parameter_table() -> str:
    """Write the registry as a Markdown table (``docs/ODD.md`` embeds it; a test checks it)."""
    lines = [
        "| name | default | range | unit | category | provenance | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in PARAMETERS.values():
        lines.append(
            f"| `{p.name}` | {p.default:g} | {p.low:g} – {p.high:g} | {p.unit} | {p.category} "
            f"| {p.provenance} | {p.source} |"
        )
    return "\n".join(lines)
