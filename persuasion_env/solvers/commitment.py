"""Exact optimal commitment: the LP of MODEL.md A2 and the restricted-message MILP of A3.

By the revelation principle the sender needs only ``A`` messages, message ``i`` read as
"play action ``i``". With ``x[s, i] = pi(i | s)``:

.. code-block:: text

    maximize    sum_s sum_i p[s] x[s,i] u1[s,i]
    subject to  sum_s p[s] x[s,i] (u2[s,i] - u2[s,j] - margin) >= 0   for all i != j
                sum_i x[s,i] = 1                                      for all s,  x >= 0

``margin = 0`` is the exact problem; a positive margin makes every recommendation strictly
obedient (the receiver prefers it by at least ``margin`` in posterior expectation), which a
learning receiver needs in order to follow it.

The LP has ``S*A`` variables and ``A(A-1)`` dense obedience rows: about 2 million nonzeros at
128x128. Most rows are slack at the optimum, so by default the rows are **generated lazily**
(``method="lazy"``): solve with the simplex constraints only, add the most violated obedience
rows, re-solve from the previous basis (dual simplex, warm started in HiGHS through highspy),
and repeat until none is violated. The result is the optimum of the full LP; ``method="full"``
solves the full LP in one go (the reference formulation used in the tests and benchmarks).
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from persuasion_env import bayes
from persuasion_env._validation import (
    check_choice,
    check_game_size,
    check_instance,
    check_int,
    check_positive,
)
from persuasion_env.game import PersuasionGame
from persuasion_env.solvers._highs import new_highs
from persuasion_env.solvers.values import (  # re-exported: they lived here
    full_disclosure_value,
    full_information_value,
    no_information_value,
)

__all__ = [
    "CommitmentSolution",
    "SolverTimeLimitWarning",
    "solve_commitment",
    "cached_solve_commitment",
    "no_information_value",
    "full_disclosure_value",
    "full_information_value",
]

#: Obedience violations (unnormalised, i.e. weighted by P(m)) below this count as satisfied.
_OBEDIENCE_TOL = 1e-10
#: Scheme entries below this are solver noise and are set to 0.
_ZERO_TOL = 1e-12
#: HiGHS feasibility tolerances: tighter than the default 1e-7 so that values are exact to ~1e-9.
_HIGHS_TOL = 1e-9


class SolverTimeLimitWarning(UserWarning):
    """The MILP stopped at its time limit; the returned scheme is the best one found."""


@dataclass(frozen=True)
class CommitmentSolution:
    """An optimal signalling scheme and its values.

    Attributes:
        scheme: ``pi[s, m]``, shape ``(S, M)``, rows sum to 1.
        sender_value: the sender's expected utility against a rational receiver.
        receiver_value: the receiver's expected utility under the same play.
        recommended_action: the action each message induces, shape ``(M,)``.
        status: ``"optimal"``, or ``"time_limit"`` when the MILP stopped early.
        solve_time: wall-clock seconds spent in the solver (including lazy rounds).
        method: ``"lazy"``, ``"full"`` or ``"milp"`` (or ``"trivial"`` for one message).
        mip_gap: relative optimality gap (0 for LPs and proven MILP optima).
        margin: the obedience margin the scheme was solved with.
        iterations: number of LP solves (lazy rounds) or 1.
        prior: the game's prior (for the derived properties).
        n_actions: the number of receiver actions A.
    """

    scheme: np.ndarray
    sender_value: float
    receiver_value: float
    recommended_action: np.ndarray
    status: str
    solve_time: float
    method: str
    mip_gap: float = 0.0
    margin: float = 0.0
    iterations: int = 1
    prior: np.ndarray = field(repr=False, default=None)
    n_actions: int = field(repr=False, default=0)

    @property
    def n_messages(self) -> int:
        """Number of messages M (columns of the scheme)."""
        return self.scheme.shape[1]

    @property
    def message_probabilities(self) -> np.ndarray:
        """``P(m)``, shape ``(M,)``."""
        return bayes.message_probabilities(self.prior, self.scheme)

    @property
    def posteriors(self) -> np.ndarray:
        """``p(s | m)``, shape ``(M, S)`` (the prior for messages never sent)."""
        return bayes.posteriors(self.prior, self.scheme)

    @property
    def response(self) -> np.ndarray:
        """The induced response table ``q[m, a]`` (one-hot rows), shape ``(M, A)``."""
        return bayes.one_hot(self.recommended_action, self.n_actions)

    def to_dict(self) -> dict:
        """A JSON-ready summary."""
        return {
            "sender_value": self.sender_value,
            "receiver_value": self.receiver_value,
            "scheme": self.scheme.tolist(),
            "recommended_action": self.recommended_action.tolist(),
            "message_probabilities": self.message_probabilities.tolist(),
            "status": self.status,
            "method": self.method,
            "mip_gap": self.mip_gap,
            "margin": self.margin,
            "solve_time": self.solve_time,
            "iterations": self.iterations,
        }


# ---------------------------------------------------------------------- the solver


def solve_commitment(
    game: PersuasionGame,
    n_messages: int | None = None,
    *,
    margin: float = 0.0,
    method: str = "lazy",
    time_limit: float | None = None,
    node_limit: int | None = None,
) -> CommitmentSolution:
    """The sender-optimal scheme against a rational receiver who sees the scheme.

    Args:
        game: the game.
        n_messages: ``None`` (or ``>= A``): the exact LP of MODEL.md A2. ``1 <= k < A``: the
            exact MILP of A3 (NP-hard in general; for small games). With ``k > A`` the extra
            messages are never sent.
        margin: obedience margin ``>= 0`` in posterior expected receiver utility. 0 is exact.
        method: how to solve the LP: ``"lazy"`` (row generation, the default) or ``"full"``
            (all rows at once). ``"milp"`` forces the MILP of A3 even when ``k >= A`` (a
            second formulation, used to cross-check the LP).
        time_limit: seconds for the MILP; when hit, the best scheme found is returned with
            ``status="time_limit"`` and a :class:`SolverTimeLimitWarning`.
        node_limit: branch-and-bound nodes for the MILP, a machine-independent limit that
            behaves like ``time_limit`` when it is hit.

    Returns:
        A :class:`CommitmentSolution`.

    Raises:
        TypeError: if ``game`` is not a :class:`PersuasionGame` or ``n_messages`` not an int.
        ValueError: on ``n_messages < 1``, a negative margin, an unknown method, or a margin
            too large for any obedient scheme to exist.
    """
    check_instance(game, PersuasionGame, "game")
    margin = check_positive(margin, "margin", allow_zero=True)
    check_choice(method, "method", ("lazy", "full", "milp"), listed=False)
    if time_limit is not None:
        time_limit = check_positive(time_limit, "time_limit")
    if node_limit is not None:
        node_limit = check_int(node_limit, "node_limit", minimum=1)
    n_actions = game.n_actions
    if n_messages is not None:
        n_messages = check_int(n_messages, "n_messages", minimum=1)
        check_game_size(game.n_states, n_messages, "n_messages", unit="states x messages")
    if n_actions > 1 and margin > _largest_gap(game.receiver_utility):
        # No message can be obedient with a margin above every state's utility spread: the
        # LP is infeasible, and a huge margin makes HiGHS fail numerically instead of saying so.
        raise _infeasible_margin(margin)
    if method == "milp":
        solution = _solve_milp(game, n_messages or n_actions, margin, time_limit, node_limit)
    elif n_messages is None or n_messages >= n_actions:
        solution = _solve_lp(game, margin, method)
        if n_messages is not None and n_messages > n_actions:
            solution = _pad_messages(solution, n_messages)
    else:
        solution = _solve_milp(game, n_messages, margin, time_limit, node_limit)
    return solution


@functools.lru_cache(maxsize=512)
def cached_solve_commitment(
    game: PersuasionGame, n_messages: int | None = None, margin: float = 0.0
) -> CommitmentSolution:
    """:func:`solve_commitment` memoised per (game, n_messages, margin).

    Engines, agents and tournaments ask for the same game's optimum many times; the arrays
    of the shared result are read-only.
    """
    solution = solve_commitment(game, n_messages=n_messages, margin=margin)
    for array in (solution.scheme, solution.recommended_action):
        array.setflags(write=False)
    return solution


def _obedience_gaps(prior: np.ndarray, u2: np.ndarray, x: np.ndarray, margin: float) -> np.ndarray:
    """``D[i, j] = sum_s p[s] x[s,i] (u2[s,i] - u2[s,j] - margin)``, shape (A, A)."""
    weighted = prior[:, None] * x  # (S, A): P(s, i)
    own = (weighted * u2).sum(axis=0)  # sum_s P(s,i) u2[s,i]
    cross = weighted.T @ u2  # [i, j] = sum_s P(s,i) u2[s,j]
    gaps = own[:, None] - cross - margin * weighted.sum(axis=0)[:, None]
    np.fill_diagonal(gaps, np.inf)
    return gaps


def _obedience_rows(
    prior: np.ndarray, u2: np.ndarray, pairs: np.ndarray, margin: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR pieces (starts, column indices, values) of obedience rows for ``pairs`` (k, 2)."""
    n_states, n_actions = u2.shape
    i, j = pairs[:, 0], pairs[:, 1]
    values = prior[None, :] * (u2[:, i].T - u2[:, j].T - margin)  # (k, S)
    columns = np.arange(n_states)[None, :] * n_actions + i[:, None]  # x[s, i] at s*A + i
    starts = np.arange(len(pairs), dtype=np.int32) * n_states
    return starts, columns.astype(np.int32).ravel(), values.ravel()


def _finish_lp(game, x, margin, method, elapsed, iterations) -> CommitmentSolution:
    x = x.reshape(game.n_states, game.n_actions).copy()
    # Entries at the solver's noise level are zeros; left in, they would create messages sent
    # with probability ~1e-15 whose posteriors are meaningless.
    x[x < _ZERO_TOL] = 0.0
    x /= x.sum(axis=1, keepdims=True)
    actions, values = _induced(game, x)
    return CommitmentSolution(
        scheme=x,
        sender_value=float(values[0]),
        receiver_value=float(values[1]),
        recommended_action=actions,
        status="optimal",
        solve_time=elapsed,
        method=method,
        margin=margin,
        iterations=iterations,
        prior=game.prior,
        n_actions=game.n_actions,
    )


def _induced(game: PersuasionGame, scheme: np.ndarray) -> tuple[np.ndarray, tuple]:
    """The action a rational receiver takes on each message (A1's tie rule) and the values.

    On a sent message this is the recommended action or one the receiver and the sender both
    value equally (the solver may label such a message either way); reporting what the
    receiver actually does keeps ``recommended_action`` and the values consistent with
    :mod:`persuasion_env.bayes`.
    """
    p, u1, u2 = game.prior, game.sender_utility, game.receiver_utility
    actions = bayes.best_response(p, scheme, u2, u1)
    values = bayes.expected_utilities(p, scheme, bayes.one_hot(actions, game.n_actions), u1, u2)
    return actions, values


def _largest_gap(u2: np.ndarray) -> float:
    """``max_s (max_a u2[s, a] - min_a u2[s, a])``: an obedience margin above it is infeasible
    (a recommendation's posterior gain over any other action is at most this)."""
    return float(np.max(u2.max(axis=1) - u2.min(axis=1)))


def _infeasible_margin(margin: float) -> ValueError:
    return ValueError(
        f"no scheme is obedient with margin={margin}: the margin is larger than the receiver's "
        "preference gaps allow; use a smaller margin"
    )


def _solve_lp(game: PersuasionGame, margin: float, method: str) -> CommitmentSolution:
    n_states, n_actions = game.shape
    if n_actions == 1:
        return _finish_lp(game, np.ones((n_states, 1)), margin, "trivial", 0.0, 0)
    if method == "full":
        return _solve_lp_full(game, margin)
    return _solve_lp_lazy(game, margin)


def _solve_lp_full(game: PersuasionGame, margin: float) -> CommitmentSolution:
    """The whole LP in one HiGHS call (the reference formulation)."""
    n_states, n_actions = game.shape
    p, u1, u2 = game.prior, game.sender_utility, game.receiver_utility
    i, j = np.nonzero(~np.eye(n_actions, dtype=bool))
    starts, columns, values = _obedience_rows(p, u2, np.column_stack([i, j]), margin)
    rows = np.repeat(np.arange(len(i)), n_states)
    # linprog wants A_ub x <= b_ub, so obedience rows are negated.
    a_ub = sparse.csr_array((-values, (rows, columns)), shape=(len(i), n_states * n_actions))
    a_eq = sparse.kron(sparse.eye(n_states), np.ones((1, n_actions)), format="csr")
    start = time.perf_counter()
    result = linprog(
        c=-(p[:, None] * u1).ravel(),
        A_ub=a_ub,
        b_ub=np.zeros(len(i)),
        A_eq=a_eq,
        b_eq=np.ones(n_states),
        bounds=(0, None),
        method="highs",
        options={
            "primal_feasibility_tolerance": _HIGHS_TOL,
            "dual_feasibility_tolerance": _HIGHS_TOL,
        },
    )
    elapsed = time.perf_counter() - start
    if result.status == 2:
        raise _infeasible_margin(margin)
    if result.status != 0:
        raise RuntimeError(f"HiGHS failed on the commitment LP: {result.message}")
    return _finish_lp(game, result.x, margin, "full", elapsed, 1)


def _solve_lp_lazy(
    game: PersuasionGame, margin: float, rows_per_message: int = 4, max_rounds: int = 10_000
) -> CommitmentSolution:
    """Row generation: add the most violated obedience rows until none is violated."""
    n_states, n_actions = game.shape
    p, u1, u2 = game.prior, game.sender_utility, game.receiver_utility
    n = n_states * n_actions
    start = time.perf_counter()
    highs = new_highs()
    highs.setOptionValue("primal_feasibility_tolerance", _HIGHS_TOL)
    highs.setOptionValue("dual_feasibility_tolerance", _HIGHS_TOL)
    highs.addCols(
        n,
        (p[:, None] * u1).ravel(),
        np.zeros(n),
        np.full(n, highspy.kHighsInf),
        0,
        np.zeros(0, np.int32),
        np.zeros(0, np.int32),
        np.zeros(0),
    )
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    highs.addRows(
        n_states,
        np.ones(n_states),
        np.ones(n_states),
        n,
        np.arange(n_states, dtype=np.int32) * n_actions,
        np.arange(n, dtype=np.int32),
        np.ones(n),
    )
    present = np.zeros((n_actions, n_actions), dtype=bool)
    # Seed each message with its obedience row against the action the receiver likes best
    # on average: the most common binding row, which saves a round or two.
    favourite = np.argmax(p @ u2)
    seed_pairs = np.array([(i, favourite) for i in range(n_actions) if i != favourite])
    pairs = seed_pairs
    rounds = 0
    while True:
        if len(pairs):
            present[pairs[:, 0], pairs[:, 1]] = True
            starts, columns, values = _obedience_rows(p, u2, pairs, margin)
            highs.addRows(
                len(pairs),
                np.zeros(len(pairs)),
                np.full(len(pairs), highspy.kHighsInf),
                len(values),
                starts,
                columns,
                values,
            )
        highs.run()
        rounds += 1
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise _infeasible_margin(margin)
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(
                f"HiGHS failed on the commitment LP: {highs.modelStatusToString(status)}"
            )
        x = np.asarray(highs.getSolution().col_value).reshape(n_states, n_actions)
        gaps = _obedience_gaps(p, u2, x, margin)
        gaps[present] = np.inf  # rows in the model hold up to the solver's tolerance
        violated = gaps < -_OBEDIENCE_TOL
        if not violated.any():
            break
        if rounds >= max_rounds:  # pragma: no cover - the loop adds >= 1 row per round
            raise RuntimeError("row generation did not converge")
        # For each message, its most violated rows (a few per round keeps re-solves cheap).
        order = np.argsort(gaps, axis=1)[:, :rows_per_message]
        take = np.take_along_axis(violated, order, axis=1)
        pairs = np.column_stack([np.nonzero(take)[0], order[take]])
    elapsed = time.perf_counter() - start
    return _finish_lp(game, x, margin, "lazy", elapsed, rounds)


def _pad_messages(solution: CommitmentSolution, n_messages: int) -> CommitmentSolution:
    """Add never-sent messages so that the scheme has ``n_messages`` columns."""
    n_states, n_actions = solution.scheme.shape
    scheme = np.zeros((n_states, n_messages))
    scheme[:, :n_actions] = solution.scheme
    # A never-sent message leaves the receiver at her prior; it is labelled with the action
    # she would take there, so ``recommended_action`` stays a best response everywhere.
    extra = np.full(n_messages - n_actions, solution.recommended_action[0])
    return CommitmentSolution(
        scheme=scheme,
        sender_value=solution.sender_value,
        receiver_value=solution.receiver_value,
        recommended_action=np.concatenate([solution.recommended_action, extra]),
        status=solution.status,
        solve_time=solution.solve_time,
        method=solution.method,
        margin=solution.margin,
        iterations=solution.iterations,
        prior=solution.prior,
        n_actions=solution.n_actions,
    )


def _solve_milp(
    game: PersuasionGame,
    k: int,
    margin: float,
    time_limit: float | None,
    node_limit: int | None = None,
) -> CommitmentSolution:
    """The restricted-message MILP of MODEL.md A3.

    Variables: ``z[m, a]`` binary (message m is labelled with action a) and
    ``x[s, m, a] in [0, z[m, a]]`` (the probability of sending m in state s, when m means a).
    """
    n_states, n_actions = game.shape
    p, u1, u2 = game.prior, game.sender_utility, game.receiver_utility
    n_z = k * n_actions
    n_x = n_states * k * n_actions
    n_var = n_z + n_x

    def z_index(m, a):
        return m * n_actions + a

    def x_index(s, m, a):
        return n_z + (s * k + m) * n_actions + a

    s_idx, m_idx, a_idx = np.meshgrid(
        np.arange(n_states), np.arange(k), np.arange(n_actions), indexing="ij"
    )
    s_idx, m_idx, a_idx = s_idx.ravel(), m_idx.ravel(), a_idx.ravel()
    x_cols = x_index(s_idx, m_idx, a_idx)

    blocks: list[LinearConstraint] = []
    # Each message carries exactly one label.
    rows = np.repeat(np.arange(k), n_actions)
    cols = np.arange(n_z)
    blocks.append(
        LinearConstraint(sparse.csr_array((np.ones(n_z), (rows, cols)), shape=(k, n_var)), 1, 1)
    )
    # x[s, m, a] <= z[m, a]
    count = len(x_cols)
    mat = sparse.csr_array(
        (
            np.concatenate([np.ones(count), -np.ones(count)]),
            (np.tile(np.arange(count), 2), np.concatenate([x_cols, z_index(m_idx, a_idx)])),
        ),
        shape=(count, n_var),
    )
    blocks.append(LinearConstraint(mat, -np.inf, 0))
    # Each state sends some message.
    blocks.append(
        LinearConstraint(
            sparse.csr_array((np.ones(count), (s_idx, x_cols)), shape=(n_states, n_var)), 1, 1
        )
    )
    # Obedience: for each (m, a, a'), sum_s p[s] x[s,m,a] (u2[s,a] - u2[s,a'] - margin) >= 0.
    m_o, a_o, b_o = np.meshgrid(
        np.arange(k), np.arange(n_actions), np.arange(n_actions), indexing="ij"
    )
    keep = a_o != b_o
    m_o, a_o, b_o = m_o[keep], a_o[keep], b_o[keep]
    n_rows = len(m_o)
    rows = np.repeat(np.arange(n_rows), n_states)
    ss = np.tile(np.arange(n_states), n_rows)
    mm, aa, bb = np.repeat(m_o, n_states), np.repeat(a_o, n_states), np.repeat(b_o, n_states)
    vals = p[ss] * (u2[ss, aa] - u2[ss, bb] - margin)
    obedience = sparse.csr_array((vals, (rows, x_index(ss, mm, aa))), shape=(n_rows, n_var))
    obedience.eliminate_zeros()  # ties in u2 and states of zero prior mass
    blocks.append(LinearConstraint(obedience, 0, np.inf))
    # Messages are interchangeable: order their labels to cut symmetric branches.
    if k > 1:
        rows = np.repeat(np.arange(k - 1), 2 * n_actions)
        labels = np.tile(np.arange(n_actions, dtype=float), 2 * (k - 1))
        sign = np.tile(np.concatenate([np.ones(n_actions), -np.ones(n_actions)]), k - 1)
        cols = np.concatenate(
            [
                np.concatenate(
                    [z_index(m, np.arange(n_actions)), z_index(m + 1, np.arange(n_actions))]
                )
                for m in range(k - 1)
            ]
        )
        blocks.append(
            LinearConstraint(
                sparse.csr_array((labels * sign, (rows, cols)), shape=(k - 1, n_var)), -np.inf, 0
            )
        )

    cost = np.zeros(n_var)
    cost[x_cols] = -p[s_idx] * u1[s_idx, a_idx]
    integrality = np.zeros(n_var)
    integrality[:n_z] = 1
    options = {"mip_rel_gap": 1e-9}
    if time_limit is not None:
        options["time_limit"] = time_limit
    if node_limit is not None:
        options["node_limit"] = node_limit
    limit = f"time_limit={time_limit} s" if node_limit is None else f"node_limit={node_limit}"
    start = time.perf_counter()
    result = milp(
        cost, constraints=blocks, integrality=integrality, bounds=Bounds(0, 1), options=options
    )
    if result.status == 2:
        # HiGHS's MIP presolve (1.12 and 1.15) wrongly reports some of these models
        # infeasible, e.g. when ties in u2 leave obedience rows with one nonzero. With
        # margin 0 the model is never infeasible (one pooling message labelled with the
        # prior best response is feasible), so confirm any such verdict without presolve.
        result = milp(
            cost,
            constraints=blocks,
            integrality=integrality,
            bounds=Bounds(0, 1),
            options={**options, "presolve": False},
        )
    elapsed = time.perf_counter() - start
    if result.status == 2:
        raise _infeasible_margin(margin)
    if result.x is None:
        if result.status == 1:
            raise RuntimeError(
                f"the restricted-message MILP found no scheme within {limit}; raise the limit"
            )
        raise RuntimeError(f"HiGHS failed on the restricted-message MILP: {result.message}")
    status = "optimal"
    gap = 0.0
    if result.status == 1:
        status = "time_limit"
        gap = float(getattr(result, "mip_gap", math.nan))
        warnings.warn(
            f"the restricted-message MILP hit {limit}; returning the best "
            f"scheme found (relative gap {gap:.3g})",
            SolverTimeLimitWarning,
            stacklevel=3,
        )
    scheme = result.x[n_z:].reshape(n_states, k, n_actions).sum(axis=2)
    scheme[scheme < _ZERO_TOL] = 0.0  # solver noise, as in the LP
    scheme /= scheme.sum(axis=1, keepdims=True)
    labels, (u_s, u_r) = _induced(game, scheme)
    return CommitmentSolution(
        scheme=scheme,
        sender_value=float(u_s),
        receiver_value=float(u_r),
        recommended_action=labels,
        status=status,
        solve_time=elapsed,
        method="milp",
        mip_gap=gap,
        margin=margin,
        iterations=1,
        prior=p,
        n_actions=n_actions,
    )
