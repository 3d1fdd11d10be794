"""The repeated persuasion game, one round per step (MODEL.md Part A, A1 and A4).

Two single-agent views of the same game, registered as

* ``persuasion/RepeatedPersuasion-v0``: :class:`RepeatedPersuasionEnv`, the learning agent is
  the **sender** (it sees the state and sends a message), a receiver agent plays inside;
* ``persuasion/RepeatedPersuasionReceiver-v0``: :class:`RepeatedPersuasionReceiverEnv`, the
  learning agent is the **receiver** (it sees the message and acts), a sender agent inside.

Both are thin shells around :class:`persuasion_env.match.Match`, the batched round of the game
that every path plays (the single envs are ``B = 1``, the vector env ``B = num_envs``); their
options and the shared helpers (games, embedded agents, observations) live in
:mod:`persuasion_env.envs.core`, and some are re-exported here.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from persuasion_env._validation import check_action
from persuasion_env.envs import _render
from persuasion_env.envs._common import ResetNeeded, check_seed, game_option
from persuasion_env.envs.core import (
    GameConfig,
    ReceiverViewOptions,
    SenderViewOptions,
    declare_options,
    embedded_agent,
    lp_value,
    options_of,
    receiver_vector_observation,
    sender_vector_observation,
    spawn_rng,
    start_match,
)
from persuasion_env.game import PersuasionGame
from persuasion_env.match import Match

__all__ = [
    "RepeatedPersuasionEnv",
    "RepeatedPersuasionReceiverEnv",
    "GameConfig",
    "embedded_agent",
    "render_run",
    "receiver_vector_observation",
    "sender_vector_observation",
    "spawn_rng",
]


# ------------------------------------------------------------------------- base class


class _RepeatedBase(gymnasium.Env):
    """Shared machinery of the two single-agent views (one run of a
    :class:`~persuasion_env.match.Match`, the RL agent's side played from outside)."""

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}
    _side = "sender"

    def __init__(self, options: SenderViewOptions | ReceiverViewOptions) -> None:
        self.options = options
        self.config = options.config
        self.episode_length = options.episode_length
        self.obs_type = options.obs_type
        self.render_mode = options.render_mode
        self.agent = options.agent
        self.n_states, self.n_actions = options.n_states, options.n_actions
        self.n_messages = options.n_messages
        self.core: Match | None = None
        self.game: PersuasionGame | None = None
        self.lp_value = float("nan")
        self._needs_reset = True
        self._ended = False

    # ------------------------------------------------------------------ gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        override = game_option(options)
        super().reset(seed=check_seed(seed))
        self.game = self.config.draw(spawn_rng(self.np_random), override)
        self.core = start_match(self._side, self.options, self.game, self.np_random, runs=1)
        self.lp_value = lp_value(self.game, self.n_messages)
        self._needs_reset = False
        self._ended = False
        self.core.begin()
        return self._observation(), {"lp_value": self.lp_value}

    def _reset_needed(self) -> ResetNeeded:
        return ResetNeeded(
            f"{type(self).__name__}: call reset() before step()"
            if not self._ended
            else f"{type(self).__name__}: the episode ended (truncated after "
            f"{self.episode_length} rounds); call reset() before step()"
        )

    def _end_episode(self) -> None:
        """The episode was truncated: ``step`` needs a ``reset`` now."""
        self._needs_reset = True
        self._ended = True

    def _observation(self) -> Any:
        raise NotImplementedError

    # ---------------------------------------------------------------------- rendering
    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            gymnasium.logger.warn(
                "You are calling render method without specifying any render mode. "
                "You can specify the render_mode at initialization, e.g. gymnasium.make("
                f'"{self.spec.id if self.spec else type(self).__name__}", render_mode="ansi")'
            )
            return None
        if self.game is None:
            raise ResetNeeded(f"{type(self).__name__}: call reset() before render()")
        return render_run(
            self.core,
            self.game,
            0,
            self.render_mode,
            title=type(self).__name__,
            episode_length=self.episode_length,
        )


def render_run(
    core: Match, game: PersuasionGame, index: int, mode: str, *, title: str, episode_length: int
) -> str | np.ndarray:
    """Render run ``index`` of ``core`` as text (``"ansi"``) or an RGB array
    (``"rgb_array"``): the scheme, the posteriors and the receiver's response, with the last
    round's (state, message) and (message, action) cells highlighted. The side played from
    outside shows its empirical policy (frequencies of what it chose), the embedded agent its
    current greedy policy."""
    scheme = np.asarray(core.sender.policy(), dtype=np.float64)[index]
    response = np.asarray(core.receiver.policy(), dtype=np.float64)[index]
    played = core.t > 0
    state, message, action = (
        int(core.last_states[index]),
        int(core.last_messages[index]),
        int(core.last_actions[index]),
    )
    if mode == "rgb_array":
        highlights = [(state, message), (message, action)] if played else [None, None]
        return _render.render_rgb(
            [scheme, response], highlights, progress=min(core.t / episode_length, 1.0)
        )
    header = f"{title}  game={game.name}  round {core.t}/{episode_length}"
    if played:
        header += (
            f"\nlast round: state={game.state_names[state]}  message=m{message}  "
            f"action={game.action_names[action]}  sender {float(core.u1[index]):+.3f}  "
            f"receiver {float(core.u2[index]):+.3f}"
        )
    titles = (
        ("empirical scheme pi(m|s) of the agent", "receiver's greedy response q(a|m)")
        if core.sender_outside
        else ("sender's scheme pi(m|s)", "empirical response q(a|m) of the agent")
    )
    return _render.render_ansi(
        header,
        game,
        scheme,
        response,
        scheme_title=titles[0],
        response_title=titles[1],
    )


# ----------------------------------------------------------------------- sender's view


@declare_options(SenderViewOptions)
class RepeatedPersuasionEnv(_RepeatedBase):
    """The repeated persuasion game from the **sender's** side, one round per step.

    ## Description

    Every round a state ``s`` is drawn from the common prior; the agent (the sender) sees it
    and sends a message ``m``; a receiver agent inside the environment (by default
    ``"fictitious_play"``, which also learns the state after acting, so it learns what each
    message means; the Q-learner of Info-Q, ``"q_learning"``, was the default before issue
    16) sees only ``m``, acts, and learns from its own payoff. The default's ``discount =
    0.999`` (memory of about 1000 receipts of a message; the agent's default is 0.995)
    makes its posteriors precise enough that a scheme obeyed with a small margin is obeyed
    reliably, and still lets it follow a sender who changes her scheme. The agent's reward is
    its utility ``u1[s, a]``. The receiver is a learner, so what a message *means* is whatever
    the agent's messaging has taught it: the agent must persuade through consistent
    signalling (MODEL.md A4.3, A6). The receiver is reset (a fresh learner) at every
    ``reset``. A receiver that reads schemes (``"best_response"``,
    ``"quantal"``) is shown the agent's empirical scheme of the episode (message frequencies
    per state; uniform rows for unseen states) every ``epoch`` rounds.

    ## Action Space

    ``Discrete(M)``: the message, ``M = n_messages`` (default ``A``, the number of receiver
    actions).

    ## Observation Space

    ``obs_type="state"`` (default): ``Discrete(S)``, the current state.

    ``obs_type="vector"``: ``Box(-1, 1, (2S + SA + M + A,), float32)``:

    | Slice           | Observation                                        |
    |-----------------|----------------------------------------------------|
    | `[0, S)`        | one-hot current state                              |
    | `[S, 2S)`       | prior `p`                                          |
    | `[2S, 2S + SA)` | `u1 / max|u1|` (row-major `(S, A)`)                |
    | next `M`        | one-hot message of the previous round (0 at start) |
    | last `A`        | one-hot receiver action of the previous round      |

    ## Rewards

    ``u1[s, a]`` in the game's units, plus ``noise * max|u1| * N(0, 1)`` when ``noise > 0``.
    The receiver inside observes ``u2[s, a] / max|u2|`` (plus ``noise * N(0, 1)``), the
    engine's convention (:func:`persuasion_env.simulate`).

    ## Starting State

    A state drawn from the prior; a fresh receiver (its Generator spawned from the env's
    ``np_random``, so ``reset(seed=...)`` makes episodes reproducible). With ``game=None``
    (or a ``size``) a new random game is drawn at every reset; ``reset(options={"game": g})``
    plays ``g`` (same shape) for that episode.

    ## Episode End

    Truncation after ``episode_length`` rounds (no termination: the game has no end). Calling
    ``step`` after that without ``reset`` raises :class:`gymnasium.error.ResetNeeded`.

    ## Info

    ``reset``: ``lp_value``, ``best_fixed_value``. ``step``: ``state``, ``message``,
    ``receiver_action``, ``receiver_payoff`` (``u2[s, a]``, noiseless), ``sender_utility``
    (``u1[s, a]``, noiseless) and the two references for the mean reward per round:

    * ``lp_value``, the exact optimum of the game (the commitment LP of MODEL.md A2, or the
      MILP with ``M < A``): an upper bound, since the receiver learns rather than knows;
    * ``best_fixed_value``, what a sender *can* reach against this receiver in an episode:
      the best of the fixed schemes of :func:`persuasion_env.best_fixed_scheme` (the LP
      scheme with obedience margins 0-0.2, full disclosure, no information), each played
      for ``episode_length`` rounds against a fresh receiver (``best_fixed_runs`` runs, seed
      0), its realised utility over the last 20 % of the episode (MODEL.md C1). Computed at
      the first reset of each game and memoised (the first reset of a game costs
      ``7 x best_fixed_runs`` simulated episodes; later resets nothing). Absent when off
      (``env.unwrapped.best_fixed_value`` is then NaN): by default when ``size`` draws a
      new game at every reset (pass ``best_fixed_runs`` to turn it on) and with ``M != A``.
      The defaults (``fictitious_play`` with ``discount=0.999``, 3000 rounds) are chosen so
      that it is >= 0.9 of ``lp_value`` (measured in docs/environments.md).

    ## Arguments

    | Argument          | Default        | Meaning                                       |
    |-------------------|----------------|-----------------------------------------------|
    | `game`            | `"prosecutor"` | a `PersuasionGame`, example name or `None`    |
    | `size`            | `None`         | `(S, A)` or `n`: random game per reset        |
    | `receiver`        | `None`         | registry name or agent (deep-copied); `None`: |
    |                   |                | `fictitious_play` with `discount=0.999`       |
    | `receiver_kwargs` | `None`         | options of a receiver given by name           |
    | `episode_length`  | `3000`         | rounds per episode                            |
    | `n_messages`      | `None` (A)     | number of messages M                          |
    | `noise`           | `0.0`          | payoff noise (std. relative to max abs u)     |
    | `normalize`       | `True`         | the receiver observes payoffs / max abs u2    |
    | `epoch`           | `1`            | rounds between showings of the scheme (see    |
    |                   |                | Description)                                  |
    | `obs_type`        | `"state"`      | `"state"` or `"vector"`                       |
    | `render_mode`     | `None`         | `"ansi"` or `"rgb_array"`                     |
    | `best_fixed_runs` | `None`         | runs of the `best_fixed_value` reference (0:  |
    |                   |                | off; `None`: 4 for a fixed game, off with     |
    |                   |                | `size`)                                       |

    ```python
    import gymnasium, persuasion_env
    env = gymnasium.make("persuasion/RepeatedPersuasion-v0", game="prosecutor",
                         receiver="q_learning", episode_length=200)
    env = gymnasium.make("persuasion/RepeatedPersuasion-v0", size=(4, 4), receiver="hedge")
    ```

    ## Version History

    * v0: initial version. Issue 16 changed the defaults (receiver ``q_learning`` ->
      ``fictitious_play``, ``episode_length`` 100 -> 3000) and added ``best_fixed_value``.
    """

    _side = "sender"

    def __init__(self, game: PersuasionGame | str | None = None, **options: Any) -> None:
        super().__init__(options_of(SenderViewOptions, type(self).__name__, game, options))
        obs_type = self.obs_type
        self.best_fixed_runs = self.options.best_fixed_runs
        self.best_fixed_value = math.nan
        self._references: dict[str, float] = {}
        self._state_obs = self.obs_type == "state"
        n_states, n_actions, n_messages = self.n_states, self.n_actions, self.n_messages
        self.action_space = spaces.Discrete(n_messages)
        if obs_type == "state":
            self.observation_space = spaces.Discrete(n_states)
        else:
            width = 2 * n_states + n_states * n_actions + n_messages + n_actions
            self.observation_space = spaces.Box(-1.0, 1.0, (width,), dtype=np.float32)

    @property
    def receiver(self) -> Any:
        """The receiver agent playing inside the environment."""
        return self.agent

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        obs, info = super().reset(seed=seed, options=options)
        self.best_fixed_value = self.options.best_fixed_value(self.game)
        self._references = (
            {} if math.isnan(self.best_fixed_value) else {"best_fixed_value": self.best_fixed_value}
        )  # absent rather than NaN when off (NaN != NaN would break info comparisons)
        return obs, {**info, **self._references}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        # The hot path: one flag test and check_action's fast path (an int, a NumPy integer
        # or a 0-d integer array cost the same), then one compiled call (Match.finish_one).
        if self._needs_reset:
            raise self._reset_needed()
        message = check_action(action, self.n_messages, what="message")
        core = self.core
        state = core.states.item(0)  # .item(0): a Python scalar, cheaper than int(a[0])
        more = core.t + 1 < self.episode_length  # else truncated after this round
        reward = core.finish_one(message, more)
        if not more:
            self._end_episode()
        info = {
            "state": state,
            "message": message,
            "receiver_action": core.last_actions.item(0),
            "receiver_payoff": core.u2.item(0),
            "sender_utility": core.u1.item(0),
            "lp_value": self.lp_value,
            **self._references,
        }
        observation = core.states.item(0) if self._state_obs else self._observation()
        return observation, reward, False, not more, info

    def _observation(self) -> Any:
        core = self.core
        if self.obs_type == "state":
            return core.states.item(0)
        game = self.game
        return sender_vector_observation(
            game.prior,
            game.sender_utility,
            self.n_messages,
            core.states,
            core.last_messages,
            core.last_actions,
        )[0]


# --------------------------------------------------------------------- receiver's view


@declare_options(ReceiverViewOptions)
class RepeatedPersuasionReceiverEnv(_RepeatedBase):
    """The repeated persuasion game from the **receiver's** side, one round per step.

    ## Description

    Every round a state ``s`` is drawn from the prior; a sender agent inside the environment
    (by default the exact optimal scheme, ``"lp_optimal"``) sends a message ``m``; the agent
    (the receiver) sees ``m``, acts, and is paid ``u2[s, a]``. The sender learns from its own
    payoff when it is a learner (e.g. ``"info_q"``). The sender is reset at every ``reset``.

    ## Action Space

    ``Discrete(A)``: the receiver's action.

    ## Observation Space

    ``obs_type="message"`` (default): ``Discrete(M)``, the message (``M`` is the embedded
    sender's number of messages, ``A`` unless configured).

    ``obs_type="vector"``: ``Box(-1, 1, (M + 2S + SA,), float32)``:

    | Slice        | Observation                                           |
    |--------------|-------------------------------------------------------|
    | `[0, M)`     | one-hot message                                       |
    | `[M, M + S)` | prior `p`                                             |
    | next `SA`    | `u2 / max|u2|` (row-major `(S, A)`)                   |
    | last `S`     | `pi[:, m]`, the sender's current scheme's column of m |

    The last slice shows the scheme (explicit commitment); a receiver policy can then compute
    posteriors, and generalise across games.

    ## Rewards

    ``u2[s, a]`` in the game's units, plus ``noise * max|u2| * N(0, 1)`` when ``noise > 0``.
    The sender inside observes ``u1[s, a] / max|u1|`` (plus ``noise * N(0, 1)``).

    ## Starting State, Episode End

    As :class:`RepeatedPersuasionEnv`: a state from the prior and a fresh sender; truncation
    after ``episode_length`` rounds; ``step`` after the end raises ``ResetNeeded``.

    ## Info

    ``reset``: ``lp_value``. ``step``: ``state``, ``message``, ``action``,
    ``sender_utility``, ``receiver_payoff`` (noiseless) and ``lp_value``.

    ## Arguments

    | Argument         | Default        | Meaning                                    |
    |------------------|----------------|--------------------------------------------|
    | `game`           | `"prosecutor"` | a `PersuasionGame`, example name or `None` |
    | `size`           | `None`         | `(S, A)` or `n`: random game per reset     |
    | `sender`         | `"lp_optimal"` | registry name or agent (deep-copied)       |
    | `sender_kwargs`  | `None`         | options of a sender given by name          |
    | `episode_length` | `100`          | rounds per episode                         |
    | `noise`          | `0.0`          | payoff noise (std. relative to max abs u)  |
    | `normalize`      | `True`         | the sender observes payoffs / max abs u1   |
    | `obs_type`       | `"message"`    | `"message"` or `"vector"`                  |
    | `render_mode`    | `None`         | `"ansi"` or `"rgb_array"`                  |

    ```python
    env = gymnasium.make("persuasion/RepeatedPersuasionReceiver-v0", game="prosecutor",
                         sender="lp_optimal", sender_kwargs={"margin": 0.05})
    ```

    ## Version History

    * v0: initial version.
    """

    _side = "receiver"

    def __init__(self, game: PersuasionGame | str | None = None, **options: Any) -> None:
        super().__init__(options_of(ReceiverViewOptions, type(self).__name__, game, options))
        obs_type = self.obs_type
        self._message_obs = obs_type == "message"
        n_states, n_actions, n_messages = self.n_states, self.n_actions, self.n_messages
        self.action_space = spaces.Discrete(n_actions)
        if obs_type == "message":
            self.observation_space = spaces.Discrete(n_messages)
        else:
            width = n_messages + 2 * n_states + n_states * n_actions
            self.observation_space = spaces.Box(-1.0, 1.0, (width,), dtype=np.float32)

    @property
    def sender(self) -> Any:
        """The sender agent playing inside the environment."""
        return self.agent

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        obs, info = super().reset(seed=seed, options=options)
        if self.agent.messages_for(self.game) != self.n_messages:
            raise ValueError(
                f"the sender uses {self.agent.messages_for(self.game)} messages in this game, "
                f"but the observation space was built for {self.n_messages}"
            )
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if self._needs_reset:
            raise self._reset_needed()
        act = check_action(action, self.n_actions, what="receiver action")
        core = self.core
        state, message = core.states.item(0), core.messages.item(0)
        more = core.t + 1 < self.episode_length  # else truncated after this round
        reward = core.finish_one(act, more)
        if not more:
            self._end_episode()
        info = {
            "state": state,
            "message": message,
            "action": act,
            "sender_utility": core.u1.item(0),
            "receiver_payoff": core.u2.item(0),
            "lp_value": self.lp_value,
        }
        observation = core.messages.item(0) if self._message_obs else self._observation()
        return observation, reward, False, not more, info

    def _observation(self) -> Any:
        core = self.core
        if self.obs_type == "message":
            return core.messages.item(0)
        schemes = np.asarray(self.agent.policy(), dtype=np.float64)
        return receiver_vector_observation(
            self.game.prior, self.game.receiver_utility, core.messages, schemes
        )[0]
