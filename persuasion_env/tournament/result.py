"""The result of a tournament: a tidy table, rankings, summaries and plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Columns of :meth:`TournamentResult.to_frame`, in order.
COLUMNS = [
    "sender",
    "receiver",
    "game",
    "size",
    "seed",
    "sender_utility",
    "receiver_utility",
    "lp_value",
    "ratio",
    "realised_sender_utility",
    "realised_receiver_utility",
    "obedience",
    "first_best_rate",
    "rounds",
    "wall_time",
    "status",
    "error",
]

#: Columns added by ``Tournament(references=True)`` (MODEL.md C1), after :data:`COLUMNS`:
#: the run's realised sender utility over its last 20 % of rounds, the best fixed scheme's
#: value against that receiver on that game (mean over the seeds) and its name, the regret
#: ``best_fixed_value - tail_sender_utility``, the ratio ``tail / best_fixed_value``, and
#: the information class of each agent (``persuasion_env.protocols.information_class``).
REFERENCE_COLUMNS = [
    "tail_sender_utility",
    "best_fixed_value",
    "best_fixed_scheme",
    "regret",
    "ratio_best_fixed",
    "sender_information",
    "receiver_information",
]


#: The ranking's means that get a confidence interval: (ranking column, table column).
_CI_FIGURES = (
    ("mean_ratio", "ratio"),
    ("sender_utility", "sender_utility"),
    ("receiver_utility", "receiver_utility"),
    ("obedience", "obedience"),
)


class TournamentResult:
    """One row per (sender, receiver, game, seed), in the tournament's order.

    Columns: ``sender_utility`` / ``receiver_utility`` are the exact expected utilities of the
    final greedy policies; ``lp_value`` the exact optimum of the game and ``ratio`` their
    quotient; ``realised_*`` the mean payoffs over all rounds (learning included);
    ``obedience`` the share of rounds the receiver followed the recommendation (NaN for
    senders whose messages are not recommendations); ``status`` is ``"ok"`` or ``"failed"``
    (then ``error`` says why). A tournament played with ``references=True`` adds
    :data:`REFERENCE_COLUMNS`.
    """

    def __init__(self, frame: pd.DataFrame, curves: list[dict[str, Any]] | None = None) -> None:
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"a tournament table needs the columns {', '.join(missing)}")
        extra = [c for c in REFERENCE_COLUMNS if c in frame.columns]
        self._frame = frame[COLUMNS + extra].reset_index(drop=True)
        self.curves = curves or []

    @classmethod
    def from_outputs(
        cls,
        outputs: list[dict[str, Any]],
        tournament: Any = None,
        references: dict[tuple[str, str], dict[str, Any]] | None = None,
    ) -> TournamentResult:
        """The table of the units' outputs; with ``references`` (``{(receiver, game):
        reference}``, from the reference units) the :data:`REFERENCE_COLUMNS` too."""
        rows = [row for output in outputs for row in output["rows"]]
        columns = COLUMNS
        if references is not None:
            rows = [_with_reference(row, references, tournament) for row in rows]
            columns = COLUMNS + REFERENCE_COLUMNS
        frame = pd.DataFrame(rows, columns=columns)
        curves = []
        for output in outputs:
            if output.get("curve") and output["rows"]:
                first = output["rows"][0]
                curves.append(
                    {
                        "sender": first["sender"],
                        "receiver": first["receiver"],
                        "size": first["size"],
                        **output["curve"],
                    }
                )
        return cls(frame, curves)

    @property
    def has_references(self) -> bool:
        """Whether the table carries :data:`REFERENCE_COLUMNS`."""
        return "best_fixed_value" in self._frame.columns

    # ---------------------------------------------------------------- tables
    def to_frame(self) -> pd.DataFrame:
        """The tidy table (a copy)."""
        return self._frame.copy()

    @property
    def failures(self) -> pd.DataFrame:
        """The rows whose match failed, with the error."""
        return self._frame[self._frame["status"] != "ok"].copy()

    def ranking(
        self,
        side: str = "sender",
        *,
        confidence: float = 0.95,
        n_resamples: int = 2000,
        seed: int = 0,
    ) -> pd.DataFrame:
        """Senders (or receivers) ranked by their mean ratio to the optimum (senders) or mean
        utility (receivers), with spread, counts and a bootstrap confidence interval on every
        mean.

        Each mean ``X`` (``mean_ratio``, ``sender_utility``, ``receiver_utility``,
        ``obedience``) comes with ``X_low`` and ``X_high``: the percentile bootstrap
        ``confidence`` interval of the mean over the agent's matches
        (:func:`~persuasion_env.tournament.stats.bootstrap_ci`, ``n_resamples`` resamples from
        a generator seeded by ``seed`` and the agent's position: the same table always gives
        the same intervals). Utilities are those of the final greedy policies.
        """
        from persuasion_env.tournament.stats import bootstrap_ci

        if side not in ("sender", "receiver"):
            raise ValueError(f"side must be 'sender' or 'receiver', got {side!r}")
        ok = self._frame[self._frame["status"] == "ok"]
        key = "ratio" if side == "sender" else "receiver_utility"
        table = ok.groupby(side, sort=False).agg(
            mean_ratio=("ratio", "mean"),
            std_ratio=("ratio", "std"),
            sender_utility=("sender_utility", "mean"),
            receiver_utility=("receiver_utility", "mean"),
            obedience=("obedience", "mean"),
            matches=("ratio", "size"),
        )
        if self.has_references and side == "sender":
            more = ok.groupby(side, sort=False).agg(
                ratio_best_fixed=("ratio_best_fixed", "mean"),
                regret=("regret", "mean"),
                information=("sender_information", "first"),
            )
            table = table.join(more)
        failed = self._frame[self._frame["status"] != "ok"].groupby(side).size()
        table["failed"] = failed.reindex(table.index, fill_value=0)
        order = "mean_ratio" if key == "ratio" else "receiver_utility"
        table = table.sort_values(order, ascending=False, kind="stable")
        table.insert(0, "rank", np.arange(1, len(table) + 1))
        groups = {label: rows for label, rows in ok.groupby(side, sort=False)}
        for f, (figure, column) in enumerate(_CI_FIGURES):
            lows, highs = [], []
            for a, label in enumerate(table.index):
                rng = np.random.default_rng([seed, f, a])
                low, high = bootstrap_ci(
                    groups[label][column].to_numpy(dtype=float),
                    confidence=confidence,
                    n_resamples=n_resamples,
                    seed=rng,
                )
                lows.append(low)
                highs.append(high)
            at = table.columns.get_loc(figure) + 1
            table.insert(at, f"{figure}_low", lows)
            table.insert(at + 1, f"{figure}_high", highs)
        return table

    def summary(self, value: str = "ratio") -> pd.DataFrame:
        """Sender x receiver table of the mean of ``value`` (default: ratio to the optimum)."""
        ok = self._frame[self._frame["status"] == "ok"]
        senders = list(dict.fromkeys(self._frame["sender"]))
        receivers = list(dict.fromkeys(self._frame["receiver"]))
        table = ok.pivot_table(index="sender", columns="receiver", values=value, aggfunc="mean")
        return table.reindex(index=senders, columns=receivers)

    def ratings(
        self,
        side: str = "sender",
        *,
        confidence: float = 0.95,
        n_resamples: int = 200,
        seed: int = 0,
    ) -> pd.DataFrame:
        """Agent-vs-task ratings: Nash averaging and Bradley-Terry (Elo scale).

        A *task* is a (receiver, game) pair for senders, a (sender, game) pair for
        receivers; an agent's score on a task is its mean ratio to the optimum (senders) or
        mean utility (receivers) over the seeds. Tasks with a failed or missing match are
        left out (``tasks`` says how many remain).

        Columns: ``nash_rating`` (expected score against the maximal-entropy Nash mix of
        tasks, :func:`~persuasion_env.tournament.stats.nash_averaging`), ``nash_mass`` (the
        agent's weight in the Nash mix of agents), ``bt_elo`` (Bradley-Terry strength from
        who scores higher on each task, Elo points, mean 0), each rating with a bootstrap
        ``confidence`` interval (``_low``, ``_high``) from ``n_resamples`` resamples of the
        seeds within each (agent, task) cell (stratified, as in rliable), and ``tasks``.
        Sorted by ``nash_rating``, then ``bt_elo``.
        """
        from persuasion_env.tournament.stats import bradley_terry, nash_averaging, pairwise_wins

        cube, agents, tasks = self._score_cube(side)
        if len(agents) < 1 or len(tasks) < 1:
            raise ValueError("no complete agent x task table to rate (every task has a failure)")

        def rate(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            nash = nash_averaging(scores)
            elo = bradley_terry(pairwise_wins(scores))
            return nash.agent_rating, nash.agent_mass, elo

        nash_rating, nash_mass, elo = rate(np.nanmean(cube, axis=2))
        rng = np.random.default_rng(seed)
        draws_nash, draws_elo = [], []
        n_seeds = cube.shape[2]
        if n_seeds >= 2:
            for _ in range(int(n_resamples)):
                idx = rng.integers(0, n_seeds, size=cube.shape)
                sample = np.take_along_axis(cube, idx, axis=2)
                r, _, e = rate(np.nanmean(sample, axis=2))
                draws_nash.append(r)
                draws_elo.append(e)
        alpha = (1 - confidence) / 2

        def interval(draws: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            if not draws:
                nan = np.full(len(agents), np.nan)
                return nan, nan
            low, high = np.quantile(np.asarray(draws), [alpha, 1 - alpha], axis=0)
            return low, high

        nash_low, nash_high = interval(draws_nash)
        elo_low, elo_high = interval(draws_elo)
        table = pd.DataFrame(
            {
                "nash_rating": nash_rating,
                "nash_rating_low": nash_low,
                "nash_rating_high": nash_high,
                "nash_mass": nash_mass,
                "bt_elo": elo,
                "bt_elo_low": elo_low,
                "bt_elo_high": elo_high,
                "tasks": len(tasks),
            },
            index=pd.Index(agents, name=side),
        )
        # Agents in the Nash support all rate at the game's value: compare at 1e-9 (LP
        # round-off), then by Elo.
        key = table.assign(_nash=table["nash_rating"].round(9))
        table = table.loc[
            key.sort_values(["_nash", "bt_elo"], ascending=False, kind="stable").index
        ]
        table.insert(0, "rank", np.arange(1, len(table) + 1))
        return table

    def _score_cube(self, side: str) -> tuple[np.ndarray, list[str], list[tuple[str, str]]]:
        """Scores as an ``(agents, tasks, seeds)`` array of complete tasks only."""
        if side not in ("sender", "receiver"):
            raise ValueError(f"side must be 'sender' or 'receiver', got {side!r}")
        other = "receiver" if side == "sender" else "sender"
        value = "ratio" if side == "sender" else "receiver_utility"
        frame = self._frame.copy()
        frame.loc[frame["status"] != "ok", value] = np.nan
        agents = list(dict.fromkeys(frame[side]))
        seeds = list(dict.fromkeys(frame["seed"]))
        all_tasks = list(dict.fromkeys(zip(frame[other], frame["game"], strict=True)))
        index = pd.MultiIndex.from_product([agents, all_tasks, seeds])
        keyed = frame.set_index([side, frame[[other, "game"]].apply(tuple, axis=1), "seed"])
        values = keyed[value].groupby(level=[0, 1, 2]).mean().reindex(index)
        cube = values.to_numpy(dtype=float).reshape(len(agents), len(all_tasks), len(seeds))
        complete = np.all(np.isfinite(cube), axis=(0, 2))
        tasks = [t for t, keep in zip(all_tasks, complete, strict=True) if keep]
        return cube[:, complete, :], agents, tasks

    # ----------------------------------------------------------------- plots
    def plot_heatmap(self, ax=None):
        """Sender x receiver heatmaps of the mean final-policy ratio to the optimum, one
        panel per game size, on a colour scale fitted to the data (see
        :func:`~persuasion_env.tournament.plots.plot_heatmap`)."""
        from persuasion_env.tournament.plots import plot_heatmap

        return plot_heatmap(self, ax=ax)

    def plot_distributions(self, ax=None):
        """Per-sender box plots of the final-policy ratio to the optimum over all matches."""
        from persuasion_env.tournament.plots import plot_distributions

        return plot_distributions(self, ax=ax)

    def plot_learning_curves(self, ax=None):
        """Realised sender utility over the rounds, as a share of the optimum, per sender,
        with a bootstrap band
        (:func:`~persuasion_env.tournament.plots.plot_learning_curves`)."""
        from persuasion_env.tournament.plots import plot_learning_curves

        return plot_learning_curves(self, ax=ax)

    def plot_ranking(self, ax=None):
        """The senders' mean ratios with their confidence intervals."""
        from persuasion_env.tournament.plots import plot_ranking

        return plot_ranking(self, ax=ax)

    def plot_learning_vs_references(
        self,
        senders: list[str] | None = None,
        ax=None,
        *,
        receivers: list[str] | None = None,
        log_rounds: bool = False,
    ):
        """Learning curves of ``senders`` (default: all) as a share of the LP, mean over
        ``receivers`` (default: all) and games, beside the best fixed scheme (mean of
        ``best_fixed_value / lp_value`` over the same receivers and games) and the LP.
        ``log_rounds`` puts the rounds on a log scale, where a rise in the first thousands
        of rounds is visible. Needs a tournament played with ``references=True``."""
        import matplotlib.pyplot as plt

        if not self.has_references:
            raise ValueError("this table has no references: play with references=True")
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        wanted = senders if senders is not None else list(dict.fromkeys(self._frame["sender"]))
        kept = set(receivers) if receivers is not None else set(self._frame["receiver"])
        by_sender: dict[str, list[np.ndarray]] = {}
        rounds: dict[str, np.ndarray] = {}
        for curve in self.curves:
            if curve["sender"] in wanted and curve["receiver"] in kept and curve["lp_value"]:
                by_sender.setdefault(curve["sender"], []).append(
                    np.asarray(curve["sender_utility"]) / curve["lp_value"]
                )
                rounds[curve["sender"]] = np.asarray(curve["rounds"])
        for sender in wanted:
            if sender in by_sender:
                ax.plot(rounds[sender], np.mean(by_sender[sender], axis=0), label=sender)
        ok = self._frame[(self._frame["status"] == "ok") & self._frame["receiver"].isin(kept)]
        ok = ok.drop_duplicates(["receiver", "game"])
        best = float((ok["best_fixed_value"] / ok["lp_value"]).mean())
        ax.axhline(best, color="black", linestyle=":", linewidth=1.2, label="best fixed scheme")
        ax.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="LP optimum")
        if log_rounds:
            ax.set_xscale("log")
        ax.set_xlabel("round")
        ax.set_ylabel("realised utility / LP optimum")
        which = "receivers" if receivers is None else f"{len(kept)} receivers"
        ax.set_title(f"Learning senders against the references (mean over {which} and games)")
        ax.legend(fontsize=8, ncol=2)
        ax.figure.tight_layout()
        return ax

    def plot(self, out_dir: str | Path) -> list[Path]:
        """Write ``heatmap.png``, ``distributions.png``, ``learning_curves.png`` and
        ``ranking.png`` to ``out_dir``."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        from persuasion_env._io import atomic_path

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        plots = [
            ("heatmap.png", self.plot_heatmap),
            ("distributions.png", self.plot_distributions),
            ("learning_curves.png", self.plot_learning_curves),
            ("ranking.png", self.plot_ranking),
        ]
        if self.has_references:
            plots.append(("learning_vs_references.png", self.plot_learning_vs_references))
        for name, method in plots:
            ax = method()
            path = out_dir / name
            with atomic_path(path) as temporary:
                ax.figure.savefig(temporary, dpi=120, format="png")
            plt.close(ax.figure)
            paths.append(path)
        return paths

    # --------------------------------------------------------------- save / load
    def save(self, path: str | Path) -> Path:
        """Save the table as CSV or Parquet (by the file's suffix), atomically."""
        from persuasion_env._io import atomic_path, atomic_write_text

        path = Path(path)
        if path.suffix == ".csv":
            atomic_write_text(path, self._frame.to_csv(index=False))
        elif path.suffix == ".parquet":
            with atomic_path(path) as temporary:
                self._frame.to_parquet(temporary, index=False)
        else:
            raise ValueError(f"path must end in .csv or .parquet, got {str(path)!r}")
        return path

    @classmethod
    def load(cls, path: str | Path) -> TournamentResult:
        """Read a table written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"no tournament table at {str(path)!r}")
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype={"error": object})
            frame["error"] = frame["error"].fillna("").astype(str)  # empty cells are no error
        elif path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            raise ValueError(f"path must end in .csv or .parquet, got {str(path)!r}")
        return cls(frame)

    def __repr__(self) -> str:
        f = self._frame
        return (
            f"TournamentResult({f['sender'].nunique()} senders x {f['receiver'].nunique()} "
            f"receivers x {f['game'].nunique()} games x {f['seed'].nunique()} seeds, "
            f"{len(self.failures)} failed)"
        )


def _with_reference(
    row: dict[str, Any], references: dict[tuple[str, str], dict[str, Any]], tournament: Any
) -> dict[str, Any]:
    """``row`` with the reference columns (NaN where the reference or the match failed)."""
    ref = references.get((row["receiver"], row["game"]))
    best = float(ref["value"]) if ref else float("nan")
    tail = row.get("tail_sender_utility", float("nan"))
    tail = float("nan") if tail is None else float(tail)
    information = getattr(tournament, "information", {})
    return {
        **row,
        "tail_sender_utility": tail,
        "best_fixed_value": best,
        "best_fixed_scheme": ref["name"] if ref else "",
        "regret": best - tail,
        "ratio_best_fixed": tail / best if best and np.isfinite(best) else float("nan"),
        "sender_information": information.get(("sender", row["sender"]), ""),
        "receiver_information": information.get(("receiver", row["receiver"]), ""),
    }
