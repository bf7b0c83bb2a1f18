"""Reading the project's input files, with every problem as one line naming the file and field.

Every kind of input file (scenarios, experiments, sensitivity experiments, calibration targets
and settings, partner and posterior tables) is read through here, so each kind reports the
same problem in the same words:

* :mod:`~sim.inputs.files`: :func:`read_text`, :func:`read_toml` and :func:`parse_toml` read a
  file: missing, a folder, a symbolic link loop, unreadable, bigger than
  ``sim.limits.MAX_FILE_BYTES``, not UTF-8 (a UTF-8 byte-order mark is allowed), not valid
  TOML (with TOML's line and column) or nested deeper than ``sim.limits.MAX_NESTING``;
* :mod:`~sim.inputs.validation`: :func:`validation_problems` turns a pydantic
  ``ValidationError`` into ``(field path, problem)`` pairs in plain words
  (``design.levels.double_keying_cost[2]``, "must be at least 0, got -3"), guided by a
  :class:`FileFormat` that says what the file's tables are;
* :mod:`~sim.inputs.error`: a problem is raised as a :class:`FileError` (an
  :class:`~sim.errors.InputError`) whose text is ``<file>: <field path>: <problem>``, plus
  "(and N more problems)" when there are further problems, each kept;
  :func:`did_you_mean` suggests the closest known name for a misspelt one.

Import the names from here: the modules are how the package is laid out, not its interface.
"""

from sim.inputs.error import (
    FileError,
    Problem,
    did_you_mean,
    one_of,
    problem_line,
    problems_below,
)
from sim.inputs.files import (
    absent,
    bracket_depth,
    file_problem,
    nesting_depth,
    parse_toml,
    read_text,
    read_toml,
)
from sim.inputs.validation import (
    PLAIN,
    FileFormat,
    describe,
    describe_value,
    field_path,
    model_tables,
    number_text,
    validation_problems,
)

__all__ = [
    "PLAIN",
    "FileError",
    "FileFormat",
    "Problem",
    "absent",
    "bracket_depth",
    "describe",
    "describe_value",
    "did_you_mean",
    "field_path",
    "file_problem",
    "model_tables",
    "nesting_depth",
    "number_text",
    "one_of",
    "parse_toml",
    "problem_line",
    "problems_below",
    "read_text",
    "read_toml",
    "validation_problems",
]
