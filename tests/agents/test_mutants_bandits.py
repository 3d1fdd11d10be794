"""The tabular learners of agents/_bandits.py step by step against hand-computed tables (these
kill mutants that the behavioural tests let through: see docs/results.md)."""

import math

import numpy as np
import pytest

from agents import _bandits


def _rng(seed=0):
    return np.random.default_rng(seed)


# ------------------------------------------------------------------------------ Q-learning
def _q(runs, **kw):
    opts = dict(alpha=0.5, epsilon=0.0, epsilon_final=0.0, epsilon_decay_rounds=0, initial_q=0.0)
    opts.update(kw)
    return _bandits.QLearner(runs, 2, 3, _rng(), **opts)


@pytest.mark.parametrize("runs", [1, 2])  # the single-run fast path and the batched one
def test_q_learner_update_and_greedy_choice(runs):
    q = _q(runs)
    ctx = np.zeros(runs, dtype=int)
    q.learn(ctx, np.full(runs, 2), np.ones(runs))  # Q[0, 2] = 0 + 0.5 (1 - 0) = 0.5
    q.learn(ctx, np.full(runs, 2), np.zeros(runs))  # 0.5 + 0.5 (0 - 0.5) = 0.25
    q.learn(np.ones(runs, dtype=int), np.full(runs, 1), np.full(runs, -1.0))  # Q[1, 1] = -0.5
    for b in range(runs):
        np.testing.assert_allclose(q.q[b], [[0, 0, 0.25], [0, -0.5, 0]])
    assert q.t == 3
    np.testing.assert_array_equal(q.choose(ctx), np.full(runs, 2))  # epsilon 0: greedy
    greedy = q.greedy()
    np.testing.assert_allclose(greedy[0], [[0, 0, 1], [0.5, 0, 0.5]])


def test_q_learner_epsilon_schedule_and_exploration():
    q = _q(20_000, epsilon=1.0, epsilon_final=0.2, epsilon_decay_rounds=4, initial_q=0.0)
    assert q.current_epsilon() == 1.0
    q.q[:, 0, 0] = 1.0  # arm 0 is greedy in context 0
    # epsilon 1: arms uniformly at random (2/3 of the time not the greedy one)
    arms = q.choose(np.zeros(20_000, dtype=int))
    np.testing.assert_allclose(np.bincount(arms, minlength=3) / 20_000, [1 / 3] * 3, atol=0.015)
    ctx, arm, r = np.zeros(20_000, dtype=int), np.zeros(20_000, dtype=int), np.ones(20_000)
    for _ in range(2):
        q.learn(ctx, arm, r)
    assert q.current_epsilon() == pytest.approx(1.0 - 0.8 * 2 / 4)  # 0.6 after 2 of 4 rounds
    for _ in range(2):
        q.learn(ctx, arm, r)
    assert q.current_epsilon() == pytest.approx(0.2)
    arms = q.choose(ctx)
    # greedy with probability 0.8 + 0.2 / 3, each other arm 0.2 / 3
    freq = np.bincount(arms, minlength=3) / 20_000
    np.testing.assert_allclose(freq, [0.8 + 0.2 / 3, 0.2 / 3, 0.2 / 3], atol=0.015)


def test_q_options():
    opts = _bandits.q_options(0.1, 0.3, None, 10, 2.0)
    assert opts == dict(
        alpha=0.1, epsilon=0.3, epsilon_final=0.3, epsilon_decay_rounds=10, initial_q=2.0
    )
    assert _bandits.q_options(0.1, 0.3, 0.05, 0, 0)["epsilon_final"] == 0.05
    assert _bandits.q_options(1.0, 0.0, None, 0, 0)["alpha"] == 1.0
    for args, match in [
        ((0.0, 0.1, None, 1, 0.0), "alpha"),
        ((1.5, 0.1, None, 1, 0.0), "alpha"),
        ((0.1, 1.5, None, 1, 0.0), "epsilon"),
        ((0.1, 0.1, -0.5, 1, 0.0), "epsilon_final"),
        ((0.1, 0.1, None, -1, 0.0), "epsilon_decay_rounds"),
    ]:
        with pytest.raises(ValueError, match=match):
            _bandits.q_options(*args)


# ------------------------------------------------------------------------------ REINFORCE
def test_reinforce_learner_one_step_by_hand():
    r = _bandits.ReinforceLearner(1, 2, 2, _rng(), alpha=0.4, alpha_critic=0.5)
    r.choose(np.array([1]))  # softmax(0, 0) = (1/2, 1/2)
    r.learn(np.array([1]), np.array([0]), np.array([1.0]))
    # delta = 1 - v = 1; v = 0.5; h += 0.4 * 1 * (onehot(0) - (1/2, 1/2)) = (0.2, -0.2)
    np.testing.assert_allclose(r.v[0], [0.0, 0.5])
    np.testing.assert_allclose(r.h[0], [[0, 0], [0.2, -0.2]])
    r.choose(np.array([1]))  # softmax(0.2, -0.2): p0 = 1 / (1 + e^-0.4)
    p0 = 1 / (1 + math.exp(-0.4))
    r.learn(np.array([1]), np.array([1]), np.array([0.0]))
    # delta = 0 - 0.5 = -0.5; v = 0.5 - 0.25 = 0.25; h += 0.4 (-0.5) (onehot(1) - (p0, 1 - p0))
    np.testing.assert_allclose(r.v[0], [0.0, 0.25])
    np.testing.assert_allclose(r.h[0, 1], [0.2 + 0.2 * p0, -0.2 - 0.2 * p0])
    np.testing.assert_array_equal(r.greedy()[0], [[0.5, 0.5], [1.0, 0.0]])


def test_reinforce_learner_samples_its_softmax():
    n = 20_000
    r = _bandits.ReinforceLearner(n, 1, 2, _rng(3), alpha=0.1, alpha_critic=0.1)
    r.h[:, 0] = [math.log(3.0), 0.0]  # softmax = (3/4, 1/4)
    arms = r.choose(np.zeros(n, dtype=int))
    assert arms.mean() == pytest.approx(0.25, abs=0.015)


def test_reinforce_and_exp3_options():
    assert _bandits.reinforce_options(2.0, 0.5) == dict(alpha=2.0, alpha_critic=0.5)
    assert _bandits.reinforce_options(0.1, 1.0)["alpha_critic"] == 1.0
    for args, match in [((0.0, 0.5), "alpha"), ((0.1, 0.0), "alpha_critic"), ((0.1, 2), "critic")]:
        with pytest.raises(ValueError, match=match):
            _bandits.reinforce_options(*args)
    assert _bandits.exp3_options(3.0, 0.0) == dict(eta=3.0, gamma=0.0)
    assert _bandits.exp3_options(3.0, 1.0)["gamma"] == 1.0
    for args, match in [((0.0, 0.1), "eta"), ((0.1, 1.5), "gamma"), ((0.1, -0.1), "gamma")]:
        with pytest.raises(ValueError, match=match):
            _bandits.exp3_options(*args)


# ------------------------------------------------------------------------------ EXP3
def test_exp3_learner_by_hand():
    n = 20_000
    e = _bandits.Exp3Learner(n, 2, 2, _rng(5), eta=0.1, gamma=0.2)
    ctx = np.ones(n, dtype=int)
    arms = e.choose(ctx)  # (1 - 0.2) (1/2, 1/2) + 0.2 / 2 = (1/2, 1/2)
    assert arms.mean() == pytest.approx(0.5, abs=0.015)
    # rewards in [-1, 1] become gains (r + 1) / 2, clipped to [0, 1]; weight += eta g / p
    rewards = np.where(arms == 0, 0.5, 3.0)  # gains 0.75 and 1 (clipped)
    e.learn(ctx, arms, rewards)
    expected = np.where(arms == 0, 0.1 * 0.75 / 0.5, 0.1 * 1.0 / 0.5)
    np.testing.assert_allclose(e.log_weights[np.arange(n), 1, arms], expected)
    np.testing.assert_allclose(e.log_weights[np.arange(n), 1, 1 - arms], 0.0)
    np.testing.assert_allclose(e.log_weights[:, 0], 0.0)
    e.learn(ctx[:1].repeat(n), np.zeros(n, dtype=int), np.full(n, -5.0))  # gain clipped to 0
    np.testing.assert_allclose(e.log_weights[np.arange(n), 1, arms], expected)
    # Weights (0.15, 0.2) for one run: p = 0.8 softmax + 0.1
    e.log_weights[:, 1] = [0.15, 0.2]
    arms = e.choose(ctx)
    p1 = 0.8 / (1 + math.exp(-0.05)) + 0.1
    assert arms.mean() == pytest.approx(p1, abs=0.015)
    np.testing.assert_array_equal(e.greedy()[0, 1], [0.0, 1.0])


# ------------------------------------------------------------------------------ UCB
def test_ucb_index_by_hand():
    u = _bandits.UCBLearner(1, 1, 2, _rng(), c_explore=1.0, discount=1.0)
    u.counts[0, 0] = [2.0, 1.0]
    u.sums[0, 0] = [1.0, 0.2]
    # means (0.5, 0.2), n = 3: arm 0: 0.5 + sqrt(2 ln 3 / 2) = 1.548; arm 1: 0.2 + sqrt(2 ln 3)
    # = 1.682 -> arm 1. With c = 0.1: 0.605 against 0.348 -> arm 0.
    assert u.choose(np.array([0])).tolist() == [1]
    u.c_explore = 0.1
    assert u.choose(np.array([0])).tolist() == [0]
    # c = 0.5: 0.5 + 0.524 = 1.024 against 0.2 + 0.741 = 0.941 -> arm 0
    u.c_explore = 0.5
    assert u.choose(np.array([0])).tolist() == [0]


def test_ucb_tries_untried_arms_first_and_greedy_ignores_them():
    u = _bandits.UCBLearner(1, 1, 3, _rng(), c_explore=0.0, discount=1.0)
    u.learn(np.array([0]), np.array([1]), np.array([-0.5]))
    assert u.choose(np.array([0])).item() in (0, 2)  # untried first, despite c = 0
    np.testing.assert_array_equal(u.greedy()[0, 0], [0.0, 1.0, 0.0])
    assert u.t == 1


def test_ucb_discounts_the_visited_context_only():
    u = _bandits.UCBLearner(1, 2, 2, _rng(), c_explore=1.0, discount=0.5)
    u.learn(np.array([0]), np.array([0]), np.array([1.0]))  # counts (1, 0), sums (1, 0)
    u.learn(np.array([1]), np.array([1]), np.array([0.4]))  # other context: no decay of 0
    u.learn(np.array([0]), np.array([1]), np.array([0.2]))  # decay: (0.5, 0) then +1 on arm 1
    np.testing.assert_allclose(u.counts[0], [[0.5, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(u.sums[0], [[0.5, 0.2], [0.0, 0.4]])
    # means 1.0 and 0.2 in context 0: greedy arm 0
    np.testing.assert_array_equal(u.greedy()[0, 0], [1.0, 0.0])
    batched = _bandits.UCBLearner(2, 1, 2, _rng(), c_explore=1.0, discount=0.5)
    batched.learn(np.array([0, 0]), np.array([0, 1]), np.array([1.0, 2.0]))
    batched.learn(np.array([0, 0]), np.array([0, 1]), np.array([1.0, 2.0]))
    np.testing.assert_allclose(batched.counts[:, 0], [[1.5, 0.0], [0.0, 1.5]])
    np.testing.assert_allclose(batched.sums[:, 0], [[1.5, 0.0], [0.0, 3.0]])


def test_ucb_options():
    assert _bandits.ucb_options(0.0, 1.0) == dict(c_explore=0.0, discount=1.0)
    for args, match in [((-0.1, 0.9), "c_explore"), ((0.1, 0.0), "discount"), ((0.1, 1.2), "disc")]:
        with pytest.raises(ValueError, match=match):
            _bandits.ucb_options(*args)


# ------------------------------------------------------------------ second mutation round
class _FixedRng:
    """A stand-in generator: every uniform draw is ``u``, every integer draw is ``k``."""

    def __init__(self, u, k):
        self.u, self.k = u, k

    def random(self, size):
        return np.full(size, self.u)

    def integers(self, high, size):
        return np.full(size, self.k)


def _next_uniforms(rng, n):
    """The next ``n`` uniforms ``rng`` will give, read from a copy of its state."""
    copy = np.random.Generator(type(rng.bit_generator)())
    copy.bit_generator.state = rng.bit_generator.state
    return copy.random(n)


@pytest.mark.parametrize("explore", [False, True])
def test_q_learner_explores_iff_the_draw_is_below_epsilon(explore):
    # P(explore) = P(u < eps) = eps for u uniform on [0, 1): a draw equal to eps does not
    # explore, one just below it does; the random arm is floor(3 u') of the next draw u'.
    rng = _rng(1)
    u, u_next = _next_uniforms(rng, 2)
    assert int(3 * u_next) == 2  # seed 1: exploring picks arm 2, not the greedy arm 0
    eps = float(np.nextafter(u, 1.0)) if explore else float(u)
    q = _bandits.QLearner(
        1, 1, 3, rng, alpha=0.5, epsilon=eps, epsilon_final=eps, epsilon_decay_rounds=0,
        initial_q=0.0,
    )  # fmt: skip
    q.q[0, 0] = [1.0, 0.0, 0.0]  # one greedy arm: no tie-break draw
    assert q.choose(np.array([0])).tolist() == [2 if explore else 0]


def test_q_learner_with_epsilon_zero_draws_no_random_number():
    # same seed, same numbers: at epsilon 0 (and without ties) choosing consumes no draw, so
    # the caller's random stream is where it was
    rng = _rng(7)
    q = _bandits.QLearner(
        1, 1, 3, rng, alpha=0.5, epsilon=0.0, epsilon_final=0.0, epsilon_decay_rounds=0,
        initial_q=0.0,
    )  # fmt: skip
    q.q[0, 0] = [0.0, 1.0, 0.0]
    before = rng.bit_generator.state
    assert q.choose(np.array([0])).tolist() == [1]
    assert rng.bit_generator.state == before


@pytest.mark.parametrize(
    ("cls", "kw"),
    [
        (_bandits.QLearner, dict(alpha=0.1, epsilon=0.1, epsilon_final=0.1,
                                 epsilon_decay_rounds=0, initial_q=0.0)),
        (_bandits.ReinforceLearner, dict(alpha=0.1, alpha_critic=0.1)),
        (_bandits.Exp3Learner, dict(eta=0.1, gamma=0.1)),
        (_bandits.UCBLearner, dict(c_explore=1.0, discount=1.0)),
    ],
)  # fmt: skip
def test_learners_keep_their_table_dimensions(cls, kw):
    learner = cls(4, 2, 3, _rng(), **kw)
    assert (learner.runs, learner.contexts, learner.arms, learner.t) == (4, 2, 3, 0)
    np.testing.assert_array_equal(learner.rows, np.arange(4))


def test_ucb_index_uses_each_runs_own_visit_count():
    # UCB1 index mean_k + c sqrt(2 ln n / n_k), n = visits of the context *in this run*.
    # Run 0: counts (4, 1), means (0.6, -0.5), n = 5, c = 1.2: the bonus gap is
    # 1.2 (sqrt(2 ln 5) - sqrt(2 ln 5 / 4)) = 1.076 < 1.1 = the mean gap -> arm 0 (with n = 7,
    # both runs' visits, the gap would be 1.184 -> arm 1). Run 1: counts (1, 1), means
    # (0.3, 0) -> equal bonuses -> arm 0.
    u = _bandits.UCBLearner(2, 1, 2, _rng(), c_explore=1.2, discount=1.0)
    u.counts[:, 0] = [[4.0, 1.0], [1.0, 1.0]]
    u.sums[:, 0] = [[2.4, -0.5], [0.3, 0.0]]
    assert u.choose(np.array([0, 0])).tolist() == [0, 0]
    # the same run 0 alone with n = 5 and a mean gap of 1.0 < 1.076: the bonus wins -> arm 1;
    # (with the log moved to the denominator, 2 / ln 5, the gap would be 0.669 -> arm 0)
    u1 = _bandits.UCBLearner(1, 1, 2, _rng(), c_explore=1.2, discount=1.0)
    u1.counts[0, 0] = [4.0, 1.0]
    u1.sums[0, 0] = [2.0, -0.5]
    assert u1.choose(np.array([0])).tolist() == [1]


def test_ucb_has_no_bonus_while_discounted_visits_sum_to_at_most_one():
    # ln(max(n, 1)) = 0 for n <= 1: the index is the plain mean. counts (0.25, 0.75), n = 1,
    # means (0, 0.5) -> arm 1 (a bonus with ln 2 would favour the rarer arm 0: 2.35 vs 1.86)
    u = _bandits.UCBLearner(1, 1, 2, _rng(), c_explore=1.0, discount=0.5)
    u.counts[0, 0] = [0.25, 0.75]
    u.sums[0, 0] = [0.0, 0.375]
    assert u.choose(np.array([0])).tolist() == [1]


def test_ucb_greedy_is_the_best_sample_mean_and_t_counts_rounds():
    u = _bandits.UCBLearner(1, 1, 3, _rng(), c_explore=1.0, discount=1.0)
    for arm, r in [(0, 1.0), (0, 0.0), (1, 0.8)]:  # means 0.5 and 0.8, arm 2 untried
        u.learn(np.array([0]), np.array([arm]), np.array([r]))
    np.testing.assert_array_equal(u.greedy()[0, 0], [0.0, 1.0, 0.0])
    assert u.t == 3


@pytest.mark.parametrize(
    ("func", "args", "message"),
    [
        (_bandits.q_options, (1.5, 0.1, None, 1, 0.0), "^alpha must be a probability"),
        (_bandits.q_options, (0.1, 0.1, 1.5, 1, 0.0), "^epsilon_final must be a probability"),
        (_bandits.q_options, (0.1, 0.1, None, -1, 0.0), "^epsilon_decay_rounds must be >= 0"),
        (_bandits.q_options, (0.1, 0.1, None, 1, float("nan")), "^initial_q must be finite"),
        (_bandits.reinforce_options, (0.0, 0.5), "^alpha must be > 0"),
        (_bandits.reinforce_options, (0.1, 1.5), "^alpha_critic must be a probability"),
        (_bandits.exp3_options, (0.0, 0.1), "^eta must be > 0"),
        (_bandits.ucb_options, (-0.1, 0.9), "^c_explore must be >= 0"),
        (_bandits.ucb_options, (0.1, 0.0), "^discount must be > 0"),
        (_bandits.ucb_options, (0.1, 1.2), "^discount must be a probability"),
    ],
)
def test_option_errors_name_the_option(func, args, message):
    with pytest.raises(ValueError, match=message):
        func(*args)
