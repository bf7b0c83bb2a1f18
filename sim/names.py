"""The one rule that turns a partner's name into the form input and metric names use."""

from __future__ import annotations

import re


def slug(name: str) -> str:
    """Lower-case name with every run of other characters as one ``_`` (``Hinckley & Bosworth``
    -> ``hinckley_bosworth``): the form partner names take in metric and input names."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
