"""The per-round rules of the built-in tabular agents, written once.

Every rule here is a plain function over NumPy arrays with explicit loops over the runs, in
the subset of Python that numba compiles. The agents' ``act`` / ``update`` call these very
functions, and the compiled round loop (:mod:`persuasion_env.compiled`) calls them too, so
the two paths cannot drift apart and agree draw for draw on the same seed. :func:`ready`
compiles them (numba, cached on disk) the first time an agent is reset; without numba they
run as plain Python, with the same results.

Conventions:

* an agent's mutable arrays are one ``state`` tuple; the functions change them in place;
* ``contexts`` / ``arms`` / ``states`` / ``messages`` / ``actions`` are int64 ``(B,)``;
* ``out`` is an int64 ``(B,)`` array the choice is written into;
* random draws come from the agent's own ``numpy.random.Generator``, run after run in
  order: uniform doubles only (``rng.random()``), one per tie-break among several maxima,
  one per exploration test, one per sampled choice.

Signatures of the protocol (:class:`persuasion_env.compiled.CompiledStep`):
senders ``act(state, states, out, rng)``, ``update(state, states, messages, actions,
rewards, rng)``; receivers ``act(state, messages, out, rng)``, ``update(state, messages,
actions, rewards, rng)``, ``observe(state, messages, states)``.
"""

from __future__ import annotations

import math

import numpy as np

from persuasion_env._jit import compile_module, kernel_rng

# ------------------------------------------------------------------ shared helpers


def argmax_random(values, rng):
    """Index of a maximum of the 1-D ``values``; among several maxima, one uniformly at
    random (one draw, only when there is a tie)."""
    best = values[0]
    ties = 1
    pick = 0
    for k in range(1, values.shape[0]):
        v = values[k]
        if v > best:
            best = v
            ties = 1
            pick = k
        elif v == best:
            ties += 1
    if ties == 1:
        return pick
    j = int(rng.random() * ties)
    for k in range(values.shape[0]):
        if values[k] == best:
            if j == 0:
                return k
            j -= 1
    return pick


def sample_index(probabilities, rng):
    """One draw from the 1-D distribution ``probabilities`` (inverse CDF, one uniform).

    Same arithmetic as ``agents._sampling.sample_rows``: the running sum compared with
    ``u * total``, clipped to the last index.
    """
    total = 0.0
    for k in range(probabilities.shape[0]):
        total += probabilities[k]
    u = rng.random() * total
    index = 0
    running = 0.0
    for k in range(probabilities.shape[0]):
        running += probabilities[k]
        if running < u:
            index += 1
    return min(index, probabilities.shape[0] - 1)


def softmax_into(logits, out):
    """``out = softmax(logits)`` for 1-D arrays (shifted by the maximum for stability)."""
    top = logits[0]
    for k in range(1, logits.shape[0]):
        top = max(top, logits[k])
    total = 0.0
    for k in range(logits.shape[0]):
        out[k] = math.exp(logits[k] - top)
        total += out[k]
    for k in range(logits.shape[0]):
        out[k] /= total


def linear_schedule(start, end, rounds, t):
    """``start`` moving linearly to ``end`` over ``rounds`` rounds, then ``end``."""
    if rounds <= 0 or t >= rounds:
        return end
    return start + (end - start) * t / rounds


def argmax_rows(values, out, rng):
    """:func:`argmax_random` of each row of a 2-D array into ``out``."""
    for i in range(values.shape[0]):
        out[i] = argmax_random(values[i], rng)


# ------------------------------------------------------------------ Q-learning
# state = (q (B, C, K), params [alpha, epsilon, epsilon_final, decay_rounds], t (1,))


def q_choose(state, contexts, out, rng):
    """Epsilon-greedy on ``q[b, c]``: greedy (ties at random), then with probability
    epsilon (linear schedule) a uniformly random arm."""
    q, params, t = state
    eps = linear_schedule(params[1], params[2], params[3], t[0])
    arms = q.shape[2]
    for b in range(contexts.shape[0]):
        arm = argmax_random(q[b, contexts[b]], rng)
        if eps > 0.0 and rng.random() < eps:
            arm = int(rng.random() * arms)
        out[b] = arm


def q_learn(state, contexts, arms, rewards, rng):
    """``Q[c, k] += alpha (r - Q[c, k])``; one more round of the epsilon schedule."""
    q, params, t = state
    alpha = params[0]
    for b in range(contexts.shape[0]):
        c, k = contexts[b], arms[b]
        q[b, c, k] += alpha * (rewards[b] - q[b, c, k])
    t[0] += 1


# ------------------------------------------------------------------ REINFORCE
# state = (h (B, C, K), v (B, C), probs (B, K), params [alpha, alpha_critic])


def reinforce_choose(state, contexts, out, rng):
    """Sample from ``softmax(h[b, c])``, keeping the probabilities for the update."""
    h, v, probs, params = state
    for b in range(contexts.shape[0]):
        softmax_into(h[b, contexts[b]], probs[b])
        out[b] = sample_index(probs[b], rng)


def reinforce_learn(state, contexts, arms, rewards, rng):
    """``delta = r - v[c]``, ``v[c] += alpha_critic delta``,
    ``h[c, .] += alpha delta (onehot(k) - p)`` with ``p`` the probabilities played."""
    h, v, probs, params = state
    alpha, alpha_critic = params[0], params[1]
    for b in range(contexts.shape[0]):
        c = contexts[b]
        delta = rewards[b] - v[b, c]
        v[b, c] += alpha_critic * delta
        step = alpha * delta
        for k in range(h.shape[2]):
            grad = (1.0 if k == arms[b] else 0.0) - probs[b, k]
            h[b, c, k] += step * grad


# ------------------------------------------------------------------ EXP3 / Hedge
# state = (log_weights (B, C, K), probs (B, K), params [eta, gamma])


def exp3_choose(state, contexts, out, rng):
    """Sample from ``(1 - gamma) softmax(logw[b, c]) + gamma / K``."""
    log_weights, probs, params = state
    gamma = params[1]
    arms = log_weights.shape[2]
    for b in range(contexts.shape[0]):
        p = probs[b]
        softmax_into(log_weights[b, contexts[b]], p)
        for k in range(arms):
            p[k] = (1.0 - gamma) * p[k] + gamma / arms
        out[b] = sample_index(p, rng)


def exp3_learn(state, contexts, arms, rewards, rng):
    """Gain ``g = clip((r + 1) / 2, 0, 1)``; ``logw[c, k] += eta g / p(k)``."""
    log_weights, probs, params = state
    eta = params[0]
    for b in range(contexts.shape[0]):
        gain = min(max((rewards[b] + 1.0) / 2.0, 0.0), 1.0)
        k = arms[b]
        log_weights[b, contexts[b], k] += eta * gain / probs[b, k]


# ------------------------------------------------------------------ UCB
# state = (counts (B, C, K), sums (B, C, K), index (K,), params [c_explore, discount], t (1,))


def ucb_choose(state, contexts, out, rng):
    """``argmax_k mean[c, k] + c_explore sqrt(2 ln n[c] / n[c, k])``, untried arms first
    (an infinite index), ties at random."""
    counts, sums, index, params, t = state
    c_explore = params[0]
    arms = counts.shape[2]
    for b in range(contexts.shape[0]):
        c = contexts[b]
        total = 0.0
        for k in range(arms):
            total += counts[b, c, k]
        log_total = math.log(max(total, 1.0))
        for k in range(arms):
            n = counts[b, c, k]
            if n > 0:
                index[k] = sums[b, c, k] / n + c_explore * math.sqrt(2.0 * log_total / n)
            else:
                index[k] = np.inf
        out[b] = argmax_random(index, rng)


def ucb_learn(state, contexts, arms, rewards, rng):
    """Discount context ``c``'s counts and sums (``discount < 1``), then add the reward."""
    counts, sums, index, params, t = state
    discount = params[1]
    for b in range(contexts.shape[0]):
        c, k = contexts[b], arms[b]
        if discount < 1.0:
            for j in range(counts.shape[2]):
                counts[b, c, j] *= discount
                sums[b, c, j] *= discount
        counts[b, c, k] += 1.0
        sums[b, c, k] += rewards[b]
    t[0] += 1


# ------------------------------------------------------------------ bandit senders
# A bandit sender's context is the state and its arms the messages; it ignores the action.


def q_sender_update(state, states, messages, actions, rewards, rng):
    q_learn(state, states, messages, rewards, rng)


def reinforce_sender_update(state, states, messages, actions, rewards, rng):
    reinforce_learn(state, states, messages, rewards, rng)


def exp3_sender_update(state, states, messages, actions, rewards, rng):
    exp3_learn(state, states, messages, rewards, rng)


def ucb_sender_update(state, states, messages, actions, rewards, rng):
    ucb_learn(state, states, messages, rewards, rng)


# ------------------------------------------------------------------ fictitious play
# state = (counts (B, M, S), utilities (1 or B, S, A), values (A,), params [discount])


def fp_values(counts, utility, out):
    """Expected ``u2`` of each action under the posterior ``counts / sum(counts)``."""
    total = 0.0
    for s in range(counts.shape[0]):
        total += counts[s]
    for a in range(utility.shape[1]):
        value = 0.0
        for s in range(counts.shape[0]):
            value += counts[s] / total * utility[s, a]
        out[a] = value


def fp_act(state, messages, out, rng):
    """Best response to the empirical posterior of the message, ties at random."""
    counts, utilities, values, params = state
    per_run = utilities.shape[0] > 1
    for b in range(messages.shape[0]):
        fp_values(counts[b, messages[b]], utilities[b if per_run else 0], values)
        out[b] = argmax_random(values, rng)


def fp_all_values(state, out):
    """:func:`fp_values` of every run and message into ``out`` ``(B, M, A)``."""
    counts, utilities, values, params = state
    per_run = utilities.shape[0] > 1
    for b in range(counts.shape[0]):
        for m in range(counts.shape[1]):
            fp_values(counts[b, m], utilities[b if per_run else 0], out[b, m])


def no_update(state, messages, actions, rewards, rng):
    """A receiver that learns nothing from its payoffs."""


def fp_observe(state, messages, states):
    """Discount the message's state counts, then count the realised state."""
    counts, utilities, values, params = state
    discount = params[0]
    for b in range(messages.shape[0]):
        m = messages[b]
        if discount < 1.0:
            for s in range(counts.shape[2]):
                counts[b, m, s] *= discount
        counts[b, m, states[b]] += 1.0


def no_observe(state, messages, states):
    """A receiver that does not learn the state."""


# ------------------------------------------------------------------ explicit receivers


def table_act(state, messages, out, rng):
    """Best response: the action of a deterministic table ``actions[b, m]``."""
    actions = state[0]
    for b in range(messages.shape[0]):
        out[b] = actions[b, messages[b]]


def response_sample_act(state, messages, out, rng):
    """Quantal response: sample from the response table ``table[b, m]``."""
    table = state[0]
    for b in range(messages.shape[0]):
        out[b] = sample_index(table[b, messages[b]], rng)


# ------------------------------------------------------------------ scheme senders
# state = (cumulative (B, S, M),): each row's running sums, the last forced to 1


def scheme_act(state, states, out, rng):
    """Draw each run's message from its scheme row (one uniform per run)."""
    cumulative = state[0]
    for b in range(states.shape[0]):
        row = cumulative[b, states[b]]
        u = rng.random()
        index = 0
        for m in range(row.shape[0]):
            if row[m] < u:
                index += 1
        out[b] = index


def scheme_sample_act(state, states, out, rng):
    """Draw each run's message from its scheme ``schemes[b, s]`` (:func:`sample_index`)."""
    schemes = state[0]
    for b in range(states.shape[0]):
        out[b] = sample_index(schemes[b, states[b]], rng)


def batch_statistics_update(state, messages, actions, rewards, rng):
    """Count each (message, action) and sum its rewards over the current batch.
    state = (cumulative (B, M, A), counts (B, M, A), reward_sums (B, M, A), in_batch (1,))"""
    cumulative, counts, reward_sums, in_batch = state
    for b in range(messages.shape[0]):
        counts[b, messages[b], actions[b]] += 1.0
        reward_sums[b, messages[b], actions[b]] += rewards[b]
    in_batch[0] += 1


def no_sender_update(state, states, messages, actions, rewards, rng):
    """A sender that learns nothing from the round."""


# state = (schemes (B, S, M), counts (B, M, A), params [observe_from, epoch_rounds, done],
#          t (1,))


def epoch_count_update(state, states, messages, actions, rewards, rng):
    """Count the receiver's actions per message over the observed end of the epoch."""
    schemes, counts, params, t = state
    if params[2] > 0.0:  # done: the final scheme is kept for good
        return
    if t[0] >= params[0]:
        for b in range(messages.shape[0]):
            counts[b, messages[b], actions[b]] += 1.0
    t[0] += 1


# ------------------------------------------------------------------ Info-Q / Info-Policy
# state = (q (B, S, M), expected (B, S) int64, weight (B, S), mass (B, M), scores (M,),
#          params [alpha, weight_by_frequency])


def info_q_act(state, states, out, rng):
    """Send ``argmax_m P(s | m)`` under the greedy messages ``e(s)`` (ties at random)."""
    q, expected, weight, mass, scores, params = state
    by_frequency = params[1] > 0.0
    for b in range(states.shape[0]):
        s = states[b]
        own = expected[b, s]
        if by_frequency:  # the current state counts toward f before inference
            weight[b, s] += 1.0
            mass[b, own] += 1.0
        for m in range(scores.shape[0]):
            scores[m] = 1.0 if mass[b, m] == 0.0 else 0.0
        scores[own] = weight[b, s] / mass[b, own]
        out[b] = argmax_random(scores, rng)


def info_q_update(state, states, messages, actions, rewards, rng):
    """``Q[s, m] += alpha (r - Q[s, m])``; recompute ``e(s)`` (fresh tie-break) and move
    the state's weight to its new message."""
    q, expected, weight, mass, scores, params = state
    alpha = params[0]
    for b in range(states.shape[0]):
        s, m = states[b], messages[b]
        q[b, s, m] += alpha * (rewards[b] - q[b, s, m])
        new = argmax_random(q[b, s], rng)
        old = expected[b, s]
        if new != old:
            w = weight[b, s]
            mass[b, old] -= w
            mass[b, new] += w
            expected[b, s] = new


# ------------------------------------------------------------------ ModelR
# state = (q (B, S, A), model (B, M, A), predicted (B, M) int64, values (M,),
#          params [alpha, epsilon, epsilon_decay, model_alpha], t (1,))


def modelr_act(state, states, out, rng):
    """The message whose predicted action pays most (ties at random); with probability
    ``max(0, epsilon - decay t)`` a random message."""
    q, model, predicted, values, params, t = state
    eps = max(0.0, params[1] - params[2] * t[0])
    n_messages = predicted.shape[1]
    for b in range(states.shape[0]):
        s = states[b]
        for m in range(n_messages):
            values[m] = q[b, s, predicted[b, m]]
        message = argmax_random(values, rng)
        if eps > 0.0 and rng.random() < eps:
            message = int(rng.random() * n_messages)
        out[b] = message


def modelr_update(state, states, messages, actions, rewards, rng):
    """Learn ``Q[s, a]``; move the model of message ``m`` toward the action seen and
    predict its most frequent action (ties at random)."""
    q, model, predicted, values, params, t = state
    alpha, model_alpha = params[0], params[3]
    for b in range(states.shape[0]):
        s, m, a = states[b], messages[b], actions[b]
        q[b, s, a] += alpha * (rewards[b] - q[b, s, a])
        seen = model[b, m]
        for k in range(seen.shape[0]):
            seen[k] *= 1.0 - model_alpha
        seen[a] += model_alpha
        predicted[b, m] = argmax_random(seen, rng)
    t[0] += 1


# ------------------------------------------------------------------ compilation

KERNELS = (
    "argmax_random",
    "sample_index",
    "softmax_into",
    "linear_schedule",
    "argmax_rows",
    "q_choose",
    "q_learn",
    "reinforce_choose",
    "reinforce_learn",
    "exp3_choose",
    "exp3_learn",
    "ucb_choose",
    "ucb_learn",
    "q_sender_update",
    "reinforce_sender_update",
    "exp3_sender_update",
    "ucb_sender_update",
    "fp_values",
    "fp_act",
    "fp_all_values",
    "no_update",
    "fp_observe",
    "no_observe",
    "table_act",
    "response_sample_act",
    "scheme_act",
    "scheme_sample_act",
    "no_sender_update",
    "batch_statistics_update",
    "epoch_count_update",
    "info_q_act",
    "info_q_update",
    "modelr_act",
    "modelr_update",
)


def ready() -> bool:
    """Compile the kernels (once; numba's disk cache makes later processes fast).
    Returns whether they are compiled; if not, they run as plain Python."""
    return compile_module(globals(), KERNELS)


def as_index(values: np.ndarray) -> np.ndarray:
    """``values`` as the int64 array the kernels take (no copy when it already is one)."""
    return np.asarray(values, dtype=np.int64)


def choose(kernel, state, contexts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Call an ``act``-style kernel from Python: a fresh int64 ``(B,)`` of choices."""
    contexts = as_index(contexts)
    out = np.empty(contexts.shape[0], dtype=np.int64)
    kernel(state, contexts, out, kernel_rng(rng))
    return out
