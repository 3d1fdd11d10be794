"""What the ``persuasion`` command line's modules share: the user's-mistake error and the exit
statuses (:mod:`persuasion_env.cli` maps exceptions to them)."""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_FAILURE = 1
PROG = "persuasion"


class UserError(ValueError):
    """A problem with the command line itself; printed as one line, exit status 2."""
