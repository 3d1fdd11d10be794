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
from pettingzoo.utils.conversions import turn_based_aec_to_parallel_wrapper

from persuasion_env._validation import check_turn_actions
from persuasion_env.envs._common import ResetNeeded

__all__ = ["TurnBasedParallel", "wrap"]


class _OrderEnforcing(wrappers.OrderEnforcingWrapper):
    """PettingZoo's order check with an error that says what to do."""

    def step(self, action: Any) -> None:
        if not self._has_reset:
            name = self.env.metadata.get("name", type(self.env).__name__)
            raise ResetNeeded(f"{name}: call reset() before step()")
        if not self.env.agents:  # PettingZoo only warns, and the step is silently dropped
            name = self.env.metadata.get("name", type(self.env).__name__)
            raise ResetNeeded(f"{name}: the episode has ended; call reset() before step()")
        super().step(action)


class TurnBasedParallel(turn_based_aec_to_parallel_wrapper):
    """PettingZoo's ``turn_based_aec_to_parallel`` with the checks of a native parallel env.

    PettingZoo's converter indexes ``actions[agent_selection]`` and nothing else: a step before
    ``reset`` is an ``AttributeError``, a step after the end returns empty dicts, and an
    unknown agent or the waiting agent's out-of-range action pass silently. Here the same
    :func:`~persuasion_env._validation.check_turn_actions` as ``oracle_query_v0`` applies.
    """

    def step(self, actions: Any) -> tuple[dict, dict, dict, dict, dict]:
        name = self.metadata.get("name", type(self.aec_env.unwrapped).__name__)
        if not hasattr(self, "agents"):
            raise ResetNeeded(f"{name}: call reset() before step()")
        if not self.agents:
            raise ResetNeeded(f"{name}: the episode has ended; call reset() before step()")
        n_actions = {a: self.action_space(a).n for a in self.possible_agents}
        mover = self.aec_env.agent_selection
        moves = check_turn_actions(actions, self.possible_agents, mover, n_actions)
        return super().step(moves)


def wrap(env: AECEnv) -> AECEnv:
    """``env`` with the order check (step/observe/render before reset)."""
    return _OrderEnforcing(env)
