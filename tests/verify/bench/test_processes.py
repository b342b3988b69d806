"""Timing in separate processes: the protocol, the alternation, the statistics, the errors."""

import os

import pytest

from verify.bench import processes
from verify.bench.processes import Timing, Worker, WorkerError, time_in_processes

BUILDER = "tests.verify.bench.test_processes:build_pid_writer"


def build_pid_writer(path: str, fail: bool = False):
    """A contender that appends its process id to ``path`` on every call."""
    if fail:
        raise RuntimeError("cannot build this contender")

    def call():
        with open(path, "a") as file:
            file.write(f"{os.getpid()}\n")

    return call


def test_each_contender_runs_in_its_own_process_in_alternating_rounds(tmp_path):
    paths = {name: tmp_path / f"{name}.txt" for name in ("a", "b")}
    contenders = {name: (BUILDER, {"path": str(path)}) for name, path in paths.items()}
    original = Worker.time
    order = []

    def recording(self, builder, spec, **kwargs):
        order.append(self.name)
        return original(self, builder, spec, **kwargs)

    Worker.time = recording
    try:
        timings = time_in_processes(
            contenders, threads=1, rounds=3, min_time=0.0, blocks=2, pause=0.0
        )
    finally:
        Worker.time = original
    assert order == ["a", "b", "b", "a", "a", "b"]  # round r starts from the r-th contender
    pids = {name: set(path.read_text().split()) for name, path in paths.items()}
    assert all(len(p) == 1 for p in pids.values())  # one process each, kept for every round
    assert pids["a"] != pids["b"] and str(os.getpid()) not in pids["a"] | pids["b"]
    assert all(len(t.samples) == 3 and t.best > 0 for t in timings.values())


def test_timing_statistics():
    a, b = Timing((1.0, 3.0, 2.0)), Timing((2.0, 2.0, 4.0))
    assert (a.median, a.best, a.spread) == (2.0, 1.0, 1.0)
    assert a.ratio(b) == 0.5  # per round 0.5, 1.5, 0.5: the median
    with pytest.raises(ValueError):
        a.ratio(Timing((1.0,)))


def test_a_failing_contender_raises_with_the_workers_traceback(tmp_path):
    worker = Worker("bad")
    try:
        with pytest.raises(WorkerError, match="cannot build this contender"):
            worker.time(
                BUILDER,
                {"path": str(tmp_path / "x"), "fail": True},
                threads=1,
                min_time=0.0,
                blocks=1,
            )
        # The worker survives a failed request.
        seconds = worker.time(
            BUILDER, {"path": str(tmp_path / "x")}, threads=1, min_time=0.0, blocks=1
        )
        assert seconds > 0
    finally:
        worker.close()
    assert worker._process.poll() is not None


def test_blocks_last_at_least_min_time():
    calls = []
    times = processes._blocks(lambda: calls.append(1), min_time=0.0, blocks=3)
    assert len(times) == 3 and len(calls) == 3
