"""TableNet's search over safety margins in play (the ``"margin"`` protocol,
:mod:`agents.senders.tablenet.play`): a mixin of
:class:`~agents.senders.tablenet.play.TableNetMarginPlay`, whose state it reads and writes
(``margin_level``, ``theta``, ``settled``, the level scores, the silent message).

The sender plays ``theta F + (1 - theta) L`` (``F`` full disclosure, ``L`` TableNet's plan,
both in recommendation form). ``theta`` walks down :data:`~agents.senders.adaptive.THETAS`
and then past the plan (:data:`BEYOND`), each level scored by the sender's own realised
utility; then the settled run is watched (silence, silence on trial, backing off a push past
the plan).
"""

from __future__ import annotations

import numpy as np

from agents.senders.adaptive import THETAS

__all__ = ["BACK_OFF", "BEYOND", "MarginLevelSearch"]

#: Margin levels past TableNet's plan (``theta < 0``: the scheme ``F + t (L - F)`` with push
#: ``t = 1 - theta > 1``, each state's row clipped at zero and renormalised), searched after
#: :data:`THETAS` reaches the plan itself (``theta = 0``). The plan sits on the *model's*
#: obedience boundaries; a learner whose true boundary lies further out still obeys there, and
#: the search scores each level by the sender's own realised utility, so a push the learner
#: does not follow is a miss like any other. (On random 8x8 games half the runs' searches
#: ended at ``theta = 0`` still improving; with three levels past it, many ended at the
#: last: five levels gained a further 0.01-0.04 of the LP on random 4x4 games.)
BEYOND: tuple[float, ...] = (-0.1, -0.25, -0.5, -0.8, -1.2)

#: How far below its level's score in the search a settled run's average utility may drop
#: before the run steps one level safer (``back_off``).
BACK_OFF = 0.05


class MarginLevelSearch:
    """The margin search and the watch of a settled run (module docstring)."""

    def _search(self) -> None:
        """One epoch of the margin search, per run: hold each level of :data:`THETAS` for
        ``hold_epochs`` epochs and score it by the sender's own mean utility over them (the
        first, transition epoch left out); step down (more persuasion) while a level is no
        worse than the best by more than ``slack``; after ``misses`` worse levels in a row,
        or at the last level, go back to the best level and stay. A settled run whose
        utility falls below no information's (measured in the probe epochs) says nothing."""
        last = self._search_last_levels()
        for b in range(self.runs):
            if self.settled[b]:
                self._watch_settled(b)
                continue
            self._held[b] += 1
            if self._held[b] > 1:
                self._score_sum[b] += self.value[b]
            if self._held[b] < self._hold:
                continue
            level = self.margin_level[b]
            mean = self._score_sum[b] / (self._hold - 1)
            self.level_values[b][int(level)] = float(mean)
            self._held[b], self._score_sum[b] = 0, 0.0
            if mean > self.best_value[b]:
                self.best_level[b], self.best_value[b] = level, mean
            if mean >= self.best_value[b] - self.slack:
                self._worse[b] = 0
            else:
                self._worse[b] += 1
            if self._worse[b] >= self._misses or level >= last[b]:
                self.settled[b] = True
                self.margin_level[b] = self.best_level[b]
                if self._short and self._worse[b] > 0:
                    # The best level was scored while the learner still answered the safer
                    # level before it (it lags); the next one lost: it lies at the learner's
                    # boundary. A short match has no time to recover from a collapse there.
                    self.margin_level[b] = max(self.best_level[b] - 1, 0)
            else:
                self.margin_level[b] = level + 1
        self.theta = np.array([self._levels[k] for k in self.margin_level])

    def _watch_settled(self, b: int) -> None:
        """A settled run ``b``: an average of its realised utility (weight 0.2 per epoch).
        Persuading, it falls silent when the average drops below no information's (measured
        in the probe) by more than ``slack``. With ``silence_trial``, silence is itself on
        trial: the probe's few epochs on a fresh message can overstate what silence earns
        against a learner that has not settled on it (Hedge), so after ``hold_epochs + 2``
        silent epochs a run whose silence earns less than its persuasion did persuades again,
        for good. With ``back_off``, a persuading run whose average drops more than
        :data:`BACK_OFF` below its level's own score in the search (a learner with a long
        memory, Hedge, may follow a level past its boundary for a while, then leave it) steps
        one level safer, judged again only ``hold_epochs`` epochs later; only from a level
        past the plan (:data:`BEYOND`), whose scheme no receiver model vouched for (backing
        off inside the grid as well cost as much as it gained: a greedy learner disturbed by
        the change may not come back). Not during the challenge of the certified scheme
        (:mod:`agents.senders.tablenet.challenge`): a settled run holds its level until the
        play phase, which has its own watch."""
        if self._challenging:
            return
        if self.silent[b]:
            if not self.silence_trial:
                return
            self._average_in(b)
            self._silent_epochs[b] += 1
            if (
                self._silent_epochs[b] >= self._hold + 2
                and self._value_avg[b] < self._persuasion_value[b] - self.slack
            ):
                self.silent[b] = False
                self._silence_blocked[b] = True
                self._value_avg[b] = np.nan
                self._since[b] = 0
            return
        self._since[b] += 1
        if self._silent[b] < 0 and not self.back_off:
            return
        self._average_in(b)
        if (
            self._silent[b] >= 0
            and not self._silence_blocked[b]
            and self._value_avg[b] < self.no_information_value[b] - self.slack
        ):
            self.silent[b] = True
            self._persuasion_value[b] = self._value_avg[b]
            self._value_avg[b] = np.nan
            self._silent_epochs[b] = 0
            return
        level = int(self.margin_level[b])
        if not self.back_off or level < len(THETAS) or self._since[b] < self._hold:
            return  # (only a push past the plan is backed off)
        reference = self.level_values[b].get(level, self.best_value[b])
        if self._value_avg[b] < reference - BACK_OFF:
            self.margin_level[b] = level - 1
            self._value_avg[b] = np.nan
            self._since[b] = 0

    def _average_in(self, b: int) -> None:
        """Add this epoch's utility of run ``b`` to its average (weight 0.2; the first
        epoch after a reset of the average starts it)."""
        avg = self._value_avg[b]
        self._value_avg[b] = self.value[b] if np.isnan(avg) else 0.8 * avg + 0.2 * self.value[b]

    def _search_last_levels(self) -> np.ndarray:
        """Per run, the index of the last level of ``_levels`` to search: the last of
        :data:`THETAS` (the plan itself) when no push past it changes the scheme, else the
        last level. A push past the plan is clipped at zero and each state's row renormalised
        (:meth:`_next_schemes`): a state the plan already sends away from its disclosure
        message entirely stays as the plan has it, the others move further from it."""
        if self._last_level is None and self._challenging:
            # From the certified scheme ``C``: a push past the plan changes the scheme
            # where it changes some row at all (a row already at the plan's clipped end
            # stays).
            step = self._target - self._base_scheme
            pushed = np.maximum(self._base_scheme + 1.1 * step, 0.0)
            pushed /= pushed.sum(axis=-1, keepdims=True)
            movable = np.abs(pushed - self._target).max(axis=(1, 2)) > 1e-9
            self._last_level = np.where(movable, len(self._levels) - 1, len(THETAS) - 1)
        if self._last_level is None:
            moved = (self.disclosure * (self._target < self.disclosure)).sum(axis=-1)  # (B, S)
            # A state's row moves past the plan only where the plan keeps part of the
            # disclosure action and sends part elsewhere (mass moved: the plan differs).
            keeps = (self._target * self.disclosure).sum(axis=-1)  # (B, S) mass left on b(s)
            movable = np.any((moved > 0) & (keeps > 1e-9), axis=1)
            last = len(THETAS) - 1
            self._last_level = np.where(movable, len(self._levels) - 1, last)
        return self._last_level
