"""The PettingZoo wrappers of the package's AEC environments.

The raw environments check every action themselves (a ``ValueError`` naming the agent, its
space and the action), so PettingZoo's ``AssertOutOfBoundsWrapper`` (a bare
``AssertionError``) is not used; the order check raises the package's ``ResetNeeded`` (a
``RuntimeError``) instead of an ``AssertionError``.
"""

from __future__ import annotations

from typing import Any

from pettingzoo import AECEnv
from pettingzoo.utils import wrappers

from persuasion_env.envs._common import ResetNeeded

__all__ = ["wrap"]


class _OrderEnforcing(wrappers.OrderEnforcingWrapper):
    """PettingZoo's order check with an error that says what to do."""

    def step(self, action: Any) -> None:
        if not self._has_reset:
            name = self.env.metadata.get("name", type(self.env).__name__)
            raise ResetNeeded(f"{name}: call reset() before step()")
        super().step(action)


def wrap(env: AECEnv) -> AECEnv:
    """``env`` with the order check (step/observe/render before reset)."""
    return _OrderEnforcing(env)
