"""Scheme commitment: the sender commits to a whole scheme per step (MODEL.md A2, A4, A5).

Registered as ``persuasion/SchemeCommitment-v0``. The time scale is the epoch, not the
round: each step the agent (the sender) commits to a scheme ``pi[s, m]``; the receiver
responds, either **explicitly** (it sees the scheme: Bayesian best response, quantal
response) or **implicitly** (a learning receiver plays ``epoch_rounds`` rounds against the
scheme through the batched engine, :func:`persuasion_env.simulate`, and its greedy response at
the end is the response); the reward is the sender's expected utility ``U1(pi, q)``.

The observation describes the game (prior and normalised utilities), so one policy can be
trained across random games and asked for schemes on games it never saw
(``examples/train_scheme_generalisation.py`` measures how well: with a permutation-equivariant
policy, 0.899 +- 0.014 of the LP on 200 held-out random 4 x 4 games at 600k PPO steps and
0.905 +- 0.014 at 1M, against 0.741 for no information and 0.753 for full disclosure).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from persuasion_env import bayes
from persuasion_env._validation import (
    as_float_array,
    check_bool,
    check_choice,
    check_int,
    check_positive,
)
from persuasion_env.envs import _render
from persuasion_env.envs._common import ResetNeeded, check_render_mode, check_seed, game_option
from persuasion_env.envs.core import GameConfig, embedded_agent, lp_value, spawn_rng
from persuasion_env.game import PersuasionGame
from persuasion_env.protocols import GameView

__all__ = ["SchemeCommitmentEnv", "ACTION_MAPPINGS", "action_to_scheme", "game_observation"]

#: How a Box action becomes a row-stochastic scheme (see :func:`action_to_scheme`).
ACTION_MAPPINGS = ("softmax", "normalize")

#: Slack allowed beyond the bounds of the action space (float32 rounding of agents' outputs).
_BOUND_ATOL = 1e-5


def action_to_scheme(
    action: np.ndarray, mapping: str = "softmax", logit_scale: float = 5.0
) -> np.ndarray:
    """Map actions ``(..., S, M)`` to schemes ``(..., S, M)`` (rows sum to 1). No validation.

    * ``"softmax"``: entries in ``[-1, 1]`` are logits divided by ``logit_scale``:
      ``pi[s, :] = softmax(logit_scale * action[s, :])``. Every scheme with row ratios up to
      ``exp(2 * logit_scale)`` is reachable, and PPO's Gaussian policy on ``[-1, 1]`` fits it.
    * ``"normalize"``: entries in ``[0, 1]`` are weights: ``pi[s, :] = w[s, :] / sum(w[s, :])``;
      an all-zero row means the uniform row. Any scheme is reachable exactly (pass the scheme
      itself), which suits evaluation and hand-made schemes.
    """
    action = np.asarray(action, dtype=np.float64)
    if mapping == "softmax":
        logits = logit_scale * action
        weights = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return weights / weights.sum(axis=-1, keepdims=True)
    totals = action.sum(axis=-1, keepdims=True)
    uniform = np.full_like(action, 1.0 / action.shape[-1])
    return np.where(totals > 0, action / np.where(totals > 0, totals, 1.0), uniform)


def game_observation(game: PersuasionGame, *, receiver_utility: bool = True) -> np.ndarray:
    """The game as a float32 vector in [-1, 1]: ``[prior, u1 / max|u1|, u2 / max|u2|]``
    (utilities row-major ``(S, A)``; ``u2`` omitted with ``receiver_utility=False``)."""
    parts = [game.prior]
    utilities = [game.sender_utility] + ([game.receiver_utility] if receiver_utility else [])
    for u in utilities:
        top = float(np.abs(u).max())
        parts.append((u / top if top > 0 else u).ravel())
    return np.concatenate(parts).astype(np.float32)


class SchemeCommitmentEnv(gymnasium.Env):
    """The sender commits to a whole signalling scheme each step; the receiver responds.

    ## Description

    A game (prior ``p``, utilities ``u1, u2`` of shape ``(S, A)``) is fixed or drawn at each
    reset. Each step the agent (the sender) commits to a scheme ``pi[s, m] = pi(m | s)``.
    The receiver responds with a table ``q[m, a]``:

    * **explicit** receivers see the scheme: ``"best_response"`` (Bayesian best response, ties
      in the sender's favour, MODEL.md A1) or ``"quantal"`` (``softmax(lam * E[u2 | m])``,
      A4.2; pass ``receiver_kwargs={"lam": 50.0}``);
    * **implicit** (learning) receivers such as ``"q_learning"``, ``"reinforce"`` or
      ``"hedge"`` never see it: a fresh learner plays ``epoch_rounds`` rounds against the
      scheme in the batched engine, and its final greedy response is the response (A4.3: the
      sender "sticks to pi for a period").

    The reward is the sender's expected utility ``U1(pi, q) = sum p[s] pi[s,m] q[m,a] u1[s,a]``.
    The optimum over schemes against a best-responding receiver is the commitment LP (A2),
    reported in ``info["lp_value"]`` (NaN with ``lp_reference=False``, which skips the solve
    at each reset: training across random games then resets ~10x faster).

    ## Action Space

    ``Box(low, high, (S, M), float32)``, mapped to a scheme row by row
    (:func:`action_to_scheme`):

    | `action_mapping` | Space                | Scheme                                       |
    |------------------|----------------------|----------------------------------------------|
    | `"softmax"`      | `Box(-1, 1, (S, M))` | `pi[s] = softmax(logit_scale * action[s])`   |
    | `"normalize"`    | `Box(0, 1, (S, M))`  | `action[s] / sum(action[s])`; 0 row: uniform |

    Actions outside the space (beyond a 1e-5 slack), with NaN or inf, or of another shape
    raise ``ValueError`` naming what was expected.

    ## Observation Space

    ``Box(-1, 1, (S + 2 S A,), float32)`` (``S + S A`` with ``observe_receiver_utility=False``),
    constant during an episode:

    | Slice               | Observation                           |
    |---------------------|---------------------------------------|
    | `[0, S)`            | prior `p`                             |
    | `[S, S + SA)`       | `u1 / max abs u1`, row-major `(S, A)` |
    | `[S + SA, S + 2SA)` | `u2 / max abs u2`, row-major `(S, A)` |

    ## Rewards

    ``U1(pi, q)`` in the game's units (for a random game in [0, 1]). ``reward_scale="lp"``
    divides it by the LP optimum, so that 1 means optimal (useful across random games).

    ## Starting State

    The game: fixed (``game``), or drawn from ``size`` at every reset with the env's
    ``np_random``; ``reset(options={"game": g})`` plays ``g`` for one episode. Embedded
    learners get Generators spawned from ``np_random``.

    ## Episode End

    Truncation after ``episode_length`` commitments (default 10). The observation is constant
    within an episode and each reward depends on that step's scheme only, so with discount
    ``gamma = 0`` the problem is a contextual bandit (``episode_length=1`` is that bandit
    exactly, but Gymnasium's ``check_env`` rejects one-step episodes, hence the default).
    ``step`` after the end without ``reset`` raises ``ResetNeeded``.

    ## Info

    ``reset``: ``lp_value``. ``step``: ``scheme`` (S, M), ``response`` (M, A),
    ``receiver_utility`` (``U2``), ``best_response_utility`` (``U1`` of the scheme against
    the exact best response, the honest evaluation), ``lp_value``, ``ratio``
    (``best_response_utility / lp_value``: the evaluation against the exact best response,
    against which the LP is the optimum, whatever receiver the agent trains against),
    ``reward_ratio`` (``sender_utility / lp_value``, against the training receiver; the
    reward with ``reward_scale="lp"``) and ``sender_utility`` (unscaled reward).

    ## Arguments

    | Argument                   | Default           | Meaning                                   |
    |----------------------------|-------------------|-------------------------------------------|
    | `game`                     | `None`            | `PersuasionGame`, example name or None    |
    | `size`                     | `(4, 4)`          | `(S, A)` or `n`: random game per reset    |
    | `receiver`                 | `"best_response"` | registry name or receiver object          |
    | `receiver_kwargs`          | `None`            | options of a receiver given by name       |
    | `n_messages`               | `None` (A)        | number of messages M                      |
    | `action_mapping`           | `"softmax"`       | `"softmax"` or `"normalize"`              |
    | `logit_scale`              | `5.0`             | softmax temperature factor                |
    | `epoch_rounds`             | `1000`            | rounds a learning receiver plays per step |
    | `episode_length`           | `10`              | commitments per episode                   |
    | `noise`                    | `0.0`             | payoff noise seen by learning receivers   |
    | `normalize`                | `True`            | learners observe payoffs / max abs u2     |
    | `observe_receiver_utility` | `True`            | include `u2` in the observation           |
    | `reward_scale`             | `"none"`          | `"none"` or `"lp"`                        |
    | `lp_reference`             | `True`            | solve the LP at each reset (else NaN)     |
    | `render_mode`              | `None`            | `"ansi"` or `"rgb_array"`                 |

    ```python
    env = gymnasium.make("persuasion/SchemeCommitment-v0", size=(4, 4),
                         receiver="quantal", receiver_kwargs={"lam": 50.0})
    env = gymnasium.make("persuasion/SchemeCommitment-v0", game="prosecutor",
                         receiver="q_learning", epoch_rounds=2000)
    ```

    ## Version History

    * v0: initial version.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 2}

    def __init__(
        self,
        game: PersuasionGame | str | None = None,
        *,
        size: Any = None,
        receiver: Any = "best_response",
        receiver_kwargs: Mapping[str, Any] | None = None,
        n_messages: int | None = None,
        action_mapping: str = "softmax",
        logit_scale: float = 5.0,
        epoch_rounds: int = 1000,
        episode_length: int = 10,
        noise: float = 0.0,
        normalize: bool = True,
        observe_receiver_utility: bool = True,
        reward_scale: str = "none",
        lp_reference: bool = True,
        render_mode: str | None = None,
    ) -> None:
        self.config = GameConfig(game, size, default=(4, 4))
        self.receiver = embedded_agent(receiver, "receiver", receiver_kwargs)
        check_choice(action_mapping, "action_mapping", ACTION_MAPPINGS)
        check_choice(reward_scale, "reward_scale", ("none", "lp"), listed=False)
        check_render_mode(render_mode, self.metadata["render_modes"])
        self.action_mapping = action_mapping
        self.logit_scale = check_positive(logit_scale, "logit_scale")
        self.epoch_rounds = check_int(epoch_rounds, "epoch_rounds", minimum=1)
        self.episode_length = check_int(episode_length, "episode_length", minimum=1)
        self.noise = check_positive(noise, "noise", allow_zero=True)
        self.normalize = check_bool(normalize, "normalize")
        self.observe_receiver_utility = check_bool(
            observe_receiver_utility, "observe_receiver_utility"
        )
        self.reward_scale = reward_scale
        self.lp_reference = check_bool(lp_reference, "lp_reference")
        if reward_scale == "lp" and not self.lp_reference:
            raise ValueError("reward_scale='lp' needs lp_reference=True (the LP optimum)")
        self.render_mode = render_mode
        n_states, n_actions = self.config.shape
        self.n_states, self.n_actions = n_states, n_actions
        self.n_messages = (
            n_actions if n_messages is None else check_int(n_messages, "n_messages", minimum=1)
        )
        low = -1.0 if action_mapping == "softmax" else 0.0
        self.action_space = spaces.Box(low, 1.0, (n_states, self.n_messages), dtype=np.float32)
        width = n_states + n_states * n_actions * (2 if self.observe_receiver_utility else 1)
        self.observation_space = spaces.Box(-1.0, 1.0, (width,), dtype=np.float32)
        self.game: PersuasionGame | None = None
        self._needs_reset = True
        self._ended = False
        self._last: dict[str, Any] | None = None

    # ------------------------------------------------------------------ gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        override = game_option(options)
        super().reset(seed=check_seed(seed))
        self.game = self.config.draw(spawn_rng(self.np_random), override)
        # Skipping the LP (lp_reference=False) makes resets of random games ~10x cheaper.
        self.lp_value = lp_value(self.game, self.n_messages) if self.lp_reference else math.nan
        if self.receiver.needs_scheme:
            view = GameView.for_agent(self.game, self.receiver, self.n_messages)
            self.receiver.reset(view, runs=1, rng=spawn_rng(self.np_random))
        self._obs = game_observation(self.game, receiver_utility=self.observe_receiver_utility)
        self.t = 0
        self._needs_reset = False
        self._ended = False
        self._last = None
        return self._obs.copy(), {"lp_value": self.lp_value}

    def check_action(self, action: Any) -> np.ndarray:
        """Validate an action and return it as float64 ``(S, M)`` (clipped to the bounds)."""
        expected = (self.n_states, self.n_messages)
        space = f"Box({self.action_space.low.flat[0]:g}, 1, {expected})"
        array = as_float_array(action, "action")
        if array.shape != expected:
            raise ValueError(
                f"action must have shape {expected} (S states x M messages; the action space "
                f"is {space}), got shape {array.shape}"
            )
        low = float(self.action_space.low.flat[0])
        if self.action_mapping == "normalize" and np.any(array < 0):
            raise ValueError(
                f"action has negative entries (min {array.min():.3g}); the 'normalize' mapping "
                f"expects non-negative weights in [0, 1] ({space})"
            )
        if array.min() < low - _BOUND_ATOL or array.max() > 1.0 + _BOUND_ATOL:
            raise ValueError(
                f"action lies outside the action space {space}: entries range over "
                f"[{array.min():.3g}, {array.max():.3g}]"
            )
        return np.clip(array, low, 1.0)

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._needs_reset:
            raise ResetNeeded(
                f"SchemeCommitmentEnv: the episode ended (truncated after {self.episode_length} "
                "commitments); call reset() before step()"
                if self._ended
                else "SchemeCommitmentEnv: call reset() before step()"
            )
        scheme = action_to_scheme(self.check_action(action), self.action_mapping, self.logit_scale)
        game = self.game
        response = self.respond(scheme)
        u1, u2 = bayes.expected_utilities(
            game.prior, scheme, response, game.sender_utility, game.receiver_utility
        )
        best = bayes.best_response_matrix(
            game.prior, scheme, game.receiver_utility, game.sender_utility
        )
        best_u1 = bayes.expected_utility(game.prior, scheme, best, game.sender_utility)
        sender_utility = float(u1)
        # The LP is the optimum against the exact best response, so the honest ratio is taken
        # there, whatever receiver the agent trains against; the reward's ratio is separate.
        ratio = float(best_u1) / self.lp_value if self.lp_value else math.nan
        reward_ratio = sender_utility / self.lp_value if self.lp_value else math.nan
        reward = reward_ratio if self.reward_scale == "lp" else sender_utility
        info = {
            "scheme": scheme,
            "response": response,
            "sender_utility": sender_utility,
            "receiver_utility": float(u2),
            "best_response_utility": float(best_u1),
            "lp_value": self.lp_value,
            "ratio": ratio,
            "reward_ratio": reward_ratio,
        }
        self._last = info
        self.t += 1
        truncated = self.t >= self.episode_length
        if truncated:
            self._needs_reset = True
            self._ended = True
        return self._obs.copy(), float(reward), False, truncated, info

    def respond(self, scheme: np.ndarray) -> np.ndarray:
        """The receiver's response table ``q[m, a]`` to ``scheme`` ``(S, M)`` in the current
        game: explicit receivers see it; learning receivers play an epoch in the engine."""
        if self.game is None:
            raise ResetNeeded("SchemeCommitmentEnv: call reset() before respond()")
        receiver = self.receiver
        if receiver.needs_scheme:
            receiver.observe_scheme(scheme[None])
            return np.asarray(receiver.policy(), dtype=np.float64)[0]
        from persuasion_env.engine import simulate

        sender = embedded_agent("fixed_scheme", "sender", {"scheme": scheme})
        result = simulate(
            self.game,
            sender,
            receiver,
            rounds=self.epoch_rounds,
            runs=1,
            seed=spawn_rng(self.np_random),
            normalize=self.normalize,
            noise=self.noise,
            bins=1,
        )
        return result.receiver_policy[0]

    # ---------------------------------------------------------------------- rendering
    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            gymnasium.logger.warn(
                "You are calling render method without specifying any render mode. "
                'e.g. gymnasium.make("persuasion/SchemeCommitment-v0", render_mode="ansi")'
            )
            return None
        if self.game is None:
            raise ResetNeeded("SchemeCommitmentEnv: call reset() before render()")
        game = self.game
        if self._last is None:
            scheme = np.full((self.n_states, self.n_messages), 1.0 / self.n_messages)
            response = (
                self.respond(scheme)
                if self.receiver.needs_scheme
                else np.full((self.n_messages, self.n_actions), 1.0 / self.n_actions)
            )
        else:
            scheme, response = self._last["scheme"], self._last["response"]
        if self.render_mode == "rgb_array":
            return _render.render_rgb([scheme, response], progress=self.t / self.episode_length)
        header = (
            f"SchemeCommitmentEnv  game={game.name}  commitment {self.t}/{self.episode_length}  "
            f"receiver={self.receiver.name}  LP optimum {self.lp_value:.4f}"
        )
        if self._last is not None:
            header += (
                f"\nsender utility {self._last['sender_utility']:.4f} "
                f"(to the LP {self._last['reward_ratio']:.3f}); against the exact best "
                f"response {self._last['best_response_utility']:.4f} (ratio "
                f"{self._last['ratio']:.3f})"
            )
        return _render.render_ansi(
            header,
            game,
            scheme,
            response,
        )
