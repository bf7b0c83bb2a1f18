"""Pages of the project's reports: a Markdown document rendered as one standalone HTML page.

Every report and brief (a scenario's runs, a comparison, a sweep, a sensitivity analysis, a
calibration, the one-page brief) is written once, in Markdown, and rendered here, so they all
read alike. Tables are written by :func:`markdown_table`, with the headers of
:func:`sim.names.header`.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt

if TYPE_CHECKING:
    import pandas as pd

SCREEN_CSS = (
    "body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em;"
    "line-height:1.45}table{border-collapse:collapse;font-size:90%}td,th{padding:.2em .6em;"
    "border-bottom:1px solid #ccc;text-align:right}td:first-child,th:first-child{text-align:left}"
    "img{max-width:100%}"
)

ONE_PAGE_CSS = (
    "body{font-family:sans-serif;max-width:48em;margin:1.5em auto;padding:0 1em;"
    "line-height:1.35;font-size:11pt}h1{font-size:1.45em;margin:.2em 0 .4em}"
    "h2{font-size:1.05em;margin:.9em 0 .25em;border-bottom:1px solid #bbb}"
    "p,ul{margin:.25em 0}li{margin:.1em 0}table{border-collapse:collapse;font-size:90%}"
    "td,th{padding:.1em .5em;border-bottom:1px solid #ccc;text-align:right}"
    "td:first-child,th:first-child{text-align:left}img{max-width:100%;max-height:62mm}"
    "blockquote{margin:.4em 0;padding:.3em .8em;border-left:4px solid #0072B2;"
    "background:#f3f7fb;font-size:1.05em}"
    "@page{size:A4;margin:11mm 12mm}"
    "@media print{body{max-width:none;margin:0;padding:0;font-size:8.6pt}"
    "img{max-height:55mm}h2{break-after:avoid}}"
)
"""A page meant to be printed on one A4 sheet: compact type, a bounded figure, A4 margins."""


def html_page(markdown: str, title: str, *, one_page: bool = False) -> str:
    """Render a Markdown document (CommonMark with tables) as a standalone HTML page.

    ``one_page`` styles it to print on one A4 sheet (the brief).
    """
    body = MarkdownIt("commonmark").enable("table").render(markdown)
    css = ONE_PAGE_CSS if one_page else SCREEN_CSS
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{css}</style></head><body>"
        f"{body}</body></html>"
    )


def markdown_table(frame: pd.DataFrame, *, index: bool = False) -> str:
    """``frame`` as a Markdown table.

    Its column names as headers (give them as readers should see them), every cell as text (format
    numbers before), ``|`` in a cell written as ``/``.
    """
    shown = frame.reset_index() if index else frame
    columns = [str(c) for c in shown.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in shown.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "/") for v in row) + " |")
    return "\n".join(lines)
