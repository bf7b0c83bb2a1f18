"""The one-page brief.

A run, comparison, sweep, sensitivity or calibration result folder turned into the page an
analyst hands to a manager (``sharesim brief``).

The page says the question, the answer in one sentence with its interval, which levers move
sharing most (and the benefit outputs, where the result has them), the tipping points, where
an outcome of interest holds, what is assumed rather than evidenced, and how far each
conclusion holds; a screening and a sweep given together are reconciled. It prints on one A4
sheet; the full tables go to CSV beside it.

Modules, by job: ``evidence`` (what a brief says about one folder), ``readers`` (a folder of
each kind into evidence; ``calibration`` a calibration's), ``page`` (the Markdown and HTML),
``folder`` (writing it).
"""

from sim.brief.evidence import Evidence
from sim.brief.folder import KIND, brief_folder, check_brief, write_brief
from sim.brief.page import brief_markdown, reconcile
from sim.brief.readers import BriefError, read_evidence

__all__ = [
    "KIND",
    "BriefError",
    "Evidence",
    "brief_folder",
    "brief_markdown",
    "check_brief",
    "read_evidence",
    "reconcile",
    "write_brief",
]
