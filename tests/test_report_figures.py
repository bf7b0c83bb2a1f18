"""The report's figures: the per-partner panel figures drawn on one reused grid are exactly
the figures drawn one by one."""

import io

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from sim.run import run
from sim.run_report import DPI, FIGURES, PANELS, write_figures
from sim.scenarios import Scenario


def _pixels(source) -> np.ndarray:
    return np.asarray(Image.open(source))


def _alone(figure) -> np.ndarray:
    buffer = io.BytesIO()
    figure.savefig(buffer, dpi=DPI, format="png")
    plt.close(figure)
    return _pixels(buffer)


def test_panels_on_a_reused_grid_are_the_figures_drawn_alone(tmp_path):
    result = run(Scenario.load("sentinel_replay"), seed=3, replicates=4)
    before = set(plt.get_fignums())
    paths = write_figures(result, tmp_path)
    assert list(paths) == list(FIGURES)
    assert set(plt.get_fignums()) == before  # every figure it drew is closed
    for name in PANELS:
        alone = _alone(FIGURES[name](result))
        assert np.array_equal(_pixels(paths[name]), alone), name
    # Negative control: the two panel figures differ, so equality above is not vacuous.
    assert not np.array_equal(_pixels(paths["share"]), _pixels(paths["buy_in"]))
