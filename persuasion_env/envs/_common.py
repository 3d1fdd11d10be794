"""Checks shared by every environment of the package (Gymnasium and PettingZoo)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def check_render_mode(render_mode: str | None, modes: Sequence[str]) -> str | None:
    """``render_mode`` if it is ``None`` or one of ``modes``; otherwise a ``ValueError``."""
    if render_mode is not None and render_mode not in modes:
        raise ValueError(f"render_mode must be one of {list(modes)} or None, got {render_mode!r}")
    return render_mode


def game_option(options: Mapping[str, Any] | None) -> Any:
    """The ``game`` entry of ``reset(options=...)`` (``None`` if absent); other keys are
    rejected by name."""
    if not options:
        return None
    unknown = set(options) - {"game"}
    if unknown:
        raise ValueError(f"unknown reset option(s) {sorted(unknown)}; accepted: ['game']")
    return options.get("game")
