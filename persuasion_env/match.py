"""The round of play of the repeated persuasion game, written once (MODEL.md A1, A4-A6).

A round, batched over a leading runs axis ``(B,)`` (a single environment is ``B = 1``):

1. :meth:`Match.deal` draws each run's state (and the round's payoff noise) from a state
   stream, by default :class:`ChunkedStates` (``CHUNK`` rounds per generator call);
2. :meth:`Match.send`: the sender maps the states to messages (``act``), or an outside sender's
   messages are passed in;
3. :meth:`Match.respond`: a receiver that reads schemes is shown the sender's scheme (a
   per-round sender's every ``epoch`` rounds, a scheme-level sender's whenever it commits
   anew); the receiver maps the messages to actions, or an outside receiver's actions are
   passed in; both payoffs are looked up; each embedded agent learns from its own observed
   payoff (normalised, plus noise) and, for a receiver whose metadata says ``observes_state``,
   from the state after acting. A white-box sender that declares ``receiver_policy`` /
   ``receiver_payoff`` in ``observes`` is first shown the receiver's policy when it acted and
   its observed payoff (``observe_receiver``); no other agent is.

:meth:`Match.play` is the multi-round loop (every side embedded) with a bookkeeping hook after
each round; it is the one place a compiled loop may replace for a chunk of rounds.

Every path plays this round: :func:`persuasion_env.simulate` (both sides embedded), the
Gymnasium envs and the vector env (one side outside: the RL agent's choice), the PettingZoo
envs (both sides outside) and TableNet's learning-receiver epochs (an embedded scheme sampler),
so an agent behaves the same on each of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from persuasion_env._fused import FusedRound
from persuasion_env.protocols import reads_receiver, receiver_policy_table
from persuasion_env.registry import make_agent
from persuasion_env.rounds import CHUNK, RoundTables

__all__ = [
    "ChunkedStates",
    "Match",
    "Outside",
    "StateStream",
    "check_indices",
    "resolve_agent",
    "row_frequencies",
]


# --------------------------------------------------------------------- agents' outputs


def resolve_agent(agent: Any, side: str) -> Any:
    """An agent object from an object or a registry name, checked to be a ``side`` agent."""
    if isinstance(agent, str):
        agent = make_agent(side, agent)
    if getattr(agent, "side", None) != side:
        raise TypeError(f"{side} must be a {side} agent or its registry name, got {agent!r}")
    if getattr(agent, "game", "repeated") != "repeated":
        raise ValueError(
            f"{side} {getattr(agent, 'name', agent)!r} plays the {agent.game} game, "
            "not the repeated persuasion game"
        )
    return agent


def check_indices(values: Any, runs: int, upper: int, what: str, agent: Any) -> np.ndarray:
    """What an agent returned, checked to be ``runs`` integers in ``[0, upper)``.

    Raises:
        ValueError: naming the agent, when ``values`` is not an integer array of shape
            ``(runs,)`` or holds a value outside ``[0, upper)``.
    """
    if (
        not isinstance(values, np.ndarray)
        or values.shape != (runs,)
        or values.dtype.kind not in "iu"
    ):
        values = np.asarray(values)
        raise ValueError(
            f"{agent.name} returned {what} of shape {values.shape} and dtype {values.dtype}; "
            f"expected integers of shape ({runs},)"
        )
    low, high = values.min(), values.max()
    if low < 0 or high >= upper:
        raise ValueError(f"{agent.name} returned {what} outside [0, {upper}): {low}..{high}")
    return values


def row_frequencies(counts: np.ndarray) -> np.ndarray:
    """Rows of ``counts`` as frequencies; a row never counted is uniform."""
    totals = counts.sum(axis=-1, keepdims=True)
    uniform = np.full_like(counts, 1.0 / counts.shape[-1])
    return np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), uniform)


# ------------------------------------------------------------------------- state streams


class StateStream(Protocol):
    """Where a match's states come from: :meth:`next` returns one round's states ``(B,)`` and
    its payoff noise ``(2, B)`` (sender's, receiver's; already scaled by the noise level) or
    ``None`` without noise."""

    def next(self) -> tuple[np.ndarray, np.ndarray | None]: ...


class ChunkedStates:
    """Each run's states from its own prior, and the payoff noise, drawn ``CHUNK`` rounds per
    call to ``rng`` (the states of a chunk first, then its noise ``noise * N(0, 1)``).

    Args:
        tables: the runs' payoff tables (their priors give the states).
        rng: the generator of states and noise.
        noise: standard deviation of the noise added to observed (normalised) payoffs.
        horizon: the number of rounds to be played, when known: the last chunk then draws only
            the rounds left (the engine's stream); ``None`` draws whole chunks (the envs').
    """

    def __init__(
        self,
        tables: RoundTables,
        rng: np.random.Generator,
        *,
        noise: float = 0.0,
        horizon: int | None = None,
    ) -> None:
        self.tables, self.rng, self.noise, self.horizon = tables, rng, noise, horizon
        self.drawn = 0  # rounds drawn so far
        self._k = self._size = 0

    def next(self) -> tuple[np.ndarray, np.ndarray | None]:
        if self._k == self._size:
            left = CHUNK if self.horizon is None else self.horizon - self.drawn
            size = min(CHUNK, left) if left > 0 else CHUNK
            self._states = self.tables.draw_states(self.rng, size)
            runs = self._states.shape[1]
            self._noise = (
                self.noise * self.rng.standard_normal((size, 2, runs)) if self.noise > 0 else None
            )
            self.drawn += size
            self._k, self._size = 0, size
        k = self._k
        self._k += 1
        return self._states[k], None if self._noise is None else self._noise[k]


# ------------------------------------------------------------------------ outside sides


class Outside:
    """A side played from outside the match (an RL agent, a PettingZoo agent): its choices are
    passed to :meth:`Match.send` / :meth:`Match.respond`. It keeps what it chose as counts, so
    that its empirical policy can be shown (to a receiver that reads schemes) and rendered.

    Args:
        side: ``"sender"`` (counts ``(B, S, M)`` of messages per state) or ``"receiver"``
            (counts ``(B, M, A)`` of actions per message).
        runs, rows, columns: the shape of the counts.
    """

    level = "round"
    needs_scheme = False
    observes_state = False
    recommends = False

    def __init__(self, side: str, runs: int, rows: int, columns: int) -> None:
        self.side = side
        self.name = f"outside {side}"
        self._counts = np.zeros((runs, rows, columns))
        self._runs = np.arange(runs)
        # Rounds not yet counted, copied into preallocated (CHUNK, B) buffers: counting is
        # deferred to when the counts are read (rarely every round), and a round costs two
        # row copies, no allocation, which keeps a step of a single env cheap.
        # (At most about 2**20 entries each, so that many runs do not reserve much memory.)
        self._capacity = max(8, min(CHUNK, (1 << 20) // max(runs, 1)))
        # One array, so that a compiled round (persuasion_env._fused) writes both.
        self._log = np.zeros((2, self._capacity, runs), dtype=np.int64)
        self._given, self._chosen = self._log
        self._pending = 0

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_given"], state["_chosen"]  # views of _log: a copy would not see it
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._given, self._chosen = self._log

    def record(self, given: np.ndarray, chosen: np.ndarray) -> None:
        """Count one round's choices: ``chosen`` (messages or actions) given ``given``
        (states or messages)."""
        k = self._pending
        self._given[k] = given
        self._chosen[k] = chosen
        self._pending = k + 1
        if k + 1 == self._capacity:
            self._count_pending()  # the buffers are full

    @property
    def counts(self) -> np.ndarray:
        """``(B, rows, columns)`` how often each choice was made given each value so far."""
        self._count_pending()
        return self._counts

    def _count_pending(self) -> None:
        if self._pending:
            given = self._given[: self._pending]
            chosen = self._chosen[: self._pending]
            _, rows, columns = self._counts.shape
            cells = (self._runs * rows + given) * columns + chosen
            self._counts += np.bincount(cells.ravel(), minlength=self._counts.size).reshape(
                self._counts.shape
            )
            self._pending = 0

    def policy(self) -> np.ndarray:
        """The empirical policy so far (uniform rows for what was never given)."""
        return row_frequencies(self.counts)


# ---------------------------------------------------------------------------- the match


class Match:
    """``B`` runs of the repeated game between a sender and a receiver, one round at a time.

    Args:
        tables: the runs' payoff tables (:class:`~persuasion_env.rounds.RoundTables`).
        sender, receiver: agents already reset for ``B`` runs, or ``None`` for a side played
            from outside (its choices are then passed to :meth:`send` / :meth:`respond`).
        n_messages: the number of messages ``M``.
        states: the state stream (e.g. :class:`ChunkedStates`).
        epoch: a receiver that reads schemes is shown a per-round sender's policy every
            ``epoch`` rounds (a scheme-level sender's whenever its ``policy_version`` changes).
        show_schemes: ``False`` never shows schemes (implicit commitment, whatever the
            receiver's metadata).
        check: ``"every"`` round or only the ``"first"`` round checks what the embedded agents
            return (:func:`check_indices`); outside choices are checked by the caller.

    After :meth:`respond`, ``states``, ``messages``, ``actions`` hold the round just played
    (also as ``last_states`` etc., which stay until the next round is played), ``u1``, ``u2``
    its payoffs in the game's units, ``r1``, ``r2`` what the embedded sender and receiver
    observed (normalised, plus noise; ``None`` for an outside side), ``reward1``, ``reward2``
    the outside sides' rewards (game units, plus noise times ``max |u|``; ``None`` for an
    embedded side), ``cells`` the flat table indices of ``(game, state, action)``, and ``t``
    the number of rounds played.
    """

    def __init__(
        self,
        tables: RoundTables,
        sender: Any,
        receiver: Any,
        *,
        n_messages: int,
        states: StateStream,
        epoch: int = 1,
        show_schemes: bool = True,
        check: str = "every",
    ) -> None:
        if check not in ("every", "first"):
            raise ValueError(f"check must be 'every' or 'first', got {check!r}")
        runs = tables.run_game.size
        self.tables, self.runs, self.n_messages = tables, runs, n_messages
        self.n_states, self.n_actions = tables.n_states, tables.n_actions
        self.sender_outside, self.receiver_outside = sender is None, receiver is None
        if sender is None:
            sender = Outside("sender", runs, self.n_states, n_messages)
        if receiver is None:
            receiver = Outside("receiver", runs, n_messages, self.n_actions)
        self.sender, self.receiver = sender, receiver
        self.stream, self.epoch, self.check_every = states, epoch, check == "every"
        self._shows_scheme = bool(show_schemes) and bool(self.receiver.needs_scheme)
        self._per_round_sender = self.sender.level != "scheme"
        self._observes_state = bool(getattr(self.receiver, "observes_state", False))
        # White-box senders only (issue 16): shown the receiver's policy and realised payoff.
        self.reads_receiver = not self.sender_outside and reads_receiver(self.sender)
        self._shown_version = -1
        self._flat_u1, self._flat_u2 = tables.flat_u1, tables.flat_u2
        self._flat_r1, self._flat_r2 = tables.flat_r1, tables.flat_r2
        self._scale1, self._scale2 = tables.scale1, tables.scale2
        self.t = 0
        self._noise: np.ndarray | None = None
        self.states = np.zeros(runs, dtype=np.int64)
        self.messages = np.full(runs, -1, dtype=np.int64)
        self.actions = np.full(runs, -1, dtype=np.int64)
        self.last_states = np.full(runs, -1, dtype=np.int64)
        self.last_messages = np.full(runs, -1, dtype=np.int64)
        self.last_actions = np.full(runs, -1, dtype=np.int64)
        self.u1 = np.zeros(runs)
        self.u2 = np.zeros(runs)
        self.cells = np.zeros(runs, dtype=np.int64)
        self.r1: np.ndarray | None = None
        self.r2: np.ndarray | None = None
        self.reward1: np.ndarray | None = None
        self.reward2: np.ndarray | None = None
        self._choice = np.zeros(1, dtype=np.int64)  # finish_one's choice, as an array
        # A single run with one side outside (a single env's step) may play compiled rounds.
        self._fused = (
            FusedRound(self, chunked=type(states) is ChunkedStates)
            if runs == 1 and self.sender_outside != self.receiver_outside and check == "first"
            else None
        )

    # ------------------------------------------------------------------ one round
    def deal(self) -> np.ndarray:
        """Draw this round's states ``(B,)`` (and its payoff noise)."""
        self.states, self._noise = self.stream.next()
        return self.states

    def send(self, messages: np.ndarray | None = None) -> np.ndarray:
        """The sender's messages ``(B,)`` for the dealt states: the embedded sender acts, or
        an outside sender's ``messages`` are recorded."""
        if self.sender_outside:
            if messages is None:
                raise ValueError("the sender is played from outside: pass its messages")
            self.sender.record(self.states, messages)
        else:
            messages = self.sender.act(self.states)
            if self.check_every or self.t == 0:
                check_indices(messages, self.runs, self.n_messages, "messages", self.sender)
        self.messages = messages
        return messages

    def respond(self, actions: np.ndarray | None = None) -> None:
        """Finish the round: show the scheme if due, the receiver acts (or an outside
        receiver's ``actions`` are recorded), payoffs, and the embedded agents learn."""
        sender, receiver = self.sender, self.receiver
        states, messages = self.states, self.messages
        if self._shows_scheme:
            if self._per_round_sender:
                if self.t % self.epoch == 0:
                    receiver.observe_scheme(sender.policy())
            elif sender.policy_version != self._shown_version:
                receiver.observe_scheme(sender.policy())
                self._shown_version = sender.policy_version
        if self.receiver_outside:
            if actions is None:
                raise ValueError("the receiver is played from outside: pass its actions")
            receiver.record(messages, actions)
        else:
            actions = receiver.act(messages)
            if self.check_every or self.t == 0:
                check_indices(actions, self.runs, self.n_actions, "actions", receiver)
        cells = self.tables.cells(states, actions)
        u1 = self._flat_u1[cells]
        u2 = self._flat_u2[cells]
        noise = self._noise
        r1 = r2 = reward1 = reward2 = None
        # Each embedded side observes its own payoff, normalised, plus noise; an outside side
        # is paid in the game's units, plus the same noise times the scale.
        if self.sender_outside:
            reward1 = u1 if noise is None else u1 + noise[0] * self._scale1
        else:
            r1 = self._flat_r1[cells]  # u1 / scale1
            if noise is not None:
                r1 += noise[0]
        if self.receiver_outside:
            reward2 = u2 if noise is None else u2 + noise[1] * self._scale2
        else:
            r2 = self._flat_r2[cells]  # u2 / scale2
            if noise is not None:
                r2 += noise[1]
        if self.reads_receiver:
            # The receiver's policy when it acted and its observed payoff, before either side
            # learns from this round (an outside receiver: its empirical response so far and
            # its reward on the observed scale).
            observed = r2 if r2 is not None else reward2 / self._scale2
            sender.observe_receiver(receiver_policy_table(receiver), observed)
        if r1 is not None:
            sender.update(states, messages, actions, r1)
        if r2 is not None:
            receiver.update(messages, actions, r2)
            if self._observes_state:
                receiver.observe_states(messages, states)
        self.actions, self.cells, self.u1, self.u2 = actions, cells, u1, u2
        self.r1, self.r2, self.reward1, self.reward2 = r1, r2, reward1, reward2
        self.last_states, self.last_messages, self.last_actions = states, messages, actions
        self.t += 1
        if self._fused is not None:
            self._fused.stale = True  # the attributes above are no longer its arrays

    # ------------------------------------------------------- one side played from outside
    def begin(self) -> None:
        """Deal the round; an embedded sender sends at once (an outside receiver then sees
        ``messages``)."""
        self.deal()
        if not self.sender_outside:
            self.send()

    def finish(self, choices: np.ndarray) -> np.ndarray:
        """Play the rest of a round begun with :meth:`begin`, given the outside side's
        ``choices`` (an outside sender's messages, or an outside receiver's actions); returns
        that side's rewards ``(B,)`` (``reward1`` or ``reward2``)."""
        if self.sender_outside:
            self.send(choices)
            self.respond()
            return self.reward1
        self.respond(choices)
        return self.reward2

    def finish_one(self, choice: int, more: bool) -> float:
        """A single run (``B = 1``): :meth:`finish` given the outside side's ``choice`` (an
        int in range, checked by the caller), then, if ``more``, :meth:`begin` the next
        round; returns the outside side's reward as a float.

        The same round as :meth:`finish` and :meth:`begin`, draw for draw; most rounds are
        played in one compiled call (:class:`persuasion_env._fused.FusedRound`), after which
        the round's arrays (``messages``, ``actions``, ``u1``, ...) are the match's own
        buffers, overwritten by the next round."""
        fused = self._fused
        if fused is not None and self.t >= fused.first_round:
            reward = fused.play(choice, more)
            if reward is not None:
                return reward
        self._choice[0] = choice
        reward = self.finish(self._choice).item(0)
        if more:
            self.begin()
        return reward

    # ------------------------------------------------------------ both sides embedded
    def step(self) -> None:
        """One whole round between embedded agents: :meth:`deal`, :meth:`send`,
        :meth:`respond`."""
        self.deal()
        self.send()
        self.respond()

    # ----------------------------------------------------------------- many rounds
    def play(self, rounds: int, after_round: Callable[[Match], None] | None = None) -> None:
        """Play ``rounds`` rounds between embedded agents, calling ``after_round(self)`` after
        each (bookkeeping). The one loop of many rounds: a compiled version may replace it
        for a chunk of rounds, so long as it leaves the same streams and attributes behind."""
        step = self.step
        if after_round is None:
            for _ in range(rounds):
                step()
        else:
            for _ in range(rounds):
                step()
                after_round(self)
