"""The ``chainrule`` command: verify, derive, train, audit, oracle, report and bench.

Exit status: 0 on success, 1 when a check fails, 2 for usage errors (argparse's convention).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

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


def cmd_train(args) -> int:
    from numeric import format_xor_table, train_xor

    network = train_xor(args.seed, epochs=args.epochs, learning_rate=args.learning_rate)
    print(format_xor_table(network))
    return 0


def _bench_runner(name: str):
    """The benchmark function of ``name``, imported only when asked for."""
    module = importlib.import_module(f"verify.bench_{name}")
    return getattr(module, f"bench_{name}")


def cmd_bench(args) -> int:
    from verify.benchmarking import write_section

    for name in args.what:
        result = _bench_runner(name)()
        print(result.to_markdown())
        path = write_section(args.output, result)
        print(f"wrote section {name!r} of {path}", file=sys.stderr)
    return 0


def cmd_audit(args) -> int:
    from verify.audit import run_audit, write_audit

    audit = run_audit(seeds=range(args.seeds) if args.seeds else None)
    for path in write_audit(audit, args.output, args.format):
        print(f"wrote {path}", file=sys.stderr)
    counts = ", ".join(f"{n} {verdict}" for verdict, n in audit.counts().items())
    print(f"{len(audit.items)} items: {counts}")
    return 0


def cmd_oracle(args) -> int:
    from verify.adapters import load_function
    from verify.oracle import check_gradients

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Derive, compute and verify the gradients of fully connected networks.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
    audit.add_argument(
        "--output", type=Path, default=REPORTS, help="directory to write to (default: reports)"
    )
    audit.add_argument(
        "--format",
        nargs="+",
        default=["md"],
        choices=["md", "json", "txt", "html", "tex"],
        help="report formats (default: md)",
    )
    audit.add_argument(
        "--seeds", type=int, default=None, help="seeds for the empirical claims (default: 200)"
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
    oracle.add_argument("--sizes", type=_sizes, required=True, help="layer sizes, e.g. 2,3,1")
    oracle.add_argument(
        "--activation",
        required=True,
        type=lambda text: text.split(",") if "," in text else text,
        help="one activation for every layer, or one per layer separated by commas",
    )
    oracle.add_argument("--cost", required=True, help="squared_error, cross_entropy, ...")
    oracle.add_argument(
        "--layout",
        default="rows",
        choices=["rows", "columns", "sklearn"],
        help="how FUNCTION stores data and parameters (default: rows)",
    )
    oracle.add_argument("--reduction", default="mean", choices=["mean", "sum"])
    oracle.add_argument("--dtype", default="float64", choices=["float64", "float32"])
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
    bench.add_argument("what", nargs="+", choices=["train"], help="which benchmarks to run")
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
    except (ValueError, TypeError) as err:
        print(f"chainrule {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
