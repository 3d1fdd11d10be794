"""Experiments that reproduce the seed papers with the agents of this package (they import
``agents`` and ``persuasion_env``; ``persuasion reproduce`` reaches them through the entry
points of :mod:`persuasion_env.reproduce`)."""
