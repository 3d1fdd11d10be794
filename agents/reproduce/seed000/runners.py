"""The experiments' runners: one batch of games of one size in, one row per game (and
receiver / number of messages) out."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from agents.reproduce.seed000.settings import (
    BASELINES,
    DEFAULT_IMPLICIT_RECEIVERS,
    EVALUATION_EPOCHS,
    IMPLICIT_RECEIVERS,
    MESSAGE_COUNTS,
    MILP_MAX_SIZE,
    _config,
    _implicit_epoch,
)
from persuasion_env.game import stack_games


def make_game(size: int, game: int, seed: int):
    """Game ``game`` of size ``size x size``: ``u1, u2 ~ U[0, 1]``, uniform prior."""
    from persuasion_env.game import PersuasionGame

    rng = np.random.default_rng([seed, size, game])
    return PersuasionGame.random(size, size, seed=rng, name=f"random-{size}x{size}-g{game}")


def _learner_seeds(seed: int, size: int, ids: Sequence[int], salt: int = 1) -> list:
    """One Generator per game for the learner's own draws (independent of the batch)."""
    return [np.random.default_rng([seed, size, g, salt]) for g in ids]


def _lp_values(games) -> np.ndarray:
    from persuasion_env.solvers.commitment import solve_commitment

    return np.array([solve_commitment(g).sender_value for g in games])


def _true_values(games, schemes: np.ndarray) -> np.ndarray:
    """``U1`` of each game's scheme against the true best response (A1's tie rule)."""
    from persuasion_env import bayes

    prior, u1, u2 = stack_games(games)
    response = bayes.best_response_matrix(prior, schemes, u2, u1)
    return bayes.expected_utility(prior, schemes, response, u1)


def _run_warmup(games, ids, size, seed, quick, extras) -> list[dict[str, Any]]:
    from agents.senders.tablenet import learn_warmup

    config = _config("warmup", size, quick)
    start = time.perf_counter()
    result = learn_warmup(games, config=config, seeds=_learner_seeds(seed, size, ids))
    elapsed = time.perf_counter() - start
    lp = _lp_values(games)
    true = _true_values(games, result.schemes)
    if size == 8 or (quick and not extras.get("curve")):
        extras["curve"] = (size, result.curve, lp.mean())
    return [
        dict(
            size=size,
            game=g,
            learned_value=true[i],
            predicted_value=result.predicted_values[i],
            lp_value=lp[i],
            ratio=true[i] / lp[i],
            lam=config.lam,
            restarts=config.restarts,
            time_s=elapsed / len(ids),
        )
        for i, g in enumerate(ids)
    ]


def _run_explicit(games, ids, size, seed, quick, extras, n_messages=None) -> list[dict]:
    from agents.senders.tablenet import BestResponseOracle, run_algorithm1

    config = _config("explicit", size, quick)
    prior, u1, _ = stack_games(games)
    start = time.perf_counter()
    result = run_algorithm1(
        BestResponseOracle(games),
        prior,
        u1,
        n_messages=n_messages,
        config=config,
        seeds=_learner_seeds(seed, size, ids, salt=2 if n_messages is None else 100 + n_messages),
    )
    elapsed = time.perf_counter() - start
    lp = _lp_values(games)
    true = _true_values(games, result.schemes)
    return [
        dict(
            size=size,
            game=g,
            learned_value=true[i],
            predicted_value=result.predicted_values[i],
            lp_value=lp[i],
            ratio=true[i] / lp[i],
            train_accuracy=result.train_accuracy[i],
            test_accuracy=result.test_accuracy[i],
            rounds=int(result.rounds[i]),
            stopped=bool(result.stopped[i]),
            epochs=result.epochs,
            time_s=elapsed / len(ids),
        )
        for i, g in enumerate(ids)
    ]


def _run_messages(games, ids, size, seed, quick, extras) -> list[dict[str, Any]]:
    import warnings

    from persuasion_env.solvers.commitment import SolverTimeLimitWarning, solve_commitment

    rows = []
    counts = [k for k in MESSAGE_COUNTS if k <= size] if not quick else [1, 2, size]
    counts = sorted(set(counts) | {size})
    time_limit = 2.0 if quick else 20.0
    for k in counts:
        explicit = _run_explicit(games, ids, size, seed, quick, extras, n_messages=k)
        for row, game in zip(explicit, games, strict=True):
            if size > MILP_MAX_SIZE:  # the MILP does not solve in reasonable time there
                row.update(n_messages=k, milp_value=math.nan, milp_status="not_run")
                row.update(milp_time_s=math.nan, ratio_to_milp=math.nan)
                rows.append(row)
                continue
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SolverTimeLimitWarning)
                exact = solve_commitment(game, n_messages=k, time_limit=time_limit)
            row.update(
                n_messages=k,
                milp_value=exact.sender_value,
                milp_status=exact.status,
                milp_time_s=time.perf_counter() - start,
                ratio_to_milp=row["learned_value"] / exact.sender_value
                if exact.sender_value > 0
                else math.nan,
            )
            rows.append(row)
    return rows


def _run_implicit(games, ids, size, seed, quick, extras) -> list[dict[str, Any]]:
    """TableNet against each learning receiver, and the three baselines on the same games.

    Every method's final scheme is scored the same way (:func:`learner_response`): a fresh
    receiver of the row's kind plays it for ``EVALUATION_EPOCHS`` epochs and the sender's
    utility against its action frequencies is the *actual* value. The baselines' own
    in-play value (their final greedy policies against their own receiver's, where that
    receiver may not yet have answered the final scheme) is kept beside it, and every scheme
    is also scored against the true best response.
    """
    from agents import make_receiver

    lp = _lp_values(games)
    baselines = _run_baselines(games, ids, size, seed, quick)
    config = _config("implicit", size, quick)
    epoch = _implicit_epoch(size, quick)
    labels = extras.get("receivers", DEFAULT_IMPLICIT_RECEIVERS)
    rows = []
    for label in labels:
        r_index = list(IMPLICIT_RECEIVERS).index(label)  # stable seeds whatever the selection
        receiver_name, options = IMPLICIT_RECEIVERS[label]
        start = time.perf_counter()
        result = _learn_implicit(
            games,
            make_receiver(receiver_name, **options),
            epoch,
            config,
            oracle_entropy=[seed, size, min(ids), 7, r_index],
            learner_seeds=_learner_seeds(seed, size, ids, salt=3 + r_index),
        )
        elapsed = time.perf_counter() - start

        receiver = make_receiver(receiver_name, **options)  # copied by each evaluation
        rounds = EVALUATION_EPOCHS * epoch
        evaluation_seeds = [[seed, size, min(ids), 8, r_index, k] for k in range(4)]
        learned = _actual_values(games, result.schemes, receiver, rounds, evaluation_seeds[0])
        against_baselines = {
            name: _actual_values(games, baselines[name]["scheme"], receiver, rounds, entropy)
            for name, entropy in zip(BASELINES, evaluation_seeds[1:], strict=True)
        }
        best_response = _true_values(games, result.schemes)
        for i, g in enumerate(ids):
            row = dict(
                size=size,
                game=g,
                receiver=label,
                learned_value=learned[i],
                predicted_value=result.predicted_values[i],
                observed_value=result.observed_values[i],
                best_response_value=best_response[i],
                lp_value=lp[i],
                ratio=learned[i] / lp[i],
                train_accuracy=result.train_accuracy[i],
                test_accuracy=result.test_accuracy[i],
                rounds=int(result.rounds[i]),
                epochs=result.epochs,
                epoch_rounds=epoch,
                time_s=elapsed / len(ids),
            )
            for name in BASELINES:
                row[name] = against_baselines[name][i]
                row[f"{name}_in_play"] = baselines[name]["in_play"][i]
                row[f"{name}_best_response"] = baselines[name]["best_response"][i]
            rows.append(row)
    return rows


def _learn_implicit(games, receiver, epoch: int, config, *, oracle_entropy, learner_seeds):
    """Algorithm 1 against ``receiver``, which keeps learning across epochs of ``epoch``
    rounds; the action counts of each epoch's second half are what the sender reads."""
    from agents.senders.tablenet import LearningReceiverOracle, run_algorithm1

    prior, u1, _ = stack_games(games)
    oracle = LearningReceiverOracle(
        games,
        receiver,
        epoch_rounds=epoch,
        observe_fraction=0.5,
        seed=np.random.default_rng(oracle_entropy),
    )
    return run_algorithm1(oracle, prior, u1, config=config, seeds=learner_seeds)


def _actual_values(games, schemes: np.ndarray, receiver, rounds: int, entropy) -> np.ndarray:
    """``U1`` of each game's scheme against a fresh learner's settled play."""
    from agents.senders.tablenet import learner_response
    from persuasion_env import bayes

    prior, u1, _ = stack_games(games)
    response = learner_response(
        games, schemes, receiver, rounds=rounds, seed=np.random.default_rng(entropy)
    )
    return bayes.expected_utility(prior, schemes, response, u1)


def _run_baselines(games, ids, size, seed, quick) -> dict[str, dict[str, np.ndarray]]:
    """Seed 000's baselines on the same games, through the engine (one batch of games):
    each one's final scheme, its in-play value and its value against the best response."""
    from persuasion_env import simulate

    rounds = 500 if quick else 50_000
    values = {}
    for name, (sender, receiver) in BASELINES.items():
        result = simulate(
            list(games),
            sender,
            receiver,
            rounds=rounds,
            runs=1,
            seed=np.random.default_rng([seed, size, min(ids), 11]),
        )
        values[name] = {
            "scheme": result.sender_policy,
            "in_play": np.asarray(result.final_sender_utility, dtype=float),
            "best_response": _true_values(games, result.sender_policy),
        }
    return values


_RUNNERS: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "warmup": _run_warmup,
    "explicit": _run_explicit,
    "implicit": _run_implicit,
    "messages": _run_messages,
}
