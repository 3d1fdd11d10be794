"""ModelR and the Info-Q family step by step against hand-computed tables (these kill mutants of
agents/senders/baselines.py that the behavioural tests let through: see docs/results.md)."""

import numpy as np
import pytest

from agents import make_sender
from agents.base import GameView
from persuasion_env import PersuasionGame


def _reset(sender, runs=1, seed=0, n_messages=2):
    game = PersuasionGame.random(2, 2, seed=0)
    sender.reset(
        GameView.for_agent(game, sender, n_messages), runs=runs, rng=np.random.default_rng(seed)
    )
    return sender


def _step(sender, s, m, a, r):
    sender.update(np.array([s]), np.array([m]), np.array([a]), np.array([r]))


def test_modelr_learns_its_payoffs_and_a_model_of_the_receiver():
    sender = _reset(make_sender("modelr", alpha=0.5, epsilon=0.0, model_alpha=0.25))
    _step(sender, 0, 1, 1, 1.0)  # Q[0, 1] = 0.5; model[m1] = (0, 0.25): predicts action 1
    _step(sender, 1, 0, 0, 0.4)  # Q[1, 0] = 0.2; model[m0] = (0.25, 0): predicts action 0
    np.testing.assert_allclose(sender.q[0], [[0.0, 0.5], [0.2, 0.0]])
    np.testing.assert_allclose(sender.model[0], [[0.25, 0.0], [0.0, 0.25]])
    np.testing.assert_array_equal(sender.predicted[0], [0, 1])
    # state 0: m0 -> action 0 pays Q[0, 0] = 0, m1 -> action 1 pays 0.5: send m1;
    # state 1: m0 -> Q[1, 0] = 0.2, m1 -> Q[1, 1] = 0: send m0.
    assert sender.act(np.array([0])).tolist() == [1]
    assert sender.act(np.array([1])).tolist() == [0]
    np.testing.assert_array_equal(sender.policy()[0], [[0, 1], [1, 0]])
    # After m1 the receiver acquits: model[m1] = 0.75 (0, 0.25) + (0.25, 0) = (0.25, 0.1875)
    _step(sender, 0, 1, 0, -1.0)  # Q[0, 0] = 0 + 0.5 (-1 - 0) = -0.5
    np.testing.assert_allclose(sender.model[0, 1], [0.25, 0.1875])
    np.testing.assert_array_equal(sender.predicted[0], [0, 0])
    np.testing.assert_allclose(sender.q[0], [[-0.5, 0.5], [0.2, 0.0]])
    assert sender.t == 3
    # Both messages now predict action 0: state 0 is indifferent, state 1 too.
    np.testing.assert_allclose(sender.policy()[0], [[0.5, 0.5], [0.5, 0.5]])


def test_modelr_model_step_defaults_to_alpha():
    sender = _reset(make_sender("modelr", alpha=0.3))
    assert sender.model_alpha == 0.3
    _step(sender, 0, 0, 1, 1.0)
    np.testing.assert_allclose(sender.model[0, 0], [0.0, 0.3])
    np.testing.assert_allclose(sender.q[0, 0], [0.0, 0.3])


def test_modelr_epsilon_decays_linearly_to_zero_and_explores_uniformly():
    n = 20_000
    sender = _reset(make_sender("modelr", epsilon=1.0, epsilon_decay=0.25), runs=n)
    assert sender.current_epsilon() == 1.0
    sender.q[:, :, 1] = 1.0  # action 1 pays: the greedy message is the one predicting it
    sender.predicted[:] = [0, 1]
    msgs = sender.act(np.zeros(n, dtype=int))
    assert msgs.mean() == pytest.approx(0.5, abs=0.015)  # epsilon 1: uniform
    states = np.zeros(n, dtype=int)
    for _ in range(2):
        sender.update(states, np.ones(n, int), np.ones(n, int), np.ones(n))
    assert sender.current_epsilon() == pytest.approx(0.5)
    msgs = sender.act(states)
    assert msgs.mean() == pytest.approx(0.5 + 0.5 / 2, abs=0.015)  # greedy m1 w.p. 0.75
    for _ in range(3):
        sender.update(states, np.ones(n, int), np.ones(n, int), np.ones(n))
    assert sender.current_epsilon() == 0.0  # 1 - 5 * 0.25 < 0 is clipped
    assert sender.act(states).tolist() == [1] * n


def test_modelr_without_decay_keeps_exploring():
    sender = _reset(make_sender("modelr", epsilon=0.2, epsilon_decay=0.0))
    for _ in range(5):
        _step(sender, 0, 0, 0, 0.0)
    assert sender.current_epsilon() == 0.2


def test_info_family_defaults_and_parameters():
    q = make_sender("info_q")
    assert (q.alpha, q.initial_q, q.weight_by_frequency, q.n_messages) == (0.1, -2.0, True, None)
    p = make_sender("info_policy")
    assert (p.alpha, p.initial_q, p.weight_by_frequency) == (0.05, -2.0, False)
    assert make_sender("info_q", n_messages=3).n_messages == 3
    assert make_sender("info_q", alpha=1.0).alpha == 1.0
    m = make_sender("modelr")
    assert (m.alpha, m.epsilon, m.epsilon_decay, m.n_messages) == (0.05, 1.0, 0.00125, None)
    for name, kwargs, match in [
        ("info_q", {"alpha": 1.5}, "alpha"),
        ("info_q", {"n_messages": 0}, "n_messages"),
        ("modelr", {"epsilon_decay": -0.1}, "epsilon_decay"),
        ("modelr", {"model_alpha": 0.0}, "model_alpha"),
        ("modelr", {"model_alpha": 1.5}, "model_alpha"),
        ("modelr", {"alpha": 1.5}, "alpha"),
        ("modelr", {"epsilon": 1.5}, "epsilon"),
    ]:
        with pytest.raises(ValueError, match=match):
            make_sender(name, **kwargs)


def test_info_q_initial_table_and_update_rule():
    sender = _reset(make_sender("info_q", alpha=0.5, initial_q=1.0), n_messages=3)
    np.testing.assert_allclose(sender.q[0], np.ones((2, 3)))
    _step(sender, 1, 2, 0, 3.0)  # Q[1, 2] = 1 + 0.5 (3 - 1) = 2
    np.testing.assert_allclose(sender.q[0], [[1, 1, 1], [1, 1, 2]])
    assert sender.expected[0, 1] == 2  # the greedy message of state 1 follows the table
    _step(sender, 1, 2, 0, -5.0)  # 2 + 0.5 (-5 - 2) = -1.5: now below the other two
    assert sender.expected[0, 1] in (0, 1)
    assert sender.policy().shape == (1, 2, 3)


def test_modelr_updates_from_non_zero_estimates():
    sender = _reset(make_sender("modelr", alpha=0.5, epsilon=0.0, model_alpha=0.25))
    for _ in range(2):
        _step(sender, 0, 1, 1, 1.0)
    # Q[0, 1]: 0.5, then 0.5 + 0.5 (1 - 0.5) = 0.75; model[m1]: 0.25, then 0.75 * 0.25 + 0.25
    np.testing.assert_allclose(sender.q[0, 0], [0.0, 0.75])
    np.testing.assert_allclose(sender.model[0, 1], [0.0, 0.4375])


def test_constructor_options_are_kept_and_errors_name_them():
    assert make_sender("modelr", n_messages=3).n_messages == 3
    assert make_sender("modelr", n_messages=1).n_messages == 1
    p = make_sender("info_policy", n_messages=3, initial_q=1.0, weight_by_frequency=True)
    assert (p.n_messages, p.initial_q, p.weight_by_frequency) == (3, 1.0, True)
    sender = _reset(make_sender("info_q"), runs=3)
    assert sender.runs == 3
    for name, kwargs, match in [
        ("info_q", {"alpha": 1.5}, r"^alpha must be a probability"),
        ("info_q", {"n_messages": 0}, r"^n_messages must be >= 1"),
        ("modelr", {"alpha": 0.0}, r"^alpha must be > 0"),
        ("modelr", {"alpha": 1.5}, r"^alpha must be a probability"),
        ("modelr", {"epsilon_decay": -1.0}, r"^epsilon_decay must be >= 0"),
        ("modelr", {"model_alpha": 0.0}, r"^model_alpha must be > 0"),
        ("modelr", {"model_alpha": 1.5}, r"^model_alpha must be a probability"),
    ]:
        with pytest.raises(ValueError, match=match):
            make_sender(name, **kwargs)


def test_info_q_errors_name_initial_q_and_weight_by_frequency():
    with pytest.raises(ValueError, match="^initial_q must be finite"):
        make_sender("info_q", initial_q=float("nan"))
    with pytest.raises(TypeError, match="^weight_by_frequency must be True or False"):
        make_sender("info_q", weight_by_frequency="yes")


def test_info_q_policy_before_any_visit_is_uniform():
    # no state visited yet: every state's weight and every message's mass are 0, so P(s | m) is
    # taken as 1 for every message (as in act()) and the policy is uniform over the 3 messages
    sender = _reset(make_sender("info_q"), runs=2, n_messages=3)
    np.testing.assert_allclose(sender.policy(), np.full((2, 2, 3), 1 / 3))


def _one_best_message(sender):
    # state 0: message 0 is predicted to get action 0 (pays 1), message 1 action 1 (pays 0)
    sender.q[0, 0] = [1.0, 0.0]
    sender.predicted[0] = [0, 1]
    return sender


@pytest.mark.parametrize("explore", [False, True])
def test_modelr_explores_iff_the_draw_is_below_epsilon(explore):
    # P(explore) = P(u < eps) = eps for u uniform on [0, 1): a draw equal to eps does not
    # explore, one just below it does; the random message is floor(2 u') of the next draw.
    u, u_next = np.random.default_rng(1).random(2)  # the draws the sender will make
    assert int(2 * u_next) == 1  # seed 1: exploring picks message 1, not the best message 0
    eps = float(np.nextafter(u, 1.0)) if explore else float(u)
    sender = _one_best_message(_reset(make_sender("modelr", epsilon=eps, epsilon_decay=0.0)))
    sender.rng = np.random.default_rng(1)
    assert sender.act(np.array([0])).tolist() == [1 if explore else 0]


def test_modelr_with_epsilon_zero_draws_no_random_number():
    # same seed, same numbers: without exploration (and without ties) acting consumes no draw
    sender = _one_best_message(_reset(make_sender("modelr", epsilon=0.0)))
    before = sender.rng.bit_generator.state
    assert sender.act(np.array([0])).tolist() == [0]
    assert sender.rng.bit_generator.state == before
