"""``persuasion reproduce oracle``: the oracle game's experiments in one table.

:func:`reproduce_oracle` runs four parts, told apart by the ``experiment`` column of the result:

==================  ===========================================================================
``experiment``      content
==================  ===========================================================================
``budget``          optimal value vs budget K (adaptive, non-adaptive, greedy) next to the
                    known-type upper bound and the no-query value
``greedy``          optimal vs greedy with K = 2 (the seed's counterexample and random games)
``rounding``        additive loss of the ε-rounded plan (B4) on a fine-grid continuous prior
``noisy``           payoff of the robust sender against the (δ, η)-noisy oracle (B6), exact
                    expectation, next to the bound ``2δ + η``
==================  ===========================================================================

It writes ``out_dir/oracle.csv`` (at least the columns ``experiment``, ``game``, ``budget``,
``value``, ``known_type_value``), ``out_dir/oracle.md`` (Markdown tables) and PNG plots.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from persuasion_env._io import atomic_path, atomic_write_text, markdown_table
from persuasion_env._validation import check_int, make_rng
from persuasion_env.oracle.game import OracleGame
from persuasion_env.solvers.oracle import greedy_plan, plan_queries
from persuasion_env.solvers.oracle.robust import noisy_payoff

__all__ = ["reproduce_oracle", "continuous_example"]


def continuous_example(resolution: int = 60) -> OracleGame:
    """A continuous prior on ``[0, 1]^2`` with supermodular log-density, on a fine grid.

    Density ``f(w, θ) ∝ exp(3 w θ)`` (log-supermodular, hence affiliated), utility
    ``u(w, θ) = w + 0.5 θ - 0.7``.
    """
    return OracleGame.from_density(
        lambda w, t: np.exp(3.0 * w * t),
        lambda w, t: w + 0.5 * t - 0.7,
        box=((0.0, 1.0), (0.0, 1.0)),
        resolution=resolution,
        name="continuous-exp3wt",
    )


def _games(games: int | Sequence[OracleGame], seed: int, quick: bool) -> list[OracleGame]:
    if isinstance(games, int | np.integer):
        n = check_int(int(games), "games", minimum=0)
        rng = make_rng(seed)
        size = (5, 6) if quick else (8, 10)
        out = [OracleGame.example("three-types"), OracleGame.example("greedy-trap")]
        out += [OracleGame.random(size[0], size[1], seed=rng, name=f"random-{k}") for k in range(n)]
        return out
    out = list(games)
    for g in out:
        if not isinstance(g, OracleGame):
            raise TypeError(f"games must be an int or a list of OracleGame, got {type(g).__name__}")
    return out


def reproduce_oracle(
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 0,
    games: int | Sequence[OracleGame] = 3,
    quick: bool = False,
) -> pd.DataFrame:
    """Run the oracle-game experiments and write ``out_dir/oracle.csv``, ``.md`` and plots.

    Args:
        out_dir: output directory (created if missing).
        seed: seed of the random games.
        games: number of random games (besides the two named examples) or a list of games.
        quick: smaller sizes and grids (for tests and smoke runs).

    Returns:
        The tidy table (one row per measurement).
    """
    seed = check_int(seed, "seed", minimum=0)
    os.makedirs(out_dir, exist_ok=True)
    gs = _games(games, seed, quick)
    rows: list[dict[str, Any]] = []
    k_max = 3 if quick else 5
    for og in gs:
        for K in range(k_max + 1):
            opt = plan_queries(og, K, policies=False)
            rows.append(
                {
                    "experiment": "budget",
                    "game": og.name,
                    "budget": K,
                    "value": opt.value,
                    "known_type_value": opt.known_type_value,
                    "no_query_value": opt.no_query_value,
                    "nonadaptive_value": plan_queries(og, K, adaptive=False, policies=False).value,
                    "greedy_value": greedy_plan(og, K, policies=False).value,
                }
            )
    for og in gs:
        opt = plan_queries(og, 2, policies=False)
        gr = greedy_plan(og, 2, policies=False)
        rows.append(
            {
                "experiment": "greedy",
                "game": og.name,
                "budget": 2,
                "value": opt.value,
                "known_type_value": opt.known_type_value,
                "greedy_value": gr.value,
                "greedy_gap": opt.value - gr.value,
            }
        )
    cont = continuous_example(24 if quick else 60)
    for K in (1, 2):
        exact = plan_queries(cont, K, policies=False)
        for eps in (0.5, 0.25, 0.1) if quick else (0.5, 0.25, 0.1, 0.05, 0.02):
            lifted = plan_queries(cont, K, eps=eps)
            rows.append(
                {
                    "experiment": "rounding",
                    "game": cont.name,
                    "budget": K,
                    "eps": eps,
                    "value": lifted.value,
                    "known_type_value": exact.known_type_value,
                    "exact_value": exact.value,
                    "rounded_value": lifted.info["rounded_value"],
                    "rounding_loss": exact.value - lifted.value,
                }
            )
    noisy_game = gs[-1]
    plan = plan_queries(noisy_game, 2)
    grid = (0.0, 0.1, 0.2) if quick else (0.0, 0.05, 0.1, 0.2, 0.3)
    for delta in grid:
        for eta in grid:
            robust = noisy_payoff(noisy_game, plan, delta, eta, robust=True)
            naive = noisy_payoff(noisy_game, plan, delta, eta, robust=False)
            rows.append(
                {
                    "experiment": "noisy",
                    "game": noisy_game.name,
                    "budget": 2,
                    "delta": delta,
                    "eta": eta,
                    "value": robust,
                    "known_type_value": plan.known_type_value,
                    "exact_value": plan.value,
                    "nonrobust_value": naive,
                    "degradation": plan.value - robust,
                    "bound": 2 * delta + eta,
                }
            )
    df = pd.DataFrame(rows)
    atomic_write_text(os.path.join(out_dir, "oracle.csv"), df.to_csv(index=False))
    _write_markdown(df, os.path.join(out_dir, "oracle.md"))
    _plots(df, out_dir)
    return df


def _md_table(df: pd.DataFrame) -> str:
    rows = ([f"{v:.4f}" if isinstance(v, float) else str(v) for v in r] for _, r in df.iterrows())
    return markdown_table(list(df.columns), rows)


def _write_markdown(df: pd.DataFrame, path: str) -> None:
    parts = ["# Oracle game experiments (MODEL.md Part B)", ""]
    for exp, sub in df.groupby("experiment", sort=False):
        sub = sub.dropna(axis=1, how="all").drop(columns=["experiment"])
        parts += [f"## {exp}", "", _md_table(sub), ""]
    atomic_write_text(path, "\n".join(parts))


def _save_figure(fig: Any, path: str) -> None:
    """Save a PNG atomically (a killed run never leaves half an image)."""
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=100, format="png")


def _plots(df: pd.DataFrame, out_dir: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sub = df[df.experiment == "budget"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for game, g in sub.groupby("game", sort=False):
        line = ax.plot(g.budget, g.value, marker="o", label=f"{game}")[0]
        ax.plot(g.budget, g.greedy_value, ls=":", color=line.get_color())
        ax.axhline(g.known_type_value.iloc[0], ls="--", lw=0.8, color=line.get_color())
    ax.set_xlabel("query budget K")
    ax.set_ylabel("P(act)")
    ax.set_title("value vs budget (dotted: greedy, dashed: known type)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    _save_figure(fig, os.path.join(out_dir, "oracle_budget.png"))
    plt.close(fig)

    sub = df[df.experiment == "rounding"]
    if len(sub):
        fig, ax = plt.subplots(figsize=(5, 4))
        for K, g in sub.groupby("budget"):
            ax.plot(g.eps, g.rounding_loss, marker="o", label=f"K={K}")
        ax.plot(sub.eps, sub.eps, ls="--", color="grey", label="eps")
        ax.set_xscale("log")
        ax.set_xlabel("eps")
        ax.set_ylabel("additive loss")
        ax.legend()
        fig.tight_layout()
        _save_figure(fig, os.path.join(out_dir, "oracle_rounding.png"))
        plt.close(fig)

    sub = df[df.experiment == "noisy"]
    if len(sub):
        fig, ax = plt.subplots(figsize=(5, 4))
        for eta, g in sub.groupby("eta"):
            ax.plot(g.delta, g.degradation, marker="o", label=f"eta={eta:g}")
        ax.set_xlabel("delta")
        ax.set_ylabel("exact value - robust noisy value")
        ax.legend()
        fig.tight_layout()
        _save_figure(fig, os.path.join(out_dir, "oracle_noisy.png"))
        plt.close(fig)
