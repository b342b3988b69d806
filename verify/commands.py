"""The bodies of the ``chainrule`` commands, one ``cmd_*`` function each: it takes argparse's
namespace (``verify.cli`` builds the parser) and returns the exit status.

Also here, as only the commands use them: the exit statuses, ``CouldNotRun`` and the optional
extras with their pip lines, the checks that an output can be written before any work starts, the
staging that replaces a set of reports all or nothing, and the progress lines on stderr.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import sys
import tempfile
import warnings
from pathlib import Path

__all__ = [
    "BENCH_REQUIRES",
    "EXIT_FAILED",
    "EXIT_INCONCLUSIVE",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_RUN",
    "EXIT_PASSED",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "EXTRAS",
    "ORACLE_MAX_NUMBERS",
    "ORACLE_MAX_PARAMS",
    "CouldNotRun",
    "cmd_audit",
    "cmd_bench",
    "cmd_derive",
    "cmd_oracle",
    "cmd_report",
    "cmd_site",
    "cmd_train",
    "cmd_verify",
    "pip_line",
]

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_RUN, EXIT_INCONCLUSIVE = 0, 1, 2, 3, 4
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143

# Optional extras: the module each needs, and the pip line that installs it.
EXTRAS = {
    "matplotlib": "plot",
    "scipy": "bench",
    "threadpoolctl": "bench",
    "torch": "peers",
    "sklearn": "peers",
}
# Modules a benchmark cannot run without (checked before any benchmark starts).
BENCH_REQUIRES = {"check": ("scipy",)}
# The oracle's problem stays below these sizes (its reference is cross-checked entry by entry).
ORACLE_MAX_PARAMS = 1_000_000
ORACLE_MAX_NUMBERS = 10_000_000  # n_samples times the widest layer


class CouldNotRun(Exception):
    """The work could not run (exit 3): the message says what to do."""


def pip_line(module: str) -> str:
    """The pip line that installs ``module``: its chainrule extra's when it is an optional one."""
    extra = EXTRAS.get(module)
    return f'pip install "chainrule[{extra}]"' if extra else f"pip install {module}"


def _require(modules, why: str) -> None:
    """CouldNotRun naming the pip line unless every module of ``modules`` can be imported."""
    for module in modules:
        if importlib.util.find_spec(module) is None:
            raise CouldNotRun(f"{why} needs {module}, which is not installed: {pip_line(module)}")


def _writable_dir(path: Path, option: str = "--output") -> None:
    """Usage error unless ``path`` is, or can be created as, a directory we can write into."""
    if str(path) == "":
        raise ValueError(f"`{option}` must be a directory, got an empty path")
    if path.exists() and not path.is_dir():
        raise ValueError(f"`{option}` must be a directory, got {str(path)!r} (a file)")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(
            f"`{option}` must be a directory, got {str(path)!r} ({existing} is a file)"
        )
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        raise CouldNotRun(
            f"cannot write into {str(existing)!r} for {option} ({err.strerror or err}): choose "
            "another directory or fix its permissions"
        ) from None


def _writable_file(path: Path, option: str = "--output") -> None:
    """Usage error unless ``path`` names a file we can write (it may not exist yet)."""
    if str(path) in ("", "."):
        raise ValueError(f"`{option}` must be a file name, got an empty path")
    if path.is_dir():
        raise ValueError(f"`{option}` must be a file, got {str(path)!r} (a directory)")
    _writable_dir(path.parent if str(path.parent) else Path("."), option)


@contextlib.contextmanager
def _staging(out: Path):
    """A directory inside ``out`` to write a set of reports into; on success its files replace
    those in ``out`` together (``_replace_all``), and ``moved`` lists where they went. On any
    failure, Ctrl-C included, ``out`` is left as it was and the staging directory removed."""
    out.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".staged-", dir=out))
    moved: list[Path] = []
    try:
        yield staged, moved
        moved += _replace_all(staged, out)
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def _replace_all(staged: Path, out: Path) -> list[Path]:
    """Move every file under ``staged`` to the same place under ``out``, with SIGINT and SIGTERM
    held back meanwhile: a set of reports is replaced all or nothing."""
    files = sorted(p for p in staged.rglob("*") if p.is_file())
    blocked = {signal.SIGINT, signal.SIGTERM}
    can_block = hasattr(signal, "pthread_sigmask")
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked) if can_block else None
    try:
        moved = []
        for source in files:
            target = out / source.relative_to(staged)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            moved.append(target)
        return moved
    finally:
        if can_block:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _oracle_conventions(args) -> dict:
    """The declared conventions of ``chainrule oracle``: a preset, then the flags over it."""
    from verify.oracle.conventions import convention

    declared = {}
    if args.convention is not None:
        declared = convention(args.convention)
        cost = declared.pop("cost")
        if cost != args.cost:
            raise ValueError(
                f"`--cost` must be {cost!r} with --convention {args.convention}, got {args.cost!r}"
            )
        if declared.pop("reduction", args.reduction) != args.reduction:
            raise ValueError(
                f"`--reduction` must be 'sum' with --convention {args.convention}, got "
                f"{args.reduction!r}"
            )
    flags = {
        "cost_scale": args.cost_scale,
        "output_reduction": args.output_reduction,
        "targets": args.targets,
        "l2": args.l2,
    }
    declared |= {name: value for name, value in flags.items() if value is not None}
    for name in ("from_logits", "l2_biases", "l2_per_sample"):
        if getattr(args, name):
            declared[name] = True
    return declared


def _progress(label: str):
    """A progress callback that redraws one line on stderr, or None when stderr is no terminal."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int, case) -> None:
        end = "\n" if done == total else ""
        print(f"\r{label} {done}/{total}: {case.label:<60}", end=end, file=sys.stderr, flush=True)

    return show


def _proof_progress(tty: bool):
    """``derive --prove``'s progress on stderr, after each parameter: one line redrawn on a
    terminal, else one line each."""

    def show(event) -> None:
        if tty:
            print(f"\r{event!s:<79}", end="", file=sys.stderr, flush=True)
        else:
            print(event, file=sys.stderr, flush=True)

    return show


def cmd_verify(args) -> int:
    from verify.matrix.report import render_matrix, write_matrix
    from verify.matrix.run import run_matrix

    if args.output is not None:
        _writable_dir(args.output)
    matrix = run_matrix(seeds=args.seeds, progress=_progress("verify"))
    if args.output is None:  # to stdout: the first format asked for, else the plain table
        print(render_matrix(matrix, (args.format or ["txt"])[0]))
    else:
        with _staging(args.output) as (staged, moved):
            write_matrix(matrix, staged, args.format or args.default_formats)
        for path in moved:
            print(f"wrote {path}", file=sys.stderr)
    failures = matrix.failures("corrected")
    print(
        f"{len(matrix.results)} cases in {matrix.seconds:.1f} s; corrected conventions: "
        + (f"{len(failures)} FAILED" if failures else "all agree"),
        file=sys.stderr,
    )
    return 1 if failures else 0


def cmd_derive(args) -> int:
    import derive
    from derive.proof import ProofBudgetExceeded

    if args.budget is not None and not args.prove:
        raise ValueError(f"`--budget` needs --prove, got --budget {args.budget:g} alone")
    network = derive.derive_network(args.sizes, args.activation, args.cost)
    proof = None
    if args.prove:
        tty = sys.stderr.isatty()
        try:
            proof = network.prove(
                seed=args.seed, progress=_proof_progress(tty), budget_seconds=args.budget
            )
        except ProofBudgetExceeded as err:  # not proven either way
            print(f"{'' if not tty else chr(10)}chainrule derive: {err}", file=sys.stderr)
            return EXIT_INCONCLUSIVE
        if tty:
            print(file=sys.stderr)
    text = derive.render_report(network, "latex" if args.format == "tex" else "md", proof)
    if args.output is None:
        print(text)
    else:
        from numeric.files import atomic_write

        print(f"wrote {atomic_write(args.output, text)}", file=sys.stderr)
    return 0 if proof is None or proof.equal else 1


def cmd_report(args) -> int:
    """Regenerate everything committed in reports/ except the timings (``chainrule bench``).

    Everything is written into a staging directory inside the output first and moved into place
    only when all of it is there, so an interrupted run leaves the old reports as they were.
    """
    import derive
    from numeric.files import atomic_write
    from verify.audit import run_audit, write_audit
    from verify.matrix.report import write_matrix
    from verify.matrix.run import run_matrix

    out = args.output
    _writable_dir(out)
    plots = importlib.util.find_spec("matplotlib") is not None  # plots.py imports it lazily
    if not plots:
        print(
            f"matplotlib is not installed: plots skipped ({pip_line('matplotlib')})",
            file=sys.stderr,
        )
    matrix = run_matrix(progress=_progress("verify"))
    audit = run_audit()
    xor = derive.derive_network([2, 2, 1], "sigmoid", "cross_entropy")
    proof = xor.prove()
    with _staging(out) as (staged, written):
        write_matrix(matrix, staged, ("md", "json"))
        write_audit(audit, staged, ("md", "json"))
        for fmt, suffix in (("md", "md"), ("latex", "tex")):
            text = derive.render_report(xor, fmt, proof)
            atomic_write(staged / f"derivation-xor.{suffix}", text)
        if plots:
            from verify.bench.plots import step_error_plot, xor_loss_plot

            step_error_plot(staged / "finite-difference-steps.png")
            xor_loss_plot(staged / "xor-loss.png")
        from verify.site import build_site

        build_site(staged / "site", matrix=matrix, audit=audit, performance=out / "performance.md")
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0 if matrix.passed and proof.equal else 1


def cmd_site(args) -> int:
    """The report site alone: the matrix, the audit and the derivations as HTML pages."""
    from verify.audit import run_audit
    from verify.matrix.run import run_matrix
    from verify.site import build_site

    matrix = run_matrix(progress=_progress("verify"))
    written = build_site(
        args.output, matrix=matrix, audit=run_audit(), performance=args.performance
    )
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0 if matrix.passed else 1


def cmd_train(args) -> int:
    """``train xor``: the document's example (exit 1 when XOR is not learned); ``train DATA``:
    a network on the user's .csv or .npz, its loss, accuracy (or R^2) and optionally the file."""
    from numeric import Network, format_xor_table, train_xor
    from numeric.data import infer_task, read_dataset
    from numeric.examples import DEFAULT_SEED, XOR_INPUTS, XOR_TARGETS

    if args.data == "xor":
        network = train_xor(
            DEFAULT_SEED if args.seed is None else args.seed,
            epochs=1000 if args.epochs is None else args.epochs,
            learning_rate=1.0 if args.learning_rate is None else args.learning_rate,
        )
        print(format_xor_table(network))
        learned = bool((network.predict(XOR_INPUTS).ravel() == XOR_TARGETS).all())
        print(f"final loss {network.loss(XOR_INPUTS, XOR_TARGETS):.6g}")
        print("XOR learned" if learned else "XOR not learned (try another --seed or more --epochs)")
        if args.save is not None:
            print(f"wrote {network.save(args.save)}", file=sys.stderr)
        return 0 if learned else 1
    data = read_dataset(args.data, args.target, args.features)
    task = infer_task(data.y, args.cost)
    hidden = list(args.hidden)
    n_layers = len(hidden) + 1
    network = Network(
        [data.X.shape[1] if data.X.ndim == 2 else 0, *hidden, task.n_outputs],
        [args.activation] * (n_layers - 1) + [task.output],
        task.cost,
        seed=0 if args.seed is None else args.seed,
        init="he" if args.activation in ("relu", "leaky_relu", "elu") else "xavier",
    )
    history = network.fit(
        data.X,
        task.y,
        learning_rate=args.learning_rate,
        epochs=100 if args.epochs is None else args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
    )
    print(
        f"trained {list(network.sizes)} ({', '.join(a.name for a in network.activations)}; "
        f"{task.cost}) on {len(data.X)} samples of {args.data}, target {data.target!r}: "
        f"{history.epochs} epochs, {history.stop_reason}"
    )
    print(f"final loss {history.losses[-1]:.6g}")
    score = network.score(data.X, task.y)
    print(f"training accuracy {score:.4f}" if task.classification else f"training R^2 {score:.4f}")
    if args.save is not None:
        print(f"wrote {network.save(args.save)}", file=sys.stderr)
    return 0


def cmd_bench(args) -> int:
    from verify.bench import get_benchmark
    from verify.bench.common import write_section

    for name in args.what:
        _require(BENCH_REQUIRES.get(name, ()), f"the benchmark {name!r}")
    _writable_file(args.output)
    for name in args.what:
        result = get_benchmark(name)()
        print(result.to_markdown())
        path = write_section(args.output, result)
        print(f"wrote section {name!r} of {path}", file=sys.stderr)
    return 0


def cmd_audit(args) -> int:
    from verify.audit import run_audit, write_audit

    _writable_dir(args.output)
    audit = run_audit(seeds=None if args.seeds is None else range(args.seeds))
    with _staging(args.output) as (staged, moved):
        write_audit(audit, staged, args.format or args.default_formats)
    for path in moved:
        print(f"wrote {path}", file=sys.stderr)
    counts = ", ".join(f"{n} {verdict}" for verdict, n in audit.counts().items())
    print(f"{len(audit.items)} items: {counts}")
    return 0


def cmd_oracle(args) -> int:
    """Check the user's function in a child process (``verify.oracle.child``): its exit, death,
    hang, memory or prints cannot make the check pass or spoil the output."""
    from verify.core.params import parameter_count
    from verify.oracle.check import GradientReport
    from verify.oracle.child import run_isolated
    from verify.oracle.conventions import declare, default_n_samples
    from verify.oracle.loading import precheck

    if args.output is not None and args.format != "html":
        raise ValueError(f"--output needs --format html, got --format {args.format}")
    if args.output is not None:
        _writable_dir(args.output)
    sizes = list(args.sizes)
    n_samples = default_n_samples(sizes[-1]) if args.n_samples is None else args.n_samples
    n_params = parameter_count(sizes)
    if n_params > ORACLE_MAX_PARAMS:
        raise ValueError(
            f"`--sizes` must describe at most {ORACLE_MAX_PARAMS:,} parameters for the oracle, "
            f"got {n_params:,}"
        )
    if n_samples * max(sizes) > ORACLE_MAX_NUMBERS:
        raise ValueError(
            f"`--n-samples` times the widest layer must be at most {ORACLE_MAX_NUMBERS:,}, got "
            f"{n_samples} x {max(sizes)}"
        )
    with warnings.catch_warnings():  # the child warns (once) where it matters
        warnings.simplefilter("ignore")
        conventions = _oracle_conventions(args)
        declare(**conventions).network(  # usage errors
            sizes, args.activation, args.cost, reduction=args.reduction, seed=0
        )
    try:
        precheck(args.function)  # nothing of the user's runs in this process
    except ImportError as err:
        raise CouldNotRun(str(err)) from None
    options = {
        "function": args.function,
        "sizes": sizes,
        "activations": args.activation,
        "cost": args.cost,
        "layout": args.layout,
        "reduction": args.reduction,
        "dtype": args.dtype,
        "seed": args.seed,
        "n_samples": n_samples,
        **conventions,
    }
    outcome = run_isolated(options, timeout=args.timeout, memory_limit=args.memory_limit)
    if outcome.stray_bytes:
        cut = " (cut)" if outcome.stray_bytes > len(outcome.stray) else ""
        print(
            f"chainrule oracle: {args.function} wrote {outcome.stray_bytes} bytes of its own "
            f"output{cut}, shown here and kept off the report:",
            file=sys.stderr,
        )
        for line in outcome.stray.splitlines():
            print(f"| {line}", file=sys.stderr)
    for warning in outcome.warnings:
        print(f"chainrule oracle: warning: {warning}", file=sys.stderr)
    if outcome.error == "usage":
        raise ValueError(outcome.message)
    if outcome.error is not None:
        raise CouldNotRun(outcome.message)
    report = GradientReport.from_dict(outcome.report)
    if args.output is not None:
        from verify.site import write_oracle_page

        print(f"wrote {write_oracle_page(report, args.output, args.function)}", file=sys.stderr)
    else:  # every format keeps the headline and the summary (and what a kink is)
        print(report.render(args.format))
    if report.inconclusive:
        return EXIT_INCONCLUSIVE
    return EXIT_PASSED if report.passed else EXIT_FAILED
