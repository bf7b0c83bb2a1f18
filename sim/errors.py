"""The one family of errors that bad input raises.

Everything a user can get wrong (a scenario or experiment file, a parameter name or value, a
missing file) raises an :class:`InputError` whose message is one line naming what is wrong
and where. The command line prints that line and exits with status 2; it never shows a
traceback for them. A :class:`SweepError` (runs that cannot go on) is printed the same way,
with status 1.
"""


class InputError(ValueError):
    """Bad input from a file or a caller: one line naming what is wrong and where."""


class SweepError(RuntimeError):
    """A sweep that cannot go on (workers running other code, an executor that keeps failing).

    Results committed before it was raised stay in the folder; running the sweep again
    resumes from them.
    """
