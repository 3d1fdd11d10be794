"""Agent-vs-agent tournaments: :class:`Tournament` -> :class:`TournamentResult`."""

from persuasion_env.tournament.core import AgentEntry, Tournament
from persuasion_env.tournament.result import COLUMNS, REFERENCE_COLUMNS, TournamentResult

__all__ = ["AgentEntry", "COLUMNS", "REFERENCE_COLUMNS", "Tournament", "TournamentResult"]
