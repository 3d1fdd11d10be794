"""Senders: scheme-level (commit to a scheme) and per-round learners.

``tablenet`` (torch) lives in :mod:`agents.senders.tablenet` and is imported only when it is
built by name, so that importing the other agents never imports torch.
"""

from agents.senders.baselines import InfoPolicySender, InfoQSender, ModelRSender
from agents.senders.learning import HedgeSender, QLearningSender, ReinforceSender
from agents.senders.schemes import (
    FixedSchemeSender,
    FullDisclosureSender,
    LPOptimalSender,
    NoInformationSender,
    RandomSchemeSender,
    SchemeSender,
)
from agents.senders.signaling_gradient import SignalingGradientSender

__all__ = [
    "FixedSchemeSender",
    "FullDisclosureSender",
    "HedgeSender",
    "InfoPolicySender",
    "InfoQSender",
    "LPOptimalSender",
    "ModelRSender",
    "NoInformationSender",
    "QLearningSender",
    "RandomSchemeSender",
    "ReinforceSender",
    "SchemeSender",
    "SignalingGradientSender",
]
