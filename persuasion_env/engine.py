"""The batched simulation engine of the repeated persuasion game (MODEL.md A4-A6).

:func:`simulate` plays ``runs`` independent copies of the repeated game at once: every
round, for all runs in one NumPy call each, a state is drawn from the prior, the sender sends
a message, the receiver acts, and both learn from their own payoffs. Agents keep their tables
with a leading runs axis (see :mod:`agents.base`), so a thousand runs cost little more than
one.

The result reports learning curves (binned means over runs), per-run summaries, the final
greedy policies and their exact expected utilities, next to the exact optimum of the game
(the commitment LP) - the learner never sees that optimum; it is for evaluation only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from persuasion_env import bayes, compiled
from persuasion_env._validation import (
    check_batch_size,
    check_bool,
    check_int,
    check_positive,
    make_rng,
)
from persuasion_env.game import PersuasionGame
from persuasion_env.protocols import GameView
from persuasion_env.registry import make_agent
from persuasion_env.rounds import CHUNK, RoundTables
from persuasion_env.solvers.commitment import cached_solve_commitment, full_information_value

__all__ = ["SimulationResult", "simulate", "resolve_agent", "TAIL_FRACTION"]

#: The share of the last rounds over which ``run_tail_sender_utility`` is averaged
#: (MODEL.md C1's metric for learned play: the last 20 % of rounds, rounded up).
TAIL_FRACTION = 0.2


@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate` returns.

    Attributes:
        final_sender_utility: ``(runs,)`` the sender's exact expected utility of each run's
            final greedy policies (sender's policy against the receiver's response to it).
        final_receiver_utility: ``(runs,)`` the receiver's, likewise.
        final_first_best_rate: ``(runs,)`` probability, under the final greedy policies, that
            the receiver takes an action maximising the sender's utility in the state (the
            reference code's "percent optimal" in cooperative games).
        sender_utility: ``(bins,)`` realised sender utility per round, mean over runs and over
            the rounds of each bin (in the game's units, before normalisation or noise).
        receiver_utility: ``(bins,)`` likewise for the receiver.
        first_best_rate: ``(bins,)`` share of rounds in which the receiver took an action that
            maximises the sender's utility in the realised state (in cooperative games,
            ``u1 = u2``, the "optimal joint action" of the reference code).
        obedience_rate: ``(bins,)`` share of rounds in which the receiver took the
            recommended action (NaN for senders whose messages are not recommendations).
        bin_edges: ``(bins + 1,)`` round indices delimiting the bins.
        run_sender_utility: ``(runs,)`` mean realised sender utility of each run.
        run_receiver_utility: ``(runs,)`` likewise for the receiver.
        run_obedience: ``(runs,)`` share of rounds each run's receiver obeyed (or NaN).
        sender_policy: ``(runs, S, M)`` final greedy messaging policies.
        receiver_policy: ``(runs, M, A)`` final greedy responses.
        run_game: ``(runs,)`` index of each run's game (all 0 for a single game).
        run_lp_value: ``(runs,)`` the exact optimum of each run's game.
        lp_value: the exact optimum of the game (:func:`solve_commitment`); the mean over
            games for a batch of several.
        first_best_value: ``sum_s p[s] max_a u1[s, a]``, the sender's unreachable ideal
            (likewise a mean for several games).
        rounds, runs, seed: the simulation's size and seed.
        wall_time: seconds spent simulating.
        run_tail_sender_utility: ``(runs,)`` mean realised sender utility of each run over
            its last ``ceil(TAIL_FRACTION * rounds)`` rounds (MODEL.md C1's metric).
        run_tail_receiver_utility: ``(runs,)`` likewise for the receiver.
    """

    final_sender_utility: np.ndarray
    final_receiver_utility: np.ndarray
    final_first_best_rate: np.ndarray
    sender_utility: np.ndarray
    receiver_utility: np.ndarray
    first_best_rate: np.ndarray
    obedience_rate: np.ndarray
    bin_edges: np.ndarray
    run_sender_utility: np.ndarray
    run_receiver_utility: np.ndarray
    run_obedience: np.ndarray
    sender_policy: np.ndarray = field(repr=False)
    receiver_policy: np.ndarray = field(repr=False)
    run_game: np.ndarray
    run_lp_value: np.ndarray
    lp_value: float
    first_best_value: float
    rounds: int
    runs: int
    seed: int | None
    wall_time: float
    sender: str = ""
    receiver: str = ""
    game: str = ""
    run_tail_sender_utility: np.ndarray | None = field(default=None, repr=False)
    run_tail_receiver_utility: np.ndarray | None = field(default=None, repr=False)

    @property
    def tail_rounds(self) -> int:
        """How many last rounds ``run_tail_sender_utility`` averages."""
        return tail_rounds(self.rounds)

    @property
    def ratio(self) -> float:
        """Mean final sender utility over the mean LP optimum."""
        lp = self.run_lp_value.mean()
        return float(self.final_sender_utility.mean() / lp) if lp else float("nan")

    @property
    def final_optimal(self) -> np.ndarray:
        """``(runs,)`` whether each run's final policies reach the LP optimum (within 1e-6)."""
        return self.final_sender_utility >= self.run_lp_value - 1e-6

    @property
    def rounds_per_second(self) -> float:
        """Simulated rounds (runs x rounds) per second of wall time."""
        return self.runs * self.rounds / self.wall_time if self.wall_time > 0 else float("inf")

    def summary(self) -> dict[str, Any]:
        """Headline numbers as a flat dict."""
        return {
            "sender": self.sender,
            "receiver": self.receiver,
            "game": self.game,
            "runs": self.runs,
            "rounds": self.rounds,
            "final_sender_utility": float(self.final_sender_utility.mean()),
            "final_receiver_utility": float(self.final_receiver_utility.mean()),
            "realised_sender_utility": float(self.run_sender_utility.mean()),
            "lp_value": self.lp_value,
            "ratio": self.ratio,
            "final_optimal_share": float(self.final_optimal.mean()),
            "obedience": float(np.nanmean(self.run_obedience))
            if np.isfinite(self.run_obedience).any()
            else float("nan"),
            "wall_time": self.wall_time,
        }


def tail_rounds(rounds: int) -> int:
    """``ceil(TAIL_FRACTION * rounds)``: the number of last rounds the tail metric averages."""
    # Rounded to 9 digits first so that 0.2 * 100 (20.000000000000004) counts as 20.
    return max(1, math.ceil(round(rounds * TAIL_FRACTION, 9)))


def _check_games(game: Any) -> tuple[PersuasionGame, ...]:
    games = (game,) if isinstance(game, PersuasionGame) else game
    if not isinstance(games, Sequence) or isinstance(games, str) or not games:
        raise TypeError(
            "game must be a PersuasionGame or a non-empty sequence of them, "
            f"got {type(game).__name__}"
        )
    for g in games:
        if not isinstance(g, PersuasionGame):
            raise TypeError(f"game must be a PersuasionGame, got {type(g).__name__}")
    if len({g.shape for g in games}) > 1:
        shapes = sorted({g.shape for g in games})
        raise ValueError(f"games of one batch must share their shape (S, A), got {shapes}")
    return tuple(games)


def resolve_agent(agent: Any, side: str) -> Any:
    """An agent object from an object or a registry name, checked to be a ``side`` agent."""
    if isinstance(agent, str):
        agent = make_agent(side, agent)
    if getattr(agent, "side", None) != side:
        raise TypeError(f"{side} must be a {side} agent or its registry name, got {agent!r}")
    if getattr(agent, "game", "repeated") != "repeated":
        raise ValueError(
            f"{side} {getattr(agent, 'name', agent)!r} plays the {agent.game} game, "
            "not the repeated persuasion game"
        )
    return agent


def _check_indices(values: np.ndarray, runs: int, upper: int, what: str, agent: Any) -> np.ndarray:
    """Validate what an agent returned: ``runs`` integers in ``[0, upper)``."""
    if (
        not isinstance(values, np.ndarray)
        or values.shape != (runs,)
        or values.dtype.kind not in "iu"
    ):
        values = np.asarray(values)
        raise ValueError(
            f"{agent.name} returned {what} of shape {values.shape} and dtype {values.dtype}; "
            f"expected integers of shape ({runs},)"
        )
    low, high = values.min(), values.max()
    if low < 0 or high >= upper:
        raise ValueError(f"{agent.name} returned {what} outside [0, {upper}): {low}..{high}")
    return values


def simulate(
    game: PersuasionGame | Sequence[PersuasionGame],
    sender: Any,
    receiver: Any,
    *,
    rounds: int,
    runs: int = 1,
    seed: int | np.random.Generator | None = None,
    normalize: bool = True,
    noise: float = 0.0,
    epoch: int = 100,
    bins: int = 100,
    progress: bool = False,
) -> SimulationResult:
    """Play ``runs`` independent copies of the repeated game for ``rounds`` rounds.

    Args:
        game: the stage game, or a sequence of G games of one shape: each is then played in
            ``runs`` runs of the same batch (B = G x runs, game-major order; agents must have
            ``batched_games``). Tournaments batch games this way.
        sender: a sender agent or its registry name (e.g. ``"info_q"``).
        receiver: a receiver agent or its registry name (e.g. ``"q_learning"``).
        rounds: rounds per run (>= 1).
        runs: independent runs per game (>= 1), simulated together.
        seed: seed of every random draw (states, noise, and the agents' own generators).
        normalize: divide the payoffs the agents *observe* by each side's ``max |u|`` (the
            reference code's convention, which optimistic initial values assume). Reported
            utilities are always in the game's units.
        noise: standard deviation of Gaussian noise added to observed (normalised) payoffs.
        epoch: receivers that see schemes are shown a per-round sender's current policy
            every ``epoch`` rounds (scheme-level senders: whenever they commit anew).
        bins: number of points of the learning curves.
        progress: show a progress bar (tqdm).

    Returns:
        A :class:`SimulationResult`.
    """
    games = _check_games(game)
    rounds = check_int(rounds, "rounds", minimum=1)
    runs_per_game = check_int(runs, "runs", minimum=1)
    epoch = check_int(epoch, "epoch", minimum=1)
    bins = min(check_int(bins, "bins", minimum=1), rounds)
    noise = check_positive(noise, "noise", allow_zero=True)
    normalize = check_bool(normalize, "normalize")
    progress = check_bool(progress, "progress")
    sender = resolve_agent(sender, "sender")
    receiver = resolve_agent(receiver, "receiver")
    if len(games) > 1:
        for agent in (sender, receiver):
            if not getattr(agent, "batched_games", False):
                raise ValueError(
                    f"{agent.side} {agent.name!r} cannot play a batch of different games; "
                    "simulate one game at a time"
                )

    n_games = len(games)
    runs = n_games * runs_per_game
    n_messages = check_int(sender.messages_for(games[0]), "sender's n_messages", minimum=1)
    n_states, n_actions = games[0].shape
    label = "runs" if n_games == 1 else "runs x len(game)"
    check_batch_size(runs, n_states * max(n_actions, n_messages), label)
    run_game = np.repeat(np.arange(n_games), runs_per_game)
    # Agents see one game per run (or a single game, which broadcasts).
    batch = [games[g] for g in run_game] if n_games > 1 else games[0]
    root = make_rng(seed)
    env_rng, sender_rng, receiver_rng = root.spawn(3)
    sender.reset(GameView.for_agent(batch, sender, n_messages), runs=runs, rng=sender_rng)
    receiver.reset(GameView.for_agent(batch, receiver, n_messages), runs=runs, rng=receiver_rng)

    tables = RoundTables(games, run_game, normalize=normalize)
    flat_u1, flat_u2, flat_first_best = tables.flat_u1, tables.flat_u2, tables.flat_first_best
    scale1, scale2 = tables.scale1, tables.scale2
    recommends = bool(getattr(sender, "recommends", False))
    per_round_sender = sender.level != "scheme"
    shows_scheme = receiver.needs_scheme
    shows_states = receiver.observes_state
    rows = np.arange(runs)

    edges = np.linspace(0, rounds, bins + 1).round().astype(int)
    # Per-run running totals; the learning curves are their increments over each bin.
    totals = np.zeros((4, runs))  # sender utility, receiver utility, first best, obeyed
    curve_points = np.zeros((4, bins))
    next_bin, last_totals = 0, np.zeros(4)
    tail_start = rounds - tail_rounds(rounds)
    tail_base = np.zeros((2, runs))  # the utility totals when the tail begins
    shown_version = -1

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=rounds, unit="round", desc=f"{sender.name} vs {receiver.name}")
    start = time.perf_counter()
    # ---- issue 15: the compiled path. When both agents offer compiled steps (the built-in
    # tabular agents do), all rounds are played in compiled stretches that mirror the loop
    # below draw for draw (same seed, same results); otherwise the ordinary Python loop.
    steps = compiled.steps_for(sender, receiver)
    if steps is not None:
        compiled.play_match(
            sender,
            receiver,
            steps,
            tables=tables,
            env_rng=env_rng,
            rounds=rounds,
            noise=noise,
            epoch=epoch,
            edges=edges,
            totals=totals,
            curve_points=curve_points,
            tail_start=tail_start,
            tail_base=tail_base,
            bar=bar,
        )
    # ---- end of the compiled path
    for chunk_start in range(0, rounds if steps is None else 0, CHUNK):
        chunk = min(CHUNK, rounds - chunk_start)
        states_chunk = tables.draw_states(env_rng, chunk)
        if noise > 0:
            noise_chunk = noise * env_rng.standard_normal((chunk, 2, runs))
        for k in range(chunk):
            t = chunk_start + k
            if t == tail_start:
                tail_base = totals[:2].copy()
            states = states_chunk[k]
            messages = _check_indices(sender.act(states), runs, n_messages, "messages", sender)
            if shows_scheme:
                if per_round_sender:
                    if t % epoch == 0:
                        receiver.observe_scheme(sender.policy())
                elif sender.policy_version != shown_version:
                    receiver.observe_scheme(sender.policy())
                    shown_version = sender.policy_version
            actions = _check_indices(receiver.act(messages), runs, n_actions, "actions", receiver)
            cell = tables.cells(states, actions)
            true_u1 = flat_u1[cell]
            true_u2 = flat_u2[cell]
            r1 = true_u1 / scale1
            r2 = true_u2 / scale2
            if noise > 0:
                r1 += noise_chunk[k, 0]
                r2 += noise_chunk[k, 1]
            sender.update(states, messages, actions, r1)
            receiver.update(messages, actions, r2)
            if shows_states:
                receiver.observe_states(messages, states)

            totals[0] += true_u1
            totals[1] += true_u2
            totals[2] += flat_first_best[cell]
            if recommends:
                totals[3] += actions == sender.recommendations()[rows, messages]
            if t + 1 == edges[next_bin + 1]:
                now = totals.sum(axis=1)
                curve_points[:, next_bin] = now - last_totals
                last_totals = now
                next_bin += 1
        if bar is not None:
            bar.update(chunk)
    wall = time.perf_counter() - start
    if bar is not None:
        bar.close()

    # Final greedy policies, evaluated exactly. A receiver that sees schemes responds to the
    # sender's final policy.
    sender_policy = np.asarray(sender.policy(), dtype=np.float64)
    if shows_scheme:
        receiver.observe_scheme(sender_policy)
    receiver_policy = np.asarray(receiver.policy(), dtype=np.float64)
    run_prior = tables.priors[run_game]
    final_u1, final_u2 = bayes.expected_utilities(
        run_prior,
        sender_policy,
        receiver_policy,
        tables.sender_utility[run_game],
        tables.receiver_utility[run_game],
    )
    final_first_best = bayes.expected_utility(
        run_prior, sender_policy, receiver_policy, tables.first_best[run_game].astype(np.float64)
    )
    game_lp = np.array([cached_solve_commitment(g).sender_value for g in games])
    game_first_best = np.array([full_information_value(g) for g in games])

    curves = curve_points / (np.diff(edges) * runs)
    if not recommends:
        curves[3] = np.nan
    return SimulationResult(
        final_sender_utility=np.asarray(final_u1),
        final_receiver_utility=np.asarray(final_u2),
        final_first_best_rate=np.asarray(final_first_best),
        sender_utility=curves[0],
        receiver_utility=curves[1],
        first_best_rate=curves[2],
        obedience_rate=curves[3],
        bin_edges=edges,
        run_sender_utility=totals[0] / rounds,
        run_receiver_utility=totals[1] / rounds,
        run_obedience=totals[3] / rounds if recommends else np.full(runs, np.nan),
        sender_policy=sender_policy,
        receiver_policy=receiver_policy,
        run_game=run_game,
        run_lp_value=game_lp[run_game],
        lp_value=float(game_lp.mean()),
        first_best_value=float(game_first_best.mean()),
        rounds=rounds,
        runs=runs,
        seed=seed if isinstance(seed, int) else None,
        wall_time=wall,
        sender=sender.name,
        receiver=receiver.name,
        game=games[0].name if n_games == 1 else f"{n_games} games",
        run_tail_sender_utility=(totals[0] - tail_base[0]) / tail_rounds(rounds),
        run_tail_receiver_utility=(totals[1] - tail_base[1]) / tail_rounds(rounds),
    )
