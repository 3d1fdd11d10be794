"""Issue 16's "Must show", fast: every learned sender of the benchmark against a learner on a
2x2 game in a few thousand rounds; determinism with a seed; information classes.

The game is the recommendation letter (the issue's 2x2 game, built by hand in
``PersuasionGame.example``): prior 1/3 on the good candidate, the sender always wants a hire,
the receiver gains 1 from hiring the good one and loses 1 on the bad one. Closed forms (not
the library's): no information 0 (hiring at the prior is worth 1/3 - 2/3 < 0), full
disclosure 1/3, the commitment LP 2/3 (recommend "hire" always when good and with
probability 1/2 when bad: posterior exactly 1/2, the receiver indifferent).

The receiver is ``fictitious_play``, chosen before the senders were run by one criterion:
against it persuasion pays most clearly within the test's rounds (the best fixed scheme
minus the realised no-information scheme, largest of the six learning receivers on this
game: 0.611 - 0.000 at 3 000 rounds; ``actor_critic`` does not learn in so few rounds, its
realised no-information utility is 0.50, so beating "no information" against it says
nothing). The target, as the issue words it: beat no information, and come within 0.1 of
the best fixed scheme in hindsight (same learner, seed, runs and rounds).

The black-box senders the issue's targets are for (margin_adaptive, TableNet) are also
tested against each of the other learners that learn within 3 000 rounds.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

from persuasion_env import PersuasionGame, best_fixed_scheme, simulate
from persuasion_env.protocols import BLACK_BOX, FULL_INFORMATION, WHITE_BOX, information_class
from persuasion_env.registry import make_agent
from persuasion_env.solvers.commitment import (
    cached_solve_commitment,
    full_disclosure_value,
    no_information_value,
)

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
try:
    LEARNED = importlib.import_module("persuade_learners").learned_senders()
finally:
    sys.path.remove(str(BENCHMARKS))

ROUNDS, RUNS, SEED, RECEIVER = 3000, 4, 0, "fictitious_play"
#: Senders measured below the target (letter vs fictitious_play, 3 000 rounds, 4 runs, seed 0,
#: best fixed 0.611 = the LP scheme with margin 0.1): tail utility, then why. The learned
#: senders that read ``GameView.horizon`` meet it: signaling_gradient (0.559; measured at
#: seeds 0-6), margin_adaptive (0.541) and TableNet (0.629), both measured at seeds 0-19
#: with the short-horizon rules of agents/senders/_short_horizon.py. The six seed-paper
#: senders do not read the horizon.
KNOWN_MISSES = {
    # Bandits over messages per state (Bhatt & Buro's independent learners): each state's
    # message is chosen for the sender's own payoff, round by round, with no commitment:
    # on the letter the sender wants a hire in both states, so the only cheap-talk
    # equilibrium babbles (sender-best value 0, ``solve_cheap_talk``) and they end there.
    # No horizon-aware schedule changes that: the target needs a committed scheme.
    "hedge": "0.001: a babbling equilibrium (the receiver never hires)",
    "q_learning": "0.000: a babbling equilibrium (the receiver never hires)",
    "reinforce": "0.000: a babbling equilibrium (the receiver never hires)",
    # Deterministic senders apart from exploration (MODEL.md A6): one message per state, so
    # on the letter's two states full disclosure (1/3) or silence (0) at best, below the
    # target (best fixed - 0.1 = 0.51), which needs "hire" recommended in the weak state
    # with probability ~0.4.
    # Info-Q and Info-Policy reach full disclosure; ModelR sends every state the message
    # predicted to bring a hire, so messages lose meaning and the receiver never hires.
    "modelr": "0.000: a babbling equilibrium; deterministic, so at most 1/3 on this game",
    "info_policy": "0.327: full disclosure (1/3), the best a deterministic scheme does here",
    "info_q": "0.327: full disclosure (1/3), the best a deterministic scheme does here",
}


def _cases():
    for name in LEARNED:
        marks = ()
        if name in KNOWN_MISSES:
            reason = f"measured {KNOWN_MISSES[name]}; issue 16 target missed (reported)"
            marks = pytest.mark.xfail(reason=reason, strict=False)
        yield pytest.param(name, marks=marks, id=name)


@pytest.fixture(scope="module")
def letter():
    return PersuasionGame.example("recommendation_letter")


@pytest.fixture(scope="module")
def reference(letter):
    return best_fixed_scheme(letter, RECEIVER, rounds=ROUNDS, runs=RUNS, seed=SEED)


def test_the_letter_is_a_game_where_persuasion_pays(letter, reference):
    # the closed forms of the module docstring
    assert no_information_value(letter) == pytest.approx(0.0, abs=1e-9)
    assert full_disclosure_value(letter) == pytest.approx(1 / 3, abs=1e-9)
    assert cached_solve_commitment(letter).sender_value == pytest.approx(2 / 3, abs=1e-6)
    # against this learner, in these rounds, a fixed scheme earns far more than silence:
    # the test below asks something achievable
    assert reference.value - reference.members["no_information"] > 0.4
    assert reference.value > full_disclosure_value(letter) + 0.2


def _assert_persuades(sender, receiver, letter, reference):
    """The issue's fast target: beat no information (the exact value and the no-information
    scheme's against the same learner), and come within 0.1 of the best fixed scheme."""
    res = simulate(letter, sender, receiver, rounds=ROUNDS, runs=RUNS, seed=SEED, bins=1)
    value = res.tail_sender_utility
    silence = max(no_information_value(letter), reference.members["no_information"])
    assert value > silence + 0.05, f"{sender} vs {receiver}: {value:.3f} <= no information"
    assert value >= reference.value - 0.1, (
        f"{sender} vs {receiver}: {value:.3f}, best fixed {reference.value:.3f} ({reference.name})"
    )


@pytest.mark.parametrize("sender", list(_cases()))
def test_each_learned_sender_persuades_a_learner_on_a_2x2_game(sender, letter, reference):
    _assert_persuades(sender, RECEIVER, letter, reference)


@pytest.mark.parametrize("sender", LEARNED)
def test_each_learned_sender_is_deterministic_given_the_seed(sender, letter):
    def play(seed):
        return simulate(letter, sender, "hedge", rounds=400, runs=2, seed=seed, bins=8)

    first, again, other = play(7), play(7), play(8)
    np.testing.assert_array_equal(first.run_sender_curve, again.run_sender_curve)
    np.testing.assert_array_equal(first.run_tail_sender_utility, again.run_tail_sender_utility)
    np.testing.assert_array_equal(first.final_sender_utility, again.final_sender_utility)
    # the seed matters: another seed draws other states, so other realised utilities
    assert not np.array_equal(first.run_sender_curve, other.run_sender_curve)


def test_learned_senders_declare_an_information_class_that_matches_what_they_read():
    receiver_keys = {"receiver_policy", "receiver_payoff"}
    classes = {}
    for name in LEARNED:
        agent = make_agent("sender", name)
        cls = information_class(agent)
        assert cls in (BLACK_BOX, WHITE_BOX, FULL_INFORMATION), name
        reads_receiver = bool(receiver_keys & set(getattr(agent, "observes", ())))
        assert reads_receiver == (cls != BLACK_BOX) or cls == FULL_INFORMATION, name
        classes[name] = cls
    # issue 16: Lin et al.'s sender reads the receiver's policy and payoff; TableNet is a
    # black-box sender
    assert classes["signaling_gradient"] == WHITE_BOX
    assert classes["tablenet"] == BLACK_BOX


#: The black-box senders the issue's targets are for (the best black-box learned sender and
#: TableNet), against the other learners that learn within the test's rounds
#: (``fictitious_play`` is the test above; ``actor_critic`` does not learn in so few rounds,
#: see the module docstring). Measured at seeds 0-4 (the test runs seed 0): margin_adaptive
#: meets the target on 19 of the 20 (seed, receiver) pairs (hedge at seed 2: 0.422 against
#: 0.547), TableNet on 16 (reinforce at seed 2, hedge at seeds 1 and 2, ucb at seed 3: by
#: 0.02-0.03).
BLACK_BOX_TARGETS = ("margin_adaptive", "tablenet")
FAST_LEARNERS = ("q_learning", "reinforce", "hedge", "ucb")


@pytest.fixture(scope="module")
def references(letter):
    """The best fixed scheme in hindsight against each fast learner, computed once."""
    return {
        receiver: best_fixed_scheme(letter, receiver, rounds=ROUNDS, runs=RUNS, seed=SEED)
        for receiver in FAST_LEARNERS
    }


@pytest.mark.parametrize("receiver", FAST_LEARNERS)
@pytest.mark.parametrize("sender", BLACK_BOX_TARGETS)
def test_the_black_box_senders_persuade_every_fast_learner_on_a_2x2_game(
    sender, receiver, letter, references
):
    # The letter's closed forms (module docstring): silence 0, full disclosure 1/3, LP 2/3.
    # Against greedy Q-learning the best fixed scheme is full disclosure (the learner locks
    # into "don't hire" under any persuasive scheme); against the others an LP scheme with
    # a margin. Either way the target is the issue's: beat no information, and come within
    # 0.1 of the best fixed scheme against the same learner, seed, runs and rounds.
    reference = references[receiver]
    assert full_disclosure_value(letter) - 0.02 <= reference.value <= 2 / 3 + 0.02
    _assert_persuades(sender, receiver, letter, reference)
