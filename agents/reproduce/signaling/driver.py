"""Lin et al.'s training loop, batched over runs *and* over the 100 rounds of a batch.

``exp_recommendation/train.py`` of ``YueLin301/InformationDesignMARL`` alternates two batches
of ``n = 100`` rounds ("students"): the first updates the receiver (``hr.update_ac``) and the
sender's critics (``pro.update_c``), the second the sender's scheme
(``pro.update_infor_design``); the receiver never learns from the second. Within a batch
neither policy changes, so all ``n`` rounds can be drawn at once: states ``(B, n)``, the
sender's messages for all of them (:meth:`SignalingGradientSender.send`), the receiver's
actions round by round through its own ``act`` (its random stream is the engine's), and the
feedback in one call (:meth:`SignalingGradientSender.record`); the receiver is fed its
batch through its ordinary per-round ``update``.

This is the same pair of agents as ``simulate(game, "signaling_gradient", "actor_critic")``
with three differences, all Lin et al.'s: the receiver skips the sender's scheme batches, the
sender alternates critics and scheme (``schedule="alternate"``; on the shared round, where the
receiver learns from every batch, its default ``"joint"`` keeps their one scheme step per
receiver step), and messages for a batch are drawn before the receiver acts (the engine
interleaves them; the draws are the same).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from persuasion_env import bayes
from persuasion_env._validation import check_int, make_rng
from persuasion_env.game import PersuasionGame
from persuasion_env.protocols import GameView, receiver_policy_table

__all__ = ["LinTrace", "train_lin_schedule"]


@dataclass(frozen=True)
class LinTrace:
    """What :func:`train_lin_schedule` measured.

    Attributes:
        rounds: rounds played per run (a multiple of ``2 n``).
        curve: ``(bins, B)`` mean realised sender utility of each run over each bin.
        curve_rounds: ``(bins,)`` the last round of each bin.
        tail_sender_utility: ``(B,)`` mean realised sender utility over the last
            ``tail_fraction`` of rounds (MODEL.md C1's metric).
        tail_receiver_utility: ``(B,)`` likewise for the receiver.
        tail_scheme: ``(B, S, M)`` the scheme averaged over the same iterations.
        scheme: ``(B, S, M)`` the final scheme.
        response: ``(B, M, A)`` the receiver's final stochastic policy.
        final_sender_utility: ``(B,)`` exact expected utility of ``scheme`` against
            ``response`` (both stochastic).
        wall_time: seconds.
    """

    rounds: int
    curve: np.ndarray
    curve_rounds: np.ndarray
    tail_sender_utility: np.ndarray
    tail_receiver_utility: np.ndarray
    tail_scheme: np.ndarray
    scheme: np.ndarray
    response: np.ndarray
    final_sender_utility: np.ndarray
    wall_time: float


def _play_batch(game, sender, receiver, states, scale1, scale2):
    """One batch of ``n`` rounds with fixed policies; returns rewards and what was played."""
    messages = sender.send(states)
    policy = receiver_policy_table(receiver)
    if hasattr(receiver, "act_rounds"):
        actions = receiver.act_rounds(messages)
    else:
        actions = np.empty_like(messages)
        for j in range(states.shape[1]):
            actions[:, j] = receiver.act(messages[:, j])
    u1 = game.sender_utility[states, actions]
    u2 = game.receiver_utility[states, actions]
    sender.observe_receiver(policy[:, None], u2 / scale2)
    sender.record(states, messages, actions, u1 / scale1)
    return messages, actions, u1, u2


def _feed(receiver, messages, actions, rewards) -> None:
    if hasattr(receiver, "update_rounds"):
        receiver.update_rounds(messages, actions, rewards)
    else:
        for j in range(messages.shape[1]):
            receiver.update(messages[:, j], actions[:, j], rewards[:, j])


def train_lin_schedule(
    game: PersuasionGame,
    sender,
    receiver,
    *,
    rounds: int,
    runs: int,
    seed: int | np.random.Generator | None,
    bins: int = 100,
    tail_fraction: float = 0.2,
    configure=None,
    progress: bool = False,
) -> LinTrace:
    """Train ``sender`` (``signaling_gradient``) and ``receiver`` (``actor_critic``) on
    ``game`` with Lin et al.'s alternating schedule, ``runs`` runs at once.

    ``rounds`` is rounded up to a multiple of ``2 n`` (``n`` the sender's batch size, which
    must equal the receiver's); the sender must have ``schedule="alternate"`` (its default,
    ``"joint"``, is for the shared round, where the receiver learns from every batch).
    ``configure(sender)``, if given, runs after the reset (e.g.
    :meth:`SignalingGradientSender.set_constraints` for a grid of runs). Payoffs are
    observed divided by each side's ``max |u|``, as in the engine.
    """
    import time

    rounds = check_int(rounds, "rounds", minimum=1)
    runs = check_int(runs, "runs", minimum=1)
    n = sender.batch_size
    if getattr(sender, "schedule", "alternate") != "alternate":
        raise ValueError(
            "Lin et al.'s loop alternates critics and scheme: make the sender with "
            'schedule="alternate"'
        )
    if getattr(receiver, "batch_size", n) != n:
        raise ValueError(f"the receiver's batch_size must equal the sender's ({n})")
    iterations = -(-rounds // (2 * n))
    rounds = iterations * 2 * n
    root = make_rng(seed)
    env_rng, sender_rng, receiver_rng = root.spawn(3)
    n_messages = sender.messages_for(game)
    for agent, agent_rng in ((sender, sender_rng), (receiver, receiver_rng)):
        view = GameView.for_agent(game, agent, n_messages, horizon=rounds)
        agent.reset(view, runs=runs, rng=agent_rng)
    if configure is not None:
        configure(sender)
    scale1 = float(np.abs(game.sender_utility).max()) or 1.0
    scale2 = float(np.abs(game.receiver_utility).max()) or 1.0
    cumulative_prior = np.cumsum(game.prior)
    cumulative_prior[-1] = 1.0

    bins = max(1, min(bins, iterations))
    edges = np.linspace(0, iterations, bins + 1).round().astype(int)
    curve = np.zeros((bins, runs))
    tail_start = iterations - max(1, int(np.ceil(round(iterations * tail_fraction, 9))))
    tail = np.zeros((2, runs))
    tail_scheme = np.zeros_like(sender.policy())
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=rounds, unit="round", desc="signaling gradient (Lin et al. loop)")
    start = time.perf_counter()
    next_bin, bin_total = 0, np.zeros(runs)
    for it in range(iterations):
        u = env_rng.random((2, runs, n))
        all_states = (u[..., None] >= cumulative_prior).sum(axis=-1)
        total1, total2 = np.zeros(runs), np.zeros(runs)
        for half in range(2):
            messages, actions, u1, u2 = _play_batch(
                game, sender, receiver, all_states[half], scale1, scale2
            )
            if half == 0:  # the receiver learns from the first batch only
                _feed(receiver, messages, actions, u2 / scale2)
            total1 += u1.sum(axis=1)
            total2 += u2.sum(axis=1)
        bin_total += total1
        if it >= tail_start:
            tail[0] += total1
            tail[1] += total2
            tail_scheme += sender.policy()
        if it + 1 == edges[next_bin + 1]:
            curve[next_bin] = bin_total / ((edges[next_bin + 1] - edges[next_bin]) * 2 * n)
            bin_total = np.zeros(runs)
            next_bin += 1
        if bar is not None:
            bar.update(2 * n)
    wall = time.perf_counter() - start
    if bar is not None:
        bar.close()
    tail_iterations = iterations - tail_start
    scheme = sender.policy()
    response = receiver_policy_table(receiver)
    final_u1 = bayes.expected_utility(game.prior, scheme, response, game.sender_utility)
    return LinTrace(
        rounds=rounds,
        curve=curve,
        curve_rounds=edges[1:] * 2 * n,
        tail_sender_utility=tail[0] / (tail_iterations * 2 * n),
        tail_receiver_utility=tail[1] / (tail_iterations * 2 * n),
        tail_scheme=tail_scheme / tail_iterations,
        scheme=scheme,
        response=response,
        final_sender_utility=np.asarray(final_u1),
        wall_time=wall,
    )
