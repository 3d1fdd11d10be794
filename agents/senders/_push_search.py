"""The push search of :class:`agents.senders.adaptive.MarginAdaptiveSender`
(``search="bisect"``): the push ``t`` of the scheme ``F + t (L - F)`` past the model LP ``L``,
found by bisection. An option that was tried and kept (it lets Hedge and UCB be pushed past
their boundary, see the sender's docstring); the default is the certified protocol.

A mixin: its methods read and write the sender's state (``push``, ``_done``, the message
assignment) and call its obedience test ``_judge``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PushSearch", "mix_toward"]


def mix_toward(base: np.ndarray, target: np.ndarray, theta: float) -> np.ndarray:
    """The ``(S, A)`` scheme ``theta base + (1 - theta) target`` in recommendation form, each
    row clipped at zero and renormalised (``theta < 0`` pushes past ``target``); ``base``
    itself at ``theta = 1``."""
    if theta == 1.0:
        return base
    mixed = np.maximum(theta * base + (1.0 - theta) * target, 0.0)
    return mixed / mixed.sum(axis=1, keepdims=True)


class PushSearch:
    """The ``search="bisect"`` epochs of :class:`~agents.senders.adaptive.MarginAdaptiveSender`."""

    def _converged(self) -> np.ndarray:
        """Runs whose search is over (they play the settled push)."""
        return self._done.copy()

    def _search_push(self, counts: np.ndarray) -> None:
        """One step of the search for the largest push the learner obeys.

        A push is obeyed once ``dwell_epochs`` epochs in a row pass the obedience test (a
        learner lags behind a new scheme, so one epoch is not enough); it fails at the first
        epoch that does not pass, except in the grace epochs after a failure (one; see
        below for more) and in epochs in which, at a push no larger than ``good``, a learner
        is visibly recovering (its least obeyed recommendation is obeyed more often than in
        the epoch before). A failure moves the failed recommendations to spare messages
        (``fresh_on_failure``, :meth:`_fresh_messages`). Bracket ``[good, bad)``: while no
        push has failed the next push is ``push + step`` (at most ``_push_max``, the last
        scheme on the line) and the step grows by half after each success; when the push
        can grow no more, the search is over *at* that push (nothing above it was refused:
        no margin). After a failure the failed push becomes ``bad`` and the next push is the
        bracket's midpoint. The search is over once ``bad - push <= resolution * bad`` after
        a success, or ``push - good <= resolution * push`` after a failure; the sender then
        settles at ``(1 - resolution) * good``: a no-regret learner near indifference obeys
        a push past its boundary for a long time, so ``good`` itself may be past it. A
        failure at a push no larger than ``good`` (the settled push, or one obeyed before)
        moves the push down by ``2 * resolution`` of itself, lowers ``good`` to the new push
        and ``bad`` to the failed one, and gives the learner ``dwell_epochs`` grace epochs;
        a settled run stays settled (it steps down again at its next failure), an unsettled
        one goes on searching from there."""
        good, obeyed, seen = self._judge(counts)
        overall = obeyed.sum(axis=-1) / np.maximum(seen.sum(axis=-1), 1.0)
        at_disclosure = (self.push == 0.0) & (seen.sum(axis=-1) >= self.min_count)
        self.reference_obedience = np.where(
            at_disclosure,
            0.7 * self.reference_obedience + 0.3 * overall,
            self.reference_obedience,
        )
        for b in range(self.runs):
            if self.silent[b]:
                continue  # nothing is recommended: the search waits
            if self._grace[b] > 0:
                self._grace[b] -= 1
                continue
            push = self.push[b]
            if good[b]:
                self._dwell[b] += 1
                if self._done[b] or self._dwell[b] < self.dwell_epochs:
                    continue
                self._push_good[b] = max(self._push_good[b], push)
                bad = self._push_bad[b]
                if np.isinf(bad):
                    nxt = min(push + self._step[b], self._push_max[b])
                    self._step[b] *= 1.5
                    if nxt <= push + 1e-12:  # the largest push is obeyed
                        self._done[b] = True
                        continue
                elif bad - push <= self.resolution * bad:
                    self._settle(b)
                    continue
                else:
                    nxt = 0.5 * (push + bad)
                self.push[b] = nxt
                self._dwell[b] = 0
            elif self._recovering[b] and push <= self._push_good[b]:
                self._dwell[b] = 0  # back from a failed push, the learner is still recovering
            else:
                self._dwell[b] = 0
                self._grace[b] = 1
                self._fresh_messages(b)
                if self._done[b] or push <= self._push_good[b]:
                    # the settled (or obeyed) push itself failed: step down for good
                    self.push[b] = push * (1.0 - 2.0 * self.resolution)
                    self._grace[b] = self.dwell_epochs  # a drifted learner takes time back
                    self._push_good[b] = min(self._push_good[b], self.push[b])
                    self._push_bad[b] = min(self._push_bad[b], push)
                    continue
                self._push_bad[b] = push
                lower = self._push_good[b]
                if push - lower <= self.resolution * push:
                    self._settle(b)
                else:
                    self.push[b] = 0.5 * (lower + push)
        self.theta = 1.0 - self.push

    def _settle(self, b: int) -> None:
        """End run ``b``'s search: a safety margin below the largest push obeyed."""
        self._done[b] = True
        self.push[b] = (1.0 - self.resolution) * self._push_good[b]

    def _fresh_messages(self, b: int) -> None:
        """A learner that met a push past its boundary has learned to refuse the message (a
        no-regret learner unlearns that slowly): the failed recommendations move to spare
        messages it meets afresh (``fresh_on_failure``)."""
        if not self.fresh_on_failure:
            return
        for a in np.nonzero(self._failed[b])[0]:
            if self._free[b]:
                self.message_of[b, a] = self._free[b].pop(0)
                self._streak[b, a] = 0
