"""The warm-up (seed 5.1): TableNet against the known quantal receiver model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from agents.senders.tablenet.config import TableNetConfig
from agents.senders.tablenet.models import QuantalModel, TableNet
from agents.senders.tablenet.optimisation import finalise, optimise_scheme
from agents.senders.tablenet.problems import (
    _init_logits,
    _messages_internal,
    _restricted_factors,
    _rngs,
)
from persuasion_env import bayes
from persuasion_env._validation import (
    check_int,
)
from persuasion_env.game import PersuasionGame, stack_games


@dataclass
class WarmupResult:
    """The warm-up's outcome per game (arrays over the G games).

    Attributes:
        schemes: ``(G, S, M)`` learned schemes.
        true_values: ``U1`` against the true best response (A1's tie rule).
        predicted_values: ``U1`` against the quantal model (lambda = ``config.lam``).
        curve: ``(step, mean best true value, mean soft value)`` per evaluation.
    """

    schemes: np.ndarray
    true_values: np.ndarray
    predicted_values: np.ndarray
    curve: list = field(default_factory=list)


def learn_warmup(
    games: Sequence[PersuasionGame],
    *,
    n_messages: int | None = None,
    config: TableNetConfig | None = None,
    seeds: Sequence[int | np.random.Generator] | int = 0,
) -> WarmupResult:
    """The warm-up setting (seed 5.1): the receiver model is the known quantal response.

    Optimises ``config.restarts`` TableNets per game against the quantal model with lambda
    annealed from ``config.lam_start`` to ``config.lam``, keeps the best snapshot by its value
    against the true best response, and reports it next to the quantal model's prediction.

    Args:
        games: games of one size (batched).
        n_messages: M (default A).
        config: hyperparameters.
        seeds: one seed (or Generator) per game, or one int from which per-game seeds derive.

    Returns:
        A :class:`WarmupResult`.
    """
    config = config or TableNetConfig()
    prior_np, u1_np, u2_np = stack_games(games)
    g, n_states, n_actions = u1_np.shape
    n_messages = n_actions if n_messages is None else check_int(n_messages, "n_messages", minimum=1)
    rngs = _rngs(seeds, g)
    dtype = config.torch_dtype
    prior, u1, u2 = (torch.tensor(x, dtype=dtype) for x in (prior_np, u1_np, u2_np))
    model = QuantalModel(u2, u1, config.lam)
    m_int = _messages_internal(n_messages, n_actions, config)
    restarts = config.restarts * _restricted_factors(n_messages, n_actions)[0]
    tablenet = TableNet(_init_logits(rngs, (restarts, n_states, m_int), config.init_scale, dtype))
    curve: list = []
    best = optimise_scheme(
        tablenet,
        model,
        prior,
        u1,
        steps=config.sender_steps,
        lr=config.sender_lr,
        lr_final=config.sender_lr_final,
        temperature_start=config.lam_start / config.lam,
        eval_every=config.eval_every,
        curve=curve,
    )
    schemes = finalise(best.top(0)[0], model, prior_np, n_messages, n_actions)
    true = bayes.best_response_matrix(prior_np, schemes, u2_np, u1_np)
    true_values = bayes.expected_utility(prior_np, schemes, true, u1_np)
    predicted = bayes.expected_utility(
        prior_np, schemes, bayes.quantal_response(prior_np, schemes, u2_np, config.lam), u1_np
    )
    return WarmupResult(schemes, true_values, predicted, curve)
