"""TableNet's hyperparameters: :class:`TableNetConfig` (validated when built)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import torch

from persuasion_env._validation import (
    check_int,
    check_positive,
    check_probability,
)

_DTYPES = {"float32": torch.float32, "float64": torch.float64}

#: The settings for a receiver that *learns* (implicit commitment, seed 000's Table 2): the
#: receiver model is used as fitted (no sharpening; snapshots chosen by its predicted, soft
#: utility) and an optimised scheme's epoch weighs 10 random queries' in D. The implicit
#: experiment (``persuasion reproduce implicit``) and its tests use these.
LEARNING_RECEIVER_SETTINGS: Mapping[str, Any] = MappingProxyType(
    {"sharpen": False, "played_weight": 10.0}
)


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
