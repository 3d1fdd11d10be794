"""TableNet in play against a learning receiver (issue 16 point 4): the ``"margin"`` protocol
of :class:`~agents.senders.tablenet.TableNetSender`.

Seed 000's implicit-commitment setting assumes that a learner's play after a message settles
when the sender keeps one scheme long enough, and that the sender can read it. Run online
against the library's learners, Algorithm 1 as written falls short: a random query scheme
changes every epoch, and a learner with a long memory (Hedge, UCB, fictitious play) has not
settled on it by the end of the epoch, so the receiver model is fitted to lagging data; and the
scheme Algorithm 1 commits to lies exactly on the model's decision boundaries, where a learner
disobeys part of the time (a learner disobeys at exact indifference).

This protocol keeps TableNet's two networks and their losses (seed eqs. 7-8) and wraps them
in the epoch protocol of :class:`agents.senders.adaptive.MarginAdaptiveSender`, which it
reuses by subclassing (not by copying): epochs of one scheme, counts of the receiver's actions
per message over each epoch's second half, a disclosure phase that lasts until the learner
has settled, spare messages, a safety margin the sender adapts from the obedience it
observes, and a fall-back to no information measured in probe epochs. What TableNet adds is
the *planner*: where margin_adaptive solves the commitment LP on its logit model, TableNet

1. fits its receiver model (:class:`~agents.senders.tablenet.ReceiverModel`, seed eq. 7, by
   L-BFGS) to the settled data: the (posterior, action counts) pairs of the disclosure
   epochs, the only schemes every learner has settled on when they are read;
2. optimises TableNet's restarts against that model (seed eq. 8, gradients through the
   model, with the annealed sharpness and the hard snapshot selection of Algorithm 1), and
   merges the best snapshot's messages by the action the model predicts: the scheme ``L``
   in recommendation form (column ``a`` = "play a");
3. plays ``theta * F + (1 - theta) * L``, ``F`` the recommendation form of full disclosure,
   with the margin ``theta`` adapted as in margin_adaptive (module docstring there).

The sender reads only the prior, its own ``u1``, the states and the receiver's actions: never
``u2``, the LP or the receiver's policy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from agents.base import GameView
from agents.senders.adaptive import MarginAdaptiveSender
from agents.senders.tablenet.config import TableNetConfig
from agents.senders.tablenet.models import ReceiverModel, TableNet
from agents.senders.tablenet.optimisation import (
    fit_receiver_model,
    merge_by_action,
    optimise_scheme,
)
from agents.senders.tablenet.problems import _init_logits, _messages_internal
from agents.senders.tablenet.torch_math import one_thread

__all__ = ["MARGIN_OPTIONS", "TableNetMarginPlay", "plan_with_tablenet"]

#: The options of the margin protocol (keyword arguments of :class:`TableNetSender` that go
#: to it): those of :class:`MarginAdaptiveSender` but its message count and epoch length,
#: which TableNetSender passes itself.
MARGIN_OPTIONS: tuple[str, ...] = tuple(
    name
    for name in MarginAdaptiveSender._param_names
    if name not in ("n_messages", "epoch_rounds", "refit", "regularization", "fit_steps")
)


def plan_with_tablenet(
    prior: np.ndarray,
    u1: np.ndarray,
    posteriors: np.ndarray,
    counts: np.ndarray,
    config: TableNetConfig,
    rngs: list[np.random.Generator],
) -> np.ndarray:
    """TableNet's scheme against a receiver model fitted to observed play, batched over runs.

    Args:
        prior: ``(B, S)``; ``u1``: ``(B, S, A)`` the sender's own utility.
        posteriors: ``(B, N, S)`` the posterior after each observed message.
        counts: ``(B, N, A)`` the receiver's (weighted) action counts after it; a row of
            zeros carries no data.
        config: TableNet's hyperparameters (model fit, restarts, sharpness, steps).
        rngs: one Generator per run (TableNet's initial logits, the model's MLP weights).

    Returns:
        ``(B, S, A)``: the scheme in recommendation form (column ``a`` is the message after
        which the fitted model plays ``a``; columns it never uses are zero).
    """
    b, n_states, n_actions = u1.shape
    dtype = config.torch_dtype
    prior_t = torch.tensor(prior, dtype=dtype)
    # A posterior is its scheme column up to scale (column = posterior / prior): the model
    # turns columns back into posteriors with the same prior.
    columns = posteriors / np.maximum(prior[:, None, :], 1e-300)
    columns /= np.maximum(columns.max(axis=-1, keepdims=True), 1e-300)
    model = ReceiverModel(b, n_states, n_actions, config.hidden, rng=rngs[0], dtype=dtype)
    fit_receiver_model(
        model,
        prior_t,
        torch.tensor(columns, dtype=dtype),
        torch.tensor(counts, dtype=dtype),
        steps=config.model_steps,
        lr=config.model_lr,
        weight_decay=config.weight_decay,
        optimizer=config.model_optimizer,
    )
    m_int = _messages_internal(n_actions, n_actions, config)
    tablenet = TableNet(
        _init_logits(rngs, (config.restarts, n_states, m_int), config.init_scale, dtype)
    )
    spread = model.logit_spread(prior_t).clamp_min(1e-6)[:, None, None]
    best = optimise_scheme(
        tablenet,
        model,
        prior_t,
        torch.tensor(u1, dtype=dtype),
        steps=config.sender_steps,
        lr=config.sender_lr,
        lr_final=config.sender_lr_final,
        temperature_start=config.sharpness_start / spread,
        temperature_end=config.sharpness_end / spread,
        eval_every=config.eval_every,
        hard=True,
    )
    schemes = best.top(0)[0]
    # Message a = "play a": merge the messages by the action the model predicts after each.
    actions = model.hard_response(prior, schemes[:, None])[:, 0].argmax(axis=-1)
    return merge_by_action(schemes, actions, n_actions, n_actions)


class TableNetMarginPlay(MarginAdaptiveSender):
    """The margin protocol with TableNet as its planner (module docstring). Not registered:
    :class:`~agents.senders.tablenet.TableNetSender` builds one and delegates to it."""

    name = "tablenet_margin_play"

    def __init__(self, config: TableNetConfig, **options: Any) -> None:
        super().__init__(**options)
        self.config = config

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        # TableNet's own generators (initial logits), drawn once so that a run's plan does
        # not depend on when it is made.
        self._plan_rngs = [np.random.default_rng(s) for s in rng.integers(0, 2**63 - 1, size=runs)]
        self._planned: np.ndarray | None = None
        self.planned_schemes: np.ndarray | None = None

    def _direction(self, b: int) -> np.ndarray:
        """TableNet's plan for run ``b`` (made for all runs at once, at the first call)."""
        if self._planned is None:
            with one_thread():
                self._planned = plan_with_tablenet(
                    self.priors,
                    self.u1,
                    self._data_mu,
                    self._data_counts * self._data_weights[..., None],
                    self.config,
                    self._plan_rngs,
                )
            self.planned_schemes = self._planned.copy()
        return self._planned[b]
