"""The one-shot Bayesian persuasion game (MODEL.md, Part A, section A1).

A :class:`PersuasionGame` holds a common prior over states and the sender's and receiver's
utilities, each of shape ``(S, A)``. It is immutable, validated when built, and round-trips
through JSON. Named examples from the literature come from :meth:`PersuasionGame.example`;
random games as in seed 000 (``u1, u2 ~ U[0, 1]``) from :meth:`PersuasionGame.random`.

>>> game = PersuasionGame.example("prosecutor")
>>> game.n_states, game.n_actions
(2, 2)
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from persuasion_env._validation import (
    as_float_array,
    check_choice,
    check_game_size,
    check_int,
    check_names,
    check_probability,
    check_probability_vector,
    check_string,
    load_json_object,
    make_rng,
)

__all__ = ["PersuasionGame", "EXAMPLES", "stack_games"]


@dataclass(frozen=True, eq=False)
class PersuasionGame:
    """A finite Bayesian persuasion game.

    Args:
        prior: common prior over states, shape ``(S,)``; non-negative, sums to 1.
        sender_utility: ``u1[s, a]``, shape ``(S, A)``.
        receiver_utility: ``u2[s, a]``, shape ``(S, A)``.
        state_names: optional display names of the S states.
        action_names: optional display names of the A actions.
        name: a short label used in tables and plots.

    Raises:
        ValueError: on NaN/inf, negative or unnormalised priors, disagreeing shapes, or
            names of the wrong count or repeated.
        TypeError: on input that is not real numbers (strings, bools, complex numbers,
            ``None``) and names that are not strings.
    """

    prior: np.ndarray
    sender_utility: np.ndarray
    receiver_utility: np.ndarray
    state_names: tuple[str, ...] | None = None
    action_names: tuple[str, ...] | None = None
    name: str = "game"
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        check_string(self.name, "name")
        prior = check_probability_vector(self.prior, "prior")
        u1 = as_float_array(self.sender_utility, "sender_utility", ndim=2)
        u2 = as_float_array(self.receiver_utility, "receiver_utility", ndim=2)
        if u1.shape != u2.shape:
            raise ValueError(
                f"sender_utility and receiver_utility must have the same shape (S, A), "
                f"got {u1.shape} and {u2.shape}"
            )
        if u1.shape[0] != prior.shape[0]:
            raise ValueError(
                f"prior has {prior.shape[0]} states but the utilities have {u1.shape[0]} rows"
            )
        for array in (prior, u1, u2):
            array.setflags(write=False)
        n_states, n_actions = u1.shape
        set_ = object.__setattr__
        set_(self, "prior", prior)
        set_(self, "sender_utility", u1)
        set_(self, "receiver_utility", u2)
        set_(self, "state_names", check_names(self.state_names, n_states, "state_names", "s"))
        set_(self, "action_names", check_names(self.action_names, n_actions, "action_names", "a"))

    # ------------------------------------------------------------------ sizes
    @property
    def n_states(self) -> int:
        """Number of states S."""
        return self.sender_utility.shape[0]

    @property
    def n_actions(self) -> int:
        """Number of receiver actions A (and of messages in the revelation-principle LP)."""
        return self.sender_utility.shape[1]

    @property
    def shape(self) -> tuple[int, int]:
        """``(S, A)``."""
        return self.sender_utility.shape

    # ------------------------------------------------------------ comparison
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PersuasionGame):
            return NotImplemented
        return (
            self.name == other.name
            and self.state_names == other.state_names
            and self.action_names == other.action_names
            and np.array_equal(self.prior, other.prior)
            and np.array_equal(self.sender_utility, other.sender_utility)
            and np.array_equal(self.receiver_utility, other.receiver_utility)
        )

    def __hash__(self) -> int:
        return hash((self.name, self.shape, self.prior.tobytes(), self.sender_utility.tobytes()))

    def __repr__(self) -> str:
        return (
            f"PersuasionGame(name={self.name!r}, n_states={self.n_states}, "
            f"n_actions={self.n_actions})"
        )

    # ------------------------------------------------------------ generators
    @classmethod
    def random(
        cls,
        n_states: int,
        n_actions: int,
        *,
        seed: int | np.random.Generator | None = None,
        prior: str = "uniform",
        name: str | None = None,
    ) -> PersuasionGame:
        """A random game as in seed 000: ``u1, u2 ~ U[0, 1]`` i.i.d.

        Args:
            n_states: number of states S >= 1.
            n_actions: number of actions A >= 1 (``S * A`` at most
                :data:`~persuasion_env._validation.MAX_CELLS`).
            seed: seed or Generator for the draw.
            prior: ``"uniform"`` (seed 000's setting) or ``"dirichlet"`` (a flat Dirichlet draw).
            name: label; defaults to ``"random-SxA-seed"``.
        """
        n_states = check_int(n_states, "n_states", minimum=1)
        n_actions = check_int(n_actions, "n_actions", minimum=1)
        check_game_size(n_states, n_actions, "n_states x n_actions")
        check_choice(prior, "prior", ("uniform", "dirichlet"), listed=False)
        check_string(name, "name", optional=True)
        rng = make_rng(seed)
        u1 = rng.random((n_states, n_actions))
        u2 = rng.random((n_states, n_actions))
        if prior == "uniform":
            p = np.full(n_states, 1.0 / n_states)
        else:
            p = rng.dirichlet(np.ones(n_states))
        if name is None:
            tag = seed if isinstance(seed, int) and not isinstance(seed, bool) else "rng"
            name = f"random-{n_states}x{n_actions}-{tag}"
        return cls(p, u1, u2, name=name)

    @classmethod
    def example(cls, name: str, **kwargs: Any) -> PersuasionGame:
        """A named example game; ``PersuasionGame.example_names()`` lists them.

        ``binary_threshold`` takes ``mu0`` (prior of the high state) and ``theta`` (the
        receiver acts iff ``P(high | m) >= theta``).
        """
        if not isinstance(name, str):
            raise TypeError(f"example name must be a string, got {type(name).__name__}")
        key = name.replace("-", "_").lower()
        if key not in EXAMPLES:
            known = ", ".join(sorted(EXAMPLES))
            raise ValueError(f"unknown example {name!r}; known examples: {known}")
        builder = EXAMPLES[key]
        accepted = inspect.signature(builder).parameters
        unknown = sorted(set(kwargs) - set(accepted))
        if unknown:
            allowed = ", ".join(accepted) or "none"
            raise ValueError(
                f"unknown keyword(s) {', '.join(unknown)} for example {name!r}; accepted: {allowed}"
            )
        return builder(**kwargs)

    @staticmethod
    def example_names() -> list[str]:
        """Names accepted by :meth:`example`."""
        return sorted(EXAMPLES)

    # --------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists of floats); inverse of :meth:`from_dict`."""
        return {
            "name": self.name,
            "prior": self.prior.tolist(),
            "sender_utility": self.sender_utility.tolist(),
            "receiver_utility": self.receiver_utility.tolist(),
            "state_names": list(self.state_names),
            "action_names": list(self.action_names),
        }

    @classmethod
    def from_dict(cls, data: Any) -> PersuasionGame:
        """Build a game from :meth:`to_dict` output, with errors naming missing keys."""
        if not isinstance(data, dict):
            raise ValueError(
                f"data must be a JSON object (a dict) describing a game, got {type(data).__name__}"
            )
        missing = [k for k in ("prior", "sender_utility", "receiver_utility") if k not in data]
        if missing:
            raise ValueError(f"game JSON is missing key(s): {', '.join(missing)}")
        unknown = set(data) - {
            "name",
            "prior",
            "sender_utility",
            "receiver_utility",
            "state_names",
            "action_names",
        }
        if unknown:
            raise ValueError(f"game JSON has unknown key(s): {', '.join(sorted(unknown))}")
        return cls(
            data["prior"],
            data["sender_utility"],
            data["receiver_utility"],
            state_names=data.get("state_names"),
            action_names=data.get("action_names"),
            name=data.get("name", "game"),
        )

    def to_json(self, **kwargs: Any) -> str:
        """The game as a JSON string (floats are written with full precision)."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    @classmethod
    def from_json(cls, text: str | bytes) -> PersuasionGame:
        """Parse :meth:`to_json` output; malformed JSON raises ``ValueError``."""
        if isinstance(text, bytes | bytearray):
            try:
                text = bytes(text).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(f"game JSON is not UTF-8 text: {exc.reason}") from None
        if not isinstance(text, str):
            raise TypeError(f"text must be a JSON string, got {type(text).__name__}")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"malformed game JSON: {exc}") from None
        return cls.from_dict(data)

    def save(self, path: str | Path) -> None:
        """Write the game as JSON to ``path``."""
        Path(path).write_text(self.to_json(indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> PersuasionGame:
        """Read a game written by :meth:`save`.

        Raises:
            TypeError: if ``path`` is not a string or path.
            ValueError: if the file is missing, unreadable, not UTF-8, not JSON, or not a
                valid game; the message starts with the file's name.
        """
        return load_json_object(path, "game file", cls.from_dict)


def stack_games(games: Sequence[PersuasionGame]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The priors ``(G, S)`` and utilities ``u1``, ``u2`` ``(G, S, A)`` of G games of one shape.

    Raises:
        ValueError: for no games, or games of different shapes.
        TypeError: for an element that is not a :class:`PersuasionGame`.
    """
    if not games:
        raise ValueError("games must not be empty")
    for game in games:
        if not isinstance(game, PersuasionGame):
            raise TypeError(f"games must be PersuasionGame objects, got {type(game).__name__}")
    shapes = {g.shape for g in games}
    if len(shapes) != 1:
        raise ValueError(f"games must all have the same size (S, A), got {sorted(shapes)}")
    return (
        np.stack([g.prior for g in games]),
        np.stack([g.sender_utility for g in games]),
        np.stack([g.receiver_utility for g in games]),
    )


# ---------------------------------------------------------------------------- examples


def prosecutor() -> PersuasionGame:
    """Kamenica & Gentzkow's prosecutor: optimal conviction probability 0.6."""
    return PersuasionGame(
        prior=[0.7, 0.3],
        sender_utility=[[0.0, 1.0], [0.0, 1.0]],
        receiver_utility=[[1.0, 0.0], [0.0, 1.0]],
        state_names=("innocent", "guilty"),
        action_names=("acquit", "convict"),
        name="prosecutor",
    )


def recommendation_letter() -> PersuasionGame:
    """An advisor recommends a student: 1/3 excellent, the employer hires iff
    ``P(excellent) >= 1/2``, the advisor wants a hire. Optimal hiring probability 2/3."""
    return PersuasionGame(
        prior=[1 / 3, 2 / 3],
        sender_utility=[[0.0, 1.0], [0.0, 1.0]],
        receiver_utility=[[0.0, 1.0], [0.0, -1.0]],
        state_names=("excellent", "weak"),
        action_names=("pass", "hire"),
        name="recommendation_letter",
    )


CLIMBING_PAYOFF = np.array([[11.0, -30.0, 0.0], [-30.0, 7.0, 6.0], [0.0, 0.0, 5.0]])


def climbing() -> PersuasionGame:
    """The cooperative 3x3 "climbing" signalling game of Bhatt & Buro (``u1 = u2``),
    payoffs normalised by their largest absolute value (30); uniform prior."""
    payoff = CLIMBING_PAYOFF / np.abs(CLIMBING_PAYOFF).max()
    return PersuasionGame(
        prior=np.full(3, 1 / 3),
        sender_utility=payoff,
        receiver_utility=payoff,
        name="climbing",
    )


def binary_threshold(mu0: float = 0.3, theta: float = 0.5) -> PersuasionGame:
    """Binary state (low, high) with ``P(high) = mu0``; the sender always wants ``act``;
    the receiver acts iff ``P(high | m) >= theta``. Optimal value ``min(1, mu0 / theta)``."""
    mu0 = check_probability(mu0, "mu0")
    theta = check_probability(theta, "theta")
    if theta == 0:
        raise ValueError(f"theta must be in (0, 1], got {theta}")
    return PersuasionGame(
        prior=[1.0 - mu0, mu0],
        sender_utility=[[0.0, 1.0], [0.0, 1.0]],
        # Acting pays 1 - theta in the high state and -theta in the low one, so the expected
        # payoff of acting is P(high) - theta: the receiver acts iff P(high | m) >= theta.
        receiver_utility=[[0.0, -theta], [0.0, 1.0 - theta]],
        state_names=("low", "high"),
        action_names=("wait", "act"),
        name=f"binary_threshold(mu0={mu0:g},theta={theta:g})",
    )


EXAMPLES: dict[str, Callable[..., PersuasionGame]] = {
    "prosecutor": prosecutor,
    "recommendation_letter": recommendation_letter,
    "climbing": climbing,
    "binary_threshold": binary_threshold,
}
