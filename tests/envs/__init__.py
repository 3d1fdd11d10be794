"""Tests of the Gymnasium environments (persuasion_env.envs) and the vector env."""
