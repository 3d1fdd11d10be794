"""margin_adaptive's certified protocol (agents/senders/_certified_search.py): games with a
state of prior 0, and how a test round is judged when the certified scheme changes."""

from __future__ import annotations

import numpy as np
import pytest

from agents.senders.adaptive import MarginAdaptiveSender
from persuasion_env import PersuasionGame, simulate

from .helpers import prosecutor_after_probe


class _Recording(MarginAdaptiveSender):
    """margin_adaptive that keeps every scheme it commits."""

    def _commit(self, schemes: np.ndarray) -> None:
        self.committed.append(np.array(schemes))
        super()._commit(schemes)

    def reset(self, view, *, runs, rng) -> None:
        self.committed: list[np.ndarray] = []
        super().reset(view, runs=runs, rng=rng)


# A state of prior 0 that the sender would love to pool (u1 = 5 there), and (3 x 3) one
# whose only "clear" state for action 0 is the state of prior 0 (the receiver prefers action
# 0 nowhere else): the tests once stepped toward it (probe_columns gave 0 * inf = NaN) and
# anchored action 0 at 0 / 0.
ZERO_PRIOR_GAMES = [
    PersuasionGame(
        prior=[0.6, 0.4, 0.0],
        sender_utility=[[0.0, 1.0], [0.0, 1.0], [0.0, 5.0]],
        receiver_utility=[[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]],
        name="zero_prior_2",
    ),
    PersuasionGame(
        prior=[0.5, 0.5, 0.0],
        sender_utility=[[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
        receiver_utility=[[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]],
        name="zero_prior_3",
    ),
]


@pytest.mark.parametrize("game", ZERO_PRIOR_GAMES, ids=lambda g: g.name)
@pytest.mark.parametrize("receiver", ["q_learning", "hedge"])
def test_a_state_of_prior_zero_keeps_every_scheme_a_distribution(game, receiver):
    sender = _Recording(epoch_rounds=200, max_tests=4)
    with np.errstate(invalid="raise", divide="raise"):
        simulate(game, sender, receiver, rounds=8000, runs=2, seed=0)
    assert sender._test_round == 4  # every test round was played
    assert len(sender.committed) > 6
    for schemes in sender.committed:
        assert np.all(np.isfinite(schemes))
        assert np.all(schemes >= 0.0)
        np.testing.assert_allclose(schemes.sum(axis=-1), 1.0)
    # No test ever carried a posterior with mass on the state of prior 0.
    for points in sender._points:
        assert all(p[2] == 0.0 for p in points[game.n_states :])


def _counts(n_messages: int, entries: dict[tuple[int, int, int], float]) -> np.ndarray:
    """``(B=2, M, A=2)`` action counts per message: ``{(run, message, action): count}``."""
    out = np.zeros((2, n_messages, 2))
    for (b, m, a), n in entries.items():
        out[b, m, a] = n
    return out


def _after_probe(**options) -> tuple[MarginAdaptiveSender, int]:
    """The prosecutor after disclosure and the probe (:func:`prosecutor_after_probe`), two
    runs, epochs of 100 rounds and at most 2 tests per round."""
    return prosecutor_after_probe(epoch_rounds=100, max_tests=2, **options)


def test_a_test_round_is_judged_on_the_counts_of_one_mixture_per_run():
    """A hand-made sequence on the prosecutor (states innocent/guilty, actions acquit/convict;
    prior 0.7/0.3). Disclosure: message s -> action s, 40 counts each; the silent probe
    (message 3) -> acquit. Messages: 0, 1 recommend, 2 is the spare, 3 silent, 4 junk, 5 and
    6 test acquit/convict. The one test: "convict" at the posterior e_innocent (step tau = 1
    from the guilty vertex toward innocent) on message 6.

    Run 0: in the round's second epoch the learner stops convicting on message 1 (and on the
    test message); with patience 1 "convict" moves to the spare message 2, so run 0's
    scheme changes. In the third epoch the test message is obeyed 40/40. Judged on the new
    mixture only, it passes; on both epochs (40/80 = 0.5 < 0.95 - 2 sqrt(0.0475/80)) it
    would fail. Run 1 never changes: its test message is obeyed 40/40 then 8/8; it must keep
    both epochs (48 >= min_count; the third epoch alone, 8 < 10, is not judged)."""
    sender, n_messages = _after_probe(patience=1, model_steps=False)
    assert n_messages == 4 + 1 + 2 * 2
    for b in range(2):
        [(a, s, x, m)] = sender._tests[b]
        assert (a, s, m) == (1, 0, 6)
        np.testing.assert_allclose(x, [1.0, 0.0])
    assert sender._n_base_points == [3, 3]  # two vertices and the prior (for acquit)
    obeyed = {(b, 0, 0): 40 for b in range(2)} | {(b, 1, 1): 40 for b in range(2)}
    sender._end_epoch(_counts(n_messages, obeyed | {(0, 6, 1): 20, (1, 6, 1): 20}))
    sender._end_epoch(
        _counts(
            n_messages,
            {(0, 0, 0): 40, (0, 1, 0): 40, (0, 6, 0): 40}  # run 0: convict nowhere
            | {(1, 0, 0): 40, (1, 1, 1): 40, (1, 6, 1): 40},
        )
    )
    np.testing.assert_array_equal(sender.message_of, [[0, 2], [0, 1]])
    sender._end_epoch(
        _counts(
            n_messages,
            {(0, 0, 0): 40, (0, 2, 1): 40, (0, 6, 1): 40}
            | {(1, 0, 0): 40, (1, 1, 1): 40, (1, 6, 1): 8},
        )
    )
    assert sender._test_round == 1
    for b in range(2):
        # Passed: the point, moved back 5 % toward the guilty vertex, is certified for
        # convict, and the step doubles (capped at 1).
        assert len(sender._points[b]) == 4
        assert sender._point_actions[b][-1] == 1
        np.testing.assert_allclose(sender._points[b][-1], [0.95, 0.05])
        assert sender._tau[b, 1, 0] == 1.0


def test_a_failed_test_certifies_its_point_for_the_action_the_learner_obeyed():
    # A test of "convict" at (0.6, 0.4) after which the learner acquitted 40 of 40 times: the
    # point is in acquit's region, certified for acquit 5 % of the way back toward acquit's
    # clear state (innocent): (0.6, 0.4) + 0.05 ((1, 0) - (0.6, 0.4)) = (0.62, 0.38).
    sender, _ = _after_probe()
    before = len(sender._points[0])
    sender._certify_other(0, 1, np.array([0.6, 0.4]), np.array([40.0, 0.0]), 0.9)
    assert len(sender._points[0]) == before + 1
    assert sender._point_actions[0][-1] == 0
    np.testing.assert_allclose(sender._points[0][-1], [0.62, 0.38])
    # 30 of 40 is below the bar 0.9 - 2 sqrt(0.09 / 40) = 0.805: nothing is certified; nor
    # when the recommendation itself was the most played (the test was not failed for another).
    sender._certify_other(0, 1, np.array([0.6, 0.4]), np.array([30.0, 10.0]), 0.9)
    sender._certify_other(0, 1, np.array([0.6, 0.4]), np.array([10.0, 30.0]), 0.9)
    assert len(sender._points[0]) == before + 1
    assert len(sender._points[1]) == before  # the other run is untouched


def test_a_model_step_goes_toward_the_far_side_of_the_modelled_region():
    # Receiver model W = [[2, 0], [0, 2]] on the prosecutor: convict's logit lead at posterior
    # (1 - q, q) is 2 (2q - 1) >= 1 iff q >= 3/4. Guilty-convict was certified at disclosure,
    # and the sender gains from convicting the innocent: the model's best point for convict
    # is q = 3/4, and the first round's candidate steps all the way (tau = 1) to (1/4, 3/4).
    sender, _ = _after_probe()
    sender.model = np.broadcast_to(np.array([[2.0, 0.0], [0.0, 2.0]]), (2, 2, 2)).copy()
    sender._test_round = 0
    [candidate] = [c for c in sender._candidates(0) if c[0] == 1]
    assert candidate[1] == -2
    np.testing.assert_allclose(candidate[2], [0.25, 0.75], atol=1e-9)
    # without the option the step goes toward the vertex of the state that adds value
    sender.model_steps = False
    [candidate] = [c for c in sender._candidates(0) if c[0] == 1]
    assert candidate[1] == 0


def test_the_silent_probe_is_judged_like_a_test_of_its_age():
    sender, _ = _after_probe()
    sender.reference_obedience = np.array([0.95, 1.0])
    # Run 0: disclosure messages were obeyed 60 % then 70 % of the time in their first two
    # epochs; the probe (two epochs old) is judged against 0.7 - 0.05 = 0.65, with the
    # allowance 2 sqrt(0.65 * 0.35 / 40) = 0.151: 30 of 40 (0.75) certifies the prior for
    # acquit. Against the reference obedience (bar 0.9 - 2 sqrt(0.09 / 40) = 0.805) it would not.
    sender._learning_curve = [np.array([0.6, 1.0]), np.array([0.7, 1.0])]
    action, point = sender._judge_probe(0, np.array([30.0, 10.0]))
    assert action == 0
    np.testing.assert_allclose(point, [0.7, 0.3])
    # Run 1 (a learner obeying at once): bar 0.95 - 2 sqrt(0.0475 / 100) = 0.906. 70 of 100 is
    # below it, but the lead 70 - 30 = 40 beats 2 sqrt(100) = 20: the sign test passes and the
    # prior is certified 15 % of the way toward acquit's clear state (innocent):
    # (0.7, 0.3) + 0.15 ((1, 0) - (0.7, 0.3)) = (0.745, 0.255).
    action, point = sender._judge_probe(1, np.array([70.0, 30.0]))
    assert action == 0
    np.testing.assert_allclose(point, [0.745, 0.255])
    assert sender._judge_probe(1, np.array([55.0, 45.0])) is None  # lead 10 < 20
    assert sender._judge_probe(1, np.array([5.0, 3.0])) is None  # fewer than min_count
