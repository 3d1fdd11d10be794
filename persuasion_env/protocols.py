"""The agent protocols of the core: :class:`Sender`, :class:`Receiver`, :class:`Querier`,
what an agent is told (:class:`GameView`) and the metadata every agent declares.

They live in ``persuasion_env`` (layer 4 of DESIGN.md) because the engine, the environments
and the tournaments drive agents through them; the agents themselves (package ``agents``)
subclass them. ``agents.base`` re-exports every name here, so code written against
``agents.base`` keeps working.

Agents are **batched**: one agent object plays ``B`` independent runs of the same game at once,
keeping its tables with a leading "runs" axis (``B = 1`` is a single game). The simulation
engine (:func:`persuasion_env.simulate`), the environments and the tournaments drive them
through the same few calls::

    sender.reset(view, runs=B, rng=rng)          # view: what the sender may know of the game
    receiver.reset(view, runs=B, rng=rng)
    every round:
        messages = sender.act(states)            # (B,) ints in [0, M)
        receiver.observe_scheme(sender.policy()) # only receivers with needs_scheme = True
        actions = receiver.act(messages)         # (B,) ints in [0, A)
        sender.observe_receiver(receiver_policy_table(receiver), receiver_rewards)
                                                   # only senders that reads_receiver()
        sender.update(states, messages, actions, sender_rewards)
        receiver.update(messages, actions, receiver_rewards)
        receiver.observe_states(messages, states)  # only receivers with observes_state = True

Like the Axelrod library's strategies, every agent class carries metadata as class attributes:

==================  ===========================================================================
attribute           meaning
==================  ===========================================================================
``name``            registry name (``make_sender(name)`` / ``make_receiver(name)``)
``side``            ``"sender"`` or ``"receiver"``
``level``           senders: ``"round"`` (maps each state to a message, learns from rewards) or
                    ``"scheme"`` (commits to a whole scheme, changes it rarely); queriers:
                    ``"query"``; receivers: ``"explicit"`` (sees the scheme) or
                    ``"learning"`` (sees only messages and its own payoffs, and the state after
                    acting if ``observes_state``)
``learns``          whether the agent changes its behaviour from feedback
``needs_scheme``    receivers: whether it must be shown the sender's scheme
``observes_state``  receivers: whether it learns the realised state after acting (ex-post
                    state observation, as in fictitious play)
``full_information``whether the agent is given the whole game (both utilities): only the
                    exact benchmarks (``lp_optimal``) and the rational receivers' own needs
``information``     the information class (:data:`INFORMATION_CLASSES`): ``"black box"``
                    (its own payoff, the state, the other side's action or message),
                    ``"white box"`` (also the other side's policy or payoff),
                    ``"full information"`` (the whole game)
``observes``        what the agent reads while it plays, from :data:`OBSERVABLES`
``game``            ``"repeated"`` (this protocol) or ``"oracle"`` (the query game)
``batched_games``   whether one batch may give each run a different game (of one shape)
``description``     one line for ``persuasion agents`` and the docs
==================  ===========================================================================

**What an agent may know** is enforced by what it is given: :class:`GameView` carries the
sizes, the prior and the agent's *own* utility only; the full game (the other side's
utility) is passed only to classes that declare ``full_information = True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from persuasion_env._validation import as_float_array, check_int
from persuasion_env.game import PersuasionGame, stack_games

__all__ = [
    "BLACK_BOX",
    "FULL_INFORMATION",
    "INFORMATION_CLASSES",
    "OBSERVABLES",
    "WHITE_BOX",
    "Agent",
    "GameView",
    "Querier",
    "Receiver",
    "Sender",
    "information_class",
    "reads_receiver",
    "receiver_policy_table",
]

#: Information classes (issue 16): what an agent may read, so that tables compare like with
#: like. Black box: its own payoff, the state (senders), the other side's action or message.
BLACK_BOX = "black box"
#: White box: also the other side's policy (a scheme, a response table) or payoff.
WHITE_BOX = "white box"
#: Full information: the whole game (both utilities), e.g. the exact LP benchmark.
FULL_INFORMATION = "full information"
INFORMATION_CLASSES: tuple[str, ...] = (BLACK_BOX, WHITE_BOX, FULL_INFORMATION)

#: What an agent may read while it plays (the values of its ``observes`` metadata).
OBSERVABLES: dict[str, str] = {
    "state": "the realised state (senders, before sending)",
    "message": "the sender's message (receivers)",
    "action": "the receiver's action (senders, after the round)",
    "own_payoff": "its own realised payoff",
    "state_after": "the realised state after acting (receivers)",
    "scheme": "the sender's committed scheme (receivers)",
    "game": "the whole game: prior and both utilities",
    "oracle_answers": "the simulation oracle's yes/no answers (oracle game)",
    "receiver_policy": "the receiver's current policy pi(a|m) (white-box senders)",
    "receiver_payoff": "the receiver's realised payoff (white-box senders)",
}

#: What a sender must declare in ``observes`` to be shown the receiver each round.
RECEIVER_OBSERVABLES: tuple[str, ...] = ("receiver_policy", "receiver_payoff")


def information_class(agent: Any) -> str:
    """The information class of an agent object or class.

    An instance given the whole game (``full_information`` set per object, as by the SB3
    adapter of a scheme-level policy that saw ``u2``) is full information, and one shown the
    sender's scheme (``needs_scheme``) at least white box, whatever its class declares.
    """
    if getattr(agent, "full_information", False):
        return FULL_INFORMATION
    declared = getattr(agent, "information", BLACK_BOX)
    if declared == BLACK_BOX and getattr(agent, "needs_scheme", False):
        return WHITE_BOX  # it is shown the sender's scheme (the SB3 adapter of a vector policy)
    return declared


def reads_receiver(sender: Any) -> bool:
    """Whether the engine must call ``sender.observe_receiver`` every round: the sender
    declares ``"receiver_policy"`` or ``"receiver_payoff"`` in ``observes``.

    Raises:
        ValueError: if such a sender claims the black-box class (its tables would compare
            it with senders that read less).
    """
    observes = getattr(sender, "observes", ())
    if not any(key in observes for key in RECEIVER_OBSERVABLES):
        return False
    if information_class(sender) == BLACK_BOX:
        raise ValueError(
            f"sender {getattr(sender, 'name', sender)!r} reads the receiver's policy or payoff "
            f"(observes {tuple(observes)}) but declares information = {BLACK_BOX!r}; "
            f"declare {WHITE_BOX!r}"
        )
    return True


def receiver_policy_table(receiver: Any) -> np.ndarray:
    """The receiver's current policy ``pi[b, m, a]`` as a white-box sender reads it: the
    stochastic policy it samples from (``action_probabilities()``) when it exposes one,
    else its greedy response table (``policy()``)."""
    probabilities = getattr(receiver, "action_probabilities", None)
    table = probabilities() if callable(probabilities) else receiver.policy()
    return np.asarray(table, dtype=np.float64)


@dataclass(frozen=True)
class GameView:
    """What an agent is told about the game(s) when it is reset.

    One batch may hold a different game in each run (all of the same shape): the tournament
    batches games that way. The per-run arrays have a leading axis of size 1 (one game for
    all runs; it broadcasts) or B.

    Attributes:
        n_states: S.
        n_actions: A.
        n_messages: M, chosen by the sender (``A`` unless the sender asks otherwise).
        priors: ``(1 or B, S)`` the common prior of each run's game.
        utilities: ``(1 or B, S, A)`` the agent's *own* utility: ``u1`` for a sender, ``u2``
            for a receiver. Learners from rewards should not read it; rational receivers,
            model-based senders and fictitious play (which learns beliefs, not payoffs) may.
        games: the whole games ``(1 or B)``, only for agents with ``full_information = True``.
        horizon: how many rounds the runs started by this reset will play, when the caller
            knows it (``None`` when it does not). :func:`~persuasion_env.simulate` and the
            tournaments give the match's ``rounds``, the round-level environments the
            ``episode_length`` (their embedded agent is reset at every episode). It is the
            horizon of the match, known to both sides as any schedule is, not information
            about the game: an agent may size its phases by it (``margin_adaptive``,
            TableNet and ``signaling_gradient`` shorten theirs for short matches) and must
            behave as without it when it is ``None``.
        prior, utility, game: the same for a batch of one game (``None`` for a mixed batch),
            for agents that handle a single game only.
    """

    n_states: int
    n_actions: int
    n_messages: int
    priors: np.ndarray
    utilities: np.ndarray
    games: tuple[PersuasionGame, ...] | None = None
    horizon: int | None = None

    def __post_init__(self) -> None:
        # checked here too, not only in for_agent: agents divide by it
        if self.horizon is not None:
            object.__setattr__(self, "horizon", check_int(self.horizon, "horizon", minimum=1))

    @property
    def single_game(self) -> bool:
        """Whether every run plays the same game."""
        return self.priors.shape[0] == 1

    @property
    def prior(self) -> np.ndarray | None:
        return self.priors[0] if self.single_game else None

    @property
    def utility(self) -> np.ndarray | None:
        return self.utilities[0] if self.single_game else None

    @property
    def game(self) -> PersuasionGame | None:
        return self.games[0] if self.games is not None and self.single_game else None

    @classmethod
    def for_agent(
        cls,
        game: PersuasionGame | Sequence[PersuasionGame],
        agent: Agent,
        n_messages: int,
        *,
        horizon: int | None = None,
    ) -> GameView:
        """The view of ``game`` (or of one game per run) that ``agent`` is entitled to;
        ``horizon``: the rounds the reset's runs will play, if known (an int >= 1)."""
        if horizon is not None:
            horizon = check_int(horizon, "horizon", minimum=1)
        games = (game,) if isinstance(game, PersuasionGame) else tuple(game)
        if len({g.shape for g in games}) != 1:
            raise ValueError("all games of a batch must have the same shape (S, A)")
        if len(set(games)) == 1:
            games = games[:1]
        priors, u1, u2 = stack_games(games)
        return cls(
            n_states=games[0].n_states,
            n_actions=games[0].n_actions,
            n_messages=n_messages,
            priors=priors,
            utilities=u1 if agent.side == "sender" else u2,
            games=games if agent.full_information else None,
            horizon=horizon,
        )


class Agent:
    """Common base: metadata, reset bookkeeping and a readable repr."""

    name: ClassVar[str] = ""
    side: ClassVar[str] = ""
    level: ClassVar[str] = ""
    learns: ClassVar[bool] = False
    needs_scheme: ClassVar[bool] = False
    observes_state: ClassVar[bool] = False
    full_information: ClassVar[bool] = False
    #: The information class (:data:`INFORMATION_CLASSES`).
    information: ClassVar[str] = BLACK_BOX
    #: What the agent reads while it plays (keys of :data:`OBSERVABLES`).
    observes: ClassVar[tuple[str, ...]] = ()
    game: ClassVar[str] = "repeated"
    description: ClassVar[str] = ""
    #: Whether the agent can play a batch whose runs have different games (same shape).
    batched_games: ClassVar[bool] = False

    def __init__(self) -> None:
        self.view: GameView | None = None
        self.runs = 0
        self.rng: np.random.Generator = np.random.default_rng(0)

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        """Start ``runs`` fresh independent runs of the game described by ``view``."""
        self.view = view
        self.runs = runs
        self.rng = rng

    def _require_reset(self) -> GameView:
        if self.view is None:
            raise RuntimeError(f"{type(self).__name__} must be reset() with a game before use")
        return self.view

    def params(self) -> dict:
        """The constructor options of this agent (for tables and reproducibility)."""
        return {k: v for k, v in vars(self).items() if k in getattr(self, "_param_names", ())}

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({options})"


class Sender(Agent):
    """A sender: maps each round's state to a message.

    Subclasses implement :meth:`act` and :meth:`policy`, and :meth:`update` when they learn.
    ``n_messages`` (a constructor option of most senders) fixes M; ``None`` means A.
    """

    side: ClassVar[str] = "sender"
    level: ClassVar[str] = "round"
    observes: ClassVar[tuple[str, ...]] = ("state", "action", "own_payoff")

    n_messages: int | None = None

    def messages_for(self, game: PersuasionGame) -> int:
        """The number of messages M this sender uses in ``game``."""
        return self.n_messages if self.n_messages is not None else game.n_actions

    #: Incremented by scheme-level senders whenever they commit to a new scheme, so that the
    #: engine shows it to receivers who see schemes.
    policy_version: int = 0

    def act(self, states: np.ndarray) -> np.ndarray:
        """Messages ``(B,)`` for the states ``(B,)`` of this round."""
        raise NotImplementedError

    def update(
        self, states: np.ndarray, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray
    ) -> None:
        """Feedback of one round: the receiver's actions and the sender's own rewards."""

    def observe_receiver(self, policy: np.ndarray, receiver_rewards: np.ndarray) -> None:
        """White-box feedback of one round, before :meth:`update`: the receiver's policy
        ``pi[b, m, a]`` when it acted (:func:`receiver_policy_table`) and the payoffs
        ``(B,)`` it observed. Called only for senders that declare ``"receiver_policy"`` or
        ``"receiver_payoff"`` in ``observes`` (:func:`reads_receiver`)."""

    def policy(self) -> np.ndarray:
        """The current (greedy) messaging policy ``pi[b, s, m]``, shape ``(B, S, M)``."""
        raise NotImplementedError

    #: Whether message ``m`` is a recommendation to play ``recommendations()[:, m]``.
    recommends: ClassVar[bool] = False

    def recommendations(self) -> np.ndarray | None:
        """The action each message recommends, ``(B, M)``, for senders that recommend."""
        return None


class Receiver(Agent):
    """A receiver: maps each round's message to an action."""

    side: ClassVar[str] = "receiver"
    level: ClassVar[str] = "learning"
    observes: ClassVar[tuple[str, ...]] = ("message", "own_payoff")

    def observe_scheme(self, schemes: np.ndarray) -> None:
        """See the sender's scheme ``(B, S, M)`` (only called when ``needs_scheme``)."""

    def _checked_schemes(self, schemes: np.ndarray) -> np.ndarray:
        """``schemes`` as a float array, checked to be ``(B, S, M)`` for this reset."""
        view = self._require_reset()
        schemes = as_float_array(schemes, "schemes")
        expected = (self.runs, view.n_states, view.n_messages)
        if schemes.shape != expected:
            raise ValueError(f"schemes must have shape {expected}, got {schemes.shape}")
        return schemes

    def act(self, messages: np.ndarray) -> np.ndarray:
        """Actions ``(B,)`` for the messages ``(B,)`` of this round."""
        raise NotImplementedError

    def update(self, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Feedback of one round: the receiver's own rewards."""

    def observe_states(self, messages: np.ndarray, states: np.ndarray) -> None:
        """After the round, the states ``(B,)`` the messages ``(B,)`` were sent in (only
        called when ``observes_state``)."""

    def policy(self) -> np.ndarray:
        """The current greedy response table ``q[b, m, a]``, shape ``(B, M, A)``."""
        raise NotImplementedError


class Querier(Agent):
    """A sender of the simulation-oracle game (MODEL.md Part B): it chooses threshold queries.

    It is reset with the game (common knowledge) and its budget and/or costs, then either
    drives ``persuasion/OracleQuery-v0`` (:meth:`act` returns the env action: 0 = commit,
    ``t`` = ask "type >= t") or runs against an oracle directly (:meth:`run` returns the
    committed leaf policy). It learns the type only through the oracle's answers.
    """

    side: ClassVar[str] = "sender"
    game: ClassVar[str] = "oracle"
    level: ClassVar[str] = "query"
    information: ClassVar[str] = FULL_INFORMATION
    observes: ClassVar[tuple[str, ...]] = ("game", "oracle_answers")

    def reset(self, game: Any, **options: Any) -> None:  # type: ignore[override]
        """Prepare for one episode of ``game`` (an ``OracleGame``)."""
        raise NotImplementedError

    def act(self, observation: Any) -> int:
        """The env action for an ``OracleQuery-v0`` observation (0 = commit)."""
        raise NotImplementedError

    def run(self, oracle: Any) -> Any:
        """Query ``oracle`` (answers only) and return the committed leaf policy."""
        raise NotImplementedError
