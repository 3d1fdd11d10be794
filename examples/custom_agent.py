"""Write your own sender and receiver and enter them in a tournament.

python examples/custom_agent.py
"""

import numpy as np

from agents.base import Receiver, Sender
from persuasion_env.tournament import Tournament


class Babbler(Sender):
    """Sends a uniformly random message whatever the state (reveals nothing)."""

    name = "babbler"
    description = "Uniformly random messages"
    batched_games = True

    def act(self, states):
        return self.rng.integers(self.view.n_messages, size=self.runs)

    def policy(self):
        shape = (self.runs, self.view.n_states, self.view.n_messages)
        return np.full(shape, 1.0 / self.view.n_messages)


class Credulous(Receiver):
    """Plays the action whose index is the message (believes every recommendation)."""

    name = "credulous"
    description = "Obeys every message as a recommendation"
    batched_games = True

    def act(self, messages):
        return np.minimum(messages, self.view.n_actions - 1)

    def policy(self):
        m, a = self.view.n_messages, self.view.n_actions
        table = np.zeros((self.runs, m, a))
        table[:, np.arange(m), np.minimum(np.arange(m), a - 1)] = 1.0
        return table


result = Tournament(
    senders=[Babbler(), "info_q", "lp_optimal"],
    receivers=[Credulous(), "q_learning"],
    sizes=[3],
    n_games=3,
    seeds=[0, 1],
    rounds=2000,
).play(progress=False)
print(result.summary().round(3))
