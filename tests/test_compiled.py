"""The compiled round loop (persuasion_env/compiled.py, issue 15) against the ordinary one.

The ordinary loop of ``simulate`` calls the agents' Python ``act`` / ``update``; the
compiled loop calls their kernels directly. Both must give the very same numbers on the same
seed (every field of the result), whatever the stretches the compiled loop is cut into.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agents import make_receiver, make_sender
from agents.base import Receiver
from persuasion_env import PersuasionGame, compiled, simulate

ROOT = Path(__file__).resolve().parent.parent
numba = pytest.importorskip("numba")

FIELDS = (
    "final_sender_utility",
    "final_receiver_utility",
    "final_first_best_rate",
    "sender_utility",
    "receiver_utility",
    "first_best_rate",
    "obedience_rate",
    "bin_edges",
    "run_sender_utility",
    "run_receiver_utility",
    "run_obedience",
    "sender_policy",
    "receiver_policy",
    "run_tail_sender_utility",
    "run_tail_receiver_utility",
)

PAIRS = [
    ("info_q", "q_learning", {}),
    ("info_policy", "reinforce", {}),
    ("modelr", "q_learning", {}),
    ("q_learning", "hedge", {}),
    ("reinforce", "ucb", {"discount": 0.99}),
    ("hedge", "fictitious_play", {}),
    ("lp_optimal", "best_response", {}),
    ("lp_optimal", "quantal", {}),
    ("lp_optimal", "q_learning", {"epsilon": 0.1}),
    ("full_disclosure", "ucb", {}),
    ("random", "fictitious_play", {}),
    ("info_q", "best_response", {}),  # per-round sender shown to an explicit receiver
    ("modelr", "quantal", {}),
    ("info_q", "actor_critic", {"batch_size": 37}),  # learns in Python between batches
]


def _play(sender, receiver, options, use, **kw):
    game = kw.pop("game", PersuasionGame.random(3, 4, seed=5))
    with compiled.use_compiled(use):
        return simulate(
            game,
            make_sender(sender),
            make_receiver(receiver, **options),
            **{"rounds": 700, "runs": 5, "seed": 11, "bins": 9, "epoch": 30, **kw},
        )


def _assert_same(a, b):
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize(("sender", "receiver", "options"), PAIRS)
def test_compiled_and_ordinary_paths_agree_exactly(sender, receiver, options):
    ordinary = _play(sender, receiver, options, False, noise=0.1)
    fast = _play(sender, receiver, options, True, noise=0.1)
    _assert_same(ordinary, fast)


def test_a_batch_of_games_and_one_run_agree_exactly():
    games = [PersuasionGame.random(4, 4, seed=s) for s in range(3)]
    for runs in (1, 4):
        a = _play("info_q", "q_learning", {}, False, game=games, runs=runs)
        b = _play("info_q", "q_learning", {}, True, game=games, runs=runs)
        _assert_same(a, b)


def test_the_compiled_path_is_taken_for_built_in_agents_only():
    sender, receiver = make_sender("info_q"), make_receiver("q_learning")
    game = PersuasionGame.example("climbing")
    simulate(game, sender, receiver, rounds=3, seed=0)  # resets both
    assert compiled.steps_for(sender, receiver) is not None
    with compiled.use_compiled(False):
        assert compiled.steps_for(sender, receiver) is None

    class Stubborn(Receiver):
        """A user's own receiver in plain Python: always action 0."""

        name = "stubborn"

        def act(self, messages):
            return np.zeros(self.runs, dtype=int)

        def policy(self):
            view = self.view
            table = np.zeros((self.runs, view.n_messages, view.n_actions))
            table[..., 0] = 1.0
            return table

    mine = Stubborn()
    assert compiled.steps_for(sender, mine) is None
    res = simulate(game, "info_q", mine, rounds=400, runs=3, seed=0)
    # Climbing game (payoffs / 30), uniform prior, action 0 whatever the message.
    np.testing.assert_allclose(res.final_sender_utility, (11 - 30 + 0) / 30 / 3)


def test_a_subclass_that_overrides_a_rule_in_python_takes_the_ordinary_path():
    from agents.senders.baselines import InfoQSender

    class Counting(InfoQSender):
        """Info-Q whose act is wrapped in Python (counts its calls)."""

        calls = 0

        def act(self, states):
            Counting.calls += 1
            return super().act(states)

    sender = Counting()
    res = simulate(PersuasionGame.example("climbing"), sender, "q_learning", rounds=50, seed=0)
    assert Counting.calls == 50
    with compiled.use_compiled(False):
        plain = simulate(
            PersuasionGame.example("climbing"), "info_q", "q_learning", rounds=50, seed=0
        )
    _assert_same(res, plain)  # same rules, same numbers


def test_results_do_not_depend_on_the_stretches_played(monkeypatch):
    whole = _play("info_q", "q_learning", {}, True, noise=0.2, bins=50)
    monkeypatch.setattr(compiled, "MAX_STRETCH", 7)
    cut = _play("info_q", "q_learning", {}, True, noise=0.2, bins=50)
    _assert_same(whole, cut)


def test_tablenet_plays_its_committed_schemes_compiled():
    options = dict(
        protocol="algorithm1",
        epoch_rounds=50,
        n_queries=3,
        restarts=1,
        sender_steps=20,
        model_steps=10,
    )
    results = []
    for use in (False, True):
        with compiled.use_compiled(use):
            results.append(
                simulate(
                    PersuasionGame.random(3, 3, seed=2),
                    make_sender("tablenet", **options),
                    "q_learning",
                    rounds=400,
                    runs=2,
                    seed=4,
                    bins=8,
                )
            )
    _assert_same(*results)


def _run_in_subprocess(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return out.stdout


def test_without_numba_the_plain_python_kernels_give_the_same_results():
    # The subprocess cannot import numba (as if it were not installed): the kernels then
    # run as plain Python through the ordinary loop, with a warning, and the same numbers.
    code = (
        "import sys, json, warnings\n"
        "sys.modules['numba'] = None\n"
        "from persuasion_env import PersuasionGame, simulate\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    r = simulate(PersuasionGame.random(3, 4, seed=5), 'info_q', 'hedge', rounds=300,\n"
        "                 runs=3, seed=2, bins=5, noise=0.1)\n"
        "print(json.dumps({'u': r.sender_utility.tolist(), 'p': r.receiver_policy.tolist(),\n"
        "                  'warned': any('numba is unavailable' in str(w.message)\n"
        "                                for w in caught)}))\n"
    )
    plain = json.loads(_run_in_subprocess(code))
    fast = simulate(
        PersuasionGame.random(3, 4, seed=5),
        "info_q",
        "hedge",
        rounds=300,
        runs=3,
        seed=2,
        bins=5,
        noise=0.1,
    )
    assert plain["warned"]
    assert plain["u"] == fast.sender_utility.tolist()
    assert plain["p"] == fast.receiver_policy.tolist()


def test_importing_the_packages_does_not_import_numba():
    code = "import sys, persuasion_env, agents; print('numba' in sys.modules)"
    assert _run_in_subprocess(code).strip() == "False"
