"""The agent registry: build senders and receivers by name.

The registry itself is :mod:`persuasion_env.registry` (names -> ``"module:Class"`` entry
points with their metadata); the built-in agents are declared in :mod:`agents._entries`, and
other packages add theirs through the ``persuasion_env.agents`` entry-point group or
:func:`register`. An agent's module is imported only when the agent is built, so listing
agents never imports torch.

>>> from agents import make_receiver, list_agents
>>> make_receiver("quantal", lam=20.0)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from persuasion_env.registry import (
    AgentSpec,
    agent_class,
    describe_agents,
    list_agents,
    make_agent,
    register,
)

__all__ = [
    "AgentSpec",
    "agent_class",
    "describe_agents",
    "list_agents",
    "make_receiver",
    "make_sender",
    "register",
]


def make_sender(name: str, **kwargs: Any) -> Any:
    """Build the sender registered as ``name``; keyword arguments go to its constructor."""
    return make_agent("sender", name, **kwargs)


def make_receiver(name: str, **kwargs: Any) -> Any:
    """Build the receiver registered as ``name``; keyword arguments go to its constructor."""
    return make_agent("receiver", name, **kwargs)
