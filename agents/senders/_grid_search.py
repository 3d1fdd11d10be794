"""The grid search of :class:`agents.senders.adaptive.MarginAdaptiveSender`
(``search="grid"``, also TableNet's margin protocol) and the obedience test it shares with
the push search: the weight ``theta`` of full disclosure walks down :data:`THETAS` while the
learner keeps obeying, and steps back (with a ceiling) when it stops; both searches fall
back to silence where their scheme earns less (``_consider_no_information``).

A mixin: its methods read and write the sender's state (``margin_level``, ``theta``, the
message assignment, ``reference_obedience``) set up by the sender's ``reset``.
"""

from __future__ import annotations

import numpy as np

from agents.senders._test_verdict import binomial_allowance

__all__ = ["THETAS", "GridSearch"]

#: The grid of safety margins: the weight of full disclosure in the scheme played.
THETAS: tuple[float, ...] = (
    1.0,
    0.85,
    0.7,
    0.55,
    0.45,
    0.35,
    0.25,
    0.18,
    0.12,
    0.08,
    0.05,
    0.03,
    0.015,
    0.0,
)


class GridSearch:
    """The ``search="grid"`` epochs and the obedience test of
    :class:`~agents.senders.adaptive.MarginAdaptiveSender`."""

    def _obedience(
        self, counts: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per run and recommended action ``(B, A)``: how often it was recommended and obeyed
        in the epoch, the obedience rate, whether enough rounds were seen to judge it, and the
        rate below which it counts as disobeyed (``(B, 1)``: the reference obedience minus the
        tolerance)."""
        by_action = counts[self._rows[:, None], self.message_of]  # (B, A, A): row a = "play a"
        seen = by_action.sum(axis=-1)
        obeyed = np.einsum("baa->ba", by_action)
        rate = obeyed / np.maximum(seen, 1.0)
        judged = seen >= self.min_count
        threshold = (self.reference_obedience - self.tolerance)[:, None]
        return seen, obeyed, rate, judged, threshold

    def _adapt_margin(self, counts: np.ndarray) -> None:
        """One step of the margin: down after an obeyed epoch, up after a disobeyed one."""
        seen, obeyed, rate, judged, threshold = self._obedience(counts)
        failed = judged & (rate < threshold)  # (B, A)
        good = ~failed.any(axis=-1)
        self._retire_dead_messages(judged & (rate < 0.5 * threshold))
        # At full disclosure the learner shows how often it obeys a clear recommendation; a
        # slow learner (actor-critic) gets better at it over time.
        overall = obeyed.sum(axis=-1) / np.maximum(seen.sum(axis=-1), 1.0)
        at_disclosure = (self.margin_level == 0) & (seen.sum(axis=-1) >= self.min_count)
        self.reference_obedience = np.where(
            at_disclosure,
            0.7 * self.reference_obedience + 0.3 * overall,
            self.reference_obedience,
        )
        before = self.margin_level.copy()
        for b in range(self.runs):
            if self.silent[b]:
                continue  # nothing is recommended: the margin waits
            level = self.margin_level[b]
            if good[b]:
                self._dwell[b] += 1
                if level < self._ceiling[b] and self._dwell[b] >= self.dwell_epochs + level // 3:
                    self.margin_level[b] = level + 1
                    self._dwell[b] = 0
            else:
                # A learner that stopped obeying at this margin may lock in: step back, and
                # never go this far again.
                if self.refit and self._releases[b] < self.refit_retries:
                    # The failure teaches the model, whose new direction may go further.
                    self._releases[b] += 1
                else:
                    self._ceiling[b] = max(min(self._ceiling[b], level - 1), 0)
                self.margin_level[b] = max(level - 2, 0)
                self._dwell[b] = 0
        self.theta = np.array([THETAS[k] for k in self.margin_level])
        if self.refit:
            # Only settled epochs teach the model: the last one of a dwell (obeyed) and a
            # failure; the direction to persuade in is then re-solved on the new model.
            moved = self.margin_level != before
            self._record(counts, moved.astype(float))
            for b in np.nonzero(moved)[0]:
                self._target[b] = self._direction(b)

    def _judge(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per run: whether every judged recommendation was obeyed about as often as under
        disclosure, the per-action obedience, and how many rounds it rests on."""
        seen, obeyed, rate, judged, threshold = self._obedience(counts)
        # A failure must stand out of the binomial noise of ``seen`` draws (two standard
        # errors): many epochs are judged, and each failure costs persuasion for good.
        failed = judged & (rate < threshold - binomial_allowance(threshold, seen))  # (B, A)
        self._retire_dead_messages(judged & (rate < 0.5 * threshold))
        worst = np.where(judged, rate, 1.0).min(axis=-1)  # (B,) the least obeyed action
        self._recovering = worst > self._last_worst + 0.02
        self._last_worst = worst
        self._failed = failed
        return ~failed.any(axis=-1), obeyed, seen

    def _retire_dead_messages(self, failed: np.ndarray) -> None:
        """A message mostly disobeyed ``patience`` epochs in a row (the margin is raised after
        each) has lost its meaning for the learner (greedy Q-learning locks in): its action is
        recommended on a spare message from now on, which the learner meets afresh."""
        self._streak = np.where(failed, self._streak + 1, 0)
        for b, a in zip(*np.nonzero(self._streak >= self.patience), strict=True):
            if self._free[b]:
                self.message_of[b, a] = self._free[b].pop(0)
            self._streak[b, a] = 0

    def _consider_no_information(self) -> None:
        """Fall back to saying nothing (measured in the probe epochs) in a run whose margin
        cannot move down any more and whose scheme earns less than that; go back (for good)
        if silence then earns less than persuasion did."""
        self._value_avg = np.where(
            np.isnan(self._value_avg), self.value, 0.7 * self._value_avg + 0.3 * self.value
        )
        self._silent_epochs = np.where(self.silent, self._silent_epochs + 1, 0)
        # Silence is itself on trial: a learner met on a fresh message (the probe) may not
        # have settled, so if saying nothing earns less than persuasion did, persuade again
        # and stay with it.
        back = self.silent & (self._silent_epochs >= 3)
        back &= self._value_avg < self._persuasion_value - 0.005
        self.silent &= ~back
        self._silence_blocked |= back
        if self.search == "bisect":
            stuck = self._converged() & (self._dwell >= self.dwell_epochs)
        else:
            stuck = (self.margin_level >= self._ceiling) & (self._dwell >= self.dwell_epochs)
        worse = self._value_avg < self.no_information_value - 0.005
        start = ~self.silent & stuck & worse & (self._silent >= 0) & ~self._silence_blocked
        self._persuasion_value = np.where(start, self._value_avg, self._persuasion_value)
        self._value_avg = np.where(start | back, np.nan, self._value_avg)
        self.silent |= start
