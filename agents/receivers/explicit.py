"""Receivers who see the scheme (explicit commitment, MODEL.md A4.1-A4.2)."""

from __future__ import annotations

import numpy as np

from agents import _kernels
from agents.base import FULL_INFORMATION, WHITE_BOX, GameView, Receiver
from agents.registry import register
from persuasion_env import bayes
from persuasion_env._validation import check_positive
from persuasion_env.compiled import CompiledStep
from persuasion_env.game import stack_games


class _SchemeReader(Receiver):
    """Shared machinery: keep a response table ``(B, M, A)`` computed from the scheme."""

    level = "explicit"
    needs_scheme = True
    information = WHITE_BOX  # it reads the sender's scheme
    observes = ("message", "scheme")
    batched_games = True

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        _kernels.ready()
        # Until a scheme is shown the receiver acts on its prior (an uninformative scheme).
        uninformative = np.ones((runs, view.n_states, view.n_messages)) / view.n_messages
        self.observe_scheme(uninformative)

    def _response(self, schemes: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def observe_scheme(self, schemes: np.ndarray) -> None:
        self._table = self._response(self._checked_schemes(schemes))

    def policy(self) -> np.ndarray:
        return self._table.copy()

    def _act_state(self) -> tuple:
        """The array its act kernel reads (a new one after each scheme)."""
        raise NotImplementedError

    _act_kernel = ""

    def act(self, messages: np.ndarray) -> np.ndarray:
        kernel = getattr(_kernels, self._act_kernel)
        return _kernels.choose(kernel, self._act_state(), messages, self.rng)

    def compiled_step(self) -> CompiledStep | None:
        """Its kernels for the compiled round loop (``None`` without numba): it reads its
        response table; it learns nothing from payoffs."""
        if not _kernels.ready():
            return None
        return CompiledStep(
            act=getattr(_kernels, self._act_kernel),
            update=_kernels.no_update,
            state=self._act_state(),
        )


@register
class BestResponseReceiver(_SchemeReader):
    """Bayesian best response to the scheme (A1), ties broken in the sender's favour."""

    name = "best_response"
    full_information = True  # u1 is used only for A1's tie rule (the sender-preferred tie)
    information = FULL_INFORMATION
    observes = ("message", "scheme", "game")
    description = "Rational receiver: sees the scheme, plays the Bayesian best response"

    def __init__(self) -> None:
        super().__init__()

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        self._u1 = stack_games(view.games)[1]  # (1 or B, S, A)
        super().reset(view, runs=runs, rng=rng)

    def _response(self, schemes: np.ndarray) -> np.ndarray:
        view = self.view
        actions = bayes.best_response(view.priors, schemes, view.utilities, self._u1)
        self._actions = np.ascontiguousarray(actions, dtype=np.int64)  # (B, M)
        return bayes.one_hot(actions, view.n_actions)

    _act_kernel = "table_act"

    def _act_state(self) -> tuple:
        return (self._actions,)


@register
class QuantalReceiver(_SchemeReader):
    """Logit quantal response ``softmax(lam * E[u2 | m])`` to the scheme (A4.2)."""

    name = "quantal"
    description = "Boundedly rational receiver: sees the scheme, logit quantal response (lam)"
    _param_names = ("lam",)

    def __init__(self, lam: float = 20.0) -> None:
        super().__init__()
        self.lam = check_positive(lam, "lam")

    def _response(self, schemes: np.ndarray) -> np.ndarray:
        view = self.view
        return bayes.quantal_response(view.priors, schemes, view.utilities, self.lam)

    _act_kernel = "response_sample_act"

    def _act_state(self) -> tuple:
        return (self._table,)
