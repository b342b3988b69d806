"""Reproduce one of the audit's experiments from the command line.

``python -m verify.audit.reproduce xor --seeds 2500`` runs the toy program's XOR experiment over
seeds 0..2499 and prints, in Markdown, what ``reports/errata.md`` prints for it (the same check on
the same seeds): the readings with their rates and intervals, the tables, the design. The other
experiments are ``convergence`` and ``depth`` (default 100 seeds each, as in the report).

The module is not imported by ``verify.audit`` (so that ``python -m`` runs it cleanly).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from verify.audit.checks import CHECKS
from verify.audit.context import CONVERGENCE_SEEDS, DEPTH_SEEDS, Context
from verify.audit.document import DOCUMENT_SHA256
from verify.audit.items import ITEMS, get_item
from verify.audit.report import EXPERIMENTS, experiment_markdown
from verify.audit.run import DEFAULT_SEEDS, Audit, AuditedItem

__all__ = ["DEFAULT_SEEDS_PER_EXPERIMENT", "main", "reproduce"]

DEFAULT_SEEDS_PER_EXPERIMENT = {
    "xor": DEFAULT_SEEDS,
    "convergence": CONVERGENCE_SEEDS,
    "depth": DEPTH_SEEDS,
}


def reproduce(name: str, seeds: int | None = None) -> str:
    """The Markdown of experiment ``name`` (a key of ``EXPERIMENTS``) over seeds 0..seeds-1."""
    if name not in EXPERIMENTS:
        raise ValueError(f"`name` must be one of {', '.join(EXPERIMENTS)}, got {name!r}")
    count = DEFAULT_SEEDS_PER_EXPERIMENT[name] if seeds is None else seeds
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"`seeds` must be a positive int, got {seeds!r}")
    item_id, _ = EXPERIMENTS[name]
    context = Context(range(count), fast=False)
    context.convergence_seeds = context.depth_seeds = list(range(count))  # all of them here
    audited = AuditedItem(get_item(item_id), CHECKS[item_id](context))
    # An Audit holding this one item, so that the report's own renderer prints it.
    single = Audit([audited], list(range(count)), fast=False)
    header = [
        f"<!-- python -m verify.audit.reproduce {name} --seeds {count}; document SHA-256 "
        f"{DOCUMENT_SHA256[:16]}..., {len(ITEMS)} audit items -->",
        "",
    ]
    return "\n".join(header + experiment_markdown(single, name)).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m verify.audit.reproduce",
        description="Rerun one of the audit's experiments and print its tables (Markdown).",
    )
    parser.add_argument("experiment", choices=list(EXPERIMENTS), help="the experiment to run")
    parser.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="number of seeds, 0..N-1 (default: as in the report: "
        + ", ".join(f"{k} {v:,}" for k, v in DEFAULT_SEEDS_PER_EXPERIMENT.items())
        + ")",
    )
    args = parser.parse_args(argv)
    if args.seeds is not None and args.seeds < 1:
        parser.error(f"--seeds must be a positive int, got {args.seeds}")
    sys.stdout.write(reproduce(args.experiment, args.seeds))
    return 0


if __name__ == "__main__":  # pragma: no cover - the command line
    raise SystemExit(main())
