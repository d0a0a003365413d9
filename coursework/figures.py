"""The reading's figures, drawn by the project as inline SVG."""
from __future__ import annotations

from html import escape

# The 4 x 4 example image from the reading: a small "L" shape in purple on white.
FLATTEN_EXAMPLE = [
    [0, 1, 0, 0],
    [0, 1, 0, 0],
    [0, 1, 0, 0],
    [0, 1, 1, 0],
]


def network_svg(layers=(4, 5, 5, 2), labels=("input layer", "hidden layers", "", "output layer")) -> str:
    """A small fully connected network: circles for nodes, lines for weighted connections."""
    width, height, radius = 520, 300, 13
    xs = [60 + i * (width - 120) / (len(layers) - 1) for i in range(len(layers))]

    def ys(n):
        gap = (height - 80) / max(n, 1)
        return [40 + gap * (k + 0.5) for k in range(n)]

    parts = [f'<svg class="figure" viewBox="0 0 {width} {height}" role="img" aria-labelledby="fig-net-title" '
             f'xmlns="http://www.w3.org/2000/svg"><title id="fig-net-title">A neural network with an input layer of '
             f'{layers[0]} nodes, {len(layers) - 2} hidden layers and an output layer of {layers[-1]} nodes; every node '
             'is connected to every node of the next layer.</title>']
    for i in range(len(layers) - 1):
        for y1 in ys(layers[i]):
            for y2 in ys(layers[i + 1]):
                parts.append(f'<line x1="{xs[i]:.0f}" y1="{y1:.0f}" x2="{xs[i + 1]:.0f}" y2="{y2:.0f}" stroke="#b8c4dc" stroke-width="1"/>')
    colours = ["#2856b6"] + ["#7a5cc4"] * (len(layers) - 2) + ["#1a7f37"]
    for i, n in enumerate(layers):
        for y in ys(n):
            parts.append(f'<circle cx="{xs[i]:.0f}" cy="{y:.0f}" r="{radius}" fill="{colours[i]}"/>')
    for i, label in enumerate(labels):
        if label:
            x = (xs[1] + xs[2]) / 2 if label == "hidden layers" else xs[i]
            parts.append(f'<text x="{x:.0f}" y="{height - 12}" text-anchor="middle" font-size="14" fill="#333">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def flatten_svg(image=FLATTEN_EXAMPLE) -> str:
    """A 4 x 4 image, its pixel values, and the 16-number vector it becomes, row after row."""
    cell, n = 34, len(image)
    vector = [v for row in image for v in row]
    width, height = 40 + n * cell + 60 + len(vector) * 30, 40 + n * cell + 60
    parts = [f'<svg class="figure" viewBox="0 0 {width} {height}" role="img" aria-labelledby="fig-flat-title" '
             'xmlns="http://www.w3.org/2000/svg"><title id="fig-flat-title">A 4 by 4 image whose coloured pixels are 1 '
             'and white pixels are 0, flattened row by row into a vector of 16 numbers: '
             f'{escape(", ".join(map(str, vector)))}.</title>']
    for r, row in enumerate(image):
        for c, value in enumerate(row):
            x, y = 20 + c * cell, 30 + r * cell
            parts.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{"#7a5cc4" if value else "#ffffff"}" stroke="#999"/>')
            parts.append(f'<text x="{x + cell / 2}" y="{y + cell / 2 + 5}" text-anchor="middle" font-size="14" '
                         f'fill="{"#fff" if value else "#333"}">{value}</text>')
    parts.append('<text x="20" y="20" font-size="13" fill="#333">4 × 4 image (pixel values)</text>')
    vx, vy = 20 + n * cell + 50, 30
    parts.append(f'<text x="{vx}" y="20" font-size="13" fill="#333">the same image as one vector (row 1, then row 2, …)</text>')
    for k, value in enumerate(vector):
        x = vx + k * 30
        parts.append(f'<rect x="{x}" y="{vy}" width="28" height="28" fill="{"#7a5cc4" if value else "#ffffff"}" stroke="#999"/>')
        parts.append(f'<text x="{x + 14}" y="{vy + 19}" text-anchor="middle" font-size="13" fill="{"#fff" if value else "#333"}">{value}</text>')
        parts.append(f'<text x="{x + 14}" y="{vy + 46}" text-anchor="middle" font-size="10" fill="#666">{k + 1}</text>')
    parts.append(f'<line x1="{20 + n * cell + 8}" y1="{30 + 2 * cell}" x2="{vx - 8}" y2="{vy + 14}" stroke="#333" marker-end="url(#arrow)"/>')
    parts.append('<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="6" refY="3" orient="auto">'
                 '<path d="M0,0 L6,3 L0,6 z" fill="#333"/></marker></defs>')
    parts.append("</svg>")
    return "".join(parts)


FIGURES = {"network": network_svg, "flatten": flatten_svg}
