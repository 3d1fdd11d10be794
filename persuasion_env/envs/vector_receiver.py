"""A natively batched vector version of ``persuasion/RepeatedPersuasionReceiver-v0``.

:class:`RepeatedPersuasionReceiverVectorEnv` steps ``B = num_envs`` copies of the receiver's
view of the repeated game in one NumPy call per round: the sender inside is a *single*
batched agent (tables with a leading runs axis), driven through the shared round
:class:`~persuasion_env.match.Match` (``begin`` / ``finish``, built by
:func:`~persuasion_env.envs.core.start_match`), exactly as
the single env :class:`~persuasion_env.envs.repeated.RepeatedPersuasionReceiverEnv` (which is
``B = 1``): with ``num_envs=1`` and the same seed the two give identical episodes.

Reach it with ``gymnasium.make_vec("persuasion/RepeatedPersuasionReceiver-v0", num_envs=B,
vectorization_mode="vector_entry_point", ...)``, build it directly, or train Stable-Baselines3
on it through :class:`agents.sb3_vec.SB3VecEnv`.
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
    ReceiverViewOptions,
    declare_options,
    lp_value,
    options_of,
    receiver_vector_observation,
    spawn_rng,
    start_match,
)
from persuasion_env.envs.repeated import render_run
from persuasion_env.game import PersuasionGame
from persuasion_env.match import Match

__all__ = ["RepeatedPersuasionReceiverVectorEnv"]

_INFO_KEYS = ("state", "message", "action", "sender_utility", "receiver_payoff", "lp_value")


@declare_options(ReceiverViewOptions, leading=("num_envs",))
class RepeatedPersuasionReceiverVectorEnv(VectorEnv):
    """``num_envs`` copies of :class:`~persuasion_env.envs.repeated.
    RepeatedPersuasionReceiverEnv` stepped together through the sender's batched tables.

    ## Description

    Each copy is an independent run of the repeated game (own states, own sender tables, own
    noise) in which the agent is the **receiver**; all copies play the **same game**, fixed or
    drawn at every reset (all copies at once: the batched sender is reset as a whole), and all
    end together after ``episode_length`` rounds.

    ## Spaces

    | Attribute                  | `obs_type="message"`     | `obs_type="vector"`          |
    |----------------------------|--------------------------|------------------------------|
    | `single_observation_space` | `Discrete(M)`            | `Box(-1, 1, (M+2S+SA,))`     |
    | `observation_space`        | `MultiDiscrete([M] * B)` | `Box(-1, 1, (B, M+2S+SA))`   |
    | `single_action_space`      | `Discrete(A)`            | `Discrete(A)`                |
    | `action_space`             | `MultiDiscrete([A] * B)` | `MultiDiscrete([A] * B)`     |

    ## Rewards, Info

    ``rewards[b] = u2[s_b, a_b]`` (plus noise), as the single env. ``infos`` holds arrays
    ``(B,)`` under ``state``, ``message``, ``action``, ``sender_utility``,
    ``receiver_payoff`` and ``lp_value``, each with its ``"_key"`` mask.

    ## Episode End and Autoreset

    Truncation of every copy after ``episode_length`` rounds; autoreset mode
    ``AutoresetMode.NEXT_STEP``: the step after the truncation resets all copies, ignores its
    actions and returns the first observations with zero rewards.

    ## Arguments

    ``num_envs`` (B) and every keyword argument of the single env: ``game``, ``size``,
    ``sender``, ``sender_kwargs``, ``episode_length``, ``noise``, ``normalize``, ``obs_type``,
    ``render_mode`` (``render()`` returns one frame per copy).
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
        # The single env's options, declared and checked once (ReceiverViewOptions).
        self.options = options_of(ReceiverViewOptions, type(self).__name__, game, options)
        self.config = self.options.config
        self.sender = self.options.agent
        self.episode_length = self.options.episode_length
        self.obs_type = obs_type = self.options.obs_type
        self.render_mode = self.options.render_mode
        n_states, n_actions = self.config.shape
        self.n_states, self.n_actions = n_states, n_actions
        self.n_messages = self.options.n_messages  # the sender's, as in the single env
        check_batch_size(self.num_envs, n_states * max(n_actions, self.n_messages), "num_envs")
        self.core: Match | None = None
        self.lp_value = float("nan")
        self.single_action_space = spaces.Discrete(n_actions)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        if obs_type == "message":
            self.single_observation_space = spaces.Discrete(self.n_messages)
        else:
            width = self.n_messages + 2 * n_states + n_states * n_actions
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
                "seed must be an int: the copies share one batched sender and one "
                f"generator, so a list of seeds is not supported; got {seed!r}"
            )
        override = game_option(options)
        super().reset(seed=check_seed(seed))
        self._start(override)
        return self._observations(), {"lp_value": np.full(self.num_envs, self.lp_value)}

    def _start(self, override: Any = None) -> None:
        # The same draws, in the same order, as the single env's reset.
        self.game = self.config.draw(spawn_rng(self.np_random), override)
        if self.sender.messages_for(self.game) != self.n_messages:
            raise ValueError(
                f"the sender uses {self.sender.messages_for(self.game)} messages in this game, "
                f"but the observation space was built for {self.n_messages}"
            )
        options = self.options
        self.core = start_match(
            "receiver",
            self.game,
            self.sender,
            self.np_random,
            runs=self.num_envs,
            n_messages=self.n_messages,
            epoch=options.epoch,
            noise=options.noise,
            normalize=options.normalize,
        )
        self.lp_value = lp_value(self.game, self.n_messages)
        self.core.begin()
        self._needs_reset = False
        self._autoreset = False

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if self._needs_reset:
            raise ResetNeeded("RepeatedPersuasionReceiverVectorEnv: call reset() before step()")
        zeros = np.zeros(self.num_envs, dtype=bool)
        if self._autoreset:
            self._start()
            infos = {"lp_value": np.full(self.num_envs, self.lp_value)}
            return self._observations(), np.zeros(self.num_envs), zeros, zeros.copy(), infos
        choices = self._check_actions(actions)
        core = self.core
        states, messages = core.states, core.messages
        rewards = np.asarray(core.finish(choices), dtype=np.float64)
        infos: dict[str, Any] = {
            "state": states,
            "message": messages,
            "action": choices,
            "sender_utility": core.u1,
            "receiver_payoff": core.u2,
            "lp_value": np.full(self.num_envs, self.lp_value),
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
                f"actions must be {self.num_envs} integer receiver actions, shape "
                f"({self.num_envs},) (the action space MultiDiscrete([{self.n_actions}] * "
                f"{self.num_envs})), got shape {array.shape} and dtype {array.dtype}"
            )
        low, high = int(array.min()), int(array.max())
        if low < 0 or high >= self.n_actions:
            raise ValueError(
                f"actions must be receiver actions in [0, {self.n_actions}), got values in "
                f"[{low}, {high}]"
            )
        return array.astype(np.int64, copy=True)

    def _observations(self) -> np.ndarray:
        core = self.core
        if self.obs_type == "message":
            return np.asarray(core.messages, dtype=np.int64).copy()
        schemes = np.asarray(self.sender.policy(), dtype=np.float64)
        return receiver_vector_observation(
            self.game.prior, self.game.receiver_utility, core.messages, schemes
        )

    def render(self) -> tuple[Any, ...] | None:
        """One frame per copy (text or RGB array), as :class:`SyncVectorEnv` returns them."""
        if self.render_mode is None:
            gymnasium.logger.warn(
                "You are calling render method without specifying any render mode, e.g. "
                'RepeatedPersuasionReceiverVectorEnv(4, render_mode="ansi")'
            )
            return None
        if self.game is None:
            raise ResetNeeded("RepeatedPersuasionReceiverVectorEnv: call reset() before render()")
        return tuple(
            render_run(
                self.core,
                self.game,
                b,
                self.render_mode,
                title=f"RepeatedPersuasionReceiverVectorEnv[{b}]",
                episode_length=self.episode_length,
            )
            for b in range(self.num_envs)
        )
