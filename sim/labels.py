"""Labels beside the points of a scatter plot, never over another label or another point.

Each label tries a few places around its point, nearest first, and takes the first that
overlaps no label placed before it, no marker and nothing outside the axes; a label with no
free place is left out (the caller says so, and the full table has it). Labels are placed
after the figure's layout is settled and take no part in it, so they stay where they were
put when the figure is saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

Across = Literal["left", "center", "right"]
Up = Literal["bottom", "center", "top"]

# (dx, dy) in points from the point, and the alignment that puts the text on that side.
_PLACES: tuple[tuple[float, float, Across, Up], ...] = (
    (5, 3, "left", "bottom"),
    (5, -3, "left", "top"),
    (-5, 3, "right", "bottom"),
    (-5, -3, "right", "top"),
    (0, 7, "center", "bottom"),
    (0, -7, "center", "top"),
    (12, 10, "left", "bottom"),
    (12, -10, "left", "top"),
    (-12, 10, "right", "bottom"),
    (-12, -10, "right", "top"),
)


def _clear(box: Bbox, taken: Sequence[Bbox], inside: Bbox) -> bool:
    if box.x0 < inside.x0 or box.x1 > inside.x1 or box.y0 < inside.y0 or box.y1 > inside.y1:
        return False
    return not any(box.overlaps(other) for other in taken)


def label_points(
    ax: Axes,
    x: Sequence[float],
    y: Sequence[float],
    texts: Sequence[str],
    *,
    marker_points: float = 3.5,
    fontsize: float = 7.0,
) -> int:
    """Label the points ``(x, y)`` of ``ax`` with ``texts``, in order of importance.

    Parameters
    ----------
    ax : Axes
        The axes the points are drawn on (its figure's layout is run first).
    x, y : sequence of float
        The points, in data coordinates; every point of the axes that a label must not
        cover should be among them (unlabelled ones have an empty text).
    texts : sequence of str
        One label per point; an empty one is not drawn.
    marker_points : float
        The markers' radius in points (a label keeps off it).
    fontsize : float
        The labels' size.

    Returns
    -------
    int
        How many labels were drawn (the others had no free place).
    """
    figure = ax.figure if isinstance(ax.figure, Figure) else ax.figure.figure
    figure.draw_without_rendering()
    scale = figure.dpi / 72.0
    centres = ax.transData.transform(np.column_stack([x, y]))
    radius = marker_points * scale
    taken = [
        Bbox.from_bounds(cx - radius, cy - radius, 2 * radius, 2 * radius) for cx, cy in centres
    ]
    inside = ax.get_window_extent()
    drawn = 0
    for (px, py), text in zip(zip(x, y, strict=True), texts, strict=True):
        if not text:
            continue
        label = ax.annotate(
            text, (px, py), xytext=(0, 0), textcoords="offset points", fontsize=fontsize
        )
        label.set_in_layout(False)
        for dx, dy, ha, va in _PLACES:
            label.set_position((dx, dy))
            label.set_horizontalalignment(ha)
            label.set_verticalalignment(va)
            box = label.get_window_extent()
            if _clear(box, taken, inside):
                taken.append(box)
                drawn += 1
                break
        else:
            label.remove()
    return drawn
