"""The ``chainrule`` command: verify, derive, train, audit, oracle, report and bench.

Exit status: 0 on success, 1 when a check fails, 2 for usage errors (argparse's convention).
"""

from __future__ import annotations

import argparse
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


def cmd_bench(args) -> int:
    from verify.benchmarking import write_section

    runners = {
        "train": lambda: __import__("verify.bench_train", fromlist=["x"]).bench_train(),
    }
    for name in args.what:
        result = runners[name]()
        print(result.to_markdown())
        path = write_section(args.output, result)
        print(f"wrote section {name!r} of {path}", file=sys.stderr)
    return 0


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
    train.add_argument(
        "--learning-rate", type=float, default=1.0, help="step size (default: 1.0)"
    )
    train.set_defaults(run=cmd_train)

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
