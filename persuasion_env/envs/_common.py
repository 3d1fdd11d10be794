"""Checks shared by every environment of the package (Gymnasium and PettingZoo)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gymnasium.error import ResetNeeded as _GymnasiumResetNeeded

from persuasion_env._validation import check_int, check_options


class ResetNeeded(_GymnasiumResetNeeded, RuntimeError):
    """``step`` before ``reset`` or after the episode ended.

    Gymnasium's :class:`gymnasium.error.ResetNeeded` and a :class:`RuntimeError` at once, so
    that either ``except`` clause catches it (the oracle environments raised ``RuntimeError``
    before the repeated ones adopted Gymnasium's class)."""


def check_render_mode(render_mode: str | None, modes: Sequence[str]) -> str | None:
    """``render_mode`` if it is ``None`` or one of ``modes``; otherwise a ``ValueError``."""
    if render_mode is not None and render_mode not in modes:
        raise ValueError(f"render_mode must be one of {list(modes)} or None, got {render_mode!r}")
    return render_mode


def game_option(options: Mapping[str, Any] | None, *, strict: bool = True) -> Any:
    """The ``game`` entry of ``reset(options=...)`` (``None`` if absent); other keys are
    rejected by name (a warning with ``strict=False``, for PettingZoo)."""
    return check_options(options, ("game",), strict=strict).get("game")


def check_seed(seed: Any) -> int | None:
    """``reset(seed=...)``: ``None`` or an integer >= 0 (NumPy integers become ``int``, which
    Gymnasium's seeding requires)."""
    return None if seed is None else check_int(seed, "seed", minimum=0)
