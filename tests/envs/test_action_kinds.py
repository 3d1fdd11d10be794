"""Every discrete-action env takes the kinds of action RL libraries pass, with the same effect.

``action_space.sample()`` returns ``numpy.int64``; SB3 passes NumPy integers; some loops pass
0-d arrays. The env must treat them exactly as the Python int of the same value (same
trajectory, Python ints in ``info``), and refuse bools, floats and arrays of several values.
"""

import gymnasium
import numpy as np
import pytest

import persuasion_env  # noqa: F401  (registers the ids)
from persuasion_env._validation import check_action
from persuasion_env.multiagent import oracle_query_v0, repeated_persuasion_v0

KINDS = {
    "int": int,
    "np.int64": np.int64,
    "np.int32": np.int32,
    "np.uint8": np.uint8,
    "0-d array": np.array,
    "0-d int32 array": lambda a: np.array(a, dtype=np.int32),
    "1-element array": lambda a: np.array([a]),
}

GYM_ENVS = [
    ("persuasion/RepeatedPersuasion-v0", {"size": (3, 3), "episode_length": 7}),
    ("persuasion/RepeatedPersuasionReceiver-v0", {"size": (3, 3), "episode_length": 7}),
    ("persuasion/OracleQuery-v0", {"game": "greedy-trap", "budget": 2}),
    ("persuasion/OracleQuery-v0", {"game": None, "n_states": 3, "n_types": 5, "budget": 3}),
]


@pytest.mark.parametrize("kind", list(KINDS))
def test_check_action_returns_a_python_int_for_every_integer_kind(kind):
    for value in range(5):
        out = check_action(KINDS[kind](value), 5)
        assert type(out) is int and out == value


@pytest.mark.parametrize(
    "action",
    [True, np.bool_(True), 1.0, np.float64(1.0), np.array(1.0), np.array([0, 1]), "1", None],
)
def test_check_action_refuses_non_integers(action):
    with pytest.raises(ValueError, match="must be an integer"):
        check_action(action, 5)


@pytest.mark.parametrize(
    "action", [-1, 5, np.int64(-1), np.int64(5), np.uint8(5), np.array(5), np.array([7])]
)
def test_check_action_refuses_integers_out_of_range(action):
    with pytest.raises(ValueError, match=r"in \[0, 5\).*got"):
        check_action(action, 5)


def _gym_rollout(env_id, kwargs, convert, steps=25):
    env = gymnasium.make(env_id, **kwargs)
    env.action_space.seed(3)
    actions = [int(env.action_space.sample()) for _ in range(steps)]
    obs, info = env.reset(seed=11)
    trace = [repr(obs), repr(info)]
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(convert(a))
        trace.append(repr((obs, reward, terminated, truncated, info)))
        if terminated or truncated:
            trace.append(repr(env.reset()))
    return trace


@pytest.mark.parametrize(("env_id", "kwargs"), GYM_ENVS)
def test_gym_envs_same_trajectory_for_every_action_kind(env_id, kwargs):
    reference = _gym_rollout(env_id, kwargs, int)
    for kind, convert in KINDS.items():
        assert _gym_rollout(env_id, kwargs, convert) == reference, kind
    # the raw sample() values (np.int64) as well
    env = gymnasium.make(env_id, **kwargs)
    env.reset(seed=0)
    sample = env.action_space.sample()
    assert isinstance(sample, np.integer)
    env.step(sample)


def _aec_rollout(module, kwargs, convert, steps=30):
    env = module.env(**kwargs)
    env.reset(seed=4)
    rng = np.random.default_rng(9)
    trace = []
    for _ in range(steps):
        agent = env.agent_selection
        obs, reward, terminated, truncated, info = env.last()
        trace.append(repr((agent, obs, reward, terminated, truncated, info)))
        if terminated or truncated:
            env.step(None)
            if not env.agents:
                env.reset()
            continue
        env.step(convert(int(rng.integers(env.action_space(agent).n))))
    return trace


@pytest.mark.parametrize(
    ("module", "kwargs"),
    [
        (repeated_persuasion_v0, {"size": (3, 3), "max_cycles": 4}),
        (oracle_query_v0, {"game": "three-types", "budget": 2}),
    ],
)
def test_pettingzoo_envs_same_trajectory_for_every_action_kind(module, kwargs):
    reference = _aec_rollout(module, kwargs, int)
    for kind, convert in KINDS.items():
        assert _aec_rollout(module, kwargs, convert) == reference, kind
