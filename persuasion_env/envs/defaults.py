"""Defaults of the sender's view of the repeated game and its ``best_fixed_value`` reference
(issue 16; MODEL.md C1).

The defaults are a receiver and an episode length against which the best fixed scheme
reaches >= 0.9 of the LP within an episode (measured in docs/environments.md, "What an agent
can reach"). Before, the Q-learner of Info-Q with 100-round episodes left even the LP scheme
at 0.61-0.65 of the LP: the env advertised a target nobody could reach.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from persuasion_env.game import PersuasionGame

__all__ = [
    "DEFAULT_BEST_FIXED_RUNS",
    "DEFAULT_EPISODE_LENGTH",
    "DEFAULT_RECEIVER",
    "DEFAULT_RECEIVER_KWARGS",
    "default_receiver_kwargs",
    "episode_best_fixed_value",
]

#: The sender's view's defaults (issue 16): a receiver and an episode length against which
#: the best fixed scheme reaches >= 0.9 of the LP within an episode (measured in
#: docs/environments.md, "What an agent can reach"). The Q-learner of Info-Q with 100-round
#: episodes left even the LP scheme at 0.61-0.65 of the LP.
DEFAULT_RECEIVER = "fictitious_play"
DEFAULT_RECEIVER_KWARGS: Mapping[str, Any] = MappingProxyType({"discount": 0.999})
DEFAULT_EPISODE_LENGTH = 3000
#: Runs of the best-fixed-scheme reference computed at reset (for a fixed game).
DEFAULT_BEST_FIXED_RUNS = 4
#: Memoised references: (game, receiver fingerprint, rounds, runs, options) -> value.
_BEST_FIXED_CACHE: OrderedDict[tuple, float] = OrderedDict()
_BEST_FIXED_CACHE_SIZE = 128


def default_receiver_kwargs(
    receiver: Any, receiver_kwargs: Mapping[str, Any] | None
) -> Mapping[str, Any] | None:
    """The embedded receiver's options: ``receiver=None`` is the default receiver with its
    default options (:data:`DEFAULT_RECEIVER_KWARGS`), unless options are given."""
    if receiver is None and receiver_kwargs is None:
        return DEFAULT_RECEIVER_KWARGS
    return receiver_kwargs


def episode_best_fixed_value(
    game: PersuasionGame,
    receiver: Any,
    *,
    rounds: int,
    runs: int,
    options: tuple[tuple[str, Any], ...],
) -> float:
    """The best fixed scheme's realised value against ``receiver`` over episodes of
    ``rounds`` rounds (:func:`persuasion_env.references.best_fixed_scheme`, ``runs`` runs,
    seed 0, the env's observation ``options``), memoised per game and receiver so that only
    the first reset of a game pays for it. ``receiver`` is an untrained agent (deep-copied
    per family member)."""
    from persuasion_env._fingerprint import agent_fingerprint
    from persuasion_env.references import best_fixed_scheme

    key = (game, agent_fingerprint(receiver), rounds, runs, options)
    if key in _BEST_FIXED_CACHE:
        _BEST_FIXED_CACHE.move_to_end(key)
        return _BEST_FIXED_CACHE[key]
    value = best_fixed_scheme(
        game, receiver, rounds=rounds, runs=runs, seed=0, **dict(options)
    ).value
    _BEST_FIXED_CACHE[key] = value
    if len(_BEST_FIXED_CACHE) > _BEST_FIXED_CACHE_SIZE:
        _BEST_FIXED_CACHE.popitem(last=False)
    return value
