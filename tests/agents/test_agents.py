"""Agents one by one: registry, metadata, validation, and behaviour against known answers."""

import numpy as np
import pytest

from agents import describe_agents, list_agents, make_receiver, make_sender
from agents.base import GameView, rand_argmax, uniform_over_argmax
from persuasion_env import PersuasionGame, bayes, simulate, solve_commitment

SENDERS = [
    "modelr",
    "info_q",
    "info_policy",
    "lp_optimal",
    "full_disclosure",
    "no_information",
    "random",
]
RECEIVERS = [
    "best_response",
    "quantal",
    "q_learning",
    "reinforce",
    "hedge",
    "ucb",
    "fictitious_play",
]


def test_registry_lists_the_promised_names():
    names = list_agents()
    assert set(SENDERS + ["fixed_scheme", "tablenet"]) <= set(names["senders"])
    assert set(RECEIVERS) <= set(names["receivers"])


def test_metadata():
    rows = {(r["side"], r["name"]): r for r in describe_agents()}
    assert rows[("receiver", "best_response")]["needs_scheme"] is True
    assert rows[("receiver", "q_learning")]["learns"] is True
    assert rows[("receiver", "fictitious_play")]["observes_state"] is True
    assert rows[("receiver", "q_learning")]["observes_state"] is False
    assert rows[("sender", "lp_optimal")]["level"] == "scheme"
    assert rows[("sender", "info_q")]["level"] == "round"
    assert all(r["description"] for r in rows.values())


@pytest.mark.parametrize(
    ("side", "name", "kwargs", "error", "match"),
    [
        ("receiver", "q_learning", {"alpha": 0.0}, ValueError, "alpha must be > 0"),
        ("receiver", "q_learning", {"alpha": -1}, ValueError, "alpha must be > 0"),
        ("receiver", "q_learning", {"epsilon": 1.5}, ValueError, "epsilon must be a probability"),
        ("receiver", "quantal", {"lam": 0}, ValueError, "lam must be > 0"),
        ("receiver", "reinforce", {"alpha_critic": 0}, ValueError, "alpha_critic must be > 0"),
        ("receiver", "hedge", {"gamma": 2.0}, ValueError, "gamma must be a probability"),
        ("receiver", "q_learning", {"gamma": 0.9}, ValueError, "unknown keyword"),
        ("sender", "info_q", {"alpha": 0}, ValueError, "alpha must be > 0"),
        ("sender", "modelr", {"epsilon": -0.1}, ValueError, "epsilon must be >= 0"),
        ("sender", "lp_optimal", {"margin": -1}, ValueError, "margin must be >= 0"),
        ("sender", "lp_optimal", {"n_messages": 0}, ValueError, "n_messages must be >= 1"),
        (
            "sender",
            "fixed_scheme",
            {"scheme": [[0.5, 0.6]]},
            ValueError,
            "scheme rows must sum to 1",
        ),
        ("sender", "nope", {}, ValueError, "unknown sender .nope.; known senders: "),
    ],
)
def test_bad_parameters(side, name, kwargs, error, match):
    make = make_sender if side == "sender" else make_receiver
    with pytest.raises(error, match=match):
        make(name, **kwargs)


def test_rand_argmax_is_uniform_over_ties():
    rng = np.random.default_rng(0)
    values = np.tile([1.0, 3.0, 3.0, 0.0, 3.0], (30_000, 1))
    counts = np.bincount(rand_argmax(values, rng), minlength=5) / 30_000
    np.testing.assert_allclose(counts, [0, 1 / 3, 1 / 3, 0, 1 / 3], atol=0.015)
    np.testing.assert_allclose(uniform_over_argmax(values[:1]), [[0, 1 / 3, 1 / 3, 0, 1 / 3]])
    # The single-run fast path draws from the same distribution.
    single = [int(rand_argmax(values[:1], rng)[0]) for _ in range(30_000)]
    np.testing.assert_allclose(np.bincount(single, minlength=5) / 30_000, counts, atol=0.02)
    assert rand_argmax(np.array([[0.0, 2.0, 1.0]]), rng).tolist() == [1]


def brute_force_info_message_scores(q_table, counts, state, weight_by_frequency):
    """Bhatt & Buro's inference rule written out per message, from the test's own tables:
    the greedy message of each state ``e(s) = argmax_m Q[s, m]`` (asserted tie-free) and
    ``P(state | m) = 1{e(state) = m} f(state) / sum_{s: e(s) = m} f(s)``, 1 when that sum is
    0; ``f`` is the visit count (Info-Q) or 1 (Info-Policy)."""
    n_states, n_messages = q_table.shape
    expected = []
    for s in range(n_states):
        best = max(q_table[s])
        assert sum(v == best for v in q_table[s]) == 1, "the drive must leave no tie"
        expected.append(int(np.argmax(q_table[s])))
    weight = [counts[s] if weight_by_frequency else 1.0 for s in range(n_states)]
    scores = []
    for m in range(n_messages):
        mass = sum(weight[s] for s in range(n_states) if expected[s] == m)
        if mass == 0:
            scores.append(1.0)
        else:
            scores.append(weight[state] / mass if expected[state] == m else 0.0)
    return np.array(scores)


@pytest.mark.parametrize("weighted", [True, False])
def test_info_q_inference_matches_brute_force(weighted):
    # The test keeps its own Q-table (the update rule Q += alpha (r - Q)) and its own visit
    # counts (Info-Q counts the current state before it infers), and predicts every message
    # the sender sends and its final policy from them.
    n_states, n_messages, runs, alpha = 5, 4, 3, 0.1
    rng = np.random.default_rng(1)
    game = PersuasionGame.random(n_states, n_messages, seed=1)
    sender = make_sender("info_q", alpha=alpha, weight_by_frequency=weighted)
    sender.reset(GameView.for_agent(game, sender, n_messages), runs=runs, rng=rng)
    q = np.full((runs, n_states, n_messages), -2.0)
    counts = np.zeros((runs, n_states))
    # First touch every state once with a chosen message so that each row has a unique
    # maximum (untouched entries stay at -2, touched ones rise above it).
    for s in range(n_states):
        for b in range(runs):
            m = (s + b) % n_messages
            q[b, s, m] += alpha * (1.0 - q[b, s, m])
        sender.update(
            np.full(runs, s), (s + np.arange(runs)) % n_messages, np.zeros(runs, int), np.ones(runs)
        )
    checked = 0
    for _ in range(300):
        states = rng.integers(n_states, size=runs)
        counts[np.arange(runs), states] += 1
        messages = sender.act(states)
        for b in range(runs):
            scores = brute_force_info_message_scores(q[b], counts[b], states[b], weighted)
            best = np.flatnonzero(scores == scores.max())
            assert messages[b] in best
            checked += len(best) == 1
        rewards = rng.random(runs)
        for b in range(runs):
            q[b, states[b], messages[b]] += alpha * (rewards[b] - q[b, states[b], messages[b]])
        sender.update(states, messages, rng.integers(4, size=runs), rewards)
    assert checked > 300  # most rounds have a single best message, so this is a real check
    policy = sender.policy()
    for b in range(runs):
        for s in range(n_states):
            scores = brute_force_info_message_scores(q[b], counts[b], s, weighted)
            best = scores == scores.max()
            np.testing.assert_allclose(policy[b, s], best / best.sum())


def test_q_learning_receiver_learns_the_best_response_to_full_disclosure():
    game = PersuasionGame.random(4, 3, seed=5)
    receiver = make_receiver(
        "q_learning", alpha=0.1, epsilon=0.1, epsilon_final=0.0, epsilon_decay_rounds=2000
    )
    res = simulate(game, "full_disclosure", receiver, rounds=4000, runs=20, seed=0)
    # Full disclosure: message s reveals state s, whose best action is argmax_a u2[s, a].
    best = game.receiver_utility.argmax(axis=1)
    np.testing.assert_array_equal(res.receiver_policy.argmax(axis=-1), np.tile(best, (20, 1)))


@pytest.mark.parametrize("receiver", ["hedge", "reinforce"])
def test_bandit_receivers_play_mostly_the_best_response(receiver):
    game = PersuasionGame.random(3, 3, seed=2)
    res = simulate(game, "full_disclosure", receiver, rounds=4000, runs=20, seed=0)
    best = game.receiver_utility.argmax(axis=1)
    greedy = res.receiver_policy.argmax(axis=-1)
    assert (greedy == best).mean() >= 0.9


def test_quantal_receiver_samples_its_quantal_response():
    game = PersuasionGame.example("prosecutor")
    scheme = np.array([[0.6, 0.4], [0.1, 0.9]])
    receiver = make_receiver("quantal", lam=3.0)
    receiver.reset(GameView.for_agent(game, receiver, 2), runs=40_000, rng=np.random.default_rng(0))
    receiver.observe_scheme(np.broadcast_to(scheme, (40_000, 2, 2)))
    expected = bayes.quantal_response(game.prior, scheme, game.receiver_utility, 3.0)
    actions = receiver.act(np.ones(40_000, dtype=int))
    assert actions.mean() == pytest.approx(expected[1, 1], abs=0.01)


def test_views_hide_the_other_side_utility():
    game = PersuasionGame.random(3, 3, seed=0)
    view = GameView.for_agent(game, make_sender("info_q"), 3)
    assert view.game is None
    np.testing.assert_array_equal(view.utility, game.sender_utility)
    view = GameView.for_agent(game, make_receiver("q_learning"), 3)
    assert view.game is None
    np.testing.assert_array_equal(view.utility, game.receiver_utility)
    assert GameView.for_agent(game, make_sender("lp_optimal"), 3).game is game


@pytest.mark.parametrize("sender", ["q_learning", "reinforce", "hedge"])
def test_independent_learning_senders_find_a_language_in_a_cooperative_game(sender):
    # Cooperative identity game: revealing the state is optimal and independent learners
    # usually find a separating language; none should stay at the no-information value.
    game = PersuasionGame(np.full(3, 1 / 3), np.eye(3), np.eye(3))
    res = simulate(game, sender, "q_learning", rounds=4000, runs=50, seed=0)
    assert res.final_sender_utility.mean() > 0.6  # no information gives 1/3


def test_ucb_receiver_tries_every_action_then_exploits():
    game = PersuasionGame.random(3, 4, seed=4)
    res = simulate(game, "full_disclosure", "ucb", rounds=3000, runs=10, seed=0)
    best = game.receiver_utility.argmax(axis=1)
    assert (res.receiver_policy.argmax(axis=-1) == best).mean() >= 0.9


def _play_fixed_scheme(receiver, scheme, game, rounds, rng):
    """Drive a receiver through ``rounds`` rounds of one scheme (one run)."""
    for _ in range(rounds):
        state = rng.choice(game.n_states, p=game.prior)
        message = rng.choice(scheme.shape[1], p=scheme[state])
        action = receiver.act(np.array([message]))
        receiver.update(np.array([message]), action, game.receiver_utility[state, action])
        if receiver.observes_state:
            receiver.observe_states(np.array([message]), np.array([state]))


@pytest.mark.parametrize(
    ("name", "options"), [("ucb", {"c_explore": 0.2}), ("fictitious_play", {})]
)
@pytest.mark.parametrize(("discount", "follows"), [(0.99, True), (1.0, False)])
def test_a_discounted_learner_follows_a_changed_scheme_and_an_undiscounted_one_does_not(
    name, options, discount, follows
):
    # Full disclosure, then the same with the messages relabelled: the best response to the
    # second scheme is the first one's, permuted. Discounting forgets the first scheme within
    # a few hundred visits; UCB1's sample means (classical fictitious play's state counts)
    # still carry 5000 rounds of it.
    game = PersuasionGame(np.full(3, 1 / 3), np.eye(3), np.eye(3))
    first, second = np.eye(3), np.eye(3)[[1, 2, 0]]
    receiver = make_receiver(name, discount=discount, **options)
    receiver.reset(GameView.for_agent(game, receiver, 3), runs=1, rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    _play_fixed_scheme(receiver, first, game, 5000, rng)
    np.testing.assert_array_equal(receiver.policy()[0], np.eye(3))
    _play_fixed_scheme(receiver, second, game, 1500, rng)
    expected = np.eye(3)[[2, 0, 1]]  # message m is now sent in state (m - 1) mod 3
    assert np.array_equal(receiver.policy()[0], expected) is follows


def test_fictitious_play_learns_each_runs_own_game_in_a_mixed_batch():
    # Tournaments batch different games: run b must use game b's prior and u2, not game 0's.
    games = [PersuasionGame.random(3, 3, seed=s) for s in range(4)]
    res = simulate(games, "full_disclosure", "fictitious_play", rounds=600, runs=2, seed=0)
    for run, g in enumerate(res.run_game):
        best = games[g].receiver_utility.argmax(axis=1)  # full disclosure: message = state
        np.testing.assert_array_equal(res.receiver_policy[run], np.eye(3)[best])
    assert len({tuple(games[g].receiver_utility.argmax(axis=1)) for g in range(4)}) > 1


@pytest.mark.parametrize("name", ["ucb", "fictitious_play"])
@pytest.mark.parametrize("discount", [0.0, -0.5, 1.5])
def test_discount_must_be_in_zero_one(name, discount):
    with pytest.raises(ValueError, match="discount"):
        make_receiver(name, discount=discount)


@pytest.mark.parametrize("prior_weight", [0.0, -1.0])
def test_fictitious_play_prior_weight_must_be_positive(prior_weight):
    with pytest.raises(ValueError, match="prior_weight"):
        make_receiver("fictitious_play", prior_weight=prior_weight)


# Prosecutor: the judge convicts iff P(guilty | m) >= 1/2 (prior 0.3). Message 1 is sent in
# every guilty state and in an innocent one with probability 1/7: P(guilty | 1) = 0.3 / 0.4 =
# 3/4 (convict); message 0 is sent by the innocent only (acquit).
PROSECUTOR_SCHEME = np.array([[6 / 7, 1 / 7], [0.0, 1.0]])


def test_fictitious_play_answers_unsent_messages_with_the_prior_then_learns_posteriors():
    game = PersuasionGame.example("prosecutor")
    receiver = make_receiver("fictitious_play", discount=1.0)
    receiver.reset(GameView.for_agent(game, receiver, 2), runs=1, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(receiver.policy()[0], [[1, 0], [1, 0]])  # prior: acquit
    _play_fixed_scheme(receiver, PROSECUTOR_SCHEME, game, 400, np.random.default_rng(1))
    np.testing.assert_array_equal(receiver.policy()[0], [[1, 0], [0, 1]])
    # Its state counts are the (state, message) tallies plus the prior pseudo-counts.
    counts = receiver.state_counts[0]
    assert counts.sum() == pytest.approx(400 + 2 * 1.0)
    assert counts[0, 1] == pytest.approx(0.3)  # the guilty never send message 0


def test_fictitious_play_settles_on_the_best_response_in_the_engine():
    game = PersuasionGame.example("prosecutor")
    sender = make_sender("fixed_scheme", scheme=PROSECUTOR_SCHEME)
    res = simulate(game, sender, "fictitious_play", rounds=4000, runs=8, seed=0)
    np.testing.assert_array_equal(res.receiver_policy, np.tile([[1, 0], [0, 1]], (8, 1, 1)))
    np.testing.assert_allclose(res.final_sender_utility, 0.4)  # P(message 1) = 0.3 + 0.7 / 7
    # It learns within a few rounds, so it convicts in about 0.4 of the 32 000 rounds played
    # (sampling standard deviation 0.003).
    assert res.run_sender_utility.mean() == pytest.approx(0.4, abs=0.01)


def test_lp_optimal_halves_a_margin_the_game_cannot_afford():
    game = PersuasionGame.random(4, 4, seed=0)  # margin 0.2 is infeasible here, 0.1 is not
    with pytest.raises(ValueError, match="no scheme is obedient"):
        solve_commitment(game, margin=0.2)
    res = simulate(game, make_sender("lp_optimal", margin=0.2), "best_response", rounds=10, seed=0)
    expected = solve_commitment(game, margin=0.1).sender_value
    assert res.final_sender_utility[0] == pytest.approx(expected)


@pytest.mark.parametrize(
    "side, name",
    [
        ("sender", "q_learning"),
        ("sender", "hedge"),
        ("sender", "reinforce"),
        ("receiver", "q_learning"),
        ("receiver", "hedge"),
        ("receiver", "reinforce"),
        ("receiver", "ucb"),
    ],
)
def test_a_learner_draws_from_the_generator_it_holds_now(side, name):
    # ``agent.rng`` is the agent's Generator (the compiled loops draw from it): replaced after
    # reset, the old one must stay untouched and the new one drive the choices.
    game = PersuasionGame.random(3, 3, seed=1)
    make = make_sender if side == "sender" else make_receiver
    kwargs = {"epsilon": 0.5} if name == "q_learning" else {}
    agent = make(name, **kwargs)
    agent.reset(GameView.for_agent(game, agent, 3), runs=4, rng=np.random.default_rng(1))
    old = agent.rng
    before = old.bit_generator.state
    new = np.random.default_rng(2)
    agent.rng = new
    contexts = np.array([0, 1, 2, 0])
    chosen = agent.act(contexts)
    if side == "sender":
        agent.update(contexts, chosen, np.zeros(4, dtype=np.int64), np.ones(4))
    else:
        agent.update(contexts, chosen, np.ones(4))
    assert old.bit_generator.state == before
    assert new.bit_generator.state != np.random.default_rng(2).bit_generator.state


def test_a_fresh_reinforce_sender_samples_the_uniform_inverse_cdf_of_its_generator():
    # Closed form: before learning REINFORCE plays softmax(0) = uniform over M = 3 messages;
    # one draw u gives the message #{k : (k + 1) / 3 < u} (sample_index's inverse CDF).
    game = PersuasionGame.random(3, 3, seed=1)
    agent = make_sender("reinforce")
    agent.reset(GameView.for_agent(game, agent, 3), runs=5, rng=np.random.default_rng(7))
    agent.rng = np.random.default_rng(8)
    u = np.random.default_rng(8).random(5)
    expected = (np.cumsum(np.full(3, 1 / 3))[None, :] < u[:, None]).sum(axis=1)
    np.testing.assert_array_equal(agent.act(np.zeros(5, dtype=np.int64)), expected)
