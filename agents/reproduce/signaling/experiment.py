"""``persuasion reproduce signaling``: Lin et al.'s recommendation-letter results (MODEL.md C2).

The signaling-gradient sender against the actor-critic receiver on the recommendation letter,
trained with Lin et al.'s loop (:mod:`.driver`), over their epsilon x lambda grid
(:mod:`.settings`); ``RUNS`` runs per cell. One epsilon row (all lambdas, all runs) is one
batch of runs; its rows are appended to the CSV atomically as soon as it finishes, and a
rerun with the same ``--out`` and ``--rounds`` skips the rows already there.

Outputs in ``out_dir``:

* ``signaling.csv``: one row per (epsilon, lam, run) with :data:`REQUIRED_COLUMNS`.
* ``signaling_curves.csv``: the learning curves (realised sender utility per bin).
* ``signaling.md``: the headline cell (epsilon = 0.3, lambda = 5) per run next to their
  0.641 / 0.643 / 0.647, and the honesty grid ``phi(recommend | bad)`` ours (theirs).
* ``signaling.png``: the headline learning curve, and ``phi(recommend | bad)`` against
  epsilon and lambda, ours beside theirs.

``phi(recommend | s)`` is read from the scheme averaged over the last 20 % of iterations;
"recommend" is, per run, the message after which the final receiver hires more often (the
messages have no built-in meaning).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from agents.reproduce.signaling import settings
from agents.reproduce.signaling.driver import train_lin_schedule
from persuasion_env._io import atomic_path, atomic_write_text, markdown_table
from persuasion_env._validation import check_int
from persuasion_env.game import PersuasionGame

__all__ = ["REQUIRED_COLUMNS", "run_signaling"]

REQUIRED_COLUMNS: tuple[str, ...] = (
    "epsilon",
    "lam",
    "run",
    "rounds",
    "tail_sender_utility",
    "final_sender_utility",
    "lp_value",
    "phi_rec_bad",
    "phi_rec_good",
    "hire_on_rec",
    "hire_on_other",
    "lin_phi_rec_bad",
    "lin_phi_rec_good",
    "time_s",
)
#: Below this hiring probability on both messages, "recommend" has no meaning (marked †).
MUTE = 0.1
QUICK = dict(rounds=2_000, runs=2, epsilons=(0.0, 0.3), lambdas=(0.0, 5.0))


def _row_of_runs(game: PersuasionGame, epsilon: float, lambdas, runs: int, rounds: int, seed):
    """Train one epsilon row (every lambda x runs) as one batch; returns rows and curves."""
    from agents import make_receiver, make_sender
    from agents.senders.signaling_gradient import LIN_OPTIONS

    cells = [(lam, r) for lam in lambdas for r in range(runs)]
    lams = np.array([lam for lam, _ in cells])
    # their loop and configuration: batches of 100, critics and scheme on alternate
    # batches, random start (the sender's defaults are for the shared round, where the
    # receiver learns from every batch and may be any learner)
    sender = make_sender("signaling_gradient", **LIN_OPTIONS)
    receiver = make_receiver("actor_critic")
    start = time.perf_counter()
    trace = train_lin_schedule(
        game,
        sender,
        receiver,
        rounds=rounds,
        runs=len(cells),
        seed=seed,
        configure=lambda s: s.set_constraints(epsilon=epsilon, lam=lams),
    )
    elapsed = time.perf_counter() - start
    hire = game.action_names.index("hire")
    bad, good = game.state_names.index("weak"), game.state_names.index("excellent")
    lp = 2.0 / 3.0  # the letter's commitment optimum (MODEL.md A2)
    rows, curves = [], []
    for b, (lam, r) in enumerate(cells):
        rec = int(np.argmax(trace.response[b, :, hire]))
        other = 1 - rec
        rows.append(
            {
                "epsilon": epsilon,
                "lam": lam,
                "run": r,
                "rounds": trace.rounds,
                "tail_sender_utility": trace.tail_sender_utility[b],
                "final_sender_utility": trace.final_sender_utility[b],
                "lp_value": lp,
                "phi_rec_bad": trace.tail_scheme[b, bad, rec],
                "phi_rec_good": trace.tail_scheme[b, good, rec],
                "hire_on_rec": trace.response[b, rec, hire],
                "hire_on_other": trace.response[b, other, hire],
                "lin_phi_rec_bad": settings.lin_value(settings.PHI_REC_BAD, epsilon, lam),
                "lin_phi_rec_good": settings.lin_value(settings.PHI_REC_GOOD, epsilon, lam),
                "time_s": elapsed / len(cells),
            }
        )
        for x, y in zip(trace.curve_rounds, trace.curve[:, b], strict=True):
            curves.append({"epsilon": epsilon, "lam": lam, "run": r, "round": x, "utility": y})
    return rows, curves, elapsed, trace.rounds


def _ci95(values) -> float:
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return float("nan")
    from scipy import stats

    return float(stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size))


def _table(frame) -> str:
    eps0, lam0 = settings.HEADLINE
    head = frame[np.isclose(frame.epsilon, eps0) & np.isclose(frame.lam, lam0)]
    lines = ["# Lin et al. (NeurIPS 2023): signaling gradient on the recommendation letter", ""]
    rounds = int(frame["rounds"].iloc[0])
    lines.append(
        f"Signaling-gradient sender vs actor-critic receiver, Lin et al.'s loop, {rounds:,} "
        "rounds per run; utility = realised sender utility over the last 20 % of rounds "
        "(LP optimum 2/3)."
    )
    lines.append("")
    if not head.empty:
        header = ["run", "utility", "exact final"]
        header += ["phi(rec\\|bad)", "phi(rec\\|good)", "P(hire\\|rec)"]
        columns = ["tail_sender_utility", "final_sender_utility"]
        columns += ["phi_rec_bad", "phi_rec_good", "hire_on_rec"]
        rows = [
            [str(int(row.run)), *(f"{row[c]:.3f}" for c in columns)]
            for _, row in head.sort_values("run").iterrows()
        ]
        lines += [f"## epsilon = {eps0}, lambda = {lam0:g}", "", markdown_table(header, rows)]
        mean, ci = head.tail_sender_utility.mean(), _ci95(head.tail_sender_utility)
        theirs = settings.HEADLINE_UTILITY
        lines += [
            "",
            f"Ours: {mean:.3f} ± {ci:.3f} (95 % CI, {len(head)} runs); Lin et al. "
            f"(3 seeds, 3e6 rounds): {' / '.join(f'{v:.3f}' for v in theirs)} "
            f"(mean {np.mean(theirs):.3f}).",
            "",
        ]
    lines += _grid_table(frame, "phi_rec_bad", "lin_phi_rec_bad", "phi(recommend | bad)")
    lines += _grid_table(frame, "phi_rec_good", "lin_phi_rec_good", "phi(recommend | good)")
    lines += _grid_table(frame, "tail_sender_utility", None, "sender utility")
    return "\n".join(lines) + "\n"


def _grid_table(frame, column: str, theirs: str | None, title: str) -> list[str]:
    lams = sorted(frame.lam.unique())
    suffix = ", ours (theirs)" if theirs else ""
    rows = []
    for eps in sorted(frame.epsilon.unique()):
        cells = []
        for lam in lams:
            part = frame[np.isclose(frame.epsilon, eps) & np.isclose(frame.lam, lam)]
            if part.empty:
                cells.append("")
                continue
            text = f"{part[column].mean():.3f}"
            if theirs and np.isfinite(part[theirs].iloc[0]):
                text += f" ({part[theirs].iloc[0]:.3f})"
            if theirs and (part.hire_on_rec < MUTE).any():
                text += " †"
            cells.append(text)
        rows.append([f"{eps:g}", *cells])
    header = ["epsilon \\ lambda", *(f"{lam:g}" for lam in lams)]
    lines = [f"## {title}: epsilon x lambda, mean over runs{suffix}", ""]
    lines.append(markdown_table(header, rows))
    if theirs:
        lines += [
            "",
            f"† in some run the receiver hires on neither message (P(hire | m) < {MUTE}), so "
            'which message is "recommend" is arbitrary there.',
        ]
    return [*lines, ""]


def _save_figure(fig, path: Path) -> None:
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=120, format="png")


def _plot(frame, curves, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    eps0, lam0 = settings.HEADLINE
    ax = axes[0]
    part = curves[np.isclose(curves.epsilon, eps0) & np.isclose(curves.lam, lam0)]
    if not part.empty:
        table = part.pivot_table(index="round", columns="run", values="utility")
        mean, sd = table.mean(axis=1), table.std(axis=1).fillna(0.0)
        ax.plot(table.index, mean, label="signaling gradient (ours)")
        ax.fill_between(table.index, mean - sd, mean + sd, alpha=0.25)
    ax.axhline(2 / 3, color="k", ls="--", label="LP optimum 2/3")
    theirs = np.mean(settings.HEADLINE_UTILITY)
    ax.axhline(theirs, color="C3", ls=":", label=f"Lin et al. {theirs:.3f}")
    ax.set(xlabel="round", ylabel="sender utility", title=f"ε = {eps0}, λ = {lam0:g}")
    ax.legend(fontsize=8)
    ax = axes[1]
    lam_max = frame.lam.max()
    last = frame[np.isclose(frame.lam, lam_max)].groupby("epsilon")
    ax.plot(last.phi_rec_bad.mean().index, last.phi_rec_bad.mean().values, "o-", label="ours")
    ax.plot(
        last.lin_phi_rec_bad.first().index,
        last.lin_phi_rec_bad.first().values,
        "s--",
        label="Lin et al.",
    )
    ax.set(xlabel="ε", ylabel="φ(recommend | bad)", title=f"honesty at λ = {lam_max:g}")
    ax.legend(fontsize=8)
    ax = axes[2]
    for k, (eps, part) in enumerate(frame.groupby("epsilon")):
        by_lam = part.groupby("lam")
        ax.plot(by_lam.phi_rec_bad.mean(), "o-", color=f"C{k}", label=f"ε = {eps:g}")
        ax.plot(by_lam.lin_phi_rec_bad.first(), "--", color=f"C{k}", alpha=0.6)
    ax.set(xlabel="λ", ylabel="φ(recommend | bad)", title="ours (solid) vs Lin et al. (dashed)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    _save_figure(fig, out / "signaling.png")
    plt.close(fig)


def _read(path: Path, required: tuple[str, ...]):
    import pandas as pd

    if not path.exists():
        return pd.DataFrame()
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot resume from {str(path)!r}: it is not a valid CSV") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(
            f"cannot resume from {str(path)!r}: it lacks the column(s) {', '.join(missing)}; "
            "move it away or choose another --out"
        )
    return frame


def run_signaling(
    out: Path,
    *,
    seed: int = 0,
    quick: bool = False,
    progress: bool = True,
    rounds: int | None = None,
    runs: int | None = None,
) -> Any:
    """Run the experiment into ``out`` (an existing, writable directory) and return its
    table (a pandas DataFrame). ``rounds`` (default 3e6, Lin et al.'s) and ``runs`` (default
    4 per cell) override the defaults; ``quick`` is a tiny grid for smoke tests."""
    import pandas as pd

    seed = check_int(seed, "seed", minimum=0)
    epsilons, lambdas = settings.EPSILONS, settings.LAMBDAS
    default_rounds, default_runs = settings.ROUNDS, settings.RUNS
    if quick:
        epsilons, lambdas = QUICK["epsilons"], QUICK["lambdas"]
        default_rounds, default_runs = QUICK["rounds"], QUICK["runs"]
    rounds = default_rounds if rounds is None else check_int(rounds, "rounds", minimum=200)
    runs = default_runs if runs is None else check_int(runs, "runs", minimum=1)
    game = PersuasionGame.example("recommendation_letter")
    path, curve_path = out / "signaling.csv", out / "signaling_curves.csv"
    frame = _read(path, REQUIRED_COLUMNS)
    curves = _read(curve_path, ("epsilon", "lam", "run", "round", "utility"))
    effective = -(-rounds // 200) * 200  # Lin et al.'s loop plays pairs of 100-round batches
    if not frame.empty and set(frame["rounds"].unique()) != {effective}:
        raise ValueError(
            f"{str(path)!r} holds runs of {sorted(frame['rounds'].unique())} rounds, not "
            f"{effective}; choose another --out or the same --rounds"
        )
    for k, epsilon in enumerate(epsilons):
        if not frame.empty and np.isclose(frame.epsilon, epsilon).sum() >= len(lambdas) * runs:
            continue
        if not frame.empty:  # a partly written row is redone
            frame = frame[~np.isclose(frame.epsilon, epsilon)]
            if not curves.empty:
                curves = curves[~np.isclose(curves.epsilon, epsilon)]
        # Each epsilon row has its own stream: resuming redoes exactly what was lost.
        rows, new_curves, elapsed, _ = _row_of_runs(
            game, epsilon, lambdas, runs, rounds, np.random.default_rng([seed, k])
        )
        frame = pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)
        curves = pd.concat([curves, pd.DataFrame(new_curves)], ignore_index=True)
        atomic_write_text(curve_path, curves.to_csv(index=False))
        atomic_write_text(path, frame.to_csv(index=False))
        if progress:
            n = len(lambdas) * runs
            print(
                f"signaling: epsilon = {epsilon:g}: {n} runs x {effective:,} rounds in "
                f"{elapsed:.1f} s ({n * effective / elapsed:,.0f} run-rounds/s)"
            )
    frame = frame.sort_values(["epsilon", "lam", "run"], ignore_index=True)
    atomic_write_text(out / "signaling.md", _table(frame))
    _plot(frame, curves, out)
    if progress:
        print(f"wrote {path}, signaling.md and signaling.png in {out}")
    return frame
