"""Receivers: rational (see the scheme) and learning (see only messages and payoffs)."""

from agents.receivers.actor_critic import ActorCriticReceiver
from agents.receivers.explicit import BestResponseReceiver, QuantalReceiver
from agents.receivers.learning import (
    FictitiousPlayReceiver,
    HedgeReceiver,
    QLearningReceiver,
    ReinforceReceiver,
    UCBReceiver,
)

__all__ = [
    "ActorCriticReceiver",
    "BestResponseReceiver",
    "FictitiousPlayReceiver",
    "HedgeReceiver",
    "QLearningReceiver",
    "QuantalReceiver",
    "ReinforceReceiver",
    "UCBReceiver",
]
