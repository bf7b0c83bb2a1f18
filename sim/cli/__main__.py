"""``python -m sim.cli``: the same as the ``sharesim`` command."""

from sim.cli import main

main()
