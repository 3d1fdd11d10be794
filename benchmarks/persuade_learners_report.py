"""Reports of ``persuade_learners.py``: issue 16's must-show checks, the table, the plots.

Every function takes the benchmark's frame (one row per (sender, receiver, game) cell, the
columns of ``persuade_learners.run``) and computes nothing but summaries of it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from persuasion_env._io import atomic_path

SUITES = ("recommendation letter", "prosecutor", "random 4x4", "random 8x8")
BLACK_BOX = "black box"
#: Issue 16's "Must show" targets.
TARGETS = {
    "mean_ratio_best_fixed": 0.95,  # best black-box sender, mean over all (game, receiver)
    "min_ratio_best_fixed": 0.85,  # ... and on every pair
    "tablenet_ratio_lp": 0.90,  # TableNet on random 4x4 and 8x8, averaged over receivers
    "letter_actor_critic_black_box": 0.643,  # Lin et al.'s white-box result
    "letter_actor_critic_signaling_gradient": 0.62,
}
LETTER, LETTER_RECEIVER = "recommendation letter", "actor_critic"


def _pair(row: pd.Series) -> str:
    return f"{row['game']} vs {row['receiver']}"


def _cell(row: pd.Series | None) -> dict | None:
    if row is None:
        return None
    return {
        "sender": row["sender"],
        "information": row["information"],
        "value": float(row["value"]),
        "ci": [float(row["ci_low"]), float(row["ci_high"])],
        "rounds": int(row["rounds"]),
        "runs": int(row["runs"]),
    }


def best_black_box(frame: pd.DataFrame) -> dict | None:
    """The best black-box learned sender, chosen as ONE sender for every pair: the black-box
    sender with the highest mean tail/best-fixed over all (game, receiver) pairs of the frame
    (only senders that played every pair compete), and its figures against the targets."""
    pairs = frame[["game", "receiver"]].drop_duplicates()
    box = frame[frame["information"] == BLACK_BOX]
    if box.empty:
        return None
    complete = box.groupby("sender")["game"].count() == len(pairs)
    candidates = box[box["sender"].isin(complete[complete].index)]
    if candidates.empty:
        return None
    ranking = candidates.groupby("sender")["ratio_best_fixed"].mean().sort_values(ascending=False)
    sender = str(ranking.index[0])
    rows = candidates[candidates["sender"] == sender]
    ratios = rows["ratio_best_fixed"]
    low = rows.loc[ratios.idxmin()] if ratios.notna().any() else None
    below = rows[ratios < TARGETS["min_ratio_best_fixed"]]
    exact = rows[rows["value"] < rows["no_information_value"] - 1e-9]
    realised = rows[rows["value"] < rows["no_information_realised"] - 1e-9]
    reference_below = (
        frame.drop_duplicates(["game", "receiver"])
        .pipe(lambda f: f[f["best_fixed_value"] < f["no_information_value"] - 1e-9])
        .shape[0]
    )
    mean, minimum = float(ratios.mean()), float(ratios.min())
    return {
        "sender": sender,
        "chosen_by": "one sender for all pairs: the black-box sender with the highest mean "
        "tail/best-fixed over all (game, receiver) pairs",
        "ranking": {str(k): float(v) for k, v in ranking.items()},
        "pairs": int(len(rows)),
        "undefined_pairs": int(ratios.isna().sum()),  # best fixed value 0: no ratio
        "mean_ratio_best_fixed": mean,
        "min_ratio_best_fixed": minimum,
        "min_pair": None if low is None else _pair(low),
        "pairs_at_least_0.85": int((ratios >= TARGETS["min_ratio_best_fixed"]).sum()),
        "pairs_below_0.85": {_pair(r): float(r["ratio_best_fixed"]) for _, r in below.iterrows()},
        "below_no_information_exact": {
            _pair(r): [float(r["value"]), float(r["no_information_value"])]
            for _, r in exact.iterrows()
        },
        "below_no_information_realised": {
            _pair(r): [float(r["value"]), float(r["no_information_realised"])]
            for _, r in realised.iterrows()
        },
        "best_fixed_below_no_information_exact": int(reference_below),
        "met_mean": mean >= TARGETS["mean_ratio_best_fixed"],
        "met_min": minimum >= TARGETS["min_ratio_best_fixed"] and not ratios.isna().any(),
        "met_no_information": exact.empty,
    }


def tablenet_check(frame: pd.DataFrame) -> dict | None:
    """TableNet's tail/LP on random 4x4 and 8x8: mean over games and receivers, and per
    receiver (mean over games)."""
    part = frame[(frame["sender"] == "tablenet") & frame["suite"].isin(SUITES[2:])]
    if part.empty:
        return None
    out = {}
    for suite, rows in part.groupby("suite", sort=False):
        mean = float(rows["ratio_lp"].mean())
        out[suite] = {
            "ratio_lp": mean,
            "per_receiver": {
                str(k): float(v)
                for k, v in rows.groupby("receiver", sort=False)["ratio_lp"].mean().items()
            },
            "best_fixed_ratio_lp": float(
                rows.drop_duplicates(["game", "receiver"])["best_fixed_ratio_lp"].mean()
            ),
            "games": int(rows["game"].nunique()),
            "met": mean >= TARGETS["tablenet_ratio_lp"],
        }
    return out


def letter_check(frame: pd.DataFrame, chosen: str | None) -> dict | None:
    """The recommendation letter against actor_critic: the best black-box sender (the one
    chosen over all pairs, and the best on this pair) and signaling_gradient, with CIs."""
    part = frame[(frame["suite"] == LETTER) & (frame["receiver"] == LETTER_RECEIVER)]
    if part.empty:
        return None
    box = part[part["information"] == BLACK_BOX]
    on_pair = box.loc[box["value"].idxmax()] if not box.empty else None
    of_chosen = box[box["sender"] == chosen]
    sg = part[part["sender"] == "signaling_gradient"]
    first = part.iloc[0]
    out = {
        "rounds": int(first["rounds"]),
        "lp_value": float(first["lp_value"]),
        "best_fixed_value": float(first["best_fixed_value"]),
        "best_fixed_scheme": first["best_fixed_scheme"],
        "chosen_black_box": _cell(of_chosen.iloc[0]) if len(of_chosen) else None,
        "best_black_box_on_pair": _cell(on_pair),
        "signaling_gradient": _cell(sg.iloc[0]) if len(sg) else None,
    }
    target = TARGETS["letter_actor_critic_black_box"]
    for key, limit in (
        ("chosen_black_box", target),
        ("best_black_box_on_pair", target),
        ("signaling_gradient", TARGETS["letter_actor_critic_signaling_gradient"]),
    ):
        if out[key] is not None:
            out[key]["met"] = out[key]["value"] >= limit
    return out


def must_show(frame: pd.DataFrame) -> dict:
    """Issue 16's must-show checks on the frame (JSON-ready; a part is ``None`` when the
    frame lacks what it needs)."""
    best = best_black_box(frame)
    return {
        "targets": TARGETS,
        "senders": list(dict.fromkeys(frame["sender"])),
        "receivers": list(dict.fromkeys(frame["receiver"])),
        "games": int(frame["game"].nunique()),
        "best_black_box": best,
        "tablenet": tablenet_check(frame),
        "letter_actor_critic": letter_check(frame, best["sender"] if best else None),
    }


def _yes(flag: bool) -> str:
    return "**met**" if flag else "**missed**"


def _with_ci(cell: dict) -> str:
    low, high = cell["ci"]
    ci = "" if math.isnan(low) else f" [{low:.3f}, {high:.3f}]"
    return f"{cell['sender']} {cell['value']:.3f}{ci}"


def must_show_markdown(checks: dict) -> str:
    """The must-show checks as a markdown section."""
    t = checks["targets"]
    lines = [
        "### Must show (issue 16)",
        "",
        f"Senders in this run: {', '.join(checks['senders'])}; {checks['games']} games x "
        f"{len(checks['receivers'])} receivers.",
        "",
    ]
    best = checks["best_black_box"]
    if best is None:
        lines.append("* No black-box sender played every (game, receiver) pair.")
    else:
        ranking = ", ".join(f"{k} {v:.4f}" for k, v in best["ranking"].items())
        exact, realised = best["below_no_information_exact"], best["below_no_information_realised"]
        lines += [
            f"* **Best black-box learned sender: {best['sender']}** ({best['chosen_by']}; "
            f"ranking: {ranking}).",
            f"  * tail / best fixed, mean over the {best['pairs']} pairs: "
            f"**{best['mean_ratio_best_fixed']:.3f}** (target >= {t['mean_ratio_best_fixed']}: "
            f"{_yes(best['met_mean'])}); minimum **{best['min_ratio_best_fixed']:.3f}** "
            f"({best['min_pair']}; target >= {t['min_ratio_best_fixed']}: "
            f"{_yes(best['met_min'])}); {best['pairs_at_least_0.85']} of {best['pairs']} "
            f"pairs >= {t['min_ratio_best_fixed']}"
            + (
                f", {best['undefined_pairs']} without a ratio (best fixed 0)"
                if best["undefined_pairs"]
                else ""
            )
            + ".",
            "  * below 0.85: "
            + (", ".join(f"{k} {v:.2f}" for k, v in best["pairs_below_0.85"].items()) or "none"),
            f"  * below the exact no-information value: **{len(exact)}** pairs "
            f"({_yes(best['met_no_information'])}); below the realised utility of the "
            f"no-information scheme against the same learner (same seed): **{len(realised)}**"
            f"; the best fixed scheme itself is below the exact value on "
            f"{best['best_fixed_below_no_information_exact']} pairs.",
        ]
        for label, items in (("exact", exact), ("realised", realised)):
            if items:  # tail utility (its difference to that no-information value)
                text = ", ".join(f"{k} {v:.4f} ({v - n:+.4f})" for k, (v, n) in items.items())
                lines.append(f"    * {label} (tail utility, its difference): {text}")
    tablenet = checks["tablenet"]
    if tablenet is None:
        lines.append("* TableNet: not in this run (or no random games).")
    else:
        for suite, c in tablenet.items():
            per = ", ".join(f"{k} {v:.2f}" for k, v in c["per_receiver"].items())
            lines.append(
                f"* **TableNet, {suite}** ({c['games']} games): tail / LP averaged over the "
                f"receivers **{c['ratio_lp']:.3f}** (target >= {t['tablenet_ratio_lp']}: "
                f"{_yes(c['met'])}; best fixed {c['best_fixed_ratio_lp']:.3f}); "
                f"per receiver: {per}."
            )
    letter = checks["letter_actor_critic"]
    if letter is None:
        lines.append("* Recommendation letter vs actor_critic: not in this run.")
    else:
        parts = []
        for key, label, limit in (
            ("chosen_black_box", "the chosen best black box", t["letter_actor_critic_black_box"]),
            (
                "best_black_box_on_pair",
                "best black box on this pair",
                t["letter_actor_critic_black_box"],
            ),
            (
                "signaling_gradient",
                "signaling_gradient (white box)",
                t["letter_actor_critic_signaling_gradient"],
            ),
        ):
            cell = letter[key]
            if cell is not None:
                parts.append(f"{label}: {_with_ci(cell)} (>= {limit}: {_yes(cell['met'])})")
        lines.append(
            f"* **Recommendation letter vs actor_critic** ({letter['rounds']:,} rounds, 95 % CI "
            f"over runs): " + "; ".join(parts) + f". Best fixed {letter['best_fixed_value']:.3f} "
            f"({letter['best_fixed_scheme']}), LP {letter['lp_value']:.3f}."
        )
    lines.append("")
    return "\n".join(lines)


def markdown_table(frame: pd.DataFrame) -> str:
    """Per suite: sender x receiver mean ratio to the LP (and to the best fixed scheme)."""
    lines = []
    for suite in [s for s in SUITES if s in set(frame["suite"])]:
        part = frame[frame["suite"] == suite]
        receivers = list(dict.fromkeys(part["receiver"]))
        n_games = part["game"].nunique()
        rounds = int(part["rounds"].iloc[0])
        lines += [
            f"### {suite} ({n_games} game{'s' if n_games > 1 else ''}, {rounds:,} rounds, "
            f"{int(part['runs'].iloc[0])} runs)",
            "",
            "Tail utility / LP (tail utility / best fixed scheme); "
            + ("95 % CI over runs." if n_games == 1 else "mean over the games."),
            "",
            "| sender | class | " + " | ".join(receivers) + " |",
            "|---|---|" + "---|" * len(receivers),
        ]
        for sender in dict.fromkeys(part["sender"]):
            cells = []
            for receiver in receivers:
                c = part[(part["sender"] == sender) & (part["receiver"] == receiver)]
                text = f"{c['ratio_lp'].mean():.2f} ({c['ratio_best_fixed'].mean():.2f})"
                if n_games == 1 and np.isfinite(c["ci_low"].iloc[0]):
                    lp = c["lp_value"].iloc[0]
                    text += f" [{c['ci_low'].iloc[0] / lp:.2f}, {c['ci_high'].iloc[0] / lp:.2f}]"
                cells.append(text)
            info = part.loc[part["sender"] == sender, "information"].iloc[0]
            lines.append(f"| {sender} | {info} | " + " | ".join(cells) + " |")
        for label, column in (
            ("best fixed scheme", "best_fixed_ratio_lp"),
            ("no information (exact)", "no_information_value"),
            ("no information (realised)", "no_information_realised"),
        ):
            cells = []
            for receiver in receivers:
                c = part[part["receiver"] == receiver].drop_duplicates("game")
                if column == "best_fixed_ratio_lp":
                    cells.append(f"{c[column].mean():.2f}")
                else:
                    cells.append(f"{(c[column] / c['lp_value'].replace(0, np.nan)).mean():.2f}")
            lines.append(f"| *{label}* | reference | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def plot_heatmap(frame: pd.DataFrame, path: Path) -> None:
    import matplotlib.pyplot as plt

    table = frame.pivot_table(
        index="sender", columns="receiver", values="ratio_best_fixed", aggfunc="mean"
    )
    table = table.reindex(
        index=list(dict.fromkeys(frame["sender"])), columns=list(dict.fromkeys(frame["receiver"]))
    )
    values = table.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(1.3 * len(table.columns) + 3, 0.5 * len(table) + 2))
    image = ax.imshow(values, cmap="viridis", vmin=0, vmax=1.1, aspect="auto")
    ax.set_xticks(range(len(table.columns)), table.columns, rotation=30, ha="right")
    ax.set_yticks(range(len(table.index)), table.index)
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            color = "white" if v < 0.6 else "black"
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", color=color, fontsize=8)
    ax.set_xlabel("receiver")
    ax.set_ylabel("sender")
    ax.set_title("Tail utility / best fixed scheme (mean over all games)")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    _save(fig, path)


def plot_curves(frame: pd.DataFrame, path: Path) -> None:
    """Per suite, per sender: realised utility / LP over the rounds, mean over the suite's
    (game, receiver) pairs, with a 95 % band (1.96 standard errors of that mean from the
    run-to-run variation; games and receivers held fixed); the best fixed scheme's and the
    LP's lines (means over the same pairs)."""
    import matplotlib.pyplot as plt

    suites = [s for s in SUITES if s in set(frame["suite"])]
    fig, axes = plt.subplots(1, len(suites), figsize=(4.2 * len(suites), 3.6), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, suite in zip(axes[0], suites, strict=True):
        part = frame[frame["suite"] == suite]
        for k, sender in enumerate(dict.fromkeys(part["sender"])):
            rows = part[part["sender"] == sender]
            lp = rows["lp_value"].to_numpy()[:, None]
            curves = np.array(rows["curve"].tolist()) / lp
            variances = np.array(rows["curve_var"].tolist()) / lp**2
            x = np.asarray(rows["curve_rounds"].iloc[0])
            mean = curves.mean(axis=0)
            half = 1.96 * np.sqrt(variances.sum(axis=0)) / len(curves)
            color = colors[k % len(colors)]
            ax.plot(x, mean, label=sender, color=color, linewidth=1.2)
            ax.fill_between(x, mean - half, mean + half, color=color, alpha=0.2, linewidth=0)
        best = part.drop_duplicates(["game", "receiver"])["best_fixed_ratio_lp"].mean()
        ax.axhline(best, color="black", linestyle=":", linewidth=1, label="best fixed scheme")
        ax.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="LP")
        ax.set_title(suite)
        ax.set_xlabel("round")
    axes[0][0].set_ylabel("realised utility / LP")
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    _save(fig, path)


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=110, format="png")
    plt.close(fig)
