"""Hand-made play shared by the margin_adaptive tests."""

from __future__ import annotations

import numpy as np

from agents.senders.adaptive import MarginAdaptiveSender
from persuasion_env import PersuasionGame
from persuasion_env.protocols import GameView
from persuasion_env.registry import make_agent


def prosecutor_after_probe(
    *, runs: int = 2, horizon: int | None = None, **options
) -> tuple[MarginAdaptiveSender, int]:
    """A margin_adaptive sender (``options``) on the prosecutor (prior 0.7/0.3, ``horizon``
    rounds) taken by hand through disclosure (message s -> action s, 40 counts each, two
    epochs) and the silent probe (message 3 -> acquit, two epochs), so the tests begin.
    Returns the sender and its number of messages."""
    sender = make_agent("sender", "margin_adaptive", **options)
    game = PersuasionGame.example("prosecutor")
    n_messages = sender.messages_for(game)
    view = GameView.for_agent(game, sender, n_messages, horizon=horizon)
    sender.reset(view, runs=runs, rng=np.random.default_rng(0))
    disclosure = np.zeros((runs, n_messages, 2))
    disclosure[:, 0, 0] = disclosure[:, 1, 1] = 40.0
    probe = np.zeros((runs, n_messages, 2))
    probe[:, 3, 0] = 40.0
    for counts in (disclosure, disclosure, probe, probe):
        sender._end_epoch(counts)
    return sender, n_messages
