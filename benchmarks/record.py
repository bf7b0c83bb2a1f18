"""How every benchmark reports: a printed table and ``results/benchmarks/<name>.json``.

Each record carries the machine's CPU count and the software environment (package versions,
git commit), so figures from different runs can be told apart.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sim.provenance import environment

FOLDER = Path("results/benchmarks")
QUIET_KEYS = frozenset({"packages", "platform"})


def record(
    name: str,
    figures: Mapping[str, Any],
    folder: Path = FOLDER,
    hide: Iterable[str] = (),
) -> Path:
    """Add the machine and software to ``figures``, write them as JSON, print them."""
    full = {**figures, "cpu_count": os.cpu_count(), **environment()}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(full, indent=2) + "\n")
    hidden = QUIET_KEYS | set(hide)
    width = max(map(len, full))
    for key, value in full.items():
        if key not in hidden:
            print(f"{key:<{width}}  {value}")
    print(f"wrote {path}")
    return path
