"""The verdict on a test of margin_adaptive's certified protocol, extended when the learner is
heading toward the recommendation (agents/senders/_test_verdict.py)."""

from __future__ import annotations

import numpy as np
import pytest

from agents import make_sender
from agents.base import Receiver
from agents.senders._test_verdict import (
    EXTEND,
    FAIL,
    PASS,
    PASS_SIGN,
    verdict_on_test,
    visit_age,
)
from persuasion_env import PersuasionGame, bayes, simulate


def _verdict(seen, action=1, threshold=0.8, extensions=0):
    return verdict_on_test(
        np.array(seen), action, threshold, min_count=10, extensions=extensions, max_extensions=2
    )


@pytest.mark.parametrize(
    ("seen", "extensions", "expected"),
    [
        # 100 rounds: two standard errors of 0.8 are 2 sqrt(0.16 / 100) = 0.08, so the bar is 0.72
        ([20, 73, 7], 0, PASS),
        ([20, 73, 7], 2, PASS),
        ([28, 71, 1], 0, EXTEND),  # 0.71 < 0.72 but the most played: watched longer
        ([28, 71, 1], 1, EXTEND),
        ([28, 71, 1], 2, FAIL),  # no extension left
        ([55, 45, 0], 0, FAIL),  # another action is played more: no extension
        ([45, 45, 10], 0, EXTEND),  # a tie for the most played counts as the most played
        ([2, 5, 0], 0, EXTEND),  # 7 < min_count rounds: too few to judge, watch longer
        ([2, 5, 0], 2, FAIL),
        ([0, 9, 0], 2, FAIL),  # obeyed every time, but 9 < min_count rounds
    ],
)
def test_verdict_by_hand(seen, extensions, expected):
    assert _verdict(seen, extensions=extensions) == expected


def test_the_noise_allowance_shrinks_with_the_rounds_seen():
    # 400 rounds: 2 sqrt(0.16 / 400) = 0.04, bar 0.76; 0.75 passed with 100 rounds (bar 0.72).
    assert _verdict([100, 300, 0], extensions=2) == FAIL
    assert _verdict([25, 75, 0], extensions=2) == PASS


@pytest.mark.parametrize(
    ("epochs", "rate", "known", "expected"),
    [
        # uniform prior on 4 states: a disclosure message is seen in share 1/4 of the rounds
        (3, 0.25, 10, 2),  # as often as a disclosure message: its age in epochs (index 2)
        (3, 0.10, 10, 1),  # 3 x 0.10 / 0.25 = 1.2 disclosure epochs of visits: index 1
        (3, 0.05, 10, 0),  # 0.6 epochs of visits: the first epoch
        (3, 0.00, 10, 0),  # never seen: still the first epoch, never below it
        (3, 0.50, 10, 2),  # seen more often: never older than its age in epochs
        (9, 0.10, 10, 3),  # an extended test: 9 x 0.10 / 0.25 = 3.6 -> 4 epochs: index 3
        (9, 0.25, 4, 3),  # only 4 epochs of the curve are known
    ],
)
def test_test_age_counts_visits_not_epochs(epochs, rate, known, expected):
    assert visit_age(epochs, rate, np.full(4, 0.25), known) == expected


def test_test_age_weighs_the_disclosure_messages_by_their_rounds():
    # prior (0.8, 0.2): the curve's counted rounds are 80 % on a message seen 80 % of the
    # time, so sum p^2 = 0.68; 3 epochs at 0.34 are 1.5 such epochs: index 1
    assert visit_age(3, 0.34, np.array([0.8, 0.2]), 10) == 1


class _SlowNearTheBoundary(Receiver):
    """A learner that best-responds to each message's posterior (it is shown the scheme) but,
    for its first ``slow_visits`` visits of a message, plays the other action with probability
    ``wobble`` where its payoff gap is below ``near`` (an exploring learner near the boundary
    of a region)."""

    name = "slow_near_boundary"
    learns = True
    needs_scheme = True

    def __init__(self, slow_visits: int, wobble: float, near: float) -> None:
        super().__init__()
        self.slow_visits, self.wobble, self.near = slow_visits, wobble, near

    def reset(self, view, *, runs, rng):
        super().reset(view, runs=runs, rng=rng)
        self._visits = np.zeros((runs, view.n_messages), dtype=int)
        self._best = np.zeros((runs, view.n_messages), dtype=int)
        self._gap = np.zeros((runs, view.n_messages))

    def observe_scheme(self, schemes):
        values = bayes.posteriors(self.view.priors, self._checked_schemes(schemes))
        values = values @ self.view.utilities  # (B, M, A)
        self._best = values.argmax(axis=-1)
        self._gap = np.abs(values[..., 1] - values[..., 0])

    def act(self, messages):
        rows = np.arange(self.runs)
        best = self._best[rows, messages]
        slow = self._visits[rows, messages] < self.slow_visits
        slow &= self._gap[rows, messages] < self.near
        self._visits[rows, messages] += 1
        return np.where(slow & (self.rng.random(self.runs) < self.wobble), 1 - best, best)

    def policy(self):
        return np.eye(self.view.n_actions)[self._best]


def _conviction(extensions: int) -> np.ndarray:
    game = PersuasionGame.example("prosecutor")
    # the sign test and the model's steps (other ways to a near-boundary point) are off: this
    # checks extensions
    sender = make_sender(
        "margin_adaptive", epoch_rounds=100, max_tests=6, sign_test=False, model_steps=False
    )
    sender.test_extensions = extensions
    learner = _SlowNearTheBoundary(slow_visits=60, wobble=0.4, near=0.4)
    # 4 400 rounds: not a short horizon (0.65 x 4 400 // 100 = 28 epochs), whose own rules
    # (agents/senders/_short_horizon.py: wider margin, known failures skipped) would blur this
    return simulate(game, sender, learner, rounds=4400, runs=4, seed=0).final_sender_utility


def test_an_extended_test_certifies_a_posterior_a_slow_learner_obeys_late():
    # Prosecutor (prior 0.3 guilty): the learner convicts iff P(guilty) >= 1/2; its gap
    # |2q - 1| is below 0.4 for q in (0.3, 0.7), where a fresh message is obeyed only 60 % of
    # the time for 60 visits. A convict column at posterior q convicts with probability 0.3 / q.
    # With extensions every run certifies a point inside the slow zone (q < 0.65, so at least
    # 0.3 / 0.65 = 0.46); judged at once (extensions 0, the old rule) most runs stop at
    # q >= 0.7 (at most 0.3 / 0.7 = 0.43), unless binomial luck passes a test.
    extended = _conviction(2)
    assert np.all(extended >= 0.3 / 0.65)
    assert np.all(extended <= 0.6 + 1e-9)  # never more than the optimum (q = 1/2)
    assert np.sum(_conviction(0) >= 0.3 / 0.65) <= 1


def test_the_sign_test_passes_a_clear_lead_below_the_obedience_bar():
    # 70 of 100 obeyed, runner-up 30: below the bar 0.9 - 2 sqrt(0.09 / 100) = 0.84, but the
    # lead 40 exceeds 2 sqrt(70 + 30) = 20; with 58 / 42 the lead 16 does not.
    kw = dict(min_count=50, extensions=2, max_extensions=2)
    assert verdict_on_test(np.array([70.0, 30.0]), 0, 0.9, sign_test=True, **kw) == PASS_SIGN
    assert verdict_on_test(np.array([70.0, 30.0]), 0, 0.9, **kw) == FAIL
    assert verdict_on_test(np.array([58.0, 42.0]), 0, 0.9, sign_test=True, **kw) == FAIL
    assert verdict_on_test(np.array([90.0, 10.0]), 0, 0.9, sign_test=True, **kw) == PASS


class _LearnsPerVisit(Receiver):
    """A learner that best-responds to each message's posterior (it is shown the scheme) with
    probability ``min(1, 1/2 + visits / pace)`` after its ``visits``-th visit of the message,
    and plays the other action otherwise: its consistency after a message grows with the
    visits of that message alone (as a bandit learner's per-message state does)."""

    name = "learns_per_visit"
    learns = True
    needs_scheme = True

    def __init__(self, pace: int) -> None:
        super().__init__()
        self.pace = pace

    def reset(self, view, *, runs, rng):
        super().reset(view, runs=runs, rng=rng)
        self._visits = np.zeros((runs, view.n_messages), dtype=int)
        self._best = np.zeros((runs, view.n_messages), dtype=int)

    def observe_scheme(self, schemes):
        values = bayes.posteriors(self.view.priors, self._checked_schemes(schemes))
        self._best = (values @ self.view.utilities).argmax(axis=-1)

    def act(self, messages):
        rows = np.arange(self.runs)
        best = self._best[rows, messages]
        sure = np.minimum(1.0, 0.5 + self._visits[rows, messages] / self.pace)
        self._visits[rows, messages] += 1
        return np.where(self.rng.random(self.runs) < sure, best, 1 - best)

    def policy(self):
        return np.eye(self.view.n_actions)[self._best]


def test_a_test_is_judged_at_its_age_in_visits():
    # Prosecutor (prior 0.3 guilty; the learner convicts iff P(guilty) >= 1/2, so a convict
    # column at posterior q >= 1/2 convicts with probability 0.3 / q). Pace 400: the
    # disclosure messages (70 and 30 visits per epoch of 100 rounds) reach a consistency of
    # about 0.9 by the third epoch, while a test column seen in a tenth or a quarter of the
    # rounds has had 10-75 visits by then and is obeyed 0.5-0.7 of the time. Judged at its
    # age in epochs every test fails and the sender stays near full disclosure (0.3; measured
    # at this seed before visit_age: 0.319, 0.383, 0.300, 0.319); judged at its age in visits
    # the tests pass and runs certify a convict point with q <= 0.6 (value >= 0.5). Extensions,
    # the sign test and the model's steps (other ways past a strict bar) are off.
    game = PersuasionGame.example("prosecutor")
    sender = make_sender(
        "margin_adaptive",
        epoch_rounds=100,
        max_tests=6,
        sign_test=False,
        model_steps=False,
        test_extensions=0,
    )
    # 4 400 rounds: not a short horizon (0.65 x 4 400 // 100 = 28 epochs)
    values = simulate(game, sender, _LearnsPerVisit(400), rounds=4400, runs=4, seed=1)
    values = values.final_sender_utility
    assert np.sum(values >= 0.5) >= 3
    assert np.all(values <= 0.6 + 1e-9)  # never more than the optimum (q = 1/2)
