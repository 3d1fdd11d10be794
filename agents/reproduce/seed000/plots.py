"""The experiments' plots (Figures 2a, 2b, 3 and the tables as plots), saved atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agents.reproduce.seed000.settings import (
    BASELINES,
    SEED_TABLE1,
    SEED_TABLE2,
)
from persuasion_env._io import atomic_path, atomic_write_text


def _save_figure(fig, path: Path) -> None:
    """Save a PNG atomically (a killed run never leaves half an image)."""
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=120, format="png")


def _by_size(frame, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grouped = frame.groupby("size")[column]
    return np.array(sorted(frame["size"].unique())), grouped.mean().values, grouped.std().values


def _plot_warmup(frame, out: Path, extras: dict) -> None:
    import matplotlib.pyplot as plt

    sizes, learned, err = _by_size(frame, "learned_value")
    _, lp, _ = _by_size(frame, "lp_value")
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.errorbar(sizes, learned, yerr=err, marker="o", capsize=3, label="TableNet (true BR)")
    ax.plot(sizes, lp, "k--", marker="s", label="LP optimum")
    ax.set(xlabel="game size", ylabel="sender reward", title="Warm-up (Figure 2a)")
    ax.legend()
    fig.tight_layout()
    _save_figure(fig, out / "warmup_fig2a.png")
    plt.close(fig)
    curve = extras.get("curve")
    curve_path = out / "warmup_curve.csv"
    if curve is not None:
        import pandas as pd

        size, points, lp_mean = curve
        table = pd.DataFrame(points, columns=["iteration", "true_value", "soft_value"])
        atomic_write_text(curve_path, table.assign(size=size, lp_value=lp_mean).to_csv(index=False))
    if curve_path.exists():
        import pandas as pd

        data = pd.read_csv(curve_path)
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(data.iteration, data.true_value, label="best scheme so far (true BR)")
        ax.axhline(data.lp_value.iloc[0], color="k", ls="--", label="LP optimum")
        size = int(data["size"].iloc[0])
        ax.set(
            xlabel="iterations",
            ylabel="sender reward",
            title=f"Warm-up convergence, {size}×{size} (Figure 2b)",
        )
        ax.legend()
        fig.tight_layout()
        _save_figure(fig, out / "warmup_fig2b.png")
        plt.close(fig)


def _plot_explicit(frame, out: Path, extras: dict) -> None:
    import matplotlib.pyplot as plt

    sizes, learned, err = _by_size(frame, "learned_value")
    _, lp, _ = _by_size(frame, "lp_value")
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.errorbar(sizes, learned, yerr=err, marker="o", capsize=3, label="TableNet (explicit)")
    ax.plot(sizes, lp, "k--", marker="s", label="LP optimum")
    seed_sizes = [s for s in sizes if int(s) in SEED_TABLE1]
    ax.plot(seed_sizes, [SEED_TABLE1[int(s)][0] for s in seed_sizes], "r:", marker="x",
            label="seed Table 1")  # fmt: skip
    ax.set(xlabel="game size", ylabel="sender reward", title="Explicit commitment (Table 1)")
    ax.legend()
    fig.tight_layout()
    _save_figure(fig, out / "explicit_by_size.png")
    plt.close(fig)


def _plot_implicit(frame, out: Path, extras: dict) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for receiver, group in frame.groupby("receiver", sort=False):
        sizes, actual, _ = _by_size(group, "learned_value")
        ax.plot(sizes, actual, marker="o", label=f"TableNet vs {receiver}")
    for name in BASELINES:
        sizes, value, _ = _by_size(frame, name)
        ax.plot(sizes, value, ls=":", marker=".", label=name)
    seed_sizes = [s for s in sizes if int(s) in SEED_TABLE2]
    ax.plot(seed_sizes, [SEED_TABLE2[int(s)][0] for s in seed_sizes], "r--", marker="x",
            label="seed Table 2 (actual)")  # fmt: skip
    sizes, lp, _ = _by_size(frame, "lp_value")
    ax.plot(sizes, lp, "k--", label="LP optimum")
    ax.set(xlabel="game size", ylabel="sender reward", title="Implicit commitment (Table 2)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    _save_figure(fig, out / "implicit_by_size.png")
    plt.close(fig)


def _plot_messages(frame, out: Path, extras: dict) -> None:
    import matplotlib.pyplot as plt

    for size, by_size in frame.groupby("size"):
        grouped = by_size.groupby("n_messages")
        ks = np.array(sorted(by_size.n_messages.unique()))
        fig, ax = plt.subplots(figsize=(5, 3.5))
        mean, std = grouped.learned_value.mean().values, grouped.learned_value.std().values
        ax.errorbar(ks, mean, yerr=std, marker="o", capsize=3, label="TableNet (explicit)")
        optimal = by_size[by_size.milp_status == "optimal"].groupby("n_messages")
        if len(optimal):
            counts = optimal.size()
            full = counts[counts == grouped.size().loc[counts.index]].index
            if len(full):
                ax.plot(full, optimal.milp_value.mean().loc[full].values, "ks", label="exact MILP")
        ax.axhline(by_size.lp_value.mean(), color="k", ls="--", label="LP (all messages)")
        ax.set_xscale("log", base=2)
        ax.set(xlabel="number of messages", ylabel="sender reward",
               title=f"Restricted messages, {size}×{size} (Figure 3)")  # fmt: skip
        ax.legend()
        fig.tight_layout()
        _save_figure(fig, out / f"messages_fig3_{size}x{size}.png")
        plt.close(fig)
