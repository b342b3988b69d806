"""Hostile user code: none of it passes wrongly, crashes the oracle or hangs it.

Through the API (``check_gradients``, ``gradcheck``): functions that raise (SystemExit and
GeneratorExit included), recurse without end, return themselves, endless or absurdly large
objects, change NumPy's and Python's global state, print, modify their inputs, or compute their
loss in float32 or with noise while their gradient is wrong. Through the command line
(``chainrule oracle``, in-process via ``verify.cli.main``; the function itself always runs in a
child process): the same, plus ``os._exit``, a hang (a short ``--timeout``), a memory hog (a small
``--memory-limit``) and a module that exits or dies while it is imported.
"""

from __future__ import annotations

import json
import random
import textwrap

import numpy as np
import pytest

from verify import check_gradients, gradcheck
from verify.cli import main

ARCH = {"sizes": [3, 4, 2], "activations": ["tanh", "identity"], "cost": "squared_error"}


def correct(params, X, y):
    """Rows layout, tanh hidden layer, identity output, squared error, mean over the batch."""
    acts = [X]
    for m, (W, b) in enumerate(params):
        z = acts[-1] @ W.T + b
        acts.append(z if m == len(params) - 1 else np.tanh(z))
    delta = (acts[-1] - y) / len(X)
    grads = []
    for m in range(len(params) - 1, -1, -1):
        grads.append((delta.T @ acts[m], delta.sum(axis=0)))
        if m:
            delta = (delta @ params[m][0]) * (1 - acts[m] ** 2)
    return grads[::-1]


def self_referential(*args):
    loop = []
    loop.append(loop)
    return loop


def recurse(*args):
    return recurse(*args)


class ExitsWhenIterated:
    def __iter__(self):
        raise SystemExit(0)


def endless(*args):
    while True:
        yield np.zeros(3)


def raises(error):
    def function(*args):
        raise error

    return function


HOSTILE = {
    "ValueError": raises(ValueError("boom")),
    "SystemExit": raises(SystemExit(0)),
    "GeneratorExit": raises(GeneratorExit()),
    "RecursionError": recurse,
    "MemoryError": raises(MemoryError()),
    "self-referential": self_referential,
    "self-referential pair": lambda *a: [self_referential(), self_referential()],
    "broadcast 1e12": lambda *a: [(np.broadcast_to(0.0, (10**12,)), np.zeros(4))] * 2,
    "endless generator": endless,
    "exits when iterated": lambda *a: ExitsWhenIterated(),
    "None": lambda *a: None,
    "a string": lambda *a: "gradient",
    "a dict": lambda *a: {"W": 1.0},
    "NaN": lambda *a: [(np.full_like(W, np.nan), np.full_like(b, np.nan)) for W, b in a[0]],
    "object arrays": lambda *a: [np.array([None, None], dtype=object)] * 2,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_check_gradients_reports_what_hostile_code_did(name):
    report = check_gradients(HOSTILE[name], **ARCH)
    assert not report.passed and not report.inconclusive
    assert report.failures()
    text = str(report)  # and the report renders
    assert "FAILED" in text


@pytest.mark.parametrize("name", list(HOSTILE))
def test_gradcheck_reports_what_hostile_code_did(name):
    params = [np.array([0.5, -0.3]), np.array([[1.0, 2.0], [0.1, 0.2]])]

    def loss(p):
        return float(np.sum(np.sin(p[0])) + np.sum(p[1] ** 2))

    report = gradcheck(loss, HOSTILE[name], params)
    assert not report.passed and report.failures()
    hostile_loss = gradcheck(HOSTILE[name], lambda p: [np.cos(p[0]), 2 * p[1]], params)
    assert not hostile_loss.passed and hostile_loss.failures()
    assert "loss_fn" in str(hostile_loss)


def test_exit_findings_say_what_was_tried():
    report = check_gradients(raises(SystemExit(3)), **ARCH)
    assert "grad_fn raised SystemExit: 3 (it tried to end the process)" in report.summary
    report = check_gradients(self_referential, **ARCH)
    assert "contains itself" in report.summary
    report = check_gradients(HOSTILE["broadcast 1e12"], **ARCH)
    assert "far more than expected" in report.summary


def test_ctrl_c_still_stops_the_check():
    with pytest.raises(KeyboardInterrupt):
        check_gradients(raises(KeyboardInterrupt()), **ARCH)
    with pytest.raises(KeyboardInterrupt):
        gradcheck(raises(KeyboardInterrupt()), lambda p: p, [np.ones(2)])


def test_global_state_is_restored_and_does_not_reach_the_oracle():
    # NumPy's legacy global random state is what user code changes, so it is what is tested.
    def vandal(params, X, y):
        np.seterr(all="raise")  # the oracle's own arithmetic must not start raising
        np.seterrcall(print)
        np.random.seed(123)  # noqa: NPY002
        random.seed(123)
        return correct(params, X, y)

    np.random.seed(7)  # noqa: NPY002
    random.seed(7)
    errors, python_state = np.geterr(), random.getstate()
    numpy_state = np.random.get_state()  # noqa: NPY002
    report = check_gradients(vandal, **ARCH)
    assert report.passed, str(report)
    assert np.geterr() == errors and np.geterrcall() is None
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])  # noqa: NPY002
    assert random.getstate() == python_state

    def vandal_loss(p):
        np.seterr(all="raise")
        np.random.seed(1)  # noqa: NPY002
        return float(np.sum(p[0] ** 2))

    report = gradcheck(vandal_loss, lambda p: [2 * p[0]], [np.array([1.0, 2.0])])
    assert report.passed, str(report)
    assert np.geterr() == errors
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])  # noqa: NPY002


def test_a_loss_that_modifies_its_input_cannot_spoil_the_reference():
    def loss(p):
        value = float(np.sum(p[0] ** 2))
        p[0][:] = 1e6  # the oracle hands copies
        return value

    report = gradcheck(loss, lambda p: [2 * p[0]], [np.array([1.0, -2.0])])
    assert report.passed, str(report)
    report = gradcheck(loss, lambda p: [3 * p[0]], [np.array([1.0, -2.0])])
    assert not report.passed and report.findings[0].kind == "scale"


def test_prints_do_not_disturb_the_api(capsys):
    def chatty(params, X, y):
        print("debugging output")
        return correct(params, X, y)

    assert check_gradients(chatty, **ARCH).passed
    assert "debugging output" in capsys.readouterr().out  # the API leaves prints alone


# -- losses that hide a wrong gradient ----------------------------------------------------------

RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal((6, 3)), RNG.standard_normal((6, 2))
PARAMS = [
    (RNG.standard_normal((4, 3)) / 2, RNG.standard_normal(4) / 2),
    (RNG.standard_normal((2, 4)) / 2, RNG.standard_normal(2) / 2),
]


def network_loss(params, dtype=np.float64):
    a = X.astype(dtype)
    for m, (W, b) in enumerate(params):
        z = a @ np.asarray(W, dtype).T + np.asarray(b, dtype)
        a = z if m == len(params) - 1 else np.tanh(z)
    return 0.5 * ((a - Y.astype(dtype)) ** 2).sum() / len(X)


def network_gradient(params, bias_factor=1.0, weights=None):
    grads = correct([(np.asarray(W), np.asarray(b)) for W, b in params], X, Y)
    return [
        (dW if weights is None else weights(W), bias_factor * db)
        for (dW, db), (W, _) in zip(grads, params)
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("factor", [2.0, -1.0, 0.0])
def test_a_float32_loss_does_not_hide_a_wrong_bias_gradient(dtype, factor):
    # The issue: with a float32 loss, bias x2, x-1 and x0 all passed, labelled "kink".
    params = [(W.astype(dtype), b.astype(dtype)) for W, b in PARAMS]

    def loss(p):
        return network_loss(p, np.float32)

    report = gradcheck(loss, lambda p: network_gradient(p, factor), params)
    assert report.verdict == "failed", str(report)
    assert {f.kind for f in report.findings if f.param == "b"} <= {"scale", "sign", "mismatch"}
    assert "kink" not in {f.kind for f in report.findings}
    report = gradcheck(loss, network_gradient, params)
    assert report.passed, str(report)
    assert report.settings["loss_precision"]["dtype"] == "float32"


def test_a_noisy_loss_does_not_hide_a_wrong_gradient():
    # The issue: a loss with 1e-3 noise let 1000 W + 7 pass with four "kink" findings.
    noise = np.random.default_rng(1)

    def loss(p):
        return network_loss(p) + 1e-3 * noise.standard_normal()

    report = gradcheck(loss, lambda p: network_gradient(p, weights=lambda W: 1000 * W + 7), PARAMS)
    assert report.verdict == "failed", str(report)
    assert [f.kind for f in report.findings if f.param == "W"] == ["mismatch", "mismatch"]
    report = gradcheck(loss, network_gradient, PARAMS)  # right, but the noise cannot tell
    assert report.verdict == "inconclusive" and not report.passed
    assert "it changes between calls at the same point (it is random)" in report.reason
    assert report.summary.startswith("inconclusive: ")


# -- the command line ---------------------------------------------------------------------------

MODULE = """
import os, sys, time
import numpy as np

def correct(params, X, y):
    acts = [X]
    for m, (W, b) in enumerate(params):
        z = acts[-1] @ W.T + b
        acts.append(z if m == len(params) - 1 else np.tanh(z))
    delta = (acts[-1] - y) / len(X)
    grads = []
    for m in range(len(params) - 1, -1, -1):
        grads.append((delta.T @ acts[m], delta.sum(axis=0)))
        if m:
            delta = (delta @ params[m][0]) * (1 - acts[m] ** 2)
    return grads[::-1]

def raises(params, X, y):
    raise ValueError("boom")

def exits(params, X, y):
    sys.exit(0)

def hard_exit(params, X, y):
    os._exit(0)

def sleeps(params, X, y):
    time.sleep(600)

def recursion(params, X, y):
    return recursion(params, X, y)

def loop(params, X, y):
    l = []
    l.append(l)
    return l

def huge(params, X, y):
    return [(np.broadcast_to(0.0, (10**12,)), b) for W, b in params]

def hog(params, X, y):
    return [np.ones(2**28) for _ in range(20)]

def chatty(params, X, y):
    print("stray output from the user's code")
    os.write(1, b"written straight to file descriptor 1\\n")
    return correct(params, X, y)

def bias_doubled(params, X, y):
    return [(dW, 2 * db) for dW, db in correct(params, X, y)]

def noisy(params, X, y):
    rng = np.random.default_rng()
    return [(dW + 1e-3 * rng.standard_normal(dW.shape), db) for dW, db in correct(params, X, y)]
"""

IMPORT_TIME = {
    "exits_at_import": "import sys\nsys.exit(0)\n",
    "raises_at_import": "raise RuntimeError('no')\n",
    "dies_at_import": "import os\nos._exit(0)\n",
}


@pytest.fixture(scope="module")
def modules(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "user.py").write_text(MODULE)
    for name, source in IMPORT_TIME.items():
        (folder / f"{name}.py").write_text(source)
    return folder


def oracle(spec, *extra):
    args = ["oracle", spec, "--sizes", "3,4,2", "--activation", "tanh,identity"]
    return main([*args, "--cost", "squared_error", "--format", "json", *extra])


@pytest.mark.parametrize(
    ("function", "extra", "says"),
    [
        ("raises", (), "grad_fn raised ValueError: boom"),
        ("exits", (), "grad_fn raised SystemExit: 0 (it tried to end the process)"),
        ("hard_exit", (), "grad_fn ended the process with exit code 0"),
        ("sleeps", ("--timeout", "1"), "grad_fn did not finish within 1 s (--timeout)"),
        ("recursion", (), "grad_fn raised RecursionError"),
        ("loop", (), "contains itself"),
        ("huge", (), "far more than expected"),
        ("hog", ("--memory-limit", "256M"), "MemoryError"),
        ("bias_doubled", ("--dtype", "float32"), "scaled by 2"),
        ("noisy", (), "mismatch"),
    ],
)
def test_the_oracle_command_reports_hostile_functions_as_failures(
    modules, capsys, function, extra, says
):
    assert oracle(f"{modules / 'user.py'}:{function}", *extra) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)  # the output stays parseable
    assert report["verdict"] == "failed" and not report["passed"]
    assert says in report["summary"] + " ".join(f["detail"] for f in report["findings"])
    assert "Traceback" not in captured.err


def test_prints_are_kept_off_the_json_report(modules, capsys):
    assert oracle(f"{modules / 'user.py'}:chatty") == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["verdict"] == "passed"
    assert "stray output from the user's code" in captured.err
    assert "written straight to file descriptor 1" in captured.err
    assert "shown here and kept off the report" in captured.err


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("exits_at_import", "SystemExit: 0"),
        ("raises_at_import", "RuntimeError: no"),
        ("dies_at_import", "ended the process with exit code 0"),
    ],
)
def test_a_module_that_dies_at_import_could_not_run(modules, capsys, name, says):
    assert oracle(f"{modules / name}.py:correct") == 3
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("chainrule oracle: error: ") and says in line


def test_the_module_spec_imports_from_the_current_directory(modules, monkeypatch, capsys):
    monkeypatch.chdir(modules)
    assert oracle("user:correct") == 0
    assert json.loads(capsys.readouterr().out)["passed"]


def test_source_problems_are_found_without_running_anything(tmp_path, capsys):
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "binary.py").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin.py").write_bytes(b"x = '\xe9'\n")
    for name, says in [
        ("broken.py", "broken.py, line 1: SyntaxError"),
        ("binary.py", "is not Python source (it holds NUL bytes"),
        ("latin.py", "is not Python source text"),
    ]:
        assert oracle(f"{tmp_path / name}:f") == 3
        err = capsys.readouterr().err
        assert says in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    text = textwrap.dedent(MODULE)
    assert "def correct" in text  # the fixture module itself compiles: checked by the tests above
