"""Agent behaviour pinned to hand-computed values (each test kills a seeded mutant that the rest
of the suite let through: see docs/results.md, "Mutation testing")."""

import numpy as np

from agents import make_sender
from agents.base import GameView
from persuasion_env import PersuasionGame


def _info_sender(name, greedy_messages, visits):
    """An Info-Q / Info-Policy sender on a 3-state, 2-message game, one run, whose greedy
    messages are ``greedy_messages`` (set through rewarded updates: Q[s, e(s)] rises above the
    initial -2 of the other entry) and whose states were shown ``visits`` (through act)."""
    game = PersuasionGame.random(3, 2, seed=0)
    sender = make_sender(name)
    sender.reset(GameView.for_agent(game, sender, 2), runs=1, rng=np.random.default_rng(0))
    for s, m in enumerate(greedy_messages):
        sender.update(np.array([s]), np.array([m]), np.array([0]), np.array([1.0]))
    for s in visits:
        sender.act(np.array([s]))
    return sender


def test_info_q_weights_states_by_visit_count_and_info_policy_counts_them():
    # e = (0, 0, 1); state 1 seen 3 times, states 0 and 2 never. Showing state 0 counts it:
    # f = (1, 3, 0). Info-Q: P(0 | m0) = 1/4, and message 1's states have total weight 0, so
    # P(0 | m1) = 1: it sends m1. Info-Policy (f = 1 each): P(0 | m0) = 1/2, P(0 | m1) = 0: m0.
    q = _info_sender("info_q", (0, 0, 1), [1, 1, 1])
    assert q.act(np.array([0])).tolist() == [1]
    # Now every state scores m1 at 1 (weight of m1's states is 0) and m0 at f(s)/4 < 1.
    np.testing.assert_array_equal(q.policy()[0], [[0, 1], [0, 1], [0, 1]])
    p = _info_sender("info_policy", (0, 0, 1), [1, 1, 1])
    assert p.act(np.array([0])).tolist() == [0]
    # P(s | m0) = 1/2 for s = 0, 1; P(2 | m1) = 1.
    np.testing.assert_array_equal(p.policy()[0], [[1, 0], [1, 0], [0, 1]])


def test_info_q_visit_counts_decide_ties_with_unused_messages():
    # e = (0, 1, 1), f = (5, 1, 0): P(2 | m1) = 0 / 1 and P(2 | m0) = 0: a tie, so Info-Q's
    # policy for state 2 is uniform; counted once each (Info-Policy) P(2 | m1) = 1/2: m1.
    q = _info_sender("info_q", (0, 1, 1), [0] * 5 + [1])
    np.testing.assert_allclose(q.policy()[0], [[1, 0], [0, 1], [0.5, 0.5]])
    p = _info_sender("info_policy", (0, 1, 1), [0] * 5 + [1])
    np.testing.assert_allclose(p.policy()[0], [[1, 0], [0, 1], [0, 1]])
