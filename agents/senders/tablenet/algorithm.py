"""Algorithm 1 of seed 000 (:func:`algorithm1`, a coroutine) and :func:`run_algorithm1`,
which drives it against a response oracle."""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from agents.senders.tablenet.config import TableNetConfig
from agents.senders.tablenet.models import ReceiverModel, TableNet, _model_response
from agents.senders.tablenet.optimisation import finalise, fit_receiver_model, optimise_scheme
from agents.senders.tablenet.problems import (
    _init_logits,
    _messages_internal,
    _restricted_factors,
    _rngs,
)
from agents.senders.tablenet.torch_math import expected_utility_t
from persuasion_env import bayes
from persuasion_env._validation import (
    as_float_array,
    check_int,
)


@dataclass
class Algorithm1Result:
    """Outcome of Algorithm 1 per problem (arrays over the G problems).

    Attributes:
        schemes: ``(G, S, M)`` the committed final schemes.
        observed_values: R of the final scheme when it was played (the sender's own measure).
        predicted_values: R_hat of the final scheme (the model's prediction).
        rounds: optimise-play-refit rounds run (Algorithm 1's while loop).
        stopped: whether ``|R - R_hat| <= E`` was reached.
        epochs: schemes played in total (queries + rounds).
        train_accuracy, test_accuracy: the receiver model's accuracy (argmax of the
            prediction vs. argmax of the observed counts) on the random queries used for
            training and on the held-out ones, after the final fit.
        history: per round, ``(R, R_hat)`` arrays ``(G,)``.
    """

    schemes: np.ndarray
    observed_values: np.ndarray
    predicted_values: np.ndarray
    rounds: np.ndarray
    stopped: np.ndarray
    epochs: int
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    history: list = field(default_factory=list)


def _random_queries(
    rngs: Sequence[np.random.Generator], n_states: int, n_messages: int, index: int, config
) -> np.ndarray:
    """Random query schemes ``(G, S, M)``: rows from a flat Dirichlet whose concentration
    cycles through ``config.query_concentrations``."""
    alpha = config.query_concentrations[index % len(config.query_concentrations)]
    schemes = np.stack([rng.dirichlet(np.full(n_messages, alpha), size=n_states) for rng in rngs])
    # Dirichlet draws with small alpha can underflow to exact zeros and rows to 0/0 -> nan.
    schemes = np.nan_to_num(schemes, nan=0.0)
    dead = schemes.sum(axis=-1) <= 0
    schemes[dead] = 1.0 / n_messages
    return schemes / schemes.sum(axis=-1, keepdims=True)


def _accuracy(
    model: ReceiverModel, prior: torch.Tensor, columns: torch.Tensor, counts: torch.Tensor
) -> np.ndarray:
    """Per problem: the probability that the model's argmax is the receiver's (most frequent)
    action in a round played under the given columns' schemes, i.e. the accuracy over the
    observed columns weighted by their message probability ``P(m) = sum_s p[s] pi[s, m]``."""
    with torch.no_grad():
        predicted = model.logits(prior, columns).argmax(dim=-1)
        weight = (prior.unsqueeze(-2) * columns).sum(dim=-1) * (counts.sum(dim=-1) > 0)
        hit = (predicted == counts.argmax(dim=-1)) * weight
        return (hit.sum(dim=-1) / weight.sum(dim=-1).clamp_min(1e-30)).double().numpy()


def algorithm1(
    prior: np.ndarray,
    sender_utility: np.ndarray,
    *,
    n_messages: int | None = None,
    config: TableNetConfig | None = None,
    seeds: Sequence[int | np.random.Generator] | int = 0,
) -> Generator[np.ndarray, np.ndarray, Algorithm1Result]:
    """Algorithm 1 of seed 000 as a coroutine, batched over G problems.

    Drive it like this (see :func:`run_algorithm1`)::

        gen = algorithm1(prior, u1, config=config)
        schemes = next(gen)                     # (G, S, M): play these for an epoch
        while True:
            counts = play(schemes)              # (G, M, A): the receiver's observed actions
            try:
                schemes = gen.send(counts)
            except StopIteration as stop:
                result = stop.value             # an Algorithm1Result
                break

    Args:
        prior: ``(G, S)`` priors; ``sender_utility``: ``(G, S, A)`` the sender's ``u1``.
        n_messages: M (default A).
        config: hyperparameters.
        seeds: per-problem seeds or one int.

    Counts may be frequencies (exact oracles) or numbers of observed rounds; a column with
    no observation carries no data.
    """
    config = config or TableNetConfig()
    prior_np = as_float_array(prior, "prior", ndim=2)
    u1_np = as_float_array(sender_utility, "sender_utility", ndim=3)
    g, n_states, n_actions = u1_np.shape
    if prior_np.shape != (g, n_states):
        raise ValueError(f"prior must have shape {(g, n_states)}, got {prior_np.shape}")
    n_messages = n_actions if n_messages is None else check_int(n_messages, "n_messages", minimum=1)
    rngs = _rngs(seeds, g)
    dtype = config.torch_dtype
    prior_t, u1_t = torch.tensor(prior_np, dtype=dtype), torch.tensor(u1_np, dtype=dtype)

    def to_columns(schemes: np.ndarray) -> torch.Tensor:
        return torch.tensor(schemes, dtype=dtype).transpose(-1, -2)  # (G, M, S)

    def check_counts(counts: Any) -> torch.Tensor:
        counts = as_float_array(counts, "counts", ndim=3)
        if counts.shape != (g, n_messages, n_actions):
            raise ValueError(
                f"counts must have shape {(g, n_messages, n_actions)}, got {counts.shape}"
            )
        return torch.tensor(counts, dtype=dtype)

    # ---- 1. random queries: play them, collect D ---------------------------------------
    restart_factor, query_factor = _restricted_factors(n_messages, n_actions)
    n_queries = config.n_queries or 30 * n_states * query_factor
    n_test = int(round(config.test_fraction * n_queries)) if n_queries > 1 else 0
    n_train = n_queries - n_test
    columns: list[torch.Tensor] = []
    counts: list[torch.Tensor] = []
    probe_columns: list[torch.Tensor] = []
    test_counts: list[torch.Tensor] = []
    for i in range(n_queries):
        schemes = _random_queries(rngs, n_states, n_messages, i, config)
        observed = check_counts((yield schemes))
        (columns if i < n_train else probe_columns).append(to_columns(schemes))
        (counts if i < n_train else test_counts).append(observed)
    query_columns, query_counts = torch.cat(columns, dim=1), torch.cat(counts, dim=1)

    # ---- 2. fit the receiver model ------------------------------------------------------
    model = ReceiverModel(g, n_states, n_actions, config.hidden, rng=rngs[0], dtype=dtype)
    fit_receiver_model(
        model,
        prior_t,
        query_columns,
        query_counts,
        steps=config.model_steps,
        lr=config.model_lr,
        weight_decay=config.weight_decay,
        optimizer=config.model_optimizer,
    )

    # ---- 3. optimise the sender, play, compare, refit ------------------------------------
    m_int = _messages_internal(n_messages, n_actions, config)
    restarts = config.restarts * restart_factor
    tablenet = TableNet(_init_logits(rngs, (restarts, n_states, m_int), config.init_scale, dtype))
    stopped = np.zeros(g, dtype=bool)
    rounds = np.zeros(g, dtype=int)
    final = np.zeros((g, n_states, n_messages))
    final_r = np.full(g, -np.inf)
    final_rhat = np.zeros(g)
    history: list = []
    epochs = n_queries
    for k in range(config.max_rounds):
        if config.sharpen:
            spread = model.logit_spread(prior_t).clamp_min(1e-6)[:, None, None]  # (G, 1, 1)
        else:  # the model as fitted: start = end = 1
            spread = torch.ones(g, 1, 1, dtype=dtype)
            config = replace(config, sharpness_start=1.0, sharpness_end=1.0)
        best = optimise_scheme(
            tablenet,
            model,
            prior_t,
            u1_t,
            steps=config.sender_steps if k == 0 else config.finetune_steps,
            lr=config.sender_lr if k == 0 else config.finetune_lr,
            lr_final=config.sender_lr_final,
            temperature_start=(config.sharpness_start if k == 0 else config.sharpness_end) / spread,
            temperature_end=config.sharpness_end / spread,
            eval_every=config.eval_every,
            hard=config.sharpen,
        )
        # Play the best snapshots of the `candidates` best restarts, one epoch each.
        round_r = np.full(g, -np.inf)
        round_rhat = np.zeros(g)
        round_schemes = np.zeros_like(final)
        for rank in range(min(config.candidates, restarts)):
            candidate = finalise(best.top(rank)[0], model, prior_np, n_messages, n_actions)
            schemes = np.where(stopped[:, None, None], final, candidate)
            schemes_t = torch.tensor(schemes, dtype=dtype)
            with torch.no_grad():
                predicted_q = _model_response(model, prior_t, schemes_t[:, None])[:, 0]
                r_hat = expected_utility_t(prior_t, schemes_t, predicted_q, u1_t).double().numpy()
            observed = check_counts((yield schemes))
            epochs += 1
            # The sender's true utility R of the epoch: its own u1 against the observed
            # response (a message never observed is scored with the model's prediction).
            seen = observed.sum(dim=-1, keepdim=True)
            response = torch.where(seen > 0, observed / seen.clamp_min(1e-12), predicted_q)
            r = bayes.expected_utility(prior_np, schemes, response.double().numpy(), u1_np)
            columns.append(to_columns(schemes))
            counts.append(observed * config.played_weight)
            better = r > round_r
            round_r[better], round_rhat[better] = r[better], r_hat[better]
            round_schemes[better] = schemes[better]
        history.append((round_r.copy(), round_rhat.copy()))
        running = ~stopped
        rounds[running] += 1
        better = running & ((round_r > final_r) | (not config.keep_best))
        final[better] = round_schemes[better]
        final_r[better], final_rhat[better] = round_r[better], round_rhat[better]
        close = np.abs(round_r - round_rhat) <= config.tolerance
        stopped |= running & close & (rounds >= config.min_rounds)
        if stopped.all() or k == config.max_rounds - 1:
            break
        fit_receiver_model(
            model,
            prior_t,
            torch.cat(columns, dim=1),
            torch.cat(counts, dim=1),
            steps=config.finetune_model_steps,
            lr=config.model_lr,
            weight_decay=config.weight_decay,
            optimizer=config.model_optimizer,
        )

    train_acc = _accuracy(model, prior_t, query_columns, query_counts)
    if probe_columns:
        test_acc = _accuracy(model, prior_t, torch.cat(probe_columns, 1), torch.cat(test_counts, 1))
    else:
        test_acc = np.full(g, np.nan)
    return Algorithm1Result(
        schemes=final,
        observed_values=final_r,
        predicted_values=final_rhat,
        rounds=rounds,
        stopped=stopped,
        epochs=epochs,
        train_accuracy=train_acc,
        test_accuracy=test_acc,
        history=history,
    )


def run_algorithm1(
    oracle: Callable[[np.ndarray], np.ndarray],
    prior: np.ndarray,
    sender_utility: np.ndarray,
    **kwargs: Any,
) -> Algorithm1Result:
    """Run :func:`algorithm1` against a response oracle ``schemes (G,S,M) -> counts (G,M,A)``.

    Keyword arguments go to :func:`algorithm1`.
    """
    generator = algorithm1(prior, sender_utility, **kwargs)
    schemes = next(generator)
    while True:
        try:
            schemes = generator.send(oracle(schemes))
        except StopIteration as stop:
            return stop.value
