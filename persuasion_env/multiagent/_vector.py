"""``B`` copies of ``repeated_persuasion_v0``'s parallel env in one object (issue 17).

:class:`RepeatedPersuasionVectorParallelEnv` plays ``B = num_envs`` copies of the repeated
game over the runs axis of one :class:`persuasion_env.match.Match` (both sides outside), so a
step costs one batched round-half, not ``B`` Python-level steps. It keeps the parallel env's
contract (turn-based: one step per move, the idle agent's actions ignored) with every value
batched: observations ``(B, ...)``, rewards ``(B,)`` floats, terminations and truncations
``(B,)`` bools, round infos as ``(B,)`` arrays. All copies play the same game (fixed, or drawn
for all at each reset, as the Gymnasium vector env) and move in lockstep, so
``infos[agent]["active_agent"]`` is one name and every copy ends together (after
``max_cycles`` rounds; then ``agents`` is empty and ``reset`` starts the next episode: no
autoreset). With ``num_envs=1`` and the same seed it reproduces ``parallel_env()`` step for
step (the states come from the same chunked stream, ``(B,)`` wide).

PettingZoo has no vector API of its own; its convention for training one policy over agents
and copies is SuperSuit's ``pettingzoo_env_to_vec_env_v1`` + ``concat_vec_envs_v1`` (one
Python env per copy), which works on ``parallel_env(obs_type="one_hot")`` after
``pad_observations_v0`` / ``pad_action_space_v0`` (docs/environments.md). This class is the
fast route for loops that keep a policy per agent (independent learners, self-written MARL).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import EzPickle, seeding
from gymnasium.vector.utils import batch_space

from persuasion_env._validation import check_batch_size, check_int, check_turn_keys
from persuasion_env.envs._common import ResetNeeded, check_seed, game_option
from persuasion_env.envs.core import lp_value, spawn_rng
from persuasion_env.match import ChunkedStates, Match
from persuasion_env.references import cheap_talk_values
from persuasion_env.rounds import RoundTables

__all__ = ["RepeatedPersuasionVectorParallelEnv"]

SENDER, RECEIVER = "sender", "receiver"


def check_batch_actions(
    actions: Any, agents: list[str], mover: str, runs: int, n_actions: Mapping[str, int]
) -> np.ndarray:
    """The mover's ``(B,)`` actions from a ``{agent: actions}`` dict, checked.

    Every agent named must be one of ``agents``; the mover must have actions; every array
    given (also the idle agent's, which is ignored) must hold ``runs`` integers in
    ``[0, n_actions[agent])``.

    Raises:
        TypeError: if ``actions`` is not a mapping.
        ValueError: naming the agent, for an unknown agent, missing actions of the mover, a
            wrong shape or dtype, or an action out of range.
    """
    check_turn_keys(actions, agents, mover, "actions", f"{runs} actions")
    checked = {}
    for agent, given in actions.items():
        if given is None:
            continue
        values = np.asarray(given)
        n = n_actions[agent]
        if values.shape != (runs,) or values.dtype.kind not in "iu":
            raise ValueError(
                f"{agent}'s actions must be {runs} integers (shape ({runs},)), got shape "
                f"{values.shape} and dtype {values.dtype}"
            )
        if runs and (values.min() < 0 or values.max() >= n):
            raise ValueError(
                f"{agent}'s actions must be in Discrete({n}), got {values.min()}..{values.max()}"
            )
        checked[agent] = values.astype(np.int64, copy=False)
    return checked[mover]


class RepeatedPersuasionVectorParallelEnv(EzPickle):
    """``num_envs`` copies of ``repeated_persuasion_v0.parallel_env(**kwargs)`` (module doc).

    Args:
        num_envs: the number of copies ``B``.
        **kwargs: the arguments of ``repeated_persuasion_v0.raw_env`` (``game``, ``size``,
            ``n_messages``, ``max_cycles``, ``noise``, ``obs_type``, ``action_mask_in_obs``);
            ``render_mode`` must be ``None`` (render one copy with ``parallel_env``).

    Spaces: ``single_observation_space(agent)`` / ``single_action_space(agent)`` are one
    copy's (as the parallel env's); ``observation_space(agent)`` / ``action_space(agent)`` the
    batched ones (``gymnasium.vector.utils.batch_space``), as Gymnasium's ``VectorEnv``.
    """

    metadata = {"render_modes": [], "name": "repeated_persuasion_v0", "is_parallelizable": False}

    def __init__(self, num_envs: int, **kwargs: Any) -> None:
        from persuasion_env.multiagent.repeated_persuasion_v0 import raw_env

        EzPickle.__init__(self, num_envs, **kwargs)
        self.num_envs = check_int(num_envs, "num_envs", minimum=1)
        if kwargs.get("render_mode") is not None:
            raise ValueError(
                "render_mode: the vector parallel env does not render; got "
                f"{kwargs['render_mode']!r} (render one copy with parallel_env())"
            )
        # The single env validates the arguments and owns the per-copy spaces and views.
        self._single = raw_env(**kwargs)
        n_states, n_actions = self._single.config.shape
        check_batch_size(self.num_envs, 2 * n_states * n_actions, "num_envs")
        self.possible_agents = list(self._single.possible_agents)
        self.agents: list[str] = []
        self.max_cycles = self._single.max_cycles
        self.render_mode = None
        self._n_actions = {a: int(self._single.action_space(a).n) for a in self.possible_agents}
        self._obs_spaces = {
            a: batch_space(self._single.observation_space(a), self.num_envs)
            for a in self.possible_agents
        }
        self._act_spaces = {
            a: spaces.MultiDiscrete([n] * self.num_envs) for a, n in self._n_actions.items()
        }
        self._np_random: np.random.Generator | None = None
        self.core: Match | None = None

    # ------------------------------------------------------------------ spaces
    def single_observation_space(self, agent: str) -> spaces.Space:
        return self._single.observation_space(agent)

    def single_action_space(self, agent: str) -> spaces.Space:
        return self._single.action_space(agent)

    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self._act_spaces[agent]

    @property
    def np_random(self) -> np.random.Generator:
        """The environment's Generator (Gymnasium seeding)."""
        if self._np_random is None:
            self._np_random, _ = seeding.np_random()
        return self._np_random

    # ------------------------------------------------------------------ API
    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Start every copy; the draws are the single env's with ``(B,)``-wide states."""
        single = self._single
        override = game_option(options, strict=False)
        seed = check_seed(seed)
        if seed is not None:
            self._np_random, _ = seeding.np_random(seed)
        self.game = single.config.draw(spawn_rng(self.np_random), override)
        self.lp_value = lp_value(self.game, single.n_messages)
        self.babbling_value, self.cheap_talk_value = cheap_talk_values(self.game, single.n_messages)
        runs = self.num_envs
        tables = RoundTables([self.game], np.zeros(runs, dtype=np.int64), normalize=True)
        states = ChunkedStates(tables, self.np_random, noise=single.noise)
        self.core = Match(tables, None, None, n_messages=single.n_messages, states=states)
        self.core.begin()
        self.agents = list(self.possible_agents)
        self.mover = SENDER
        self.rounds = 0
        self.messages = np.full(runs, single.n_messages, dtype=np.int64)  # "none yet"
        self._round_info: dict[str, Any] = {}
        return self._observations(), self._infos()

    def step(
        self, actions: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, np.ndarray], dict, dict, dict]:
        """One move of every copy: the mover's ``(B,)`` actions (the idle agent's ignored).

        Raises:
            ResetNeeded: before :meth:`reset` or after the episode ended.
            TypeError, ValueError: as :func:`check_batch_actions`.
        """
        if self.core is None:
            raise ResetNeeded("repeated_persuasion_v0 (vector): call reset() before step()")
        if not self.agents:
            raise ResetNeeded(
                "repeated_persuasion_v0 (vector): the episode has ended; call reset() before step()"
            )
        runs, core = self.num_envs, self.core
        moves = check_batch_actions(
            actions, self.possible_agents, self.mover, runs, self._n_actions
        )
        rewards = {a: np.zeros(runs) for a in self.possible_agents}
        done = False
        if self.mover == SENDER:
            core.send(moves.copy())
            self.messages = moves.copy()
            self.mover = RECEIVER
        else:
            core.respond(moves.copy())
            rewards[SENDER] = np.array(core.reward1, dtype=np.float64)
            rewards[RECEIVER] = np.array(core.reward2, dtype=np.float64)
            self._round_info = {
                "state": np.array(core.states),
                "message": np.array(self.messages),
                "action": np.array(moves),
                "sender_utility": np.array(core.u1, dtype=np.float64),
                "receiver_utility": np.array(core.u2, dtype=np.float64),
                "lp_value": self.lp_value,
                "cheap_talk_value": self.cheap_talk_value,
                "babbling_value": self.babbling_value,
            }
            self.rounds += 1
            done = self.rounds >= self.max_cycles
            core.begin()
            self.messages = np.full(runs, self._single.n_messages, dtype=np.int64)
            self.mover = SENDER
        agents = list(self.agents)
        terminations = {a: np.zeros(runs, dtype=bool) for a in agents}
        truncations = {a: np.full(runs, done) for a in agents}
        observations = self._observations(live=not done)
        infos = self._infos(active=not done)
        if done:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    # ------------------------------------------------------------------ views
    def _observations(self, live: bool = True) -> dict[str, Any]:
        single, runs = self._single, self.num_envs
        values = {SENDER: np.array(self.core.states, dtype=np.int64), RECEIVER: self.messages}
        out: dict[str, Any] = {}
        for agent, value in values.items():
            if single.obs_type == "discrete":
                obs: np.ndarray = value.copy()
            else:
                obs = np.zeros((runs, single._n_values[agent]), dtype=np.float32)
                obs[np.arange(runs), value] = 1.0
            if single.action_mask_in_obs:
                on = live and agent == self.mover
                mask = np.full((runs, self._n_actions[agent]), int(on), dtype=np.int8)
                out[agent] = {"observation": obs, "action_mask": mask}
            else:
                out[agent] = obs
        return out

    def _infos(self, active: bool = True) -> dict[str, dict[str, Any]]:
        extra = {"active_agent": self.mover} if active else {}
        return {a: {**self._round_info, **extra} for a in self.possible_agents}

    def close(self) -> None:
        pass
