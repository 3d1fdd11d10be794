"""Tests of the environments (Gymnasium, vector, PettingZoo) and the SB3 adapter."""
