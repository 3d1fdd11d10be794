"""The no-commitment reference: sender-best pure-response cheap-talk equilibria (MODEL.md C3).

Without a commitment device the sender's messages must be credible: in every state she sends
only messages whose induced action she likes best. With a receiver who answers each message
with one action (a *pure* response), an equilibrium is described by

* the set ``K`` of actions that messages induce (one message per action: two messages that
  induce the same action can be merged, since obedience is linear in the scheme), and
* the sender's scheme ``sigma[s, k]`` over ``k in K``,

subject to

* **support restriction** (the sender's incentive): ``sigma[s, k] > 0`` only if
  ``u1[s, k] = max_{k' in K} u1[s, k']`` (ties may mix);
* **obedience** (the receiver's incentive): for each ``k in K`` and every action ``a'``,
  ``sum_s p[s] sigma[s, k] (u2[s, k] - u2[s, a']) >= 0``.

Messages outside ``K`` are off the equilibrium path; the receiver reads each as one of the
messages in ``K`` (an off-path belief equal to that message's posterior), so deviating to
them gains the sender nothing.

**Messages that are never sent.** A ``k in K`` whose column of ``sigma`` is zero still
restricts the sender (she may not prefer it in any state) but has no Bayesian posterior. The
solver does not force every ``k in K`` to carry mass: a solution with an unused ``k`` is also
feasible for ``K \\ {k}`` (a best action over ``K`` that is sent is a best action over the
smaller set) with the same values, so the maximum over all ``K`` is unchanged; the returned
``induced_actions`` are the actions *actually sent*, which form a genuine equilibrium of
their own. Sets with an action that is a best action over ``K`` in no state of positive
prior are skipped for the same reason.

**One LP per set, mostly skipped.** In state ``s`` the sender receives
``max_{k in K} u1[s, k]`` whichever maximiser she sends, so the sender's value of a feasible
``K`` is known before solving: ``v(K) = sum_s p[s] max_{k in K} u1[s, k]``. The sets are
therefore tried in decreasing order of ``v(K)`` and each LP is only a feasibility problem
(its objective picks, among the sender-best equilibria, the one the *receiver* likes best).
Where every state has a single best action over ``K`` (the generic case) the scheme is forced
and the LP reduces to checking obedience.
The search stops at the first feasible value; in the worst case it checks ``2^A - 1`` sets,
so games with more than :data:`MAX_CHEAP_TALK_ACTIONS` actions are refused.

Not covered: equilibria in which the receiver mixes between actions after a message (they
can give the sender more in some games), and mixed-strategy equilibria in general. The
babbling equilibrium (no information; the receiver's prior best response with ties broken in
the sender's favour, as in :func:`~persuasion_env.solvers.commitment.no_information_value`)
always exists, so ``babbling_value <= sender_value <= solve_commitment(game).sender_value``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from persuasion_env import bayes
from persuasion_env._validation import check_instance, check_int
from persuasion_env.game import PersuasionGame

__all__ = ["CheapTalkEquilibrium", "MAX_CHEAP_TALK_ACTIONS", "solve_cheap_talk"]

#: The solver enumerates subsets of actions; beyond this many actions it refuses.
MAX_CHEAP_TALK_ACTIONS = 16
#: ``u1`` values this close to the best over ``K`` count as tied (the sender may mix).
_U1_TIE_TOL = 1e-9
#: Obedience sums (weighted by P(k)) above minus this count as satisfied in a forced scheme.
_OBEDIENCE_TOL = 1e-12
#: Scheme entries below this are solver noise and are set to 0.
_ZERO_TOL = 1e-12
#: HiGHS feasibility tolerance, as in the commitment LP.
_HIGHS_TOL = 1e-9
#: Subsets are scored in chunks so that the ``S x chunk x A`` work array stays small.
_CHUNK_CELLS = 4_000_000

NOTE = (
    "sender-best cheap-talk equilibrium with a pure receiver response (one action per "
    "message); equilibria in which the receiver mixes are not covered"
)


@dataclass(frozen=True)
class CheapTalkEquilibrium:
    """A sender-best pure-response cheap-talk equilibrium and the babbling reference.

    Attributes:
        sender_value: the sender's expected utility in the equilibrium.
        receiver_value: the receiver's, in the same equilibrium (the receiver-best among
            the sender-best equilibria of the chosen ``K``).
        scheme: ``sigma[s, a]``, shape ``(S, A)``: column ``a`` is the message that induces
            action ``a``; columns of actions not induced are zero.
        induced_actions: the actions induced by messages actually sent, in increasing order.
        babbling_value: the sender's no-information value (the receiver's prior best
            response, ties broken in the sender's favour).
        babbling_receiver_value: the receiver's value in that babbling equilibrium.
        lps_solved: how many action sets the search checked (an LP, or a direct check
            when the scheme is forced).
        solve_time: wall-clock seconds.
        note: what the value covers (pure receiver responses only).
    """

    sender_value: float
    receiver_value: float
    scheme: np.ndarray
    induced_actions: tuple[int, ...]
    babbling_value: float
    babbling_receiver_value: float
    lps_solved: int
    solve_time: float
    note: str = NOTE

    @property
    def is_babbling(self) -> bool:
        """Whether the equilibrium reveals nothing (a single induced action)."""
        return len(self.induced_actions) == 1

    def to_dict(self) -> dict:
        """A JSON-ready summary."""
        return {
            "sender_value": self.sender_value,
            "receiver_value": self.receiver_value,
            "scheme": self.scheme.tolist(),
            "induced_actions": list(self.induced_actions),
            "babbling_value": self.babbling_value,
            "babbling_receiver_value": self.babbling_receiver_value,
            "lps_solved": self.lps_solved,
            "solve_time": self.solve_time,
            "note": self.note,
        }


def solve_cheap_talk(
    game: PersuasionGame, *, max_actions: int = MAX_CHEAP_TALK_ACTIONS
) -> CheapTalkEquilibrium:
    """The sender-best cheap-talk equilibrium with a pure receiver response (MODEL.md C3).

    Args:
        game: the game.
        max_actions: refuse games with more actions than this (the search is exponential in
            the number of actions A: up to ``2^A - 1`` LPs).

    Returns:
        A :class:`CheapTalkEquilibrium`. Equilibria in which the receiver mixes are not
        covered (see the module docstring).

    Raises:
        TypeError: if ``game`` is not a :class:`PersuasionGame`.
        ValueError: if ``game.n_actions > max_actions``.
    """
    check_instance(game, PersuasionGame, "game")
    max_actions = check_int(max_actions, "max_actions", minimum=1)
    if game.n_actions > max_actions:
        raise ValueError(
            f"solve_cheap_talk enumerates subsets of actions (2^n_actions - 1 LPs); "
            f"n_actions = {game.n_actions} is above the limit of {max_actions}"
        )
    start = time.perf_counter()
    p, u1, u2 = game.prior, game.sender_utility, game.receiver_utility
    n_states, n_actions = game.shape

    babble = int(bayes.best_response_to_belief(p, u2, u1))
    babbling_value = float(p @ u1[:, babble])
    babbling_receiver_value = float(p @ u2[:, babble])

    masks, values = _candidate_sets(p, u1)
    order = np.argsort(-values, kind="stable")
    best: tuple[float, float, np.ndarray] | None = None  # (sender, receiver, scheme)
    lps = 0
    for index in order:
        value = float(values[index])
        if best is not None and value < best[0] - _U1_TIE_TOL:
            break  # every remaining set gives the sender less
        if value < babbling_value - _U1_TIE_TOL:
            break  # babbling already does at least as well
        solved = _solve_set(p, u1, u2, np.flatnonzero(masks[index]))
        lps += 1
        if solved is None:
            continue
        receiver_value, scheme = solved
        if best is None or receiver_value > best[1] + _U1_TIE_TOL:
            best = (value, receiver_value, scheme)

    if best is None or best[0] < babbling_value - _U1_TIE_TOL:
        # Babbling: every state sends the message inducing the prior best response.
        scheme = np.zeros((n_states, n_actions))
        scheme[:, babble] = 1.0
        best = (babbling_value, babbling_receiver_value, scheme)
    sender_value, receiver_value, scheme = best
    # Report the values of the scheme itself (exact, not the solver's).
    induced = tuple(int(k) for k in np.flatnonzero(p @ scheme > 0))
    if not induced:  # only possible when every state has zero prior mass, which games forbid
        induced = (babble,)
    sender_value = float(np.sum(p[:, None] * scheme * u1))
    receiver_value = float(np.sum(p[:, None] * scheme * u2))
    return CheapTalkEquilibrium(
        sender_value=sender_value,
        receiver_value=receiver_value,
        scheme=scheme,
        induced_actions=induced,
        babbling_value=babbling_value,
        babbling_receiver_value=babbling_receiver_value,
        lps_solved=lps,
        solve_time=time.perf_counter() - start,
    )


def _candidate_sets(prior: np.ndarray, u1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nonempty action sets worth an LP and the sender's value ``v(K)`` of each.

    Returns ``masks`` (bool, ``(n_sets, A)``) and ``values`` (``(n_sets,)``). A set is kept
    only if each of its actions is a best action over the set in some state of positive
    prior; otherwise that action is never sent and the smaller set is already a candidate.
    """
    n_states, n_actions = u1.shape
    weights = prior > 0
    all_masks = (np.arange(1, 2**n_actions)[:, None] >> np.arange(n_actions)) & 1
    all_masks = all_masks.astype(bool)
    chunk = max(1, _CHUNK_CELLS // max(1, n_states * n_actions))
    kept_masks, kept_values = [], []
    for begin in range(0, len(all_masks), chunk):
        masks = all_masks[begin : begin + chunk]  # (C, A)
        masked = np.where(masks[None, :, :], u1[:, None, :], -np.inf)  # (S, C, A)
        best = masked.max(axis=2)  # (S, C)
        is_best = masks[None] & (masked >= best[:, :, None] - _U1_TIE_TOL)
        used = is_best[weights].any(axis=0)  # (C, A)
        keep = (used == masks).all(axis=1)
        kept_masks.append(masks[keep])
        kept_values.append(prior[weights] @ best[weights][:, keep])
    return np.concatenate(kept_masks), np.concatenate(kept_values)


def _check_forced(
    prior: np.ndarray, u2: np.ndarray, actions: np.ndarray, allowed: np.ndarray
) -> tuple[float, np.ndarray] | None:
    """:func:`_solve_set` when every state of positive prior has a single best action over the
    set: the scheme is forced, so the LP reduces to checking obedience (the generic case)."""
    n_states, n_actions = u2.shape
    choice = actions[np.argmax(allowed, axis=1)]  # the first best action (zero-prior ties)
    scheme = np.zeros((n_states, n_actions))
    scheme[np.arange(n_states), choice] = 1.0
    joint = prior[:, None] * scheme  # P(s, k)
    # gaps[k, a'] = sum_s P(s, k) (u2[s, k] - u2[s, a'])
    gaps = (joint * u2).sum(axis=0)[:, None] - joint.T @ u2
    if (gaps[actions] < -_OBEDIENCE_TOL).any():
        return None
    return float((joint * u2).sum()), scheme


def _solve_set(
    prior: np.ndarray, u1: np.ndarray, u2: np.ndarray, actions: np.ndarray
) -> tuple[float, np.ndarray] | None:
    """The equilibrium LP for the induced set ``actions``: ``None`` if infeasible, else the
    receiver's best value and the scheme ``(S, A)``.

    Variables ``x[s, j] = sigma(actions[j] | s)``, bounded above by 0 where ``actions[j]`` is
    not a best action over the set in state ``s`` (the support restriction).
    """
    n_states, n_actions = u1.shape
    k = len(actions)
    sub = u1[:, actions]  # (S, K)
    allowed = sub >= sub.max(axis=1, keepdims=True) - _U1_TIE_TOL
    if (allowed[prior > 0].sum(axis=1) == 1).all():
        return _check_forced(prior, u2, actions, allowed)
    upper = allowed.astype(float).ravel()
    # Obedience of each k in K against every other action a', as A_ub x <= 0 (negated).
    rows = []
    for j, action in enumerate(actions):
        for other in range(n_actions):
            if other == action:
                continue
            row = np.zeros((n_states, k))
            row[:, j] = -prior * (u2[:, action] - u2[:, other])
            rows.append(row.ravel())
    a_ub = np.array(rows) if rows else None
    b_ub = np.zeros(len(rows)) if rows else None
    a_eq = np.kron(np.eye(n_states), np.ones((1, k)))
    cost = -(prior[:, None] * u2[:, actions]).ravel()  # receiver-best among sender-best
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=np.ones(n_states),
        bounds=list(zip(np.zeros(n_states * k), upper, strict=True)),
        method="highs",
        options={
            "primal_feasibility_tolerance": _HIGHS_TOL,
            "dual_feasibility_tolerance": _HIGHS_TOL,
        },
    )
    if result.status == 2:
        return None
    if result.status != 0:
        raise RuntimeError(f"HiGHS failed on a cheap-talk LP: {result.message}")
    x = result.x.reshape(n_states, k).copy()
    x[x < _ZERO_TOL] = 0.0
    x /= x.sum(axis=1, keepdims=True)
    scheme = np.zeros((n_states, n_actions))
    scheme[:, actions] = x
    return float(-result.fun), scheme
