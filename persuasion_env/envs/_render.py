"""Rendering helpers shared by the persuasion environments (text and a small NumPy raster).

Both renderers take plain tables, so every environment (single-agent, vector, PettingZoo)
draws the same picture: the scheme ``pi[s, m]``, the posteriors ``p(s | m)`` and the
receiver's response ``q[m, a]``, with the last round's cells highlighted.

No plotting library is needed: :func:`render_rgb` paints the tables as heat maps into a
``uint8`` array with NumPy alone, which keeps ``render_mode="rgb_array"`` cheap enough to
record every step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from persuasion_env import bayes
from persuasion_env.game import PersuasionGame

__all__ = ["format_table", "render_ansi", "render_rgb"]

#: Pixels per table cell in :func:`render_rgb`.
CELL = 16
#: Pixels between two tables and around the picture.
GAP = 8

_WHITE = np.array([255, 255, 255], dtype=np.uint8)
_HIGHLIGHT = np.array([220, 40, 40], dtype=np.uint8)
# Heat-map colours: 0 -> light, 1 -> dark blue.
_LOW = np.array([247, 251, 255], dtype=np.float64)
_HIGH = np.array([8, 48, 107], dtype=np.float64)


def format_table(
    table: np.ndarray,
    row_names: Sequence[str],
    col_names: Sequence[str],
    title: str,
    *,
    digits: int = 3,
) -> list[str]:
    """A small fixed-width text table, one string per line."""
    width = max(digits + 3, *(len(str(c)) for c in col_names))
    label = max(len(str(r)) for r in row_names)
    lines = [title, " " * label + " " + " ".join(f"{str(c):>{width}}" for c in col_names)]
    for name, row in zip(row_names, np.asarray(table), strict=True):
        cells = " ".join(f"{float(v):>{width}.{digits}f}" for v in row)
        lines.append(f"{str(name):<{label}} {cells}")
    return lines


def render_ansi(
    header: str,
    game: PersuasionGame,
    scheme: np.ndarray,
    response: np.ndarray,
    *,
    scheme_title: str = "scheme pi(m|s)",
    response_title: str = "receiver response q(a|m)",
) -> str:
    """The text picture: a header line, then the scheme, its posteriors and the response."""
    messages = [f"m{i}" for i in range(scheme.shape[1])]
    posterior = bayes.posteriors(game.prior, scheme)
    parts = [header]
    parts += format_table(scheme, game.state_names, messages, scheme_title)
    parts += format_table(posterior, messages, game.state_names, "posteriors p(s|m)")
    parts += format_table(response, messages, game.action_names, response_title)
    return "\n".join(parts) + "\n"


def _heatmap(table: np.ndarray, highlight: tuple[int, int] | None) -> np.ndarray:
    """One table as an RGB block of ``CELL`` x ``CELL`` squares (values clipped to [0, 1])."""
    values = np.clip(np.nan_to_num(np.asarray(table, dtype=np.float64)), 0.0, 1.0)
    colours = _LOW + values[..., None] * (_HIGH - _LOW)  # (R, C, 3)
    block = np.repeat(np.repeat(colours, CELL, axis=0), CELL, axis=1).round().astype(np.uint8)
    # Thin white grid lines between cells.
    block[::CELL, :] = _WHITE
    block[:, ::CELL] = _WHITE
    if highlight is not None:
        r, c = highlight
        top, left = r * CELL, c * CELL
        cell = block[top : top + CELL, left : left + CELL]
        cell[:2, :] = _HIGHLIGHT
        cell[-2:, :] = _HIGHLIGHT
        cell[:, :2] = _HIGHLIGHT
        cell[:, -2:] = _HIGHLIGHT
    return block


def render_rgb(
    tables: Sequence[np.ndarray],
    highlights: Sequence[tuple[int, int] | None] | None = None,
    *,
    progress: float | None = None,
) -> np.ndarray:
    """Tables side by side as heat maps, an RGB ``uint8`` image of shape ``(H, W, 3)``.

    Args:
        tables: 2-D arrays with values in [0, 1] (e.g. the scheme and the response).
        highlights: per table, the ``(row, column)`` cell to outline in red, or ``None``.
        progress: optional fraction of the episode played, drawn as a bar along the bottom.
    """
    if highlights is None:
        highlights = [None] * len(tables)
    blocks = [_heatmap(t, h) for t, h in zip(tables, highlights, strict=True)]
    height = max(b.shape[0] for b in blocks) + 2 * GAP + (GAP if progress is not None else 0)
    width = sum(b.shape[1] for b in blocks) + GAP * (len(blocks) + 1)
    image = np.full((height, width, 3), 255, dtype=np.uint8)
    left = GAP
    for block in blocks:
        image[GAP : GAP + block.shape[0], left : left + block.shape[1]] = block
        left += block.shape[1] + GAP
    if progress is not None:
        filled = int(round(np.clip(progress, 0.0, 1.0) * (width - 2 * GAP)))
        image[height - GAP : height - GAP // 2, GAP : GAP + filled] = _HIGH.astype(np.uint8)
    return image
