"""A small tournament: ranking, sender x receiver table and plots.

python examples/tournament_small.py [OUT_DIR]
"""

import sys
import tempfile

from persuasion_env.tournament import Tournament


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="tournament-")
    tournament = Tournament(
        senders=[
            "info_q",
            "modelr",
            "q_learning",
            ("lp_optimal", {"margin": 0.1}),
            "no_information",
        ],
        receivers=["best_response", "q_learning", "hedge"],
        games=["prosecutor", "recommendation_letter"],
        sizes=[4],
        n_games=3,
        seeds=[0, 1],
        rounds=3000,
    )
    result = tournament.play(jobs=2, out=out, progress=False)
    print(result.ranking()[["rank", "mean_ratio", "sender_utility", "matches"]])
    print(result.summary().round(3))
    print(f"table and plots in {out}")


# Worker processes start fresh and import this file: the guard keeps them from replaying it.
if __name__ == "__main__":
    main()
