"""agents.scheme_policy: the equivariant SB3 policy for SchemeCommitment-v0. Checked against
what relabelling a game must do (permuting states and actions permutes the scheme's rows
and columns, leaves the value unchanged), hand-computed cell features and the shape errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")

from gymnasium import spaces  # noqa: E402

from agents.scheme_policy import EquivariantSchemePolicy, cell_features  # noqa: E402
from persuasion_env import PersuasionGame  # noqa: E402
from persuasion_env.envs.scheme_commitment import game_observation  # noqa: E402


def _policy(n_states, n_actions, **kwargs):
    obs_space = spaces.Box(-1.0, 1.0, (n_states + 2 * n_states * n_actions,), np.float32)
    act_space = spaces.Box(-1.0, 1.0, (n_states, n_actions), np.float32)
    torch.manual_seed(0)
    return EquivariantSchemePolicy(obs_space, act_space, lambda _: 1e-3, **kwargs)


def _relabel(game, states, actions):
    """The game with state ``states[i]`` renamed ``i`` and action ``actions[j]`` renamed ``j``."""
    grid = np.ix_(states, actions)
    return PersuasionGame(
        game.prior[states], game.sender_utility[grid], game.receiver_utility[grid]
    )


def _means(policy, games):
    obs = torch.as_tensor(np.stack([game_observation(g) for g in games]))
    with torch.no_grad():
        mean = policy.get_distribution(obs).distribution.mean
        values = policy.predict_values(obs)
    return mean.numpy().reshape(len(games), *policy.action_space.shape), values.numpy()[:, 0]


@pytest.mark.parametrize(("n_states", "n_actions"), [(4, 4), (3, 5)])
def test_relabelling_the_game_permutes_the_scheme_and_keeps_the_value(
    one_torch_thread, n_states, n_actions
):
    policy = _policy(n_states, n_actions, width=16, depth=2, vf_width=8, vf_depth=1)
    rng = np.random.default_rng(3)
    # A Dirichlet prior, so that the prior feature differs across states too.
    game = PersuasionGame.random(n_states, n_actions, seed=5, prior="dirichlet")
    states, actions = rng.permutation(n_states), rng.permutation(n_actions)
    (mean, relabelled_mean), (value, relabelled_value) = _means(
        policy, [game, _relabel(game, states, actions)]
    )
    # Logit of pi[s, m = a] in the relabelled game = that of (states[s], actions[a]).
    np.testing.assert_allclose(relabelled_mean, mean[np.ix_(states, actions)], atol=1e-6)
    assert relabelled_value == pytest.approx(value, abs=1e-6)
    # Not trivially constant: different cells get different logits.
    assert np.ptp(mean) > 1e-4


def test_cell_features_by_hand():
    # S = 2, A = 2: prior (0.25, 0.75); u1 rows (1, 0), (0.5, 0.5); u2 rows (0, 1), (1, 0.5).
    obs = torch.tensor([[0.25, 0.75, 1.0, 0.0, 0.5, 0.5, 0.0, 1.0, 1.0, 0.5]])
    features = cell_features(obs, 2, 2)[0].numpy()
    assert features.shape == (2, 2, 7)
    # Cell (state 1, action 1): S p = 1.5; u1c = 0; u2c = 0.5 - 0.75; u1 - max = 0;
    # u2 - max = -0.5; S p u1c = 0; S p u2c = 1.5 * -0.25.
    np.testing.assert_allclose(features[1, 1], [1.5, 0.0, -0.25, 0.0, -0.5, 0.0, -0.375], atol=1e-7)
    # Cell (state 0, action 0): S p = 0.5; u1c = 0.5; u2c = -0.5; regrets 0 and -1.
    np.testing.assert_allclose(features[0, 0], [0.5, 0.5, -0.5, 0.0, -1.0, 0.25, -0.25], atol=1e-7)


def test_shapes_the_policy_cannot_read_are_refused():
    obs_space = spaces.Box(-1.0, 1.0, (4 + 16,), np.float32)  # u2 not observed
    act_space = spaces.Box(-1.0, 1.0, (4, 4), np.float32)
    with pytest.raises(ValueError, match=r"S \+ 2 S A = 36 entries"):
        EquivariantSchemePolicy(obs_space, act_space, lambda _: 1e-3)
    with pytest.raises(TypeError, match="must be a Box"):
        EquivariantSchemePolicy(
            spaces.Box(-1.0, 1.0, (36,), np.float32), spaces.Discrete(3), lambda _: 1e-3
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"width": 0}, ValueError, "width must be >= 1"),
        ({"depth": 0}, ValueError, "depth must be >= 1"),
        ({"vf_width": -1}, ValueError, "vf_width must be >= 1"),
        ({"vf_depth": 0}, ValueError, "vf_depth must be >= 1"),
        ({"width": 2.5}, TypeError, "width must be an integer"),
        ({"depth": True}, TypeError, "depth must be an integer"),
    ],
)
def test_network_sizes_are_validated_by_name(kwargs, error, match):
    # Depth 0 once failed later with a reshape error; width 0 or vf_depth 0 built a policy
    # whose actor or critic could not have the declared width.
    with pytest.raises(error, match=match):
        _policy(2, 2, **kwargs)
    from agents.scheme_policy import SchemeNetwork

    with pytest.raises(error, match=match):
        SchemeNetwork(2, 2, **kwargs)
