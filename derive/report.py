"""Derivation reports: Markdown with LaTeX math (renders on GitHub) or a standalone LaTeX document.

A report is built once as a list of blocks (headings, paragraphs, display equations, tables) whose
text mixes plain words, inline math and code names; one renderer per format turns the blocks into
text. Every formula shown comes from the network's own derivation; expressions too large to read
are summarised by their operation count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy as sp

from derive.algebra import is_zero
from derive.catalogue import A, Z
from derive.symbols import latex
from derive.validation import argument_error

if TYPE_CHECKING:
    from derive.network import SymbolicNetwork
    from derive.proof import ProofResult

__all__ = ["FORMATS", "SHOWN_OPERATION_LIMIT", "render_equations", "render_report"]

FORMATS = ("md", "latex")
# Expanded gradients with more operations than this are summarised, not printed.
SHOWN_OPERATION_LIMIT = 24


@dataclass(frozen=True)
class Math:
    """Inline math (LaTeX source)."""

    source: str


@dataclass(frozen=True)
class Code:
    """A name from the code, shown in monospace."""

    text: str


# A block is ("heading", level, text) | ("paragraph", text) | ("equation", latex)
# | ("table", header, rows); text is a list of str, Math and Code segments.


def render_report(
    network: SymbolicNetwork, format: str = "md", proof: ProofResult | None = None
) -> str:
    """The derivation of ``network``'s gradients as Markdown or as a standalone LaTeX document.

    Parameters
    ----------
    network : SymbolicNetwork
    format : {"md", "latex"}
        Markdown with ``$...$`` and ``$$...$$`` math, or a complete LaTeX document.
    proof : ProofResult, optional
        When given (``network.prove()``), a section lists how each gradient was proven.

    Returns
    -------
    str
    """
    if format not in FORMATS:
        raise argument_error("format", f"one of {', '.join(map(repr, FORMATS))}", format)
    blocks = _blocks(network, proof)
    return _markdown(blocks) if format == "md" else _latex_document(blocks)


def render_equations(network: SymbolicNetwork) -> str:
    """The key equations (forward pass, delta^L, recursion, gradients) as one ``$$`` block."""
    lines = []
    for symbol, definition in network.backprop.sample_definitions[0].items():
        lines.append(f"{latex(symbol)} &= {latex(definition)}")
    lines.append(
        r"\frac{\partial C}{\partial W^m} &= \delta^m a^{m-1\top}, \quad "
        r"\frac{\partial C}{\partial b^m} = \delta^m"
    )
    return "$$\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}$$"


# -- content ----------------------------------------------------------------------------------


def _blocks(network: SymbolicNetwork, proof: ProofResult | None) -> list[tuple]:
    names = ", ".join(act.name for act in network.activations)
    title = (
        f"Gradients of a {list(network.sizes)} network: {names} activations, "
        f"{network.cost.name} cost"
    )
    blocks: list[tuple] = [("heading", 1, [title])]
    blocks += _notation(network)
    blocks += _catalogue_section(network)
    blocks += _forward_section(network)
    blocks += _output_delta_section(network)
    if network.n_layers > 1:
        blocks += _recursion_section(network)
    blocks += _gradient_section(network)
    if proof is not None:
        blocks += _proof_section(proof)
    return blocks


def _notation(network: SymbolicNetwork) -> list[tuple]:
    L, sizes = network.n_layers, network.sizes
    n_params = len(network.parameters)
    text = [
        f"The network has L = {L} layers with sizes ",
        Math(", ".join(f"N^{{{m}}} = {n}" for m, n in enumerate(sizes))),
        f" and {n_params} parameters. ",
        Math(r"W^m \in \mathbb{R}^{N^m \times N^{m-1}}"),
        " has entries ",
        Math("W^m_{ij}"),
        " (from unit ",
        Math("j"),
        " of layer ",
        Math("m-1"),
        " to unit ",
        Math("i"),
        " of layer ",
        Math("m"),
        "), ",
        Math(r"b^m \in \mathbb{R}^{N^m}"),
        ", ",
        Math("z^m = W^m a^{m-1} + b^m"),
        ", ",
        Math(r"a^m = \sigma^m(z^m)"),
        ", ",
        Math("a^0 = x"),
        " (the input), ",
        Math("y"),
        " is the target and ",
        Math(r"\delta^m = \partial C / \partial z^m"),
        ". Every derivative below comes from SymPy differentiation of the definitions; none is "
        "taken from a table.",
    ]
    blocks = [("heading", 2, ["Notation"]), ("paragraph", text)]
    if network.n_samples > 1:
        blocks.append(
            (
                "paragraph",
                [
                    f"The batch has {network.n_samples} samples; sample s is marked ",
                    Math("^{(s)}"),
                    " and the batch cost is the mean ",
                    Math(r"C = \frac{1}{n}\sum_{s=1}^{n} C^{(s)}"),
                    ", so every gradient is the mean of the per-sample gradients.",
                ],
            )
        )
    return blocks


def _catalogue_section(network: SymbolicNetwork) -> list[tuple]:
    blocks: list[tuple] = [("heading", 2, ["Activations and cost"])]
    seen = []
    for m, act in enumerate(network.activations, start=1):
        if act in seen:
            continue
        seen.append(act)
        layers = [str(k) for k, other in enumerate(network.activations, start=1) if other is act]
        where = f" (layer{'s' if len(layers) > 1 else ''} {', '.join(layers)})"
        if act.elementwise:
            blocks.append(
                (
                    "paragraph",
                    [Code(act.name), where, ", by its definition and by differentiation:"],
                )
            )
            blocks.append(
                (
                    "equation",
                    rf"\sigma(z) = {latex(act.expression)}, \qquad "
                    rf"\sigma'(z) = {latex(act.derivative)}",
                )
            )
            steps = act.expression.atoms(sp.Heaviside)
            if steps:
                values = ", ".join(sorted(latex(step.subs(Z, 0)) for step in steps))
                blocks.append(
                    (
                        "paragraph",
                        [
                            Math(r"\theta(z, H_0)"),
                            " is the Heaviside step, with value ",
                            Math("H_0"),
                            " at 0; here ",
                            Math(f"H_0 = {values}"),
                            ", which makes the derivative at the kink ",
                            Math(rf"\sigma'(0) = {latex(act.derivative.subs(Z, 0))}"),
                            " (a convention: the function is not differentiable there).",
                        ],
                    )
                )
            if act.output_derivative is not None and act.output_derivative.has(A):
                blocks.append(
                    (
                        "paragraph",
                        [
                            "In terms of the output ",
                            Math(r"a = \sigma(z)"),
                            " (proven exactly: substituting ",
                            Math(r"a = \sigma(z)"),
                            " gives ",
                            Math(r"\sigma'(z)"),
                            " back):",
                        ],
                    )
                )
                blocks.append(("equation", rf"\sigma'(z) = {latex(act.output_derivative)}"))
        else:
            n = network.sizes[m]
            zs = sp.symbols(f"z_1:{n + 1}", real=True)
            outputs = sp.symbols(f"a_1:{n + 1}", real=True)
            first = act(zs)[0]
            blocks.append(
                ("paragraph", [Code(act.name), where, ", vector-valued; for the first unit:"])
            )
            blocks.append(("equation", rf"a_1 = {latex(first)}"))
            blocks.append(
                (
                    "paragraph",
                    [
                        "Its Jacobian is not diagonal; differentiated and written in terms of the "
                        "outputs (proven exactly), ",
                        Math(r"\partial a_i / \partial z_k"),
                        ":",
                    ],
                )
            )
            blocks.append(("equation", latex(act.jacobian(zs, outputs))))
    outputs = network.backprop.a[0][-1]
    targets = list(network.targets[0])
    cost = network.cost(outputs, targets)
    blocks.append(("paragraph", ["The cost ", Code(network.cost.name), " of one sample:"]))
    blocks.append(("equation", rf"C = {latex(cost)}"))
    lines = [
        rf"\frac{{\partial C}}{{\partial {latex(a)}}} &= {latex(g)}"
        for a, g in zip(outputs, network.cost.gradient(outputs, targets))
    ]
    blocks.append(("equation", _aligned(lines)))
    return blocks


def _forward_section(network: SymbolicNetwork) -> list[tuple]:
    backprop = network.backprop
    definitions = backprop.sample_definitions[0]
    blocks: list[tuple] = [
        ("heading", 2, ["Forward pass"]),
        ("paragraph", ["For ", Math("m = 1, \\ldots, L"), ", element by element:"]),
        ("equation", r"z^m = W^m a^{m-1} + b^m, \qquad a^m = \sigma^m(z^m)"),
    ]
    for m in range(1, network.n_layers + 1):
        symbols = backprop.z[0][m] + backprop.a[0][m]
        blocks.append(("equation", _aligned(_definition_lines(symbols, definitions))))
    return blocks


def _output_delta_section(network: SymbolicNetwork) -> list[tuple]:
    backprop = network.backprop
    L = network.n_layers
    out = backprop.output_deltas[0]
    outputs, targets = backprop.a[0][L], list(network.targets[0])
    general = (
        r"\delta^L_k = \sum_i \frac{\partial C}{\partial a^L_i}"
        r"\frac{\partial a^L_i}{\partial z^L_k}"
    )
    if network.activations[-1].elementwise:
        general += r" = \frac{\partial C}{\partial a^L_k}\,\sigma'^L(z^L_k)"
    lines = []
    for symbol, product, simplified in zip(backprop.delta[0][L], out.product, out.simplified):
        line = f"{latex(symbol)} &= {latex(product)}"
        if simplified != product:
            line += f" = {latex(simplified)}"
        lines.append(line)
    blocks: list[tuple] = [
        ("heading", 2, ["Output layer"]),
        ("paragraph", ["By the chain rule through the output activation's Jacobian:"]),
        ("equation", general),
        ("equation", _aligned(lines)),
    ]
    difference = [s - (a - y) for s, a, y in zip(out.simplified, outputs, targets)]
    pair = [Code(network.activations[-1].name), " with ", Code(network.cost.name)]
    if all(is_zero(d) for d in difference):
        blocks.append(("paragraph", [*pair, " collapses to ", Math(r"\delta^L = a^L - y"), "."]))
    else:
        # Categorical targets sum to 1; eliminate the last one to see whether that is all it takes.
        last = 1 - sp.Add(*targets[:-1])
        if all(is_zero(d.subs(targets[-1], last)) for d in difference):
            blocks.append(
                (
                    "paragraph",
                    [
                        *pair,
                        " collapses to ",
                        Math(r"\delta^L = a^L - y"),
                        " when the targets of a sample sum to 1 (",
                        Math(r"\sum_k y_k = 1"),
                        ", as one-hot and probability targets do); otherwise it is the "
                        "expression above.",
                    ],
                )
            )
    return blocks


def _recursion_section(network: SymbolicNetwork) -> list[tuple]:
    backprop = network.backprop
    definitions = backprop.sample_definitions[0]
    lines = []
    for m in range(network.n_layers - 1, 0, -1):
        lines += _definition_lines(backprop.delta[0][m], definitions)
    blocks: list[tuple] = [
        ("heading", 2, ["Backward recursion"]),
        ("paragraph", ["For ", Math("m = L-1, \\ldots, 1"), ":"]),
        ("equation", r"\delta^m = \left(W^{m+1\top} \delta^{m+1}\right) \circ \sigma'^m(z^m)"),
    ]
    if not all(act.elementwise for act in network.activations[:-1]):
        blocks.append(
            (
                "paragraph",
                [
                    "For a vector-valued activation the Hadamard product becomes the product with "
                    "its transposed Jacobian, ",
                    Math(r"\delta^m = J^{m\top}\left(W^{m+1\top}\delta^{m+1}\right)"),
                    ".",
                ],
            )
        )
    blocks.append(("equation", _aligned(lines)))
    return blocks


def _gradient_section(network: SymbolicNetwork) -> list[tuple]:
    backprop = network.backprop
    rows = []
    for parameter in network.parameters:
        gradient = backprop.gradients[parameter.symbol]
        count = backprop.operation_count(gradient)
        shown = (
            Math(latex(backprop.expand(gradient)))
            if count <= SHOWN_OPERATION_LIMIT
            else f"{count} operations"
        )
        rows.append(
            [
                Math(rf"\frac{{\partial C}}{{\partial {latex(parameter.symbol)}}}"),
                Math(latex(gradient)),
                shown,
            ]
        )
    mean = ", averaged over the batch" if network.n_samples > 1 else ""
    return [
        ("heading", 2, ["Gradients"]),
        ("paragraph", [f"For every layer{mean}:"]),
        (
            "equation",
            r"\frac{\partial C}{\partial W^m} = \delta^m a^{m-1\top}, \qquad "
            r"\frac{\partial C}{\partial b^m} = \delta^m",
        ),
        (
            "paragraph",
            [
                "Every parameter, in terms of the intermediates and expanded in ",
                Math("W, b, x, y"),
                f" (expansions needing more than {SHOWN_OPERATION_LIMIT} operations, each "
                "common subexpression counted once, are summarised by that count):",
            ],
        ),
        ("table", [["parameter"], ["backprop form"], ["expanded"]], rows),
    ]


def _proof_section(proof: ProofResult) -> list[tuple]:
    rows = [[Math(latex(p.parameter.symbol)), p.method, p.detail] for p in proof.proofs]
    return [
        ("heading", 2, ["Proof: direct differentiation equals backprop"]),
        ("paragraph", [proof.summary() + "."]),
        ("table", [["parameter"], ["method"], ["detail"]], rows),
    ]


def _definition_lines(symbols, definitions) -> list[str]:
    return [f"{latex(s)} &= {latex(definitions[s])}" for s in symbols]


def _aligned(lines: list[str]) -> str:
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


# -- renderers --------------------------------------------------------------------------------


def _markdown(blocks: list[tuple]) -> str:
    def text(segments, in_table=False) -> str:
        out = []
        for segment in segments if isinstance(segments, list) else [segments]:
            if isinstance(segment, Math):
                source = segment.source.replace("|", r"\vert ") if in_table else segment.source
                out.append(f"${source}$")
            elif isinstance(segment, Code):
                out.append(f"`{segment.text}`")
            else:
                out.append(segment)
        return "".join(out)

    parts = []
    for block in blocks:
        kind = block[0]
        if kind == "heading":
            parts.append("#" * block[1] + " " + text(block[2]))
        elif kind == "paragraph":
            parts.append(text(block[1]))
        elif kind == "equation":
            parts.append(f"$$\n{block[1]}\n$$")
        else:
            header, rows = block[1], block[2]
            lines = ["| " + " | ".join(text(h) for h in header) + " |"]
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(text(c, True) for c in row) + " |" for row in rows]
            parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


_LATEX_SPECIAL = {c: "\\" + c for c in "&%$#_{}"} | {"~": r"\textasciitilde{}", "^": r"\^{}"}


def _latex_document(blocks: list[tuple]) -> str:
    def escape(plain: str) -> str:
        return "".join(_LATEX_SPECIAL.get(c, c) for c in plain.replace("\\", r"\textbackslash{}"))

    def text(segments) -> str:
        out = []
        for segment in segments if isinstance(segments, list) else [segments]:
            if isinstance(segment, Math):
                out.append(f"${segment.source}$")
            elif isinstance(segment, Code):
                out.append(rf"\texttt{{{escape(segment.text)}}}")
            else:
                out.append(escape(segment))
        return "".join(out)

    body = []
    for block in blocks:
        kind = block[0]
        if kind == "heading" and block[1] == 1:
            body.append(rf"\section*{{{text(block[2])}}}")
        elif kind == "heading":
            body.append(rf"\subsection*{{{text(block[2])}}}")
        elif kind == "paragraph":
            body.append(text(block[1]))
        elif kind == "equation":
            body.append(f"\\[\n{block[1]}\n\\]")
        else:
            header, rows = block[1], block[2]
            lines = [r"\begin{longtable}{" + "l" * len(header) + "}", r"\hline"]
            lines.append(" & ".join(text(h) for h in header) + r" \\ \hline")
            lines += [" & ".join(text(c) for c in row) + r" \\" for row in rows]
            lines += [r"\hline", r"\end{longtable}"]
            body.append("\n".join(lines))
    preamble = "\n".join(
        [
            r"\documentclass{article}",
            r"\usepackage{amsmath,amssymb}",
            r"\usepackage{longtable}",
            r"\usepackage[margin=2cm]{geometry}",
            r"\allowdisplaybreaks",
            r"\begin{document}",
        ]
    )
    return preamble + "\n\n" + "\n\n".join(body) + "\n\n\\end{document}\n"
