"""One PPO policy, trained across random 4x4 games, commits to schemes for games it never saw.

``persuasion/SchemeCommitment-v0`` without a fixed game draws a fresh random game (prior
uniform, ``u1, u2 ~ U[0, 1]``) at every reset and shows it in the observation
(``[prior, u1 / max u1, u2 / max u2]``); the action is a whole scheme. The recipe:

* **a reward with a gradient**: against the exact best response the sender's utility is a
  step function of the scheme (the optimum sits where the receiver is indifferent), so PPO
  trains against a **quantal** receiver whose ``lam`` is **annealed** geometrically from
  ``--lam-start`` (smooth: every scheme change moves the reward) to ``--lam-end`` (close to
  the best response, so the learned schemes keep a small safety margin inside the obedience
  region and survive the exact best response);
* ``gamma = 0`` (each commitment is a contextual bandit), many batched copies of the env
  (:func:`agents.sb3_vec.SB3VecEnv` over ``SchemeCommitmentVectorEnv``, one game per copy)
  and ``lp_reference=False`` (no LP solve at each reset: training never reads the optimum).

Evaluation, on ``--eval-games`` held-out games (another seed range): the deterministic
policy's scheme is played against the **true best response** (MODEL.md A1), next to no
information, full disclosure, and the LP optimum (A2); every figure is the mean over games of
the value divided by that game's LP value.

    nice -n 10 python examples/train_scheme_generalisation.py              # a few minutes
    nice -n 10 python examples/train_scheme_generalisation.py --steps 20000   # smoke run
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecMonitor

import persuasion_env  # noqa: F401  (registers the env ids)
from agents.sb3_vec import SB3VecEnv
from persuasion_env import PersuasionGame, bayes, solve_commitment
from persuasion_env.envs.scheme_commitment import action_to_scheme, game_observation
from persuasion_env.envs.vector_scheme import SchemeCommitmentVectorEnv

BASELINES = ("policy", "no_information", "full_disclosure")


def best_response_value(game: PersuasionGame, scheme: np.ndarray) -> float:
    """The sender's expected utility of ``scheme`` against the exact Bayesian best response
    (ties in the sender's favour, MODEL.md A1)."""
    response = bayes.best_response_matrix(
        game.prior, scheme, game.receiver_utility, game.sender_utility
    )
    return float(bayes.expected_utility(game.prior, scheme, response, game.sender_utility))


def reference_schemes(game: PersuasionGame, n_messages: int) -> dict[str, np.ndarray]:
    """No information (every state sends message 0) and full disclosure (state ``s`` sends
    message ``s``; needs ``M >= S``)."""
    n_states = game.n_states
    silent = np.zeros((n_states, n_messages))
    silent[:, 0] = 1.0
    return {"no_information": silent, "full_disclosure": np.eye(n_states, n_messages)}


def evaluate(
    policy_schemes: Callable[[Sequence[PersuasionGame]], np.ndarray],
    games: Sequence[PersuasionGame],
) -> dict[str, float]:
    """Mean over ``games`` of (value against the true best response) / (LP value) for the
    policy's schemes (``policy_schemes(games)`` -> ``(G, S, M)``), no information and full
    disclosure; plus the share of games where the policy reaches >= 0.9 of the LP."""
    schemes = policy_schemes(games)
    ratios: dict[str, list[float]] = {name: [] for name in BASELINES}
    for game, scheme in zip(games, schemes, strict=True):
        lp = solve_commitment(game).sender_value
        candidates = {"policy": scheme, **reference_schemes(game, scheme.shape[1])}
        for name in BASELINES:
            ratios[name].append(best_response_value(game, candidates[name]) / lp)
    out = {name: float(np.mean(values)) for name, values in ratios.items()}
    out["policy_share_at_0.9"] = float(np.mean(np.asarray(ratios["policy"]) >= 0.9))
    out["policy_worst"] = float(np.min(ratios["policy"]))
    return out


def model_schemes(model: PPO, logit_scale: float) -> Callable[[Sequence[PersuasionGame]], np.ndarray]:
    """The deterministic policy's schemes for a list of games (one batched ``predict``)."""

    def schemes(games: Sequence[PersuasionGame]) -> np.ndarray:
        obs = np.stack([game_observation(g) for g in games])
        actions, _ = model.predict(obs, deterministic=True)
        return action_to_scheme(actions, "softmax", logit_scale)

    return schemes


class AnnealLambda(BaseCallback):
    """Sets the quantal receiver's ``lam`` before every rollout: geometric from ``start``
    (at step 0) to ``end`` (at ``total`` steps)."""

    def __init__(self, env: SchemeCommitmentVectorEnv, start: float, end: float, total: int):
        super().__init__()
        self.env, self.start, self.end, self.total = env, start, end, total

    def lam(self, steps: int) -> float:
        progress = min(steps / self.total, 1.0)
        return float(self.start * (self.end / self.start) ** progress)

    def _on_rollout_start(self) -> None:
        self.env.receiver.lam = self.lam(self.num_timesteps)
        self.logger.record("train/quantal_lambda", self.env.receiver.lam)

    def _on_step(self) -> bool:
        return True


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000, help="PPO env steps")
    parser.add_argument("--size", type=int, default=4, help="S = A of the random games")
    parser.add_argument("--envs", type=int, default=256, help="batched env copies")
    parser.add_argument("--episode-length", type=int, default=32)
    parser.add_argument("--lam-start", type=float, default=10.0)
    parser.add_argument("--lam-end", type=float, default=300.0)
    parser.add_argument("--logit-scale", type=float, default=5.0)
    parser.add_argument("--eval-games", type=int, default=200, help="held-out games")
    parser.add_argument("--seed", type=int, default=0, help="PPO and training-game seed")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    env = SchemeCommitmentVectorEnv(
        args.envs,
        size=(args.size, args.size),
        receiver="quantal",
        receiver_kwargs={"lam": args.lam_start},
        logit_scale=args.logit_scale,
        episode_length=args.episode_length,
        lp_reference=False,
    )
    venv = VecMonitor(SB3VecEnv(env, info_keys=()))
    venv.seed(args.seed)
    model = PPO(
        "MlpPolicy",
        venv,
        n_steps=8,
        batch_size=512,
        n_epochs=5,
        gamma=0.0,
        gae_lambda=0.0,
        learning_rate=3e-4,
        ent_coef=0.0,
        clip_range=0.2,
        policy_kwargs={"net_arch": [256, 256], "log_std_init": -1.0},
        seed=args.seed,
        device="cpu",
        verbose=0,
    )
    start = time.perf_counter()
    model.learn(
        total_timesteps=args.steps,
        callback=AnnealLambda(env, args.lam_start, args.lam_end, args.steps),
    )
    seconds = time.perf_counter() - start
    # Held-out games: seeds far from the training stream (which is drawn from --seed).
    held_out = [
        PersuasionGame.random(args.size, args.size, seed=10**6 + k) for k in range(args.eval_games)
    ]
    result = evaluate(model_schemes(model, args.logit_scale), held_out)
    result.update(steps=float(model.num_timesteps), seconds=seconds)
    print(
        f"PPO across random {args.size}x{args.size} games: {model.num_timesteps} steps in "
        f"{seconds:.0f} s (quantal lam {args.lam_start:g} -> {args.lam_end:g})"
    )
    print(
        f"{args.eval_games} held-out games, value against the true best response / LP value "
        f"(mean over games): policy {result['policy']:.3f} (>= 0.9 on "
        f"{100 * result['policy_share_at_0.9']:.0f}% of games, worst {result['policy_worst']:.3f}), "
        f"no information {result['no_information']:.3f}, full disclosure "
        f"{result['full_disclosure']:.3f}, LP 1.000"
    )
    return result


if __name__ == "__main__":
    main()
