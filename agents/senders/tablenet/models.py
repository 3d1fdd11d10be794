"""The networks: TableNet (the sender's scheme table), the warm-up's hard-coded quantal
receiver model and the learned receiver model."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from agents.senders.tablenet.torch_math import posteriors_t
from persuasion_env import bayes


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
