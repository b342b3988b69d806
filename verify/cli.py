"""The ``chainrule`` command: verify, derive, train, audit, oracle, report and bench.

Exit status: 0 on success, 1 when a check fails, 2 for usage errors or bad input, 3 when the work
could not run (the user's file does not import, a missing optional extra, an I/O error, an internal
error), 4 when a check is inconclusive, 130 on Ctrl-C (143 on SIGTERM). Every error is one line on
stderr that says what to do; no traceback (``CHAINRULE_DEBUG=1`` shows it).

This module is the argparse side: the parser (its choices and help read the registries), the
argument types, and ``main``, which runs a command and turns what ended it into the exit status
and that line. The commands' bodies are in ``verify.commands``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import signal
import sys
from pathlib import Path

import numpy as np

from numeric import ACTIVATIONS, COSTS
from numeric.network import DTYPES, REDUCTIONS

# The commands' bodies and constants live in verify.commands and stay names of this module too:
# build_parser reads cmd_* from here when it runs, so replacing verify.cli.cmd_verify takes effect.
from verify.commands import (
    BENCH_REQUIRES,  # noqa: F401 - unused here, kept as a name of this module
    EXIT_FAILED,
    EXIT_INCONCLUSIVE,  # noqa: F401 - as BENCH_REQUIRES
    EXIT_INTERRUPTED,
    EXIT_NOT_RUN,
    EXIT_PASSED,  # noqa: F401 - as BENCH_REQUIRES
    EXIT_TERMINATED,
    EXIT_USAGE,
    EXTRAS,
    ORACLE_MAX_NUMBERS,  # noqa: F401 - as BENCH_REQUIRES
    ORACLE_MAX_PARAMS,  # noqa: F401 - as BENCH_REQUIRES
    CouldNotRun,
    cmd_audit,
    cmd_bench,
    cmd_derive,
    cmd_oracle,
    cmd_report,
    cmd_site,
    cmd_train,
    cmd_verify,
    pip_line,
)
from verify.formats import ALIASES, canonical_format

__all__ = ["main"]

REPORTS = Path("reports")


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that clean-ups run."""


def _memory(text: str) -> int | None:
    """``--memory-limit``: bytes from "4G", "512M", "1.5GiB", or none for "0"/"none"."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", text)
    if text.strip().lower() in ("none", "0", "off"):
        return None
    if not match:
        raise argparse.ArgumentTypeError(f"must be a size like 4G or 512M (or none), got {text!r}")
    number, unit = float(match.group(1)), match.group(2).upper()
    value = int(number * 1024 ** " KMGT".index(unit or " "))
    if value < 64 << 20:
        raise argparse.ArgumentTypeError(f"must be at least 64M, got {text!r}")
    return value


def _output_path(text: str) -> Path:
    """An output path; not empty (argparse would make "" the current directory)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must be a path, got ''")
    return Path(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not (value > 0 and value < 1e6):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: the problem and where to read more."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _joined_negative_values(argv: list[str]) -> list[str]:
    """``--sizes -1,2`` as ``--sizes=-1,2``: argparse would take -1,2 for an option and say only
    "expected one argument"; joined, the option's own check names it."""
    out = []
    for token in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and re.match(r"-[\d.]", token):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes must be comma-separated ints like 2,2,1, got {text!r}"
        ) from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be positive ints like 2,2,1, got {text!r}")
    return sizes


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive int, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an int >= 0, got {text!r}")
    return value


def _activations(text: str) -> str | list[str]:
    """One activation name, or one per layer separated by commas, each from the catalogue."""
    names = text.split(",")
    unknown = [name for name in names if name not in ACTIVATIONS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"activation must be one of {_names(ACTIVATIONS)}, got {unknown[0]!r}"
        )
    return names if len(names) > 1 else names[0]


def _oracle_activations(text: str) -> str | list[str]:
    """As ``_activations``, and a name may carry its parameter: leaky_relu(0.2), elu(alpha=2)."""
    from verify.oracle.conventions import parse_activation

    names = text.split(",")
    for name in names:
        try:
            parse_activation(name)
        except (ValueError, TypeError) as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    return names if len(names) > 1 else names[0]


def _layout(text: str) -> str:
    """A built-in layout's name, or module:Class / path/to/file.py:Class (loaded by the check)."""
    from verify.oracle.layouts import LAYOUTS

    location, _, name = text.rpartition(":")
    if text in LAYOUTS or (location and name.isidentifier()):
        return text
    raise argparse.ArgumentTypeError(
        f"layout must be one of {_names(LAYOUTS)}, or module:Class or path/to/file.py:Class, "
        f"got {text!r}"
    )


def _budget(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}")
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chainrule")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def _names(registry) -> str:
    return ", ".join(registry)


def _add_network_options(parser, *, required: bool, parametrized: bool = False) -> None:
    """--sizes, --activation and --cost, with the catalogue's names as choices and in the help;
    ``parametrized``: an activation may carry its parameter, leaky_relu(0.2)."""
    parser.add_argument("--sizes", type=_sizes, required=True, help="layer sizes, e.g. 2,3,1")
    parser.add_argument(
        "--activation",
        type=_oracle_activations if parametrized else _activations,
        required=required,
        default=None if required else "sigmoid",
        help="one activation for every layer, or one per layer separated by commas: "
        + _names(ACTIVATIONS)
        + (", or leaky_relu(SLOPE), elu(ALPHA)" if parametrized else "")
        + ("" if required else " (default: sigmoid)"),
    )
    parser.add_argument(
        "--cost",
        choices=list(COSTS),
        required=required,
        default=None if required else "cross_entropy",
        metavar="COST",
        help=_names(COSTS) + ("" if required else " (default: cross_entropy)"),
    )


def _add_output_options(parser, *, formats, default, output_default, output_help) -> None:
    parser.add_argument("--output", type=_output_path, default=output_default, help=output_help)
    parser.add_argument(
        "--format",
        nargs="+",
        default=None,
        type=_format_type(formats),
        metavar="FORMAT",
        help=f"{', '.join(formats)} (aliases: {_aliases(formats)}; default: {' '.join(default)})",
    )
    parser.set_defaults(default_formats=list(default))


def _aliases(formats) -> str:
    return ", ".join(f"{alias} = {fmt}" for alias, fmt in ALIASES.items() if fmt in formats)


def _format_type(formats):
    """An argparse type: a format name or alias, resolved to its canonical name."""

    def resolve(text: str) -> str:
        try:
            return canonical_format(text, tuple(formats))
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    return resolve


def build_parser() -> argparse.ArgumentParser:
    from verify.audit.report import FORMATS as AUDIT_FORMATS
    from verify.bench import BENCHMARKS
    from verify.matrix.report import FORMATS as MATRIX_FORMATS
    from verify.oracle.conventions import CONVENTIONS, OUTPUT_REDUCTIONS, TARGETS
    from verify.oracle.layouts import LAYOUTS

    parser = _Parser(
        prog="chainrule",
        description="Derive, compute and verify the gradients of fully connected networks.",
    )
    parser.add_argument("--version", action="version", version=f"chainrule {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    verify = commands.add_parser(
        "verify",
        help="cross-check symbolic, analytic and finite-difference gradients (the main job)",
        description="Run the cross-check matrix: every activation and cost pair, on small "
        "architectures and several seeds, under the corrected conventions and the reference "
        "document taken literally. Prints the table; exit 0 when all three sources agree under "
        "the corrected conventions (disagreements under 'as written' are findings), 1 when any "
        "corrected comparison fails.",
    )
    verify.add_argument(
        "--seeds", type=_seed, nargs="+", default=[0, 1], help="seeds of parameters and data"
    )
    _add_output_options(
        verify,
        formats=MATRIX_FORMATS,
        default=("md", "json"),
        output_default=None,
        output_help="also write reports into this directory",
    )
    verify.set_defaults(run=cmd_verify)

    derive_cmd = commands.add_parser(
        "derive",
        help="derive a small network's gradients symbolically and write the derivation",
        description="Derive dC/dW^m and dC/db^m with SymPy from the definitions, by direct "
        "differentiation and by the backprop recursion, and write the derivation (Markdown "
        "with LaTeX math, or a standalone LaTeX document).",
    )
    _add_network_options(derive_cmd, required=False)
    derive_cmd.add_argument(
        "--format",
        default="md",
        type=_format_type(("md", "tex")),
        metavar="FORMAT",
        help="md (Markdown with LaTeX math, default) or tex (a standalone LaTeX document; "
        "alias latex)",
    )
    derive_cmd.add_argument(
        "--prove",
        action="store_true",
        help="also prove the two routes equal and list how, per parameter (exit 1 if not)",
    )
    derive_cmd.add_argument(
        "--seed", type=_seed, default=0, help="seed of the proof's random points"
    )
    derive_cmd.add_argument(
        "--budget",
        type=_budget,
        default=None,
        metavar="SECONDS",
        help="stop the proof after this many seconds, saying how far it got (exit 4); progress "
        "is shown on stderr after each parameter",
    )
    derive_cmd.add_argument(
        "--output", type=Path, default=None, help="file to write (default: stdout)"
    )
    derive_cmd.set_defaults(run=cmd_derive)

    report = commands.add_parser(
        "report",
        help="regenerate every committed report in reports/ (timings excepted)",
        description="Regenerate the verification matrix, the errata of the reference document, "
        "the XOR network's derivation, the plots and the HTML site (reports/site). Timings come "
        "from 'chainrule bench'.",
    )
    report.add_argument(
        "--output",
        type=_output_path,
        default=REPORTS,
        help="directory to write to (default: reports)",
    )
    report.set_defaults(run=cmd_report)

    site = commands.add_parser(
        "site",
        help="write the report site: HTML pages with rendered math and plots",
        description="Write the verification matrix, the errata, the derivations of the report "
        "set and the timings as self-contained HTML pages (math as MathML, plots embedded). "
        "'chainrule report' writes the same site into reports/site.",
    )
    site.add_argument(
        "--output",
        type=Path,
        default=REPORTS / "site",
        help="directory to write to (default: reports/site)",
    )
    site.add_argument(
        "--performance",
        type=Path,
        default=REPORTS / "performance.md",
        help="the benchmarks' Markdown to show (default: reports/performance.md)",
    )
    site.set_defaults(run=cmd_site)

    train = commands.add_parser(
        "train",
        help="train the document's XOR example, or a network on your own .csv or .npz data",
        description="'chainrule train xor' trains the document's 2-2-1 sigmoid network on XOR "
        "(cross-entropy, full-batch gradient descent from a standard-normal initialisation), "
        "prints its result table, the final loss and whether XOR was learned (exit 1 when not). "
        "'chainrule train DATA' trains on a .csv file (a header row optional; --target names the "
        "target column, default the last) or a .npz file (--target and --features name its "
        "arrays, default y and X). The task follows from the targets unless --cost says: 0/1 "
        "targets a sigmoid output with cross_entropy, labels 0..K-1 (K >= 3) softmax with "
        "categorical_cross_entropy, else an identity output with squared_error. Prints the "
        "final loss and the training accuracy (R^2 for regression).",
    )
    train.add_argument("data", metavar="DATA", help="'xor', or a .csv or .npz file")
    train.add_argument("--target", default=None, help="target column (.csv) or array (.npz)")
    train.add_argument("--features", default=None, help="features array of a .npz (default: X)")
    train.add_argument(
        "--hidden",
        type=_sizes,
        default=[16],
        help="hidden layer sizes, comma-separated (default: 16)",
    )
    train.add_argument(
        "--activation",
        choices=list(ACTIVATIONS),
        default="relu",
        metavar="ACTIVATION",
        help="activation of the hidden layers: " + _names(ACTIVATIONS) + " (default: relu)",
    )
    train.add_argument(
        "--cost",
        choices=list(COSTS),
        default=None,
        metavar="COST",
        help=_names(COSTS) + " (default: decided by the targets)",
    )
    train.add_argument(
        "--epochs", type=_positive_int, default=None, help="epochs (default: 1000 xor, 100 data)"
    )
    train.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="step size (default: 1.0 xor; 0.1 sgd and momentum, 0.001 adam)",
    )
    train.add_argument(
        "--batch-size", type=_positive_int, default=None, help="mini-batch size (default: all)"
    )
    train.add_argument(
        "--optimizer", choices=["sgd", "momentum", "adam"], default="sgd", help="(default: sgd)"
    )
    train.add_argument(
        "--seed", type=_seed, default=None, help="initialisation seed (default: 1 xor, 0 data)"
    )
    train.add_argument("--save", type=Path, default=None, help="write the trained network (.npz)")
    train.set_defaults(run=cmd_train)

    audit = commands.add_parser(
        "audit",
        help="audit the reference document formula by formula and write the errata",
        description="Check every equation, table row, claim and line of the toy program of the "
        "reference document (symbolically, by finite differences, or empirically over many "
        "seeds) and write reports/errata.md with a verdict, the evidence and a correction each.",
    )
    _add_output_options(
        audit,
        formats=AUDIT_FORMATS,
        default=("md",),
        output_default=REPORTS,
        output_help="directory to write to (default: reports)",
    )
    audit.add_argument(
        "--seeds",
        type=_positive_int,
        default=None,
        help="seeds 0..N-1 for the empirical claims (default: 2500; the convergence and depth "
        "experiments take the first 100)",
    )
    audit.set_defaults(run=cmd_audit)

    oracle = commands.add_parser(
        "oracle",
        help="check someone's gradient function and name what is wrong with it",
        description="Call FUNCTION(params, X, y) -> [(dW, db), ...] on valid parameters and data "
        "for the architecture, compare with chainrule's reference gradient (itself cross-checked "
        "by complex-step differences) and report, per layer and parameter, ok or the kind of "
        "bug: sign, scale (with its factor), transpose, layer_order, shape, nonfinite, kink, "
        "mismatch, exception (a kink is a point where the loss's slope jumps, as ReLU's at 0; "
        "either one-sided derivative is right there). FUNCTION runs in a child process with a "
        "time and memory limit; what it prints goes to stderr. Exit 0 when it passes, 1 when "
        "not (its exception, exit, crash or hang included), 2 for bad options, 3 when FUNCTION's "
        "file cannot be imported or the check cannot run, 4 when the check is inconclusive.",
    )
    oracle.add_argument("function", help="path/to/file.py:function or package.module:function")
    _add_network_options(oracle, required=True, parametrized=True)
    oracle.add_argument(
        "--layout",
        default="rows",
        type=_layout,
        help="how FUNCTION stores data and parameters: "
        + _names(LAYOUTS)
        + ", or module:Class for your own Layout class (default: rows)",
    )
    conventions = oracle.add_argument_group(
        "conventions", "your cost's conventions, when they are not chainrule's"
    )
    conventions.add_argument(
        "--convention",
        choices=list(CONVENTIONS),
        default=None,
        metavar="LOSS",
        help="a known loss's conventions: " + _names(CONVENTIONS),
    )
    conventions.add_argument(
        "--cost-scale", type=float, default=None, help="the cost times this (2: no 1/2)"
    )
    conventions.add_argument(
        "--output-reduction",
        choices=list(OUTPUT_REDUCTIONS),
        default=None,
        help="sum (default) or mean over the outputs",
    )
    conventions.add_argument(
        "--targets", choices=list(TARGETS), default=None, help="soft (default), one_hot or labels"
    )
    conventions.add_argument(
        "--from-logits",
        action="store_true",
        help="the network ends in identity and the loss applies the sigmoid or softmax",
    )
    conventions.add_argument(
        "--l2", type=float, default=None, help="L2 coefficient: the gradient gets + L2 x W"
    )
    conventions.add_argument("--l2-biases", action="store_true", help="the L2 term covers b too")
    conventions.add_argument(
        "--l2-per-sample", action="store_true", help="the L2 coefficient is divided by n_samples"
    )
    oracle.add_argument("--reduction", default="mean", choices=list(REDUCTIONS))
    oracle.add_argument("--dtype", default="float64", choices=[np.dtype(d).name for d in DTYPES])
    oracle.add_argument("--seed", type=_seed, default=0, help="seed of parameters and data")
    oracle.add_argument(
        "--n-samples",
        type=_positive_int,
        default=None,
        help="batch size (default: 8, or 6 when 8 is the number of outputs, twice or half of it)",
    )
    oracle.add_argument(
        "--timeout",
        type=_seconds,
        default=60.0,
        help="seconds the check may take before FUNCTION is stopped as hanging (default: 60)",
    )
    oracle.add_argument(
        "--memory-limit",
        type=_memory,
        default=4 << 30,
        help="memory FUNCTION's process may add to its start, like 4G or 512M, or none "
        "(default: 4G)",
    )
    oracle.add_argument(
        "--format",
        default="text",
        choices=["text", "github", "latex", "html", "json"],
        help="text (default), github (Markdown), latex, html or json; each with the verdict, "
        "the table and the summary",
    )
    oracle.add_argument(
        "--output",
        type=_output_path,
        default=None,
        help="with --format html: write a self-contained page DIR/index.html instead",
    )
    oracle.set_defaults(run=cmd_oracle)

    bench = commands.add_parser(
        "bench",
        help="time chainrule beside its peers and write reports/performance.md",
        description="Run benchmarks side by side with their peers (interleaved, same thread "
        "count, medians) and replace their sections in the performance report.",
    )
    bench.add_argument("what", nargs="+", choices=list(BENCHMARKS), help="which benchmarks to run")
    bench.add_argument(
        "--output",
        type=_output_path,
        default=REPORTS / "performance.md",
        help="Markdown file to update (default: reports/performance.md)",
    )
    bench.set_defaults(run=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit status (see the module docstring).

    Usage errors found by argparse raise SystemExit(2) after one line on stderr, as argparse does.
    """
    argv = _joined_negative_values(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(argv)
    command = f"chainrule {args.command}"
    with _sigterm_raises():
        try:
            return args.run(args)
        except KeyboardInterrupt:
            print(
                f"{command}: interrupted (Ctrl-C); nothing half-written was left", file=sys.stderr
            )
            return EXIT_INTERRUPTED
        except _Terminated:
            print(
                f"{command}: terminated (SIGTERM); nothing half-written was left", file=sys.stderr
            )
            return EXIT_TERMINATED
        except Exception as err:  # one line that says what to do, never a traceback
            if os.environ.get("CHAINRULE_DEBUG"):
                raise
            code, message = _explained(err)
            print(f"{command}: {message}", file=sys.stderr)
            return code


def _explained(err: Exception) -> tuple[int, str]:
    """The exit status and the one line for an error that ended a command."""
    if isinstance(err, FloatingPointError):  # numeric.DivergenceError: a finding
        return EXIT_FAILED, str(err)
    if isinstance(err, CouldNotRun):
        return EXIT_NOT_RUN, f"error: {err}"
    if isinstance(err, ModuleNotFoundError) and (err.name or "").split(".")[0] in EXTRAS:
        module = err.name.split(".")[0]
        return EXIT_NOT_RUN, f"error: {module} is not installed: {pip_line(module)}"
    if isinstance(err, ImportError):
        return EXIT_NOT_RUN, f"error: {err}"
    if isinstance(err, (ValueError, TypeError)):
        return EXIT_USAGE, f"error: {err}"
    if isinstance(err, OSError):
        where = f" {err.filename!r}" if err.filename else ""
        return EXIT_NOT_RUN, (
            f"error: could not read or write{where}: {err.strerror or err}; check the path, its "
            "permissions and the free space"
        )
    if isinstance(err, MemoryError):
        return EXIT_NOT_RUN, "error: out of memory; try a smaller problem"
    return EXIT_NOT_RUN, (
        f"internal error: {type(err).__name__}: {err}; please report it (CHAINRULE_DEBUG=1 shows "
        "the traceback)"
    )


@contextlib.contextmanager
def _sigterm_raises():
    """In the main thread, SIGTERM raises _Terminated, so that clean-ups run as for Ctrl-C."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
