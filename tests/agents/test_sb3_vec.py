"""The batched envs as Stable-Baselines3 VecEnvs (agents.sb3_vec): SB3's VecEnv contract
(shapes, dtypes, autoreset with ``terminal_observation``), equality with SB3's own
``DummyVecEnv`` of single envs where that is the contract, and a PPO smoke run."""

import gymnasium
import numpy as np
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv, VecCheckNan, VecEnv, VecMonitor

from agents.sb3_vec import SB3VecEnv, make_sb3_vec_env
from persuasion_env import PersuasionGame, bayes
from persuasion_env.envs.vector import RepeatedPersuasionVectorEnv
from persuasion_env.envs.vector_receiver import RepeatedPersuasionReceiverVectorEnv
from persuasion_env.envs.vector_scheme import SchemeCommitmentVectorEnv

SENDER = "persuasion/RepeatedPersuasion-v0"
RECEIVER = "persuasion/RepeatedPersuasionReceiver-v0"
SCHEME = "persuasion/SchemeCommitment-v0"

CASES = [
    (SENDER, {"size": (3, 3), "receiver": "hedge"}),
    (SENDER, {"game": "prosecutor", "obs_type": "vector", "noise": 0.1}),
    (RECEIVER, {"size": (3, 3), "sender": "info_q"}),
    (RECEIVER, {"game": "prosecutor", "obs_type": "vector"}),
    (SCHEME, {"size": (3, 3), "receiver": "quantal", "receiver_kwargs": {"lam": 30.0}}),
    (SCHEME, {"game": "prosecutor", "action_mapping": "normalize", "reward_scale": "lp"}),
]


def _actions(venv, rng):
    space = venv.action_space
    if isinstance(space, gymnasium.spaces.Discrete):
        return rng.integers(space.n, size=venv.num_envs)
    return rng.uniform(space.low, space.high, (venv.num_envs, *space.shape)).astype(np.float32)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES)
def test_the_vecenv_keeps_sb3s_contract(env_id, kwargs):
    """What SB3's algorithms rely on, checked step by step over three episodes (SB3 has no
    checker for VecEnvs; these are the checks DummyVecEnv's behaviour defines)."""
    n, length = 4, 3
    venv = VecCheckNan(
        make_sb3_vec_env(env_id, n, seed=1, env_kwargs={**kwargs, "episode_length": length}),
        raise_exception=True,
    )
    assert isinstance(venv, VecEnv) and venv.num_envs == n
    single = gymnasium.make(env_id, **kwargs)
    assert venv.observation_space == single.observation_space
    assert venv.action_space == single.action_space
    obs = venv.reset()
    assert obs.shape == (n, *venv.observation_space.shape)
    assert all(venv.observation_space.contains(o) for o in obs)
    rng = np.random.default_rng(0)
    for t in range(3 * length):
        obs, rewards, dones, infos = venv.step(_actions(venv, rng))
        assert obs.shape == (n, *venv.observation_space.shape)
        assert all(venv.observation_space.contains(o) for o in obs)
        assert rewards.shape == (n,) and rewards.dtype == np.float32
        assert dones.shape == (n,) and dones.dtype == bool
        assert isinstance(infos, list) and len(infos) == n
        ends = (t + 1) % length == 0
        assert dones.tolist() == [ends] * n
        for info in infos:
            assert ("terminal_observation" in info) == ends
            if ends:
                assert venv.observation_space.contains(info["terminal_observation"])
                assert info["TimeLimit.truncated"] is True  # truncation: PPO bootstraps
                assert info["episode"]["l"] == length  # VecMonitor's episode record
            else:
                assert info["TimeLimit.truncated"] is False


def _equal_rollouts(ours, reference, steps, rng):
    """Step both VecEnvs with the same actions; everything SB3 reads must be equal."""
    np.testing.assert_array_equal(ours.reset(), reference.reset())
    for _ in range(steps):
        actions = _actions(ours, rng)
        o1, r1, d1, i1 = ours.step(actions)
        o2, r2, d2, i2 = reference.step(actions)
        np.testing.assert_allclose(o1, o2, rtol=0, atol=1e-12)
        np.testing.assert_allclose(r1, r2, rtol=1e-6, atol=0)
        np.testing.assert_array_equal(d1, d2)
        for a, b in zip(i1, i2, strict=True):
            assert a.keys() - {"episode"} == b.keys() - {"episode"}
            if "terminal_observation" in a:
                np.testing.assert_allclose(
                    a["terminal_observation"], b["terminal_observation"], atol=1e-12
                )
                assert a["episode"]["r"] == pytest.approx(b["episode"]["r"], rel=1e-5)
                assert a["episode"]["l"] == b["episode"]["l"]


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        (SENDER, {"size": (3, 3), "receiver": "q_learning", "noise": 0.2}),
        (SENDER, {"game": "prosecutor", "receiver": "best_response", "obs_type": "vector"}),
        (RECEIVER, {"size": (3, 3), "sender": "info_q", "noise": 0.2}),
        (RECEIVER, {"size": (3, 3), "obs_type": "vector"}),
    ],
)
def test_one_copy_plays_as_sb3s_dummyvecenv_of_the_single_env(env_id, kwargs):
    """The repeated views' copies share one batched agent and one generator, so the
    contract is at one copy: the same seed gives what ``make_vec_env`` gives, across
    autoresets (new random games, fresh embedded agents)."""
    kwargs = {**kwargs, "episode_length": 5}
    ours = make_sb3_vec_env(env_id, 1, seed=7, env_kwargs=kwargs)
    reference = make_vec_env(env_id, n_envs=1, seed=7, env_kwargs=kwargs)
    _equal_rollouts(ours, reference, 17, np.random.default_rng(1))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"size": (3, 4), "receiver": "quantal", "receiver_kwargs": {"lam": 20.0}},
        {"size": (3, 3), "receiver": "best_response", "reward_scale": "lp"},
        {"size": (2, 2), "receiver": "q_learning", "epoch_rounds": 50},
    ],
)
def test_scheme_copies_play_as_n_seeded_single_envs(kwargs):
    """Scheme commitment: copy ``i`` of ``reset(seed=s)`` is the single env seeded
    ``s + i``, as ``make_vec_env(seed=s)`` seeds its envs: N copies, N single envs."""
    kwargs = {**kwargs, "episode_length": 3}
    ours = make_sb3_vec_env(SCHEME, 5, seed=11, env_kwargs=kwargs)
    reference = make_vec_env(SCHEME, n_envs=5, seed=11, env_kwargs=kwargs)
    _equal_rollouts(ours, reference, 8, np.random.default_rng(2))


def test_copies_are_independent_runs():
    """With many copies the batched envs are B independent runs: different states (sender
    view), different messages (receiver view), different games (scheme commitment)."""
    # Seeded: an unseeded random game may have a babbling LP scheme (one message only).
    sender = SB3VecEnv(RepeatedPersuasionVectorEnv(64, size=(4, 4)))
    sender.seed(0)
    assert len(np.unique(sender.reset())) > 1
    receiver = SB3VecEnv(RepeatedPersuasionReceiverVectorEnv(64, size=(4, 4)))
    receiver.seed(0)  # the LP scheme of this game sends messages 0, 1 and 2
    assert len(np.unique(receiver.reset())) > 1
    scheme = SB3VecEnv(SchemeCommitmentVectorEnv(8, size=(3, 3)))
    scheme.seed(0)
    assert len({o.tobytes() for o in scheme.reset()}) == 8


def test_scheme_rewards_and_ratio_against_hand_computed_values():
    """Prosecutor (prior 0.3 guilty; LP 0.6): the LP scheme earns 0.6 against the best
    response, full disclosure 0.3, no information 0; ``ratio`` is against the exact best
    response even when the training receiver is quantal."""
    prosecutor = PersuasionGame.example("prosecutor")
    env = SchemeCommitmentVectorEnv(
        3,
        prosecutor,
        action_mapping="normalize",
        receiver="quantal",
        receiver_kwargs={"lam": 5.0},
    )
    env.reset(seed=0)
    lp_scheme = [[4 / 7, 3 / 7], [0.0, 1.0]]  # innocent: 4/7 "acquit"; guilty: "convict"
    actions = np.array([lp_scheme, np.eye(2), np.ones((2, 2))], dtype=np.float64)
    _, rewards, _, _, info = env.step(actions)
    np.testing.assert_allclose(info["best_response_utility"], [0.6, 0.3, 0.0], atol=1e-6)
    np.testing.assert_allclose(info["ratio"], [1.0, 0.5, 0.0], atol=1e-6)
    # The reward is against the quantal receiver (lam 5), computed here by hand.
    schemes = actions / actions.sum(axis=-1, keepdims=True)  # the "normalize" mapping
    quantal = bayes.quantal_response(prosecutor.prior, schemes, prosecutor.receiver_utility, 5.0)
    joint = prosecutor.prior[None, :, None] * schemes
    expected = np.einsum("bsm,bma,sa->b", joint, quantal, prosecutor.sender_utility)
    np.testing.assert_allclose(rewards, expected, rtol=1e-12)
    assert rewards[0] < 0.6  # the quantal receiver does not follow the LP scheme exactly


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="no natively batched env"):
        make_sb3_vec_env("persuasion/OracleQuery-v0", 2)
    with pytest.raises(TypeError, match="gymnasium.vector.VectorEnv"):
        SB3VecEnv(gymnasium.make(SENDER))
    venv = SB3VecEnv(SchemeCommitmentVectorEnv(2, size=(2, 2)))
    with pytest.raises(RuntimeError, match="reset"):
        venv.step(np.zeros((2, 2, 2)))
    venv.reset()
    with pytest.raises(ValueError, match=r"shape \(2, 2, 2\)"):
        venv.step(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="outside the action space"):
        venv.step(np.full((2, 2, 2), 3.0))


def test_get_attr_and_env_method_reach_the_batched_env():
    venv = SB3VecEnv(SchemeCommitmentVectorEnv(3, size=(2, 2), receiver="quantal"))
    assert venv.get_attr("n_states") == [2, 2, 2]
    venv.set_attr("episode_length", 4)
    assert venv.env.episode_length == 4
    venv.env.receiver.lam = 7.0  # annealing a quantal receiver reaches the batch
    venv.reset()
    assert venv.env.receiver.lam == 7.0


def test_ppo_trains_on_the_batched_vecenv(one_torch_thread):
    venv = VecMonitor(SB3VecEnv(RepeatedPersuasionVectorEnv(16, "prosecutor")))
    model = PPO("MlpPolicy", venv, n_steps=8, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(256)
    assert model.num_timesteps == 256
    assert isinstance(DummyVecEnv, type)  # the reference route stays importable
