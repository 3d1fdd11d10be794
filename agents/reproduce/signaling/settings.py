"""Lin et al.'s published numbers and the experiment's grid (MODEL.md C2).

``YueLin301/InformationDesignMARL``, ``exp_recommendation/data_results/data_phi_0.csv`` and
``data_phi_1.csv``: ``phi(recommend | bad)`` and ``phi(recommend | good)`` of the
signaling-gradient sender on the recommendation letter, rows epsilon = 0, 0.15, 0.3, 0.45,
0.6, columns lambda = 0, 1.25, ..., 10 (3e6 rounds per run).
"""

from __future__ import annotations

EPSILONS: tuple[float, ...] = (0.0, 0.15, 0.3, 0.45, 0.6)
LAMBDAS: tuple[float, ...] = tuple(1.25 * i for i in range(9))
#: Lin et al.'s headline cell and their sender utility there (seeds 0-2, 3e6 rounds; run
#: with their code, MODEL.md C2).
HEADLINE = (0.3, 5.0)
HEADLINE_UTILITY: tuple[float, ...] = (0.641, 0.643, 0.647)
#: Rounds per run in their experiments.
ROUNDS = 3_000_000
#: Runs (learner seeds) per grid cell here.
RUNS = 4

#: data_phi_0.csv: epsilon -> phi(recommend | bad) for each lambda of LAMBDAS.
PHI_REC_BAD: dict[float, tuple[float, ...]] = {
    0.0: (0.639133, 0.772833, 0.86125, 0.7948, 0.759867, 0.742867, 0.733633, 0.723933, 0.717367),
    0.15: (0.638917, 0.8429, 0.660967, 0.500233, 0.5012, 0.499467, 0.500733, 0.4976, 0.5004),
    0.3: (0.640467, 0.842917, 0.637433, 0.489833, 0.48225, 0.474533, 0.4729, 0.472867, 0.472967),
    0.45: (0.63895, 0.842883, 0.470167, 0.3806, 0.3712, 0.366933, 0.3634, 0.363267, 0.362767),
    0.6: (0.639567, 0.8429, 0.433233, 0.270567, 0.262933, 0.258233, 0.254467, 0.250267, 0.252533),
}
#: data_phi_1.csv: epsilon -> phi(recommend | good) for each lambda of LAMBDAS.
PHI_REC_GOOD: dict[float, tuple[float, ...]] = {
    0.0: (0.706383, 0.861397, 0.967605, 0.998458, 0.998958, 0.999149, 0.999192, 0.999263, 0.999268),
    0.15: (0.7062, 0.936458, 0.93538, 0.999915, 0.999967, 0.999996, 0.999961, 0.999996, 0.999996),
    0.3: (0.705783, 0.936577, 0.93588, 0.999971, 0.999963, 0.999989, 0.999986, 0.999984, 0.999983),
    0.45: (0.7063, 0.936677, 0.93568, 0.999992, 0.999949, 0.999912, 0.999908, 0.999905, 0.999903),
    0.6: (0.706033, 0.936428, 0.935279, 0.999985, 0.999947, 0.99991, 0.999906, 0.9999, 0.999897),
}


def lin_value(table: dict[float, tuple[float, ...]], epsilon: float, lam: float) -> float:
    """Their value at ``(epsilon, lam)``, or NaN off their grid."""
    for e, row in table.items():
        if abs(e - epsilon) < 1e-9:
            for l_, value in zip(LAMBDAS, row, strict=True):
                if abs(l_ - lam) < 1e-9:
                    return value
    return float("nan")
