"""A small run from the command line: ``sharesim run sentinel_replay --replicates 1``, warm.

Where the CPU time of the command goes, and how much of it writing the run's report takes.

Run: ``.venv/bin/python benchmarks/bench_run_command.py [--runs N]`` (or ``make bench``).
Prints a table and writes ``results/benchmarks/run_command.json``. CPU time, never wall time:
the machine is shared.

Figures
-------
command_cpu_seconds
    User and system CPU time of the whole command (a new process each time, interpreter start
    and exit included), over ``runs`` runs after one to warm numba's cache: min, median, max.
parts_cpu_seconds
    The same command's CPU time inside its process by part, the median over ``runs`` other
    processes: imports (the command line's; the run's: pandas, numba; the report's own:
    matplotlib, markdown), the run (loading the scenario included), the folder's tables and
    manifest, its figures and its report text (Markdown and HTML), and the rest (printing the
    summary).
report_cpu_seconds, report_share
    Writing the report (tables, manifest, figures, text) and its share of the command's median
    CPU time; ``report_with_imports_share`` counts the report's own imports too.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

ARGS = ("run", "sentinel_replay", "--replicates", "1")
PARTS = (
    "imports_cli",
    "imports_run",
    "imports_report",
    "run",
    "tables_and_manifest",
    "figures",
    "report_text",
    "rest",
)


def _command_cpu(out: Path) -> tuple[float, float]:
    """Run the command once in a new process; return its CPU seconds and peak memory (MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "sim.cli", *ARGS, "--out", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu, after.ru_maxrss / 1024


@contextmanager
def _timed(targets: list[tuple[str, str, str]], spent: dict[str, float]) -> Iterator[None]:
    """Add the CPU time of each ``(module, function, key)`` call to ``spent[key]``."""

    def timing(original: Callable[..., Any], key: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[key] += time.process_time() - start

        return call

    with ExitStack() as stack:
        for module_name, name, key in targets:
            module = importlib.import_module(module_name)
            stack.enter_context(mock.patch.object(module, name, timing(getattr(module, name), key)))
        yield


def parts(out: Path) -> dict[str, float]:
    """Time the command's parts in this process (it must not have imported sim yet)."""
    clock = time.process_time
    started = clock()
    import sim.cli

    cli = clock()
    importlib.import_module("sim.metrics")
    importlib.import_module("sim.run")
    run_imports = clock()
    importlib.import_module("sim.run_folder")
    report_imports = clock()
    spent: dict[str, float] = defaultdict(float)
    targets = [
        ("sim.run", "run", "run"),
        ("sim.cli.scenarios", "_load", "load"),
        ("sim.run_folder", "write_run_folder", "folder"),
        ("sim.run_folder", "write_report", "report"),
        ("sim.run_report", "write_figures", "figures"),
    ]
    with _timed(targets, spent):
        sim.cli.main([*ARGS, "--out", str(out)])
    whole = clock() - report_imports
    return {
        "imports_cli": cli - started,
        "imports_run": run_imports - cli,
        "imports_report": report_imports - run_imports,
        "run": spent["load"] + spent["run"],
        "tables_and_manifest": spent["folder"] - spent["report"],
        "figures": spent["figures"],
        "report_text": spent["report"] - spent["figures"],
        "rest": whole - spent["load"] - spent["run"] - spent["folder"],
    }


def _parts_in_new_process(out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--parts", str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each measurement")
    parser.add_argument("--parts", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.parts is not None:
        print(json.dumps(parts(options.parts)))
        return 0
    # Imported only here: it loads part of sim, which the parts' process times itself.
    from record import record

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run"
        _command_cpu(out)  # numba's cache, the file system's
        measured = [_command_cpu(out) for _ in range(options.runs)]
        split = [_parts_in_new_process(out) for _ in range(options.runs)]
    command = [cpu for cpu, _ in measured]
    median = {part: round(statistics.median(s[part] for s in split), 3) for part in PARTS}
    report = median["tables_and_manifest"] + median["figures"] + median["report_text"]
    typical = statistics.median(command)
    record(
        "run_command",
        {
            "command": "sharesim " + " ".join(ARGS),
            "runs": options.runs,
            "command_cpu_seconds": _spread(command),
            "peak_memory_mib": round(max(peak for _, peak in measured)),
            "parts_cpu_seconds": median,
            "report_cpu_seconds": round(report, 3),
            "report_share": round(report / typical, 3),
            "report_with_imports_share": round((report + median["imports_report"]) / typical, 3),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
