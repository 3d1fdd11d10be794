"""The actor-critic receiver of Lin et al. (MODEL.md C2): updates checked against a hand-written
one-run reference, the policies it must learn (known by hand), determinism and batching."""

import numpy as np
import pytest

from agents import describe_agents, make_receiver, make_sender
from agents.base import GameView
from agents.receivers.actor_critic import BatchedAdam
from agents.senders.schemes import SchemeSender
from persuasion_env import PersuasionGame, simulate

LETTER = PersuasionGame.example("recommendation_letter")  # states (excellent, weak)
#: phi(rec | excellent) = 1, phi(rec | weak) = 0.4: P(excellent | rec) = (1/3) / 0.6 = 5/9,
#: so hiring on "recommend" pays 5/9 - 4/9 = 1/9 > 0, and "not recommend" means weak.
PERSUASIVE = np.array([[0.0, 1.0], [0.6, 0.4]])
POOLING = np.array([[0.0, 1.0], [0.0, 1.0]])  # always "recommend": the posterior is the prior
FAST = dict(lr_actor=7e-3, lr_critic=7e-3)  # 10x Lin et al.'s step size, for short tests


def greedy_hire(result) -> np.ndarray:
    """``(runs, M)``: whether each run's greedy response hires on each message."""
    return result.receiver_policy[:, :, 1] == 1.0


class PerRunScheme(SchemeSender):
    """A test sender with a different fixed scheme in each run."""

    name = "per_run_scheme_test"

    def __init__(self, schemes):
        super().__init__()
        self.schemes = np.asarray(schemes, dtype=float)

    def _make_schemes(self, view: GameView) -> np.ndarray:
        return self.schemes


# ------------------------------------------------------------------ learned policies


def test_learns_to_follow_a_persuasive_scheme():
    result = simulate(
        LETTER,
        make_sender("fixed_scheme", scheme=PERSUASIVE),
        make_receiver("actor_critic", **FAST),
        rounds=30_000,
        runs=16,
        seed=0,
    )
    hires = greedy_hire(result)
    assert hires[:, 1].all()  # hire on "recommend"
    assert not hires[:, 0].any()  # pass on "not recommend"


def test_learns_hire_iff_good_under_full_disclosure():
    result = simulate(
        LETTER,
        "full_disclosure",
        make_receiver("actor_critic", **FAST),
        rounds=30_000,
        runs=16,
        seed=1,
    )
    hires = greedy_hire(result)
    assert hires[:, 0].all()  # message 0 = excellent
    assert not hires[:, 1].any()  # message 1 = weak


@pytest.mark.slow
def test_default_step_sizes_follow_the_lp_scheme_with_margin():
    # Lin et al.'s defaults (Adam 7e-4, batches of 100): measured, all 8 runs of seed 0
    # follow the LP scheme with margin 0.1 greedily after 3e5 rounds (obedience in the
    # last tenth of 1e6 rounds: 0.993).
    result = simulate(
        LETTER,
        make_sender("lp_optimal", margin=0.1),
        "actor_critic",
        rounds=300_000,
        runs=4,
        seed=0,
    )
    hires = greedy_hire(result)
    assert hires[:, 1].all() and not hires[:, 0].any()
    assert result.obedience_rate[-1] > 0.8


def test_runs_are_independent():
    # Run 0 sees the persuasive scheme, run 1 a pooling one (posterior = prior: hiring on
    # "recommend" pays 1/3 - 2/3 < 0). They must learn different responses to "recommend".
    sender = PerRunScheme([PERSUASIVE, POOLING])
    result = simulate(
        LETTER, sender, make_receiver("actor_critic", **FAST), rounds=30_000, runs=2, seed=3
    )
    hires = greedy_hire(result)
    assert hires[0, 1] and not hires[1, 1]


def test_seeded_determinism():
    def run(seed):
        return simulate(LETTER, "lp_optimal", "actor_critic", rounds=3000, runs=3, seed=seed)

    a, b, c = run(5), run(5), run(6)
    np.testing.assert_array_equal(a.sender_utility, b.sender_utility)
    np.testing.assert_array_equal(a.receiver_policy, b.receiver_policy)
    assert not np.array_equal(a.sender_utility, c.sender_utility)


# ------------------------------------------------------------------ the update itself


def _reference_update(logits, q, batch, lr_actor, lr_critic, adam_state, clip=1.0):
    """One run's update written per round, as Lin et al.'s torch code computes it
    (mean over the batch of delta * grad log pi and of grad (r - Q)^2), then clamp + Adam."""
    n = len(batch)
    pi = np.exp(logits - logits.max(axis=1, keepdims=True))
    pi /= pi.sum(axis=1, keepdims=True)
    grad_w = np.zeros_like(logits)  # gradient of -actor_obj (what torch minimises)
    grad_q = np.zeros_like(q)
    for m, a, r in batch:
        v = pi[m] @ q[m]
        delta = r - v
        onehot = np.eye(logits.shape[1])[a]
        grad_w[m] -= delta * (onehot - pi[m]) / n
        grad_q[m, a] += -2 * (r - q[m, a]) / n
    out = []
    for param, grad, lr, key in ((logits, grad_w, lr_actor, "w"), (q, grad_q, lr_critic, "q")):
        grad = np.clip(grad, -clip, clip)
        m_, v_, t = adam_state[key]
        t += 1
        m_ = 0.9 * m_ + 0.1 * grad
        v_ = 0.999 * v_ + 0.001 * grad**2
        step = lr * (m_ / (1 - 0.9**t)) / (np.sqrt(v_ / (1 - 0.999**t)) + 1e-8)
        adam_state[key] = (m_, v_, t)
        out.append(param - step)
    return out


def test_update_matches_per_round_reference():
    rng = np.random.default_rng(0)
    receiver = make_receiver("actor_critic", batch_size=5, lr_actor=0.05, lr_critic=0.02)
    view = GameView.for_agent(LETTER, receiver, 2)
    receiver.reset(view, runs=2, rng=np.random.default_rng(1))
    logits = receiver.logits.copy()
    q = receiver.q.copy()
    states = [
        {"w": (np.zeros((2, 2)), np.zeros((2, 2)), 0), "q": (np.zeros((2, 2)), np.zeros((2, 2)), 0)}
        for _ in range(2)
    ]
    for _ in range(3):  # three batches: Adam's moments carry over
        batches = [[], []]
        for _ in range(5):
            messages = rng.integers(2, size=2)
            actions = receiver.act(messages)
            rewards = rng.uniform(-1, 1, size=2)
            for b in range(2):
                batches[b].append((messages[b], actions[b], rewards[b]))
            receiver.update(messages, actions, rewards)
        for b in range(2):
            logits[b], q[b] = _reference_update(logits[b], q[b], batches[b], 0.05, 0.02, states[b])
        np.testing.assert_allclose(receiver.logits, logits, atol=1e-12)
        np.testing.assert_allclose(receiver.q, q, atol=1e-12)


def test_no_update_inside_a_batch():
    receiver = make_receiver("actor_critic", batch_size=3)
    receiver.reset(GameView.for_agent(LETTER, receiver, 2), runs=1, rng=np.random.default_rng(0))
    before = receiver.logits.copy()
    for _ in range(2):
        receiver.update(np.array([1]), np.array([1]), np.array([1.0]))
    np.testing.assert_array_equal(receiver.logits, before)
    receiver.update(np.array([1]), np.array([1]), np.array([1.0]))
    assert receiver.logits[0, 1, 1] > before[0, 1, 1]  # hiring paid: its logit rises


def test_initialisation_scale():
    # torch.nn.Linear's default init: actor logits U(-1/sqrt(M), 1/sqrt(M)); the critic's
    # starting Q is a width-2 tanh net's output, |Q| <= 2 / sqrt(2) = sqrt(2).
    receiver = make_receiver("actor_critic")
    receiver.reset(GameView.for_agent(LETTER, receiver, 2), runs=500, rng=np.random.default_rng(0))
    assert np.abs(receiver.logits).max() <= 1 / np.sqrt(2)
    assert np.abs(receiver.logits).max() > 0.6  # really spread over the interval
    assert np.abs(receiver.q).max() <= np.sqrt(2)
    assert receiver.q.std() > 0.05
    zero = make_receiver("actor_critic", critic_init="zero")
    zero.reset(GameView.for_agent(LETTER, zero, 2), runs=3, rng=np.random.default_rng(0))
    assert not zero.q.any()
    np.testing.assert_allclose(receiver.action_probabilities().sum(axis=-1), 1.0)


def test_batched_adam_first_step_is_lr_sign():
    # Adam's bias-corrected first step is lr * g / (|g| + eps): the sign of g times lr.
    adam = BatchedAdam((2, 3), lr=0.01)
    grad = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -0.1]])
    np.testing.assert_allclose(adam.step(grad), -0.01 * np.sign(grad), atol=1e-7)


# ------------------------------------------------------------------ metadata and errors


def test_metadata_and_simulate_by_name():
    rows = {(r["side"], r["name"]): r for r in describe_agents()}
    row = rows[("receiver", "actor_critic")]
    assert row["learns"] is True and row["needs_scheme"] is False
    assert row["observes_state"] is False and row["level"] == "learning"
    result = simulate(LETTER, "lp_optimal", "actor_critic", rounds=500, runs=2, seed=0)
    assert result.receiver == "actor_critic"
    games = [LETTER, PersuasionGame.example("prosecutor")]
    batch = simulate(games, "lp_optimal", "actor_critic", rounds=200, runs=2, seed=0)
    assert batch.receiver_policy.shape == (4, 2, 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lr_actor": 0}, ValueError, "lr_actor must be > 0"),
        ({"lr_critic": float("nan")}, ValueError, "lr_critic must be finite"),
        ({"lr_actor": "fast"}, TypeError, "lr_actor must be a number"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an integer"),
        ({"grad_clip": -1}, ValueError, "grad_clip must be > 0"),
        ({"critic_init": "torch"}, ValueError, "critic_init must be 'net' or 'zero'"),
    ],
)
def test_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_receiver("actor_critic", **kwargs)


# ------------------------------------------------------------------ batched driver calls


def test_rounds_at_once_equal_rounds_one_by_one():
    # act_rounds / update_rounds (Lin et al.'s batched loop) give what k calls of act /
    # update give: the same draws, the same learned tables.
    def fresh():
        receiver = make_receiver("actor_critic", batch_size=6, lr_actor=0.1, lr_critic=0.1)
        receiver.reset(
            GameView.for_agent(LETTER, receiver, 2), runs=3, rng=np.random.default_rng(9)
        )
        return receiver

    rng = np.random.default_rng(2)
    batched, single = fresh(), fresh()
    for _ in range(3):  # three batches of 6 rounds, fed 6 at once vs one by one
        messages = rng.integers(2, size=(3, 6))
        rewards = rng.normal(size=(3, 6))
        actions = batched.act_rounds(messages)
        one_by_one = np.stack([single.act(messages[:, j]) for j in range(6)], axis=1)
        np.testing.assert_array_equal(actions, one_by_one)
        batched.update_rounds(messages[:, :4], actions[:, :4], rewards[:, :4])
        batched.update_rounds(messages[:, 4:], actions[:, 4:], rewards[:, 4:])
        for j in range(6):
            single.update(messages[:, j], actions[:, j], rewards[:, j])
        np.testing.assert_allclose(batched.logits, single.logits, rtol=0, atol=1e-15)
        np.testing.assert_allclose(batched.q, single.q, rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="do not fit"):
        batched.update_rounds(*(np.zeros((3, 7), dtype=int),) * 2, np.zeros((3, 7)))
