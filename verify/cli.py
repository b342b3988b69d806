"""The ``chainrule`` command: verify, derive, train, audit, oracle, report and bench.

Exit status: 0 on success, 1 when a check fails, 2 for usage errors (argparse's convention).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from numeric import ACTIVATIONS, COSTS
from numeric.network import DTYPES, REDUCTIONS
from verify.formats import ALIASES, canonical_format

__all__ = ["main"]

REPORTS = Path("reports")


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes must be comma-separated ints like 2,2,1, got {text!r}"
        ) from None
    return sizes


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive int, got {text!r}")
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


def _progress(label: str):
    """A progress callback that redraws one line on stderr, or None when stderr is no terminal."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int, case) -> None:
        end = "\n" if done == total else ""
        print(f"\r{label} {done}/{total}: {case.label:<60}", end=end, file=sys.stderr, flush=True)

    return show


def cmd_verify(args) -> int:
    from verify.matrix.report import render_matrix, write_matrix
    from verify.matrix.run import run_matrix

    matrix = run_matrix(seeds=args.seeds, progress=_progress("verify"))
    if args.output is None:  # to stdout: the first format asked for, else the plain table
        print(render_matrix(matrix, (args.format or ["txt"])[0]))
    else:
        for path in write_matrix(matrix, args.output, args.format or args.default_formats):
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

    network = derive.derive_network(args.sizes, args.activation, args.cost)
    proof = network.prove(seed=args.seed) if args.prove else None
    text = derive.render_report(network, "latex" if args.format == "tex" else "md", proof)
    if args.output is None:
        print(text)
    else:
        from numeric.files import atomic_write

        print(f"wrote {atomic_write(args.output, text)}", file=sys.stderr)
    return 0 if proof is None or proof.equal else 1


def cmd_report(args) -> int:
    """Regenerate everything committed in reports/ except the timings (``chainrule bench``)."""
    import derive
    from numeric.files import atomic_write
    from verify.audit import run_audit, write_audit
    from verify.matrix.report import write_matrix
    from verify.matrix.run import run_matrix

    out = args.output
    matrix = run_matrix(progress=_progress("verify"))
    written = write_matrix(matrix, out, ("md", "json"))
    written += write_audit(run_audit(), out, ("md", "json"))
    xor = derive.derive_network([2, 2, 1], "sigmoid", "cross_entropy")
    proof = xor.prove()
    for fmt, suffix in (("md", "md"), ("latex", "tex")):
        text = derive.render_report(xor, fmt, proof)
        written.append(atomic_write(out / f"derivation-xor.{suffix}", text))
    try:
        from verify.bench.plots import step_error_plot, xor_loss_plot
    except ImportError:  # pragma: no cover - matplotlib is the optional [plot] extra
        print("matplotlib is not installed: plots skipped", file=sys.stderr)
    else:
        written.append(step_error_plot(out / "finite-difference-steps.png"))
        written.append(xor_loss_plot(out / "xor-loss.png"))
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0 if matrix.passed and proof.equal else 1


def cmd_train(args) -> int:
    from numeric import format_xor_table, train_xor

    network = train_xor(args.seed, epochs=args.epochs, learning_rate=args.learning_rate)
    print(format_xor_table(network))
    return 0


def cmd_bench(args) -> int:
    from verify.bench import get_benchmark
    from verify.bench.common import write_section

    for name in args.what:
        result = get_benchmark(name)()
        print(result.to_markdown())
        path = write_section(args.output, result)
        print(f"wrote section {name!r} of {path}", file=sys.stderr)
    return 0


def cmd_audit(args) -> int:
    from verify.audit import run_audit, write_audit

    audit = run_audit(seeds=None if args.seeds is None else range(args.seeds))
    for path in write_audit(audit, args.output, args.format or args.default_formats):
        print(f"wrote {path}", file=sys.stderr)
    counts = ", ".join(f"{n} {verdict}" for verdict, n in audit.counts().items())
    print(f"{len(audit.items)} items: {counts}")
    return 0


def cmd_oracle(args) -> int:
    from verify.oracle.check import check_gradients
    from verify.oracle.loading import load_function

    grad_fn = load_function(args.function)
    report = check_gradients(
        grad_fn,
        sizes=args.sizes,
        activations=args.activation,
        cost=args.cost,
        layout=args.layout,
        reduction=args.reduction,
        dtype=args.dtype,
        seed=args.seed,
        n_samples=args.n_samples,
    )
    if args.format == "text":
        print(report)
    elif args.format == "json":
        print(report.to_json())
    else:
        print(report.table(args.format))
    return 0 if report.passed else 1


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chainrule")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def _names(registry) -> str:
    return ", ".join(registry)


def _add_network_options(parser, *, required: bool) -> None:
    """--sizes, --activation and --cost, with the catalogue's names as choices and in the help."""
    parser.add_argument("--sizes", type=_sizes, required=True, help="layer sizes, e.g. 2,3,1")
    parser.add_argument(
        "--activation",
        type=_activations,
        required=required,
        default=None if required else "sigmoid",
        help="one activation for every layer, or one per layer separated by commas: "
        + _names(ACTIVATIONS)
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
    parser.add_argument("--output", type=Path, default=output_default, help=output_help)
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
    from verify.oracle.layouts import LAYOUTS

    parser = argparse.ArgumentParser(
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
        "--seeds", type=int, nargs="+", default=[0, 1], help="seeds of parameters and data"
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
    derive_cmd.add_argument("--seed", type=int, default=0, help="seed of the proof's random points")
    derive_cmd.add_argument(
        "--output", type=Path, default=None, help="file to write (default: stdout)"
    )
    derive_cmd.set_defaults(run=cmd_derive)

    report = commands.add_parser(
        "report",
        help="regenerate every committed report in reports/ (timings excepted)",
        description="Regenerate the verification matrix, the errata of the reference document, "
        "the XOR network's derivation and the plots. Timings come from 'chainrule bench'.",
    )
    report.add_argument(
        "--output", type=Path, default=REPORTS, help="directory to write to (default: reports)"
    )
    report.set_defaults(run=cmd_report)

    train = commands.add_parser(
        "train",
        help="run the reference document's toy example",
        description="Train the document's 2-2-1 sigmoid network on XOR (cross-entropy, full-batch "
        "gradient descent from a standard-normal initialisation) and print its result table.",
    )
    train.add_argument("example", choices=["xor"], help="the example to run")
    train.add_argument("--seed", type=int, default=1, help="initialisation seed (default: 1)")
    train.add_argument("--epochs", type=int, default=1000, help="full-batch steps (default: 1000)")
    train.add_argument("--learning-rate", type=float, default=1.0, help="step size (default: 1.0)")
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
        help="seeds for the empirical claims (default: 200)",
    )
    audit.set_defaults(run=cmd_audit)

    oracle = commands.add_parser(
        "oracle",
        help="check someone's gradient function and name what is wrong with it",
        description="Call FUNCTION(params, X, y) -> [(dW, db), ...] on valid parameters and data "
        "for the architecture, compare with chainrule's reference gradient (itself cross-checked "
        "by complex-step differences) and report, per layer and parameter, ok or the kind of "
        "bug: sign, scale (with its factor), transpose, layer_order, shape, nonfinite, kink, "
        "mismatch, exception. Exit 0 when it passes, 1 when not.",
    )
    oracle.add_argument("function", help="path/to/file.py:function or package.module:function")
    _add_network_options(oracle, required=True)
    oracle.add_argument(
        "--layout",
        default="rows",
        choices=list(LAYOUTS),
        help="how FUNCTION stores data and parameters (default: rows)",
    )
    oracle.add_argument("--reduction", default="mean", choices=list(REDUCTIONS))
    oracle.add_argument("--dtype", default="float64", choices=[np.dtype(d).name for d in DTYPES])
    oracle.add_argument("--seed", type=int, default=0, help="seed of parameters and data")
    oracle.add_argument("--n-samples", type=int, default=8, help="batch size (default: 8)")
    oracle.add_argument(
        "--format",
        default="text",
        choices=["text", "github", "latex", "html", "json"],
        help="text (a table and a summary, default), a github/latex/html table, or json",
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
        type=Path,
        default=REPORTS / "performance.md",
        help="Markdown file to update (default: reports/performance.md)",
    )
    bench.set_defaults(run=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except FloatingPointError as err:  # numeric.DivergenceError: a finding, not a usage error
        print(f"chainrule {args.command}: {err}", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as err:
        print(f"chainrule {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
