"""Lin, Li, Zha & Wang (NeurIPS 2023), *Information Design in Multi-Agent Reinforcement
Learning*: their recommendation-letter results with ``signaling_gradient`` and
``actor_critic`` (``persuasion reproduce signaling``; MODEL.md C2).

:mod:`.driver` is their training loop, batched over runs and over the rounds of a batch;
:mod:`.settings` holds their published numbers; :mod:`.experiment` writes the CSV, the
Markdown table and the plot.
"""

from agents.reproduce.signaling.driver import LinTrace, train_lin_schedule
from agents.reproduce.signaling.experiment import REQUIRED_COLUMNS, run_signaling

__all__ = ["REQUIRED_COLUMNS", "LinTrace", "run_signaling", "train_lin_schedule"]
