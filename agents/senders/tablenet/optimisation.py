"""The two fits: the receiver model on the data set D (seed eq. 7) and TableNet against
the model (eq. 8), with hard snapshot selection; merging messages by induced action."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from agents.senders.tablenet.models import ReceiverModel, TableNet, _model_response
from agents.senders.tablenet.torch_math import expected_utility_t, receiver_loss
from persuasion_env import bayes


def fit_receiver_model(
    model: ReceiverModel,
    prior: torch.Tensor,
    columns: torch.Tensor,
    counts: torch.Tensor,
    *,
    steps: int,
    lr: float,
    weight_decay: float = 0.0,
    optimizer: str = "lbfgs",
) -> float:
    """Fit the receiver model on the data set D: minimise eq. 7 over the whole of D.

    Args:
        model: the model (G problems, fitted together: the loss is the sum over problems).
        prior: ``(G, S)``.
        columns: ``(G, N, S)`` scheme columns that were played.
        counts: ``(G, N, A)`` the receiver's observed actions after each column.
        steps: L-BFGS iterations, or Adam steps.
        lr: Adam's step size (L-BFGS uses a strong-Wolfe line search from step 1).
        weight_decay: L2 penalty on the parameters.
        optimizer: ``"lbfgs"`` (default: the fit is a smooth, for the linear model convex,
            full-batch problem) or ``"adam"``.

    Returns:
        The final mean loss over the G problems.
    """
    with torch.no_grad():
        x = model.features(prior, columns)  # the data are fixed: compute the input once
    params = list(model.parameters())

    def objective() -> torch.Tensor:
        loss = receiver_loss(torch.log_softmax(model.head(x), dim=-1), counts).sum()
        if weight_decay:
            loss = loss + weight_decay * sum((p**2).sum() for p in params)
        return loss

    if optimizer == "lbfgs":
        lbfgs = torch.optim.LBFGS(
            params,
            lr=1.0,
            max_iter=steps,
            history_size=20,
            tolerance_change=1e-6,
            line_search_fn="strong_wolfe",
        )

        def closure() -> torch.Tensor:
            lbfgs.zero_grad()
            loss = objective()
            loss.backward()
            return loss

        lbfgs.step(closure)
    elif optimizer == "adam":
        adam = torch.optim.Adam(params, lr=lr)
        for _ in range(steps):
            loss = objective()
            adam.zero_grad()
            loss.backward()
            adam.step()
    else:
        raise ValueError(f"optimizer must be 'lbfgs' or 'adam', got {optimizer!r}")
    with torch.no_grad():
        return float(objective()) / max(1, prior.shape[0])


def _snapshot_values(
    model: nn.Module, prior_np: np.ndarray, u1_np: np.ndarray, schemes: np.ndarray
) -> np.ndarray:
    """Values ``(G, R)`` of schemes ``(G, R, S, M)`` against the model's hard response."""
    response = model.hard_response(prior_np, schemes)
    return bayes.expected_utility(prior_np[:, None], schemes, response, u1_np[:, None])


@dataclass
class _Best:
    """The best snapshot per problem and restart: schemes ``(G, R, S, M)``, hard values
    ``(G, R)``."""

    schemes: np.ndarray
    values: np.ndarray

    def top(self, rank: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The ``rank``-th best restart's snapshot per problem: ``(G, S, M)``, ``(G,)``."""
        order = np.argsort(-self.values, axis=1, kind="stable")[:, rank]
        rows = np.arange(self.values.shape[0])
        return self.schemes[rows, order], self.values[rows, order]


def optimise_scheme(
    tablenet: TableNet,
    model: nn.Module,
    prior: torch.Tensor,
    sender_utility: torch.Tensor,
    *,
    steps: int,
    lr: float,
    lr_final: float,
    temperature_start: float | torch.Tensor,
    eval_every: int,
    temperature_end: float | torch.Tensor = 1.0,
    hard: bool = True,
    model_scale: Callable[[float], float] | None = None,
    curve: list | None = None,
) -> _Best:
    """Optimise TableNet against the receiver model (seed eq. 8), gradients through the model.

    The model's logits are multiplied by a temperature factor moving geometrically from
    ``temperature_start`` to ``temperature_end`` over the run (``model_scale(f)``, ``f`` in
    [0, 1], overrides it; with ``hard=False`` snapshots are scored by the model's predicted,
    soft utility instead of its argmax response). Adam's step decays from ``lr`` to
    ``lr_final``. Every ``eval_every`` steps (and at the end) every restart's scheme is
    scored against the model's *hard* response and the best snapshot per problem and
    restart is kept.

    Args:
        tablenet: logits ``(G, R, S, M)``.
        model: a :class:`ReceiverModel` or :class:`QuantalModel` with G problems.
        prior: ``(G, S)``; ``sender_utility``: ``(G, S, A)``.
        curve: if a list, ``(step, mean best hard value, mean best soft value)`` tuples are
            appended to it at every evaluation (the convergence curve).

    Returns:
        The best snapshot per problem and restart (schemes ``(G, R, S, M)``, hard values
        ``(G, R)``).
    """
    prior_np = prior.detach().double().numpy()
    u1_np = sender_utility.detach().double().numpy()
    optimizer = torch.optim.Adam(tablenet.parameters(), lr=lr)
    scale = model_scale or (lambda f: temperature_start ** (1.0 - f) * temperature_end**f)
    g = prior.shape[0]
    best = _Best(
        np.zeros(tuple(tablenet.logits.shape)), np.full(tablenet.logits.shape[:2], -np.inf)
    )
    soft = torch.zeros(g)
    u1_b = sender_utility.unsqueeze(1)  # (G, 1, S, A)
    prior_b = prior.unsqueeze(1)  # (G, 1, S)
    for step in range(steps + 1):
        f = step / max(1, steps)
        schemes = tablenet()
        if step % eval_every == 0 or step == steps:
            snapshot = schemes.detach().double().numpy()
            snapshot /= snapshot.sum(axis=-1, keepdims=True)  # exact rows in float64
            if hard:
                values = _snapshot_values(model, prior_np, u1_np, snapshot)
            else:
                with torch.no_grad():
                    soft_response = _model_response(model, prior, schemes, scale(f))
                    values = expected_utility_t(prior_b, schemes, soft_response, u1_b)
                values = values.double().numpy()
            improved = values > best.values
            best.schemes[improved] = snapshot[improved]
            best.values[improved] = values[improved]
            if curve is not None:
                mean_soft = float(soft.max(1).values.mean()) if soft.ndim == 2 else float("nan")
                curve.append((step, float(best.values.max(axis=1).mean()), mean_soft))
        if step == steps:
            break
        for group in optimizer.param_groups:
            group["lr"] = lr * (lr_final / lr) ** f
        response = _model_response(model, prior, schemes, scale(f))
        utility = expected_utility_t(prior_b, schemes, response, u1_b)  # (G, R)
        soft = utility.detach()
        optimizer.zero_grad()
        (-utility.sum()).backward()
        optimizer.step()
    return best


def merge_by_action(
    schemes: np.ndarray, actions: np.ndarray, n_actions: int, n_messages: int
) -> np.ndarray:
    """Merge the messages of ``schemes (G, S, M')`` that induce the same action.

    ``actions (G, M')`` is the action each message induces. The result has one column per
    action (message ``a`` = "play a"), padded with never-sent zero columns to ``n_messages``
    (which must be ``>= A``). Against a rational receiver the merged scheme is worth at least
    as much: a posterior mixing beliefs where ``a`` is optimal keeps ``a`` optimal.
    """
    if n_messages < n_actions:
        raise ValueError(f"n_messages must be >= n_actions ({n_actions}), got {n_messages}")
    g, n_states, _ = schemes.shape
    merged = np.zeros((g, n_states, n_messages))
    merged[..., :n_actions] = schemes @ bayes.one_hot(actions, n_actions)  # (G, S, A)
    return merged


def finalise(
    schemes: np.ndarray, model: nn.Module, prior: np.ndarray, n_messages: int, n_actions: int
) -> np.ndarray:
    """Merge over-parameterised schemes ``(G, S, M')`` into ``n_messages`` columns (by the
    model's hard response)."""
    if schemes.shape[-1] == n_messages:
        return schemes
    actions = model.hard_response(prior, schemes[:, None])[:, 0].argmax(axis=-1)
    return merge_by_action(schemes, actions, n_actions, n_messages)
