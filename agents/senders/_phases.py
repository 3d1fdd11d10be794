"""How long the phases of :class:`agents.senders.adaptive.MarginAdaptiveSender` are: the
epoch and the certified protocol's test rounds, from the options and, when the engine knows
it, the horizon (``GameView.horizon``). The one place where phase lengths follow the horizon.

A mixin: it reads the sender's options (``epoch_rounds``, ``max_tests``, ``test_epochs``,
``disclosure_epochs``, ``probe_epochs``).
"""

from __future__ import annotations

__all__ = [
    "HORIZON_EPOCHS",
    "LEARNING_SHARE",
    "SHORT_EPOCH_PER_ACTION",
    "SHORT_LEARNING_EPOCHS",
    "TEST_BUDGET",
    "Phases",
]

#: About how many rounds the certified protocol's tests take by default.
TEST_BUDGET = 30_000

#: Short horizons (:meth:`MarginAdaptiveSender.phases`): the epoch is at least
#: ``SHORT_EPOCH_PER_ACTION * A`` rounds and about ``horizon / HORIZON_EPOCHS``, and the
#: learning phases (disclosure, probe, tests) take about ``LEARNING_SHARE`` of the horizon.
SHORT_EPOCH_PER_ACTION = 50
HORIZON_EPOCHS = 60
LEARNING_SHARE = 0.65
#: A horizon is *short* (:meth:`Phases.short_horizon`) when ``LEARNING_SHARE`` of it holds
#: fewer epochs than this: room for fewer than 8 test rounds of 3 epochs after disclosure and
#: the probe (agents/senders/_short_horizon.py says what changes then).
SHORT_LEARNING_EPOCHS = 28


class Phases:
    """Epoch and test-round lengths of :class:`~agents.senders.adaptive.MarginAdaptiveSender`."""

    def _test_rounds(self, n_actions: int) -> int:
        """Test rounds of this reset's certified protocol (:meth:`phases`: fewer than the
        default when a short horizon leaves room for fewer; the messages stay sized for the
        default, which the engine fixes before the reset)."""
        return getattr(self, "_n_test_rounds", None) or self._default_test_rounds(n_actions)

    def _default_test_rounds(self, n_actions: int) -> int:
        """``max_tests``, by default as many test rounds as fit in about ``TEST_BUDGET``
        rounds of play with the default epoch (at most 16)."""
        if self.max_tests is not None:
            return self.max_tests
        epoch = self.epoch_rounds or 250 + 125 * n_actions
        return max(1, min(16, TEST_BUDGET // (epoch * self.test_epochs)))

    def _set_phases(self, n_actions: int, horizon: int | None) -> None:
        """Called by ``reset``: this reset's epoch (``_epoch``), test rounds
        (``_n_test_rounds``), whether its horizon is short (``_short``) and how many epochs it
        holds (``_horizon_epochs``, ``None`` when the horizon is unknown)."""
        self._epoch, self._n_test_rounds = self.phases(n_actions, horizon)
        self._short = self.short_horizon(n_actions, horizon)
        self._horizon_epochs = None if horizon is None else horizon // self._epoch

    def short_horizon(self, n_actions: int, horizon: int | None) -> bool:
        """Whether a reset whose runs play ``horizon`` rounds is short: known, and its
        :data:`LEARNING_SHARE` holds fewer than :data:`SHORT_LEARNING_EPOCHS` epochs of
        :meth:`phases`. (On a 2x2 game: horizons below about 4 300 rounds; at 3 000, 19
        epochs of 100 rounds. On an 8x8 game: below about 17 200.)"""
        if horizon is None:
            return False
        epoch = self.phases(n_actions, horizon)[0]
        return int(LEARNING_SHARE * horizon) // epoch < SHORT_LEARNING_EPOCHS

    def phases(self, n_actions: int, horizon: int | None) -> tuple[int, int]:
        """``(epoch rounds, test rounds)`` for a reset whose runs play ``horizon`` rounds.

        The one place where phase lengths follow the horizon. The defaults were sized for
        matches of 10^5 rounds and more (the benchmark's): an epoch of ``250 + 125 A``
        rounds and tests in about :data:`TEST_BUDGET` rounds. They are kept exactly when
        the horizon is unknown (``None``), or at least ``HORIZON_EPOCHS`` default epochs
        long with room for the default tests in :data:`LEARNING_SHARE` of it (every match
        of 10^5 rounds or more on games of up to 8 actions). For a shorter horizon the
        epoch is ``horizon / HORIZON_EPOCHS`` rounds, at least
        ``SHORT_EPOCH_PER_ACTION * A`` (a learner must settle within an epoch, and each
        message be seen often enough to judge) and at most the default; and the tests are
        as many as fit in :data:`LEARNING_SHARE` of the horizon (at least one). Options
        given explicitly (``epoch_rounds``, ``max_tests``) are kept as given.
        """
        default_epoch = self.epoch_rounds or 250 + 125 * n_actions
        default_tests = self._default_test_rounds(n_actions)
        if horizon is None:
            return default_epoch, default_tests
        epoch = horizon // HORIZON_EPOCHS
        epoch = min(default_epoch, max(SHORT_EPOCH_PER_ACTION * n_actions, epoch))
        if self.epoch_rounds is not None:
            epoch = self.epoch_rounds  # given: kept, but the tests still fit the horizon
        if self.max_tests is not None:
            return epoch, default_tests
        # epochs left for tests once disclosure (at least) and the probe are played
        room = int(LEARNING_SHARE * horizon) // epoch - self.disclosure_epochs - self.probe_epochs
        return epoch, min(default_tests, max(1, room // self.test_epochs))
