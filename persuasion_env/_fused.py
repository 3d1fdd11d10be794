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
* not the first round (where the ordinary path checks what the agent returns), and not a
  round in which a receiver that reads schemes is shown the outside sender's empirical
  scheme (every ``epoch`` rounds: those rounds are ordinary ones);
* not a white-box sender that reads the receiver (it observes in Python).

The agent's compiled step (its kernels and arrays) is fetched again after every ordinary
round and whenever an embedded sender's ``policy_version`` or the agent's Generator
changes. Without numba (or with ``PERSUASION_ENV_JIT=0``, or within
``persuasion_env.compiled.use_compiled(False)`` when the match starts) every round is
ordinary.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from persuasion_env import _jit, compiled

__all__ = ["FusedRound"]


def _sender_outside_round(
    r_act,
    r_update,
    r_observe,
    r_state,
    r_rng,
    state,
    message,
    ints,
    floats,
    payoffs,
    offset,
    n_actions,
    noise,
    scale,
    log,
    pending,
):
    """The round after an outside sender's ``message`` in ``state``: the receiver acts and
    learns. ``ints`` rows: states, messages, actions, cells; ``floats`` rows: u1, u2, the
    receiver's observed payoff, the sender's reward; ``payoffs`` rows: flat u1, u2, u2 /
    scale2; ``noise`` ``(2, 1)``, or ``(0, 1)`` without noise; ``log`` the outside side's
    record buffers ``(2, capacity, 1)``, ``pending`` the next free row."""
    ints[0, 0] = state
    ints[1, 0] = message
    log[0, pending, 0] = state
    log[1, pending, 0] = message
    r_act(r_state, ints[1], ints[2], r_rng)
    cell = offset + state * n_actions + ints[2, 0]
    ints[3, 0] = cell
    floats[0, 0] = payoffs[0, cell]
    floats[1, 0] = payoffs[1, cell]
    floats[2, 0] = payoffs[2, cell]
    floats[3, 0] = payoffs[0, cell]
    if noise.shape[0] > 0:
        floats[3, 0] += noise[0, 0] * scale
        floats[2, 0] += noise[1, 0]
    r_update(r_state, ints[1], ints[2], floats[2], r_rng)
    r_observe(r_state, ints[1], ints[0])


def _receiver_outside_round(
    s_act,
    s_update,
    s_state,
    s_rng,
    state,
    message,
    action,
    next_state,
    more,
    ints,
    floats,
    payoffs,
    offset,
    n_actions,
    noise,
    scale,
    log,
    pending,
):
    """The round after an outside receiver's ``action`` on ``message`` in ``state``: the
    sender learns; then, if ``more``, it sends its message for ``next_state``. ``ints``
    rows: states, messages, actions, cells, next states, next messages; ``floats`` rows:
    u1, u2, the sender's observed payoff, the receiver's reward; ``payoffs`` rows: flat u1,
    u2, u1 / scale1; the rest as :func:`_sender_outside_round`."""
    ints[0, 0] = state
    ints[1, 0] = message
    ints[2, 0] = action
    log[0, pending, 0] = message
    log[1, pending, 0] = action
    cell = offset + state * n_actions + action
    ints[3, 0] = cell
    floats[0, 0] = payoffs[0, cell]
    floats[1, 0] = payoffs[1, cell]
    floats[2, 0] = payoffs[2, cell]
    floats[3, 0] = payoffs[1, cell]
    if noise.shape[0] > 0:
        floats[2, 0] += noise[0, 0]
        floats[3, 0] += noise[1, 0] * scale
    s_update(s_state, ints[0], ints[1], ints[2], floats[2], s_rng)
    if more:
        ints[4, 0] = next_state
        s_act(s_state, ints[4], ints[5], s_rng)


_TEMPLATES = {
    "sender": (_sender_outside_round, ("r_act", "r_update", "r_observe")),
    "receiver": (_receiver_outside_round, ("s_act", "s_update")),
}


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

    def __init__(self, match: Any) -> None:
        self.match = match
        self.sender_outside = match.sender_outside
        tables = match.tables
        self.offset = int(tables.offset[0])
        self.n_actions = int(tables.n_actions)
        observed = tables.flat_r2 if self.sender_outside else tables.flat_r1
        self.payoffs = np.ascontiguousarray(np.stack([tables.flat_u1, tables.flat_u2, observed]))
        self.scale = float((tables.scale1 if self.sender_outside else tables.scale2)[0])
        self.ints = np.zeros((4 if self.sender_outside else 6, 1), dtype=np.int64)
        self.floats = np.zeros((4, 1))
        self.no_noise = np.zeros((0, 1))
        self.stale = True  # the agent's step and the match's views must be (re)attached
        # False: this match plays ordinary rounds only (decided when the match starts, so
        # that use_compiled(False) around an env's reset switches its episode off).
        self.usable = compiled.enabled()

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
        ints, floats = self.ints, self.floats
        match.last_states, match.last_messages = ints[0], ints[1]
        if self.sender_outside:  # (an embedded sender's current message is read by play)
            match.messages = ints[1]
        match.actions = match.last_actions = ints[2]
        match.cells, match.u1, match.u2 = ints[3], floats[0], floats[1]
        if self.sender_outside:
            match.r1, match.r2, match.reward1, match.reward2 = None, floats[2], floats[3], None
        else:
            match.r1, match.r2, match.reward1, match.reward2 = floats[2], None, None, floats[3]
        self.stale = False
        return True

    def play(self, choice: int, more: bool) -> float | None:
        """Play the rest of the round after the outside side's ``choice`` (an int in range)
        and, if ``more``, begin the next; the outside side's reward, or ``None`` if this
        round must be played by the ordinary path (nothing was done then)."""
        match = self.match
        if self.sender_outside and match._shows_scheme and match.t % match.epoch == 0:
            return None
        if (
            self.stale
            or self.agent.rng is not self.rng
            or (
                not self.sender_outside
                and getattr(self.agent, "policy_version", None) != self.version
            )
        ) and not self._attach():
            return None
        outside = match.sender if self.sender_outside else match.receiver
        pending = outside._pending
        noise = match._noise
        if noise is None:
            noise = self.no_noise
        if self.sender_outside:
            self.kernel(
                self.step_state,
                self.stream,
                match.states.item(0),
                choice,
                self.ints,
                self.floats,
                self.payoffs,
                self.offset,
                self.n_actions,
                noise,
                self.scale,
                outside._log,
                pending,
            )
            if more:
                match.deal()
        else:
            state = match.states.item(0)
            message = match.messages.item(0)
            next_state = match.deal().item(0) if more else 0
            self.kernel(
                self.step_state,
                self.stream,
                state,
                message,
                choice,
                next_state,
                more,
                self.ints,
                self.floats,
                self.payoffs,
                self.offset,
                self.n_actions,
                noise,
                self.scale,
                outside._log,
                pending,
            )
            match.messages = self.ints[5] if more else self.ints[1]
        outside._pending = pending + 1
        if pending + 1 == outside._capacity:
            outside._count_pending()  # its record buffers are full
        match.t += 1
        return self.floats.item(3)
