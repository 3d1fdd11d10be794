"""The A1 tie rule and the response table, pinned to hand-computed values (these kill mutants of
persuasion_env/bayes.py that the rest of the suite let through: see docs/results.md)."""

import numpy as np

from persuasion_env import bayes

# Prosecutor (MODEL.md A2): states (innocent, guilty), prior (0.7, 0.3); actions (acquit,
# convict); the judge gets 1 for the right verdict, the prosecutor 1 for a conviction. The
# optimal scheme sends "convict" always when guilty and w.p. 3/7 when innocent: on message 1
# the posterior is (0.5, 0.5) and the judge is exactly indifferent.
PRIOR = np.array([0.7, 0.3])
SCHEME = np.array([[4 / 7, 3 / 7], [0.0, 1.0]])
U1 = np.array([[0.0, 1.0], [0.0, 1.0]])
U2 = np.eye(2)


def test_best_response_ties_go_to_the_sender_then_to_the_lowest_index():
    # message 0: posterior (1, 0): acquit. Message 1: tie; the prosecutor prefers convict.
    np.testing.assert_array_equal(bayes.best_response(PRIOR, SCHEME, U2, U1), [0, 1])
    # Without the sender's utility a tie goes to the lowest index (acquit).
    np.testing.assert_array_equal(bayes.best_response(PRIOR, SCHEME, U2), [0, 0])
    np.testing.assert_array_equal(
        bayes.best_response_matrix(PRIOR, SCHEME, U2, U1), [[1.0, 0.0], [0.0, 1.0]]
    )
    np.testing.assert_array_equal(
        bayes.best_response_matrix(PRIOR, SCHEME, U2), [[1.0, 0.0], [1.0, 0.0]]
    )
    assert bayes.best_response_matrix(PRIOR, SCHEME, U2).dtype == np.float64


def test_best_response_to_belief_tie_rule_and_atol():
    belief = np.array([[0.5, 0.5], [0.2, 0.8], [0.5 + 5e-9, 0.5 - 5e-9]])
    # (0.5, 0.5): tie -> the sender's convict; (0.2, 0.8): convict; the third is a tie within
    # the default tolerance 1e-7 (payoffs 0.5 + 5e-9 and 0.5 - 5e-9) -> convict.
    np.testing.assert_array_equal(bayes.best_response_to_belief(belief, U2, U1), [1, 1, 1])
    # without the sender's utility ties go to acquit (index 0)
    np.testing.assert_array_equal(bayes.best_response_to_belief(belief, U2), [0, 1, 0])
    # atol = 0: only exact ties count; the third belief strictly prefers acquit.
    np.testing.assert_array_equal(
        bayes.best_response_to_belief(belief, U2, U1, atol=0.0), [1, 1, 0]
    )
    np.testing.assert_array_equal(bayes.best_response(PRIOR, SCHEME, U2, U1, atol=0.0), [0, 1])


def test_one_hot_is_float():
    out = bayes.one_hot(np.array([2, 0]), 3)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0]])


def test_best_response_matrix_has_one_column_per_action_and_honours_atol():
    # 2 states, 3 actions: u2 = (stay, guess 0, guess 1); "stay" pays 0.6 in both states.
    u2 = np.array([[0.6, 1.0, 0.0], [0.6, 0.0, 1.0]])
    u1 = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    prior = np.array([0.5, 0.5])
    scheme = np.array([[1.0, 0.0], [0.0, 1.0]])  # full disclosure: guess the state
    np.testing.assert_array_equal(
        bayes.best_response_matrix(prior, scheme, u2, u1), [[0, 1, 0], [0, 0, 1]]
    )
    # One message at the belief (0.6 + 1e-9, 0.4 - 1e-9): "guess 0" pays 0.6 + 1e-9, "stay"
    # 0.6: a tie within the default atol (the sender's "stay" wins), strict with atol = 0.
    p = np.array([0.6 + 1e-9, 0.4 - 1e-9])
    one = np.ones((2, 1))
    np.testing.assert_array_equal(bayes.best_response_matrix(p, one, u2, u1), [[1, 0, 0]])
    np.testing.assert_array_equal(bayes.best_response_matrix(p, one, u2, u1, atol=0.0), [[0, 1, 0]])


def test_quantal_response_is_a_softmax_over_actions_in_a_batch():
    # Prosecutor's optimal scheme and full disclosure, batched; u2 = identity.
    schemes = np.stack([SCHEME, np.eye(2)])
    q = bayes.quantal_response(PRIOR, schemes, U2, lam=2.0)
    sure = np.exp(2.0) / (np.exp(2.0) + 1.0)  # payoffs (1, 0) on a revealing message
    np.testing.assert_allclose(q[0], [[sure, 1 - sure], [0.5, 0.5]])
    np.testing.assert_allclose(q[1], [[sure, 1 - sure], [1 - sure, sure]])
    # large logits stay finite (the maximum is subtracted per message)
    np.testing.assert_allclose(bayes.quantal_response(PRIOR, schemes, U2, lam=1e4)[1], np.eye(2))


def test_best_response_matrix_batched_with_more_actions_than_states():
    # two games of 2 states and 3 actions. Game 0: full disclosure, a0 pays in s0 and a2 in s1.
    # Game 1: one message pools both states, posterior (1/4, 3/4): a0 = 0, a1 = 1/4, a2 = 3/2
    # (message 1 is never sent; its belief is the prior, the same one): a2 everywhere.
    prior = np.array([[0.5, 0.5], [0.25, 0.75]])
    scheme = np.array([np.eye(2), [[1.0, 0.0], [1.0, 0.0]]])
    u2 = np.array([[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]])
    q = bayes.best_response_matrix(prior, scheme, u2)
    np.testing.assert_array_equal(q, [[[1, 0, 0], [0, 0, 1]], [[0, 0, 1], [0, 0, 1]]])
