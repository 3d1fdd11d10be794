"""The repeated persuasion game, one round per step (MODEL.md Part A, A1 and A4).

Two single-agent views of the same game, registered as

* ``persuasion/RepeatedPersuasion-v0``: :class:`RepeatedPersuasionEnv`, the learning agent is
  the **sender** (it sees the state and sends a message), a receiver agent plays inside;
* ``persuasion/RepeatedPersuasionReceiver-v0``: :class:`RepeatedPersuasionReceiverEnv`, the
  learning agent is the **receiver** (it sees the message and acts), a sender agent inside.

Both are thin shells around :class:`RoundCore`, a batched round of the game (``B`` runs in
one NumPy call through the agents' batched tables): the single envs are ``B = 1``, and
:class:`persuasion_env.envs.vector.RepeatedPersuasionVectorEnv` is the same core with
``B = num_envs``. The helpers at the top (games, embedded agents, observations) are shared with
the scheme-commitment env, the PettingZoo env and the Stable-Baselines3 adapter in
``agents.sb3``, so that an observation is encoded in one place only.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Mapping
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from persuasion_env._validation import (
    check_action,
    check_bool,
    check_choice,
    check_game_size,
    check_int,
    check_positive,
)
from persuasion_env.envs import _render
from persuasion_env.envs._common import ResetNeeded, check_render_mode, check_seed, game_option
from persuasion_env.game import PersuasionGame
from persuasion_env.protocols import GameView
from persuasion_env.registry import make_agent
from persuasion_env.rounds import CHUNK, RoundTables
from persuasion_env.solvers.commitment import cached_solve_commitment

__all__ = [
    "RepeatedPersuasionEnv",
    "RepeatedPersuasionReceiverEnv",
    "RoundCore",
    "GameConfig",
    "embedded_agent",
    "render_run",
    "receiver_vector_observation",
    "sender_vector_observation",
    "spawn_rng",
]


# ------------------------------------------------------------------------ shared helpers


def spawn_rng(rng: np.random.Generator) -> np.random.Generator:
    """An independent child Generator of ``rng`` (``rng.spawn``; a draw-seeded child when
    ``rng`` has no seed sequence)."""
    try:
        return rng.spawn(1)[0]
    except (TypeError, ValueError, AttributeError):
        return np.random.default_rng(int(rng.integers(2**63)))


def _as_shape(size: Any) -> tuple[int, int]:
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        n = check_int(size, "size", minimum=1)
        check_game_size(n, n, f"size {n}")
        return n, n
    if isinstance(size, tuple | list) and len(size) == 2:
        shape = (
            check_int(size[0], "size[0] (number of states)", minimum=1),
            check_int(size[1], "size[1] (number of actions)", minimum=1),
        )
        check_game_size(*shape, f"size {shape}")
        return shape
    raise TypeError(
        f"size must be an int n (an n x n game) or a pair (n_states, n_actions), got {size!r}"
    )


class GameConfig:
    """Which game an environment plays: fixed, named, or drawn at every reset.

    Args:
        game: a :class:`PersuasionGame`, the name of an example (``"prosecutor"``, see
            ``PersuasionGame.example_names()``), or ``None`` to draw a random game of ``size``
            (``u1, u2 ~ U[0, 1]``, MODEL.md A7) at every ``reset``.
        size: ``(S, A)`` or ``n`` for ``n x n``; with a fixed game it must match its shape.
        default: the game when neither is given (a name, or a size tuple).
        prior: prior of drawn games, ``"uniform"`` or ``"dirichlet"``.
    """

    def __init__(
        self,
        game: PersuasionGame | str | None,
        size: Any,
        *,
        default: str | tuple[int, int],
        prior: str = "uniform",
    ) -> None:
        if game is None and size is None:
            if isinstance(default, str):
                game = default
            else:
                size = default
        if isinstance(game, str):
            game = PersuasionGame.example(game)
        if game is not None and not isinstance(game, PersuasionGame):
            raise TypeError(
                f"game must be a PersuasionGame, an example name or None, got {type(game).__name__}"
            )
        self.prior = check_choice(prior, "prior", ("uniform", "dirichlet"), listed=False)
        self.fixed: PersuasionGame | None = game
        if game is not None:
            if size is not None and _as_shape(size) != game.shape:
                raise ValueError(
                    f"size {_as_shape(size)} does not match the game's shape {game.shape} "
                    "(give one of game and size, or make them agree)"
                )
            self.shape: tuple[int, int] = game.shape
        else:
            self.shape = _as_shape(size)

    def draw(self, rng: np.random.Generator, override: Any = None) -> PersuasionGame:
        """The game of a new episode: ``override`` (a reset option), the fixed game, or a
        random game drawn with ``rng``."""
        if override is not None:
            if not isinstance(override, PersuasionGame):
                raise TypeError(
                    "options['game'] must be a PersuasionGame, got " + type(override).__name__
                )
            if override.shape != self.shape:
                raise ValueError(
                    f"options['game'] has shape {override.shape} but this environment's spaces "
                    f"were built for (S, A) = {self.shape}"
                )
            return override
        if self.fixed is not None:
            return self.fixed
        n_states, n_actions = self.shape
        return PersuasionGame.random(n_states, n_actions, seed=rng, prior=self.prior)

    def __repr__(self) -> str:
        return repr(self.fixed) if self.fixed is not None else f"random {self.shape} game"


def embedded_agent(agent: Any, side: str, kwargs: Mapping[str, Any] | None = None) -> Any:
    """The agent playing inside an env: built from a registry name (with ``kwargs``), or a
    deep copy of an agent object (so that vectorised copies never share tables).

    Raises:
        ValueError: for an unknown name or unknown keyword arguments (listing the known ones).
        TypeError: for an object that is not a ``side`` agent of the repeated game.
    """
    from persuasion_env.engine import resolve_agent

    if kwargs and not isinstance(agent, str):
        raise TypeError(f"{side}_kwargs can only be used with a {side} given by registry name")
    if isinstance(agent, str):
        agent = make_agent(side, agent, **dict(kwargs or {}))
    else:
        agent = copy.deepcopy(agent)
    return resolve_agent(agent, side)


def lp_value(game: PersuasionGame, n_messages: int) -> float:
    """The exact optimum with ``n_messages`` messages (LP, or the MILP when ``M < A``)."""
    restricted = n_messages if n_messages < game.n_actions else None
    return float(cached_solve_commitment(game, restricted).sender_value)


def _normalised(utility: np.ndarray) -> np.ndarray:
    top = float(np.abs(utility).max())
    return utility / top if top > 0 else utility


def sender_vector_observation(
    prior: np.ndarray,
    sender_utility: np.ndarray,
    n_messages: int,
    states: np.ndarray,
    last_messages: np.ndarray,
    last_actions: np.ndarray,
) -> np.ndarray:
    """The sender's ``obs_type="vector"`` observation, ``(B, 2S + SA + M + A)`` float32.

    ``[one_hot(state), prior, u1 / max|u1|, one_hot(last message), one_hot(last action)]``;
    a last message or action of ``-1`` (none yet) encodes as zeros.
    """
    n_states, n_actions = sender_utility.shape
    runs = states.shape[0]
    static = np.concatenate([prior, _normalised(sender_utility).ravel()])
    out = np.zeros((runs, 2 * n_states + n_states * n_actions + n_messages + n_actions))
    rows = np.arange(runs)
    out[rows, states] = 1.0
    out[:, n_states : n_states + static.size] = static
    base = n_states + static.size
    seen = last_messages >= 0
    out[rows[seen], base + last_messages[seen]] = 1.0
    base += n_messages
    seen = last_actions >= 0
    out[rows[seen], base + last_actions[seen]] = 1.0
    return out.astype(np.float32)


def receiver_vector_observation(
    prior: np.ndarray, receiver_utility: np.ndarray, messages: np.ndarray, schemes: np.ndarray
) -> np.ndarray:
    """The receiver's ``obs_type="vector"`` observation, ``(B, M + 2S + SA)`` float32.

    ``[one_hot(message), prior, u2 / max|u2|, pi[:, message]]``: the scheme's column of the
    message is all a Bayesian receiver needs for its posterior (MODEL.md A5).
    """
    runs, _, n_messages = schemes.shape
    rows = np.arange(runs)
    static = np.concatenate([prior, _normalised(receiver_utility).ravel()])
    one_hot = np.zeros((runs, n_messages))
    one_hot[rows, messages] = 1.0
    column = schemes[rows, :, messages]  # (B, S)
    return np.concatenate(
        [one_hot, np.broadcast_to(static, (runs, static.size)), column], axis=1
    ).astype(np.float32)


def _check_outputs(values: Any, runs: int, upper: int, what: str, agent: Any) -> np.ndarray:
    from persuasion_env.engine import _check_indices

    return _check_indices(values, runs, upper, what, agent)


# ------------------------------------------------------------------------------ the core


class RoundCore:
    """``B`` runs of the repeated game in which one side is an embedded agent.

    ``side`` is the side played from *outside* (by the RL agent): ``"sender"`` (the core
    holds a receiver agent) or ``"receiver"`` (it holds a sender agent). A round is
    :meth:`begin` (draw the states; for an outside receiver, the embedded sender's messages)
    then :meth:`play` (the outside side's choices; the embedded agent acts and both learn).
    All arrays have a leading runs axis ``(B,)``.
    """

    def __init__(
        self, side: str, runs: int, *, epoch: int = 1, noise: float = 0.0, normalize: bool = True
    ) -> None:
        self.side = side
        self.runs = runs
        self.epoch = epoch
        self.noise = noise
        self.normalize = normalize
        self.rows = np.arange(runs)

    def reset(
        self, game: PersuasionGame, agent: Any, n_messages: int, rng: np.random.Generator
    ) -> None:
        """Start ``B`` fresh runs of ``game``; the agent gets a Generator spawned from ``rng``."""
        self.game, self.agent, self.rng = game, agent, rng
        self.n_messages = n_messages
        agent.reset(GameView.for_agent(game, agent, n_messages), runs=self.runs, rng=spawn_rng(rng))
        n_states, n_actions = game.shape
        self.n_states, self.n_actions = n_states, n_actions
        self.tables = RoundTables(
            [game], np.zeros(self.runs, dtype=np.int64), normalize=self.normalize
        )
        self.flat_u1, self.flat_u2 = self.tables.flat_u1, self.tables.flat_u2
        self.scale1, self.scale2 = self.tables.scale1[0], self.tables.scale2[0]
        # What the embedded agent observes (normalised payoffs), gathered like the payoffs.
        self.flat_r1 = self.flat_u1 / self.scale1
        self.flat_r2 = self.flat_u2 / self.scale2
        self.lp_value = lp_value(game, n_messages)
        self.shows_scheme = self.side == "sender" and bool(agent.needs_scheme)
        self.shows_states = self.side == "sender" and bool(agent.observes_state)
        # Empirical scheme of the outside sender / response of the outside receiver (counts).
        shape = (
            (self.runs, n_states, n_messages)
            if self.side == "sender"
            else (self.runs, n_messages, n_actions)
        )
        self.counts = np.zeros(shape)
        self.t = 0
        self._k = CHUNK
        self.states = np.zeros(self.runs, dtype=np.int64)
        self.messages = np.full(self.runs, -1, dtype=np.int64)
        # The last completed round (-1: none yet this episode).
        self.last_states = np.full(self.runs, -1, dtype=np.int64)
        self.last_messages = np.full(self.runs, -1, dtype=np.int64)
        self.last_actions = np.full(self.runs, -1, dtype=np.int64)
        self.u1 = np.zeros(self.runs)
        self.u2 = np.zeros(self.runs)

    def begin(self) -> np.ndarray:
        """Draw this round's states ``(B,)``; for an outside receiver also the embedded
        sender's messages (returned then instead of the states)."""
        if self._k == CHUNK:
            self._states_chunk = self.tables.draw_states(self.rng, CHUNK)
            if self.noise > 0:
                self._noise_chunk = self.noise * self.rng.standard_normal((CHUNK, 2, self.runs))
            self._k = 0
        self.states = self._states_chunk[self._k]
        if self.side == "receiver":
            messages = self.agent.act(self.states)
            if self.t == 0:
                _check_outputs(messages, self.runs, self.n_messages, "messages", self.agent)
            self.messages = messages
            return messages
        return self.states

    def play(self, choices: np.ndarray) -> np.ndarray:
        """The outside side's messages (or actions) ``(B,)``; returns its rewards ``(B,)``
        (payoffs in the game's units, plus noise)."""
        states, rows, agent = self.states, self.rows, self.agent
        if self.side == "sender":
            messages = choices
            if self.shows_scheme:
                self.counts[rows, states, messages] += 1.0
                if self.t % self.epoch == 0:
                    agent.observe_scheme(self.empirical_scheme())
            actions = agent.act(messages)
            if self.t == 0:
                _check_outputs(actions, self.runs, self.n_actions, "actions", agent)
        else:
            messages, actions = self.messages, choices
            self.counts[rows, messages, actions] += 1.0
        cell = self.tables.cells(states, actions)
        u1 = self.flat_u1[cell]
        u2 = self.flat_u2[cell]
        noisy = self.noise > 0
        if noisy:
            z = self._noise_chunk[self._k]
        if self.side == "sender":
            r2 = self.flat_r2[cell]
            if noisy:
                r2 += z[1]
            agent.update(messages, actions, r2)
            if self.shows_states:
                agent.observe_states(messages, states)
            reward = u1 + z[0] * self.scale1 if noisy else u1
        else:
            r1 = self.flat_r1[cell]
            if noisy:
                r1 += z[0]
            agent.update(states, messages, actions, r1)
            reward = u2 + z[1] * self.scale2 if noisy else u2
        self.last_states, self.last_messages, self.last_actions = states, messages, actions
        self.u1, self.u2 = u1, u2
        self._k += 1
        self.t += 1
        return reward

    # ------------------------------------------------------------- views for rendering
    def empirical_scheme(self) -> np.ndarray:
        """The outside sender's empirical scheme ``(B, S, M)`` so far (uniform rows for states
        not seen yet). Outside receiver: the embedded sender's current policy."""
        if self.side == "receiver":
            return np.asarray(self.agent.policy(), dtype=np.float64)
        return _row_frequencies(self.counts)

    def response(self) -> np.ndarray:
        """The receiver's response table ``(B, M, A)``: the embedded receiver's greedy policy,
        or the outside receiver's empirical action frequencies per message."""
        if self.side == "sender":
            return np.asarray(self.agent.policy(), dtype=np.float64)
        return _row_frequencies(self.counts)


def _row_frequencies(counts: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=-1, keepdims=True)
    uniform = np.full_like(counts, 1.0 / counts.shape[-1])
    return np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), uniform)


# ------------------------------------------------------------------------- base class


class _RepeatedBase(gymnasium.Env):
    """Shared machinery of the two single-agent views (one run of :class:`RoundCore`)."""

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}
    _side = "sender"
    _obs_types: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        game: PersuasionGame | str | None,
        size: Any,
        agent: Any,
        agent_kwargs: Mapping[str, Any] | None,
        episode_length: int,
        n_messages: int | None,
        noise: float,
        normalize: bool,
        epoch: int,
        obs_type: str,
        render_mode: str | None,
    ) -> None:
        self.config = GameConfig(game, size, default="prosecutor")
        self.episode_length = check_int(episode_length, "episode_length", minimum=1)
        self.obs_type = check_choice(obs_type, "obs_type", self._obs_types)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        embedded = "receiver" if self._side == "sender" else "sender"
        self.agent = embedded_agent(agent, embedded, agent_kwargs)
        self.n_states, self.n_actions = self.config.shape
        if self._side == "sender":
            self.n_messages = (
                self.n_actions
                if n_messages is None
                else check_int(n_messages, "n_messages", minimum=1)
            )
        else:
            if n_messages is not None:
                raise TypeError(
                    "n_messages is chosen by the embedded sender in the receiver's view; "
                    "configure the sender instead (e.g. sender_kwargs={'n_messages': 3})"
                )
            probe = self.config.fixed or PersuasionGame.random(*self.config.shape, seed=0)
            self.n_messages = check_int(
                self.agent.messages_for(probe), "the sender's n_messages", minimum=1
            )
        self.core = RoundCore(
            self._side,
            1,
            epoch=check_int(epoch, "epoch", minimum=1),
            noise=check_positive(noise, "noise", allow_zero=True),
            normalize=check_bool(normalize, "normalize"),
        )
        self.game: PersuasionGame | None = None
        self._needs_reset = True
        self._ended = False
        self._choice = np.zeros(1, dtype=np.int64)

    # ------------------------------------------------------------------ gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        override = game_option(options)
        super().reset(seed=check_seed(seed))
        self.game = self.config.draw(spawn_rng(self.np_random), override)
        self.core.reset(self.game, self.agent, self.n_messages, self.np_random)
        self._needs_reset = False
        self._ended = False
        self._last = self.core.begin()
        return self._observation(), {"lp_value": self.core.lp_value}

    def _check_step(self, action: Any, upper: int, what: str) -> int:
        if self._needs_reset:
            raise ResetNeeded(
                f"{type(self).__name__}: call reset() before step()"
                if not self._ended
                else f"{type(self).__name__}: the episode ended (truncated after "
                f"{self.episode_length} rounds); call reset() before step()"
            )
        return check_action(action, upper, what=what)

    def _finish(self) -> bool:
        truncated = self.core.t >= self.episode_length
        if truncated:
            self._needs_reset = True
            self._ended = True
        else:
            self._last = self.core.begin()
        return truncated

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
            0,
            self.render_mode,
            title=type(self).__name__,
            episode_length=self.episode_length,
        )


def render_run(
    core: RoundCore, index: int, mode: str, *, title: str, episode_length: int
) -> str | np.ndarray:
    """Render run ``index`` of ``core`` as text (``"ansi"``) or an RGB array
    (``"rgb_array"``): the scheme, the posteriors and the receiver's response, with the last
    round's (state, message) and (message, action) cells highlighted."""
    scheme = core.empirical_scheme()[index]
    response = core.response()[index]
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
    game = core.game
    header = f"{title}  game={game.name}  round {core.t}/{episode_length}"
    if played:
        header += (
            f"\nlast round: state={game.state_names[state]}  message=m{message}  "
            f"action={game.action_names[action]}  sender {float(core.u1[index]):+.3f}  "
            f"receiver {float(core.u2[index]):+.3f}"
        )
    titles = (
        ("empirical scheme pi(m|s) of the agent", "receiver's greedy response q(a|m)")
        if core.side == "sender"
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


class RepeatedPersuasionEnv(_RepeatedBase):
    """The repeated persuasion game from the **sender's** side, one round per step.

    ## Description

    Every round a state ``s`` is drawn from the common prior; the agent (the sender) sees it
    and sends a message ``m``; a receiver agent inside the environment (by default the
    Q-learner of Info-Q, ``"q_learning"``) sees only ``m``, acts, and learns from its own
    payoff (``"fictitious_play"`` also learns the state after acting). The agent's reward is
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

    ``reset``: ``lp_value``. ``step``: ``state``, ``message``, ``receiver_action``,
    ``receiver_payoff`` (``u2[s, a]``, noiseless), ``sender_utility`` (``u1[s, a]``,
    noiseless) and ``lp_value``, the exact optimum of the game (the commitment LP of MODEL.md
    A2, or the MILP with ``M < A``), an upper reference for the mean reward.

    ## Arguments

    | Argument          | Default        | Meaning                                                 |
    |-------------------|----------------|---------------------------------------------------------|
    | `game`            | `"prosecutor"` | a `PersuasionGame`, example name or `None`              |
    | `size`            | `None`         | `(S, A)` or `n`: random game per reset                  |
    | `receiver`        | `"q_learning"` | registry name or agent (deep-copied)                    |
    | `receiver_kwargs` | `None`         | options of a receiver given by name                     |
    | `episode_length`  | `100`          | rounds per episode                                      |
    | `n_messages`      | `None` (A)     | number of messages M                                    |
    | `noise`           | `0.0`          | payoff noise (std. relative to max abs u)               |
    | `normalize`       | `True`         | the receiver observes payoffs / max abs u2              |
    | `epoch`           | `1`            | rounds between showings of the scheme (see Description) |
    | `obs_type`        | `"state"`      | `"state"` or `"vector"`                                 |
    | `render_mode`     | `None`         | `"ansi"` or `"rgb_array"`                               |

    ```python
    import gymnasium, persuasion_env
    env = gymnasium.make("persuasion/RepeatedPersuasion-v0", game="prosecutor",
                         receiver="q_learning", episode_length=200)
    env = gymnasium.make("persuasion/RepeatedPersuasion-v0", size=(4, 4), receiver="hedge")
    ```

    ## Version History

    * v0: initial version.
    """

    _side = "sender"
    _obs_types = ("state", "vector")

    def __init__(
        self,
        game: PersuasionGame | str | None = None,
        *,
        size: Any = None,
        receiver: Any = "q_learning",
        receiver_kwargs: Mapping[str, Any] | None = None,
        episode_length: int = 100,
        n_messages: int | None = None,
        noise: float = 0.0,
        normalize: bool = True,
        epoch: int = 1,
        obs_type: str = "state",
        render_mode: str | None = None,
    ) -> None:
        super().__init__(
            game=game,
            size=size,
            agent=receiver,
            agent_kwargs=receiver_kwargs,
            episode_length=episode_length,
            n_messages=n_messages,
            noise=noise,
            normalize=normalize,
            epoch=epoch,
            obs_type=obs_type,
            render_mode=render_mode,
        )
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

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        message = self._check_step(action, self.n_messages, "message")
        core = self.core
        state = int(core.states[0])
        self._choice[0] = message
        reward = float(core.play(self._choice)[0])
        info = {
            "state": state,
            "message": message,
            "receiver_action": int(core.last_actions[0]),
            "receiver_payoff": float(core.u2[0]),
            "sender_utility": float(core.u1[0]),
            "lp_value": core.lp_value,
        }
        truncated = self._finish()
        return self._observation(), reward, False, truncated, info

    def _observation(self) -> Any:
        core = self.core
        if self.obs_type == "state":
            return int(core.states[0])
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
    _obs_types = ("message", "vector")

    def __init__(
        self,
        game: PersuasionGame | str | None = None,
        *,
        size: Any = None,
        sender: Any = "lp_optimal",
        sender_kwargs: Mapping[str, Any] | None = None,
        episode_length: int = 100,
        noise: float = 0.0,
        normalize: bool = True,
        obs_type: str = "message",
        render_mode: str | None = None,
    ) -> None:
        super().__init__(
            game=game,
            size=size,
            agent=sender,
            agent_kwargs=sender_kwargs,
            episode_length=episode_length,
            n_messages=None,
            noise=noise,
            normalize=normalize,
            epoch=1,
            obs_type=obs_type,
            render_mode=render_mode,
        )
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
        act = self._check_step(action, self.n_actions, "receiver action")
        core = self.core
        state, message = int(core.states[0]), int(core.messages[0])
        self._choice[0] = act
        reward = float(core.play(self._choice)[0])
        info = {
            "state": state,
            "message": message,
            "action": act,
            "sender_utility": float(core.u1[0]),
            "receiver_payoff": float(core.u2[0]),
            "lp_value": core.lp_value,
        }
        truncated = self._finish()
        return self._observation(), reward, False, truncated, info

    def _observation(self) -> Any:
        core = self.core
        if self.obs_type == "message":
            return int(core.messages[0])
        schemes = np.asarray(self.agent.policy(), dtype=np.float64)
        return receiver_vector_observation(
            self.game.prior, self.game.receiver_utility, core.messages, schemes
        )[0]
