"""The safe floor of :class:`agents.senders.adaptive.MarginAdaptiveSender`'s certified
protocol: never stay with a scheme that earns measurably less than saying nothing (or than
full disclosure) against the learner it actually meets (issue 16: "never below the
no-information value", where the honest floor is what silence *realises* against that
learner).

The sender reads only its own utility, the state and the receiver's action. Once the tests
are over it plays its certified scheme and keeps **silence warm** beside it: every state
sends share :data:`FLOOR_SHARE` to the silent message (the posteriors of the messages in use
do not move), so the learner keeps learning its answer to no information and the sender
measures what silence earns *now*. Per epoch it records (last :data:`FLOOR_WINDOW` values
per arm) the value of the scheme's messages and of the silent message, each computed from
the receiver's action counts per message times ``posterior_m . u1`` (the receiver sees only
the message, so its action is independent of the state given the message). Full disclosure
is valued from the last settled disclosure epochs. Then, per run:

* **fall back** to silence (or disclosure, whichever measured more) when the scheme's mean
  trails it by more than :data:`FLOOR_Z` standard errors of the difference plus
  :data:`FLOOR_DELTA` (standard errors from the spread over epochs, which includes a
  no-regret learner's oscillation), after at least :data:`FLOOR_MIN_EPOCHS` values of each;
* **stop keeping silence warm** (and never fall back to it) once silence is measurably below
  the scheme: the share is then no longer paid (the probe epochs' values count for this,
  never for a fallback: a learner met afresh in the probe can undervalue silence), until the
  certified scheme changes (a recommendation disobeyed in play loses its point, and the new
  scheme can be worth less than silence): then silence is kept warm and judged again;
* while on a fallback, **return** to the scheme, for good, if the fallback earns measurably
  less than the scheme did (no ping-pong).

The first epoch after a switch of arm is not counted for the arm played (the silent
message's record goes on: it means "no information" under any scheme), and a run whose
certified scheme changes starts its scheme's record afresh, from the first epoch after the
new scheme's first. In short matches (a few thousand rounds) too few epochs are left after
the tests for :data:`FLOOR_MIN_EPOCHS` values of silence: the floor then never fires. A
learner keeps separate state per message, so the arm not played is frozen meanwhile and its
record stays valid. A mixin: it reads the sender's state (counts, the silent message, the
disclosure, ``message_of``) and builds on ``_certified_play``.
"""

from __future__ import annotations

import numpy as np

from agents.senders._response_model import message_worth

__all__ = ["FLOOR_DELTA", "FLOOR_WINDOW", "FLOOR_Z", "SafeFloor", "measurably_below"]

#: Epoch values per arm the comparison uses (the most recent ones).
FLOOR_WINDOW = 12
#: Epochs of the scheme needed before it is compared.
FLOOR_MIN_EPOCHS = 10
#: Standard errors by which an arm must trail to count as measurably worse.
FLOOR_Z = 2.5
#: And by at least this much (sender utility per round).
FLOOR_DELTA = 0.02
#: The smallest epoch-to-epoch standard deviation assumed (one or two values say little).
FLOOR_MIN_SD = 0.03
#: The share of every state sent to the silent message while silence is kept warm.
FLOOR_SHARE = 0.05

SCHEME, SILENCE, DISCLOSURE = 0, 1, 2


def _mean_se(values: list[float], pooled_sd: float) -> tuple[float, float]:
    """Mean and standard error of epoch values; the spread is the values' own when there are
    at least three of them, else ``pooled_sd`` (never below :data:`FLOOR_MIN_SD`)."""
    x = np.asarray(values, dtype=float)
    sd = float(x.std(ddof=1)) if len(x) >= 3 else pooled_sd
    return float(x.mean()), max(sd, FLOOR_MIN_SD) / np.sqrt(len(x))


def measurably_below(low: list[float], high: list[float]) -> bool:
    """Whether the epoch values ``low`` are measurably below ``high``: the difference of the
    means exceeds ``FLOOR_Z`` standard errors of it plus ``FLOOR_DELTA``. Either list empty:
    ``False``."""
    if not low or not high:
        return False
    pooled = max(float(np.std(v, ddof=1)) if len(v) >= 3 else 0.0 for v in (low, high))
    mean_low, se_low = _mean_se(low, pooled)
    mean_high, se_high = _mean_se(high, pooled)
    return mean_high - mean_low > FLOOR_Z * np.hypot(se_low, se_high) + FLOOR_DELTA


class SafeFloor:
    """Fallback to silence or full disclosure for the certified protocol (module docstring)."""

    def _reset_floor(self) -> None:
        """Forget the previous reset's values (called by the sender's ``reset``)."""
        self._floor_seed: list[np.ndarray] = []
        self._floor_probe: list[np.ndarray] = []

    def _remember_value(self) -> None:
        """Called at every epoch's end before anything else: the value of the last settled
        disclosure epochs seeds the disclosure arm's record."""
        if not self._recommending:
            self._floor_seed = (self._floor_seed + [self.value.copy()])[-2:]
        elif self._probing > 0:
            self._floor_probe = self._floor_probe + [self.value.copy()]

    def _start_floor(self) -> None:
        """The play phase begins: every run plays its certified scheme, with silence kept
        warm beside it (share :data:`FLOOR_SHARE`) where there is a silent message."""
        seed = self._floor_seed
        self.floor_arm = np.zeros(self.runs, dtype=int)
        self._floor_values = [[[], [], [float(v[b]) for v in seed]] for b in range(self.runs)]
        probe = self._floor_probe
        self._floor_probe_values = [[float(v[b]) for v in probe] for b in range(self.runs)]
        self._floor_blocked = np.zeros((self.runs, 3), dtype=bool)
        self._floor_blocked[:, SILENCE] = self._silent < 0
        self._floor_watch = self._silent >= 0
        # runs whose silence was judged worse than a scheme while kept warm (not tried): the
        # judgement holds only for that scheme
        self._floor_unwatched = np.zeros(self.runs, dtype=bool)
        self._floor_pool = np.zeros((self.runs, 2))  # the silent message's worth and rounds
        self._floor_skip = np.ones(self.runs, dtype=bool)  # the first epoch is not counted
        self._floor_reference = self._certified.copy()

    def _arm_values(self, counts: np.ndarray, b: int) -> tuple[float | None, float | None]:
        """Run ``b``'s value per round in the epoch on the silent message and on the other
        messages (``None`` where fewer than ``min_count`` rounds were counted), from the
        action counts (:func:`~agents.senders._response_model.message_worth`)."""
        worth = message_worth(self.priors[b], self._schemes[b], self.u1[b], counts[b])  # (M,)
        seen = counts[b].sum(axis=-1)
        silent = np.zeros(len(seen), dtype=bool)
        if self._silent[b] >= 0:
            silent[self._silent[b]] = True
        # The silent message's rounds beside the scheme are few (share FLOOR_SHARE): they
        # are pooled over epochs until ``min_count`` of them make one value.
        pool = self._floor_pool[b]
        pool += (worth[silent].sum(), seen[silent].sum())
        quiet = None
        if pool[1] >= self.min_count:
            quiet, pool[:] = float(pool[0] / pool[1]), 0.0
        n = seen[~silent].sum()
        return quiet, float(worth[~silent].sum() / n) if n >= self.min_count else None

    def _floor_epoch(self, counts: np.ndarray) -> bool:
        """Count the epoch's values; switch where one arm is measurably worse than another;
        stop keeping silence warm once the scheme is measurably better. Whether the scheme
        to play changed for any run (then commit :meth:`_floor_play`)."""
        changed = False
        for b in range(self.runs):
            records = self._floor_values[b]
            arm = int(self.floor_arm[b])
            new_scheme = not np.allclose(self._certified[b], self._floor_reference[b])
            if new_scheme:
                records[SCHEME] = []  # a new scheme: a new record
                if self._floor_unwatched[b]:
                    # Silence was found worse than the *old* scheme (after a recommendation
                    # was disobeyed and lost its point, the new one is worth less, often no
                    # more than disclosure): keep silence warm again and judge it afresh
                    # against the new scheme. Its record goes on (a learner keeps separate
                    # state per message, so what silence earned is still what it earns).
                    self._floor_unwatched[b] = False
                    self._floor_blocked[b, SILENCE] = False
                    self._floor_watch[b] = True
                    changed = True
            silence, other = self._arm_values(counts, b)
            value = silence if arm == SILENCE else other
            if silence is not None and arm == SCHEME and self._floor_watch[b]:
                # the silent message means "no information" under any scheme: its record
                # goes on across scheme changes
                records[SILENCE] = (records[SILENCE] + [silence])[-FLOOR_WINDOW:]
            if new_scheme and arm == SCHEME:
                # This epoch was played under the old scheme (the new one is committed at
                # its end), and the next is the learner's first under the new one: neither
                # counts.
                self._floor_skip[b] = True
                continue
            if self._floor_skip[b] or value is None:
                self._floor_skip[b] = False
                continue
            records[arm] = (records[arm] + [value])[-FLOOR_WINDOW:]
            if arm != SCHEME:
                # Back to the scheme, for good, when the fallback earns measurably less than
                # the scheme did. (Also going back when it has not proved better after
                # FLOOR_MIN_EPOCHS epochs was tried: it lost more against Hedge, whose answer
                # to silence oscillates, than it won against Q-learning.)
                worse = len(records[arm]) >= 2 and measurably_below(records[arm], records[SCHEME])
                if worse:
                    self._floor_blocked[b, arm] = True
                    self._floor_watch[b] &= arm != SILENCE
                    self.floor_arm[b] = SCHEME
                    self._floor_skip[b] = changed = True
                continue
            if len(records[SCHEME]) < FLOOR_MIN_EPOCHS:
                continue
            options = [
                k
                for k in (SILENCE, DISCLOSURE)
                if not self._floor_blocked[b, k]
                and len(records[k]) >= (FLOOR_MIN_EPOCHS if k == SILENCE else 1)
                and measurably_below(records[SCHEME], records[k])
            ]
            if options:
                self.floor_arm[b] = max(options, key=lambda k: np.mean(records[k]))
                self._floor_pool[b] = 0.0
                records[self.floor_arm[b]] = []  # judged afresh, on what it earns now
                self._floor_skip[b] = changed = True
            elif self._floor_watch[b]:
                # The probe's values count here (they may stop the watch early, never start a
                # fallback: a learner met afresh in the probe can undervalue silence).
                seen = (self._floor_probe_values[b] + records[SILENCE])[-FLOOR_WINDOW:]
                if len(seen) >= 2 and measurably_below(seen, records[SCHEME]):
                    self._floor_watch[b] = False  # silence is clearly worse: stop paying for it
                    self._floor_blocked[b, SILENCE] = changed = True
                    self._floor_unwatched[b] = True
        self._floor_reference = self._certified.copy()
        return changed

    def _floor_play(self) -> np.ndarray:
        """The certified scheme (every state giving share :data:`FLOOR_SHARE` to the silent
        message while silence is kept warm), or silence, or disclosure, per run."""
        schemes = self._certified_play()
        for b in range(self.runs):
            arm = self.floor_arm[b]
            if arm == SCHEME and not self._floor_watch[b]:
                continue
            if arm == DISCLOSURE:
                schemes[b] = 0.0
                schemes[b][:, self.message_of[b]] = self.disclosure[b]
                continue
            share = FLOOR_SHARE if arm == SCHEME else 1.0
            schemes[b] *= 1.0 - share
            schemes[b, :, self._silent[b]] += share
        return schemes
