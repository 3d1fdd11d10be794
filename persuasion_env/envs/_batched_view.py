"""What the two natively batched views of the repeated game share (the sender's view,
:class:`~persuasion_env.envs.vector.RepeatedPersuasionVectorEnv`, and the receiver's,
:class:`~persuasion_env.envs.vector_receiver.RepeatedPersuasionReceiverVectorEnv`).

``B = num_envs`` copies play one :class:`~persuasion_env.match.Match` with the RL agent's side
played from outside: reset (one seed, one game for all copies), the step with Gymnasium's
``NEXT_STEP`` autoreset, the check of the batched actions, the references in ``infos`` and
rendering are written here once; a view adds its spaces, its observation and its per-round
info.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv

from persuasion_env._validation import check_batch_size, check_int
from persuasion_env.envs._common import ResetNeeded, check_seed, game_option
from persuasion_env.envs.core import lp_value, options_of, spawn_rng, start_match
from persuasion_env.envs.repeated import render_run
from persuasion_env.game import PersuasionGame
from persuasion_env.match import Match

__all__ = ["BatchedView"]


class BatchedView(VectorEnv):
    """Base class of the batched views (see the module docstring).

    Subclasses set ``_side`` (the side played from outside), ``_options_class`` (the single
    env's options dataclass), ``_choice`` (what an action is, for error messages), and
    define ``_make_spaces``, ``_observations`` and ``_round_info``.
    """

    metadata = {
        "render_modes": ["ansi", "rgb_array"],
        "render_fps": 4,
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }
    _side: str
    _options_class: type
    _choice: str
    _info_keys: tuple[str, ...]

    def __init__(
        self, num_envs: int = 1, game: PersuasionGame | str | None = None, **options: Any
    ) -> None:
        self.num_envs = check_int(num_envs, "num_envs", minimum=1)
        # The single env's options, declared and checked once (envs.core).
        self.options = options_of(self._options_class, type(self).__name__, game, options)
        self.config = self.options.config
        self.agent = self.options.agent  # the embedded side
        self.episode_length = self.options.episode_length
        self.obs_type = self.options.obs_type
        self.render_mode = self.options.render_mode
        self.n_states, self.n_actions = self.config.shape
        self.n_messages = self.options.n_messages
        check_batch_size(
            self.num_envs, self.n_states * max(self.n_actions, self.n_messages), "num_envs"
        )
        self.core: Match | None = None
        self.lp_value = float("nan")
        self.best_fixed_value = float("nan")
        self.game: PersuasionGame | None = None
        self._needs_reset = True
        self._autoreset = False
        self._true = np.ones(self.num_envs, dtype=bool)
        self._make_spaces()

    # ------------------------------------------------------------------ gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every copy (the seed seeds ``np_random``, from which all draws come)."""
        if seed is not None and not isinstance(seed, int | np.integer):
            other = "receiver" if self._side == "sender" else "sender"
            raise TypeError(
                f"seed must be an int: the copies share one batched {other} and one "
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
        # The same draws, in the same order, as the single env's reset.
        self.game = self.config.draw(spawn_rng(self.np_random), override)
        self._check_game(self.game)
        self.core = start_match(
            self._side, self.options, self.game, self.np_random, runs=self.num_envs
        )
        self.lp_value = lp_value(self.game, self.n_messages)
        self.best_fixed_value = self.options.best_fixed_value(self.game)
        self.core.begin()
        self._needs_reset = False
        self._autoreset = False

    def _check_game(self, game: PersuasionGame) -> None:
        """A hook: refuse a game the spaces were not built for."""

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if self._needs_reset:
            raise ResetNeeded(f"{type(self).__name__}: call reset() before step()")
        zeros = np.zeros(self.num_envs, dtype=bool)
        if self._autoreset:
            self._start()
            infos = self._references()
            return self._observations(), np.zeros(self.num_envs), zeros, zeros.copy(), infos
        choices = self._check_actions(actions)
        core = self.core
        states, messages = core.states, core.messages
        rewards = np.asarray(core.finish(choices), dtype=np.float64)
        infos: dict[str, Any] = {
            **self._round_info(states, messages, choices),
            **self._references(),
        }
        for key in self._info_keys:
            infos["_" + key] = self._true
        truncated = np.full(self.num_envs, core.t >= self.episode_length)
        if truncated[0]:
            self._autoreset = True
        else:
            core.begin()
        return self._observations(), rewards, zeros, truncated, infos

    def _check_actions(self, actions: Any) -> np.ndarray:
        upper = self.single_action_space.n
        array = np.asarray(actions)
        if array.shape != (self.num_envs,) or array.dtype.kind not in "iu":
            raise ValueError(
                f"actions must be {self.num_envs} integer {self._choice}s, shape "
                f"({self.num_envs},) (the action space MultiDiscrete([{upper}] * "
                f"{self.num_envs})), got shape {array.shape} and dtype {array.dtype}"
            )
        low, high = int(array.min()), int(array.max())
        if low < 0 or high >= upper:
            raise ValueError(
                f"actions must be {self._choice}s in [0, {upper}), got values in [{low}, {high}]"
            )
        return array.astype(np.int64, copy=True)  # infos keep it: never alias the caller's

    def render(self) -> tuple[Any, ...] | None:
        """One frame per copy (text or RGB array), as :class:`SyncVectorEnv` returns them."""
        name = type(self).__name__
        if self.render_mode is None:
            gymnasium.logger.warn(
                "You are calling render method without specifying any render mode, e.g. "
                f'{name}(4, render_mode="ansi")'
            )
            return None
        if self.game is None:
            raise ResetNeeded(f"{name}: call reset() before render()")
        return tuple(
            render_run(
                self.core,
                self.game,
                b,
                self.render_mode,
                title=f"{name}[{b}]",
                episode_length=self.episode_length,
            )
            for b in range(self.num_envs)
        )

    # ---------------------------------------------------------------- for subclasses
    def _make_spaces(self) -> None:
        raise NotImplementedError

    def _observations(self) -> np.ndarray:
        raise NotImplementedError

    def _round_info(
        self, states: np.ndarray, messages: np.ndarray, choices: np.ndarray
    ) -> dict[str, Any]:
        raise NotImplementedError
