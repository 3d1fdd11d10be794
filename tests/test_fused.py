"""The compiled round of a single env (persuasion_env/_fused.py) is the ordinary round.

The reference is the ordinary per-round path of :class:`persuasion_env.match.Match` (the
embedded agent's ``act`` / ``update`` / ``observe_states`` called from Python, NumPy
bookkeeping), which the env plays when compiled rounds are switched off at reset
(``use_compiled(False)``) or numba is absent (``PERSUASION_ENV_JIT=0``). Every step's
observation, reward, truncation and info, the embedded agent's final policy and the outside
side's recorded counts must be identical, across state chunks (256 rounds), full record
buffers, episode ends and resets, with and without payoff noise.
"""

import os
import pickle
import subprocess
import sys

import gymnasium
import numpy as np
import pytest

import persuasion_env  # noqa: F401  (registers the ids)
from persuasion_env import PersuasionGame
from persuasion_env.compiled import use_compiled

GAME = PersuasionGame.random(3, 3, seed=4)
SENDER_VIEW = "persuasion/RepeatedPersuasion-v0"
RECEIVER_VIEW = "persuasion/RepeatedPersuasionReceiver-v0"


def _rollout(env_id, kwargs, steps, *, compiled=True, seed=1):
    """Every step's (obs, reward, truncated, info), the embedded agent's final policy, the
    outside side's counts and how many rounds were played compiled."""
    with use_compiled(compiled):
        env = gymnasium.make(env_id, game=GAME, **kwargs)
        env.reset(seed=seed)
    env.action_space.seed(seed)
    trace, fused_rounds = [], 0
    for _ in range(steps):
        core = env.unwrapped.core
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        fused = core._fused
        if fused is not None and fused.usable and not fused.stale:
            fused_rounds += 1
        trace.append((obs, reward, terminated, truncated, info))
        if truncated:
            with use_compiled(compiled):
                env.reset()
    core = env.unwrapped.core
    outside = core.sender if core.sender_outside else core.receiver
    return trace, np.asarray(env.unwrapped.agent.policy()), outside.counts.copy(), fused_rounds


def _assert_same(reference, fast):
    trace_ref, policy_ref, counts_ref, _ = reference
    trace, policy, counts, _ = fast
    assert len(trace) == len(trace_ref)
    for k, (step_ref, step) in enumerate(zip(trace_ref, trace, strict=True)):
        assert step == step_ref, f"step {k}: {step} != {step_ref}"
        assert type(step[1]) is float and type(step_ref[1]) is float
    np.testing.assert_array_equal(policy, policy_ref)
    np.testing.assert_array_equal(counts, counts_ref)


@pytest.mark.parametrize(
    "receiver, receiver_kwargs, epoch",
    [
        ("q_learning", {"epsilon": 0.2}, 1),
        ("fictitious_play", None, 1),
        ("hedge", None, 1),
        ("ucb", {"discount": 0.9}, 1),
        ("reinforce", None, 1),
        ("best_response", None, 5),  # shown the empirical scheme every 5th round (ordinary)
        ("quantal", None, 3),
    ],
)
@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_the_sender_view_plays_the_ordinary_rounds(receiver, receiver_kwargs, epoch, noise):
    kwargs = {
        "receiver": receiver,
        "receiver_kwargs": receiver_kwargs,
        "episode_length": 300,  # across a chunk of states and a full record buffer
        "noise": noise,
        "epoch": epoch,
        "best_fixed_runs": 0,
    }
    reference = _rollout(SENDER_VIEW, kwargs, 700, compiled=False)
    fast = _rollout(SENDER_VIEW, kwargs, 700)
    _assert_same(reference, fast)
    assert reference[3] == 0
    # Every round but the first of each episode (and the scheme showings) was compiled.
    expected = 700 - 3 if epoch == 1 else 700 - 3 - (700 // epoch)
    assert fast[3] >= expected


@pytest.mark.parametrize(
    "sender", ["lp_optimal", "info_q", "q_learning", "hedge", "modelr", "no_information"]
)
@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_the_receiver_view_plays_the_ordinary_rounds(sender, noise):
    kwargs = {"sender": sender, "episode_length": 300, "noise": noise}
    reference = _rollout(RECEIVER_VIEW, kwargs, 700, compiled=False)
    fast = _rollout(RECEIVER_VIEW, kwargs, 700)
    _assert_same(reference, fast)
    assert fast[3] == 700  # (the first round of each episode too: begun, and checked, at reset)


def test_a_round_pays_the_table_entry_of_the_state_and_the_receivers_action():
    # Hand check, independent of the ordinary path: without noise the sender's reward is
    # u1[state, action] and the receiver's payoff u2[state, action] of the info.
    env = gymnasium.make(SENDER_VIEW, game=GAME, receiver="q_learning", best_fixed_runs=0)
    env.reset(seed=0)
    for k in range(50):
        _, reward, _, _, info = env.step(k % 3)
        state, action = info["state"], info["receiver_action"]
        assert reward == GAME.sender_utility[state, action] == info["sender_utility"]
        assert info["receiver_payoff"] == GAME.receiver_utility[state, action]
    assert env.unwrapped.core._fused.usable


def test_a_changed_learner_option_takes_effect_on_the_compiled_rounds():
    def run(compiled):
        with use_compiled(compiled):
            env = gymnasium.make(SENDER_VIEW, game=GAME, receiver="q_learning", episode_length=400)
            env.reset(seed=3)
        rewards = [env.step(k % 3)[1] for k in range(100)]
        env.unwrapped.receiver.learner.epsilon = 0.5  # mid-episode
        rewards += [env.step(k % 3)[1] for k in range(100)]
        return rewards, env.unwrapped.receiver.learner.q.copy()

    (fast, q_fast), (ordinary, q_ordinary) = run(True), run(False)
    assert fast == ordinary
    np.testing.assert_array_equal(q_fast, q_ordinary)


@pytest.mark.parametrize("env_id", [SENDER_VIEW, RECEIVER_VIEW])
def test_a_pickled_env_continues_as_the_original(env_id):
    env = gymnasium.make(env_id, game=GAME, episode_length=500)
    env.reset(seed=2)
    for k in range(290):  # past a chunk and a full record buffer
        env.step(k % 3)
    clone = pickle.loads(pickle.dumps(env))
    for k in range(150):
        assert clone.step(k % 2) == env.step(k % 2)
    np.testing.assert_array_equal(clone.unwrapped.agent.policy(), env.unwrapped.agent.policy())


_JIT_OFF_SCRIPT = """
import gymnasium, numpy as np, persuasion_env
from persuasion_env import PersuasionGame
from persuasion_env import _jit
assert not _jit.available()
for env_id in ("persuasion/RepeatedPersuasion-v0", "persuasion/RepeatedPersuasionReceiver-v0"):
    env = gymnasium.make(env_id, game=PersuasionGame.random(3, 3, seed=4), episode_length=300)
    env.reset(seed=1)
    env.action_space.seed(1)
    rewards = []
    for _ in range(400):
        _, reward, _, truncated, _ = env.step(env.action_space.sample())
        rewards.append(reward)
        if truncated:
            env.reset()
    print(repr(rewards))
"""


def test_without_numba_the_env_plays_the_same_rounds():
    environ = dict(os.environ, PERSUASION_ENV_JIT="0")
    out = subprocess.run(
        [sys.executable, "-c", _JIT_OFF_SCRIPT],
        capture_output=True,
        text=True,
        env=environ,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    ).stdout.splitlines()
    for line, env_id in zip(out, (SENDER_VIEW, RECEIVER_VIEW), strict=True):
        env = gymnasium.make(env_id, game=GAME, episode_length=300)
        env.reset(seed=1)
        env.action_space.seed(1)
        rewards = []
        for _ in range(400):
            _, reward, _, truncated, _ = env.step(env.action_space.sample())
            rewards.append(reward)
            if truncated:
                env.reset()
        assert eval(line) == rewards  # noqa: S307  (our own subprocess's repr of floats)


@pytest.mark.parametrize(
    "env_id, kwargs",
    [
        (SENDER_VIEW, {"receiver": "fictitious_play", "best_fixed_runs": 0, "noise": 0.2}),
        (RECEIVER_VIEW, {"sender": "info_q", "noise": 0.2}),
    ],
)
def test_vector_observations_are_those_of_the_ordinary_rounds(env_id, kwargs):
    def run(compiled):
        with use_compiled(compiled):
            env = gymnasium.make(env_id, game=GAME, obs_type="vector", episode_length=120, **kwargs)
            observations = [env.reset(seed=5)[0]]
        for k in range(300):
            obs, reward, _, truncated, _ = env.step((k * 7) % 3 % env.action_space.n)
            observations.append(obs)
            observations.append(np.array([reward]))
            if truncated:
                with use_compiled(compiled):
                    observations.append(env.reset()[0])
        return np.concatenate(observations)

    np.testing.assert_array_equal(run(True), run(False))


def test_a_sender_that_reads_the_receiver_plays_ordinary_rounds():
    from agents.senders.schemes import LPOptimalSender

    class Reader(LPOptimalSender):
        observes = ("state", "game", "receiver_policy")
        seen = 0

        def observe_receiver(self, policy, receiver_rewards):
            type(self).seen += 1

    env = gymnasium.make(RECEIVER_VIEW, game=GAME, sender=Reader(), episode_length=50)
    env.reset(seed=0)
    for _ in range(50):
        env.step(0)
    assert Reader.seen == 50
    assert not env.unwrapped.core._fused.usable


@pytest.mark.parametrize(
    "env_id, kwargs",
    [
        (SENDER_VIEW, {"receiver": "q_learning", "receiver_kwargs": {"epsilon": 0.3}}),
        (SENDER_VIEW, {"receiver": "hedge"}),
        (RECEIVER_VIEW, {"sender": "q_learning"}),
        (RECEIVER_VIEW, {"sender": "reinforce"}),
    ],
)
def test_a_generator_given_to_the_agent_mid_episode_is_used_by_both_paths(env_id, kwargs):
    # The compiled round fetches the agent's step again when ``agent.rng`` is replaced and
    # draws from the new Generator; the ordinary round must draw from it too (a bandit
    # learner kept the Generator of its reset, so the two paths parted after the swap).
    def run(compiled):
        with use_compiled(compiled):
            env = gymnasium.make(env_id, game=GAME, episode_length=400, **kwargs)
            env.reset(seed=2)
        trace = [env.step(k % 3) for k in range(60)]
        env.unwrapped.agent.rng = np.random.default_rng(99)  # mid-episode
        trace += [env.step((k * 5) % 3) for k in range(200)]
        return trace, np.asarray(env.unwrapped.agent.policy())

    (fast, policy_fast), (ordinary, policy_ordinary) = run(True), run(False)
    assert fast == ordinary
    np.testing.assert_array_equal(policy_fast, policy_ordinary)


@pytest.mark.parametrize(
    "env_id, kwargs",
    [
        (SENDER_VIEW, {"receiver": "q_learning", "receiver_kwargs": {"epsilon": 0.2}}),
        (RECEIVER_VIEW, {"sender": "hedge", "noise": 0.3}),
    ],
)
def test_two_envs_stepped_in_turn_share_no_arrays(env_id, kwargs):
    # Each env's compiled round writes its own buffers and holds its own agent's arrays: two
    # envs of the same game object, stepped alternately (across episode ends), play what one
    # plays alone; reset with the same seed replays the episode to the bit, another seed not.
    def make(seed):
        env = gymnasium.make(env_id, game=GAME, episode_length=150, **kwargs)
        env.reset(seed=seed)
        return env

    def step(env, k, trace):
        trace.append(env.step((k * 7) % 3))
        if trace[-1][3]:  # truncated
            env.reset()

    def alone(seed):
        env, trace = make(seed), []
        for k in range(400):
            step(env, k, trace)
        return trace

    first, second = make(1), make(1)
    trace_first, trace_second = [], []
    for k in range(400):
        step(first, k, trace_first)
        step(second, k, trace_second)
    reference = alone(1)
    assert trace_first == reference and trace_second == reference
    assert alone(1) == reference and alone(2) != reference
