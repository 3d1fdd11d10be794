"""A natively batched vector version of ``persuasion/RepeatedPersuasion-v0``.

:class:`RepeatedPersuasionVectorEnv` steps ``B = num_envs`` copies of the sender's view of the
repeated game in one NumPy call per round: the receiver inside is a *single* batched agent
whose tables carry a leading runs axis (:mod:`agents.base`), so a step costs about as much as
one step of one copy, not ``B`` Python-level steps as with
:class:`gymnasium.vector.SyncVectorEnv`. It plays the same round
(:class:`persuasion_env.match.Match`) with the same options
(:class:`~persuasion_env.envs.core.SenderViewOptions`) as the single env (which is
``B = 1``), so with ``num_envs=1`` and the same seed the two produce identical episodes.

Reach it with ``gymnasium.make_vec("persuasion/RepeatedPersuasion-v0", num_envs=B,
vectorization_mode="vector_entry_point", ...)`` or build it directly.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from persuasion_env._validation import check_batch_size, check_int
from persuasion_env.envs._common import ResetNeeded, check_seed, game_option
from persuasion_env.envs.core import (
    SenderViewOptions,
    declare_options,
    lp_value,
    options_of,
    sender_vector_observation,
    spawn_rng,
    start_match,
)
from persuasion_env.envs.repeated import render_run
from persuasion_env.game import PersuasionGame
from persuasion_env.match import Match

__all__ = ["RepeatedPersuasionVectorEnv"]

_INFO_KEYS = ("state", "message", "receiver_action", "receiver_payoff", "sender_utility")


@declare_options(SenderViewOptions, leading=("num_envs",))
class RepeatedPersuasionVectorEnv(VectorEnv):
    """``num_envs`` copies of :class:`~persuasion_env.envs.repeated.RepeatedPersuasionEnv`
    stepped together through the receiver's batched tables.

    ## Description

    Each copy is an independent run of the repeated game (own states, own receiver tables,
    own noise); all copies play the **same game**, which is fixed or drawn at every reset
    (all copies at once: the batched receiver is reset as a whole). Every copy has the same
    episode length, so all copies end together.

    ## Spaces

    | Attribute                  | `obs_type="state"`       | `obs_type="vector"`          |
    |----------------------------|--------------------------|------------------------------|
    | `single_observation_space` | `Discrete(S)`            | `Box(-1, 1, (2S+SA+M+A,))`   |
    | `observation_space`        | `MultiDiscrete([S] * B)` | `Box(-1, 1, (B, 2S+SA+M+A))` |
    | `single_action_space`      | `Discrete(M)`            | `Discrete(M)`                |
    | `action_space`             | `MultiDiscrete([M] * B)` | `MultiDiscrete([M] * B)`     |

    ## Rewards, Info

    ``rewards[b] = u1[s_b, a_b]`` (plus noise), as the single env. ``infos`` holds arrays
    ``(B,)`` under ``state``, ``message``, ``receiver_action``, ``receiver_payoff``,
    ``sender_utility`` and ``lp_value``, each with its ``"_key"`` mask (Gymnasium's vector
    info convention).

    ## Episode End and Autoreset

    Truncation of every copy after ``episode_length`` rounds. Autoreset mode
    ``AutoresetMode.NEXT_STEP`` (Gymnasium's default): the step after the truncation resets
    all copies (a new game if drawn, fresh receivers), ignores its actions and returns the
    first observations with zero rewards.

    ## Arguments

    ``num_envs`` (B) and every keyword argument of
    :class:`~persuasion_env.envs.repeated.RepeatedPersuasionEnv`: ``game``, ``size``,
    ``receiver``, ``receiver_kwargs``, ``episode_length``, ``n_messages``, ``noise``,
    ``normalize``, ``epoch``, ``obs_type``, ``render_mode`` (``render()`` returns a tuple with
    one frame per copy), ``best_fixed_runs``, with the same defaults; its infos carry
    ``lp_value`` and (when computed) ``best_fixed_value`` for every copy, as the single env's.
    """

    metadata = {
        "render_modes": ["ansi", "rgb_array"],
        "render_fps": 4,
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(
        self, num_envs: int = 1, game: PersuasionGame | str | None = None, **options: Any
    ) -> None:
        self.num_envs = check_int(num_envs, "num_envs", minimum=1)
        self.options = options_of(SenderViewOptions, type(self).__name__, game, options)
        self.config = self.options.config
        self.receiver = self.options.agent
        self.episode_length = self.options.episode_length
        self.obs_type = obs_type = self.options.obs_type
        self.render_mode = self.options.render_mode
        n_states, n_actions = self.config.shape
        self.n_states, self.n_actions = n_states, n_actions
        self.n_messages = self.options.n_messages
        check_batch_size(self.num_envs, n_states * max(n_actions, self.n_messages), "num_envs")
        self.core: Match | None = None
        self.lp_value = float("nan")
        self.best_fixed_value = float("nan")  # as the single env's (SenderViewOptions)
        self.single_action_space = spaces.Discrete(self.n_messages)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        if obs_type == "state":
            self.single_observation_space = spaces.Discrete(n_states)
        else:
            width = 2 * n_states + n_states * n_actions + self.n_messages + n_actions
            self.single_observation_space = spaces.Box(-1.0, 1.0, (width,), dtype=np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.game: PersuasionGame | None = None
        self._needs_reset = True
        self._autoreset = False
        self._true = np.ones(self.num_envs, dtype=bool)

    # ------------------------------------------------------------------ gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every copy (the seed seeds ``np_random``, from which all draws come)."""
        if seed is not None and not isinstance(seed, int | np.integer):
            raise TypeError(
                "seed must be an int: the copies share one batched receiver and one "
                f"generator, so a list of seeds is not supported; got {seed!r}"
            )
        override = game_option(options)
        super().reset(seed=check_seed(seed))
        self._start(override)
        return self._observations(), self._references()

    def _references(self) -> dict[str, np.ndarray]:
        """``lp_value`` and, when computed, ``best_fixed_value`` of every copy, with masks."""
        infos = {"lp_value": np.full(self.num_envs, self.lp_value), "_lp_value": self._true}
        if not np.isnan(self.best_fixed_value):  # absent when off, as in the single env
            infos["best_fixed_value"] = np.full(self.num_envs, self.best_fixed_value)
            infos["_best_fixed_value"] = self._true
        return infos

    def _start(self, override: Any = None) -> None:
        self.game = self.config.draw(spawn_rng(self.np_random), override)
        options = self.options
        self.core = start_match(
            "sender",
            self.game,
            self.receiver,
            self.np_random,
            runs=self.num_envs,
            n_messages=self.n_messages,
            epoch=options.epoch,
            noise=options.noise,
            normalize=options.normalize,
        )
        self.lp_value = lp_value(self.game, self.n_messages)
        self.best_fixed_value = options.best_fixed_value(self.game)
        self.core.begin()
        self._needs_reset = False
        self._autoreset = False

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if self._needs_reset:
            raise ResetNeeded("RepeatedPersuasionVectorEnv: call reset() before step()")
        zeros = np.zeros(self.num_envs, dtype=bool)
        if self._autoreset:
            self._start()
            infos = self._references()
            return self._observations(), np.zeros(self.num_envs), zeros, zeros.copy(), infos
        messages = self._check_actions(actions)
        core = self.core
        states = core.states
        rewards = np.asarray(core.finish(messages), dtype=np.float64)
        infos: dict[str, Any] = {
            "state": states,
            "message": messages,
            "receiver_action": core.last_actions,
            "receiver_payoff": core.u2,
            "sender_utility": core.u1,
            **self._references(),
        }
        for key in _INFO_KEYS:
            infos["_" + key] = self._true
        truncated = np.full(self.num_envs, core.t >= self.episode_length)
        if truncated[0]:
            self._autoreset = True
        else:
            core.begin()
        return self._observations(), rewards, zeros, truncated, infos

    def _check_actions(self, actions: Any) -> np.ndarray:
        array = np.asarray(actions)
        if array.shape != (self.num_envs,) or array.dtype.kind not in "iu":
            raise ValueError(
                f"actions must be {self.num_envs} integer messages, shape ({self.num_envs},) "
                f"(the action space MultiDiscrete([{self.n_messages}] * {self.num_envs})), "
                f"got shape {array.shape} and dtype {array.dtype}"
            )
        low, high = int(array.min()), int(array.max())
        if low < 0 or high >= self.n_messages:
            raise ValueError(
                f"actions must be messages in [0, {self.n_messages}), got values in [{low}, {high}]"
            )
        return array.astype(np.int64, copy=False)

    def _observations(self) -> np.ndarray:
        core = self.core
        if self.obs_type == "state":
            return core.states.copy()
        game = self.game
        return sender_vector_observation(
            game.prior,
            game.sender_utility,
            self.n_messages,
            core.states,
            core.last_messages,
            core.last_actions,
        )

    def render(self) -> tuple[Any, ...] | None:
        """One frame per copy (text or RGB array), as :class:`SyncVectorEnv` returns them."""
        if self.render_mode is None:
            gymnasium.logger.warn(
                "You are calling render method without specifying any render mode, e.g. "
                'RepeatedPersuasionVectorEnv(4, render_mode="ansi")'
            )
            return None
        if self.game is None:
            raise ResetNeeded("RepeatedPersuasionVectorEnv: call reset() before render()")
        return tuple(
            render_run(
                self.core,
                self.game,
                b,
                self.render_mode,
                title=f"RepeatedPersuasionVectorEnv[{b}]",
                episode_length=self.episode_length,
            )
            for b in range(self.num_envs)
        )
