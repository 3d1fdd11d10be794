"""Seed 000's experiments: their names, sizes, receivers and baselines, the seed's
published numbers, and TableNet's settings per experiment."""

from __future__ import annotations

from typing import Any

EXPERIMENTS: tuple[str, ...] = (
    "warmup",
    "explicit",
    "implicit",
    "messages",
    "oracle",
    "signaling",
)
DEFAULT_SIZES: tuple[int, ...] = (4, 8, 12, 16, 20, 24, 28, 32)
#: Numbers of messages of Figure 3 (those <= A are used).
MESSAGE_COUNTS: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
#: Largest size for which the restricted-message MILP is run (20 s limit per game and M).
MILP_MAX_SIZE = 12
#: Learning receivers of the implicit setting, by label: (registered name, options). The
#: seed does not name its receiver; it assumes one that learns the correct response once
#: the empirical frequency of (state, message) settles on the scheme. Fictitious play is
#: that receiver taken literally (it sees the state after acting and best-responds to the
#: posteriors it has seen, forgetting over about 200 receipts of a message). Discounted UCB
#: learns from its payoffs only, so its play keeps exploring. The tuned Q-learner settles
#: more slowly; the default Q-learner, Hedge and REINFORCE are offered for comparison but
#: keep the history of earlier schemes for long. (New labels go at the end: a label's
#: position seeds its runs.)
IMPLICIT_RECEIVERS: dict[str, tuple[str, dict[str, Any]]] = {
    "ucb_discounted": ("ucb", {"c_explore": 0.2, "discount": 0.998}),
    "q_learning_slow": ("q_learning", {"alpha": 0.02, "epsilon": 0.1}),
    "q_learning": ("q_learning", {}),
    "hedge": ("hedge", {}),
    "reinforce": ("reinforce", {}),
    "fictitious_play": ("fictitious_play", {"discount": 0.995}),
}
#: The receivers of ``persuasion reproduce implicit`` unless ``--receivers`` is given.
DEFAULT_IMPLICIT_RECEIVERS: tuple[str, ...] = ("fictitious_play", "ucb_discounted")
#: Seed 000's baselines: (sender, receiver) pairs, run through ``persuasion_env.simulate``.
BASELINES: dict[str, tuple[str, str]] = {
    "modelr": ("modelr", "q_learning"),
    "info_q": ("info_q", "q_learning"),
    "info_policy": ("info_policy", "reinforce"),
}

#: Seed 000, Table 1 (explicit commitment): size -> (learned, LP optimum, percent,
#: train accuracy, test accuracy).
SEED_TABLE1: dict[int, tuple[float, float, float, float, float]] = {
    4: (0.6874, 0.7049, 97.52, 0.9843, 0.9844),
    8: (0.6998, 0.7576, 92.37, 0.9893, 0.9890),
    12: (0.7476, 0.8162, 91.60, 0.9864, 0.9863),
    16: (0.7678, 0.8543, 89.87, 0.9861, 0.9858),
    20: (0.7516, 0.8671, 86.68, 0.9842, 0.9840),
    24: (0.7860, 0.8838, 88.93, 0.9850, 0.9847),
    28: (0.8052, 0.8951, 89.96, 0.9821, 0.9817),
    32: (0.8033, 0.9115, 88.13, 0.9835, 0.9827),
}
#: Seed 000, Table 2 (implicit commitment): size -> (actual, predicted, ModelR, Info-Q,
#: Info-Policy).
SEED_TABLE2: dict[int, tuple[float, float, float, float, float]] = {
    4: (0.6668, 0.6649, 0.5878, 0.5857, 0.5902),
    8: (0.6589, 0.6497, 0.5118, 0.5114, 0.5161),
    12: (0.6901, 0.7173, 0.5254, 0.5179, 0.5014),
    16: (0.6801, 0.6889, 0.4994, 0.4953, 0.4932),
    20: (0.6521, 0.6740, 0.5080, 0.4908, 0.4932),
    24: (0.6391, 0.6592, 0.4907, 0.4851, 0.5017),
    28: (0.6484, 0.6745, 0.5264, 0.5193, 0.5020),
    32: (0.6289, 0.6478, 0.5099, 0.5145, 0.5048),
}


def _config(name: str, size: int, quick: bool, **overrides: Any):
    from agents.senders.tablenet import LEARNING_RECEIVER_SETTINGS, TableNetConfig

    if quick:
        base = dict(
            restarts=2,
            sender_steps=60,
            finetune_steps=20,
            eval_every=10,
            n_queries=6,
            model_steps=20,
            finetune_model_steps=5,
            min_rounds=1,
            max_rounds=2,
            candidates=1,
        )
    elif name == "implicit":
        # Each query costs an epoch of play with a learning receiver: fewer, longer ones.
        base = dict(
            n_queries=max(4 * size, 48),
            max_rounds=8,
            tolerance=0.01,
            min_rounds=2,
            **LEARNING_RECEIVER_SETTINGS,
        )
    else:
        base = {}
    base.update(overrides)
    return TableNetConfig(**base)


def _implicit_epoch(size: int, quick: bool) -> int:
    """Rounds per epoch with a learning receiver: enough plays of every (message, action).

    With the floor of 8000 rounds, a 4x4 message sent every fourth round is received 1000
    times in the half epoch before its play is read: five memory lengths of the default
    fictitious-play receiver (about 200 receipts). At 4000 rounds it is two and a half, and
    the frequencies read still partly answer the previous scheme (4x4, 8 learner seeds:
    0.6656 at 4000 rounds, 0.6683 at 8000; ``benchmarks/implicit_seeds.py --epoch``).
    """
    return 100 if quick else max(8000, 16 * size * size)


#: A scheme's *actual* utility is read after a fresh learner has played it for this many
#: epochs (the last fifth of them counted).
EVALUATION_EPOCHS = 10
