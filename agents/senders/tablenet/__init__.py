"""TableNet: seed 000's learning sender, with a learned model of the receiver (MODEL.md A5).

The sender learns a signalling scheme without knowing the receiver's utility. It has two
networks, trained alternately like a GAN:

* **TableNet** (the sender): no input; ``S`` independent logit vectors of length ``M``, a
  softmax per row, stacked into the scheme table ``pi[s, m] = pi(m | s)``.
* **The receiver model**: maps one *column* of a scheme, ``pi[., m]`` (length S), to a
  distribution over the receiver's actions ``q_hat(. | m)``. It first turns the column into
  the posterior ``p(s | m)`` with the known prior (Bayes' rule needs only that column), then
  applies an MLP with a linear skip path and a softmax. In the warm-up the model is
  hard-coded: the quantal response ``softmax(lam * p(.|m) @ u2)`` of the seed's Appendix C.

Losses (seed eqs. 7-8)::

    receiver model:  l2 = - sum_{columns} sum_a counts[a] log q_hat(a | column) / sum counts
    sender:          l1 = - U1(pi, q_hat) = - sum_{s,m,a} p[s] pi[s,m] q_hat(a | pi[.,m]) u1[s,a]

The sender's gradient flows through the receiver model into TableNet's logits.

**Algorithm 1** (:func:`algorithm1`, a coroutine: it yields the scheme to play for one epoch
and is sent back the receiver's observed action counts per message):

1. play ``n_queries`` random schemes, add every (column, observed action counts) pair to the
   data set D (a held-out part of these queries measures the model's test accuracy);
2. fit the receiver model on D (eq. 7);
3. repeat: optimise TableNet against the model (eq. 8); play the new scheme for an epoch;
   observe the true response and the true sender utility R; compare with the model's
   prediction R_hat; add the epoch's data to D; stop when ``|R - R_hat| <= E`` (after at
   least ``min_rounds`` rounds, at most ``max_rounds``), else fine-tune the model and repeat.

Everything is batched over a leading axis ``G`` of independent problems (games in the
reproduction experiments, runs in the engine) and over ``restarts`` random initialisations
of TableNet. Three departures from the seed, all documented in ``docs/reproduce_seed000.md``:

* *Annealing*: the sender optimises against the model with its logits multiplied by a
  temperature factor that grows geometrically from ``temperature_start`` to 1 (in the
  warm-up: ``lam`` grows from ``lam_start`` to ``lam``), a smooth surrogate early on.
* *Hard selection* ("margin trick"): every ``eval_every`` steps each restart's scheme is
  scored against the model's **argmax** response (for the warm-up: the true best response,
  :func:`persuasion_env.bayes.best_response_matrix`); the best snapshot is kept.
* *Over-parameterisation*: with ``M >= A`` TableNet has ``overparam * M`` internal messages;
  the scheme it commits to merges the messages that induce the same action (by the revelation
  principle this never lowers the value against a rational receiver) into ``M`` columns.

The sender sees only the prior, its own utility ``u1`` and the number of messages; it never
sees the receiver's utility (except in the warm-up, where the receiver is known by
definition) and never the LP optimum.

In the engine (:class:`TableNetSender`, registered as ``tablenet``) the default protocol
``"margin"`` (:mod:`.play`) runs margin_adaptive's certified protocol (disclosure, a silent
probe, tests on fresh messages), fits the receiver model to those epochs, optimises TableNet
through it and lets that plan challenge the certified scheme, keeping a level between them
only where the sender's own payoff shows it is clearly better (:mod:`.challenge`);
``protocol="algorithm1"`` runs Algorithm 1 online (each epoch of ``epoch_rounds`` rounds
plays one scheme and counts the receiver's actions per message over the last
``observe_fraction`` of the epoch).

The package, by responsibility: :mod:`.config` (hyperparameters), :mod:`.torch_math` (the
math in torch), :mod:`.models` (the three networks), :mod:`.problems` (the batch of
problems), :mod:`.optimisation` (the two fits), :mod:`.warmup`, :mod:`.algorithm`
(Algorithm 1), :mod:`.oracles` (response oracles), :mod:`.play` (the protocol in play),
:mod:`.queries` (its query phase), :mod:`.search` (its margin search), :mod:`.challenge` (the
plan's challenge of the certified scheme) and :mod:`.agent` (the engine's sender).
Every public name is importable from ``agents.senders.tablenet`` itself.
"""

from agents.senders.tablenet.agent import TableNetSender
from agents.senders.tablenet.algorithm import Algorithm1Result, algorithm1, run_algorithm1
from agents.senders.tablenet.config import LEARNING_RECEIVER_SETTINGS, TableNetConfig
from agents.senders.tablenet.models import QuantalModel, ReceiverModel, TableNet
from agents.senders.tablenet.optimisation import (
    fit_receiver_model,
    merge_by_action,
    optimise_scheme,
)
from agents.senders.tablenet.oracles import (
    BestResponseOracle,
    LearningReceiverOracle,
    QuantalOracle,
    learner_response,
)
from agents.senders.tablenet.torch_math import (
    expected_utility_t,
    posteriors_t,
    quantal_response_t,
    receiver_loss,
    sender_loss,
)
from agents.senders.tablenet.warmup import WarmupResult, learn_warmup

__all__ = [
    "LEARNING_RECEIVER_SETTINGS",
    "Algorithm1Result",
    "BestResponseOracle",
    "LearningReceiverOracle",
    "QuantalModel",
    "QuantalOracle",
    "ReceiverModel",
    "TableNet",
    "TableNetConfig",
    "TableNetSender",
    "WarmupResult",
    "algorithm1",
    "expected_utility_t",
    "fit_receiver_model",
    "learn_warmup",
    "learner_response",
    "merge_by_action",
    "optimise_scheme",
    "posteriors_t",
    "quantal_response_t",
    "receiver_loss",
    "run_algorithm1",
    "sender_loss",
]

# The public classes keep the module path they had when TableNet was one module: an agent's
# fingerprint (the key of a stored tournament) hashes its class's ``__module__``, and
# pickles name it; both stay valid, and the path is the one users import from.
for _cls in (
    Algorithm1Result,
    BestResponseOracle,
    LearningReceiverOracle,
    QuantalModel,
    QuantalOracle,
    ReceiverModel,
    TableNet,
    TableNetConfig,
    TableNetSender,
    WarmupResult,
):
    _cls.__module__ = __name__
del _cls
