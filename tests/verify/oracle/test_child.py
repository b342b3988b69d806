"""The oracle's child process: what the parent concludes from how it ended, and that nothing it
started outlives it."""

from __future__ import annotations

import _thread
import os
import threading
import time
from pathlib import Path

import pytest

from verify.oracle.child import STRAY_LIMIT, run_isolated

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")

MODULE = """
import json, os, subprocess, sys, threading, time, warnings
import numpy as np

def correct(params, X, y):
    (W, b), = params
    delta = (X @ W.T + b - y) / len(X)
    return [(delta.T @ X, delta.sum(axis=0))]

def spawns_and_sleeps(params, X, y):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(os.environ["CHAINRULE_TEST_PIDS"], "w") as pids:
        pids.write(f"{os.getpid()} {child.pid}")
    time.sleep(600)

def floods(params, X, y):
    for _ in range(20000):
        print("x" * 50)
    print(json.dumps({"report": {"passed": True}}))  # looks like the protocol: it is not
    return correct(params, X, y)

def warns(params, X, y):
    for _ in range(3):
        warnings.warn("check your inputs", UserWarning)
    return correct(params, X, y)

def leaves_a_thread(params, X, y):
    threading.Thread(target=time.sleep, args=(600,)).start()  # not a daemon
    return correct(params, X, y)
"""

OPTIONS = {
    "sizes": [2, 1],
    "activations": "identity",
    "cost": "squared_error",
    "layout": "rows",
    "reduction": "mean",
    "dtype": "float64",
    "seed": 0,
    "n_samples": 4,
}


@pytest.fixture
def user(tmp_path, monkeypatch):
    (tmp_path / "user.py").write_text(MODULE)
    monkeypatch.setenv("CHAINRULE_TEST_PIDS", str(tmp_path / "pids"))
    return tmp_path


def check(user, name, timeout=60.0):
    return run_isolated(
        {**OPTIONS, "function": f"{user / 'user.py'}:{name}"}, timeout=timeout, memory_limit=None
    )


def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (reaped, or a zombie of a parent that is gone)."""
    for _ in range(200):  # polled, not timed: up to about 10 s for the kernel to reap it
        try:
            status = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if status == "Z":
            return True
        time.sleep(0.05)
    return False


def pids(user) -> list[int]:
    for _ in range(200):
        path = user / "pids"
        if path.exists() and path.read_text():
            return [int(pid) for pid in path.read_text().split()]
        time.sleep(0.05)
    raise AssertionError("the function never started")


def test_a_hang_is_killed_with_everything_it_started(user):
    outcome = check(user, "spawns_and_sleeps", timeout=3.0)
    assert outcome.report["verdict"] == "failed"
    assert "did not finish within 3 s" in outcome.report["summary"]
    child, grandchild = pids(user)
    assert gone(child) and gone(grandchild)


def test_ctrl_c_in_the_parent_kills_the_child(user):
    def interrupt_when_started():
        pids(user)
        _thread.interrupt_main()

    timer = threading.Thread(target=interrupt_when_started, daemon=True)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        check(user, "spawns_and_sleeps")
    timer.join()
    child, grandchild = pids(user)
    assert gone(child) and gone(grandchild)


def test_stray_output_is_kept_apart_and_cut(user):
    outcome = check(user, "floods")
    assert outcome.report["verdict"] == "passed"  # the fake protocol line did not count
    assert outcome.stray_bytes > 20000 * 50 and len(outcome.stray) <= STRAY_LIMIT


def test_warnings_come_back_once_each(user):
    outcome = check(user, "warns")
    assert outcome.warnings == ["UserWarning: check your inputs"]
    assert outcome.stray == ""


def test_a_thread_left_running_does_not_hold_the_answer_back(user):
    outcome = check(user, "leaves_a_thread", timeout=30.0)
    assert outcome.report["verdict"] == "passed"  # not a timeout: the child ends itself


def test_an_oracle_failure_in_the_child_is_said_not_left_to_an_exit_code(user):
    # check_gradients itself failing (a bug of the oracle's) must come back as an internal error.
    outcome = run_isolated(
        {**OPTIONS, "function": f"{user / 'user.py'}:correct", "no_such_option": 1},
        timeout=60.0,
        memory_limit=None,
    )
    assert outcome.error in ("usage", "internal") and outcome.report is None
    assert "no_such_option" in outcome.message
