import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persuasion_env import OracleGame
from persuasion_env.oracle import affiliation_violation


def small():
    return dict(
        states=[0.0, 1.0],
        types=[0.0, 1.0],
        joint_prior=[[0.3, 0.2], [0.2, 0.3]],
        receiver_utility=[[-1.0, -0.5], [0.5, 1.0]],
    )


def test_valid_game_properties():
    og = OracleGame(**small())
    assert og.n_states == 2 and og.n_types == 2
    np.testing.assert_allclose(og.type_marginal, [0.5, 0.5])
    np.testing.assert_allclose(og.state_marginal, [0.5, 0.5])
    with pytest.raises(ValueError):
        og.joint_prior[0, 0] = 1.0


@pytest.mark.parametrize(
    "key,value,match",
    [
        ("states", [1.0, 0.0], "states must be sorted"),
        ("states", [1.0, 1.0], "states must be strictly increasing"),
        ("types", [2.0, 1.0], "types must be sorted"),
        ("types", [0.0, 0.0], "types must be strictly increasing"),
        ("joint_prior", [[0.3, 0.2], [0.2, 0.2]], "joint_prior must sum to 1"),
        ("joint_prior", [[0.3, 0.2, 0.0], [0.2, 0.3, 0.0]], "joint_prior must have shape"),
        ("joint_prior", [[0.6, -0.1], [0.2, 0.3]], "joint_prior has negative"),
        ("receiver_utility", [[-1.0], [1.0]], "receiver_utility must have shape"),
        ("receiver_utility", [[1.0, 1.0], [0.5, 1.0]], "weakly increasing in the state"),
        ("receiver_utility", [[-1.0, -2.0], [0.5, 1.0]], "weakly increasing in the type"),
    ],
)
def test_bad_input_names_argument(key, value, match):
    kw = small()
    kw[key] = value
    with pytest.raises(ValueError, match=match):
        OracleGame(**kw)


def test_affiliation_violation_names_pair_and_opt_out():
    kw = small()
    kw["joint_prior"] = [[0.2, 0.3], [0.3, 0.2]]
    with pytest.raises(ValueError, match=r"not affiliated.*states \(0, 1\) and types \(0, 1\)"):
        OracleGame(**kw)
    og = OracleGame(**kw, check_assumptions=False)
    assert affiliation_violation(og.joint_prior) == (0, 1, 0, 1)


def test_wrong_types_raise_typeerror():
    kw = small()
    kw["states"] = "abc"
    with pytest.raises(TypeError, match="states"):
        OracleGame(**kw)
    with pytest.raises(TypeError):
        OracleGame(**small(), name=3)


def test_examples_and_unknown_name():
    og = OracleGame.example("three-types")
    assert og.n_types == 3 and og.name == "three-types"
    np.testing.assert_allclose(og.joint_prior.sum(axis=1), [0.7, 0.3])
    assert OracleGame.example("greedy-trap").n_types == 4
    with pytest.raises(ValueError, match="unknown example"):
        OracleGame.example("nope")


def test_json_round_trip():
    og = OracleGame.random(5, 4, seed=1)
    back = OracleGame.from_json(og.to_json())
    assert back == og and back.name == og.name


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 7), st.integers(1, 7))
def test_random_games_satisfy_assumptions(seed, W, T):
    og = OracleGame.random(W, T, seed=seed)
    assert affiliation_violation(og.joint_prior) is None
    u = og.receiver_utility
    assert np.all(np.diff(u, axis=0) >= 0) and np.all(np.diff(u, axis=1) >= 0)  # exactly
    assert og == OracleGame.random(W, T, seed=seed)  # seeded


def test_random_games_pass_the_constructor_checks_they_skip(monkeypatch):
    """``OracleGame.random`` skips ``__init__``'s checks (its construction guarantees them, and
    the oracle env draws a game at every reset): the same draws through the checking
    constructor pass every check and give the same game to the bit."""
    cases = [(seed, W, T) for seed in range(40) for W, T in [(4, 4), (1, 3), (5, 1), (7, 6)]]
    cases += [(seed, 3, 3) for seed in range(1000, 1200)]
    fast = [OracleGame.random(W, T, seed=seed) for seed, W, T in cases]
    monkeypatch.setattr(
        OracleGame,
        "_checked_by_construction",
        classmethod(lambda cls, states, types, psi, u, name: cls(states, types, psi, u, name=name)),
    )
    for og, (seed, W, T) in zip(fast, cases, strict=True):
        checked = OracleGame.random(W, T, seed=seed)  # raises if a check fails
        for a, b in [
            (og.states, checked.states),
            (og.types, checked.types),
            (og.joint_prior, checked.joint_prior),
            (og.receiver_utility, checked.receiver_utility),
        ]:
            assert a.tobytes() == b.tobytes() and not a.flags.writeable
        assert og.name == checked.name and og.check_assumptions


def test_from_density_requires_bounded_box():
    f = lambda w, t: np.exp(w * t)  # noqa: E731
    u = lambda w, t: w + t - 1.0  # noqa: E731
    with pytest.raises(ValueError, match="box"):
        OracleGame.from_density(f, u)
    with pytest.raises(ValueError, match="box"):
        OracleGame.from_density(f, u, box=((0, np.inf), (0, 1)))
    og = OracleGame.from_density(f, u, box=((0, 1), (0, 1)), resolution=10)
    assert og.joint_prior.shape == (10, 10)


def test_from_density_accepts_frozen_scipy_distribution():
    from scipy.stats import multivariate_normal

    dist = multivariate_normal(mean=[0.5, 0.5], cov=[[0.1, 0.05], [0.05, 0.1]])
    og = OracleGame.from_density(
        dist, lambda w, t: w + t - 1.0, box=((0, 1), (0, 1)), resolution=12
    )
    assert abs(og.joint_prior.sum() - 1) < 1e-12
