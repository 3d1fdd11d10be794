"""The round of the repeated game shared by its environments (MODEL.md Part A, A1 and A4).

:class:`RoundCore` plays a batched round (``B`` runs in one NumPy call through the agents'
batched tables) for the single-agent envs of :mod:`persuasion_env.envs.repeated` (``B = 1``)
and :class:`persuasion_env.envs.vector.RepeatedPersuasionVectorEnv` (``B = num_envs``). The
helpers beside it (games, embedded agents, observations, empirical schemes) are shared with
the scheme-commitment env, the PettingZoo env and the Stable-Baselines3 adapter in
``agents.sb3``, so that an observation is encoded in one place only.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from persuasion_env._validation import (
    check_choice,
    check_game_size,
    check_int,
)
from persuasion_env.game import PersuasionGame
from persuasion_env.protocols import GameView
from persuasion_env.registry import make_agent
from persuasion_env.rounds import CHUNK, RoundTables
from persuasion_env.solvers.commitment import cached_solve_commitment

__all__ = [
    "GameConfig",
    "RoundCore",
    "embedded_agent",
    "lp_value",
    "receiver_vector_observation",
    "row_frequencies",
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
        return row_frequencies(self.counts)

    def response(self) -> np.ndarray:
        """The receiver's response table ``(B, M, A)``: the embedded receiver's greedy policy,
        or the outside receiver's empirical action frequencies per message."""
        if self.side == "sender":
            return np.asarray(self.agent.policy(), dtype=np.float64)
        return row_frequencies(self.counts)


def row_frequencies(counts: np.ndarray) -> np.ndarray:
    """Rows of ``counts`` as frequencies; a row never counted is uniform."""
    totals = counts.sum(axis=-1, keepdims=True)
    uniform = np.full_like(counts, 1.0 / counts.shape[-1])
    return np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), uniform)
