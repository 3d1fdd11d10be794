"""The PettingZoo wrappers of the package's AEC environments.

The raw environments check every action themselves (a ``ValueError`` naming the agent, its
space and the action), so PettingZoo's ``AssertOutOfBoundsWrapper`` (a bare
``AssertionError``) is not used; the order check raises the package's ``ResetNeeded`` (a
``RuntimeError``) instead of an ``AssertionError``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv
from pettingzoo.utils import wrappers
from pettingzoo.utils.conversions import turn_based_aec_to_parallel_wrapper

from persuasion_env._validation import check_choice, check_turn_actions
from persuasion_env.envs._common import ResetNeeded

__all__ = ["OBS_TYPES", "TurnBasedParallel", "check_obs_type", "masked_space", "wrap"]

#: ``obs_type`` of ``repeated_persuasion_v0``: ``"discrete"`` (0-d ``int64`` index, the
#: default) or ``"one_hot"`` (``Box(0, 1)`` float32 vector, which SuperSuit can pad).
OBS_TYPES = ("discrete", "one_hot")


def check_obs_type(obs_type: Any) -> str:
    """``obs_type`` checked to be one of :data:`OBS_TYPES`."""
    return check_choice(obs_type, "obs_type", OBS_TYPES)


def masked_space(space: spaces.Space, n_actions: int | None) -> spaces.Space:
    """``space``, or with ``n_actions`` PettingZoo classic's ``Dict({"observation": space,
    "action_mask": Box(0, 1, (n_actions,), int8)})``."""
    if n_actions is None:
        return space
    mask = spaces.Box(0, 1, shape=(n_actions,), dtype=np.int8)
    return spaces.Dict({"observation": space, "action_mask": mask})


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

    def __getstate__(self) -> dict[str, Any]:
        # The raw env is EzPickle (a pickled copy is rebuilt unreset): so is the check.
        return {**self.__dict__, "_has_reset": False}


class TurnBasedParallel(turn_based_aec_to_parallel_wrapper):
    """PettingZoo's ``turn_based_aec_to_parallel`` with the checks of a native parallel env.

    PettingZoo's converter indexes ``actions[agent_selection]`` and nothing else: a step before
    ``reset`` is an ``AttributeError``, a step after the end returns empty dicts, and an
    unknown agent or the waiting agent's out-of-range action pass silently. Here the same
    :func:`~persuasion_env._validation.check_turn_actions` as ``oracle_query_v0`` applies.
    """

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict, dict]:
        """PettingZoo's reset, with ``infos[agent]["active_agent"]`` (who moves first) as
        after every step (PettingZoo's converter sets it only in ``step``)."""
        observations, infos = super().reset(seed=seed, options=options)
        mover = self.aec_env.agent_selection
        return observations, {a: {**info, "active_agent": mover} for a, info in infos.items()}

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

    def __getstate__(self) -> dict[str, Any]:
        # The AEC env inside is rebuilt unreset when unpickled (EzPickle): so is this one.
        state = dict(self.__dict__)
        state.pop("agents", None)
        return state


def wrap(env: AECEnv) -> AECEnv:
    """``env`` with the order check (step/observe/render before reset)."""
    return _OrderEnforcing(env)
