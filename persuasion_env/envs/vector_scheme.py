"""A natively batched vector version of ``persuasion/SchemeCommitment-v0``.

:class:`SchemeCommitmentVectorEnv` holds ``B = num_envs`` copies of
:class:`~persuasion_env.envs.scheme_commitment.SchemeCommitmentEnv`, each with **its own
game** and its own generator, and answers all ``B`` schemes of a step in one NumPy call: an
explicit receiver (``"best_response"``, ``"quantal"``, any receiver that reads schemes and
plays a batch of different games) is one batched agent over the ``B`` games, and the
utilities are computed by :mod:`persuasion_env.bayes` on ``(B, S, M)`` arrays. Learning
receivers (which need an engine run per scheme) are answered copy by copy, as the single env
does.

Contract: ``reset(seed=s)`` seeds copy ``i`` with ``s + i`` (Gymnasium's ``SyncVectorEnv``
and SB3's ``make_vec_env`` convention), and every copy then gives the same trajectory as a
single ``SchemeCommitmentEnv`` reset with that seed and fed the same actions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from persuasion_env import bayes
from persuasion_env._validation import check_int
from persuasion_env.envs import _render
from persuasion_env.envs._common import ResetNeeded, check_seed
from persuasion_env.envs.core import embedded_agent, spawn_rng
from persuasion_env.envs.scheme_commitment import SchemeCommitmentEnv, action_to_scheme
from persuasion_env.protocols import GameView

__all__ = ["SchemeCommitmentVectorEnv"]

_BOUND_ATOL = 1e-5  # as the single env: float32 rounding of agents' outputs
_INFO_KEYS = (
    "scheme",
    "response",
    "sender_utility",
    "receiver_utility",
    "best_response_utility",
    "lp_value",
    "ratio",
    "reward_ratio",
)


class SchemeCommitmentVectorEnv(VectorEnv):
    """``num_envs`` copies of :class:`~persuasion_env.envs.scheme_commitment.
    SchemeCommitmentEnv`, each with its own game, answered in one batched call per step.

    ## Spaces

    ``single_observation_space`` / ``single_action_space`` are the single env's
    (``Box(-1, 1, (S + 2SA,))`` / ``Box(low, 1, (S, M))``); ``observation_space`` is
    ``(B, S + 2SA)`` and ``action_space`` ``(B, S, M)``.

    ## Rewards, Info

    ``rewards[b]`` is copy ``b``'s single-env reward. ``infos`` holds arrays with a leading
    ``(B,)`` axis under the single env's keys (``scheme``, ``response``, ``sender_utility``,
    ``receiver_utility``, ``best_response_utility``, ``lp_value``, ``ratio``,
    ``reward_ratio``), each with its ``"_key"`` mask.

    ## Episode End and Autoreset

    Every copy is truncated after ``episode_length`` commitments, all at the same step.
    Autoreset mode ``AutoresetMode.NEXT_STEP``: the next step resets every copy (a new game
    each, drawn from that copy's generator), ignores its actions and returns the first
    observations with zero rewards.

    ## Arguments

    ``num_envs`` (B) and every keyword argument of ``SchemeCommitmentEnv`` (``game``,
    ``size``, ``receiver``, ``receiver_kwargs``, ``n_messages``, ``action_mapping``,
    ``logit_scale``, ``epoch_rounds``, ``episode_length``, ``noise``, ``normalize``,
    ``observe_receiver_utility``, ``reward_scale``, ``render_mode``). The explicit receiver
    answering the batch is :attr:`receiver` (set e.g. ``env.receiver.lam`` to anneal a
    quantal receiver).
    """

    metadata = {
        "render_modes": ["ansi", "rgb_array"],
        "render_fps": 2,
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(self, num_envs: int = 1, game: Any = None, **kwargs: Any) -> None:
        self.num_envs = check_int(num_envs, "num_envs", minimum=1)
        # The copies validate the arguments and own each copy's game, generator and LP value.
        self.envs = [SchemeCommitmentEnv(game, **kwargs) for _ in range(self.num_envs)]
        first = self.envs[0]
        self.render_mode = first.render_mode
        self.episode_length = first.episode_length
        self.n_states, self.n_actions, self.n_messages = (
            first.n_states,
            first.n_actions,
            first.n_messages,
        )
        self.single_observation_space = first.observation_space
        self.single_action_space = first.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.batched = bool(first.receiver.needs_scheme) and bool(
            getattr(first.receiver, "batched_games", False)
        )
        # One receiver for the whole batch (explicit receivers are deterministic functions
        # of the scheme, so one batched agent answers exactly as B separate ones).
        self.receiver = embedded_agent(first.receiver, "receiver") if self.batched else None
        self.t = 0
        self._needs_reset = True
        self._autoreset = False
        self._last: dict[str, Any] | None = None
        self._true = np.ones(self.num_envs, dtype=bool)

    # ------------------------------------------------------------------ gymnasium API
    def reset(
        self,
        *,
        seed: int | Sequence[int] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every copy; an int ``seed`` seeds copy ``i`` with ``seed + i``, a sequence
        gives one seed per copy. ``options`` (``{"game": g}``) applies to every copy."""
        if seed is None or isinstance(seed, int | np.integer):
            first = check_seed(seed)
            seeds = [None if first is None else first + i for i in range(self.num_envs)]
        else:
            seeds = [check_seed(s) for s in seed]
            if len(seeds) != self.num_envs:
                raise ValueError(
                    f"seed must be an int or {self.num_envs} seeds (one per copy), got {len(seeds)}"
                )
        if seed is not None:
            super().reset(seed=seeds[0])
        for env, copy_seed in zip(self.envs, seeds, strict=True):
            env.reset(seed=copy_seed, options=options)
        self._start()
        return self._obs.copy(), {"lp_value": self._lp.copy()}

    def _start(self) -> None:
        envs = self.envs
        games = [env.game for env in envs]
        self.games = games
        self._priors = np.stack([g.prior for g in games])
        self._u1 = np.stack([g.sender_utility for g in games])
        self._u2 = np.stack([g.receiver_utility for g in games])
        self._lp = np.array([env.lp_value for env in envs])
        self._obs = np.stack([env._obs for env in envs])
        if self.batched:
            view = GameView.for_agent(games, self.receiver, self.n_messages)
            # Its own generator, so that the copies' streams stay those of the single envs.
            self.receiver.reset(view, runs=self.num_envs, rng=spawn_rng(self.np_random))
        self.t = 0
        self._needs_reset = False
        self._autoreset = False
        self._last = None

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if self._needs_reset:
            raise ResetNeeded("SchemeCommitmentVectorEnv: call reset() before step()")
        zeros = np.zeros(self.num_envs, dtype=bool)
        if self._autoreset:
            for env in self.envs:
                env.reset()
            self._start()
            infos = {"lp_value": self._lp.copy()}
            return self._obs.copy(), np.zeros(self.num_envs), zeros, zeros.copy(), infos
        first = self.envs[0]
        schemes = action_to_scheme(
            self._check_actions(actions), first.action_mapping, first.logit_scale
        )
        responses = self._responses(schemes)
        u1, u2 = bayes.expected_utilities(self._priors, schemes, responses, self._u1, self._u2)
        best = bayes.best_response_matrix(self._priors, schemes, self._u2, self._u1)
        best_u1 = bayes.expected_utility(self._priors, schemes, best, self._u1)
        lp = self._lp
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(lp != 0, best_u1 / np.where(lp != 0, lp, 1.0), np.nan)
            reward_ratio = np.where(lp != 0, u1 / np.where(lp != 0, lp, 1.0), np.nan)
        rewards = reward_ratio if first.reward_scale == "lp" else np.asarray(u1, dtype=float)
        infos: dict[str, Any] = {
            "scheme": schemes,
            "response": responses,
            "sender_utility": np.asarray(u1, dtype=float),
            "receiver_utility": np.asarray(u2, dtype=float),
            "best_response_utility": np.asarray(best_u1, dtype=float),
            "lp_value": lp.copy(),
            "ratio": ratio,
            "reward_ratio": reward_ratio,
        }
        for key in _INFO_KEYS:
            infos["_" + key] = self._true
        self._last = infos
        self.t += 1
        truncated = np.full(self.num_envs, self.t >= self.episode_length)
        if truncated[0]:
            self._autoreset = True
            for env in self.envs:  # keep the copies' own counters in step
                env.t = self.t
        return self._obs.copy(), rewards.astype(np.float64), zeros, truncated, infos

    def _check_actions(self, actions: Any) -> np.ndarray:
        """``(B, S, M)`` float64, validated as the single env validates one action."""
        array = np.asarray(actions, dtype=np.float64)
        expected = (self.num_envs, self.n_states, self.n_messages)
        low = float(self.single_action_space.low.flat[0])
        if array.shape != expected:
            raise ValueError(
                f"actions must have shape {expected} (one (S, M) action per copy; the action "
                f"space is Box({low:g}, 1, {expected})), got shape {array.shape}"
            )
        if not np.isfinite(array).all():
            raise ValueError("actions must be finite (no NaN or inf)")
        if array.min() < low - _BOUND_ATOL or array.max() > 1.0 + _BOUND_ATOL:
            raise ValueError(
                f"actions lie outside the action space Box({low:g}, 1, {expected}): entries "
                f"range over [{array.min():.3g}, {array.max():.3g}]"
            )
        if low == 0.0 and np.any(array < 0):
            raise ValueError(
                f"actions have negative entries (min {array.min():.3g}); the 'normalize' "
                "mapping expects non-negative weights in [0, 1]"
            )
        return np.clip(array, low, 1.0)

    def _responses(self, schemes: np.ndarray) -> np.ndarray:
        if self.batched:
            self.receiver.observe_scheme(schemes)
            return np.asarray(self.receiver.policy(), dtype=np.float64)
        return np.stack([env.respond(s) for env, s in zip(self.envs, schemes, strict=True)])

    def render(self) -> tuple[Any, ...] | None:
        """One frame per copy (text or RGB array): the last scheme and response."""
        if self.render_mode is None:
            gymnasium.logger.warn(
                "You are calling render method without specifying any render mode, e.g. "
                'SchemeCommitmentVectorEnv(4, render_mode="ansi")'
            )
            return None
        if self._needs_reset:
            raise ResetNeeded("SchemeCommitmentVectorEnv: call reset() before render()")
        if self._last is None:
            return tuple(env.render() for env in self.envs)
        frames = []
        for b, game in enumerate(self.games):
            scheme, response = self._last["scheme"][b], self._last["response"][b]
            if self.render_mode == "rgb_array":
                frames.append(
                    _render.render_rgb([scheme, response], progress=self.t / self.episode_length)
                )
                continue
            header = (
                f"SchemeCommitmentVectorEnv[{b}]  game={game.name}  commitment "
                f"{self.t}/{self.episode_length}  LP optimum {self._lp[b]:.4f}\n"
                f"sender utility {self._last['sender_utility'][b]:.4f}; against the exact "
                f"best response {self._last['best_response_utility'][b]:.4f} "
                f"(ratio {self._last['ratio'][b]:.3f})"
            )
            frames.append(_render.render_ansi(header, game, scheme, response))
        return tuple(frames)
