"""Scheme-level senders: they commit to a whole scheme ``pi[s, m]`` and draw messages from it.

``lp_optimal`` is the exact benchmark (it is given the whole game); the others are reference
points: full disclosure, no information, a fixed scheme of your choice, a random scheme.
"""

from __future__ import annotations

import numpy as np

from agents import _kernels
from agents.base import BLACK_BOX, FULL_INFORMATION, GameView, Sender
from agents.registry import register
from persuasion_env._validation import check_int, check_positive, check_stochastic_rows
from persuasion_env.compiled import CompiledStep
from persuasion_env.game import PersuasionGame
from persuasion_env.solvers.commitment import cached_solve_commitment


class SchemeSender(Sender):
    """Base class: holds one scheme per run ``(B, S, M)`` and samples messages from it."""

    level = "scheme"
    batched_games = True
    information = BLACK_BOX
    observes = ("state",)  # it draws each message from its scheme; it learns nothing

    def _make_schemes(self, view: GameView) -> np.ndarray:
        """The scheme(s) to commit to: ``(S, M)`` for all runs or ``(B, S, M)``."""
        raise NotImplementedError

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        _kernels.ready()
        self.commit(self._make_schemes(view))

    def commit(self, schemes: np.ndarray) -> None:
        """Commit to new schemes ``(S, M)`` or ``(B, S, M)`` (shown to explicit receivers)."""
        view = self._require_reset()
        shape = (self.runs, view.n_states, view.n_messages)
        if schemes.shape[-2:] != shape[1:]:
            raise ValueError(f"schemes must have shape (S, M) = {shape[1:]}, got {schemes.shape}")
        schemes = np.broadcast_to(schemes, shape)
        self._schemes = np.array(schemes, dtype=np.float64)
        self._cumulative = np.cumsum(self._schemes, axis=-1)
        self._cumulative[..., -1] = 1.0  # guard against rounding: every draw lands somewhere
        self._rows = np.arange(self.runs)
        self.policy_version += 1

    def act(self, states: np.ndarray) -> np.ndarray:
        return _kernels.choose(_kernels.scheme_act, (self._cumulative,), states, self.rng)

    def compiled_step(self) -> CompiledStep | None:
        """Its kernels for the compiled round loop (``None`` without numba): it draws each
        message from its committed scheme and learns nothing."""
        if not _kernels.ready():
            return None
        return CompiledStep(
            act=_kernels.scheme_act, update=_kernels.no_sender_update, state=(self._cumulative,)
        )

    def policy(self) -> np.ndarray:
        return self._schemes.copy()


@register
class LPOptimalSender(SchemeSender):
    """The exact optimal scheme (the LP of MODEL.md A2, or the MILP with ``n_messages < A``).

    Message ``m`` recommends ``recommended_action[m]``. The exact scheme leaves the receiver
    indifferent on its binding obedience rows, so a *learning* receiver need not follow it;
    ``margin > 0`` makes every recommendation strictly better for the receiver by ``margin``
    (in posterior expected utility) at a cost of O(margin) to the sender. Where a game allows
    no scheme that strictly obedient, the margin is halved until one exists (0 always does).
    """

    name = "lp_optimal"
    full_information = True
    information = FULL_INFORMATION
    observes = ("state", "game")
    recommends = True
    description = "Exact optimal commitment (LP/MILP via HiGHS); optional obedience margin"
    _param_names = ("margin", "n_messages")

    def __init__(self, margin: float = 0.0, n_messages: int | None = None) -> None:
        super().__init__()
        self.margin = check_positive(margin, "margin", allow_zero=True)
        self.n_messages = (
            None if n_messages is None else check_int(n_messages, "n_messages", minimum=1)
        )

    def _solve(self, game: PersuasionGame):
        # A margin the game cannot afford (no scheme is that strictly obedient) is halved
        # until one is; margin 0 always is.
        margin = self.margin
        while True:
            try:
                return cached_solve_commitment(game, self.n_messages, margin)
            except ValueError:
                if margin < 1e-6:
                    return cached_solve_commitment(game, self.n_messages, 0.0)
                margin /= 2

    def _make_schemes(self, view: GameView) -> np.ndarray:
        solutions = [self._solve(g) for g in view.games]
        self.solutions = solutions
        recommended = np.stack([s.recommended_action for s in solutions])  # (1 or B, M)
        self._recommended = np.broadcast_to(recommended, (self.runs, recommended.shape[1]))
        return np.stack([s.scheme for s in solutions])

    def recommendations(self) -> np.ndarray:
        return self._recommended


@register
class FullDisclosureSender(SchemeSender):
    """Reveals the state: message ``s`` in state ``s`` (M = S)."""

    name = "full_disclosure"
    description = "Reveals the state (message = state)"

    def __init__(self) -> None:
        super().__init__()

    def messages_for(self, game: PersuasionGame) -> int:
        return game.n_states

    def _make_schemes(self, view: GameView) -> np.ndarray:
        return np.eye(view.n_states)


@register
class NoInformationSender(SchemeSender):
    """Reveals nothing: always the same single message (M = 1)."""

    name = "no_information"
    description = "Reveals nothing (one message)"

    def __init__(self) -> None:
        super().__init__()

    def messages_for(self, game: PersuasionGame) -> int:
        return 1

    def _make_schemes(self, view: GameView) -> np.ndarray:
        return np.ones((view.n_states, 1))


@register
class FixedSchemeSender(SchemeSender):
    """Commits to a scheme given by the user, shape ``(S, M)``, rows summing to 1."""

    name = "fixed_scheme"
    description = "Commits to a scheme you give it"
    _param_names = ("scheme",)

    def __init__(self, scheme: np.ndarray) -> None:
        super().__init__()
        self.scheme = check_stochastic_rows(scheme, "scheme")
        if self.scheme.ndim != 2:
            raise ValueError(f"scheme must have shape (S, M), got {self.scheme.shape}")

    def messages_for(self, game: PersuasionGame) -> int:
        if self.scheme.shape[0] != game.n_states:
            raise ValueError(
                f"scheme has {self.scheme.shape[0]} rows but the game has {game.n_states} states"
            )
        return self.scheme.shape[1]

    def _make_schemes(self, view: GameView) -> np.ndarray:
        return self.scheme


@register
class RandomSchemeSender(SchemeSender):
    """Commits to a random scheme per run (rows drawn from a flat Dirichlet)."""

    name = "random"
    description = "Commits to a random scheme (one per run)"
    _param_names = ("n_messages",)

    def __init__(self, n_messages: int | None = None) -> None:
        super().__init__()
        self.n_messages = (
            None if n_messages is None else check_int(n_messages, "n_messages", minimum=1)
        )

    def _make_schemes(self, view: GameView) -> np.ndarray:
        return self.rng.dirichlet(np.ones(view.n_messages), size=(self.runs, view.n_states))
