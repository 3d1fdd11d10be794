"""Sender and receiver agents for persuasion_env, built by name.

Note: this distribution installs a top-level package called ``agents``; another distribution
that also ships a top-level ``agents`` package would clash with it in the same environment.
"""

from agents.registry import (
    agent_class,
    describe_agents,
    list_agents,
    make_receiver,
    make_sender,
    register,
)

__all__ = [
    "agent_class",
    "describe_agents",
    "list_agents",
    "make_receiver",
    "make_sender",
    "register",
]
