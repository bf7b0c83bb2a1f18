"""Pages of the project's reports: a Markdown document rendered as one standalone HTML page.

Every report and brief (a scenario's runs, a sensitivity analysis, a calibration) is written
once, in Markdown, and rendered here, so they all read alike.
"""

from __future__ import annotations

import html

from markdown_it import MarkdownIt


def html_page(markdown: str, title: str) -> str:
    """Render a Markdown document (CommonMark with tables) as a standalone HTML page."""
    body = MarkdownIt("commonmark").enable("table").render(markdown)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em;"
        "line-height:1.45}table{border-collapse:collapse;font-size:90%}td,th{padding:.2em .6em;"
        "border-bottom:1px solid #ccc;text-align:right}img{max-width:100%}</style></head><body>"
        f"{body}</body></html>"
    )
