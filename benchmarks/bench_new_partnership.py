"""A new partnership end to end: generate a 12-partner, 2,000-staff scenario from its partner
table and forecast five years with 100 replicates, drawing Sentinel's behaviour per replicate.

Run: ``.venv/bin/python benchmarks/bench_new_partnership.py`` (or ``make bench``). Prints a
table and writes ``results/benchmarks/new_partnership.json``. Target: under a minute.

Figures
-------
generate_seconds
    Reading the table, generating the scenario file and loading it (behaviour resolved).
forecast_seconds
    ``sim.run.run`` of 100 replicates of 260 weeks (this process; the first run includes
    compiling the engine's kernel if numba has no cached copy).
summary_seconds
    The per-partner summary and the partnership's metrics a report is built from.
total_seconds
    From the table to the summary; ``under_a_minute`` says whether it met the target.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from record import record

from sim.metrics import summary_metrics
from sim.run import run
from sim.scenarios import from_partner_table

WEEKS = 260
REPLICATES = 100
TARGET_SECONDS = 60.0

TABLE = """\
name,kind,staff,caseload,go_live,colocated,own_system,interface_planned,funder,contract_holder
Wealdshire Police,police,1200,900,2026-01-05 to 2026-03-30,no,force records,unknown,yes,
Wealdshire County Council,county,150,40,2026-02-02 to 2026-06-29,unknown,care system,no,,
Portmere City Council,unitary,200,160,2026-03-02,no,housing CRM,yes,,
Highcombe Council,unitary,150,120,2026-04-06 to 2026-09-28,unknown,housing CRM,unknown,,
Ashby Vale District Council,district,40,30,2026-01-05,yes,CRM,2026-07-06,,yes
Brookton District Council,district,35,25,,unknown,CRM,unknown,,
Castlegate District Council,district,40,30,2026-05-04,no,none,,,
Dunmere District Council,district,35,25,2026-02-02 to 2026-05-25,unknown,,,,
Elmstead District Council,district,40,28,,,,,,
Fenwick District Council,district,35,24,2026-06-01,2026-09-07,CRM,no,,
Greyholm District Council,district,40,30,2026-03-02 to 2026-08-31,unknown,CRM,yes,,
Hartwell District Council,district,35,26,,no,CRM,unknown,,
"""
"""A made-up county of 12 partners and 2,000 staff (some facts left blank, to be assumed)."""


def main() -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        table = Path(folder) / "partners.csv"
        table.write_text(TABLE, encoding="utf-8")
        new = from_partner_table(table, "wealdshire", weeks=WEEKS, folder=Path(folder))
    generated = time.perf_counter()
    result = run(new.scenario, seed=1, replicates=REPLICATES)
    forecast = time.perf_counter()
    summary = result.summary()
    metrics = summary_metrics(result.trajectory)
    done = time.perf_counter()
    staff = int(new.scenario.compile().partnership.staff.sum())
    total = done - started
    record(
        "new_partnership",
        {
            "partners": len(new.scenario.partner_names),
            "staff": staff,
            "weeks": WEEKS,
            "replicates": REPLICATES,
            "posterior_sets": len(new.scenario.posterior or ()),
            "generate_seconds": round(generated - started, 3),
            "forecast_seconds": round(forecast - generated, 3),
            "summary_seconds": round(done - forecast, 3),
            "total_seconds": round(total, 3),
            "under_a_minute": total < TARGET_SECONDS,
            "final_year_share": round(float(metrics["share_final_year"].mean()), 3),
            "partners_summarised": len(summary),
        },
    )
    return 0 if total < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
