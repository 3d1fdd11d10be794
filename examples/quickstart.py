"""Quick start: an exact optimum, then learners against it.

python examples/quickstart.py
"""

from agents import make_receiver, make_sender
from persuasion_env import PersuasionGame, simulate, solve_commitment

# 1. The prosecutor of Kamenica & Gentzkow: the exact optimal scheme.
game = PersuasionGame.example("prosecutor")
solution = solve_commitment(game)
print(f"optimal conviction probability {solution.sender_value:.4f}")
print("scheme pi(m | s):\n", solution.scheme.round(4))

# 2. A learning judge does not follow a scheme that leaves her indifferent; an obedience
#    margin fixes that at a small cost.
for margin in (0.0, 0.1):
    res = simulate(
        game,
        make_sender("lp_optimal", margin=margin),
        make_receiver(
            "q_learning", alpha=0.01, epsilon=0.1, epsilon_final=0.0, epsilon_decay_rounds=3000
        ),
        rounds=8000,
        runs=200,
        seed=0,
        bins=10,
    )
    print(
        f"margin {margin:.1f}: obedience {res.obedience_rate[-1]:.3f}, realised utility "
        f"{res.sender_utility[-1]:.3f} (LP optimum {res.lp_value:.3f})"
    )

# 3. Bhatt & Buro's Info-Q on the cooperative climbing game: 1000 runs at once.
res = simulate(
    PersuasionGame.example("climbing"), "info_q", "q_learning", rounds=1000, runs=1000, seed=0
)
print(f"Info-Q + Q-learning: optimal joint policy in {res.final_optimal.mean():.1%} of runs")
