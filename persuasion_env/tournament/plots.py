"""Plots of a :class:`~persuasion_env.tournament.result.TournamentResult`.

Every plot says which utility it shows:

* **final-policy** utility: the exact expected utility of the agents' final greedy policies
  (columns ``sender_utility``, ``ratio``): heatmap, distributions, ranking;
* **realised** utility: the payoffs actually received round by round, learning included
  (the learning curves, and the ``realised_*`` columns).

Matplotlib is imported inside each function, so importing this module costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from persuasion_env.tournament.result import TournamentResult

__all__ = [
    "colour_limits",
    "plot_distributions",
    "plot_heatmap",
    "plot_learning_curves",
    "plot_ranking",
]

FINAL = "final-policy sender utility / LP optimum"
REALISED = "realised sender utility / LP optimum (learning included)"


def colour_limits(values: np.ndarray) -> tuple[float, float]:
    """A colour scale fitted to the finite ``values`` that always shows 1 (the optimum):
    from ``min(values)`` to ``max(1, max(values))``; ratios above 1 (a sender beating the
    LP against a receiver that errs in its favour) stay distinguishable."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), max(1.0, float(finite.max()))
    if high - low < 1e-9:
        low = high - 1e-3
    return low, high


def _sizes(result: TournamentResult) -> list[str]:
    frame = result.to_frame()
    return sorted(set(frame["size"]), key=lambda s: tuple(int(x) for x in s.split("x")))


def plot_heatmap(result: TournamentResult, ax: Any = None) -> Any:
    """Sender x receiver heatmap of the mean final-policy ratio to the optimum, one panel per
    game size (ordered by size), on one colour scale fitted to the data
    (:func:`colour_limits`). With ``ax`` given, all sizes are drawn on it together.
    Returns the (first) axes."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    frame = result.to_frame()
    ok = frame[frame["status"] == "ok"]
    senders = list(dict.fromkeys(frame["sender"]))
    receivers = list(dict.fromkeys(frame["receiver"]))
    sizes = _sizes(result) if ax is None else ["all"]
    tables = []
    for size in sizes:
        part = ok if size == "all" else ok[ok["size"] == size]
        table = part.pivot_table(index="sender", columns="receiver", values="ratio", aggfunc="mean")
        tables.append(table.reindex(index=senders, columns=receivers).to_numpy(dtype=float))
    low, high = colour_limits(np.concatenate([t.ravel() for t in tables]))
    norm = Normalize(vmin=low, vmax=high)
    if ax is None:
        width = 1.3 * len(receivers) + 3
        fig, axes = plt.subplots(
            1,
            len(sizes),
            figsize=(width * len(sizes) + 1.5, 0.5 * len(senders) + 2.6),
            squeeze=False,
            sharey=True,
            layout="constrained",
        )
        axes = list(axes[0])
    else:
        fig, axes = ax.figure, [ax]
    image = None
    for k, (panel, size, values) in enumerate(zip(axes, sizes, tables, strict=True)):
        image = panel.imshow(values, cmap="viridis", norm=norm, aspect="auto")
        panel.set_xticks(range(len(receivers)), receivers, rotation=30, ha="right")
        if k == 0:  # the panels share the sender axis
            panel.set_yticks(range(len(senders)), senders)
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                dark = norm(v) < 0.55  # viridis is dark at the low end
                panel.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8,
                           color="white" if dark else "black")  # fmt: skip
        panel.set_xlabel("receiver")
        if k == 0:
            panel.set_ylabel("sender")
        where = "all games" if size == "all" else f"{size} games"
        panel.set_title(f"{where}: mean over games and seeds", fontsize=9)
    fig.suptitle(f"Final-policy sender utility / LP optimum (colour scale {low:.2f} to {high:.2f})")
    fig.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label=FINAL)
    return axes[0]


def plot_distributions(result: TournamentResult, ax: Any = None) -> Any:
    """Per-sender box plots of the final-policy ratio over all matches, ranked."""
    import matplotlib.pyplot as plt

    frame = result.to_frame()
    ok = frame[frame["status"] == "ok"]
    # The ranking's order (mean ratio, stable) without its bootstrap.
    means = ok.groupby("sender", sort=False)["ratio"].mean()
    order = list(means.sort_values(ascending=False, kind="stable").index)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(5, 0.9 * len(order) + 2), 4))
    ax.boxplot([ok.loc[ok["sender"] == s, "ratio"].to_numpy() for s in order], tick_labels=order)
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_ylabel(FINAL)
    ax.set_title("Final-policy utility: distribution over receivers, games and seeds")
    ax.tick_params(axis="x", rotation=30)
    ax.figure.tight_layout()
    return ax


def plot_ranking(result: TournamentResult, ax: Any = None) -> Any:
    """The senders' mean final-policy ratios with their bootstrap 95 % intervals."""
    import matplotlib.pyplot as plt

    table = result.ranking()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.4 * len(table) + 1.8))
    y = np.arange(len(table))[::-1]
    mean = table["mean_ratio"].to_numpy(dtype=float)
    low = table["mean_ratio_low"].to_numpy(dtype=float)
    high = table["mean_ratio_high"].to_numpy(dtype=float)
    err = np.vstack([np.nan_to_num(mean - low), np.nan_to_num(high - mean)])
    ax.errorbar(mean, y, xerr=err, fmt="o", capsize=3)
    ax.set_yticks(y, list(table.index))
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel(f"mean {FINAL} (bootstrap 95 % CI)")
    ax.set_title("Ranking of senders")
    ax.figure.tight_layout()
    return ax


def plot_learning_curves(result: TournamentResult, ax: Any = None) -> Any:
    """Realised sender utility per round bin, as a share of the optimum, per sender: the
    mean over that sender's (receiver, game size) batches with a pointwise bootstrap 95 %
    band over those batches. This is *realised* utility (learning included), not the
    final-policy utility of the other plots."""
    import matplotlib.pyplot as plt

    from persuasion_env.tournament.stats import bootstrap_band

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    by_sender: dict[str, list[np.ndarray]] = {}
    rounds: dict[str, np.ndarray] = {}
    for curve in result.curves:
        if curve["lp_value"]:
            by_sender.setdefault(curve["sender"], []).append(
                np.asarray(curve["sender_utility"], dtype=float) / curve["lp_value"]
            )
            rounds[curve["sender"]] = np.asarray(curve["rounds"])
    # Beyond ten senders the default colour cycle repeats: use tab20 and vary the dashes.
    colours = plt.get_cmap("tab20" if len(by_sender) > 10 else "tab10").colors
    for i, (sender, values) in enumerate(by_sender.items()):
        curves = np.vstack(values)
        (line,) = ax.plot(
            rounds[sender],
            curves.mean(axis=0),
            label=sender,
            color=colours[i % len(colours)],
            linestyle=("-", "--", ":")[(i // len(colours)) % 3],
        )
        low, high = bootstrap_band(curves, seed=np.random.default_rng([0, i]))
        if np.all(np.isfinite(low)):
            ax.fill_between(rounds[sender], low, high, color=line.get_color(), alpha=0.2)
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("round")
    ax.set_ylabel(REALISED, fontsize=8)
    ax.set_title("Learning curves: realised utility, mean and 95 % band over receivers")
    if by_sender:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.figure.tight_layout()
    return ax
