"""What the repeated game's environments share (MODEL.md Part A, A1 and A4).

The round itself is :class:`persuasion_env.match.Match` (:func:`start_match` builds one with
the RL agent's side played from outside), for the single-agent envs of
:mod:`persuasion_env.envs.repeated` (``B = 1``) and
:class:`persuasion_env.envs.vector.RepeatedPersuasionVectorEnv` (``B = num_envs``). Beside it:
their options, declared and validated once (:class:`SenderViewOptions`,
:class:`ReceiverViewOptions`), and the helpers (games, embedded agents, observations) shared
with the scheme-commitment env, the PettingZoo env and the Stable-Baselines3 adapter in
``agents.sb3``, so that an observation is encoded in one place only.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from persuasion_env._validation import (
    check_bool,
    check_choice,
    check_game_size,
    check_int,
    check_positive,
)
from persuasion_env.envs._common import check_render_mode
from persuasion_env.envs.defaults import (
    DEFAULT_BEST_FIXED_RUNS,
    DEFAULT_EPISODE_LENGTH,
    DEFAULT_RECEIVER,
    default_receiver_kwargs,
    episode_best_fixed_value,
)
from persuasion_env.game import PersuasionGame
from persuasion_env.match import ChunkedStates, Match, resolve_agent, row_frequencies
from persuasion_env.protocols import GameView
from persuasion_env.registry import make_agent
from persuasion_env.rounds import RoundTables
from persuasion_env.solvers.commitment import cached_solve_commitment

__all__ = [
    "GameConfig",
    "ReceiverViewOptions",
    "SenderViewOptions",
    "embedded_agent",
    "lp_value",
    "options_of",
    "receiver_vector_observation",
    "row_frequencies",
    "sender_vector_observation",
    "spawn_rng",
    "start_match",
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


# ------------------------------------------------------------------- the envs' options


_RENDER_MODES = ("ansi", "rgb_array")


@dataclass(kw_only=True)
class _RoundEnvOptions:
    """Options shared by both views: checked once, in :meth:`_check` (the view's own agent
    and its options are checked by the subclass)."""

    game: PersuasionGame | str | None = field(default=None, kw_only=False)
    size: Any = None
    episode_length: int = 100
    noise: float = 0.0
    normalize: bool = True
    obs_type: str = ""
    render_mode: str | None = None

    # Set by __post_init__: the game configuration and the embedded agent.
    _obs_types: ClassVar[tuple[str, ...]] = ()

    def _check(self, agent: Any, agent_kwargs: Any, embedded: str) -> None:
        self.config = GameConfig(self.game, self.size, default="prosecutor")
        self.episode_length = check_int(self.episode_length, "episode_length", minimum=1)
        self.obs_type = check_choice(self.obs_type, "obs_type", self._obs_types)
        self.render_mode = check_render_mode(self.render_mode, _RENDER_MODES)
        self.agent = embedded_agent(agent, embedded, agent_kwargs)
        self.n_states, self.n_actions = self.config.shape

    def best_fixed_value(self, game: PersuasionGame) -> float:
        """What a fixed scheme can reach in an episode of ``game``: NaN (not computed) unless
        the view defines it (the sender's view does)."""
        return math.nan


@dataclass(kw_only=True)
class SenderViewOptions(_RoundEnvOptions):
    """The options of the sender's view, ``persuasion/RepeatedPersuasion-v0`` and its vector
    env (their Arguments tables), declared and validated once. After construction it also
    holds ``config`` (:class:`GameConfig`), ``agent`` (the embedded receiver, built or
    deep-copied), ``n_states``, ``n_actions`` and ``n_messages`` (``A`` by default)."""

    receiver: Any = None  # DEFAULT_RECEIVER with DEFAULT_RECEIVER_KWARGS (envs.defaults)
    receiver_kwargs: Mapping[str, Any] | None = None
    episode_length: int = DEFAULT_EPISODE_LENGTH
    n_messages: int | None = None
    epoch: int = 1
    obs_type: str = "state"
    best_fixed_runs: int | None = None  # None: DEFAULT_BEST_FIXED_RUNS for a fixed game, else 0

    _obs_types: ClassVar[tuple[str, ...]] = ("state", "vector")

    def __post_init__(self) -> None:
        self._check(
            DEFAULT_RECEIVER if self.receiver is None else self.receiver,
            default_receiver_kwargs(self.receiver, self.receiver_kwargs),
            "receiver",
        )
        self.n_messages = (
            self.n_actions
            if self.n_messages is None
            else check_int(self.n_messages, "n_messages", minimum=1)
        )
        self.epoch = check_int(self.epoch, "epoch", minimum=1)
        self.noise = check_positive(self.noise, "noise", allow_zero=True)
        self.normalize = check_bool(self.normalize, "normalize")
        if self.best_fixed_runs is None:  # on for a fixed game, off when every reset draws one
            self.best_fixed_runs = 0 if self.config.fixed is None else DEFAULT_BEST_FIXED_RUNS
        self.best_fixed_runs = check_int(self.best_fixed_runs, "best_fixed_runs", minimum=0)
        # An untrained copy of the receiver, for the reference (the embedded one learns).
        self._fresh_agent = copy.deepcopy(self.agent)

    def best_fixed_value(self, game: PersuasionGame) -> float:
        """The best fixed scheme's realised value in an episode of ``game`` against a fresh
        receiver (:func:`~persuasion_env.envs.defaults.episode_best_fixed_value`, memoised
        per game); NaN when off (``best_fixed_runs = 0``) or with ``M != A``."""
        if self.best_fixed_runs == 0 or self.n_messages != game.n_actions:
            return math.nan
        return episode_best_fixed_value(
            game,
            self._fresh_agent,
            rounds=self.episode_length,
            runs=self.best_fixed_runs,
            options=(("normalize", self.normalize), ("noise", self.noise), ("epoch", self.epoch)),
        )


@dataclass(kw_only=True)
class ReceiverViewOptions(_RoundEnvOptions):
    """The options of the receiver's view, ``persuasion/RepeatedPersuasionReceiver-v0``;
    ``n_messages`` is the embedded sender's (on a fixed game, or a probe game of the size)."""

    sender: Any = "lp_optimal"
    sender_kwargs: Mapping[str, Any] | None = None
    obs_type: str = "message"

    _obs_types: ClassVar[tuple[str, ...]] = ("message", "vector")

    def __post_init__(self) -> None:
        self._check(self.sender, self.sender_kwargs, "sender")
        probe = self.config.fixed or PersuasionGame.random(*self.config.shape, seed=0)
        self.n_messages = check_int(
            self.agent.messages_for(probe), "the sender's n_messages", minimum=1
        )
        self.epoch = 1
        self.noise = check_positive(self.noise, "noise", allow_zero=True)
        self.normalize = check_bool(self.normalize, "normalize")


def options_of(cls: type, env: str, game: Any, options: Mapping[str, Any]) -> Any:
    """``cls(game, **options)``, an unknown option named as the environment's."""
    known = [f.name for f in fields(cls) if not f.name.startswith("_")]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(
            f"{env} got unexpected keyword argument(s) {unknown}; known: {', '.join(known)}"
        )
    return cls(game, **options)


def declare_options(options_cls: type, *, leading: tuple[str, ...] = ()) -> Any:
    """A class decorator: an env built as ``Env(..., **options)`` gets the signature of its
    options dataclass (``inspect.signature``, IDEs and ``help()`` list every option with its
    default), though the options are declared and checked only in ``options_cls``.

    ``leading`` names positional parameters of ``__init__`` before ``game`` (``num_envs``).
    """
    import inspect

    def decorate(env_cls: type) -> type:
        own = inspect.signature(env_cls.__init__).parameters
        parameters = [own[name] for name in leading]
        for f in fields(options_cls):
            if f.name.startswith("_"):
                continue
            kind = (
                inspect.Parameter.POSITIONAL_OR_KEYWORD
                if f.name == "game"
                else inspect.Parameter.KEYWORD_ONLY
            )
            parameters.append(inspect.Parameter(f.name, kind, default=f.default))
        # On the class (inspect.signature(cls) reads it first): the batched views share one
        # __init__, so a signature set on the function would be the last class's.
        env_cls.__signature__ = inspect.Signature(parameters)
        return env_cls

    return decorate


# ------------------------------------------------------------------------- the match


def _game_view(options: Any, game: PersuasionGame, agent: Any, n_messages: int) -> GameView:
    """``GameView.for_agent(game, agent, n_messages, horizon=options.episode_length)``, kept
    on ``options`` for the next reset of the same game (a frozen description whose arrays
    agents only read). The embedded agent is reset at every episode, so its horizon is the
    episode's length."""
    horizon = options.episode_length
    full = bool(getattr(agent, "full_information", False))
    key = (game, agent.side, full, n_messages, horizon)
    cached = getattr(options, "_view", None)
    if cached is not None and cached[0][0] is game and cached[0][1:] == key[1:]:
        return cached[1]
    view = GameView.for_agent(game, agent, n_messages, horizon=horizon)
    options._view = (key, view)
    return view


def _round_tables(options: Any, game: PersuasionGame, runs: int, normalize: bool) -> RoundTables:
    """The payoff tables of ``runs`` runs of ``game``, kept on ``options`` for the next
    reset of the same game (only read by the match: building them is a large part of a
    reset, and a single env resets every ``episode_length`` steps)."""
    key = (game, runs, normalize)
    cached = getattr(options, "_tables", None)
    if cached is not None and cached[0][0] is game and cached[0][1:] == key[1:]:
        return cached[1]
    tables = RoundTables([game], np.zeros(runs, dtype=np.int64), normalize=normalize)
    options._tables = (key, tables)
    return tables


def start_match(
    outside: str,
    options: SenderViewOptions | ReceiverViewOptions,
    game: PersuasionGame,
    rng: np.random.Generator,
    *,
    runs: int,
) -> Match:
    """``runs`` fresh runs of ``game`` in which the ``outside`` side (``"sender"`` or
    ``"receiver"``) is the RL agent's and the env's embedded agent (``options.agent``) plays
    the other side, with the env's ``n_messages``, ``epoch``, ``noise`` and ``normalize``.

    The agent is reset with a Generator spawned from ``rng``; the states and the payoff
    noise are drawn from ``rng`` itself, a whole chunk at a time (the envs' stream).
    """
    agent, n_messages, normalize = options.agent, options.n_messages, options.normalize
    agent.reset(_game_view(options, game, agent, n_messages), runs=runs, rng=spawn_rng(rng))
    tables = _round_tables(options, game, runs, normalize)
    sender, receiver = (None, agent) if outside == "sender" else (agent, None)
    return Match(
        tables,
        sender,
        receiver,
        n_messages=n_messages,
        states=ChunkedStates(tables, rng, noise=options.noise),
        epoch=options.epoch,
        check="first",
    )
