"""Horizontal bar charts drawn on the server as inline SVG: no script, no CDN, no style sheet
(the Content-Security-Policy allows none inline, api/perimeter.py): presentation attributes only.

A chart is drawn from the figures as published — a masked count (« < 5 ») is drawn as a dashed
bar up to the threshold, never at its true length, so the picture tells no more than the table.
"""

from collections.abc import Sequence
from html import escape

WIDTH = 720
LABEL = 90  # the category's column
VALUE = 60  # the value's column, right of the bar
BAR, GAP, TOP, BOTTOM = 18, 6, 28, 24
FILL, MASKED = "#000091", "#6a6af4"


def bar_chart(
    title: str, rows: Sequence[tuple[str, int | str]], threshold: int, chart_id: str
) -> str:
    """One bar per (category, value); a text value (masked) is drawn to `threshold`, dashed."""

    def length(value: int | str) -> int:
        return value if isinstance(value, int) else threshold

    top = max([length(v) for _, v in rows] + [threshold])
    span = WIDTH - LABEL - VALUE
    height = TOP + len(rows) * (BAR + GAP) + BOTTOM
    title_id, desc_id = f"{chart_id}-titre", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{title_id} {desc_id}" font-family="sans-serif" font-size="12">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{len(rows)} barre(s) ; les valeurs sont dans le tableau '
        f"ci-dessous. En pointillés : moins de {threshold} (effectif masqué).</desc>",
        f'<text x="0" y="16" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(rows):
        y = TOP + i * (BAR + GAP)
        w = max(1, round(span * length(value) / top))
        parts.append(
            f'<text x="{LABEL - 6}" y="{y + BAR - 5}" text-anchor="end">{escape(label)}</text>'
        )
        if isinstance(value, int):
            parts.append(f'<rect x="{LABEL}" y="{y}" width="{w}" height="{BAR}" fill="{FILL}"/>')
        else:
            parts.append(
                f'<rect x="{LABEL}" y="{y}" width="{w}" height="{BAR}" fill="none" '
                f'stroke="{MASKED}" stroke-width="2" stroke-dasharray="4 3"/>'
            )
        parts.append(f'<text x="{LABEL + w + 6}" y="{y + BAR - 5}">{escape(str(value))}</text>')
    axis = TOP + len(rows) * (BAR + GAP)
    parts += [
        f'<line x1="{LABEL}" y1="{TOP - 4}" x2="{LABEL}" y2="{axis}" stroke="#666"/>',
        f'<text x="{LABEL}" y="{axis + 16}">0</text>',
        f'<text x="{LABEL + span}" y="{axis + 16}" text-anchor="end">{top}</text>',
        "</svg>",
    ]
    return "\n".join(parts)
