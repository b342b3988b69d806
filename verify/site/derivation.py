"""Derivation pages: a small network's forward pass, deltas and gradients as rendered equations,
with the proof's verdict per parameter.

Every formula is one of ``derive``'s SymPy expressions (the network's definitions, its output
delta, its backprop gradients and their expansions), printed by SymPy's MathML printer
(``verify.site.mathml.expression``); only the general equations of the notation are LaTeX. The
content follows ``derive.render_report`` section by section.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive import ProofResult, SymbolicNetwork
from derive.algebra import is_zero
from derive.catalogue import A, Z
from derive.symbols import latex_name
from verify.site.mathml import expression, inline, latex, rows
from verify.site.page import Cell, badge, escape, figure, table

__all__ = ["SHOWN_OPERATION_LIMIT", "Derivation", "render_derivation", "render_derivations"]

# Expanded gradients with more operations than this are summarised by the count, as in
# derive.render_report.
SHOWN_OPERATION_LIMIT = 24
COLLAPSES = r"collapses to $\delta^L = a^L - y$."


@dataclass(frozen=True)
class Derivation:
    """One network of the report set: its page name, a title and what it shows."""

    slug: str
    title: str
    summary: str
    network: SymbolicNetwork
    proof: ProofResult

    @property
    def filename(self) -> str:
        return f"derivation-{self.slug}.html"

    @property
    def sizes(self) -> list[int]:
        return list(self.network.sizes)

    @property
    def activations(self) -> list[str]:
        return [act.name for act in self.network.activations]


def _equation(markup: str) -> str:
    return f'<div class="equation">{markup}</div>'


def _partial(symbol) -> str:
    """LaTeX of dC/d``symbol``, the symbol in the document's notation."""
    return rf"\frac{{\partial C}}{{\partial {latex_name(symbol)}}}"


def _p(text: str) -> str:
    """A paragraph of the reports' Markdown (``$...$`` math, ``code``) as HTML."""
    return f"<p>{inline(text)}</p>"


def _notation(network: SymbolicNetwork) -> list[str]:
    sizes = ", ".join(f"N^{{{m}}} = {n}" for m, n in enumerate(network.sizes))
    parts = [
        '<h2 id="notation">Notation</h2>',
        _p(
            f"The network has $L = {network.n_layers}$ layers with sizes ${sizes}$ and "
            f"{len(network.parameters)} parameters. "
            + r"$W^m \in \mathbb{R}^{N^m \times N^{m-1}}$ has entries $W^m_{ij}$ (from unit $j$ "
            r"of layer $m-1$ to unit $i$ of layer $m$), $b^m \in \mathbb{R}^{N^m}$, "
            r"$z^m = W^m a^{m-1} + b^m$, $a^m = \sigma^m(z^m)$, $a^0 = x$ (the input), $y$ is "
            r"the target and $\delta^m = \partial C / \partial z^m$. Every derivative below "
            "comes from SymPy differentiation of the definitions; none is taken from a table."
        ),
    ]
    if network.n_samples > 1:
        parts.append(
            _p(
                f"The batch has {network.n_samples} samples; sample s is marked "
                + r"$^{(s)}$ and the batch cost is the mean "
                + r"$C = \frac{1}{n}\sum_{s=1}^{n} C^{(s)}$."
            )
        )
    return parts


def _activations(network: SymbolicNetwork) -> list[str]:
    parts = ['<h2 id="activations">Activations and cost</h2>']
    seen = []
    for m, act in enumerate(network.activations, start=1):
        if act in seen:
            continue
        seen.append(act)
        layers = [str(k) for k, other in enumerate(network.activations, start=1) if other is act]
        where = f"layer{'s' if len(layers) > 1 else ''} {', '.join(layers)}"
        if act.elementwise:
            parts.append(
                f"<p><code>{escape(act.name)}</code> ({where}), by its definition and by "
                "differentiation:</p>"
            )
            parts.append(
                _equation(
                    rows([[(r"\sigma(z)",), act.expression], [(r"\sigma'(z)",), act.derivative]])
                )
            )
            steps = act.expression.atoms(sp.Heaviside)
            if steps:
                values = sorted({step.subs(Z, 0) for step in steps}, key=str)
                value_text = ", ".join(expression(v) for v in values)
                parts.append(
                    "<p>"
                    + inline(r"$\Theta(z, H_0)$ is the Heaviside step, with value $H_0$ at 0; ")
                    + f"here {inline('$H_0$')} = {value_text}, which makes the derivative at the "
                    + inline(r"kink $\sigma'(0)$ = ")
                    + expression(act.derivative.subs(Z, 0))
                    + " (a convention: the function is not differentiable there).</p>"
                )
            output = act.output_derivative
            if output is not None and output.has(A):
                parts.append(
                    _p(
                        r"In terms of the output $a = \sigma(z)$ (proven exactly: substituting "
                        r"$a = \sigma(z)$ gives $\sigma'(z)$ back):"
                    )
                )
                parts.append(_equation(rows([[(r"\sigma'(z)",), output]])))
        else:
            n = network.sizes[m]
            zs = sp.symbols(f"z_1:{n + 1}", real=True)
            outputs = sp.symbols(f"a_1:{n + 1}", real=True)
            parts.append(
                f"<p><code>{escape(act.name)}</code> ({where}), vector-valued; for the first "
                "unit:</p>"
            )
            parts.append(_equation(rows([[outputs[0], act(zs)[0]]])))
            parts.append(
                _p(
                    "Its Jacobian is not diagonal; differentiated and written in terms of the "
                    r"outputs (proven exactly), $\partial a_i / \partial z_k$:"
                )
            )
            parts.append(_equation(expression(act.jacobian(zs, outputs), display=True)))
    outputs = network.backprop.a[0][-1]
    targets = list(network.targets[0])
    cost = network.cost(outputs, targets)
    parts.append(f"<p>The cost <code>{escape(network.cost.name)}</code> of one sample:</p>")
    gradient = network.cost.gradient(outputs, targets)
    lines = [[(r"C",), cost]]
    lines += [[(_partial(a),), g] for a, g in zip(outputs, gradient)]
    parts.append(_equation(rows(lines)))
    return parts


def _definitions(symbols, definitions) -> str:
    return _equation(rows([[symbol, definitions[symbol]] for symbol in symbols]))


def _forward(network: SymbolicNetwork) -> list[str]:
    backprop = network.backprop
    definitions = backprop.sample_definitions[0]
    parts = [
        '<h2 id="forward">Forward pass</h2>',
        _p(r"For $m = 1, \ldots, L$, element by element:"),
        _equation(latex(r"z^m = W^m a^{m-1} + b^m, \qquad a^m = \sigma^m(z^m)", display=True)),
    ]
    for m in range(1, network.n_layers + 1):
        parts.append(f'<h3 id="layer-{m}">Layer {m}</h3>')
        parts.append(_definitions(backprop.z[0][m] + backprop.a[0][m], definitions))
    return parts


def _output_delta(network: SymbolicNetwork) -> list[str]:
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
        lines.append([symbol, product] + ([simplified] if simplified != product else []))
    parts = [
        '<h2 id="output-delta">Output layer</h2>',
        "<p>By the chain rule through the output activation's Jacobian:</p>",
        _equation(latex(general, display=True)),
        _equation(rows(lines)),
    ]
    difference = [s - (a - y) for s, a, y in zip(out.simplified, outputs, targets)]
    pair = (
        f"<code>{escape(network.activations[-1].name)}</code> with "
        f"<code>{escape(network.cost.name)}</code>"
    )
    if all(is_zero(d) for d in difference):
        parts.append(f"<p>{pair} {inline(COLLAPSES)}</p>")
    else:
        last = 1 - sp.Add(*targets[:-1])
        if all(is_zero(d.subs(targets[-1], last)) for d in difference):
            sentence = (
                r"collapses to $\delta^L = a^L - y$ when the targets of a sample sum to 1 "
                r"($\sum_k y_k = 1$, as one-hot and probability targets do); otherwise it is the "
                "expression above."
            )
            parts.append(f"<p>{pair} {inline(sentence)}</p>")
    return parts


def _recursion(network: SymbolicNetwork) -> list[str]:
    if network.n_layers < 2:
        return []
    backprop = network.backprop
    definitions = backprop.sample_definitions[0]
    symbols = [s for m in range(network.n_layers - 1, 0, -1) for s in backprop.delta[0][m]]
    parts = [
        '<h2 id="recursion">Backward recursion</h2>',
        _p(r"For $m = L-1, \ldots, 1$:"),
        _equation(
            latex(
                r"\delta^m = \left(W^{m+1\top} \delta^{m+1}\right) \circ \sigma'^m(z^m)",
                display=True,
            )
        ),
    ]
    if not all(act.elementwise for act in network.activations[:-1]):
        parts.append(
            _p(
                "For a vector-valued activation the Hadamard product becomes the product with "
                r"its transposed Jacobian, "
                r"$\delta^m = J^{m\top}\left(W^{m+1\top}\delta^{m+1}\right)$."
            )
        )
    parts.append(_definitions(symbols, definitions))
    return parts


def _gradients(network: SymbolicNetwork) -> list[str]:
    backprop = network.backprop
    table_rows = []
    for parameter in network.parameters:
        gradient = backprop.gradients[parameter.symbol]
        count = backprop.operation_count(gradient)
        shown = (
            expression(backprop.expand(gradient))
            if count <= SHOWN_OPERATION_LIMIT
            else f"{count} operations"
        )
        table_rows.append(
            [
                Cell(latex(_partial(parameter.symbol))),
                Cell(expression(gradient)),
                Cell(shown if shown.startswith("<") else escape(shown)),
            ]
        )
    mean = ", averaged over the batch" if network.n_samples > 1 else ""
    return [
        '<h2 id="gradients">Gradients</h2>',
        f"<p>For every layer{mean}:</p>",
        _equation(
            latex(
                r"\frac{\partial C}{\partial W^m} = \delta^m a^{m-1\top}, \qquad "
                r"\frac{\partial C}{\partial b^m} = \delta^m",
                display=True,
            )
        ),
        _p(
            "Every parameter, in terms of the intermediates and expanded in $W, b, x, y$ "
            f"(expansions needing more than {SHOWN_OPERATION_LIMIT} operations, each common "
            "subexpression counted once, are summarised by that count):"
        ),
        table(["parameter", "backprop form", "expanded"], table_rows),
    ]


def _proof(proof: ProofResult) -> list[str]:
    table_rows = [
        [
            Cell(expression(p.parameter.symbol)),
            Cell(
                badge(f"equal, {p.method}", "ok")
                if p.equal
                else badge(f"DIFFERENT, {p.method}", "failed"),
                "shrink",
            ),
            p.detail,
        ]
        for p in proof.proofs
    ]
    verdict = badge("proven", "ok") if proof.equal else badge("routes differ", "failed")
    return [
        '<h2 id="proof">Proof: direct differentiation equals backprop</h2>',
        f"<p>{verdict} {escape(proof.summary())}. Route (a) differentiates the explicit cost "
        "with SymPy, route (b) is the backprop recursion above; for each parameter the two "
        "gradients are shown equal exactly (their difference simplifies to 0) or, where "
        "simplification is too costly, at seeded random points to many digits.</p>",
        table(["parameter", "verdict", "how"], table_rows),
    ]


def render_derivation(
    derivation: Derivation, loss_plot: tuple | None = None, *, training: bool = False
) -> str:
    """The body of one derivation page; with ``training``, a section shows ``loss_plot``,
    ``(data_uri, width, height)`` of the XOR run's training loss (None without matplotlib)."""
    network, proof = derivation.network, derivation.proof
    names = ", ".join(dict.fromkeys(derivation.activations))
    status = (
        badge("proof: both routes agree", "ok") if proof.equal else badge("proof fails", "failed")
    )
    parts = [
        f"<h1>{escape(derivation.title)}</h1>",
        f'<p class="lead">{inline(derivation.summary)} Sizes <code>{escape(derivation.sizes)}'
        f"</code>, activations <code>{escape(names)}</code>, cost "
        f"<code>{escape(network.cost.name)}</code>; {len(network.parameters)} parameters.</p>",
        f'<p>{status} <a href="#proof">per parameter</a></p>',
        '<nav class="toc" aria-label="Sections">'
        + "".join(
            f'<a href="#{target}">{label}</a>'
            for target, label in (
                ("notation", "Notation"),
                ("activations", "Activations and cost"),
                ("forward", "Forward pass"),
                ("output-delta", "Output layer"),
                *((("recursion", "Backward recursion"),) if network.n_layers > 1 else ()),
                ("gradients", "Gradients"),
                ("proof", "Proof"),
            )
        )
        + "</nav>",
    ]
    parts += _notation(network)
    parts += _activations(network)
    parts += _forward(network)
    parts += _output_delta(network)
    parts += _recursion(network)
    parts += _gradients(network)
    parts += _proof(proof)
    if training:
        parts += [
            '<h2 id="training">Training it</h2>',
            figure(
                loss_plot,
                "Cross-entropy against the full-batch step for eight seeds of the XOR run",
                "The document's XOR run (learning rate 1, 1,000 full-batch steps, standard-normal "
                "initialisation) for seeds 1 to 8; a seed marked <em>fails</em> has not learned "
                "XOR after its 1,000 steps.",
            ),
        ]
    return "\n".join(parts)


def render_derivations(derivations) -> str:
    """The body of ``derivations.html``: the report set, one row per network."""
    table_rows = [
        [
            Cell(f'<a href="{d.filename}">{escape(d.title)}</a>'),
            Cell(f"<code>{escape(d.sizes)}</code>"),
            ", ".join(dict.fromkeys(d.activations)),
            d.network.cost.name,
            Cell(str(len(d.network.parameters)), "num"),
            Cell(badge("agree", "ok") if d.proof.equal else badge("differ", "failed")),
        ]
        for d in derivations
    ]
    return "\n".join(
        [
            "<h1>Derivations</h1>",
            '<p class="lead">Small networks derived symbolically from the definitions: the '
            "forward pass, the output delta, the backward recursion and every parameter's "
            "gradient, each proven equal to direct differentiation of the cost.</p>",
            table(
                ["network", "sizes", "activations", "cost", "parameters", "proof"],
                table_rows,
                numeric=(4,),
            ),
        ]
    )
