"""One PPO policy, trained across random 4x4 games, commits to schemes for games it never saw.

``persuasion/SchemeCommitment-v0`` without a fixed game draws a fresh random game (prior
uniform, ``u1, u2 ~ U[0, 1]``) at every reset and shows it in the observation
(``[prior, u1 / max u1, u2 / max u2]``); the action is a whole scheme. The recipe (plain PPO;
no LP is solved in training and the policy never calls a solver):

* **a permutation-equivariant policy** (:class:`agents.scheme_policy.EquivariantSchemePolicy`,
  the default; ``--policy mlp`` is SB3's ``MlpPolicy``): relabelling the states or the
  actions of a game permutes the rows or columns of the scheme it proposes, so the policy does
  not have to learn the 4! x 4! relabellings of each game from data. Exchangeable layers
  over the game's cells (width 32, depth 3), a per-cell head giving the logit of
  ``pi[s, m = a]``;
* **a reward with a gradient**: against the exact best response the sender's utility is a
  step function of the scheme (the optimum sits where the receiver is indifferent), so PPO
  trains on the **obedience-penalty** reward (default): the sender's utility if the receiver
  obeys the recommendations minus ``--penalty`` (5) times the obedience violations, each
  constraint tightened by a margin ``--margin`` (0.02) x P(m) (the penalty form of the
  commitment LP, computed from the game in the observation; its maximiser is strictly obedient,
  so the true best response follows it). ``--signal quantal`` trains against a quantal
  receiver whose ``lam`` is annealed from ``--lam-start`` to ``--lam-end`` instead;
* ``gamma = 0`` (each commitment is a contextual bandit), 256 batched copies of the env
  (:func:`agents.sb3_vec.SB3VecEnv` over ``SchemeCommitmentVectorEnv``, one game per copy),
  ``lp_reference=False`` (no LP solve at each reset: training never reads the optimum), PPO
  with 5 epochs per rollout, lr 1e-3, initial log std -1.

Evaluation, on ``--eval-games`` (200) held-out games (another seed range): the deterministic
policy's scheme is played against the **true best response** (MODEL.md A1), next to no
information, full disclosure, and the LP optimum (A2); every figure is the mean over games of
the value divided by that game's LP value, with the half-width of its 95% confidence interval
over the games (normal approximation). The LP is solved for the held-out games only, as the
yardstick. ``--eval-every N`` prints the held-out ratio during training (it does not change
the training).

    nice -n 10 python examples/train_scheme_generalisation.py           # about 5 CPU minutes
    nice -n 10 python examples/train_scheme_generalisation.py --quick   # smoke run, seconds

Measured (seed 0, 200 held-out games, on 2 cores shared by about 20 busy processes, so the
wall clock is long; the CPU time is what a free core needs). Mean ratio to the LP against
the true best response, +- the 95% CI half-width over the games:

| run               | CPU time | policy             | >= 0.9 on | worst | if obeyed |
|-------------------|----------|--------------------|-----------|-------|-----------|
| ``--steps 600000`` | ~180 s  | **0.899 +- 0.014** | 62%       | 0.366 | 0.938     |
| defaults (1M)     | 297 s    | **0.905 +- 0.014** | 66%       | 0.399 | 0.943     |

against no information 0.741 +- 0.026 and full disclosure 0.753 +- 0.021 on the same games
(the CPU time of the 600k run is that of the same run with ``--lr-schedule linear``, 178 s
with the curve's evaluations: the run itself predates the counter). Another seed, 600k steps
with ``--seed 1``: **0.896 +- 0.015** (>= 0.9 on 62%, worst 0.271, if obeyed 0.935), 151 s
of CPU, 153 s wall on a quieter moment of the machine.
("if obeyed": the policy's schemes if the receiver followed every recommendation; the gap to
the policy's figure is lost where the true best response deviates from a recommendation.)
Held-out ratio during the 1M run (``--eval-every 100000``; its first 600k steps are the
600k run's, the same figures): 0.865, 0.880, 0.891, 0.897, 0.889, 0.899, 0.900, 0.897,
0.905, 0.904 at 100k ... 1M. So the 0.9 aimed at is reached on average at 1M steps, the
default (not at 600k, 0.001 short), and in neither run does the CI exclude values below 0.9.
For comparison, PPO with SB3's ``MlpPolicy`` [256, 256] (last session's settings) reached
0.842 at 300k and 0.857 at 1M. Tried and not better (seed 0, equivariant policy): a learning
rate decaying linearly to 0 (``--lr-schedule linear``) 0.890 at 600k; the penalty annealed
5 -> 20 (``--penalty-end 20``) 0.878 at 300k (defaults: 0.891); margin 0.04, 0.872 at 200k
(defaults: 0.880); and, with an earlier layout of the same layers, 10 epochs and log std -2
0.886 at 300k (5 epochs and log std -1: 0.889, half the compute) and, at those settings,
penalty 20 / margin 0.01 0.803 at 100k (penalty 5 / margin 0.02: 0.849). The recipe's own
ceiling (the exact maximiser of the margin-0.02 obedience constraints, by LP, played against
the true best response) is 0.988 on these games.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper, VecMonitor

import persuasion_env  # noqa: F401  (registers the env ids)
from agents.sb3_vec import SB3VecEnv
from agents.scheme_policy import EquivariantSchemePolicy
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


def ci_half_width(values: Sequence[float]) -> float:
    """Half-width of the 95% confidence interval of the mean of ``values`` (normal
    approximation, ``1.96 * sample std / sqrt(n)``; 0 for a single value)."""
    if len(values) < 2:
        return 0.0
    return float(1.96 * np.std(values, ddof=1) / np.sqrt(len(values)))


def evaluate(
    policy_schemes: Callable[[Sequence[PersuasionGame]], np.ndarray],
    games: Sequence[PersuasionGame],
    lp_values: Sequence[float] | None = None,
) -> dict[str, float]:
    """Mean over ``games`` of (value against the true best response) / (LP value) for the
    policy's schemes (``policy_schemes(games)`` -> ``(G, S, M)``), no information and full
    disclosure, each with ``<name>_ci`` (the half-width of its 95% CI over the games); plus
    the share of games where the policy reaches >= 0.9 of the LP and its worst ratio.
    ``lp_values`` (the games' LP values) saves the solves when evaluating repeatedly."""
    schemes = policy_schemes(games)
    if lp_values is None:
        lp_values = [solve_commitment(game).sender_value for game in games]
    ratios: dict[str, list[float]] = {name: [] for name in BASELINES}
    obeyed: list[float] = []
    for game, scheme, lp in zip(games, schemes, lp_values, strict=True):
        candidates = {"policy": scheme, **reference_schemes(game, scheme.shape[1])}
        for name in BASELINES:
            ratios[name].append(best_response_value(game, candidates[name]) / lp)
        # Diagnostic: the policy's value if the receiver followed every recommendation.
        obeyed.append(float(game.prior @ (scheme * game.sender_utility).sum(axis=1)) / lp)
    out = {name: float(np.mean(values)) for name, values in ratios.items()}
    for name, values in ratios.items():  # 95% CI of each mean (normal approximation)
        out[f"{name}_ci"] = ci_half_width(values)
    out["policy_if_obeyed"] = float(np.mean(obeyed))
    out["policy_share_at_0.9"] = float(np.mean(np.asarray(ratios["policy"]) >= 0.9))
    out["policy_worst"] = float(np.min(ratios["policy"]))
    return out


def model_schemes(
    model: PPO, logit_scale: float
) -> Callable[[Sequence[PersuasionGame]], np.ndarray]:
    """The deterministic policy's schemes for a list of games (one batched ``predict``)."""

    def schemes(games: Sequence[PersuasionGame]) -> np.ndarray:
        obs = np.stack([game_observation(g) for g in games])
        actions, _ = model.predict(obs, deterministic=True)
        return action_to_scheme(actions, "softmax", logit_scale)

    return schemes


def obedience_reward(
    priors: np.ndarray,
    u1: np.ndarray,
    u2: np.ndarray,
    schemes: np.ndarray,
    *,
    margin: float,
    penalty: float,
) -> np.ndarray:
    """The shaped reward of recommendation schemes ``(B, S, A)`` (message ``m`` recommends
    action ``m``): the sender's utility if the receiver obeys, minus ``penalty`` times the
    obedience violations (MODEL.md A2's constraints, each tightened by ``margin * P(m)``):

    ``sum_{s,m} p[s] pi[s,m] u1[s,m] - penalty * sum_{m, a' != m} max(0, sum_s p[s] pi[s,m]
    (u2[s,a'] - u2[s,m]) + margin * P(m))``.

    It is the penalty form of the commitment LP (the device of Lin et al.'s signalling
    gradient): concave in the scheme, with a gradient everywhere, and its maximiser with a
    large ``penalty`` is a strictly obedient scheme, so the true best response follows it."""
    joint = priors[:, :, None] * schemes  # (B, S, M)
    value = np.einsum("bsm,bsm->b", joint, u1)
    # gain[b, m, a'] = E[u2(s, a') - u2(s, m) ; message m]: what disobeying m for a' gains.
    follow = np.einsum("bsm,bsm->bm", joint, u2)
    deviate = np.einsum("bsm,bsa->bma", joint, u2)
    slack = margin * joint.sum(axis=1)  # (B, M)
    violation = np.maximum(deviate - follow[:, :, None] + slack[:, :, None], 0.0)
    n_actions = u2.shape[-1]
    violation[:, np.arange(n_actions), np.arange(n_actions)] = 0.0  # a' = m is no deviation
    return value - penalty * violation.sum(axis=(1, 2))


class ObedienceShaping(VecEnvWrapper):
    """Replaces the env's reward by :func:`obedience_reward` of the scheme each copy
    committed to (computed from the action, as the env maps it)."""

    def __init__(self, venv: VecEnv, env: SchemeCommitmentVectorEnv, margin: float, penalty: float):
        super().__init__(venv)
        self.env, self.margin, self.penalty = env, margin, penalty
        self._games: list[PersuasionGame] | None = None

    def reset(self) -> np.ndarray:
        return self.venv.reset()

    def step_async(self, actions: np.ndarray) -> None:
        games = self.env.games  # the games of this step (an autoreset replaces the list)
        if games is not self._games:
            self._games = games
            self._arrays = (
                np.stack([g.prior for g in games]),
                np.stack([g.sender_utility for g in games]),
                np.stack([g.receiver_utility for g in games]),
            )
        low = float(self.env.single_action_space.low.flat[0])
        self._schemes = action_to_scheme(
            np.clip(actions, low, 1.0), "softmax", self.env.envs[0].logit_scale
        )
        self.venv.step_async(actions)

    def step_wait(self):
        obs, _, dones, infos = self.venv.step_wait()
        rewards = obedience_reward(
            *self._arrays, self._schemes, margin=self.margin, penalty=self.penalty
        )
        return obs, rewards.astype(np.float32), dones, infos


class HeldOutCurve(BaseCallback):
    """Prints the policy's held-out ratio (against the true best response) every ``every``
    steps: a learning curve. Evaluation only (the LP values are the yardstick); it does not
    touch training."""

    def __init__(self, games: Sequence[PersuasionGame], every: int, logit_scale: float):
        super().__init__()
        self.games, self.every, self.logit_scale = games, every, logit_scale
        self.lp_values = [solve_commitment(game).sender_value for game in games]
        self.next = every

    def _on_rollout_end(self) -> None:
        if self.num_timesteps >= self.next:
            self.next += self.every
            result = evaluate(
                model_schemes(self.model, self.logit_scale), self.games, self.lp_values
            )
            print(
                f"  {self.num_timesteps:>8} steps: held-out policy {result['policy']:.3f} "
                f"+- {result['policy_ci']:.3f} (if obeyed {result['policy_if_obeyed']:.3f})",
                flush=True,
            )

    def _on_step(self) -> bool:
        return True


def linear_schedule(start: float) -> Callable[[float], float]:
    """SB3 learning-rate schedule: ``start`` at the beginning, 0 at the end (SB3 passes the
    remaining fraction of the run, from 1 to 0)."""

    def schedule(progress_remaining: float) -> float:
        return start * progress_remaining

    return schedule


class Anneal(BaseCallback):
    """Sets ``setattr(target, name, value)`` before every rollout, ``value`` geometric from
    ``start`` (at step 0) to ``end`` (at ``total`` steps): the quantal receiver's ``lam``,
    the obedience shaping's ``penalty``."""

    def __init__(self, target: Any, name: str, start: float, end: float, total: int):
        super().__init__()
        self.target, self.name = target, name
        self.start, self.end, self.total = start, end, total

    def value(self, steps: int) -> float:
        progress = min(steps / self.total, 1.0)
        return float(self.start * (self.end / self.start) ** progress)

    def _on_rollout_start(self) -> None:
        setattr(self.target, self.name, self.value(self.num_timesteps))
        self.logger.record(f"train/{self.name}", getattr(self.target, self.name))

    def _on_step(self) -> bool:
        return True


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000, help="PPO env steps")
    parser.add_argument("--size", type=int, default=4, help="S = A of the random games")
    parser.add_argument("--envs", type=int, default=256, help="batched env copies")
    parser.add_argument("--episode-length", type=int, default=32)
    parser.add_argument(
        "--signal",
        default="obedience",
        choices=["obedience", "quantal"],
        help="the training reward: the obedience-penalty shaping, or a quantal receiver "
        "with annealed lambda",
    )
    parser.add_argument("--margin", type=float, default=0.02, help="obedience margin")
    parser.add_argument("--penalty", type=float, default=5.0, help="obedience penalty")
    parser.add_argument(
        "--penalty-end",
        type=float,
        default=None,
        help="anneal the penalty geometrically from --penalty to this (default: constant)",
    )
    parser.add_argument("--lam-start", type=float, default=10.0, help="quantal signal")
    parser.add_argument("--lam-end", type=float, default=300.0, help="quantal signal")
    parser.add_argument("--logit-scale", type=float, default=5.0)
    parser.add_argument("--eval-games", type=int, default=200, help="held-out games")
    parser.add_argument("--lr", type=float, default=1e-3, help="PPO learning rate")
    parser.add_argument(
        "--lr-schedule",
        default="constant",
        choices=["constant", "linear"],
        help="constant, or linear from --lr to 0 over the run",
    )
    parser.add_argument("--epochs", type=int, default=5, help="PPO epochs per rollout")
    parser.add_argument("--log-std", type=float, default=-1.0, help="initial log std")
    parser.add_argument(
        "--policy",
        default="equivariant",
        choices=["equivariant", "mlp"],
        help="the permutation-equivariant policy (agents.scheme_policy) or SB3's MlpPolicy",
    )
    parser.add_argument("--width", type=int, default=32, help="equivariant policy width")
    parser.add_argument("--depth", type=int, default=3, help="equivariant policy depth")
    parser.add_argument("--seed", type=int, default=0, help="PPO and training-game seed")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--eval-every", type=int, default=0, help="print the held-out ratio every N steps"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a seconds-long smoke run (4096 steps, 64 copies, 20 held-out games): checks "
        "that the example runs, not what it reaches",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.envs, args.eval_games = 4096, 64, 20
    torch.set_num_threads(args.threads)

    quantal = args.signal == "quantal"
    env = SchemeCommitmentVectorEnv(
        args.envs,
        size=(args.size, args.size),
        receiver="quantal" if quantal else "best_response",
        receiver_kwargs={"lam": args.lam_start} if quantal else None,
        logit_scale=args.logit_scale,
        episode_length=args.episode_length,
        lp_reference=False,
    )
    venv: VecEnv = SB3VecEnv(env, info_keys=())
    callbacks: list[BaseCallback] = []
    if quantal:
        callbacks.append(Anneal(env.receiver, "lam", args.lam_start, args.lam_end, args.steps))
    else:
        shaping = ObedienceShaping(venv, env, args.margin, args.penalty)
        venv = shaping
        if args.penalty_end is not None:
            callbacks.append(Anneal(shaping, "penalty", args.penalty, args.penalty_end, args.steps))
    venv = VecMonitor(venv)
    venv.seed(args.seed)
    if args.policy == "equivariant":
        policy: Any = EquivariantSchemePolicy
        policy_kwargs = {"width": args.width, "depth": args.depth, "log_std_init": args.log_std}
    else:
        policy = "MlpPolicy"
        policy_kwargs = {"net_arch": [256, 256], "log_std_init": args.log_std}
    model = PPO(
        policy,
        venv,
        n_steps=8,
        batch_size=512,
        n_epochs=args.epochs,
        gamma=0.0,
        gae_lambda=0.0,
        learning_rate=linear_schedule(args.lr) if args.lr_schedule == "linear" else args.lr,
        ent_coef=0.0,
        clip_range=0.2,
        policy_kwargs=policy_kwargs,
        seed=args.seed,
        device="cpu",
        verbose=0,
    )
    # Held-out games: seeds far from the training stream (which is drawn from --seed).
    held_out = [
        PersuasionGame.random(args.size, args.size, seed=10**6 + k) for k in range(args.eval_games)
    ]
    if args.eval_every:
        callbacks.append(HeldOutCurve(held_out, args.eval_every, args.logit_scale))
    start, cpu_start = time.perf_counter(), time.process_time()
    model.learn(total_timesteps=args.steps, callback=callbacks)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    result = evaluate(model_schemes(model, args.logit_scale), held_out)
    result.update(steps=float(model.num_timesteps), seconds=seconds, cpu_seconds=cpu_seconds)
    print(
        f"PPO across random {args.size}x{args.size} games: {model.num_timesteps} steps in "
        f"{seconds:.0f} s ({cpu_seconds:.0f} s of CPU), signal: "
        + (
            f"quantal receiver, lam {args.lam_start:g} -> {args.lam_end:g}"
            if quantal
            else f"obedience penalty {args.penalty:g}"
            + ("" if args.penalty_end is None else f" -> {args.penalty_end:g}")
            + f", margin {args.margin:g}"
        )
    )
    print(
        f"{args.eval_games} held-out games, value against the true best response / LP value "
        f"(mean over games +- 95% CI half-width): policy {result['policy']:.3f} +- "
        f"{result['policy_ci']:.3f} (>= 0.9 on {100 * result['policy_share_at_0.9']:.0f}% of "
        f"games, worst {result['policy_worst']:.3f}), no information "
        f"{result['no_information']:.3f} +- {result['no_information_ci']:.3f}, full disclosure "
        f"{result['full_disclosure']:.3f} +- {result['full_disclosure_ci']:.3f}, LP 1.000 (the "
        f"policy's schemes if the receiver obeyed every recommendation: "
        f"{result['policy_if_obeyed']:.3f})"
    )
    return result


if __name__ == "__main__":
    main()
