"""gradcheck on 1,000 NumPy functions with known gradients, each also mutated four ways.

Each function is a seeded composition: two features of the parameters (W v, W^T W, W sin(v),
...), an elementwise function each (smooth ones, and abs, ReLU, leaky ReLU with their kinks), a
reduction each (sum, mean, max, log-sum-exp, a norm), added. The parameters come in every
structure gradcheck accepts (a list of arrays, a list of (W, b) pairs, a dict with a float, a
tuple holding a dict holding a list of one number). One function in five has an entry set to
exactly 0, which puts the loss on a kink of abs or ReLU for many of them; others are scaled by 3
or by 1e-2. autograd supplies the reference gradient (the candidate), computed where gradcheck
asks, so checks beside a kink see the candidate's gradient there.

Mutations: the whole gradient times 2, negated, one entry off by 1e-3 of the gradient's scale,
and a 2-D gradient transposed (skipped when it is symmetric, where a transpose changes nothing).
No correct gradient may fail and no mutated one may pass; "inconclusive" is allowed only with
its reason, and for a small share of the correct ones (the loss varies by 1e-10 of its value
where the parameters are scaled by 1e-2: no finite difference in float64 can tell there).

The finite differences of each function are computed once and reused for its mutations
(``reference=``); one function in fifty is also checked afresh, to show that reuse changes
nothing.
"""

from __future__ import annotations

import math

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from verify import gradcheck
from verify.core.tree import flatten_tree, unflatten_tree

N_FUNCTIONS = 1000
MUTATIONS = ("x2", "negated", "entry_off", "transposed")

UNARY = {
    "sin": lambda x, xp: xp.sin(x),
    "cos": lambda x, xp: xp.cos(x),
    "tanh": lambda x, xp: xp.tanh(x),
    "exp": lambda x, xp: xp.exp(x / 4),
    "log1p_sq": lambda x, xp: xp.log1p(x * x),
    "sigmoid": lambda x, xp: 1 / (1 + xp.exp(-x)),
    "softplus": lambda x, xp: xp.logaddexp(0.0, x),
    "cube": lambda x, xp: x**3 / 3,
    "abs": lambda x, xp: xp.abs(x),
    "relu": lambda x, xp: xp.maximum(x, 0.0),
    "leaky_relu": lambda x, xp: xp.where(x > 0, x, 0.1 * x),
    "arctan": lambda x, xp: xp.arctan(x),
    "lorentz": lambda x, xp: 1 / (1 + x * x),
    "sqrt1p": lambda x, xp: xp.sqrt(1 + x * x),
}
REDUCTIONS = {
    "sum": lambda x, xp: xp.sum(x),
    "mean": lambda x, xp: xp.mean(x),
    "half_sq": lambda x, xp: 0.5 * xp.sum(x * x),
    "logsumexp": lambda x, xp: xp.log(xp.sum(xp.exp(x - 1.0))) + 1.0,
    "max": lambda x, xp: xp.max(x),
    "norm": lambda x, xp: xp.sqrt(1e-2 + xp.sum(x * x)),
}
FEATURES = {
    "Wv": lambda W, v, c, xp: c * xp.dot(W, v),
    "W": lambda W, v, c, xp: W * c,
    "WtW": lambda W, v, c, xp: xp.dot(W.T, W),
    "vW": lambda W, v, c, xp: v * xp.sum(W, axis=0) + c,
    "tanhW_v2": lambda W, v, c, xp: xp.dot(xp.tanh(W), v * v),
    "W_sin_v": lambda W, v, c, xp: W * xp.sin(v) - c * W * W,
}
STRUCTURES = ("list", "pairs", "dict", "nested")


def pack(structure, W, v, c):
    if structure == "list":
        return [W, v]
    if structure == "pairs":
        return [(W, v)]
    if structure == "dict":
        return {"W": W, "v": v, "c": c}
    return (W, {"v": v, "scale": [c]})


def unpack(structure, p):
    if structure == "list":
        return p[0], p[1], 1.0
    if structure == "pairs":
        return p[0][0], p[0][1], 1.0
    if structure == "dict":
        return p["W"], p["v"], p["c"]
    return p[0], p[1]["v"], p[1]["scale"][0]


def make_function(seed):
    """(name, loss(p, xp), params) of function ``seed``, or None when its values overflow."""
    rng = np.random.default_rng(seed)
    m, n = (int(k) for k in rng.integers(1, 5, size=2))
    W, v, c = rng.standard_normal((m, n)), rng.standard_normal(n), float(rng.uniform(0.5, 1.5))
    structure = STRUCTURES[seed % len(STRUCTURES)]
    (f1, f2), (u1, u2), (r1, r2) = (rng.choice(list(d), 2) for d in (FEATURES, UNARY, REDUCTIONS))
    variant = seed % 5
    if variant == 1:
        W[0, 0] = 0.0  # on a kink of abs, ReLU or leaky ReLU, for many of the compositions
    elif variant in (2, 3):
        scale = 3.0 if variant == 2 else 1e-2
        W, v, c = W * scale, v * scale, c * scale

    def loss(p, xp=np):
        W, v, c = unpack(structure, p)
        first = REDUCTIONS[r1](UNARY[u1](FEATURES[f1](W, v, c, xp), xp), xp)
        second = REDUCTIONS[r2](UNARY[u2](FEATURES[f2](W, v, c, xp), xp), xp)
        return first + 0.5 * second

    name = f"{seed}: {structure} {r1}({u1}({f1})) + {r2}({u2}({f2})), variant {variant}"
    params = pack(structure, W, v, c)
    with np.errstate(all="ignore"):
        value = loss(params)
    return (name, loss, params) if np.isfinite(value) and abs(value) < 1e8 else None


def autograd_gradient(loss):
    """The candidate: autograd's gradient of ``loss``, remembered per point (the mutations and
    the checks beside kinks ask for it at the same points again)."""
    grad = autograd.grad(lambda p: loss(p, anp))
    memory = {}

    def gradient(p):
        leaves, _, _ = flatten_tree(p)
        key = tuple(leaf.tobytes() for leaf in leaves)
        if key not in memory:
            with np.errstate(all="ignore"):
                memory[key] = grad(p)
        return memory[key]

    return gradient


def mutate(gradient, how: str, seed: int):
    """``gradient`` changed by ``how`` (the same entry for every call), or None when ``how``
    cannot change it."""
    leaves, _, tree = flatten_tree(gradient, "gradient")
    leaves = [np.array(leaf, dtype=np.float64) for leaf in leaves]
    if how == "x2":
        leaves = [2 * leaf for leaf in leaves]
    elif how == "negated":
        leaves = [-leaf for leaf in leaves]
    elif how == "entry_off":
        scale = math.sqrt(sum(float(np.sum(a * a)) for a in leaves) / sum(a.size for a in leaves))
        largest = max(range(len(leaves)), key=lambda i: leaves[i].size)
        flat = leaves[largest].reshape(-1)
        entry = int(np.random.default_rng(seed).integers(flat.size))
        flat[entry] += 1e-3 * max(abs(flat[entry]), scale)
    else:
        (first,) = [i for i, leaf in enumerate(leaves) if leaf.ndim == 2]
        if np.array_equal(leaves[first], leaves[first].T):
            return None
        leaves[first] = leaves[first].T.copy()
    return unflatten_tree(tree, [leaf if leaf.ndim else float(leaf) for leaf in leaves])


def mutant(candidate, how: str, seed: int):
    """A gradient function that returns ``candidate``'s gradient mutated by ``how``."""
    return lambda p: mutate(candidate(p), how, seed)


def check_all():
    """Every function and mutation: (verdicts, failures) over the whole suite."""
    verdicts: dict[tuple[str, str], int] = {}
    wrong, kinds, methods = [], set(), set()
    for seed in range(N_FUNCTIONS):
        made = make_function(seed)
        if made is None:
            continue
        name, loss, params = made
        candidate = autograd_gradient(loss)
        if not any(np.any(leaf) for leaf in flatten_tree(candidate(params))[0]):
            continue  # a zero gradient: x2 and negation change nothing
        report = gradcheck(loss, candidate, params)
        if seed % 50 == 0:
            again = gradcheck(loss, candidate, params, reference=report.reference)
            assert again.verdict == report.verdict and again.findings == report.findings, name
        reports = {"correct": report}
        for how in MUTATIONS:
            if mutate(candidate(params), how, seed) is not None:
                mutated = mutant(candidate, how, seed)
                reports[how] = gradcheck(loss, mutated, params, reference=report.reference)
        for how, checked in reports.items():
            verdicts[how, checked.verdict] = verdicts.get((how, checked.verdict), 0) + 1
            kinds.update(f.kind for f in checked.findings)
            methods.add(checked.settings["method"])
            passed_wrongly = how != "correct" and checked.passed
            if passed_wrongly or (how == "correct" and checked.verdict == "failed"):
                wrong.append(f"{name} [{how}]:\n{checked}")
            if checked.inconclusive and not checked.reason.startswith("inconclusive: "):
                wrong.append(f"{name} [{how}]: inconclusive without a reason:\n{checked}")
    return verdicts, wrong, kinds, methods


@pytest.fixture(scope="module")
def outcome():
    return check_all()


def test_no_correct_gradient_fails_and_no_mutated_one_passes(outcome):
    verdicts, wrong, _, _ = outcome
    assert not wrong, "\n\n".join(wrong[:5])
    n_correct = sum(n for (how, _), n in verdicts.items() if how == "correct")
    assert n_correct >= N_FUNCTIONS * 0.98  # overflowing or all-zero gradients are skipped
    for how in MUTATIONS:
        assert verdicts.get((how, "passed"), 0) == 0


def test_inconclusive_is_rare_and_every_mutation_is_mostly_caught(outcome):
    verdicts, _, _, _ = outcome
    n_correct = sum(n for (how, _), n in verdicts.items() if how == "correct")
    assert verdicts.get(("correct", "inconclusive"), 0) <= 0.02 * n_correct, verdicts
    for how in MUTATIONS:
        checked = sum(n for (kind, _), n in verdicts.items() if kind == how)
        assert verdicts.get((how, "failed"), 0) >= 0.98 * checked, (how, verdicts)


def test_the_suite_exercises_kinks_both_methods_and_named_bugs(outcome):
    _, _, kinds, methods = outcome
    assert methods == {"complex", "richardson"}
    assert {"ok", "kink", "scale", "sign", "transpose", "mismatch"} <= kinds
