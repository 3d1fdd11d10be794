"""TableNet: seed 000's learning sender, with a learned model of the receiver (MODEL.md A5).

The sender learns a signalling scheme without knowing the receiver's utility. It has two
networks, trained alternately like a GAN:

* **TableNet** (the sender): no input; ``S`` independent logit vectors of length ``M``, a
  softmax per row, stacked into the scheme table ``pi[s, m] = pi(m | s)``.
* **The receiver model**: maps one *column* of a scheme, ``pi[., m]`` (length S), to a
  distribution over the receiver's actions ``q_hat(. | m)``. It first turns the column into
  the posterior ``p(s | m)`` with the known prior (Bayes' rule needs only that column), then
  applies an MLP with a linear skip path and a softmax. In the warm-up the model is
  hard-coded: the quantal response ``softmax(lam * p(.|m) @ u2)`` of the seed's Appendix C.

Losses (seed eqs. 7-8)::

    receiver model:  l2 = - sum_{columns} sum_a counts[a] log q_hat(a | column) / sum counts
    sender:          l1 = - U1(pi, q_hat) = - sum_{s,m,a} p[s] pi[s,m] q_hat(a | pi[.,m]) u1[s,a]

The sender's gradient flows through the receiver model into TableNet's logits.

**Algorithm 1** (:func:`algorithm1`, a coroutine: it yields the scheme to play for one epoch
and is sent back the receiver's observed action counts per message):

1. play ``n_queries`` random schemes, add every (column, observed action counts) pair to the
   data set D (a held-out part of these queries measures the model's test accuracy);
2. fit the receiver model on D (eq. 7);
3. repeat: optimise TableNet against the model (eq. 8); play the new scheme for an epoch;
   observe the true response and the true sender utility R; compare with the model's
   prediction R_hat; add the epoch's data to D; stop when ``|R - R_hat| <= E`` (after at
   least ``min_rounds`` rounds, at most ``max_rounds``), else fine-tune the model and repeat.

Everything is batched over a leading axis ``G`` of independent problems (games in the
reproduction experiments, runs in the engine) and over ``restarts`` random initialisations
of TableNet. Three departures from the seed, all documented in ``docs/reproduce_seed000.md``:

* *Annealing*: the sender optimises against the model with its logits multiplied by a
  temperature factor that grows geometrically from ``temperature_start`` to 1 (in the
  warm-up: ``lam`` grows from ``lam_start`` to ``lam``), a smooth surrogate early on.
* *Hard selection* ("margin trick"): every ``eval_every`` steps each restart's scheme is
  scored against the model's **argmax** response (for the warm-up: the true best response,
  :func:`persuasion_env.bayes.best_response_matrix`); the best snapshot is kept.
* *Over-parameterisation*: with ``M >= A`` TableNet has ``overparam * M`` internal messages;
  the scheme it commits to merges the messages that induce the same action (by the revelation
  principle this never lowers the value against a rational receiver) into ``M`` columns.

The sender sees only the prior, its own utility ``u1`` and the number of messages; it never
sees the receiver's utility (except in the warm-up, where the receiver is known by
definition) and never the LP optimum.

In the engine (:class:`TableNetSender`, registered as ``tablenet``) Algorithm 1 runs online:
each epoch of ``epoch_rounds`` rounds plays one scheme and counts the receiver's actions per
message over the last ``observe_fraction`` of the epoch.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from agents._sampling import sample_rows
from agents.base import GameView, Sender
from agents.registry import register
from persuasion_env import bayes
from persuasion_env._validation import (
    as_float_array,
    check_int,
    check_positive,
    check_probability,
    make_rng,
)
from persuasion_env.game import PersuasionGame

__all__ = [
    "Algorithm1Result",
    "BestResponseOracle",
    "LearningReceiverOracle",
    "QuantalModel",
    "QuantalOracle",
    "ReceiverModel",
    "TableNet",
    "TableNetConfig",
    "TableNetSender",
    "WarmupResult",
    "algorithm1",
    "expected_utility_t",
    "fit_receiver_model",
    "learn_warmup",
    "learner_response",
    "merge_by_action",
    "optimise_scheme",
    "posteriors_t",
    "quantal_response_t",
    "receiver_loss",
    "run_algorithm1",
    "sender_loss",
]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


# =============================================================================== config


@dataclass(frozen=True)
class TableNetConfig:
    """Hyperparameters of TableNet and Algorithm 1 (validated when built).

    Sender (TableNet) optimisation:
        restarts: random initialisations optimised in parallel (the seed: 10); with
            restricted messages (``M < A``) ``ceil(A / M)`` times as many.
        overparam: internal messages per committed message when ``M >= A`` (1 = off).
        init_scale: standard deviation of the initial logits.
        sender_lr, sender_lr_final: Adam step size, decayed geometrically over a run.
        sender_steps: steps of the first optimisation; ``finetune_steps`` (from step size
            ``finetune_lr``) for later rounds, which continue from the previous logits.
        sharpness_start, sharpness_end: the learned model's logits are rescaled so that
            their spread (the standard deviation over actions at the belief vertices, mean
            over states) moves geometrically from ``sharpness_start`` to ``sharpness_end``
            during the first optimisation (later rounds use ``sharpness_end``): the analogue
            of the warm-up's lambda schedule (lambda 100 -> 3000 on U[0, 1] utilities is a
            spread of about 30 -> 900), independent of the scale the fit happened to reach.
        sharpen: apply that rescaling and select snapshots by the model's argmax response
            (receivers that best-respond); ``False`` uses the model as fitted and selects
            by its predicted (soft) utility (stochastic receivers, e.g. learners).
        eval_every: steps between hard (argmax) evaluations of the snapshots.
    Warm-up (known quantal receiver model):
        lam: the quantal model's final lambda; ``lam_start`` its initial value.
    Receiver model:
        hidden: widths of the MLP's hidden layers (``()``: the linear path only).
        model_optimizer: ``"lbfgs"`` or ``"adam"`` for the fit of eq. 7; ``model_steps``
            iterations for the first fit, ``finetune_model_steps`` for each refit;
            ``model_lr`` (Adam only), ``weight_decay`` (L2).
    Algorithm 1:
        n_queries: random query schemes (default ``30 * S``, about 24 observed columns per
            parameter of the linear model; ``30 * S * ceil(sqrt(A / M))`` when ``M < A``, as
            each query then shows only ``M`` columns); ``test_fraction`` of them are held
            out for the test accuracy;
            ``query_concentrations``: Dirichlet concentrations of their rows (cycled; 1 is
            uniform on the simplex, smaller values give sparser rows).
        tolerance: E of the stopping rule ``|R - R_hat| <= E``.
        min_rounds, max_rounds: bounds on the optimise-play-refit rounds.
        candidates: schemes played per round (the best snapshots of that many restarts,
            one epoch each; the round's R and R_hat are those of the best observed one).
        played_weight: weight in D of the data of an optimised scheme's epoch relative to a
            random query's (as if that scheme were kept ``played_weight`` times longer): the
            few columns near the decision boundaries that matter must not drown in the
            query data.
        keep_best: commit at the end to the scheme with the highest observed R (else the
            last one played).
        dtype: ``"float32"`` or ``"float64"`` for the torch computations.
    """

    restarts: int = 10
    overparam: int = 2
    init_scale: float = 3.0
    sender_lr: float = 0.1
    sender_lr_final: float = 0.01
    sender_steps: int = 1000
    finetune_steps: int = 150
    finetune_lr: float = 0.03
    sharpness_start: float = 30.0
    sharpness_end: float = 900.0
    eval_every: int = 20
    lam: float = 3000.0
    lam_start: float = 100.0
    hidden: tuple[int, ...] = ()
    model_optimizer: str = "lbfgs"
    model_lr: float = 0.05
    model_steps: int = 150
    finetune_model_steps: int = 30
    weight_decay: float = 0.0
    n_queries: int | None = None
    test_fraction: float = 0.2
    query_concentrations: tuple[float, ...] = (0.3, 1.0)
    tolerance: float = 0.002
    min_rounds: int = 3
    max_rounds: int = 15
    candidates: int = 3
    played_weight: float = 1.0
    sharpen: bool = True
    keep_best: bool = True
    dtype: str = "float32"

    def __post_init__(self) -> None:
        for name in (
            "restarts",
            "overparam",
            "sender_steps",
            "eval_every",
            "model_steps",
            "min_rounds",
            "max_rounds",
            "candidates",
        ):
            check_int(getattr(self, name), name, minimum=1)
        for name in ("finetune_steps", "finetune_model_steps"):
            check_int(getattr(self, name), name, minimum=0)
        if self.n_queries is not None:
            check_int(self.n_queries, "n_queries", minimum=1)
        if self.model_optimizer not in ("lbfgs", "adam"):
            raise ValueError(
                f"model_optimizer must be 'lbfgs' or 'adam', got {self.model_optimizer!r}"
            )
        for name in (
            "init_scale",
            "sender_lr",
            "sender_lr_final",
            "finetune_lr",
            "sharpness_start",
            "sharpness_end",
            "played_weight",
            "lam",
            "lam_start",
            "model_lr",
        ):
            check_positive(getattr(self, name), name)
        check_positive(self.weight_decay, "weight_decay", allow_zero=True)
        check_positive(self.tolerance, "tolerance", allow_zero=True)
        if check_probability(self.test_fraction, "test_fraction") >= 1:
            raise ValueError(f"test_fraction must be < 1, got {self.test_fraction}")
        if self.max_rounds < self.min_rounds:
            raise ValueError(
                f"max_rounds ({self.max_rounds}) must be >= min_rounds ({self.min_rounds})"
            )
        hidden = tuple(self.hidden)
        for width in hidden:
            check_int(width, "hidden width", minimum=1)
        object.__setattr__(self, "hidden", hidden)
        concentrations = tuple(float(c) for c in self.query_concentrations)
        if not concentrations:
            raise ValueError("query_concentrations must not be empty")
        for c in concentrations:
            check_positive(c, "query_concentrations entry")
        object.__setattr__(self, "query_concentrations", concentrations)
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The hyperparameter names (keyword arguments of :class:`TableNetSender`)."""
        return tuple(f.name for f in fields(cls))

    @property
    def torch_dtype(self) -> torch.dtype:
        return _DTYPES[self.dtype]


# ========================================================== the math, in torch (batched)


def posteriors_t(prior: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
    """Posteriors ``p(s | m)`` of scheme columns, torch version of :func:`bayes.posteriors`.

    Args:
        prior: ``(..., S)``.
        columns: ``(..., N, S)``, column ``n`` is ``pi[., m]`` of some scheme.

    Returns:
        ``(..., N, S)``; a column never sent (all zeros) gets the prior, as in NumPy.
    """
    joint = prior.unsqueeze(-2) * columns
    mass = joint.sum(dim=-1, keepdim=True)
    sent = mass > 0
    # The clamp keeps the unused branch finite, so gradients through torch.where stay finite.
    post = joint / mass.clamp_min(torch.finfo(joint.dtype).tiny)
    return torch.where(sent, post, prior.unsqueeze(-2).expand_as(post))


def quantal_response_t(
    prior: torch.Tensor, scheme: torch.Tensor, receiver_utility: torch.Tensor, lam: float
) -> torch.Tensor:
    """Logit quantal response ``softmax(lam * p(.|m) @ u2)``, shape ``(..., M, A)``.

    The torch twin of :func:`persuasion_env.bayes.quantal_response` (differentiable);
    ``prior (..., S)``, ``scheme (..., S, M)``, ``receiver_utility (..., S, A)``.
    """
    post = posteriors_t(prior, scheme.transpose(-1, -2))  # (..., M, S)
    return torch.softmax(lam * (post @ receiver_utility), dim=-1)


def expected_utility_t(
    prior: torch.Tensor, scheme: torch.Tensor, response: torch.Tensor, utility: torch.Tensor
) -> torch.Tensor:
    """``U(pi, q) = sum_{s,m,a} p[s] pi[s,m] q[m,a] u[s,a]``, shape ``(...)`` (torch twin of
    :func:`persuasion_env.bayes.expected_utility`)."""
    joint = prior.unsqueeze(-1) * scheme  # (..., S, M)
    return ((joint @ response) * utility).sum(dim=(-1, -2))


def sender_loss(
    prior: torch.Tensor, scheme: torch.Tensor, response: torch.Tensor, sender_utility: torch.Tensor
) -> torch.Tensor:
    """Seed eq. 8: ``-U1(pi, q_hat)`` per problem, shape ``(...)``."""
    return -expected_utility_t(prior, scheme, response, sender_utility)


def receiver_loss(log_probs: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Seed eq. 7: cross-entropy of observed action counts against predicted log-probabilities.

    ``log_probs`` and ``counts`` have shape ``(G, N, A)``; returns ``(G,)``, the mean negative
    log-likelihood per observed action (columns are weighted by their number of observations).
    """
    total = counts.sum(dim=(-1, -2)).clamp_min(1e-12)
    return -(counts * log_probs).sum(dim=(-1, -2)) / total


# ================================================================================ models


class TableNet(nn.Module):
    """The sender network: a batch of scheme tables ``(*batch, S, M)``, one softmax per row.

    The seed feeds the constant 1 through ``S`` fully connected layers of width ``M``; with a
    constant input each layer is just its bias vector, so the parameters are the logits.
    """

    def __init__(self, init_logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = nn.Parameter(init_logits.clone())

    def forward(self) -> torch.Tensor:
        return torch.softmax(self.logits, dim=-1)


class QuantalModel(nn.Module):
    """The hard-coded receiver model of the warm-up (seed Appendix C): the posterior, then
    ``r = p(.|m) @ u2``, then ``softmax(lam * r)``. It knows ``u2``; it has no parameters.

    Args:
        receiver_utility: ``(G, S, A)``.
        sender_utility: ``(G, S, A)``, only for the tie rule of :meth:`hard_response`.
        lam: lambda of the quantal response.
    """

    def __init__(
        self, receiver_utility: torch.Tensor, sender_utility: torch.Tensor, lam: float
    ) -> None:
        super().__init__()
        self.register_buffer("u2", receiver_utility)
        self.register_buffer("u1", sender_utility)
        self.lam = float(lam)

    def logits(self, prior: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
        """``lam * p(.|column) @ u2`` for columns ``(G, N, S)``; returns ``(G, N, A)``."""
        post = posteriors_t(prior, columns)
        return self.lam * (post @ self.u2)

    def hard_response(self, prior: np.ndarray, schemes: np.ndarray) -> np.ndarray:
        """The true rational response (A1's tie rule) to schemes ``(G, R, S, M)``, one-hot
        ``(G, R, M, A)``, computed by :func:`persuasion_env.bayes.best_response_matrix`."""
        u2 = self.u2.detach().double().numpy()[:, None]
        u1 = self.u1.detach().double().numpy()[:, None]
        return bayes.best_response_matrix(prior[:, None], schemes, u2, u1)


class ReceiverModel(nn.Module):
    """The learned receiver model for ``G`` independent problems (a leading model axis).

    ``q_hat(. | column) = softmax(x @ W + b + MLP(x))`` with ``x = S * p(. | column)``, the
    column's posterior (Bayes' rule with the known prior, scaled so a uniform belief is all
    ones). The linear path alone is exactly the family of quantal / rational receivers
    (``W = lam * u2 / S``); the MLP (``hidden`` widths, ReLU) can model other behaviour.

    Args:
        n_models: G.
        n_states, n_actions: S and A.
        hidden: hidden layer widths of the MLP (``()``: linear only).
        rng: numpy Generator for the MLP's initial weights (the linear path starts at 0).
        dtype: torch dtype.
    """

    def __init__(
        self,
        n_models: int,
        n_states: int,
        n_actions: int,
        hidden: Sequence[int] = (),
        *,
        rng: np.random.Generator,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        self.n_states = n_states
        self.weight = nn.Parameter(torch.zeros(n_models, n_states, n_actions, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(n_models, 1, n_actions, dtype=dtype))
        self.mlp_weights = nn.ParameterList()
        self.mlp_biases = nn.ParameterList()
        widths = (n_states, *hidden, n_actions) if hidden else ()
        for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            bound = 1.0 / math.sqrt(fan_in)
            last = i == len(widths) - 2
            w = rng.uniform(-bound, bound, size=(n_models, fan_in, fan_out)) * (
                0.0 if last else 1.0
            )
            self.mlp_weights.append(nn.Parameter(torch.tensor(w, dtype=dtype)))
            self.mlp_biases.append(nn.Parameter(torch.zeros(n_models, 1, fan_out, dtype=dtype)))

    def features(self, prior: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
        """The model's input ``x = S * p(. | column)`` for columns ``(G, N, S)``."""
        if columns.shape[-1] != self.n_states or prior.shape[-1] != self.n_states:
            raise ValueError(
                f"this receiver model was built for games with {self.n_states} states, got "
                f"columns of length {columns.shape[-1]} and a prior of length {prior.shape[-1]}"
            )
        if columns.shape[0] != self.weight.shape[0]:
            raise ValueError(
                f"this receiver model holds {self.weight.shape[0]} problems, got columns for "
                f"{columns.shape[0]}"
            )
        return self.n_states * posteriors_t(prior, columns)

    def head(self, x: torch.Tensor) -> torch.Tensor:
        """Action logits ``(G, N, A)`` from features ``x`` ``(G, N, S)``."""
        out = x @ self.weight + self.bias
        h = x
        n_layers = len(self.mlp_weights)
        for i, (w, b) in enumerate(zip(self.mlp_weights, self.mlp_biases, strict=True)):
            h = h @ w + b
            if i < n_layers - 1:
                h = torch.relu(h)
        return out + h if n_layers else out

    def logits(self, prior: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
        """Action logits for columns ``(G, N, S)`` given priors ``(G, S)``: ``(G, N, A)``."""
        return self.head(self.features(prior, columns))

    def logit_spread(self, prior: torch.Tensor) -> torch.Tensor:
        """``(G,)``: standard deviation over actions of the logits at the belief vertices
        (one column per state), averaged over states: the model's sharpness."""
        g = self.weight.shape[0]
        with torch.no_grad():
            vertices = torch.eye(self.n_states, dtype=self.weight.dtype).expand(g, -1, -1)
            return self.logits(prior, vertices).std(dim=-1).mean(dim=-1)

    def hard_response(self, prior: np.ndarray, schemes: np.ndarray) -> np.ndarray:
        """The model's argmax response to schemes ``(G, R, S, M)``, one-hot ``(G, R, M, A)``."""
        with torch.no_grad():
            g, r, s, m = schemes.shape
            dtype = self.weight.dtype
            columns = torch.tensor(schemes, dtype=dtype).transpose(-1, -2).reshape(g, r * m, s)
            logits = self.logits(torch.tensor(prior, dtype=dtype), columns)
            actions = logits.argmax(dim=-1).reshape(g, r, m).numpy()
        return bayes.one_hot(actions, self.weight.shape[-1])


def _model_response(
    model: nn.Module, prior: torch.Tensor, schemes: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """``q_hat[g, r, m, a]`` for schemes ``(G, R, S, M)`` (each column fed to the model)."""
    g, r, s, m = schemes.shape
    columns = schemes.transpose(-1, -2).reshape(g, r * m, s)
    logits = model.logits(prior, columns) * temperature
    return torch.softmax(logits, dim=-1).reshape(g, r, m, -1)


# ======================================================================= the two fits


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


# ============================================================================ warm-up


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


def _stack_games(games: Sequence[PersuasionGame]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not games:
        raise ValueError("games must not be empty")
    for game in games:
        if not isinstance(game, PersuasionGame):
            raise TypeError(f"games must be PersuasionGame objects, got {type(game).__name__}")
    shapes = {g.shape for g in games}
    if len(shapes) != 1:
        raise ValueError(f"games must all have the same size (S, A), got {sorted(shapes)}")
    prior = np.stack([g.prior for g in games])
    u1 = np.stack([g.sender_utility for g in games])
    u2 = np.stack([g.receiver_utility for g in games])
    return prior, u1, u2


def _init_logits(
    rngs: Sequence[np.random.Generator], shape: tuple[int, ...], scale: float, dtype: torch.dtype
) -> torch.Tensor:
    """Initial TableNet logits, one independent normal draw per problem's own Generator (so a
    problem's result does not depend on which others share its batch)."""
    return torch.tensor(np.stack([scale * rng.normal(size=shape) for rng in rngs]), dtype=dtype)


def _restricted_factors(n_messages: int, n_actions: int) -> tuple[int, int]:
    """Budget factors ``(restarts, queries)`` for restricted messages (``M < A``; both 1 when
    ``M >= A``). With ``M < A`` messages no longer map to actions and the landscape has many
    more local optima: ``ceil(A / M)`` times the restarts (cheap: ``restarts * M`` internal
    columns stays below the ``M = A`` budget). Each random query yields only ``M`` columns
    for the receiver model: ``ceil(sqrt(A / M))`` times the queries (a compromise between
    keeping the number of observed columns, which costs ``A / M`` times the queries, and
    the number of queries)."""
    if n_messages >= n_actions:
        return 1, 1
    ratio = n_actions / n_messages
    return math.ceil(ratio), math.ceil(math.sqrt(ratio))


def _messages_internal(n_messages: int, n_actions: int, config: TableNetConfig) -> int:
    return config.overparam * n_messages if n_messages >= n_actions else n_messages


def _finalise(
    schemes: np.ndarray, model: nn.Module, prior: np.ndarray, n_messages: int, n_actions: int
) -> np.ndarray:
    """Merge over-parameterised schemes ``(G, S, M')`` into ``n_messages`` columns (by the
    model's hard response)."""
    if schemes.shape[-1] == n_messages:
        return schemes
    actions = model.hard_response(prior, schemes[:, None])[:, 0].argmax(axis=-1)
    return merge_by_action(schemes, actions, n_actions, n_messages)


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
    prior_np, u1_np, u2_np = _stack_games(games)
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
    schemes = _finalise(best.top(0)[0], model, prior_np, n_messages, n_actions)
    true = bayes.best_response_matrix(prior_np, schemes, u2_np, u1_np)
    true_values = bayes.expected_utility(prior_np, schemes, true, u1_np)
    predicted = bayes.expected_utility(
        prior_np, schemes, bayes.quantal_response(prior_np, schemes, u2_np, config.lam), u1_np
    )
    return WarmupResult(schemes, true_values, predicted, curve)


def _rngs(seeds: Sequence[int | np.random.Generator] | int, count: int) -> list:
    if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool):
        base = check_int(seeds, "seed", minimum=0)
        return [np.random.default_rng([base, i]) for i in range(count)]
    seeds = list(seeds)
    if len(seeds) != count:
        raise ValueError(f"seeds must have one entry per problem ({count}), got {len(seeds)}")
    return [make_rng(s) for s in seeds]


# ======================================================================== Algorithm 1


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
    test_columns: list[torch.Tensor] = []
    test_counts: list[torch.Tensor] = []
    for i in range(n_queries):
        schemes = _random_queries(rngs, n_states, n_messages, i, config)
        observed = check_counts((yield schemes))
        (columns if i < n_train else test_columns).append(to_columns(schemes))
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
            candidate = _finalise(best.top(rank)[0], model, prior_np, n_messages, n_actions)
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
    if test_columns:
        test_acc = _accuracy(model, prior_t, torch.cat(test_columns, 1), torch.cat(test_counts, 1))
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


# ============================================================================ oracles


class BestResponseOracle:
    """Explicit commitment: a rational receiver who sees each scheme and best-responds (A1's
    tie rule). Returns the expected action counts of one round, ``(G, M, A)``:
    ``P(m) * q(a | m)`` with the exact response ``q``."""

    def __init__(self, games: Sequence[PersuasionGame]) -> None:
        self.prior, self.u1, self.u2 = _stack_games(games)

    def response(self, schemes: np.ndarray) -> np.ndarray:
        """The exact response table ``(G, M, A)``."""
        return bayes.best_response_matrix(self.prior, schemes, self.u2, self.u1)

    def __call__(self, schemes: np.ndarray) -> np.ndarray:
        mass = bayes.message_probabilities(self.prior, schemes)
        return self.response(schemes) * mass[..., None]


class QuantalOracle(BestResponseOracle):
    """A quantal receiver (lambda ``lam``) who sees each scheme; expected counts of a round."""

    def __init__(self, games: Sequence[PersuasionGame], lam: float) -> None:
        super().__init__(games)
        self.lam = check_positive(lam, "lam")

    def response(self, schemes: np.ndarray) -> np.ndarray:
        return bayes.quantal_response(self.prior, schemes, self.u2, self.lam)


class LearningReceiverOracle:
    """Implicit commitment: a learning receiver (one batched receiver, one run per game) that
    never sees the scheme. Each call plays the schemes for an epoch of ``epoch_rounds``
    rounds (states from the prior, messages from the scheme, the receiver acts and learns
    from its payoff ``u2[s, a]`` divided by ``max |u2|`` when ``normalize``, and from the state
    if it ``observes_state``) and returns the action counts per message over the last
    ``observe_fraction`` of the epoch. The receiver keeps learning across calls.

    Args:
        games: games of one size.
        receiver: a learning receiver agent (e.g. ``make_receiver("q_learning")``); it is
            reset with ``runs = len(games)``, run ``g`` playing game ``g``.
        epoch_rounds: rounds per epoch.
        observe_fraction: final part of the epoch whose actions are counted.
        seed: seed or Generator for states, messages and the receiver.
    """

    def __init__(
        self,
        games: Sequence[PersuasionGame],
        receiver: Any,
        *,
        epoch_rounds: int = 2000,
        observe_fraction: float = 0.5,
        n_messages: int | None = None,
        seed: int | np.random.Generator | None = 0,
        normalize: bool = True,
    ) -> None:
        self.prior, self.u1, self.u2 = _stack_games(games)
        self.epoch_rounds = check_int(epoch_rounds, "epoch_rounds", minimum=1)
        self.observe_fraction = check_probability(observe_fraction, "observe_fraction")
        if self.observe_fraction == 0:
            raise ValueError("observe_fraction must be > 0")
        g, n_states, n_actions = self.u1.shape
        self.n_messages = n_actions if n_messages is None else n_messages
        self.rng = make_rng(seed)
        scale = np.abs(self.u2).max(axis=(1, 2), keepdims=True) if normalize else 1.0
        self.rewards = self.u2 / np.where(scale > 0, scale, 1.0)
        self.receiver = receiver
        view = GameView(
            n_states=n_states,
            n_actions=n_actions,
            n_messages=self.n_messages,
            priors=self.prior,
            utilities=self.u2,
            games=None,
        )
        receiver.reset(view, runs=g, rng=self.rng)
        self.rows = np.arange(g)
        self.rounds_played = 0

    def __call__(self, schemes: np.ndarray, rounds: int | None = None) -> np.ndarray:
        rounds = self.epoch_rounds if rounds is None else rounds
        g, n_states, n_messages = schemes.shape
        n_actions = self.u1.shape[-1]
        counts = np.zeros((g, n_messages, n_actions))
        start = rounds - max(1, int(round(self.observe_fraction * rounds)))
        rows = self.rows
        shows_states = getattr(self.receiver, "observes_state", False)
        for t in range(rounds):
            states = sample_rows(self.prior, self.rng)
            messages = sample_rows(schemes[rows, states], self.rng)
            actions = self.receiver.act(messages)
            self.receiver.update(messages, actions, self.rewards[rows, states, actions])
            if shows_states:
                self.receiver.observe_states(messages, states)
            if t >= start:
                counts[rows, messages, actions] += 1
        self.rounds_played += rounds
        return counts

    def frequencies(self, counts: np.ndarray) -> np.ndarray:
        """Counts ``(G, M, A)`` -> the response ``(G, M, A)`` they show: action frequencies per
        message, and the receiver's current greedy rule for a message never observed."""
        seen = counts.sum(axis=-1, keepdims=True)
        return np.where(seen > 0, counts / np.maximum(seen, 1e-12), self.receiver.policy())


def learner_response(
    games: Sequence[PersuasionGame],
    schemes: np.ndarray,
    receiver: Any,
    *,
    rounds: int,
    observe_fraction: float = 0.2,
    seed: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """The response a learning receiver settles on when the schemes never change.

    A fresh copy of ``receiver`` (its history does not carry over) plays ``schemes``
    ``(G, S, M)`` for ``rounds`` rounds; the result ``(G, M, A)`` is its action frequencies
    per message over the last ``observe_fraction`` of them (exploration included: it is what
    the sender earns), the greedy rule for a message never sent. This is the "converged
    response" against which a learned scheme's *actual* utility is measured (MODEL.md A4.3,
    A5), the same for every method so that their schemes compare like for like.
    """
    oracle = LearningReceiverOracle(
        games,
        copy.deepcopy(receiver),
        epoch_rounds=rounds,
        observe_fraction=observe_fraction,
        n_messages=np.shape(schemes)[-1],
        seed=seed,
    )
    return oracle.frequencies(oracle(np.asarray(schemes, dtype=float)))


# ============================================================================ the agent


@register
class TableNetSender(Sender):
    """Seed 000's learning sender (TableNet + learned receiver model, Algorithm 1) for the
    engine: a scheme-level sender that runs Algorithm 1 online, one scheme per epoch.

    Each epoch of ``epoch_rounds`` rounds it plays one scheme (first ``n_queries`` random
    query schemes, then schemes optimised through the receiver model) and counts the
    receiver's actions per message over the last ``observe_fraction`` of the epoch. When
    Algorithm 1 stops for a run it commits to its final scheme for good. ``runs = B``
    independent TableNets are trained as one batch.

    Args:
        n_messages: M (default A); any M >= 1 (restricted messages when M < A).
        epoch_rounds: rounds per epoch (how long each scheme is kept).
        observe_fraction: final part of each epoch whose actions are counted.
        **hyperparameters: any field of :class:`TableNetConfig` (e.g. ``n_queries=50``,
            ``restarts=10``, ``tolerance=0.005``, ``hidden=(32,)``).
    """

    name = "tablenet"
    side = "sender"
    level = "scheme"
    learns = True
    needs_scheme = False
    full_information = False
    batched_games = True
    description = (
        "TableNet (seed 000): learns a receiver model from epochs of play, optimises the "
        "scheme through it (Algorithm 1); torch"
    )
    _param_names = ("n_messages", "epoch_rounds", "observe_fraction", "config")

    def __init__(
        self,
        n_messages: int | None = None,
        *,
        epoch_rounds: int = 200,
        observe_fraction: float = 0.5,
        **hyperparameters: Any,
    ) -> None:
        super().__init__()
        self.n_messages = (
            None if n_messages is None else check_int(n_messages, "n_messages", minimum=1)
        )
        self.epoch_rounds = check_int(epoch_rounds, "epoch_rounds", minimum=1)
        self.observe_fraction = check_probability(observe_fraction, "observe_fraction")
        if self.observe_fraction == 0:
            raise ValueError("observe_fraction must be > 0")
        unknown = sorted(set(hyperparameters) - set(TableNetConfig.names()))
        if unknown:
            raise ValueError(
                f"unknown TableNet hyperparameter(s) {', '.join(unknown)}; accepted: "
                f"{', '.join(TableNetConfig.names())}"
            )
        self.config = replace(TableNetConfig(), **hyperparameters)
        self.result: Algorithm1Result | None = None

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        if self.n_messages is not None and view.n_messages != self.n_messages:
            raise ValueError(
                f"the game view has {view.n_messages} messages but this sender was built with "
                f"n_messages={self.n_messages}"
            )
        prior = np.broadcast_to(view.priors, (runs, view.n_states))
        u1 = np.broadcast_to(view.utilities, (runs, view.n_states, view.n_actions))
        seeds = [int(s) for s in rng.integers(0, 2**63 - 1, size=runs)]
        self._algorithm = algorithm1(
            prior, u1, n_messages=view.n_messages, config=self.config, seeds=seeds
        )
        self.result = None
        self.t = 0
        self._observe_from = self.epoch_rounds - max(
            1, int(round(self.observe_fraction * self.epoch_rounds))
        )
        self._counts = np.zeros((runs, view.n_messages, view.n_actions))
        self._commit(next(self._algorithm))

    def _commit(self, schemes: np.ndarray) -> None:
        self._schemes = np.array(schemes, dtype=np.float64)
        self._rows = np.arange(self.runs)
        self.policy_version += 1

    @property
    def done(self) -> bool:
        """Whether Algorithm 1 has finished (the committed scheme is final)."""
        return self.result is not None

    def act(self, states: np.ndarray) -> np.ndarray:
        self._require_reset()
        return sample_rows(self._schemes[self._rows, states], self.rng)

    def update(
        self, states: np.ndarray, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray
    ) -> None:
        if self.done:
            return
        if self.t >= self._observe_from:
            np.add.at(self._counts, (self._rows, messages, actions), 1.0)
        self.t += 1
        if self.t < self.epoch_rounds:
            return
        counts, self._counts = self._counts, np.zeros_like(self._counts)
        self.t = 0
        try:
            self._commit(self._algorithm.send(counts))
        except StopIteration as stop:
            self.result = stop.value
            self._commit(self.result.schemes)

    def policy(self) -> np.ndarray:
        self._require_reset()
        return self._schemes.copy()
