"""persuasion_env/rounds.py: the per-run payoff tables and the state draws, against hand-built
games and a draw-by-draw inverse CDF written in the test."""

import numpy as np

from persuasion_env import PersuasionGame
from persuasion_env.rounds import RoundTables

# Two games of shape (2 states, 3 actions); every entry is written out so the tables can be
# checked cell by cell.
GAME_A = PersuasionGame(
    prior=np.array([0.25, 0.75]),
    sender_utility=np.array([[1.0, -4.0, 1.0], [0.0, 2.0, -1.0]]),
    receiver_utility=np.array([[0.5, 0.0, -0.5], [0.0, 0.25, 0.0]]),
)
GAME_B = PersuasionGame(
    prior=np.array([1.0, 0.0]),
    sender_utility=np.zeros((2, 3)),
    receiver_utility=np.array([[3.0, 0.0, 0.0], [0.0, 0.0, -6.0]]),
)
RUN_GAME = np.array([1, 0, 0])  # three runs: game B, game A, game A


def tables(normalize=True):
    return RoundTables([GAME_A, GAME_B], RUN_GAME, normalize=normalize)


def test_shapes_and_stacked_tables():
    t = tables()
    assert (t.n_states, t.n_actions) == (2, 3)
    np.testing.assert_array_equal(t.priors, [[0.25, 0.75], [1.0, 0.0]])
    assert t.sender_utility.shape == t.receiver_utility.shape == (2, 2, 3)
    assert t.sender_utility[0, 0, 1] == -4.0 and t.receiver_utility[1, 1, 2] == -6.0


def test_scales_are_each_runs_largest_absolute_payoff():
    t = tables(normalize=True)
    # sender: game A's max |u1| is 4, game B's utility is all zero (divisor 1, not 0)
    np.testing.assert_array_equal(t.scale1, [1.0, 4.0, 4.0])
    # receiver: game A's max |u2| is 0.5, game B's is 6
    np.testing.assert_array_equal(t.scale2, [6.0, 0.5, 0.5])


def test_without_normalize_every_scale_is_one():
    t = tables(normalize=False)
    np.testing.assert_array_equal(t.scale1, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(t.scale2, [1.0, 1.0, 1.0])


def test_first_best_marks_every_sender_maximising_action_with_ties():
    t = tables()
    # game A: state 0 ties actions 0 and 2 at 1; state 1 has action 1 alone at 2
    np.testing.assert_array_equal(t.first_best[0], [[True, False, True], [False, True, False]])
    # game B: all-zero utility, every action is first best
    assert t.first_best[1].all()
    np.testing.assert_array_equal(t.flat_first_best[:6], [1, 0, 1, 0, 1, 0])


def test_cells_index_the_runs_own_game_state_and_action():
    t = tables()
    states = np.array([1, 1, 0])
    actions = np.array([2, 1, 1])
    cells = t.cells(states, actions)
    # (game * S + state) * A + action: run 0 -> (1*2+1)*3+2 = 11, run 1 -> (0+1)*3+1 = 4,
    # run 2 -> (0+0)*3+1 = 1
    np.testing.assert_array_equal(cells, [11, 4, 1])
    np.testing.assert_array_equal(t.flat_u1[cells], [0.0, 2.0, -4.0])
    np.testing.assert_array_equal(t.flat_u2[cells], [-6.0, 0.25, 0.0])
    np.testing.assert_array_equal(t.flat_first_best[cells], [1.0, 1.0, 0.0])


def inverse_cdf(prior, u):
    """The first state whose cumulative prior exceeds ``u`` (the last state if none does)."""
    total = 0.0
    for state, mass in enumerate(prior):
        total += mass
        if u < total:
            return state
    return len(prior) - 1


def test_draw_states_is_the_inverse_cdf_of_the_same_uniforms():
    games = [PersuasionGame.random(4, 2, seed=s) for s in range(3)]
    run_game = np.array([0, 1, 2, 2, 0])
    t = RoundTables(games, run_game, normalize=False)
    states = t.draw_states(np.random.default_rng(7), 50)
    uniform = np.random.default_rng(7).random((50, run_game.size))
    assert states.shape == (50, run_game.size)
    expected = [
        [inverse_cdf(games[g].prior, uniform[r, b]) for b, g in enumerate(run_game)]
        for r in range(50)
    ]
    np.testing.assert_array_equal(states, expected)


def test_draw_states_follows_each_runs_prior():
    t = tables()
    states = t.draw_states(np.random.default_rng(0), 20_000)
    assert (states[:, 0] == 0).all()  # game B puts all its mass on state 0
    # game A: P(state 1) = 0.75; binomial standard error sqrt(.75*.25/20000) ~ 0.003
    for run in (1, 2):
        assert abs(states[:, run].mean() - 0.75) < 0.015


def test_a_zero_mass_state_is_never_drawn():
    game = PersuasionGame(
        prior=np.array([0.5, 0.0, 0.5]),
        sender_utility=np.zeros((3, 2)),
        receiver_utility=np.zeros((3, 2)),
    )
    t = RoundTables([game], np.zeros(4, dtype=int), normalize=False)
    states = t.draw_states(np.random.default_rng(1), 2_000)
    assert set(np.unique(states)) == {0, 2}


class LargestUniform:
    """A generator stub whose every uniform is the largest float below 1."""

    def random(self, shape):
        return np.full(shape, np.nextafter(1.0, 0.0))


def test_the_largest_uniform_lands_in_the_last_state():
    # this prior's cumulative sum ends below the largest uniform (rounding): without the last
    # state catching every draw, u = nextafter(1, 0) would fall past the last state
    game = PersuasionGame(
        prior=np.array([0.06, 0.56, 0.17, 0.21]),
        sender_utility=np.zeros((4, 2)),
        receiver_utility=np.zeros((4, 2)),
    )
    assert np.cumsum(game.prior)[-1] < np.nextafter(1.0, 0.0)  # the case is really exercised
    t = RoundTables([game], np.zeros(2, dtype=int), normalize=False)
    np.testing.assert_array_equal(t.draw_states(LargestUniform(), 3), np.full((3, 2), 3))
