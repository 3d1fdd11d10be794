"""Speed of the oracle-game planners (MODEL.md B2–B3). A script, not a test.

Measures, on random games (``OracleGame.random``, seeded):

* the full interval table ``V`` with the nested warm-started HiGHS method (``n_jobs`` 1 and 2),
* plans for every budget K = 0..ceil(log2 T) (adaptive DP with leaf policies) from that table,
* next to the plain approach (every range's LP from scratch with ``scipy.optimize.linprog``):
  in full at 50 x 50, and at 100 x 100 extrapolated from a random sample of ranges (``--full-plain``
  solves all 5050 ranges; several minutes).

Usage::

    .venv/bin/python benchmarks/bench_oracle.py [--size 100] [--seed 0] [--full-plain]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from persuasion_env.oracle import OracleGame
from persuasion_env.solvers.oracle import interval_values, plan_queries
from persuasion_env.solvers.oracle.intervals import _plain_lp_value


def _plain_sample(og: OracleGame, n: int, seed: int) -> tuple[float, float, float]:
    """Seconds for ``n`` random ranges from scratch, the extrapolated full time, max error."""
    rng = np.random.default_rng(seed)
    T = og.n_types
    pairs = [(i, j) for i in range(T) for j in range(i, T)]
    pick = rng.choice(len(pairs), size=min(n, len(pairs)), replace=False)
    psi = og.joint_prior
    a = psi * og.receiver_utility
    V = interval_values(og)
    err = 0.0
    t0 = time.perf_counter()
    for k in pick:
        i, j = pairs[k]
        v = _plain_lp_value(psi[:, i : j + 1], a[:, i : j + 1])
        err = max(err, abs(v - V[i, j]))
    dt = time.perf_counter() - t0
    return dt, dt * len(pairs) / len(pick), err


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--full-plain", action="store_true")
    args = ap.parse_args()

    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"oracle planners benchmark (wall-clock seconds; {os.cpu_count()} CPUs, "
        f"load average {load:.1f})"
    )
    # --- 50 x 50: nested vs plain, both in full
    og = OracleGame.random(50, 50, seed=args.seed)
    t0 = time.perf_counter()
    V_nested = interval_values(og)
    t_nested50 = time.perf_counter() - t0
    og_plain = OracleGame.random(50, 50, seed=args.seed)
    t0 = time.perf_counter()
    V_plain = interval_values(og_plain, method="plain")
    t_plain50 = time.perf_counter() - t0
    upper = np.triu(np.ones_like(V_nested, dtype=bool))
    err50 = float(np.max(np.abs(V_nested[upper] - V_plain[upper])))
    print(
        f"W=T=50    V table: nested {t_nested50:6.2f}   plain {t_plain50:6.2f}   "
        f"(speed-up {t_plain50 / t_nested50:4.1f}x, max |diff| {err50:.1e})"
    )

    # --- size x size: the target
    n = args.size
    K_max = math.ceil(math.log2(n))
    for jobs in (1, 2):
        og = OracleGame.random(n, n, seed=args.seed)
        t0, c0 = time.perf_counter(), time.process_time()
        interval_values(og, n_jobs=jobs)
        t_table, c_table = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        values = [plan_queries(og, K).value for K in range(K_max + 1)]
        t_plans = time.perf_counter() - t0
        cpu = f" (V table CPU time of this process {c_table:5.2f})" if jobs == 1 else ""
        print(
            f"W=T={n}  n_jobs={jobs}: V table {t_table:6.2f} + plans K=0..{K_max} "
            f"{t_plans:5.2f} = {t_table + t_plans:6.2f}{cpu}"
        )
    print("          values by K: " + ", ".join(f"{v:.4f}" for v in values))
    print(f"          known-type value {plan_queries(og, K_max).known_type_value:.4f}")
    if args.full_plain:
        og_plain = OracleGame.random(n, n, seed=args.seed)
        t0 = time.perf_counter()
        interval_values(og_plain, method="plain")
        print(f"W=T={n}  plain V table in full: {time.perf_counter() - t0:6.2f}")
    else:
        dt, est, err = _plain_sample(og, 200, args.seed)
        print(
            f"W=T={n}  plain: 200 ranges took {dt:5.2f} -> all {n * (n + 1) // 2} ranges "
            f"about {est:6.1f} (max |diff| vs nested {err:.1e})"
        )


if __name__ == "__main__":
    main()
