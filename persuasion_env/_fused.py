"""One round of a single run (``B = 1``) with one side played from outside, in one compiled
call: the step of the single-agent Gymnasium envs (issue 17).

:meth:`persuasion_env.match.Match.finish_one` plays the rest of a round begun with
:meth:`~persuasion_env.match.Match.begin` given the outside side's choice, and begins the
next round. The ordinary path calls the embedded agent's kernels one by one from Python
(``act``, ``update``, ``observe``: a numba call each, about 1.2-1.6 microseconds) and does
the round's bookkeeping in NumPy on arrays of one element. For ``B = 1`` most of a step
went there, so :class:`FusedRound` plays the same round in one compiled function: the
outside side's choice recorded, the embedded agent's kernels, the payoff lookup, the noise
and the rewards, and (for an embedded sender) its ``act`` of the next round.

It is the ordinary round, draw for draw: the same kernels on the same arrays in the same
order, the same arithmetic, the states and noise from the same stream (drawn in Python, as
the ordinary path does). It plays only what needs no Python in between:

* the embedded agent offers kernels that are all its rules (:func:`compiled.steps_for`'s
  conditions), with no ``horizon`` and no ``end_compiled_segment`` (an agent that trains in
  Python between rounds is played by the ordinary path);
* not the first round of an embedded receiver (where the ordinary path checks the actions
  it returns; an embedded sender's first messages are checked when the round begins), not a
  round in which a receiver that reads schemes is shown the outside sender's empirical
  scheme (every ``epoch`` rounds: those rounds are ordinary ones);
* not a white-box sender that reads the receiver (it observes in Python).

The agent's compiled step (its kernels and arrays) is fetched again after every ordinary
round and whenever an embedded sender's ``policy_version`` or the agent's Generator
changes. Without numba (or with ``PERSUASION_ENV_JIT=0``, or within
``persuasion_env.compiled.use_compiled(False)`` when the match starts) every round is
ordinary.

The compiled step holds the agent's arrays by reference, as the compiled loop of ``simulate``
does: a change made in place (``learner.q[...] = ...``) is seen at the next round, but an
array *replaced* mid-episode (``learner.q = new``) is seen only after the next ordinary
round; replace arrays between episodes (at ``reset``) or change them in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from persuasion_env import _jit, compiled

__all__ = ["FusedRound"]


# Layout of the arrays a compiled round reads and writes (one column: B = 1).
#: ``ints`` rows: the round's state, message, action, cell; the next round's state (the
#: current one before the round) and, for an embedded sender, its message; the table offset
#: of the run's game and the number of actions.
STATE, MESSAGE, ACTION, CELL, NEXT_STATE, NEXT_MESSAGE, OFFSET, N_ACTIONS = range(8)
#: ``work``: the flat tables u1, u2 and the embedded side's observed payoff ``u / scale``
#: (``n`` entries each), then the round's u1, u2, observed payoff, outside reward, and the
#: outside side's scale.
U1, U2, OBSERVED, REWARD, SCALE = range(5)


def _sender_outside_round(
    r_act,
    r_update,
    r_observe,
    r_state,
    r_rng,
    choice,
    more,
    k,
    ints,
    work,
    chunk,
    noise,
    log,
    pending,
):
    """The round after an outside sender's message ``choice``: the receiver acts and
    learns; then, if ``more``, the next state is ``chunk[k]``. ``noise`` is the round's
    ``(2, 1)`` noise, ``(0, 1)`` without; ``log`` the sender's record buffers ``(2,
    capacity, 1)``, ``pending`` their next free row."""
    n = (work.shape[0] - 5) // 3
    out = 3 * n
    state = ints[4, 0]
    ints[0, 0] = state
    ints[1, 0] = choice
    log[0, pending, 0] = state
    log[1, pending, 0] = choice
    r_act(r_state, ints[1], ints[2], r_rng)
    cell = ints[6, 0] + state * ints[7, 0] + ints[2, 0]
    ints[3, 0] = cell
    work[out] = work[cell]
    work[out + 1] = work[n + cell]
    work[out + 2] = work[2 * n + cell]
    work[out + 3] = work[cell]
    if noise.shape[0] > 0:
        work[out + 3] += noise[0, 0] * work[out + 4]
        work[out + 2] += noise[1, 0]
    r_update(r_state, ints[1], ints[2], work[out + 2 : out + 3], r_rng)
    r_observe(r_state, ints[1], ints[0])
    if more:
        ints[4, 0] = chunk[k, 0]


def _receiver_outside_round(
    s_act,
    s_update,
    s_state,
    s_rng,
    choice,
    more,
    k,
    ints,
    work,
    chunk,
    noise,
    log,
    pending,
):
    """The round after an outside receiver's action ``choice`` on the sender's message: the
    sender learns; then, if ``more``, it sends its message for the next state
    ``chunk[k]``. The rest as :func:`_sender_outside_round`."""
    n = (work.shape[0] - 5) // 3
    out = 3 * n
    state = ints[4, 0]
    message = ints[5, 0]
    ints[0, 0] = state
    ints[1, 0] = message
    ints[2, 0] = choice
    log[0, pending, 0] = message
    log[1, pending, 0] = choice
    cell = ints[6, 0] + state * ints[7, 0] + choice
    ints[3, 0] = cell
    work[out] = work[cell]
    work[out + 1] = work[n + cell]
    work[out + 2] = work[2 * n + cell]
    work[out + 3] = work[n + cell]
    if noise.shape[0] > 0:
        work[out + 2] += noise[0, 0]
        work[out + 3] += noise[1, 0] * work[out + 4]
    s_update(s_state, ints[0], ints[1], ints[2], work[out + 2 : out + 3], s_rng)
    if more:
        ints[4, 0] = chunk[k, 0]
        s_act(s_state, ints[4], ints[5], s_rng)


_TEMPLATES = {
    "sender": (_sender_outside_round, ("r_act", "r_update", "r_observe")),
    "receiver": (_receiver_outside_round, ("s_act", "s_update")),
}


def _work(tables: Any, sender_outside: bool) -> np.ndarray:
    """The ``work`` array of a compiled round (see :data:`U1`) for ``tables`` (one run)."""
    observed = tables.flat_r2 if sender_outside else tables.flat_r1
    scale = (tables.scale1 if sender_outside else tables.scale2)[:1]
    return np.concatenate([tables.flat_u1, tables.flat_u2, observed, np.zeros(4), scale])


def _usable_step(agent: Any, observes_state: bool) -> compiled.CompiledStep | None:
    """The agent's compiled step if its kernels alone play its rounds, else ``None``."""
    if hasattr(agent, "end_compiled_segment"):
        return None
    offer = getattr(agent, "compiled_step", None)
    if not callable(offer) or not compiled._kernels_are_its_rules(agent):
        return None
    step = offer()
    if not isinstance(step, compiled.CompiledStep) or step.horizon > 0:
        return None
    if observes_state and step.observe is None:
        return None
    return step


class FusedRound:
    """The compiled round of a :class:`~persuasion_env.match.Match` of one run with one side
    outside (see the module docstring); :meth:`play` returns ``None`` when the round must be
    the ordinary one.

    It owns the arrays the match's attributes (``messages``, ``actions``, ``cells``, ``u1``,
    ``u2``, ``r1`` / ``r2``, ``reward1`` / ``reward2``, ``last_*``) view after a compiled
    round: they are overwritten by the next round, as a single env's step reads them.
    """

    def __init__(self, match: Any, *, chunked: bool) -> None:
        self.match = match
        self.sender_outside = match.sender_outside
        tables = match.tables
        self.ints = np.zeros((8, 1), dtype=np.int64)
        self.ints[OFFSET, 0] = tables.offset[0]
        self.ints[N_ACTIONS, 0] = tables.n_actions
        self.work = _work(tables, self.sender_outside)
        self.no_noise = np.zeros((0, 1))
        self.outside = match.sender if self.sender_outside else match.receiver
        # The first round an outside receiver's choice may be played compiled: the ordinary
        # path checks what the embedded agent returns in round 0 (``check="first"``): the
        # receiver's actions after an outside sender's message (so that round is ordinary);
        # an embedded sender's round-0 messages were checked when the round began.
        self.first_round = 1 if self.sender_outside else 0
        self.agent: Any = None
        # An embedded sender's new scheme (policy_version) means new arrays: fetched again.
        self.versioned = not self.sender_outside and hasattr(match.sender, "policy_version")
        # Rounds in which a receiver that reads schemes is shown the outside sender's.
        self.shows_scheme = self.sender_outside and match._shows_scheme
        self.stale = True  # the agent's step and the match's views must be (re)attached
        # False: this match plays ordinary rounds only (decided when the match starts, so
        # that use_compiled(False) around an env's reset switches its episode off).
        self.usable = (
            chunked  # its states come from a ChunkedStates (read by the compiled round)
            and compiled.enabled()
            and not match.reads_receiver  # (it observes the receiver in Python)
        )

    def __getstate__(self) -> dict[str, Any]:
        # The kernels and the Generator's kernel stream are process objects: fetched again.
        state = dict(self.__dict__)
        for name in ("kernel", "step_state", "stream", "rng", "version"):
            state.pop(name, None)
        state["stale"] = True
        return state

    def _attach(self) -> bool:
        """Fetch the embedded agent's step and point the match's attributes at the arrays
        the compiled round writes; ``False`` (for good) if the agent cannot play compiled."""
        match = self.match
        agent = match.receiver if self.sender_outside else match.sender
        step = _usable_step(agent, match._observes_state) if self.usable else None
        if step is None:
            self.usable = False
            return False
        template, params = _TEMPLATES["sender" if self.sender_outside else "receiver"]
        if self.sender_outside:
            _jit.compile_module(vars(compiled), compiled._LOOP)  # compiled._no_observe
            observe = step.observe if match._observes_state else compiled._no_observe
            kernels: tuple = (step.act, step.update, observe)
        else:
            kernels = (step.act, step.update)
        self.kernel = compiled.generated(template, params, kernels)
        self.step_state, self.agent = step.state, agent
        self.rng = agent.rng
        self.stream = _jit.kernel_rng(agent.rng)
        self.version = getattr(agent, "policy_version", None)
        ints, work = self.ints, self.work
        out = work.shape[0] - 5
        # The current round's state (and an embedded sender's message) move into ints.
        ints[NEXT_STATE, 0] = match.states.item(0)
        match.states = ints[NEXT_STATE]
        if not self.sender_outside:
            ints[NEXT_MESSAGE, 0] = match.messages.item(0)
            match.messages = ints[NEXT_MESSAGE]
        else:
            match.messages = ints[MESSAGE]
        match.last_states, match.last_messages = ints[STATE], ints[MESSAGE]
        match.actions = match.last_actions = ints[ACTION]
        match.cells = ints[CELL]
        match.u1, match.u2 = work[out + U1 : out + U1 + 1], work[out + U2 : out + U2 + 1]
        observed = work[out + OBSERVED : out + OBSERVED + 1]
        reward = work[out + REWARD : out + REWARD + 1]
        if self.sender_outside:
            match.r1, match.r2, match.reward1, match.reward2 = None, observed, reward, None
        else:
            match.r1, match.r2, match.reward1, match.reward2 = observed, None, None, reward
        self._reward_index = out + REWARD
        self.stale = False
        return True

    def play(self, choice: int, more: bool) -> float | None:
        """Play the rest of the round after the outside side's ``choice`` (an int in range)
        and, if ``more``, begin the next; the outside side's reward, or ``None`` if this
        round must be played by the ordinary path (nothing was done then)."""
        match = self.match
        if self.shows_scheme and match.t % match.epoch == 0:
            return None
        if (
            self.stale
            or self.agent.rng is not self.rng
            or (self.versioned and self.agent.policy_version != self.version)
        ) and not self._attach():
            return None
        outside = self.outside
        pending = outside._pending
        noise = match._noise
        states = match.stream
        k = states._k
        if more:
            if k == states._size:  # the next chunk of states (and noise), drawn in Python
                states.next()
                k = 0
            else:
                states._k = k + 1
        self.kernel(
            self.step_state,
            self.stream,
            choice,
            more,
            k,
            self.ints,
            self.work,
            states._states,
            self.no_noise if noise is None else noise,
            outside._log,
            pending,
        )
        if more and states._noise is not None:
            match._noise = states._noise[k]
        outside._pending = pending + 1
        if pending + 1 == outside._capacity:
            outside._count_pending()  # its record buffers are full
        match.t += 1
        return self.work.item(self._reward_index)
