"""RLlib trains a sender policy and a receiver policy on the PettingZoo repeated game.

Both sides learn: ``persuasion_env.multiagent.repeated_persuasion_v0`` is a turn-based AEC
env (the sender sees the state and sends a message, then the receiver sees the message and
acts), wrapped for RLlib by ``ray.rllib.env.wrappers.pettingzoo_env.PettingZooEnv``, which
returns an observation only for the agent that moves next -- RLlib's multi-agent API handles
turn-taking natively, so no parallel conversion is needed. Two PPO policies (RLModules), one
per agent (``policy_mapping_fn``: agent id -> module id), on RLlib's new API stack; the
Discrete observations are one-hot encoded by the ``FlattenObservations`` connector.

Neither side commits, so the reference is **cheap talk** (MODEL.md C3): the sender-best
pure-response equilibrium value (``solve_cheap_talk``), between babbling (no information) and
the commitment LP (A2). The default game, ``lewis`` (Lewis's signalling game: 3 equally likely
states, both sides paid 1 when the action matches the state), has cheap talk worth 1 (full
disclosure) against 1/3 for babbling; ``--game climbing`` (an example game with a
miscoordination penalty of -1) has 0.256 vs 0.122, and independent PPO learners tend to stay
in its babbling equilibrium.

Printed: each policy's mean return per round over the last training iteration, the sender's
ratio to the cheap-talk value and to the LP, and the greedy policies after training (state ->
message, message -> action) with their exact value.

    nice -n 10 python examples/rllib_two_policies.py                 # ~2-4 min on 1 CPU
    nice -n 10 python examples/rllib_two_policies.py --iterations 2  # smoke run (the test)

Tested with ray 2.60 (new API stack: ``PPOConfig().environment(...).multi_agent(...)
.rl_module(...)``, ``config.build_algo()``).
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np

from persuasion_env import PersuasionGame, solve_cheap_talk, solve_commitment
from persuasion_env.multiagent import repeated_persuasion_v0

ENV_NAME = "persuasion_repeated_persuasion_v0"
SENDER, RECEIVER = "sender", "receiver"


def lewis_game(n: int = 3) -> PersuasionGame:
    """Lewis's signalling game: ``n`` equally likely states, both paid 1 for ``a = s``."""
    eye = np.eye(n)
    return PersuasionGame(np.full(n, 1.0 / n), eye, eye.copy(), name=f"lewis-{n}")


def make_env(config: dict[str, Any]) -> Any:
    """The PettingZoo AEC env as an RLlib ``MultiAgentEnv`` (turn-based)."""
    from ray.rllib.env.wrappers.pettingzoo_env import PettingZooEnv

    return PettingZooEnv(repeated_persuasion_v0.env(**config))


def build_config(env_config: dict[str, Any], args: argparse.Namespace) -> Any:
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.connectors.env_to_module import FlattenObservations
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    return (
        PPOConfig()
        .environment(ENV_NAME, env_config=env_config)
        .env_runners(
            num_env_runners=0,  # sample in the driver process: one CPU, no extra actors
            num_envs_per_env_runner=1,
            rollout_fragment_length="auto",
            env_to_module_connector=lambda env, spaces=None, device=None: FlattenObservations(
                multi_agent=True
            ),
        )
        .learners(num_learners=0)
        .multi_agent(
            policies={SENDER, RECEIVER},
            policy_mapping_fn=lambda agent_id, episode, **kwargs: agent_id,
        )
        .training(
            train_batch_size_per_learner=args.batch,
            minibatch_size=min(256, args.batch),
            num_epochs=5,
            lr=args.lr,
            gamma=0.0,  # each round is a stage game: rewards do not carry over rounds
            entropy_coeff=0.01,
        )
        .rl_module(
            rl_module_spec=MultiRLModuleSpec(
                rl_module_specs={SENDER: RLModuleSpec(), RECEIVER: RLModuleSpec()}
            ),
            model_config=DefaultModelConfig(fcnet_hiddens=[32], vf_share_layers=False),
        )
        .debugging(seed=args.seed)
        .reporting(metrics_num_episodes_for_smoothing=5)
    )


def greedy_tables(algo: Any, n_states: int, n_messages: int) -> tuple[np.ndarray, np.ndarray]:
    """The trained policies' greedy choices: message per state ``(S,)`` and action per
    message ``(M,)`` (the receiver's observation ``m`` one-hot over ``M + 1`` values)."""
    import torch
    from ray.rllib.core.columns import Columns

    def greedy(module_id: str, n_obs: int, width: int) -> np.ndarray:
        module = algo.get_module(module_id)
        obs = torch.eye(width)[:n_obs]
        with torch.no_grad():
            logits = module.forward_inference({Columns.OBS: obs})[Columns.ACTION_DIST_INPUTS]
        return logits.argmax(dim=-1).numpy()

    return greedy(SENDER, n_states, n_states), greedy(RECEIVER, n_messages, n_messages + 1)


def greedy_value(game: PersuasionGame, messages: np.ndarray, actions: np.ndarray) -> float:
    """The sender's expected utility per round when the sender sends ``messages[s]`` and the
    receiver answers ``actions[m]``: ``sum_s p[s] u1[s, actions[messages[s]]]``."""
    states = np.arange(game.n_states)
    return float(game.prior @ game.sender_utility[states, actions[messages]])


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="lewis", help="'lewis' or an example game name")
    parser.add_argument("--max-cycles", type=int, default=50, help="rounds per episode")
    parser.add_argument("--iterations", type=int, default=30, help="PPO training iterations")
    parser.add_argument("--batch", type=int, default=2000, help="env steps per iteration")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")

    import ray
    from ray.tune.registry import register_env

    game = lewis_game() if args.game == "lewis" else PersuasionGame.example(args.game)
    env_config = {"game": game, "max_cycles": args.max_cycles}
    cheap_talk = solve_cheap_talk(game)
    lp = solve_commitment(game).sender_value
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    try:
        register_env(ENV_NAME, make_env)
        algo = build_config(env_config, args).build_algo()
        start = time.perf_counter()
        returns: dict[str, float] = {}
        for _ in range(args.iterations):
            result = algo.train()
            per_module = result["env_runners"].get("module_episode_returns_mean", {})
            if SENDER in per_module and RECEIVER in per_module:
                returns = {side: float(per_module[side]) for side in (SENDER, RECEIVER)}
        seconds = time.perf_counter() - start
        messages, actions = greedy_tables(algo, game.n_states, game.n_actions)
        algo.stop()
    finally:
        ray.shutdown()
    per_round = {side: returns.get(side, float("nan")) / args.max_cycles for side in returns}
    greedy = greedy_value(game, messages, actions)
    out = {
        "sender_per_round": per_round.get(SENDER, float("nan")),
        "receiver_per_round": per_round.get(RECEIVER, float("nan")),
        "cheap_talk_value": cheap_talk.sender_value,
        "babbling_value": cheap_talk.babbling_value,
        "lp_value": lp,
        "greedy_sender_value": greedy,
        "seconds": seconds,
    }
    out["ratio_to_cheap_talk"] = out["sender_per_round"] / cheap_talk.sender_value
    out["ratio_to_lp"] = out["sender_per_round"] / lp
    print(
        f"RLlib PPO, two policies on repeated_persuasion_v0 ({game.name}, {args.max_cycles} "
        f"rounds per episode): {args.iterations} iterations x {args.batch} steps in "
        f"{seconds:.0f} s"
    )
    print(
        f"mean return per round (last iteration): sender {out['sender_per_round']:.3f}, "
        f"receiver {out['receiver_per_round']:.3f}"
    )
    print(
        f"sender vs references: cheap talk {cheap_talk.sender_value:.3f} (ratio "
        f"{out['ratio_to_cheap_talk']:.3f}), babbling {cheap_talk.babbling_value:.3f}, "
        f"LP {lp:.3f} (ratio {out['ratio_to_lp']:.3f})"
    )
    print(
        f"greedy policies: messages per state {messages.tolist()}, actions per message "
        f"{actions.tolist()}; sender value {greedy:.3f}"
    )
    return out


if __name__ == "__main__":
    main()
