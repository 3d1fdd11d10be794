"""The math of MODEL.md A5 in torch (batched, differentiable): posteriors, quantal
response, expected utility and the seed's two losses (eqs. 7-8). Each function is the
torch twin of its NumPy counterpart in :mod:`persuasion_env.bayes`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread inside the block (restored after). TableNet's tensors are
    tiny: several threads only spin against each other (on a loaded 2-core machine a step
    of the optimiser took 30 ms instead of well under 1 ms)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


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
