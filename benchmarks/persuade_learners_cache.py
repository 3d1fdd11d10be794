"""The cell cache of ``persuade_learners.py``: which code and options computed a cell.

A cell (one sender against one receiver on one game, or the best-fixed reference of a
(receiver, game) pair) is stored with the *versions* of the agents that played it. A version
is the pair

* ``config``: :func:`persuasion_env._fingerprint.agent_fingerprint` of a freshly built agent
  (class, constructor options and defaults), and
* ``code``: :func:`persuasion_env._code_digest.code_digest` of its class: the source of the
  class, of its project base classes, and of every project class or function (numba kernels
  included) that this source names, followed transitively (plus the module-level numbers and
  strings it names).

When a stored cell's versions differ from the current ones the cell is *stale*: it was
computed by another version of an agent (a changed default, an edited update rule or
kernel). The benchmark never mixes it with fresh cells: it refuses to report until the stale
cells are recomputed (``--recompute stale``, or the changed senders by name).

What ``code`` does not see: the engine (``persuasion_env``: the round loop, ``simulate``),
whose changes are refactors held byte-identical by ``regression_checksums.py``; code reached
only through ``getattr`` with a computed name; and module-level data that is not a number,
string or tuple of numbers.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from persuasion_env._code_digest import code_digest
from persuasion_env._fingerprint import agent_fingerprint
from persuasion_env.references import DEFAULT_MARGINS, REFERENCE_SENDERS
from persuasion_env.registry import make_agent

#: The senders of the best-fixed reference family.
REFERENCE_FAMILY = REFERENCE_SENDERS


@functools.cache
def agent_version(side: str, name: str) -> tuple[tuple[str, str], ...]:
    """``(("name", ...), ("config", ...), ("code", ...))`` of the registry agent ``name``."""
    agent = make_agent(side, name)
    return (
        ("name", name),
        ("config", agent_fingerprint(agent)),
        ("code", code_digest(type(agent))),
    )


def cell_versions(sender: str, receiver: str) -> dict:
    """The versions a (sender, receiver) cell is computed with (JSON-ready)."""
    return {
        "sender": dict(agent_version("sender", sender)),
        "receiver": dict(agent_version("receiver", receiver)),
    }


def reference_versions(receiver: str) -> dict:
    """The versions a best-fixed reference against ``receiver`` is computed with."""
    return {
        "receiver": dict(agent_version("receiver", receiver)),
        "family": {name: dict(agent_version("sender", name)) for name in REFERENCE_FAMILY},
        "margins": list(DEFAULT_MARGINS),
    }


def load_cell(path: Path) -> dict | None:
    """A finished cell, or ``None`` (missing, or damaged by hand: writes are atomic)."""
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    return None


def is_stale(cell: dict, versions: dict) -> bool:
    """Whether ``cell`` was computed by other agent versions than ``versions`` (a cell of
    the format before versions were stored counts as stale)."""
    return cell.get("versions") != versions
