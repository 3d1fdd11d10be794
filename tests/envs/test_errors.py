"""Bad input: clear errors, in Gymnasium's manner, naming what was wrong and what was expected."""

import gymnasium
import numpy as np
import pytest
from gymnasium.error import ResetNeeded

from agents import make_sender
from persuasion_env.envs.repeated import RepeatedPersuasionEnv
from persuasion_env.envs.scheme_commitment import SchemeCommitmentEnv
from persuasion_env.envs.vector import RepeatedPersuasionVectorEnv
from persuasion_env.multiagent import repeated_persuasion_v0

REPEATED = "persuasion/RepeatedPersuasion-v0"
RECEIVER = "persuasion/RepeatedPersuasionReceiver-v0"
SCHEME = "persuasion/SchemeCommitment-v0"


@pytest.mark.parametrize("action", [2, -1, 7])
def test_message_outside_the_space(action):
    env = RepeatedPersuasionEnv("prosecutor")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"message in \[0, 2\).*Discrete\(2\).*got"):
        env.step(action)


@pytest.mark.parametrize("action", [1.5, "1", None, True, np.array([0, 1])])
def test_non_integer_actions(action):
    env = RepeatedPersuasionEnv("prosecutor")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="must be an integer message"):
        env.step(action)


def test_numpy_integer_actions_are_accepted():
    env = RepeatedPersuasionEnv("prosecutor")
    env.reset(seed=0)
    env.step(np.int64(1))
    env.step(np.array(0))
    env.step(np.array([1]))


def test_receiver_view_action_outside_the_space():
    env = gymnasium.make(RECEIVER, game="prosecutor")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"receiver action in \[0, 2\)"):
        env.step(3)


def test_unknown_embedded_agent_names():
    with pytest.raises(ValueError, match="unknown receiver 'nope'; known receivers: .*q_learning"):
        gymnasium.make(REPEATED, receiver="nope")
    with pytest.raises(ValueError, match="unknown sender 'nope'; known senders: .*lp_optimal"):
        gymnasium.make(RECEIVER, sender="nope")
    with pytest.raises(ValueError, match="unknown receiver"):
        gymnasium.make(SCHEME, receiver="nope")
    with pytest.raises(ValueError, match="unknown keyword.*alpha_typo.*accepted: alpha"):
        gymnasium.make(REPEATED, receiver="q_learning", receiver_kwargs={"alpha_typo": 0.1})


def test_agent_of_the_wrong_side():
    with pytest.raises(TypeError, match="receiver must be a receiver agent"):
        gymnasium.make(REPEATED, receiver=make_sender("info_q"))


def test_mismatched_game_sizes(game44):
    with pytest.raises(ValueError, match=r"size \(3, 3\) does not match the game's shape \(4, 4\)"):
        gymnasium.make(REPEATED, game=game44, size=3)
    env = gymnasium.make(REPEATED, size=(2, 2))
    with pytest.raises(ValueError, match=r"options\['game'\] has shape \(4, 4\).*\(2, 2\)"):
        env.reset(options={"game": game44})
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"gmae": game44})
    with pytest.raises(TypeError, match="size must be an int n"):
        gymnasium.make(SCHEME, size="4x4")
    with pytest.raises(ValueError, match="unknown example 'nope'"):
        gymnasium.make(SCHEME, game="nope")


def test_bad_keywords():
    with pytest.raises(ValueError, match="obs_type must be one of"):
        gymnasium.make(REPEATED, obs_type="pixels")
    with pytest.raises(ValueError, match="render_mode must be one of"):
        gymnasium.make(REPEATED, render_mode="pixels")
    with pytest.raises(ValueError, match="episode_length must be >= 1"):
        gymnasium.make(REPEATED, episode_length=0)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        gymnasium.make(REPEATED, noise=-1.0)
    with pytest.raises(ValueError, match="action_mapping must be one of"):
        gymnasium.make(SCHEME, action_mapping="sigmoid")
    with pytest.raises(
        TypeError, match="receiver_kwargs can only be used with a receiver given by registry name"
    ):
        from agents import make_receiver

        gymnasium.make(REPEATED, receiver=make_receiver("hedge"), receiver_kwargs={"eta": 1.0})


def test_stepping_after_the_episode_ended_without_reset():
    env = RepeatedPersuasionEnv("prosecutor", episode_length=2)
    with pytest.raises(ResetNeeded, match="call reset"):
        env.step(0)
    env.reset(seed=0)
    env.step(0)
    assert env.step(0)[3] is True
    with pytest.raises(ResetNeeded, match=r"episode ended \(truncated after 2 rounds\).*reset"):
        env.step(0)
    env.reset()
    env.step(0)  # fine again
    scheme_env = SchemeCommitmentEnv("prosecutor", episode_length=1)
    scheme_env.reset(seed=0)
    scheme_env.step(np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(ResetNeeded, match="episode ended"):
        scheme_env.step(np.zeros((2, 2), dtype=np.float32))


def _scheme_env(mapping="softmax"):
    env = SchemeCommitmentEnv("prosecutor", action_mapping=mapping)
    env.reset(seed=0)
    return env


def test_scheme_with_nan():
    with pytest.raises(ValueError, match="action contains NaN or inf"):
        _scheme_env().step(np.array([[np.nan, 0.0], [0.0, 0.0]]))


def test_scheme_with_negative_entries():
    with pytest.raises(ValueError, match=r"negative entries \(min -0.5\).*non-negative weights"):
        _scheme_env("normalize").step(np.array([[-0.5, 1.0], [0.0, 1.0]]))


def test_scheme_outside_the_box():
    with pytest.raises(ValueError, match=r"outside the action space Box\(-1, 1, \(2, 2\)\)"):
        _scheme_env().step(np.array([[2.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"outside the action space Box\(0, 1"):
        _scheme_env("normalize").step(np.array([[3.0, 0.0], [0.0, 1.0]]))


def test_scheme_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"action must have shape \(2, 2\).*got shape \(4,\)"):
        _scheme_env().step(np.zeros(4))
    with pytest.raises(TypeError, match="action must be an array of numbers"):
        _scheme_env().step("uniform")


def test_vector_env_bad_actions_and_seeds():
    env = RepeatedPersuasionVectorEnv(3, "prosecutor")
    with pytest.raises(ResetNeeded):
        env.step(np.zeros(3, dtype=np.int64))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"3 integer messages, shape \(3,\).*got shape \(2,\)"):
        env.step(np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match=r"messages in \[0, 2\), got values in \[0, 5\]"):
        env.step(np.array([0, 5, 1]))
    with pytest.raises(ValueError, match="integer messages"):
        env.step(np.zeros(3))
    with pytest.raises(TypeError, match="seed must be an int"):
        env.reset(seed=[1, 2, 3])


def test_pettingzoo_bad_actions():
    raw = repeated_persuasion_v0.raw_env(game="prosecutor")
    raw.reset(seed=0)
    with pytest.raises(ValueError, match=r"sender's action must be an integer in \[0, 2\)"):
        raw.step(5)
    with pytest.raises(ValueError, match="sender's action"):
        raw.step(0.5)
    wrapped = repeated_persuasion_v0.env(game="prosecutor")
    with pytest.raises(Exception, match="reset"):
        wrapped.step(0)


def test_mismatched_game_for_the_sb3_adapter(game44):
    pytest.importorskip("stable_baselines3")
    from stable_baselines3 import PPO

    env = gymnasium.make(SCHEME, size=(2, 2))
    model = PPO("MlpPolicy", env, n_steps=16, batch_size=16, device="cpu")
    sender = make_sender("sb3", model=model)
    from persuasion_env import simulate

    with pytest.raises(ValueError, match=r"needs Box.*trained on a game of another size"):
        simulate(game44, sender, "best_response", rounds=2)


# ---------------------------------------------------------------- OracleQuery-v0

ORACLE = "persuasion/OracleQuery-v0"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(costs=[-1.0, 0.0]), ValueError, r"costs must be non-negative.*costs\[0\]"),
        (dict(costs=[np.nan, 0.0]), ValueError, "costs contains NaN"),
        (dict(costs=[1j, 0.0]), TypeError, "costs.*complex"),
        (dict(costs="x"), TypeError, "costs"),
        (dict(costs=[0.1]), ValueError, "costs must have length T-1 = 2"),
        (dict(costs=0.1), ValueError, "costs must be a sequence"),
        (dict(budget=-1), ValueError, "budget must be >= 0"),
        (dict(budget=1.5), TypeError, "budget"),
        (dict(reward_mode="x"), ValueError, "reward_mode must be 'probability' or 'sample'"),
        (dict(game=5), TypeError, "game must be an OracleGame"),
        (dict(game="nope"), ValueError, "unknown example 'nope'"),
        (dict(game=None, n_types=0), ValueError, "n_types must be >= 1"),
        (dict(game=None, n_types=10**7), ValueError, "n_states x n_types.*too large"),
        (dict(render_mode="pixels"), ValueError, "render_mode"),
    ],
)
def test_oracle_query_constructor(kwargs, error, match):
    with pytest.raises(error, match=match):
        gymnasium.make(ORACLE, **kwargs)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"true_typ": 1}, ValueError, r"unknown reset option\(s\) \['true_typ'\].*true_type"),
        ({"true_type": 9}, ValueError, r"options\['true_type'\] must be <= 2"),
        ({"true_type": -1}, ValueError, r"options\['true_type'\] must be >= 0"),
        ({"true_type": 1.5}, TypeError, r"options\['true_type'\]"),
        ([1], TypeError, "options must be a dict"),
    ],
)
def test_oracle_query_reset_options(options, error, match):
    env = gymnasium.make(ORACLE)
    with pytest.raises(error, match=match):
        env.reset(seed=0, options=options)


@pytest.mark.parametrize("action", [1.5, -1, 3, 9, "1", None, True, np.array([0.0])])
def test_oracle_query_bad_actions(action):
    env = gymnasium.make(ORACLE).unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must be an? integer in \[0, 3\).*Discrete\(3\)"):
        env.step(action)


def test_oracle_query_step_order_and_numpy_actions():
    env = gymnasium.make(ORACLE).unwrapped
    with pytest.raises(ResetNeeded, match="call reset"):
        env.step(0)
    with pytest.raises(RuntimeError, match="call reset"):  # ResetNeeded is a RuntimeError too
        env.step(0)
    env.reset(seed=0, options={"true_type": np.int64(2)})
    env.step(np.int64(1))  # what action_space.sample() returns
    env.step(np.array(0))
    with pytest.raises(ResetNeeded, match="episode has ended"):
        env.step(0)
    env.reset(seed=np.int64(3))
    env.step(env.action_space.sample())


# --------------------------------------------------------- PettingZoo oracle_query_v0


def _parallel():
    from persuasion_env.multiagent import oracle_query_v0

    env = oracle_query_v0.parallel_env(game="three-types", budget=2)
    return env


def test_oracle_parallel_before_reset_and_after_the_end():
    env = _parallel()
    with pytest.raises(ResetNeeded, match="call reset"):
        env.step({"sender": 0, "receiver": 0})
    env.reset(seed=0)
    env.step({"sender": 0, "receiver": 0})  # the sender commits
    env.step({"sender": 0, "receiver": 1})  # the receiver acts: the episode ends
    assert env.agents == []
    with pytest.raises(ResetNeeded, match="episode has ended"):
        env.step({"sender": 0, "receiver": 1})


@pytest.mark.parametrize(
    ("actions", "error", "match"),
    [
        (
            {"sender": 9, "receiver": 0},
            ValueError,
            r"sender's action must be an integer in \[0, 3\)",
        ),
        ({"sender": 1.5, "receiver": 0}, ValueError, "sender's action must be an integer"),
        ({"sender": True, "receiver": 0}, ValueError, "sender's action"),
        (
            {"sender": 1, "receiver": 5},
            ValueError,
            r"receiver's action must be an integer in \[0, 2\)",
        ),
        ({"receiver": 1}, ValueError, "it is the sender's turn"),
        ({"sender": None, "receiver": 1}, ValueError, "it is the sender's turn"),
        ({"sender": 1, "receiver": 0, "bob": 1}, ValueError, r"unknown agent\(s\) \['bob'\]"),
        ([0, 1], TypeError, "actions must be a dict"),
    ],
)
def test_oracle_parallel_bad_actions(actions, error, match):
    env = _parallel()
    env.reset(seed=0)
    with pytest.raises(error, match=match):
        env.step(actions)


def test_oracle_parallel_wrong_turn_after_a_query():
    env = _parallel()
    env.reset(seed=0)
    env.step({"sender": 1})  # a query: now the receiver answers
    with pytest.raises(ValueError, match="it is the receiver's turn"):
        env.step({"sender": 1})
    env.step({"receiver": np.int64(1)})  # numpy integers are fine


def test_oracle_parallel_numpy_actions_play_to_the_end():
    env = _parallel()
    env.reset(seed=0)
    for space in (env.action_space("sender"), env.action_space("receiver")):
        space.seed(0)
    steps = 0
    while env.agents and steps < 10:  # two queries at most, then commit and act: <= 6 steps
        _, _, terms, _, _ = env.step({a: env.action_space(a).sample() for a in env.agents})
        steps += 1
    assert env.agents == [] and all(terms.values()) and steps <= 6


def test_oracle_aec_checks():
    from persuasion_env.multiagent import oracle_query_v0

    raw = oracle_query_v0.raw_env()
    with pytest.raises(ResetNeeded, match="call reset"):
        raw.step(0)
    raw.reset(seed=0)
    with pytest.raises(ValueError, match=r"sender's action must be an integer in \[0, 3\)"):
        raw.step(9)
    with pytest.raises(ValueError, match="sender's action must be an integer"):
        raw.step(1.5)
    wrapped = oracle_query_v0.env()
    with pytest.raises(ResetNeeded, match="call reset"):
        wrapped.step(0)
    wrapped.reset(seed=0)
    with pytest.raises(ValueError, match="sender's action"):
        wrapped.step(7)
    wrapped.step(np.int64(1))
    with pytest.raises(ValueError, match=r"receiver's action must be an integer in \[0, 2\)"):
        wrapped.step(2)


def test_pettingzoo_reset_options_and_seeds():
    from persuasion_env.multiagent import oracle_query_v0

    # PettingZoo's API test resets with an arbitrary option, so a misspelt key is a warning.
    with pytest.warns(UserWarning, match=r"unknown reset option\(s\) \['gmae'\]"):
        repeated_persuasion_v0.raw_env().reset(seed=0, options={"gmae": 1})
    with pytest.warns(UserWarning, match=r"\['x'\]"):
        oracle_query_v0.parallel_env().reset(seed=0, options={"x": 1})
    with pytest.raises(TypeError, match="options must be a dict"):
        oracle_query_v0.raw_env().reset(seed=0, options=[1])
    with pytest.raises(TypeError, match="seed must be an integer"):
        repeated_persuasion_v0.raw_env().reset(seed="x")
    with pytest.raises(ValueError, match="seed must be >= 0"):
        oracle_query_v0.parallel_env().reset(seed=-1)


# --------------------------------------------------------- repeated_persuasion_v0


def test_repeated_pettingzoo_order_and_bounds():
    raw = repeated_persuasion_v0.raw_env(game="prosecutor")
    with pytest.raises(ResetNeeded, match="call reset"):
        raw.step(0)
    parallel = repeated_persuasion_v0.parallel_env(game="prosecutor")
    parallel.reset(seed=0)
    with pytest.raises(ValueError, match=r"sender's action must be an integer in \[0, 2\)"):
        parallel.step({"sender": 9, "receiver": 0})
    wrapped = repeated_persuasion_v0.env(game="prosecutor")
    wrapped.reset(seed=0)
    with pytest.raises(ValueError, match="sender's action"):
        wrapped.step(np.float64(1.0))
    wrapped.step(np.int64(1))


def test_repeated_parallel_before_reset_and_after_the_end():
    # PettingZoo's turn-based converter raised AttributeError before reset and returned empty
    # dicts after the end; both are ResetNeeded now, as in oracle_query_v0.
    env = repeated_persuasion_v0.parallel_env(game="prosecutor", max_cycles=1)
    with pytest.raises(ResetNeeded, match="call reset"):
        env.step({"sender": 0, "receiver": 0})
    env.reset(seed=0)
    env.step({"sender": 1})  # half a round: the message
    env.step({"receiver": 1})  # the action: max_cycles=1 round, the episode ends
    assert env.agents == []
    with pytest.raises(ResetNeeded, match="episode has ended"):
        env.step({"sender": 0, "receiver": 0})


@pytest.mark.parametrize(
    ("actions", "error", "match"),
    [
        (None, TypeError, "actions must be a dict"),
        ([0, 1], TypeError, "actions must be a dict"),
        ({"sender": 0, "spy": 1}, ValueError, r"unknown agent\(s\) \['spy'\]"),
        ({}, ValueError, "it is the sender's turn"),
        ({"receiver": 0}, ValueError, "it is the sender's turn"),
        # the waiting agent's action is ignored, but it must still be in its space
        ({"sender": 0, "receiver": 99}, ValueError, r"receiver's action must be .*\[0, 2\)"),
        ({"sender": "0"}, ValueError, "sender's action must be an integer"),
    ],
)
def test_repeated_parallel_bad_actions(actions, error, match):
    env = repeated_persuasion_v0.parallel_env(game="prosecutor")
    env.reset(seed=0)
    with pytest.raises(error, match=match):
        env.step(actions)
    env.step({"sender": np.int64(1), "receiver": None})  # still usable; numpy ints accepted


@pytest.mark.parametrize("module", ["repeated_persuasion_v0", "oracle_query_v0"])
def test_aec_step_after_the_end_is_reset_needed(module):
    # PettingZoo's order wrapper only logged a warning and dropped the step.
    import importlib

    mod = importlib.import_module(f"persuasion_env.multiagent.{module}")
    env = mod.env(**({"game": "prosecutor", "max_cycles": 1} if "repeated" in module else {}))
    env.reset(seed=0)
    for agent in env.agent_iter():
        _, _, term, trunc, _ = env.last()
        env.step(None if term or trunc else env.action_space(agent).sample())
    assert env.agents == []
    with pytest.raises(ResetNeeded, match="episode has ended"):
        env.step(0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(max_cycles=0), ValueError, "max_cycles"),
        (dict(noise=float("nan")), ValueError, "noise"),
        (dict(size=10**6), ValueError, "size.*too large"),
        (dict(n_messages=0), ValueError, "n_messages"),
        (dict(game=3), TypeError, "game"),
    ],
)
def test_repeated_pettingzoo_constructor(kwargs, error, match):
    with pytest.raises(error, match=match):
        repeated_persuasion_v0.raw_env(**kwargs)


# ------------------------------------------------------ single-agent repeated / scheme


@pytest.mark.parametrize(
    ("env_id", "kwargs", "error", "match"),
    [
        (REPEATED, dict(size=10**6), ValueError, r"size 1000000.*too large"),
        (REPEATED, dict(size=(10**4, 10**4)), ValueError, "too large"),
        (REPEATED, dict(noise="x"), TypeError, "noise"),
        (REPEATED, dict(normalize="x"), TypeError, "normalize"),
        (REPEATED, dict(receiver=42), TypeError, "receiver"),
        (REPEATED, dict(obs_type=5), TypeError, "obs_type"),
        (REPEATED, dict(receiver_kwargs={"initial_q": float("nan")}), ValueError, "initial_q"),
        (
            RECEIVER,
            dict(sender="info_q", sender_kwargs={"initial_q": float("nan")}),
            ValueError,
            "initial_q",
        ),
        (SCHEME, dict(episode_length=0), ValueError, "episode_length"),
        (SCHEME, dict(observe_receiver_utility="yes"), TypeError, "observe_receiver_utility"),
        (SCHEME, dict(reward_scale="big"), ValueError, "reward_scale"),
        (SCHEME, dict(logit_scale=float("inf")), ValueError, "logit_scale"),
    ],
)
def test_single_agent_constructors(env_id, kwargs, error, match):
    with pytest.raises(error, match=match):
        gymnasium.make(env_id, **kwargs)


@pytest.mark.parametrize("env_id", [REPEATED, RECEIVER, SCHEME])
def test_single_agent_reset_arguments(env_id):
    env = gymnasium.make(env_id, game="prosecutor")
    with pytest.raises(ValueError, match=r"unknown reset option\(s\) \['gmae'\]"):
        env.reset(seed=0, options={"gmae": 1})
    with pytest.raises(TypeError, match="options must be a dict"):
        env.reset(seed=0, options=[("game", 1)])
    with pytest.raises(TypeError, match="seed must be an integer"):
        env.reset(seed="x")
    env.reset(seed=np.int64(1))  # NumPy seeds are fine


@pytest.mark.parametrize(
    ("action", "error", "match"),
    [
        (np.zeros((2, 2)) + 0j, TypeError, "action.*complex"),
        (np.zeros((2, 2), dtype=bool), TypeError, "action.*bool"),
        (None, TypeError, "action"),
        ([[0.0, 0.0], [0.0]], ValueError, "action must be a rectangular"),
    ],
)
def test_scheme_actions_of_the_wrong_kind(action, error, match):
    with pytest.raises(error, match=match):
        _scheme_env().step(action)


def test_vector_env_limits_and_options():
    with pytest.raises(ValueError, match="num_envs must be >= 1"):
        RepeatedPersuasionVectorEnv(0)
    with pytest.raises(ValueError, match="num_envs = .* is too large"):
        RepeatedPersuasionVectorEnv(10**12)
    with pytest.raises(TypeError, match="normalize"):
        RepeatedPersuasionVectorEnv(2, normalize="no")
    env = RepeatedPersuasionVectorEnv(2, "prosecutor")
    with pytest.raises(ValueError, match=r"unknown reset option\(s\) \['x'\]"):
        env.reset(seed=0, options={"x": 1})
    env.reset(seed=np.int64(0))
    with pytest.raises(ValueError, match="integer messages"):
        env.step(np.array([0.5, 1.0]))
    env.step(env.action_space.sample())
    env.step([0, 1])
