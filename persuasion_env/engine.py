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
from persuasion_env.match import ChunkedStates, Match, resolve_agent
from persuasion_env.protocols import GameView
from persuasion_env.rounds import CHUNK, RoundTables
from persuasion_env.solvers.commitment import cached_solve_commitment
from persuasion_env.solvers.values import full_information_value

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
        run_sender_curve: ``(runs, bins)`` each run's realised sender utility per bin (its
            mean over runs is ``sender_utility``), for confidence bands across runs.
        options: the observation options of the run (``normalize``, ``noise``, ``epoch``),
            so that a reference can replay the learner in the same conditions.
        best_fixed: the best fixed scheme in hindsight against this result's receiver
            (a :class:`persuasion_env.references.BestFixedScheme`), or ``None`` until
            :func:`persuasion_env.references.with_references` attaches it. Evaluation only:
            no agent of the run saw it.
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
    options: dict[str, Any] = field(default_factory=dict, repr=False)
    run_sender_curve: np.ndarray | None = field(default=None, repr=False)
    best_fixed: Any = field(default=None, repr=False)

    @property
    def tail_rounds(self) -> int:
        """How many last rounds ``run_tail_sender_utility`` averages."""
        return tail_rounds(self.rounds)

    @property
    def tail_sender_utility(self) -> float:
        """MODEL.md C1's metric: the sender's realised utility over the last 20 % of rounds,
        mean over runs."""
        return float(np.mean(self.run_tail_sender_utility))

    @property
    def best_fixed_value(self) -> float:
        """The best fixed scheme's realised value (same metric, same seed, same rounds);
        needs :func:`persuasion_env.references.with_references`."""
        return float(self._require_best_fixed().value)

    @property
    def regret(self) -> float:
        """``best_fixed_value - tail_sender_utility``: what the learned sender left on the
        table over the last 20 % of rounds, per round (negative when it beat the family)."""
        return self.best_fixed_value - self.tail_sender_utility

    @property
    def ratio_best_fixed(self) -> float:
        """``tail_sender_utility / best_fixed_value`` (NaN when the best fixed value is 0)."""
        best = self.best_fixed_value
        return self.tail_sender_utility / best if best else float("nan")

    def regret_curve(self, reference: str | float = "best_fixed") -> tuple[np.ndarray, np.ndarray]:
        """Cumulative regret ``R(T) = sum_{t < T} (v_ref - u1_t)`` at the learning curves'
        bin ends (MODEL.md C1), mean over runs.

        ``u1_t`` is the realised sender utility of round ``t``; the curves hold its mean over
        each bin's rounds and the runs, so ``R`` is exact at the bin ends ``T =
        bin_edges[1:]`` (not in between). ``v_ref`` is ``"best_fixed"`` (the best fixed
        scheme's realised tail mean: the achievable reference; needs
        :func:`~persuasion_env.references.with_references`), ``"lp"`` (the LP value: the
        optimistic one; per game, averaged over the runs for a batch) or a number. Plot
        ``R`` against ``T`` on log-log axes: a slope below 1 is sublinear regret.

        Returns:
            ``(T, R)``, two ``(bins,)`` arrays.
        """
        if isinstance(reference, str):
            if reference == "best_fixed":
                value = self.best_fixed_value
            elif reference == "lp":
                value = float(np.mean(self.run_lp_value))
            else:
                raise ValueError(
                    f"reference must be 'best_fixed', 'lp' or a number, got {reference!r}"
                )
        elif isinstance(reference, int | float) and not isinstance(reference, bool):
            value = float(reference)
            if not math.isfinite(value):
                raise ValueError(f"reference must be finite, got {reference!r}")
        else:
            raise TypeError(
                f"reference must be 'best_fixed', 'lp' or a number, got {type(reference).__name__}"
            )
        widths = np.diff(self.bin_edges)
        return self.bin_edges[1:].copy(), np.cumsum((value - self.sender_utility) * widths)

    def _require_best_fixed(self) -> Any:
        if self.best_fixed is None:
            raise ValueError(
                "this result has no reference: attach one with "
                "persuasion_env.with_references(result, game, receiver)"
            )
        return self.best_fixed

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
            **(
                {
                    "tail_sender_utility": self.tail_sender_utility,
                    "best_fixed_value": self.best_fixed_value,
                    "best_fixed_scheme": self.best_fixed.name,
                    "regret": self.regret,
                    "ratio_best_fixed": self.ratio_best_fixed,
                }
                if self.best_fixed is not None
                else {}
            ),
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
        rounds: rounds per run (>= 1); both agents are told it as ``GameView.horizon``.
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
    setup = _prepare(
        game,
        sender,
        receiver,
        rounds=rounds,
        runs=runs,
        seed=seed,
        normalize=normalize,
        noise=noise,
        epoch=epoch,
        bins=bins,
        progress=progress,
    )
    ledger, wall = _play(setup)
    return _evaluate(setup, ledger, wall, seed)


# ------------------------------------------------------------------------------ prepare


@dataclass
class _Setup:
    """A simulation ready to play: the checked arguments, the reset agents and the match."""

    games: tuple[PersuasionGame, ...]
    run_game: np.ndarray
    rounds: int
    runs: int
    bins: int
    progress: bool
    match: Match
    options: dict[str, Any]  # the observation options, kept by the result (references)


def _prepare(
    game: Any,
    sender: Any,
    receiver: Any,
    *,
    rounds: Any,
    runs: Any,
    seed: Any,
    normalize: Any,
    noise: Any,
    epoch: Any,
    bins: Any,
    progress: Any,
) -> _Setup:
    """Check the arguments, reset both agents and build the match (one generator for the
    states and noise, one for each agent, spawned in that order from ``seed``)."""
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
    # Both sides are told the horizon (the match's rounds), as any schedule is known.
    for agent, agent_rng in ((sender, sender_rng), (receiver, receiver_rng)):
        view = GameView.for_agent(batch, agent, n_messages, horizon=rounds)
        agent.reset(view, runs=runs, rng=agent_rng)

    tables = RoundTables(games, run_game, normalize=normalize)
    match = Match(
        tables,
        sender,
        receiver,
        n_messages=n_messages,
        states=ChunkedStates(tables, env_rng, noise=noise, horizon=rounds),
        epoch=epoch,
    )
    options = {"normalize": normalize, "noise": noise, "epoch": epoch}
    return _Setup(games, run_game, rounds, runs, bins, progress, match, options)


# --------------------------------------------------------------------------------- play


class _Ledger:
    """The engine's bookkeeping, called after every round: per-run running totals of the
    sender's and receiver's utilities, first-best actions and obeyed recommendations; the
    learning curves are their increments over each bin, the tail metric their increment over
    the last rounds."""

    def __init__(self, setup: _Setup) -> None:
        rounds, runs, match = setup.rounds, setup.runs, setup.match
        self.recommends = bool(getattr(match.sender, "recommends", False))
        self.flat_first_best = match.tables.flat_first_best
        self.rows = np.arange(runs)
        self.edges = np.linspace(0, rounds, setup.bins + 1).round().astype(int)
        self.totals = np.zeros((4, runs))  # sender utility, receiver utility, first best, obeyed
        self.curve_points = np.zeros((4, setup.bins))
        self.run_curve = np.zeros((runs, setup.bins))  # each run's sender utility at bin ends
        self.next_bin, self.last_totals = 0, np.zeros(4)
        self.tail_start = rounds - tail_rounds(rounds)
        self.tail_base = np.zeros((2, runs))  # the utility totals when the tail begins

    def __call__(self, match: Match) -> None:
        totals = self.totals
        totals[0] += match.u1
        totals[1] += match.u2
        totals[2] += self.flat_first_best[match.cells]
        if self.recommends:
            totals[3] += match.actions == match.sender.recommendations()[self.rows, match.messages]
        t = match.t  # rounds played
        if t == self.tail_start:
            self.tail_base = totals[:2].copy()
        if t == self.edges[self.next_bin + 1]:
            now = totals.sum(axis=1)
            self.curve_points[:, self.next_bin] = now - self.last_totals
            self.run_curve[:, self.next_bin] = totals[0]
            self.last_totals = now
            self.next_bin += 1


def _play(setup: _Setup) -> tuple[_Ledger, float]:
    """Play every round, keeping the ledger; returns it and the wall time."""
    ledger = _Ledger(setup)
    match, rounds = setup.match, setup.rounds
    bar = None
    if setup.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=rounds, unit="round", desc=f"{match.sender.name} vs {match.receiver.name}")
    start = time.perf_counter()
    # The compiled path (issue 15): when both agents offer compiled steps (the built-in
    # tabular agents do), every round is played in compiled stretches that mirror
    # Match.play draw for draw (same seed, same results) and fill the same ledger; otherwise
    # the round of persuasion_env.match, one Python call per round.
    steps = None if match.reads_receiver else compiled.steps_for(match.sender, match.receiver)
    if steps is not None:
        compiled.play_match(
            match.sender,
            match.receiver,
            steps,
            tables=match.tables,
            env_rng=match.stream.rng,
            rounds=rounds,
            noise=setup.options["noise"],
            epoch=setup.options["epoch"],
            edges=ledger.edges,
            totals=ledger.totals,
            curve_points=ledger.curve_points,
            run_curve=ledger.run_curve,
            tail_start=ledger.tail_start,
            tail_base=ledger.tail_base,
            bar=bar,
        )
    else:
        for chunk_start in range(0, rounds, CHUNK):
            chunk = min(CHUNK, rounds - chunk_start)
            match.play(chunk, ledger)
            if bar is not None:
                bar.update(chunk)
    wall = time.perf_counter() - start
    if bar is not None:
        bar.close()
    return ledger, wall


# ----------------------------------------------------------------------------- evaluate


def _evaluate(setup: _Setup, ledger: _Ledger, wall: float, seed: Any) -> SimulationResult:
    """The final greedy policies, evaluated exactly, next to the game's optimum; the learning
    curves and per-run summaries from the ledger."""
    match, games, run_game = setup.match, setup.games, setup.run_game
    sender, receiver, tables = match.sender, match.receiver, match.tables
    rounds, runs = setup.rounds, setup.runs
    # A receiver that sees schemes responds to the sender's final policy.
    sender_policy = np.asarray(sender.policy(), dtype=np.float64)
    if receiver.needs_scheme:
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

    totals, tail_base, recommends = ledger.totals, ledger.tail_base, ledger.recommends
    curves = ledger.curve_points / (np.diff(ledger.edges) * runs)
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
        bin_edges=ledger.edges,
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
        game=games[0].name if len(games) == 1 else f"{len(games)} games",
        run_tail_sender_utility=(totals[0] - tail_base[0]) / tail_rounds(rounds),
        run_tail_receiver_utility=(totals[1] - tail_base[1]) / tail_rounds(rounds),
        options=setup.options,
        run_sender_curve=np.diff(ledger.run_curve, axis=1, prepend=0.0) / np.diff(ledger.edges),
    )
