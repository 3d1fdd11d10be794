"""The experiments' Markdown tables, in the seed's layout next to its published numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence

from agents.reproduce.seed000.settings import (
    BASELINES,
    EVALUATION_EPOCHS,
    MILP_MAX_SIZE,
    SEED_TABLE1,
    SEED_TABLE2,
)
from persuasion_env._io import markdown_table


def _fmt(x: float, digits: int = 4) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    return markdown_table(header, rows) + "\n"


def _table_warmup(frame) -> str:
    rows = []
    for size, group in frame.groupby("size"):
        rows.append(
            [
                f"{size}×{size}",
                str(len(group)),
                _fmt(group.learned_value.mean()),
                _fmt(group.predicted_value.mean()),
                _fmt(group.lp_value.mean()),
                _fmt(100 * group.learned_value.mean() / group.lp_value.mean(), 2),
                _fmt(100 * group.ratio.min(), 2),
                _fmt(group.time_s.mean(), 2),
            ]
        )
    header = [
        "size", "games", "learned (true BR)", "predicted (quantal)", "LP optimum", "%",
        "worst game %", "s / game",
    ]  # fmt: skip
    note = (
        "Warm-up (seed 000, Figure 2a): known quantal receiver model, scheme evaluated against "
        "the true best response. Seed: within about 4% of the LP optimum at 32×32.\n\n"
    )
    return note + _markdown(header, rows)


def _table_explicit(frame) -> str:
    rows = []
    for size, group in frame.groupby("size"):
        seed = SEED_TABLE1.get(int(size))
        rows.append(
            [
                f"{size}×{size}",
                str(len(group)),
                _fmt(group.train_accuracy.mean()),
                _fmt(group.test_accuracy.mean()),
                f"{_fmt(group.learned_value.mean())} "
                f"({_fmt(100 * group.learned_value.mean() / group.lp_value.mean(), 2)}%)",
                _fmt(group.predicted_value.mean()),
                _fmt(group.lp_value.mean()),
                _fmt(group.time_s.mean(), 2),
                "—" if seed is None else f"{seed[3]:.4f} / {seed[4]:.4f}",
                "—" if seed is None else f"{seed[0]:.4f} ({seed[2]:.2f}%)",
                "—" if seed is None else f"{seed[1]:.4f}",
            ]
        )
    header = [
        "size", "games", "train acc.", "test acc.", "sender utility (% of LP)", "predicted",
        "LP optimum", "s / game", "seed acc. train / test", "seed utility (%)", "seed LP",
    ]  # fmt: skip
    note = "Explicit commitment (seed 000, Table 1): rational receiver, utility unknown.\n\n"
    return note + _markdown(header, rows)


def _table_implicit(frame) -> str:
    out = [
        "Implicit commitment (seed 000, Table 2): a learning receiver that never sees the "
        "scheme.\nEvery method's final scheme is scored alike: *actual* = U1 against the action "
        "frequencies of a fresh receiver of the row's kind that has played the scheme for "
        f"{EVALUATION_EPOCHS} epochs (exploration included); *vs BR* = U1 against the true best "
        "response; *predicted* = TableNet's receiver model.\n"
    ]
    names = {"modelr": "ModelR", "info_q": "Info-Q", "info_policy": "Info-Policy"}
    header = [
        "size", "games", "predicted", "actual", "vs BR", *(names[b] for b in BASELINES),
        "actual − best baseline", "LP", "actual / LP", "s / game", "seed pred. / actual",
        "seed ModelR / Info-Q / Info-Policy",
    ]  # fmt: skip
    for receiver, by_receiver in frame.groupby("receiver", sort=False):
        rows, baseline_rows = [], []
        for size, group in by_receiver.groupby("size"):
            seed = SEED_TABLE2.get(int(size))
            best_baseline = max(group[b].mean() for b in BASELINES)
            rows.append(
                [
                    f"{size}×{size}",
                    str(len(group)),
                    _fmt(group.predicted_value.mean()),
                    _fmt(group.learned_value.mean()),
                    _fmt(group.best_response_value.mean()),
                    *(_fmt(group[b].mean()) for b in BASELINES),
                    _fmt(group.learned_value.mean() - best_baseline),
                    _fmt(group.lp_value.mean()),
                    f"{100 * group.learned_value.mean() / group.lp_value.mean():.1f}%",
                    _fmt(group.time_s.mean(), 2),
                    "—" if seed is None else f"{seed[1]:.4f} / {seed[0]:.4f}",
                    "—" if seed is None else " / ".join(f"{v:.4f}" for v in seed[2:]),
                ]
            )
            baseline_rows.append(
                [f"{size}×{size}"]
                + [
                    " / ".join(
                        _fmt(group[f"{b}{suffix}"].mean())
                        for suffix in ("", "_best_response", "_in_play")
                    )
                    for b in BASELINES
                ]
            )
        out.append(f"\n### receiver: {receiver}\n\n" + _markdown(header, rows))
        out.append(
            "\nThe baselines' final schemes three ways: actual / vs best response / in play "
            "(their final greedy policies against their own receiver's, which may not yet "
            "answer the final scheme).\n\n"
            + _markdown(["size", *(names[b] for b in BASELINES)], baseline_rows)
        )
    return "".join(out)


def _table_messages(frame) -> str:
    out = [
        "Restricted messages (seed 000, Figure 3): explicit commitment with M messages. "
        "MILP = exact optimum with M messages (status `time_limit`: best incumbent, a lower "
        f"bound; not run above {MILP_MAX_SIZE}×{MILP_MAX_SIZE}).\n"
    ]
    for size, by_size in frame.groupby("size"):
        full = by_size[by_size.n_messages == by_size.n_messages.max()].learned_value.mean()
        rows = []
        for k, group in by_size.groupby("n_messages"):
            solved = (group.milp_status == "optimal").sum()
            rows.append(
                [
                    str(k),
                    str(len(group)),
                    _fmt(group.learned_value.mean()),
                    _fmt(100 * group.learned_value.mean() / full, 2),
                    _fmt(group.milp_value.mean()),
                    f"{solved}/{len(group)}",
                    _fmt(group.ratio_to_milp.mean()),
                    _fmt(group.lp_value.mean()),
                ]
            )
        header = [
            "messages", "games", "learned", f"% of learned with {int(by_size.n_messages.max())}",
            "MILP", "MILP optimal", "learned / MILP", "LP (all messages)",
        ]  # fmt: skip
        out.append(f"\n### {size}×{size}\n\n" + _markdown(header, rows))
    return "".join(out)
