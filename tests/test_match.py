"""The round of play (persuasion_env.match): one round on every path.

The same agents, seeded alike, play the same trajectory (states, messages, actions, observed
rewards, states seen after acting) through the engine, the Gymnasium sender's view, the
vector env and the PettingZoo AEC and parallel envs (issue 14). The round's mechanics are
checked against values computed here: the state and noise stream, the rewards, when schemes
are shown.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from agents import make_receiver, make_sender
from persuasion_env import PersuasionGame, simulate
from persuasion_env.envs.repeated import RepeatedPersuasionEnv, RepeatedPersuasionReceiverEnv
from persuasion_env.envs.vector import RepeatedPersuasionVectorEnv
from persuasion_env.match import ChunkedStates, Match, check_indices
from persuasion_env.multiagent import repeated_persuasion_v0
from persuasion_env.protocols import GameView
from persuasion_env.rounds import CHUNK, RoundTables

SEED = 7
ROUNDS = CHUNK + 44  # crosses a chunk of the state stream

# ----------------------------------------------------------------------------- helpers


class Recorder:
    """An agent that logs every call the round makes on it, delegating to ``agent``."""

    def __init__(self, agent: Any) -> None:
        self._agent = agent
        self.log: list[tuple[str, tuple[np.ndarray, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # deepcopy and pickle probe before _agent exists
            raise AttributeError(name)
        return getattr(self._agent, name)

    def _record(self, what: str, *arrays: Any) -> None:
        self.log.append((what, tuple(np.array(a, copy=True) for a in arrays)))

    def act(self, given: np.ndarray) -> np.ndarray:
        chosen = self._agent.act(given)
        self._record("act", given, chosen)
        return chosen

    def update(self, *args: Any) -> None:
        self._record("update", *args)
        self._agent.update(*args)

    def observe_states(self, messages: np.ndarray, states: np.ndarray) -> None:
        self._record("observe_states", messages, states)
        self._agent.observe_states(messages, states)


class SpawnsAs(np.random.Generator):
    """A Generator whose ``spawn`` hands out given generators: it lets the engine (which
    spawns states, sender and receiver generators from its seed) use the generators the
    envs use (states from ``np_random`` itself, the embedded receiver from its second child)
    without changing either path's streams."""

    def __init__(self, children: list[np.random.Generator]) -> None:
        super().__init__(np.random.PCG64(0))
        self._children = children

    def spawn(self, n_children: int) -> list[np.random.Generator]:
        return [self._children.pop(0) for _ in range(n_children)]


def states_rng() -> np.random.Generator:
    """The env's ``np_random`` after ``reset(seed=SEED)`` (Gymnasium seeding)."""
    return np.random.default_rng(SEED)


def receiver_rng() -> np.random.Generator:
    """What the env gives its receiver: the second child of ``np_random`` (the first draws
    the game)."""
    return np.random.default_rng(SEED).spawn(2)[1]


def sender_rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def fresh(sender: Any, receiver: Any) -> tuple[Recorder, Recorder]:
    return Recorder(copy.deepcopy(sender)), Recorder(copy.deepcopy(receiver))


def reset_outside(agent: Any, game: PersuasionGame, runs: int, rng: np.random.Generator) -> None:
    agent.reset(GameView.for_agent(game, agent, game.n_actions), runs=runs, rng=rng)


def trajectory(sender: Recorder, receiver: Recorder) -> dict[str, np.ndarray]:
    """The rounds as ``(rounds, B)`` arrays, from both agents' logs."""
    calls: dict[str, list] = {}
    for side, recorder in (("sender", sender), ("receiver", receiver)):
        for what, arrays in recorder.log:
            calls.setdefault(f"{side}.{what}", []).append(arrays)
    out = {}
    names = {
        "sender.act": ("state", "message"),
        "sender.update": ("s_state", "s_message", "s_action", "r1"),
        "receiver.act": ("r_message", "action"),
        "receiver.update": ("u_message", "u_action", "r2"),
        "receiver.observe_states": ("o_message", "state_after"),
    }
    for key, columns in names.items():
        for i, column in enumerate(columns):
            if key in calls:
                out[column] = np.stack([arrays[i] for arrays in calls[key]])
    return out


def play_engine(game, sender, receiver, runs=1, *, embedded="receiver"):
    """The engine, its generators those of an env whose ``embedded`` agent is the receiver
    (or the sender)."""
    sender, receiver = fresh(sender, receiver)
    rngs = [sender_rng(), receiver_rng()]
    seed = SpawnsAs([states_rng(), *(rngs if embedded == "receiver" else rngs[::-1])])
    simulate(game, sender, receiver, rounds=ROUNDS, runs=runs, seed=seed, bins=1)
    return trajectory(sender, receiver)


def play_gym(game, sender, receiver):
    sender, receiver = fresh(sender, receiver)
    env = RepeatedPersuasionEnv(game, receiver=receiver, episode_length=ROUNDS)
    obs, _ = env.reset(seed=SEED)
    reset_outside(sender, game, 1, sender_rng())
    scale = np.abs(game.sender_utility).max()
    for _ in range(ROUNDS):
        states = np.array([obs])
        messages = sender.act(states)
        obs, reward, _, _, info = env.step(int(messages[0]))
        sender.update(
            states, messages, np.array([info["receiver_action"]]), np.array([reward]) / scale
        )
    return trajectory(sender, env.receiver)  # the env's (deep-copied) receiver


def play_receiver_view(game, sender, receiver):
    """The Gymnasium receiver's view: the sender embedded, the receiver played from outside."""
    sender, receiver = fresh(sender, receiver)
    env = RepeatedPersuasionReceiverEnv(game, sender=sender, episode_length=ROUNDS)
    obs, _ = env.reset(seed=SEED)
    reset_outside(receiver, game, 1, sender_rng())
    scale = np.abs(game.receiver_utility).max()
    for _ in range(ROUNDS):
        messages = np.array([obs])
        actions = receiver.act(messages)
        obs, reward, _, _, info = env.step(int(actions[0]))
        receiver.update(messages, actions, np.array([reward]) / scale)
        if receiver.observes_state:
            receiver.observe_states(messages, np.array([info["state"]]))
    return trajectory(env.sender, receiver)


def play_vector(game, sender, receiver, runs):
    sender, receiver = fresh(sender, receiver)
    env = RepeatedPersuasionVectorEnv(runs, game, receiver=receiver, episode_length=ROUNDS)
    obs, _ = env.reset(seed=SEED)
    reset_outside(sender, game, runs, sender_rng())
    scale = np.abs(game.sender_utility).max()
    for _ in range(ROUNDS):
        states = obs
        messages = sender.act(states)
        obs, rewards, _, _, info = env.step(messages)
        sender.update(states, messages, info["receiver_action"], rewards / scale)
    return trajectory(sender, env.receiver)


def play_aec(game, sender, receiver):
    """Both sides played by agent objects through the AEC API: each reads at its turn the
    reward and infos of the round it played last (the receiver its state after acting)."""
    sender, receiver = fresh(sender, receiver)
    env = repeated_persuasion_v0.env(game=game, max_cycles=ROUNDS)
    env.reset(seed=SEED)
    reset_outside(sender, game, 1, sender_rng())
    reset_outside(receiver, game, 1, receiver_rng())
    scale1, scale2 = np.abs(game.sender_utility).max(), np.abs(game.receiver_utility).max()
    sent = played = None
    for agent in env.agent_iter():
        obs, reward, terminated, truncated, info = env.last()
        if agent == "sender":
            if sent is not None:
                states, messages = sent
                sender.update(
                    states, messages, np.array([info["action"]]), np.array([reward]) / scale1
                )
            if terminated or truncated:
                env.step(None)
                continue
            states = np.array([int(obs)])
            sent = states, sender.act(states)
            env.step(int(sent[1][0]))
        else:
            if played is not None:
                messages, actions = played
                receiver.update(messages, actions, np.array([reward]) / scale2)
                if receiver.observes_state:
                    assert info["message"] == messages[0] and info["action"] == actions[0]
                    receiver.observe_states(messages, np.array([info["state"]]))
            if terminated or truncated:
                env.step(None)
                continue
            messages = np.array([int(obs)])
            played = messages, receiver.act(messages)
            env.step(int(played[1][0]))
    return trajectory(sender, receiver)


def play_parallel(game, sender, receiver):
    """Both sides through the (turn-based) parallel API; both learn when a round ends."""
    sender, receiver = fresh(sender, receiver)
    env = repeated_persuasion_v0.parallel_env(game=game, max_cycles=ROUNDS)
    obs, _ = env.reset(seed=SEED)
    reset_outside(sender, game, 1, sender_rng())
    reset_outside(receiver, game, 1, receiver_rng())
    scale1, scale2 = np.abs(game.sender_utility).max(), np.abs(game.receiver_utility).max()
    while env.agents:
        states = np.array([int(obs["sender"])])
        messages = sender.act(states)
        obs, *_, infos = env.step({"sender": int(messages[0])})
        assert infos["receiver"]["active_agent"] == "receiver"
        actions = receiver.act(np.array([int(obs["receiver"])]))
        obs, rewards, _, _, infos = env.step({"receiver": int(actions[0])})
        sender.update(states, messages, actions, np.array([rewards["sender"]]) / scale1)
        receiver.update(messages, actions, np.array([rewards["receiver"]]) / scale2)
        if receiver.observes_state:
            receiver.observe_states(messages, np.array([infos["receiver"]["state"]]))
    return trajectory(sender, receiver)


GAME = PersuasionGame.random(3, 3, seed=4)
PAIRS = [
    ("info_q", "q_learning"),
    ("fixed_scheme", "fictitious_play"),
    ("info_q", "fictitious_play"),
]


def make_pair(sender: str, receiver: str) -> tuple[Any, Any]:
    options = {"scheme": np.array([[0.7, 0.3, 0.0], [0.1, 0.5, 0.4], [0.0, 0.2, 0.8]])}
    return make_sender(sender, **(options if sender == "fixed_scheme" else {})), make_receiver(
        receiver
    )


# ----------------------------------------------------------------- one trajectory, 5 paths


@pytest.mark.parametrize(("sender", "receiver"), PAIRS)
def test_every_path_plays_the_same_trajectory(sender, receiver):
    sender, receiver = make_pair(sender, receiver)
    expected = play_engine(GAME, sender, receiver)
    # The trajectory is a game's rounds, checked here without the library: rewards are the
    # payoffs of (state, action) over max |u|, and both agents saw the same round.
    u1, u2 = GAME.sender_utility, GAME.receiver_utility
    state, action = expected["state"], expected["action"]
    assert state.shape == (ROUNDS, 1)
    np.testing.assert_array_equal(expected["r1"], u1[state, action] / np.abs(u1).max())
    np.testing.assert_array_equal(expected["r2"], u2[state, action] / np.abs(u2).max())
    np.testing.assert_array_equal(expected["r_message"], expected["message"])
    np.testing.assert_array_equal(expected["s_action"], action)
    if receiver.observes_state:
        np.testing.assert_array_equal(expected["state_after"], state)
    else:
        assert "state_after" not in expected
    assert len(np.unique(state)) == 3 and len(np.unique(action)) > 1  # not a degenerate run

    for name, play in (
        ("gymnasium", play_gym),
        ("vector", lambda g, s, r: play_vector(g, s, r, 1)),
        ("aec", play_aec),
        ("parallel", play_parallel),
    ):
        got = play(GAME, sender, receiver)
        assert got.keys() == expected.keys(), name
        for column, values in expected.items():
            np.testing.assert_array_equal(got[column], values, err_msg=f"{name}: {column}")


@pytest.mark.parametrize(("sender", "receiver"), PAIRS)
def test_the_receivers_view_plays_the_engines_trajectory(sender, receiver):
    sender, receiver = make_pair(sender, receiver)
    expected = play_engine(GAME, sender, receiver, embedded="sender")
    got = play_receiver_view(GAME, sender, receiver)
    assert got.keys() == expected.keys()
    for column, values in expected.items():
        np.testing.assert_array_equal(got[column], values, err_msg=column)


def test_the_vector_env_plays_the_engines_batch():
    sender, receiver = make_pair("info_q", "fictitious_play")
    expected = play_engine(GAME, sender, receiver, runs=5)
    got = play_vector(GAME, sender, receiver, 5)
    assert expected["state"].shape == (ROUNDS, 5)
    for column, values in expected.items():
        np.testing.assert_array_equal(got[column], values, err_msg=column)


# ------------------------------------------------------- AEC: the receiver's infos at its turn


def test_aec_receiver_reads_its_previous_round_at_its_turn(prosecutor):
    env = repeated_persuasion_v0.env(game=prosecutor, max_cycles=3)
    env.reset(seed=0)
    played = []  # (state, message, action) of each round, as the sender and receiver chose
    seen = []  # the receiver's infos at each of its turns (the last one after the end)
    for agent in env.agent_iter():
        _, _, terminated, truncated, info = env.last()
        if agent == "receiver":
            seen.append(dict(info))
        if terminated or truncated:
            env.step(None)
        elif agent == "sender":
            state = int(env.observe("sender"))
            env.step(1)
        else:
            action = len(seen) % 2
            env.step(action)
            played.append((state, 1, action))
    assert len(played) == 3 and len(seen) == 4
    assert seen[0] == {}  # nothing played yet
    assert [(i["state"], i["message"], i["action"]) for i in seen[1:]] == played
    assert seen[1]["receiver_utility"] == prosecutor.receiver_utility[played[0][0], played[0][2]]


# ------------------------------------------------------------------- the round's mechanics


class Stub:
    """A scripted agent: returns fixed choices and records what it is shown."""

    def __init__(self, side, choices, *, level="round", needs_scheme=False, observes_state=False):
        self.side, self.name, self.level = side, f"stub {side}", level
        self.needs_scheme, self.observes_state = needs_scheme, observes_state
        self.choices, self.policy_version, self.recommends = choices, 0, False
        self.shown: list[int] = []
        self.updates: list[tuple] = []
        self.t = 0

    def act(self, given):
        return self.choices(self.t, given)

    def update(self, *args):
        self.updates.append(args)
        self.t += 1

    def observe_scheme(self, scheme):
        self.shown.append(self.t)

    def observe_states(self, messages, states):
        self.updates.append(("states", states.copy()))

    def policy(self):
        return np.full((2, 2, 2), 0.5)


def two_by_two():
    return PersuasionGame(
        prior=[0.3, 0.7],
        sender_utility=[[2.0, -4.0], [1.0, 0.5]],
        receiver_utility=[[1.0, 0.0], [0.0, 3.0]],
    )


def test_states_noise_and_rewards_match_a_hand_computation():
    game, runs, noise = two_by_two(), 2, 0.5
    tables = RoundTables([game], np.zeros(runs, dtype=np.int64), normalize=True)
    stream = ChunkedStates(tables, np.random.default_rng(3), noise=noise, horizon=300)
    match = Match(tables, None, None, n_messages=2, states=stream)
    # The stream by hand: CHUNK rounds of uniforms, then their noise; then the 44 rounds left.
    rng = np.random.default_rng(3)
    uniform = rng.random((CHUNK, runs))
    z = noise * rng.standard_normal((CHUNK, 2, runs))
    uniform2 = rng.random((44, runs))
    states = (uniform > 0.3).astype(int)  # inverse CDF of the prior (0.3, 0.7)
    for t in range(CHUNK + 1):
        match.begin()
        if t == CHUNK:
            np.testing.assert_array_equal(match.states, (uniform2[0] > 0.3).astype(int))
            break
        np.testing.assert_array_equal(match.states, states[t])
        messages, actions = np.array([0, 1]), np.array([1, t % 2])
        match.send(messages)
        match.respond(actions)
        u1 = np.array([[2.0, -4.0], [1.0, 0.5]])[states[t], actions]
        u2 = np.array([[1.0, 0.0], [0.0, 3.0]])[states[t], actions]
        np.testing.assert_array_equal(match.reward1, u1 + z[t, 0] * 4.0)
        np.testing.assert_array_equal(match.reward2, u2 + z[t, 1] * 3.0)
    assert match.t == CHUNK
    # Both outside sides' empirical policies are what they chose.
    np.testing.assert_array_equal(
        match.sender.policy()[:, :, 0], np.array([[1.0, 1.0], [0.0, 0.0]])
    )


def test_embedded_agents_observe_normalised_rewards_and_the_state_after_acting():
    game = two_by_two()
    tables = RoundTables([game], np.zeros(1, dtype=np.int64), normalize=True)
    sender = Stub("sender", lambda t, states: states.copy())  # message = state
    receiver = Stub("receiver", lambda t, m: 1 - m, observes_state=True)
    match = Match(
        tables,
        sender,
        receiver,
        n_messages=2,
        states=ChunkedStates(tables, np.random.default_rng(0)),
    )
    match.play(5)
    for (s, m, a, r1), (m2, a2, r2), (_, after) in zip(
        sender.updates, receiver.updates[0::2], receiver.updates[1::2], strict=True
    ):
        assert m[0] == s[0] and a[0] == 1 - s[0] and after[0] == s[0]
        assert r1[0] == [[2.0, -4.0], [1.0, 0.5]][s[0]][a[0]] / 4.0
        assert r2[0] == [[1.0, 0.0], [0.0, 3.0]][s[0]][a[0]] / 3.0
        assert m2[0] == m[0] and a2[0] == a[0]


@pytest.mark.parametrize("epoch", [1, 3])
def test_a_per_round_senders_scheme_is_shown_every_epoch_rounds(epoch):
    game = two_by_two()
    tables = RoundTables([game], np.zeros(1, dtype=np.int64), normalize=True)
    sender = Stub("sender", lambda t, s: np.zeros(1, dtype=np.int64))
    receiver = Stub("receiver", lambda t, m: np.zeros(1, dtype=np.int64), needs_scheme=True)
    states = ChunkedStates(tables, np.random.default_rng(0))
    Match(tables, sender, receiver, n_messages=2, states=states, epoch=epoch).play(7)
    assert receiver.shown == list(range(0, 7, epoch))


def test_a_scheme_level_senders_scheme_is_shown_when_it_commits_anew():
    game = two_by_two()
    tables = RoundTables([game], np.zeros(1, dtype=np.int64), normalize=True)
    sender = Stub("sender", lambda t, s: np.zeros(1, dtype=np.int64), level="scheme")
    receiver = Stub("receiver", lambda t, m: np.zeros(1, dtype=np.int64), needs_scheme=True)
    states = ChunkedStates(tables, np.random.default_rng(0))
    match = Match(tables, sender, receiver, n_messages=2, states=states, epoch=2)

    def commit_at_round_4(played):
        if played.t == 4:
            sender.policy_version += 1

    match.play(8, commit_at_round_4)
    assert receiver.shown == [0, 4]
    hidden = Stub("receiver", lambda t, m: np.zeros(1, dtype=np.int64), needs_scheme=True)
    Match(tables, sender, hidden, n_messages=2, states=states, show_schemes=False).play(3)
    assert hidden.shown == []


def test_agent_outputs_are_checked():
    game = two_by_two()
    tables = RoundTables([game], np.zeros(1, dtype=np.int64), normalize=True)
    sender = Stub("sender", lambda t, s: np.zeros(1, dtype=np.int64))
    bad = Stub("receiver", lambda t, m: np.full(1, 2 if t == 2 else 0))
    states = ChunkedStates(tables, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"stub receiver returned actions outside \[0, 2\): 2..2"):
        Match(tables, sender, bad, n_messages=2, states=states).play(5)
    # check="first" (the envs' setting) checks the first round
    bad = Stub("receiver", lambda t, m: np.full(1, 5))
    with pytest.raises(ValueError, match=r"stub receiver returned actions outside"):
        Match(tables, sender, bad, n_messages=2, states=states, check="first").play(1)
    with pytest.raises(ValueError, match=r"shape \(3,\) and dtype float64; expected integers"):
        check_indices(np.zeros(3), 1, 2, "actions", bad)
    with pytest.raises(ValueError, match="check must be"):
        Match(tables, sender, bad, n_messages=2, states=states, check="never")


def test_the_sender_env_renders_the_messages_it_was_sent(prosecutor):
    env = RepeatedPersuasionEnv(prosecutor, receiver="q_learning", render_mode="ansi")
    env.reset(seed=0)
    sent = np.zeros((2, 2))
    for t in range(10):
        sent[int(env.unwrapped.core.states[0]), t % 2] += 1
        env.step(t % 2)
    scheme = env.unwrapped.core.sender.policy()[0]
    np.testing.assert_array_equal(scheme, sent / sent.sum(axis=1, keepdims=True))
    assert f"{scheme[0, 0]:.3f}" in env.render()


# ------------------------------------------------------- outside counts, kernel streams


def test_outside_counts_match_a_brute_force_count_across_flushes():
    """The counts of an outside side equal a count written here, whether read before or
    after the record buffers fill (runs large enough that the buffer holds few rounds)."""
    from persuasion_env.match import Outside

    for runs in (1, 3, 70_000):  # 70 000 runs: a buffer of 14 rounds, flushed several times
        rng = np.random.default_rng(runs)
        side = Outside("receiver", runs, 2, 3)
        expected = np.zeros((runs, 2, 3))
        for k in range(40):
            given, chosen = rng.integers(0, 2, runs), rng.integers(0, 3, runs)
            side.record(given, chosen)
            for b in range(min(runs, 5)):
                expected[b, given[b], chosen[b]] += 1
            if k == 17:  # a read in the middle flushes a partial buffer
                np.testing.assert_array_equal(side.counts[:5], expected[:5])
        np.testing.assert_array_equal(side.counts[:5], expected[:5])
        assert side.counts.sum() == 40 * runs


def test_kernel_rng_shares_the_generators_stream():
    """What a kernel receives for a Generator draws the Generator's own doubles, in order,
    interleaved with draws from Python (compared with a second Generator seeded alike)."""
    from agents import _kernels
    from persuasion_env._jit import available, kernel_rng

    _kernels.ready()
    rng, twin = np.random.default_rng(11), np.random.default_rng(11)
    stream = kernel_rng(rng)
    assert kernel_rng(rng) is stream  # cached per Generator
    if not available():
        assert stream is rng
    values = np.array([0.25, 0.25, 0.5])
    for _ in range(5):
        # sample_index: one uniform u, index = number of running sums below u * total
        u = twin.random()
        expected = min(int(np.sum(np.cumsum(values) < u)), 2)
        assert _kernels.sample_index(values, stream) == expected
        assert rng.random() == twin.random()  # Python draws stay in step
