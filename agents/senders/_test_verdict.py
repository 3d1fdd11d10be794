"""The verdict on one test of ``margin_adaptive``'s certified protocol
(agents/senders/_certified_search.py): pass, fail, or watch it longer.

A test puts a candidate posterior on a fresh message and counts what the learner plays after
it. An exploring learner (UCB's bonus, Hedge's uniform share and slow weights) keeps trying
the other actions for long after it has ranked them, the longer the closer the candidate
lies to the boundary of the recommended action's region: judged after a few epochs, a
candidate well inside the region is often obeyed only 60-70 % of the time while the
recommendation is already its most played action. Failing it halves the step toward that
state for good, and the certified region (hence the scheme played) stays too safe. So a
test whose recommendation is the most played action, but not yet obeyed as often as the
disclosure messages were, is *extended*: the same candidate stays on the same message (the
learner's memory of that message is about that very posterior) and is judged again after
another test round, at most ``max_extensions`` times.

With ``sign_test``, a test also passes (``PASS_SIGN``) when the recommendation clearly beats
the runner-up action (a sign test at two standard errors): a bandit learner near a boundary
still explores at a fresh message, yet settles on its best response in the long run. Such a
point lies nearer indifference, so the caller certifies it with a wider safety margin.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "PASS",
    "PASS_SIGN",
    "FAIL",
    "EXTEND",
    "binomial_allowance",
    "visit_age",
    "verdict_on_test",
]

PASS, PASS_SIGN, FAIL, EXTEND = "pass", "pass by sign", "fail", "extend"


def binomial_allowance(threshold: float | np.ndarray, n: float | np.ndarray) -> float | np.ndarray:
    """Two binomial standard errors of an obedience rate near ``threshold`` over ``n`` rounds
    (scalars or arrays): ``2 sqrt(max(t (1 - t), 0.0025) / max(n, 1))``. The variance is
    floored (a standard deviation of 0.05) so that a threshold near 1 still allows for noise.
    Every obedience test of ``margin_adaptive`` (the tests, the silent probe, play) uses it."""
    return 2.0 * np.sqrt(np.maximum(threshold * (1.0 - threshold), 0.0025) / np.maximum(n, 1.0))


def visit_age(epochs: int, rate: float, prior: np.ndarray, known: int) -> int:
    """The disclosure epoch (index into the learning curve) at which the disclosure messages
    had been seen as often as a test message seen in share ``rate`` of the rounds for
    ``epochs`` epochs: a learner that keeps separate state per message (Hedge, UCB) learns
    per *visit*, and a disclosure message was seen in share ``p(s)`` of the rounds
    (``sum_s p(s)^2`` weighted by its counts, as the learning curve is). Never older than
    ``epochs`` (the age in epochs) nor than the ``known`` epochs of the curve; at least 0.

    A test column carries a share of the test weight only (a few per cent of the rounds
    against a disclosure message's ``p(s)``): judged at the same age in epochs, it was held
    to a consistency the disclosure messages reached only after several times its visits.
    """
    prior = np.asarray(prior, dtype=float)
    reference = float(prior @ prior)
    equivalent = epochs * rate / reference if reference > 0 else float(epochs)
    age = int(np.ceil(equivalent - 1e-9)) - 1
    return int(np.clip(age, 0, max(min(epochs, known) - 1, 0)))


def verdict_on_test(
    seen: np.ndarray,
    action: int,
    threshold: float,
    *,
    min_count: int,
    extensions: int,
    max_extensions: int,
    sign_test: bool = False,
) -> str:
    """Judge a test from the action counts ``seen`` ``(A,)`` after its message.

    * ``PASS``: at least ``min_count`` rounds, ``action`` the most played, and obeyed in at
      least ``threshold`` minus two binomial standard errors of the counted rounds.
    * ``PASS_SIGN`` (only with ``sign_test``): not passed so, but at least ``min_count``
      rounds, ``action`` the most played, and ahead of the runner-up by more than two
      standard errors of the difference (``2 sqrt(n_a + n_second)``).
    * ``EXTEND``: not passed, extended fewer than ``max_extensions`` times so far, and either
      too few rounds to judge or ``action`` the most played (the learner is heading there).
    * ``FAIL``: otherwise (another action is played more: the candidate lies, or may lie,
      outside the region; or the extensions are used up).
    """
    seen = np.asarray(seen, dtype=float)
    n = float(seen.sum())
    modal = seen[action] >= seen.max()
    if (
        n >= min_count
        and modal
        and seen[action] / n >= threshold - binomial_allowance(threshold, n)
    ):
        return PASS
    if sign_test and n >= min_count and modal:
        second = np.sort(seen)[-2] if len(seen) > 1 else 0.0
        if seen[action] - second > 2.0 * np.sqrt(seen[action] + second):
            return PASS_SIGN
    if extensions < max_extensions and (n < min_count or modal):
        return EXTEND
    return FAIL
