"""What matplotlib can tell about a figure's text once it is drawn: text cut by the edge of
the canvas, text over other text (tick labels, annotations, titles, axis labels), a legend
over text, and annotations over the markers they label."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.transforms import Bbox

SLACK = 1.0
"""Pixels two boxes may share, or stick out of the canvas, before it counts (antialiasing)."""


@contextmanager
def _recording() -> Iterator[list[tuple[Text, Bbox]]]:
    """Record every text actually drawn (visible, non-empty, inside its axes' view) with its
    box on the canvas."""
    drawn: list[tuple[Text, Bbox]] = []
    original = Text.draw

    def draw(self: Text, renderer) -> None:  # type: ignore[no-untyped-def]
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self, self.get_window_extent(renderer)))

    with mock.patch.object(Text, "draw", draw):
        yield drawn


def _overlap(a: Bbox, b: Bbox) -> bool:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width > SLACK and height > SLACK


def _name(text: Text) -> str:
    return repr(text.get_text()[:40])


def layout_problems(figure: Figure) -> list[str]:
    """Every problem of ``figure``'s text, one line each (an empty list for a clean figure)."""
    canvas = FigureCanvasAgg(figure)
    with _recording() as drawn:
        canvas.draw()
    renderer = canvas.get_renderer()
    page = figure.bbox
    problems = []
    for text, box in drawn:
        if (
            box.x0 < page.x0 - SLACK
            or box.y0 < page.y0 - SLACK
            or box.x1 > page.x1 + SLACK
            or box.y1 > page.y1 + SLACK
        ):
            problems.append(f"text {_name(text)} is cut by the edge of the figure")
    for (a, box_a), (b, box_b) in itertools.combinations(drawn, 2):
        if _overlap(box_a, box_b):
            problems.append(f"text {_name(a)} overlaps text {_name(b)}")
    legends = [artist for artist in figure.findobj(Legend) if artist.get_visible()]
    for legend in legends:
        frame = legend.get_window_extent(renderer)
        own = {id(t) for t in legend.get_texts()} | {id(legend.get_title())}
        for text, box in drawn:
            if id(text) not in own and _overlap(frame, box):
                problems.append(f"a legend covers text {_name(text)}")
    problems += _labels_over_markers(figure, drawn)
    return problems


def _labels_over_markers(figure: Figure, drawn: list[tuple[Text, Bbox]]) -> list[str]:
    """Annotations of an axes drawn over the scatter markers of the same axes."""
    problems = []
    for ax in figure.axes:
        labels = [(t, box) for t, box in drawn if t in ax.texts]
        for collection in ax.collections:
            if not isinstance(collection, PathCollection) or not labels:
                continue
            centres = collection.get_offset_transform().transform(collection.get_offsets())
            sizes = np.broadcast_to(collection.get_sizes(), (len(centres),))
            radii = np.sqrt(sizes) / 2 * figure.dpi / 72
            for text, box in labels:
                for (x, y), r in zip(centres, radii, strict=True):
                    near_x = min(max(x, box.x0), box.x1)
                    near_y = min(max(y, box.y0), box.y1)
                    if (near_x - x) ** 2 + (near_y - y) ** 2 < (r - SLACK) ** 2:
                        problems.append(f"label {_name(text)} is drawn over a marker")
                        break
    return problems
