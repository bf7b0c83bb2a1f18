"""Print the effects table of docs/scenarios.md: every shipped counterfactual against the
replay, paired on seeds, with 95% t-intervals of the paired differences.

Run: ``.venv/bin/python devtools/counterfactual_effects.py [replicates] [seed]``
(the docs' table: 200 replicates, seed 11).
"""

from __future__ import annotations

import sys

import numpy as np
from scipy import stats

from sim.metrics import interface_positions, summary_metrics
from sim.run import run
from sim.scenarios import list_scenarios

BASE = "sentinel_replay"
COLUMNS = (
    ("share_final_year", "share", "{:+.3f}", 1.0),
    ("latency_final_year", "latency (days)", "{:+.1f}", 1.0),
    ("sharing_hours_final_year", "hours on sharing / week", "{:+.0f}", 1.0),
    ("saved_hours_final_year", "hours saved / week", "{:+.0f}", 1.0),
)


def _interval(d: np.ndarray) -> tuple[float, float, float]:
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def main(replicates: int, seed: int) -> None:
    results = {}
    for name, _ in list_scenarios():
        result = run(name, seed=seed, replicates=replicates)
        metrics = summary_metrics(result.trajectory)
        positions = interface_positions(result.trajectory.interface, 65, 147)
        results[name] = (metrics, positions["both"].mean())
    base, _ = results[BASE]
    head = ["scenario"] + [f"{label}" for _, label, _, _ in COLUMNS] + ["both positions"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, (metrics, both) in results.items():
        cells = [f"`{name}`"]
        for column, _, form, _ in COLUMNS:
            value = metrics[column].mean()
            if name == BASE:
                cells.append(form.replace("+", "").format(value))
                continue
            mean, low, high = _interval(metrics[column].to_numpy() - base[column].to_numpy())
            cells.append(
                form.replace("+", "").format(value)
                + f" ({form.format(mean)} [{form.format(low)}, {form.format(high)}])"
            )
        cells.append(f"{both:.2f}")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 200,
        int(sys.argv[2]) if len(sys.argv) > 2 else 11,
    )
