"""The simulation-oracle game (MODEL.md Part B1): states, receiver types and a joint prior.

An :class:`OracleGame` holds

=====================  ==========  =========================================================
name                   shape       meaning
=====================  ==========  =========================================================
``states``             ``(W,)``    real states ``w_1 < ... < w_W``
``types``              ``(T,)``    receiver types ``theta_1 < ... < theta_T``
``joint_prior``        ``(W, T)``  ``psi[w, t]``: probability of (state w, type t)
``receiver_utility``   ``(W, T)``  ``u[w, t]``: the receiver's utility of acting (0 if not)
=====================  ==========  =========================================================

The sender's utility is the action itself (she always wants the receiver to act). The model
assumes (B1) that ``u`` is weakly increasing in the state and in the type, and that the prior is
*affiliated*: ``psi[w', t'] psi[w, t] >= psi[w', t] psi[w, t']`` for ``w' > w`` and ``t' > t``.
Under these assumptions every message splits the types at a threshold, which is what makes
queries thresholds and the planners of :mod:`persuasion_env.solvers.oracle` exact.

>>> from persuasion_env.oracle import OracleGame
>>> og = OracleGame.example("three-types")
>>> og.n_states, og.n_types
(2, 3)
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from persuasion_env._validation import (
    PROBABILITY_ATOL,
    as_float_array,
    check_bool,
    check_game_size,
    check_int,
    check_positive,
    check_probability_vector,
    check_sorted,
    check_string,
    load_json_object,
    make_rng,
)

__all__ = ["OracleGame", "EXAMPLES", "AFFILIATION_RTOL"]

#: Relative tolerance of the affiliation check (products are compared up to this factor).
AFFILIATION_RTOL = 1e-9


#: Games with ``W^2 T^2`` at most this are checked for affiliation in one vectorised step.
_AFFILIATION_VECTOR_CELLS = 20_000


@functools.lru_cache(maxsize=64)
def _pair_mask(W: int, T: int) -> np.ndarray:
    """``(W, W, T, T)`` bool: ``w < w'`` and ``t < t'`` (read-only, cached per size)."""
    mask = (
        np.triu(np.ones((W, W), dtype=bool), k=1)[:, :, None, None]
        & np.triu(np.ones((T, T), dtype=bool), k=1)[None, None]
    )
    mask.setflags(write=False)
    return mask


def affiliation_violation(joint_prior: np.ndarray) -> tuple[int, int, int, int] | None:
    """The first pair breaking affiliation (B1), or None when the prior is affiliated.

    Checks ``psi[w', t'] psi[w, t] >= psi[w', t] psi[w, t']`` for all ``w < w'`` and
    ``t < t'`` (up to a relative tolerance :data:`AFFILIATION_RTOL`).

    Returns:
        ``(w, w', t, t')`` (0-based indices) of a violating pair, or ``None``.
    """
    psi = np.asarray(joint_prior, dtype=np.float64)
    W, T = psi.shape
    if W < 2 or T < 2:
        return None
    if W * W * T * T <= _AFFILIATION_VECTOR_CELLS:
        # all pairs at once (small games, e.g. every reset of the oracle env's random mode):
        # lhs[w, w', t, t'] = psi[w', t'] psi[w, t];  rhs = psi[w', t] psi[w, t']
        lhs = psi[None, :, None, :] * psi[:, None, :, None]
        rhs = psi[None, :, :, None] * psi[:, None, None, :]
        bad = lhs < rhs - AFFILIATION_RTOL * np.maximum(lhs, rhs) - 1e-300
        bad &= _pair_mask(W, T)
        if not bad.any():
            return None
        w, w2, t, t2 = (int(v) for v in np.argwhere(bad)[0])  # the loop's first, in order
        return (w, w2, t, t2)
    for w in range(W - 1):
        upper = psi[w + 1 :]  # rows w' > w
        # lhs[w', t, t'] = psi[w', t'] psi[w, t];  rhs = psi[w', t] psi[w, t']
        lhs = upper[:, None, :] * psi[w][None, :, None]
        rhs = upper[:, :, None] * psi[w][None, None, :]
        mask = np.triu(np.ones((T, T), dtype=bool), k=1)[None]
        bad = (lhs < rhs - AFFILIATION_RTOL * np.maximum(lhs, rhs) - 1e-300) & mask
        if np.any(bad):
            k, t, t2 = (int(v) for v in np.argwhere(bad)[0])
            return (w, w + 1 + k, t, t2)
    return None


class OracleGame:
    """A persuasion game with an informed receiver and a simulation oracle (MODEL.md B1).

    Args:
        states: ``(W,)`` strictly increasing real states.
        types: ``(T,)`` strictly increasing receiver types (labels; only their order matters to
            the planners).
        joint_prior: ``(W, T)`` non-negative, summing to 1: ``psi[w, t] = P(state w, type t)``.
        receiver_utility: ``(W, T)``: the receiver's utility ``u[w, t]`` of acting; not acting
            is worth 0. Must be weakly increasing in the state and in the type.
        name: an optional label (used in tables and the CLI).
        check_assumptions: when True (default) reject utilities that are not monotone and
            priors that are not affiliated (B1). Pass False for experiments outside the model;
            the planners' optimality guarantees then no longer hold.

    Raises:
        TypeError: on non-numeric input.
        ValueError: on wrong shapes, unsorted or duplicate states/types, a prior that is
            negative or does not sum to 1, or (with ``check_assumptions``) a broken assumption;
            the message names the argument and, for affiliation, the offending pair.

    Attributes:
        states, types, joint_prior, receiver_utility: read-only float arrays.
        type_marginal: ``(T,)`` ``P(type t)``.
        state_marginal: ``(W,)`` ``P(state w)``.
    """

    def __init__(
        self,
        states: Any,
        types: Any,
        joint_prior: Any,
        receiver_utility: Any,
        *,
        name: str | None = None,
        check_assumptions: bool = True,
    ) -> None:
        states_a = as_float_array(states, "states", ndim=1)
        types_a = as_float_array(types, "types", ndim=1)
        check_sorted(states_a, "states")
        check_sorted(types_a, "types")
        W, T = states_a.size, types_a.size
        psi = as_float_array(joint_prior, "joint_prior", ndim=2)
        if psi.shape != (W, T):
            raise ValueError(f"joint_prior must have shape (W, T) = ({W}, {T}), got {psi.shape}")
        if np.any(psi < 0):
            raise ValueError(f"joint_prior has negative entries (min {psi.min():.3g})")
        total = float(psi.sum())
        if abs(total - 1.0) > PROBABILITY_ATOL:
            raise ValueError(f"joint_prior must sum to 1, got {total:.9g}")
        psi = psi / total
        u = as_float_array(receiver_utility, "receiver_utility", ndim=2)
        if u.shape != (W, T):
            raise ValueError(f"receiver_utility must have shape (W, T) = ({W}, {T}), got {u.shape}")
        check_string(name, "name", optional=True)
        check_assumptions = check_bool(check_assumptions, "check_assumptions")
        if check_assumptions:
            down = np.diff(u, axis=0) < -1e-12
            dw = np.argwhere(down) if down.any() else ()
            if len(dw):
                w, t = (int(v) for v in dw[0])
                raise ValueError(
                    f"receiver_utility must be weakly increasing in the state: "
                    f"u[{w + 1}, {t}] = {u[w + 1, t]:.6g} < u[{w}, {t}] = {u[w, t]:.6g}"
                )
            down = np.diff(u, axis=1) < -1e-12
            dt = np.argwhere(down) if down.any() else ()
            if len(dt):
                w, t = (int(v) for v in dt[0])
                raise ValueError(
                    f"receiver_utility must be weakly increasing in the type: "
                    f"u[{w}, {t + 1}] = {u[w, t + 1]:.6g} < u[{w}, {t}] = {u[w, t]:.6g}"
                )
            bad = affiliation_violation(psi)
            if bad is not None:
                w, w2, t, t2 = bad
                raise ValueError(
                    "joint_prior is not affiliated (B1): for states "
                    f"({w}, {w2}) and types ({t}, {t2}), psi[{w2},{t2}]*psi[{w},{t}] = "
                    f"{psi[w2, t2] * psi[w, t]:.6g} < psi[{w2},{t}]*psi[{w},{t2}] = "
                    f"{psi[w2, t] * psi[w, t2]:.6g}; pass check_assumptions=False to allow it"
                )
        self._states = states_a
        self._types = types_a
        self._psi = psi
        self._u = u
        for arr in (self._states, self._types, self._psi, self._u):
            arr.setflags(write=False)
        self.name = name
        self.check_assumptions = check_assumptions
        self._cache: dict[str, Any] = {}

    # ------------------------------------------------------------------ properties
    @property
    def states(self) -> np.ndarray:
        return self._states

    @property
    def types(self) -> np.ndarray:
        return self._types

    @property
    def joint_prior(self) -> np.ndarray:
        return self._psi

    @property
    def receiver_utility(self) -> np.ndarray:
        return self._u

    @property
    def n_states(self) -> int:
        return int(self._states.size)

    @property
    def n_types(self) -> int:
        return int(self._types.size)

    @property
    def type_marginal(self) -> np.ndarray:
        return self._psi.sum(axis=0)

    @property
    def state_marginal(self) -> np.ndarray:
        return self._psi.sum(axis=1)

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"OracleGame{label}(W={self.n_states}, T={self.n_types})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OracleGame):
            return NotImplemented
        return (
            np.array_equal(self._states, other._states)
            and np.array_equal(self._types, other._types)
            and np.allclose(self._psi, other._psi, rtol=0, atol=1e-15)
            and np.array_equal(self._u, other._u)
        )

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ receiver model
    def expected_utility(self, column: Any) -> np.ndarray:
        """Each type's (unnormalised) expected utility of acting on a message with column ``x``.

        Args:
            column: ``(W,)`` the probabilities ``x[w] = sigma(m | w)`` of the message.

        Returns:
            ``(T,)`` ``sum_w psi[w, t] u[w, t] x[w]``. Type t acts iff this is ``>= 0``.
        """
        x = as_float_array(column, "column", ndim=1)
        if x.size != self.n_states:
            raise ValueError(f"column must have length W = {self.n_states}, got {x.size}")
        if np.any(x < 0) or np.any(x > 1):
            raise ValueError("column entries must be probabilities in [0, 1]")
        return (self._psi * self._u).T @ x

    # ------------------------------------------------------------------ constructors
    @classmethod
    def example(cls, name: str) -> OracleGame:
        """A named example: one of :data:`EXAMPLES` (``"three-types"``, ``"greedy-trap"``, ...).

        Raises:
            ValueError: on an unknown name (the message lists the known ones).
        """
        if not isinstance(name, str):
            raise TypeError(f"name must be a string, got {type(name).__name__}")
        try:
            builder = EXAMPLES[name]
        except KeyError:
            known = ", ".join(sorted(EXAMPLES))
            raise ValueError(f"unknown example {name!r}; known examples: {known}") from None
        return builder()

    @classmethod
    def binary_thresholds(
        cls,
        p_high: float,
        thresholds: Any,
        type_probs: Any | None = None,
        *,
        name: str | None = None,
    ) -> OracleGame:
        """Binary state, product prior, receivers who act iff ``P(high | m) >= theta``.

        Types are ordered by eagerness: the largest ``theta`` is the lowest type. Receiver
        utility ``u[low, t] = -theta_t``, ``u[high, t] = 1 - theta_t`` (MODEL.md B8).

        Args:
            p_high: prior probability of the high state, in (0, 1).
            thresholds: ``(T,)`` acceptance thresholds ``theta`` (any order; sorted
                decreasingly internally); each in (0, 1].
            type_probs: ``(T,)`` type probabilities matching ``thresholds`` (default uniform).
        """
        p = check_positive(p_high, "p_high")
        if p >= 1:
            raise ValueError(f"p_high must be in (0, 1), got {p}")
        theta = as_float_array(thresholds, "thresholds", ndim=1)
        if np.any(theta <= 0) or np.any(theta > 1):
            raise ValueError(f"thresholds must lie in (0, 1], got {theta.tolist()}")
        if type_probs is None:
            q = np.full(theta.size, 1.0 / theta.size)
        else:
            q = check_probability_vector(type_probs, "type_probs")
            if q.size != theta.size:
                raise ValueError(
                    f"type_probs must have the same length as thresholds ({theta.size}), "
                    f"got {q.size}"
                )
        order = np.argsort(-theta, kind="stable")
        theta, q = theta[order], q[order]
        psi = np.outer([1 - p, p], q)
        u = np.vstack([-theta, 1 - theta])
        return cls([0.0, 1.0], -theta, psi, u, name=name)

    @classmethod
    def random(
        cls,
        n_states: int,
        n_types: int,
        *,
        seed: int | np.random.Generator | None = None,
        correlation: float | None = None,
        name: str | None = None,
    ) -> OracleGame:
        """A random game that satisfies the assumptions of B1.

        The prior is log-supermodular: ``psi[w, t] ∝ exp(c * s_w * r_t + a_w + b_t)`` with
        sorted normal scores ``s, r``, a correlation strength ``c >= 0`` and normal row/column
        effects, hence affiliated. The utility is ``0.4 a_w + 0.4 b_t + 0.2 c_wt - k``: ``a``,
        ``b`` random increasing ramps on [0, 1], ``c`` a rescaled double cumulative sum of
        exponential draws (increasing in both), and ``k`` drawn in ``[0.25, 0.65]`` so that
        both signs occur.

        Args:
            n_states: W >= 1.
            n_types: T >= 1.
            seed: seed or Generator (every draw comes from it).
            correlation: ``c`` (default: uniform in [0, 2]).
        """
        W = check_int(n_states, "n_states", minimum=1)
        T = check_int(n_types, "n_types", minimum=1)
        check_game_size(W, T, "n_states x n_types", "states x types")
        check_string(name, "name", optional=True)
        rng = make_rng(seed)
        # ndarray methods and broadcasting instead of the np.* wrappers (np.outer is this
        # product): the same arithmetic in the same order, at every reset of the oracle env
        s = rng.normal(size=W)
        s.sort()
        r = rng.normal(size=T)
        r.sort()
        c = (
            rng.uniform(0.0, 2.0)
            if correlation is None
            else check_positive(correlation, "correlation", allow_zero=True)
        )
        logp = (
            c * (s[:, None] * r[None, :])
            + 0.5 * rng.normal(size=W)[:, None]
            + 0.5 * rng.normal(size=T)[None, :]
        )
        psi = np.exp(logp - logp.max())
        psi /= psi.sum()

        def ramp(n: int) -> np.ndarray:
            steps = rng.exponential(size=n).cumsum()
            return (steps - steps[0]) / max(steps[-1] - steps[0], 1e-12)

        inter = rng.exponential(size=(W, T)).cumsum(axis=0).cumsum(axis=1)
        low, high = inter.min(), inter.max()
        inter = (inter - low) / max(high - low, 1e-12)
        u = 0.4 * ramp(W)[:, None] + 0.4 * ramp(T)[None, :] + 0.2 * inter
        u = u - rng.uniform(0.25, 0.65)
        states = rng.uniform(0.5, 1.5, size=W).cumsum()
        types = rng.uniform(0.5, 1.5, size=T).cumsum()
        return cls._checked_by_construction(states, types, psi, u, name or f"random-{W}x{T}")

    @classmethod
    def _checked_by_construction(
        cls, states: np.ndarray, types: np.ndarray, psi: np.ndarray, u: np.ndarray, name: str
    ) -> OracleGame:
        """The game ``cls(states, types, psi, u, name=name)`` without re-running the checks of
        ``__init__``, for arrays that pass them by construction (:meth:`random`, whose games the
        oracle environment draws at every reset: the checks cost more than the draws).

        :meth:`random` guarantees them: float64 arrays of the right shapes; states and types
        cumulative sums of positive draws (strictly increasing); a positive prior summing to 1;
        a utility built by operations that are monotone in floating point (sums of
        non-decreasing ramps and cumulative sums, scaled by positive constants, shifted by one
        constant), hence weakly increasing in both indices exactly; a prior
        ``exp(c s_w r_t + a_w + b_t)`` with sorted ``s``, ``r`` and ``c >= 0``, log-supermodular
        up to rounding (relative 1e-15, far inside :data:`AFFILIATION_RTOL`). The prior is
        normalised once more, as ``__init__`` does, so the game is the same to the bit
        (``tests/oracle/test_game.py`` checks both against ``__init__``)."""
        og = cls.__new__(cls)
        psi = psi / float(psi.sum())
        for arr in (states, types, psi, u):
            arr.setflags(write=False)
        og._states, og._types, og._psi, og._u = states, types, psi, u
        og.name = name
        og.check_assumptions = True
        og._cache = {}
        return og

    @classmethod
    def from_density(
        cls,
        density: Callable[..., Any] | Any,
        utility: Callable[[np.ndarray, np.ndarray], Any],
        *,
        box: Any = None,
        resolution: int | tuple[int, int] = 200,
        name: str | None = None,
        check_assumptions: bool = True,
    ) -> OracleGame:
        """Discretise a continuous prior on a bounded box into a fine-grid game (B4).

        Each grid cell's probability is the density at the cell's midpoint times its area,
        renormalised; states and types are the midpoints. Round the result further with
        :func:`persuasion_env.solvers.oracle.round_game`.

        Args:
            density: a callable ``f(w, theta)`` (vectorised over arrays) or an object with a
                ``pdf`` method taking points of shape ``(..., 2)`` (e.g. a frozen
                ``scipy.stats.multivariate_normal``).
            utility: a vectorised callable ``u(w, theta)``.
            box: ``((w_low, w_high), (theta_low, theta_high))``, finite bounds (required:
                continuous priors must be restricted to a bounded support).
            resolution: grid points per axis (or a pair).

        Raises:
            ValueError: if ``box`` is missing or unbounded, or the density has no mass on it.
        """
        if box is None:
            raise ValueError(
                "box must be given: a continuous prior needs a bounded support "
                "((w_low, w_high), (theta_low, theta_high))"
            )
        b = as_float_array(box, "box", ndim=2) if not _has_inf(box) else None
        if b is None or b.shape != (2, 2):
            raise ValueError(
                "box must be ((w_low, w_high), (theta_low, theta_high)) with finite bounds"
            )
        if np.any(b[:, 1] <= b[:, 0]):
            raise ValueError("box must have low < high on both axes")
        if isinstance(resolution, tuple | list):
            if len(resolution) != 2:
                raise ValueError(
                    f"resolution must be an int or a pair (n_w, n_theta), got {resolution!r}"
                )
            nw = check_int(resolution[0], "resolution[0]", minimum=2)
            nt = check_int(resolution[1], "resolution[1]", minimum=2)
        else:
            nw = nt = check_int(resolution, "resolution", minimum=2)
        check_game_size(nw, nt, "resolution", "grid points w x theta")
        w_edges = np.linspace(b[0, 0], b[0, 1], nw + 1)
        t_edges = np.linspace(b[1, 0], b[1, 1], nt + 1)
        w_mid = (w_edges[:-1] + w_edges[1:]) / 2
        t_mid = (t_edges[:-1] + t_edges[1:]) / 2
        WW, TT = np.meshgrid(w_mid, t_mid, indexing="ij")
        if hasattr(density, "pdf"):
            dens = density.pdf(np.stack([WW, TT], axis=-1))
        elif callable(density):
            dens = density(WW, TT)
        else:
            raise TypeError("density must be a callable f(w, theta) or have a pdf method")
        dens = as_float_array(np.broadcast_to(dens, WW.shape), "density values")
        if np.any(dens < 0):
            raise ValueError("density must be non-negative on the box")
        total = float(dens.sum())
        if total <= 0:
            raise ValueError("density has no mass on the box")
        if not callable(utility):
            raise TypeError("utility must be a callable u(w, theta)")
        u = as_float_array(np.broadcast_to(utility(WW, TT), WW.shape), "utility values")
        return cls(
            w_mid,
            t_mid,
            dens / total,
            u,
            name=name or "continuous",
            check_assumptions=check_assumptions,
        )

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists of floats); :meth:`from_dict` inverts it."""
        return {
            "kind": "oracle_game",
            "name": self.name,
            "states": self._states.tolist(),
            "types": self._types.tolist(),
            "joint_prior": self._psi.tolist(),
            "receiver_utility": self._u.tolist(),
            "check_assumptions": self.check_assumptions,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OracleGame:
        """Rebuild a game from :meth:`to_dict` output (unknown keys are refused)."""
        if not isinstance(data, dict):
            raise TypeError(f"data must be a dict (a JSON object), got {type(data).__name__}")
        missing = {"states", "types", "joint_prior", "receiver_utility"} - set(data)
        if missing:
            raise ValueError(f"data is missing the keys {sorted(missing)}")
        unknown = set(data) - set(_DICT_KEYS)
        if unknown:
            raise ValueError(
                f"data has unknown key(s) {sorted(map(str, unknown))}; accepted: {list(_DICT_KEYS)}"
            )
        if data.get("kind", "oracle_game") != "oracle_game":
            raise ValueError(f"data['kind'] must be 'oracle_game', got {data['kind']!r}")
        return cls(
            data["states"],
            data["types"],
            data["joint_prior"],
            data["receiver_utility"],
            name=data.get("name"),
            check_assumptions=data.get("check_assumptions", True),
        )

    def to_json(self) -> str:
        """The game as a JSON string (floats written with full precision)."""
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> OracleGame:
        """Inverse of :meth:`to_json`."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"malformed oracle game JSON: {exc}") from None
        return cls.from_dict(data)

    def save(self, path: str | Any) -> None:
        """Write the game as JSON to ``path`` (read it back with :meth:`load`)."""
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | Any) -> OracleGame:
        """Read a game written by :meth:`save` (or :meth:`to_json`).

        Raises:
            TypeError: if ``path`` is not a string or path.
            ValueError: if the file is missing, unreadable, not UTF-8, not JSON, or not a
                valid game; the message starts with the file's name.
        """
        return load_json_object(path, "oracle game file", cls.from_dict)


_DICT_KEYS = (
    "kind",
    "name",
    "states",
    "types",
    "joint_prior",
    "receiver_utility",
    "check_assumptions",
)


def _has_inf(box: Any) -> bool:
    try:
        arr = np.asarray(box, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return bool(np.any(np.isinf(arr)))


# ---------------------------------------------------------------------- named examples
def _three_types() -> OracleGame:
    """MODEL.md B8: P(high) = 0.3, three equally likely thresholds 0.8, 0.6, 0.4."""
    return OracleGame.binary_thresholds(0.3, [0.8, 0.6, 0.4], name="three-types")


def _greedy_trap() -> OracleGame:
    """Four types where the myopic first query loses to the 2|2 split (seed §3.2).

    Binary state with ``P(high) = 0.15``; thresholds ``theta = 0.7, 0.45, 0.35, 0.1`` with
    probabilities ``0.2, 0.3, 0.4, 0.1``. The largest immediate gain is to isolate the most
    eager type (threshold 3: value 1/3 against 9/28 for the 2|2 split), after which one more
    query cannot separate the remaining three types. The optimum asks "type >= 2" first and
    separates all four types: 29/70 against greedy's 53/140 with two queries.
    """
    return OracleGame.binary_thresholds(
        0.15, [0.7, 0.45, 0.35, 0.1], [0.2, 0.3, 0.4, 0.1], name="greedy-trap"
    )


#: Named examples for :meth:`OracleGame.example` and ``persuasion oracle --example``.
EXAMPLES: dict[str, Callable[[], OracleGame]] = {
    "three-types": _three_types,
    "greedy-trap": _greedy_trap,
}
