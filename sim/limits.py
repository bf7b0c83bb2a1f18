"""How big an input may be: every size limit the model's inputs are checked against.

Each limit keeps an input within what one machine can hold and a run can finish, with wide
room above anything the evidence describes; every loader checks its input against these before
any work starts, and a value beyond one is one line naming the file, the field and the limit
(``docs/reliability.md`` lists them). Ranges that belong to a method's meaning rather than to
a machine (Morris levels, a Sobol confidence level, a parameter's registry range) stay with
the method or the registry.

Figures quoted below are from ``README.md`` (Performance): the Sentinel replay has 11
partners and 229 staff over 156 weeks, one run takes about 2.2 ms, and a sweep on two workers
does about 850 runs a second.
"""

from __future__ import annotations

from datetime import date

# --- files --------------------------------------------------------------------------------

MAX_FILE_BYTES = 16 * 2**20
"""Largest input file read (16 MiB). The largest shipped input, the calibrated scenario's
posterior table, is 75 kB; a file bigger than this is not an input written by hand or by
``sharesim calibrate``, and reading it whole could exhaust memory."""

MAX_NESTING = 32
"""Deepest nesting of tables and arrays in a TOML file. The deepest any format uses is four
(``posterior.sets``: the document, its table, the array of sets, a set); Python's TOML reader
recurses once per level and fails near a thousand."""

# --- scenarios ----------------------------------------------------------------------------

MAX_PARTNERS = 200
"""Most partner agencies in a scenario. Every run keeps each partner's view of every other
(partners squared, per run of a batch), so memory grows with the square; 200 is eighteen
times the 11 partners of Sentinel and more than any English county's community safety
partnership."""

MAX_STAFF = 100_000
"""Most staff positions in one partner. The largest police force in England (the Met) has
about 34,000 officers; every position is an agent with its own state in every run."""

MAX_TOTAL_STAFF = 200_000
"""Most staff positions in a scenario, counting each partner at the top of its range. The
engine holds several numbers per position per run of a batch (a batch of 32 runs at this size
is about 300 MB) and a run's time grows with positions times weeks: about 10 s a run here,
against 2.2 ms for the replay's 229 positions."""

MAX_CASELOAD = 100_000.0
"""Most ASB cases a partner handles per week. The police in England and Wales recorded at most
about three million ASB incidents a year in the 2010s (under 60,000 a week) across every
force, so one partner's share is far below this; cases are drawn per member of staff from a
Poisson law whose mean must stay small enough for its sampler and for whole-number counts
over a run."""

MAX_WEEKS = 1040
"""Longest run, in weeks (20 years). Every run stores each partner's weekly state; twenty
years is far longer than any information-sharing project the evidence describes (Sentinel's
was three)."""

MAX_EVENTS = 10_000
"""Most events in a scenario's timeline (the replay has 11). Each ranged event adds inputs
to the scenario, and every design over the scenario carries one column per input."""

EARLIEST_START = date(1900, 1, 1)
"""Earliest start date: nothing the model describes (shared case systems) existed before."""

LATEST_START = date(2200, 1, 1)
"""Latest start date: far enough ahead for any plan, and far from the end of the calendar
(the year 9999), so the last week of the longest run is a date that can be written."""

# --- experiments and designs --------------------------------------------------------------

MAX_SEED = 2**63 - 1
"""Largest seed. NumPy takes a seed of any size, but manifests and tables store seeds as
64-bit integers for the tools that read them, and 63 bits are more streams than any study
uses."""

MAX_REPLICATES = 1_000_000
"""Most replicates an experiment asks for per scenario and design row."""

MAX_GRID_POINTS = 10_000
"""Most evenly spaced values of one input in a grid design (``points``)."""

MAX_DESIGN_ROWS = 1_000_000
"""Most rows of a design (grid, Latin hypercube, Sobol, Morris, list). A sweep's identity
stores every row; the largest shipped design (the grouped Sobol analysis) has 8,192."""

MAX_DESIGN_VALUES = 20_000_000
"""Most values in a design (rows times inputs): 160 MB as numbers, and the sweep's manifest
stores each as text. The grouped Sobol design of the replay holds about a million."""

CONFIRM_RUNS_ABOVE = 1_000_000
"""Most model runs an experiment, sensitivity analysis or calibration starts without being
told to go ahead (``--yes`` on the command line, ``force=True`` in Python). A million runs of
the replay take about 20 minutes on two workers, 24 times the largest shipped experiment
(40,960 runs): more than this is much more likely a slip of a digit than a plan."""

MAX_RUNS = 10_000_000
"""Most model runs of one experiment, analysis or calibration even when told to go ahead. A
sweep keeps one 32-character key per run in memory to resume exactly (about 1 GB at this
size); split a larger study into several."""


def runs_problem(runs: int, force: bool, counted: str = "") -> str | None:
    """Return why ``runs`` model runs may not start, or None when they may.

    Parameters
    ----------
    runs : int
        The runs planned (an upper bound where a method may stop early).
    force : bool
        The user said to go ahead (``--yes`` or ``force=True``); lifts
        :data:`CONFIRM_RUNS_ABOVE` but not :data:`MAX_RUNS`.
    counted : str
        How ``runs`` was counted (``"3 scenarios x 10 rows x 5 replicates"``), shown first.
    """
    total = f"{counted} = {runs:,} runs" if counted else f"{runs:,} runs"
    if runs > MAX_RUNS:
        return f"{total}, more than the {MAX_RUNS:,} one study may run; split it"
    if runs > CONFIRM_RUNS_ABOVE and not force:
        return (
            f"{total}, more than {CONFIRM_RUNS_ABOVE:,}; if that is meant, run again with "
            "--yes (force=True in Python)"
        )
    return None


def design_problem(rows: int, inputs: int) -> str | None:
    """Return why a design of ``rows`` rows over ``inputs`` inputs is too big, or None."""
    if rows > MAX_DESIGN_ROWS:
        return f"{rows:,} design rows, more than the {MAX_DESIGN_ROWS:,} a design may have"
    if rows * inputs > MAX_DESIGN_VALUES:
        return (
            f"{rows:,} design rows x {inputs:,} inputs = {rows * inputs:,} values, more than "
            f"the {MAX_DESIGN_VALUES:,} a design may hold"
        )
    return None
