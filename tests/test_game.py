import json

import numpy as np
import pytest

from persuasion_env import PersuasionGame


def test_prosecutor_fields():
    game = PersuasionGame.example("prosecutor")
    assert game.shape == (2, 2)
    np.testing.assert_array_equal(game.prior, [0.7, 0.3])
    assert game.state_names == ("innocent", "guilty")
    assert game.action_names == ("acquit", "convict")


def test_climbing_is_normalised_cooperative():
    game = PersuasionGame.example("climbing")
    np.testing.assert_array_equal(game.sender_utility, game.receiver_utility)
    assert np.abs(game.sender_utility).max() == 1.0
    assert game.sender_utility[0, 0] == pytest.approx(11 / 30)
    assert game.sender_utility[0, 1] == -1.0


def test_example_names_accept_dashes():
    assert PersuasionGame.example("recommendation-letter").name == "recommendation_letter"


def test_random_is_seeded_and_in_unit_interval():
    a = PersuasionGame.random(5, 4, seed=3)
    b = PersuasionGame.random(5, 4, seed=3)
    c = PersuasionGame.random(5, 4, seed=4)
    assert a == b and a != c
    assert a.shape == (5, 4)
    assert np.all((a.sender_utility >= 0) & (a.sender_utility < 1))
    np.testing.assert_allclose(a.prior, 0.2)
    d = PersuasionGame.random(5, 4, seed=3, prior="dirichlet")
    assert d.prior.sum() == pytest.approx(1.0) and not np.allclose(d.prior, 0.2)


def test_json_round_trip(tmp_path):
    game = PersuasionGame.random(3, 4, seed=1, prior="dirichlet")
    again = PersuasionGame.from_json(game.to_json())
    assert again == game
    np.testing.assert_array_equal(again.receiver_utility, game.receiver_utility)
    path = tmp_path / "g.json"
    game.save(path)
    assert PersuasionGame.load(path) == game
    assert json.loads(path.read_text())["name"] == game.name


def test_game_arrays_are_read_only():
    game = PersuasionGame.example("prosecutor")
    with pytest.raises(ValueError):
        game.prior[0] = 0.5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(prior=[0.5, np.nan]), "prior contains NaN"),
        (dict(prior=[0.5, np.inf]), "prior contains NaN or inf"),
        (dict(prior=[1.2, -0.2]), "prior has negative"),
        (dict(prior=[0.5, 0.4]), "prior must sum to 1"),
        (dict(prior=[1.0]), "prior has 1 states but the utilities have 2 rows"),
        (dict(sender_utility=[[0.0, 1.0]]), "same shape"),
        (dict(sender_utility=[[0.0, np.nan], [0, 1]]), "sender_utility contains NaN"),
        (dict(receiver_utility=[1.0, 0.0]), "receiver_utility must be 2-dimensional"),
        (
            dict(prior=[], sender_utility=np.zeros((0, 2)), receiver_utility=np.zeros((0, 2))),
            "empty",
        ),
        (dict(sender_utility=np.zeros((2, 0)), receiver_utility=np.zeros((2, 0))), "empty"),
        (dict(state_names=("a",)), "state_names must have 2 entries"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    base = dict(
        prior=[0.7, 0.3], sender_utility=[[0, 1], [0, 1]], receiver_utility=[[1, 0], [0, 1]]
    )
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        PersuasionGame(**base)


def test_wrong_types_raise_type_error():
    with pytest.raises(TypeError, match="prior must be an array of numbers"):
        PersuasionGame("abc", [[0, 1]], [[0, 1]])
    with pytest.raises(TypeError, match="sender_utility"):
        PersuasionGame([1.0], [["x", "y"]], [[0, 1]])
    with pytest.raises(TypeError, match="n_states must be an integer"):
        PersuasionGame.random(2.5, 3)


def test_bad_generator_and_example_arguments():
    with pytest.raises(ValueError, match="n_actions must be >= 1"):
        PersuasionGame.random(2, 0)
    with pytest.raises(ValueError, match="prior must be 'uniform' or 'dirichlet'"):
        PersuasionGame.random(2, 2, prior="flat")
    with pytest.raises(ValueError, match="known examples: binary_threshold, climbing"):
        PersuasionGame.example("nope")
    with pytest.raises(ValueError, match="theta"):
        PersuasionGame.example("binary_threshold", mu0=0.3, theta=0.0)


def test_malformed_json():
    with pytest.raises(ValueError, match="malformed game JSON"):
        PersuasionGame.from_json("{not json")
    with pytest.raises(ValueError, match="missing key"):
        PersuasionGame.from_json('{"prior": [1.0]}')
    with pytest.raises(ValueError, match="must be a JSON object"):
        PersuasionGame.from_json("[1, 2]")
