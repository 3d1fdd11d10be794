"""A user's own agent, as a third-party distribution would ship it (for test_registry.py).

It is never decorated with ``register``: it reaches the registry only through the
``persuasion_env.agents`` entry-point group (faked in the tests).
"""

import numpy as np

from persuasion_env.protocols import BLACK_BOX, Sender


class AlwaysFirst(Sender):
    """Sends message 0 whatever the state (no information, in a known way)."""

    name = "always_first"
    description = "Sends message 0 whatever the state"
    information = BLACK_BOX
    observes = ("state",)
    batched_games = True

    def act(self, states):
        return np.zeros(self.runs, dtype=int)

    def policy(self):
        view = self._require_reset()
        pi = np.zeros((self.runs, view.n_states, view.n_messages))
        pi[..., 0] = 1.0
        return pi


#: The same agent declared as data: listing it must not import this module.
TABLE = (
    {
        "name": "always_first_lazy",
        "side": "sender",
        "entry_point": "tests.core.plugin_agents:AlwaysFirst",
        "description": "declared as data",
    },
)
