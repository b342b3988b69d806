"""Every claim of the reference document as an audit item.

``ITEMS`` encodes each displayed equation, each table cell, the prose claims that can be tested,
and the toy program's behaviour: where it is (line and exact quote), what it claims (restated
precisely, including the index ranges, subscripts, operator precedence and products that the
notation implies), and the corrected statement (None where the statement stands as written).
Verdicts are not data: the checks in ``verify.audit.checks`` compute them.
"""
# ruff: noqa: E501
# (quotes are kept verbatim, claims and corrections on one line each: long lines)

from __future__ import annotations

from verify.audit.document import Item, Location

__all__ = ["ITEMS", "ITEM_ALIASES", "get_item"]


def _at(line: int, *quotes: str) -> tuple[Location, ...]:
    return tuple(Location(line, quote) for quote in quotes)


# -- the items ---------------------------------------------------------------------------------
# Claims restate the document in its notation; $\delta^m$ abbreviates $\partial C / \partial z^m$.

ITEMS: tuple[Item, ...] = (
    # Introduction
    Item(
        "dangling-reference",
        "Introduction: the recommended tutorial",
        _at(
            1,
            "For a somewhat more accessible and readable (but slightly less complete) tutorial which uses notation similar to this one, please see",
        ),
        r"The introduction names a more accessible tutorial for the reader to see.",
        r"The sentence stops at “please see”: the reference (a title or a link) is missing. Add it, or drop the sentence.",
        "prose",
    ),
    # Review: the chain rule
    Item(
        "chain-rule-scalar",
        "Chain rule, scalar",
        _at(
            5,
            r"\frac{\partial C}{\partial w} = \frac{\partial C}{\partial z}\frac{\partial z}{\partial w}",
        ),
        r"For scalars $C(z(w))$: $\frac{dC}{dw} = \frac{dC}{dz}\frac{dz}{dw}$.",
        None,
        "equation",
    ),
    Item(
        "chain-rule-sum",
        "Chain rule, several variables",
        _at(
            5,
            r"\frac{\partial C}{\partial w} = \sum_{i = 1}^N \frac{\partial C}{\partial z_i}\frac{\partial z_i}{\partial w}",
        ),
        r"For $C(z_1(w), \ldots, z_N(w))$: $\frac{\partial C}{\partial w} = \sum_{i=1}^N \frac{\partial C}{\partial z_i}\frac{\partial z_i}{\partial w}$, for any $C$ (not only additive ones).",
        None,
        "equation",
    ),
    # Notation
    Item(
        "notation-shapes",
        "Notation: sizes and shapes",
        (
            *_at(10, "$L$ - Number of layers in the network."),
            *_at(12, r"$N^n$ - Dimensionality of layer $n \in \{0, \ldots, L\}$"),
            *_at(14, r"$W^m \in \mathbb{R}^{N^m \times N^{m - 1}}$"),
            *_at(16, r"$b^m \in \mathbb{R}^{N^m}$"),
            *_at(20, r"$z^m \in \mathbb{R}^{N^m}$", r"$z^m = W^m a^{m - 1} + b^m$"),
            *_at(24, r"$y \in \mathbb{R}^{N^L}$"),
            *_at(
                26,
                r"$C$ - Cost/error function of the network, which is a function of $a^L$ (the network output) and $y$ (treated as a constant).",
            ),
        ),
        r"With $N^0, \ldots, N^L$ the layer sizes, $W^m$ of shape $(N^m, N^{m-1})$, $b^m$ and $z^m$ of length $N^m$, $y$ of length $N^L$: $z^m = W^m a^{m-1} + b^m$ is defined for $m = 1..L$, and $C(a^L, y)$ is a scalar.",
        None,
        "equation",
    ),
    Item(
        "notation-layer-count",
        "Notation: the number of layers",
        (
            *_at(10, "$L$ - Number of layers in the network."),
            *_at(12, r"$N^n$ - Dimensionality of layer $n \in \{0, \ldots, L\}$"),
        ),
        r"$L$ is the number of layers of the network, whose layers are numbered $n = 0, \ldots, L$.",
        r"$L$ is the number of layers with parameters ($W^m, b^m$ for $m = 1..L$); with the input, layer 0, the network has $L + 1$ layers (the program's docstring, line 134, counts them so: “length L+1 (including the input dimensionality)”).",
        "prose",
    ),
    Item(
        "notation-weight-index",
        "Notation: meaning of $W^m_{ij}$",
        _at(
            14,
            r"$W^m_{ij}$ is the weight between the $i^{th}$ unit in layer $m$ and the $j^{th}$ unit in layer $m - 1$.",
        ),
        r"$\partial z^m_i / \partial a^{m-1}_j = W^m_{ij}$: row $i$ belongs to unit $i$ of layer $m$, column $j$ to unit $j$ of layer $m-1$.",
        None,
        "equation",
    ),
    Item(
        "notation-elementwise",
        "Notation: elementwise activations",
        _at(
            18,
            r"$\sigma^m$ - Nonlinear activation function of the units in layer $m$, applied elementwise.",
        ),
        r"For the document's nonlinearities the Jacobian $\partial a^m / \partial z^m$ is diagonal (unit $i$'s output depends on $z^m_i$ alone), which the component formulas below rely on.",
        None,
        "equation",
    ),
    Item(
        "affine-called-linear",
        "Notation: “linear mix”",
        (
            *_at(20, r"$z^m \in \mathbb{R}^{N^m}$ - Linear mix of the inputs to layer $m$"),
            *_at(35, "the linear mix variables $z^m_k$"),
        ),
        r"$z^m = W^m a^{m-1} + b^m$ is a linear function (a linear mix) of the inputs $a^{m-1}$ to layer $m$.",
        r"It is affine, linear plus the bias: $z^m(a + a') \ne z^m(a) + z^m(a')$ and $z^m(0) = b^m \ne 0$. Say “affine mix” (or “pre-activation”); $z^m$ is linear in the parameters $(W^m, b^m)$ for fixed inputs, and $z^m - b^m$ is linear in the inputs.",
        "prose",
    ),
    Item(
        "notation-undefined-h",
        "Notation: $a^m = \\sigma^m(h^m)$",
        _at(22, r"$a^m = \sigma^m(h^m) = \sigma^m(W^m a^{m - 1} + b^m)$"),
        r"$a^m = \sigma^m(h^m)$ with $h^m$ as defined in the notation.",
        r"$a^m = \sigma^m(z^m) = \sigma^m(W^m a^{m-1} + b^m)$: $h^m$ is never defined; it stands for $z^m$ (elsewhere $h$ is only a summation index).",
        "equation",
    ),
    # Backpropagation in general
    Item(
        "gradient-wording",
        "What backpropagation computes",
        _at(
            30,
            r"we need to know the gradient of each of the parameters with respect to the cost/error function $C$",
        ),
        r"Training needs the gradient of each parameter with respect to $C$.",
        r"Training needs the gradient of $C$ with respect to each parameter, $\frac{\partial C}{\partial W^m}$ and $\frac{\partial C}{\partial b^m}$, each of its parameter's shape (the parameters are not functions of $C$).",
        "prose",
    ),
    Item(
        "spelling-grammar",
        "Spelling and grammar",
        (
            *_at(35, "To compute the gradient of our cost/error function $C$ to $W^m_{ij}$"),
            *_at(75, "(for any layer $m$ includling $L$)"),
            *_at(87, "The following two table lists the some common choices"),
            *_at(107, "This process is repeated until some stopping criteria is met."),
        ),
        r"Lines 35, 75, 87 and 107 are written in standard English.",
        r"“the gradient of our cost/error function $C$ with respect to $W^m_{ij}$” (35); “including” (75); “The following two tables list some common choices” (87); “until a stopping criterion is met” (107).",
        "prose",
    ),
    Item(
        "chain-rule-weights",
        "Chain rule for $W^m_{ij}$",
        _at(
            37,
            r"\frac{\partial C}{\partial W^m_{ij}} = \sum_{k = 1}^{N^m} \frac{\partial C}{\partial z^m_k} \frac{\partial z^m_k}{\partial W^m_{ij}}",
        ),
        r"$\frac{\partial C}{\partial W^m_{ij}} = \sum_{k=1}^{N^m} \frac{\partial C}{\partial z^m_k}\frac{\partial z^m_k}{\partial W^m_{ij}}$, the sum running over the $N^m$ units of layer $m$.",
        None,
        "equation",
    ),
    Item(
        "z-sum-range",
        "Range of the sum in $z^m_k$",
        (
            *_at(39, r"z^m_k = \sum_{l = 1}^{N^m} W^m_{kl} a_l^{m - 1} + b^m_k"),
            *_at(
                41,
                r"\frac{\partial z^m_i}{\partial W^m_{ij}} &= \frac{\partial}{\partial W^m_{ij}}\left(\sum_{l = 1}^{N^m} W^m_{il} a_l^{m - 1} + b^m_i\right)",
            ),
            *_at(
                57,
                r"\frac{\partial z^m_i}{\partial b^m_i} &= \frac{\partial}{\partial b^m_i}\left(\sum_{l = 1}^{N^m} W^m_{il} a_l^{m - 1} + b^m_i\right)",
            ),
        ),
        r"$z^m_k = \sum_{l=1}^{N^m} W^m_{kl} a^{m-1}_l + b^m_k$, the sum running to $N^m$ (stated three times).",
        r"$z^m_k = \sum_{l=1}^{N^{m-1}} W^m_{kl} a^{m-1}_l + b^m_k$: $l$ runs over the $N^{m-1}$ units of layer $m-1$, the columns of $W^m$.",
        "equation",
    ),
    Item(
        "dz-dW",
        "$\\partial z^m_k / \\partial W^m_{ij}$",
        (
            *_at(39, r"will evaluate to zero when $i \ne k$"),
            *_at(
                41,
                r"&= a^{m - 1}_j",
                r"\rightarrow \frac{\partial z^m_k}{\partial W^m_{ij}} &= \begin{cases} 0 & k \ne i\\ a^{m - 1}_j & k = i \end{cases}",
            ),
        ),
        r"$\frac{\partial z^m_k}{\partial W^m_{ij}} = a^{m-1}_j$ if $k = i$, else $0$.",
        None,
        "equation",
    ),
    Item(
        "collapse-reason",
        "Why the sum over $k$ collapses",
        _at(
            43,
            r"The fact that $\frac{\partial C}{\partial a^m_k}$ is $0$ unless $k = i$ causes the summation above to collapse",
        ),
        r"$\frac{\partial C}{\partial a^m_k} = 0$ for $k \ne i$, which collapses the sum of line 37.",
        r"The fact that $\frac{\partial z^m_k}{\partial W^m_{ij}}$ is $0$ unless $k = i$ causes the summation to collapse ($\frac{\partial C}{\partial a^m_k}$ is in general nonzero for every $k$).",
        "equation",
    ),
    Item(
        "dC-dW-component",
        "$\\partial C / \\partial W^m_{ij}$",
        _at(
            45,
            r"\frac{\partial C}{\partial W^m_{ij}} = \frac{\partial C}{\partial z^m_i} a^{m - 1}_j",
        ),
        r"$\frac{\partial C}{\partial W^m_{ij}} = \delta^m_i a^{m-1}_j$.",
        None,
        "equation",
    ),
    Item(
        "dC-dW-vector",
        "$\\partial C / \\partial W^m$ (vector form)",
        (
            *_at(
                49,
                r"\frac{\partial C}{\partial W^m} = \frac{\partial C}{\partial z^m} a^{m - 1 \top}",
            ),
            *_at(
                107,
                r"\frac{\partial C}{\partial W^L} &= \frac{\partial C}{\partial z^L} a^{L - 1 \top}",
                r"\frac{\partial C}{\partial W^{L - 1}} &= \frac{\partial C}{\partial z^{L - 1}} a^{L - 2 \top}",
                r"&= (a^L - y)a^{L - 1\top}",
            ),
        ),
        r"$\frac{\partial C}{\partial W^m} = \delta^m a^{m-1\top}$, the outer product of two column vectors, shape $(N^m, N^{m-1})$; in the example $\frac{\partial C}{\partial W^L} = (a^L - y) a^{L-1\top}$.",
        None,
        "equation",
    ),
    Item(
        "chain-rule-biases",
        "Chain rule for $b^m_i$",
        _at(
            53,
            r"\frac{\partial C}{\partial b^m_i} = \sum_{k = 1}^{N^m} \frac{\partial C}{\partial z^m_k} \frac{\partial z^m_k}{\partial b^m_i}",
        ),
        r"$\frac{\partial C}{\partial b^m_i} = \sum_{k=1}^{N^m} \frac{\partial C}{\partial z^m_k}\frac{\partial z^m_k}{\partial b^m_i}$.",
        None,
        "equation",
    ),
    Item(
        "dz-db",
        "$\\partial z^m_k / \\partial b^m_i$",
        (
            *_at(
                55,
                r"it follows that $\frac{\partial z^m_k}{\partial b^m_i}$ will evaluate to zero when $i \ne k$",
            ),
            *_at(57, r"&= 1"),
        ),
        r"$\frac{\partial z^m_i}{\partial b^m_i} = 1$, and $\frac{\partial z^m_k}{\partial b^m_i} = 0$ for $k \ne i$.",
        None,
        "equation",
    ),
    Item(
        "dz-db-cases",
        "Case equation for $\\partial z^m / \\partial b^m$",
        _at(
            57,
            r"\rightarrow \frac{\partial z^m_i}{\partial b^m_i} &= \begin{cases} 0 & k \ne i\\ 1 & k = i \end{cases}",
        ),
        r"$\frac{\partial z^m_i}{\partial b^m_i} = 0$ if $k \ne i$, $1$ if $k = i$.",
        r"$\frac{\partial z^m_k}{\partial b^m_i} = \begin{cases} 0 & k \ne i \\ 1 & k = i \end{cases}$ (the left side needs $k$, as in the weights' case equation of line 41).",
        "equation",
    ),
    Item(
        "dC-db",
        "$\\partial C / \\partial b^m$",
        (
            *_at(61, r"\frac{\partial C}{\partial b^m_i} = \frac{\partial C}{\partial z^m_i}"),
            *_at(65, r"\frac{\partial C}{\partial b^m} = \frac{\partial C}{\partial z^m}"),
            *_at(103, r"\frac{\partial C}{\partial b^m} = \frac{\partial C}{\partial z^m}"),
        ),
        r"$\frac{\partial C}{\partial b^m_i} = \delta^m_i$, i.e. $\frac{\partial C}{\partial b^m} = \delta^m$.",
        None,
        "equation",
    ),
    Item(
        "output-delta-component",
        "$\\delta^L_k$, component form",
        _at(
            69,
            r"\frac{\partial C}{\partial z^L_k} = \frac{\partial C}{\partial a^L_k} \frac{\partial a^L_k}{\partial z^L_k}",
        ),
        r"$\frac{\partial C}{\partial z^L_k} = \frac{\partial C}{\partial a^L_k}\frac{\partial a^L_k}{\partial z^L_k}$ (a single term: $a^L_k$ depends on $z^L_k$ alone).",
        None,
        "equation",
    ),
    Item(
        "output-delta-vector",
        "$\\delta^L$, vector form",
        (
            *_at(
                73,
                r"\frac{\partial C}{\partial z^L} = \frac{\partial C}{\partial a^L} \frac{\partial a^L}{\partial z^L}",
            ),
            *_at(
                103,
                r"\frac{\partial C}{\partial z^L} = \frac{\partial C}{\partial a^L} \frac{\partial a^L}{\partial z^L}",
            ),
            *_at(
                107,
                r"\frac{\partial C}{\partial z^L} &= \frac{\partial C}{\partial a^L} \frac{\partial a^L}{\partial z^L}",
            ),
        ),
        r"$\frac{\partial C}{\partial z^L} = \frac{\partial C}{\partial a^L}\frac{\partial a^L}{\partial z^L}$, with the product of the two factors left unspecified.",
        r"$\frac{\partial C}{\partial z^L} = \left(\frac{\partial a^L}{\partial z^L}\right)^{\top} \frac{\partial C}{\partial a^L}$ with the Jacobian $\frac{\partial a^L}{\partial z^L}$ (column vectors, as in line 79); for elementwise $\sigma^L$ the Jacobian is diagonal and this is the elementwise product $\frac{\partial C}{\partial a^L} \circ \sigma^{L\prime}(z^L)$.",
        "equation",
    ),
    Item(
        "delta-recursion-derivation",
        "Derivation of the recursion for $\\delta^m_k$",
        _at(
            77,
            r"\frac{\partial C}{\partial z^m_k} &= \frac{\partial C}{\partial a^m_k} \frac{\partial a^m_k}{\partial z^m_k}",
            r"&= \left(\sum_{l = 1}^{N^{m + 1}}\frac{\partial C}{\partial z^{m + 1}_l}\frac{\partial z^{m + 1}_l}{\partial a^m_k}\right)\frac{\partial a^m_k}{\partial z^m_k}",
            r"&= \left(\sum_{l = 1}^{N^{m + 1}}\frac{\partial C}{\partial z^{m + 1}_l}\frac{\partial}{\partial a^m_k} \left(\sum_{h = 1}^{N^m} W^{m + 1}_{lh} a_h^m + b_l^{m + 1}\right)\right) \frac{\partial a^m_k}{\partial z^m_k}",
            r"&= \left(\sum_{l = 1}^{N^{m + 1}}\frac{\partial C}{\partial z^{m + 1}_l} W^{m + 1}_{lk}\right) \frac{\partial a^m_k}{\partial z^m_k}",
            r"&= \left(\sum_{l = 1}^{N^{m + 1}}W^{m + 1\top}_{kl} \frac{\partial C}{\partial z^{m + 1}_l}\right) \frac{\partial a^m_k}{\partial z^m_k}",
        ),
        r"Each of the five expressions equals $\delta^m_k$ for a hidden layer $m < L$, with the sums over $l = 1..N^{m+1}$ and $h = 1..N^m$ as written.",
        None,
        "equation",
    ),
    Item(
        "column-vector-convention",
        "Column-vector convention",
        _at(
            79,
            r"where the last simplification was made because by convention $\frac{\partial C}{\partial z^{m + 1}_l}$ is a column vector, allowing us to write the following vector form",
        ),
        r"By convention the entry $\frac{\partial C}{\partial z^{m+1}_l}$ is a column vector, which allows the last row's $W^{m+1\top}_{kl}$ and the vector form $W^{m+1\top}\frac{\partial C}{\partial z^{m+1}}$.",
        r"$(W^{m+1\top})_{kl} = W^{m+1}_{lk}$ holds for any layout; it is the vector $\delta^{m+1} = \frac{\partial C}{\partial z^{m+1}}$ (not its entry $\delta^{m+1}_l$, a scalar) that is a column vector by convention, and only then is the vector form $W^{m+1\top}\delta^{m+1}$ (with row vectors it is $\delta^{m+1} W^{m+1}$).",
        "prose",
    ),
    Item(
        "delta-recursion-vector",
        "Recursion for $\\delta^m$, vector form",
        (
            *_at(
                81,
                r"\frac{\partial C}{\partial z^m} = \left(W^{m + 1\top} \frac{\partial C}{\partial z^{m + 1}}\right) \circ \frac{\partial a^m}{\partial z^m}",
            ),
            *_at(
                103,
                r"\frac{\partial C}{\partial z^m} = \left(W^{m + 1\top} \frac{\partial C}{\partial z^{m + 1}}\right) \circ \frac{\partial a^m}{\partial z^m}",
            ),
            *_at(
                107,
                r"\frac{\partial C}{\partial z^{L - 1}} &= \left(W^{L\top} \frac{\partial C}{\partial z^L} \right) \circ \frac{\partial a^{L - 1}}{\partial z^{L - 1}}",
                r"\frac{\partial C}{\partial z^{L - 2}} &= \left(W^{L - 1\top} \frac{\partial C}{\partial z^{L - 1}} \right) \circ \frac{\partial a^{L - 2}}{\partial z^{L - 2}}",
            ),
        ),
        r"$\delta^m = \left(W^{m+1\top}\delta^{m+1}\right) \circ \sigma^{m\prime}(z^m)$ for $m < L$ (instances $m = L-1, L-2$ in the example).",
        None,
        "equation",
    ),
    Item(
        "previous-layer",
        "The backward pass: “the previous layer”",
        _at(
            83,
            r"based on the term $\frac{\partial C}{\partial z^{m + 1}}$ computed from the previous layer",
        ),
        r"$\frac{\partial C}{\partial z^m}$ is computed from the term $\frac{\partial C}{\partial z^{m+1}}$ of the previous layer.",
        r"“…based on $\frac{\partial C}{\partial z^{m+1}}$, computed for the next layer, $m + 1$ (the previous one in the backward pass)”: everywhere else the document numbers layers forward, and layer $m - 1$ is the one before layer $m$ (lines 14, 20).",
        "prose",
    ),
    # Backpropagation in practice: the table of nonlinearities
    Item(
        "sigmoid-function",
        "Sigmoid: function",
        (
            *_at(90, r"$\frac{1}{1 + e^{z^m}}$"),
            *_at(107, r"the sigmoid function $a^m = \frac{1}{1 + e^{z^m}}$"),
        ),
        r"The sigmoid is $\sigma(z) = \frac{1}{1 + e^{z}}$.",
        r"$\sigma(z) = \frac{1}{1 + e^{-z}}$ (as the document's own program computes it, line 119); the formula as written is $\sigma(-z) = 1 - \sigma(z)$, a decreasing function.",
        "table",
    ),
    Item(
        "sigmoid-derivative",
        "Sigmoid: derivative",
        _at(90, r"$\sigma^m(z^m)(1 - \sigma^m(z^m)) = a^m(1 - a^m)$"),
        r"The derivative of the row's function $\frac{1}{1+e^{z}}$ is $\sigma(z)(1 - \sigma(z)) = a(1 - a)$.",
        r"Nothing to change in this cell: $a(1 - a)$ is the derivative of the logistic $\frac{1}{1 + e^{-z}}$, the function the row means; it is the function as written, $\frac{1}{1 + e^{z}}$, whose derivative is $-a(1 - a)$. Fixing the function's sign fixes this row.",
        "table",
    ),
    Item(
        "sigmoid-range",
        "Sigmoid: range",
        _at(90, r""""Squashes" any input to the range $[0, 1]$"""),
        r"The sigmoid maps $\mathbb{R}$ onto $[0, 1]$.",
        r"The sigmoid maps $\mathbb{R}$ onto the open interval $(0, 1)$. In float64 the rounded values do reach 0 and 1 ($\sigma(z) = 1$ exactly from $z \approx 37$), and there cross-entropy as written is infinite ($\log 0$) and its table derivative divides by 0: compute the cost from $z$ ($\log(1 + e^{-z})$ for $y = 1$, $\log(1 + e^{z})$ for $y = 0$), or clip $a$.",
        "table",
    ),
    Item(
        "tanh-function",
        "Tanh: function",
        _at(91, r"$\frac{e^{z^m} - e^{-z^m}}{e^{z^m} + e^{-z^m}}$"),
        r"$\tanh z = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}$.",
        None,
        "table",
    ),
    Item(
        "tanh-derivative",
        "Tanh: derivative",
        _at(91, r"$1 - (\sigma^m(z^m))^2 = 1 - (a^m)^2$"),
        r"$\tanh'(z) = 1 - \tanh^2 z = 1 - a^2$.",
        None,
        "table",
    ),
    Item(
        "tanh-sigmoid-relation",
        "Tanh: relation to the sigmoid",
        _at(91, "Equivalent, up to scaling, to the sigmoid function"),
        r"$\tanh z = \alpha\,\sigma(z)$ for a constant $\alpha$ (a scaling).",
        r"$\tanh z = 2\sigma(2z) - 1$: the input is scaled by 2, the output by 2 and shifted by $-1$ (an affine change of both input and output).",
        "table",
    ),
    Item(
        "relu-function",
        "ReLU: function",
        _at(92, r"$\max(0, z^m)$"),
        r"$\operatorname{relu}(z) = \max(0, z)$.",
        None,
        "table",
    ),
    Item(
        "relu-derivative",
        "ReLU: derivative",
        _at(92, r"$0, z^m < 0;\; 1, z^m \ge 0$"),
        r"$\operatorname{relu}'(z) = 0$ for $z < 0$ and $1$ for $z \ge 0$.",
        r"$\operatorname{relu}'(z) = 0$ for $z < 0$, $1$ for $z > 0$; at $z = 0$ relu is not differentiable (one-sided derivatives 0 and 1) and any value in $[0, 1]$ is a valid subgradient: the table picks 1, PyTorch, scikit-learn and chainrule pick 0.",
        "table",
    ),
    Item(
        "relu-depth",
        "ReLU: many layers",
        _at(92, "Commonly used in neural networks with many layers"),
        r"ReLU suits networks with many layers. The testable reason: its derivative is 1 wherever a unit is active, so the deltas $\delta^m = \partial C / \partial z^m$ keep their order of magnitude from the last layer back to the first, while the sigmoid's derivative ($\le 1/4$) shrinks them geometrically.",
        r"Commonly used in networks with many layers: with an initialisation scaled to the layer's width (He: variance $2/N^{m-1}$) its deltas keep their size across layers, where the sigmoid's shrink by up to a factor 4 per layer. With the standard normal initialisation of the document's program they explode instead, and so do tanh's.",
        "empirical",
    ),
    # The table of costs
    Item(
        "squared-error-function",
        "Squared error: function",
        _at(97, r"$\frac{1}{2}(y - a^L)^\top(y - a^L)$"),
        r"$C = \frac{1}{2}(y - a^L)^\top(y - a^L) = \frac{1}{2}\sum_k (y_k - a^L_k)^2$, a scalar.",
        None,
        "table",
    ),
    Item(
        "squared-error-derivative",
        "Squared error: derivative",
        _at(97, r"$y - a^L$"),
        r"$\frac{\partial C}{\partial a^L} = y - a^L$.",
        r"$\frac{\partial C}{\partial a^L} = a^L - y$; the table's $y - a^L$ is its negative, and gradient descent with it climbs the cost.",
        "table",
    ),
    Item(
        "squared-error-note",
        "Squared error: unconstrained outputs",
        _at(97, "Commonly used when the output is not constrained to a specific range"),
        r"Squared error is usable when the output is not constrained to a range: it is defined, with a finite gradient, for any real output, unlike cross-entropy.",
        None,
        "table",
    ),
    Item(
        "cross-entropy-function",
        "Cross-entropy: function",
        (
            *_at(98, r"$(y - 1)\log(1 - a^L) - y\log(a^L)$"),
            *_at(
                107,
                r"the cost function is the cross-entropy loss $(y - 1)\log(1 - a^L) - y\log(a^L)$",
            ),
        ),
        r"$C = (y - 1)\log(1 - a^L) - y \log(a^L)$ is the cost of a sample.",
        r"$C = -\sum_{k=1}^{N^L}\left[y_k \log a^L_k + (1 - y_k)\log(1 - a^L_k)\right]$: as written the expression is per unit (a vector when $N^L > 1$); it is the cost only for one output unit, or summed over units.",
        "table",
    ),
    Item(
        "cross-entropy-derivative",
        "Cross-entropy: derivative",
        _at(98, r"$\frac{a^L - y}{a^L(1 - a^L)}$"),
        r"$\frac{\partial C}{\partial a^L} = \frac{a^L - y}{a^L(1 - a^L)}$ (per unit).",
        None,
        "table",
    ),
    Item(
        "table-elementwise-products",
        "Tables: products of vectors",
        (
            *_at(90, r"$\sigma^m(z^m)(1 - \sigma^m(z^m)) = a^m(1 - a^m)$"),
            *_at(91, r"$1 - (\sigma^m(z^m))^2 = 1 - (a^m)^2$"),
            *_at(98, r"$\frac{a^L - y}{a^L(1 - a^L)}$"),
        ),
        r"The tables' derivatives, products, squares and quotients of the vectors $a^m = \sigma^m(z^m)$, $a^L$ and $y$ written as for numbers, give $\frac{\partial a^m}{\partial z^m}$ and $\frac{\partial C}{\partial a^L}$ for a layer of $N^m$ units.",
        r"They are elementwise, $a^m \circ (1 - a^m)$, $1 - a^m \circ a^m$ and $(a^L - y) \oslash \left(a^L \circ (1 - a^L)\right)$, and $\frac{\partial a^m}{\partial z^m}$ so written is the diagonal of the Jacobian, $\sigma^{m\prime}(z^m)$, a vector. Write $\circ$ (and say “elementwise” for the quotient), as line 81 does.",
        "table",
    ),
    Item(
        "cross-entropy-convergence",
        "Cross-entropy: faster convergence",
        _at(98, "Commonly used for binary classification tasks; can yield faster convergence"),
        r"With sigmoid outputs, cross-entropy can reach a given accuracy in fewer gradient-descent steps than squared error, each cost at a learning rate that suits it (a hedged claim: one fair situation that shows it suffices).",
        None,
        "empirical",
    ),
    # Summary of the procedure
    Item(
        "per-sample-procedure",
        "Per-sample procedure",
        _at(
            100,
            "In practice, backpropagation proceeds in the following manner for each training sample",
        ),
        r"Backpropagation, and the update it gives (line 107), proceeds for each training sample; the document's program (lines 138-159) follows this procedure.",
        r"Name both: backpropagation gives one sample's gradient; the program's cost is the mean over the batch (all four samples), whose gradient is the mean of the per-sample gradients, and it takes one step per pass over the data (full-batch gradient descent), not one per sample (stochastic gradient descent, which follows another path).",
        "prose",
    ),
    Item(
        "forward-pass",
        "Forward pass",
        _at(102, r"a^1 = \sigma^1(W^1 a^0 + b^1), \ldots, a^L = \sigma^L(W^L a^{L - 1} + b^L)"),
        r"$a^m = \sigma^m(W^m a^{m-1} + b^m)$ for $m = 1..L$ gives the network's output $a^L$.",
        None,
        "equation",
    ),
    Item(
        "summary-stray-index",
        "Summary: $\\partial C/\\partial W^m$",
        _at(
            103,
            r"\frac{\partial C}{\partial W^m} = \frac{\partial C}{\partial z^m_i} a^{m - 1 \top}",
        ),
        r"$\frac{\partial C}{\partial W^m} = \frac{\partial C}{\partial z^m_i} a^{m-1\top}$.",
        r"$\frac{\partial C}{\partial W^m} = \frac{\partial C}{\partial z^m} a^{m-1\top}$ (as on line 49): the subscript $i$ does not belong there.",
        "equation",
    ),
    Item(
        "updates-wording",
        "Gradients, not updates",
        _at(103, "to obtain the updates"),
        r"Plugging $\delta^m$ into the formulas for $\frac{\partial C}{\partial W^m}$ and $\frac{\partial C}{\partial b^m}$ gives the updates.",
        r"It gives the gradients; the gradient-descent updates are $-\lambda \frac{\partial C}{\partial W^m}$ and $-\lambda \frac{\partial C}{\partial b^m}$.",
        "prose",
    ),
    # The example
    Item(
        "example-output-delta",
        "Example: $\\delta^L = a^L - y$",
        _at(
            107,
            r"the sigmoid function $a^m = \frac{1}{1 + e^{z^m}}$",
            r"&= \left(\frac{a^L - y}{a^L(1 - a^L)}\right)a^L(1 - a^L)\ &= a^L - y",
        ),
        r"For the network the example defines, sigmoid layers $a^m = \frac{1}{1 + e^{z^m}}$ and cross-entropy, the tables' entries give $\delta^L = \frac{a^L - y}{a^L(1 - a^L)}\, a^L(1 - a^L) = a^L - y$.",
        r"With the logistic sigmoid $a^m = \frac{1}{1 + e^{-z^m}}$ (the fix of the sigmoid's sign) the lines hold as printed. For the function as written, whose derivative is $-a(1 - a)$, not the table's $a(1 - a)$, $\delta^L = y - a^L$.",
        "equation",
    ),
    Item(
        "example-delta-precedence",
        "Example: products in $\\delta^{L-1}$, $\\delta^{L-2}$",
        _at(
            107,
            r"&= W^{L\top} (a^L - y) \circ a^{L - 1}(1 - a^{L - 1})",
            r"&= W^{L - 1\top} \left(W^{L\top} (a^L - y) \circ a^{L - 1}(1 - a^{L - 1})\right) \circ a^{L - 2}(1 - a^{L - 2})",
        ),
        r"$\delta^{L-1} = W^{L\top}(a^L - y) \circ a^{L-1}(1 - a^{L-1})$ and $\delta^{L-2} = W^{L-1\top}\left(\ldots\right) \circ a^{L-2}(1 - a^{L-2})$, with no parentheses fixing the order of the matrix product, $\circ$ and the juxtaposition $a(1-a)$.",
        r"$\delta^{L-1} = \left(W^{L\top}(a^L - y)\right) \circ a^{L-1} \circ (1 - a^{L-1})$, $\delta^{L-2} = \left(W^{L-1\top}\delta^{L-1}\right) \circ a^{L-2} \circ (1 - a^{L-2})$: the matrix product first, then elementwise products.",
        "equation",
    ),
    Item(
        "example-dW-precedence",
        "Example: products in $\\partial C / \\partial W^{L-1}$",
        _at(107, r"&= W^{L\top} (a^L - y) \circ a^{L - 1}(1 - a^{L - 1}) a^{L - 2\top}"),
        r"$\frac{\partial C}{\partial W^{L-1}} = W^{L\top}(a^L - y) \circ a^{L-1}(1 - a^{L-1})\, a^{L-2\top}$, with no parentheses.",
        r"$\frac{\partial C}{\partial W^{L-1}} = \left[\left(W^{L\top}(a^L - y)\right) \circ a^{L-1} \circ (1 - a^{L-1})\right] a^{L-2\top}$.",
        "equation",
    ),
    Item(
        "example-align-breaks",
        "Example: line breaks of the aligned equations",
        _at(
            107,
            r"\begin{align} \frac{\partial C}{\partial z^L} &= \frac{\partial C}{\partial a^L} \frac{\partial a^L}{\partial z^L}\ &=",
        ),
        r"The example's four `align` environments break their rows with `\\`.",
        r"Rows are separated by `\ ` (a control space), so each chain of equalities renders as one line; the separator must be `\\`.",
        "prose",
    ),
    Item(
        "update-rule",
        "Gradient-descent update",
        _at(
            107,
            r"W^m = W^m - \lambda \frac{\partial C}{\partial W^m}",
            r"b^m = b^m - \lambda \frac{\partial C}{\partial b^m}",
        ),
        r"$W^m \leftarrow W^m - \lambda \frac{\partial C}{\partial W^m}$, $b^m \leftarrow b^m - \lambda \frac{\partial C}{\partial b^m}$ (the `=` is an assignment) decreases $C$ for a small enough $\lambda > 0$.",
        None,
        "equation",
    ),
    # The toy program
    Item(
        "toy-description",
        "Program: what the user supplies",
        _at(
            111,
            "trained using backpropagation with user-supplied nonlinearities, layer sizes, and cost function",
        ),
        r"The program's user supplies the nonlinearities, the layer sizes and the cost function.",
        r"The user supplies only the layer sizes: every layer is a `SigmoidLayer`, and `train` hard-codes the cross-entropy output delta `a - y`.",
        "program",
    ),
    Item(
        "toy-sigmoid",
        "Program: `sigmoid`",
        _at(119, "return 1/(1 + np.exp(-x))"),
        r"`sigmoid(x)` is the logistic function $1/(1 + e^{-x})$.",
        None,
        "program",
    ),
    Item(
        "toy-init",
        "Program: initialisation",
        (
            *_at(123, "self.W = np.random.randn(n_output, n_input)"),
            *_at(124, "self.b = np.random.randn(n_output, 1)"),
        ),
        r"Each layer draws $W^m$ of shape $(N^m, N^{m-1})$ and a column $b^m$ of length $N^m$ from the standard normal, matching the notation.",
        None,
        "program",
    ),
    Item(
        "toy-1d-inputs",
        "Program: one-dimensional inputs and targets",
        (
            *_at(126, "if X.ndim == 1:"),
            *_at(127, "X = X.reshape(-1, 1)"),
            *_at(141, "if X.ndim == 1:"),
            *_at(142, "X = X.reshape(-1, 1)"),
            *_at(143, "if y.ndim == 1:"),
            *_at(144, "y = y.reshape(1, -1)"),
            *_at(163, "if a.ndim == 1:"),
            *_at(164, "a = a.reshape(-1, 1)"),
        ),
        r"`SigmoidLayer.output`, `train` and `output` accept one-dimensional arrays: a 1-d `X` (or `a`) is a sample, a 1-d `y` its targets, and `train` takes a gradient-descent step on them.",
        r"A 1-d `X` is read as one sample (a column) but a 1-d `y` as a row, one target per sample: for one sample of a network with several outputs, `a - y` broadcasts to an $N^L \times N^L$ matrix and `train` fails; with one input unit, a 1-d batch of inputs is read as one sample with several features and fails. Read a 1-d array by the layer's size, `X.reshape(N^0, -1)` and `y.reshape(N^L, -1)`: one sample when the size is above 1, a row of samples when it is 1 (the document's XOR call is unchanged).",
        "program",
    ),
    Item(
        "toy-layer-output",
        "Program: layer output",
        _at(128, "return sigmoid( + self.b)"),
        r"`SigmoidLayer.output(X)` returns $\sigma(W X + b)$.",
        r"`return sigmoid(self.W.dot(X) + self.b)`: as printed, `self.W.dot(X)` is lost and the layer ignores its input.",
        "program",
    ),
    Item(
        "toy-docstring",
        "Program: docstring",
        (
            *_at(133, "- layer_sizes : list of int"),
            *_at(134, "List of layer sizes of length L+1 (including the input dimensionality)"),
        ),
        r"Lines 133-134 are the constructor's documentation.",
        r"They must be enclosed in quotes (`'''...'''`); as printed they are code, and Python rejects them.",
        "program",
    ),
    Item(
        "toy-forward-loop",
        "Program: forward pass",
        (
            *_at(145, "# Forward pass - compute a^n for n in {0, ... L}"),
            *_at(147, "for layer in self.layers:"),
        ),
        r"The loop computes $a^1, \ldots, a^L$ into `layer_outputs`.",
        r"The loop has no body; it needs `layer_outputs.append(layer.output(layer_outputs[-1]))`.",
        "program",
    ),
    Item(
        "toy-output-delta",
        "Program: output delta",
        _at(149, "cost_partials = [layer_outputs[-1] - y]"),
        r"`layer_outputs[-1] - y` is $\delta^L = \partial C / \partial z^L$ of each sample (column), for sigmoid outputs with cross-entropy.",
        None,
        "program",
    ),
    Item(
        "toy-backward-line",
        "Program: backward recursion",
        _at(151, "cost_partials.append([-1])*layer_output*(1 - layer_output))"),
        r"The loop body appends $\delta^{m} = (W^{m+1\top}\delta^{m+1}) \circ a^m \circ (1 - a^m)$.",
        r"`cost_partials.append(layer.W.T.dot(cost_partials[-1])*layer_output*(1 - layer_output))`: as printed the line is garbled (unbalanced parentheses, `layer.W.T.dot(cost_partials` lost).",
        "program",
    ),
    Item(
        "toy-missing-reverse",
        "Program: order of the deltas",
        (
            *_at(148, r"# Backward pass - compute \partial C/\partial z^m for m in {L, ..., 1}"),
            *_at(
                154, "for cost_partial, layer_output in zip(cost_partials[1:], layer_outputs[:-1]):"
            ),
            *_at(
                156,
                "b_updates = [cost_partial.mean(axis=1).reshape(-1, 1) for cost_partial in cost_partials[1:]]",
            ),
        ),
        r"`cost_partials[1:]` pairs $\delta^m$ with $a^{m-1}$ (line 154) and with layer $m$ (lines 156-157).",
        r"The backward loop appends $\delta^L$ down to $\delta^1$ (and one more for the input, item toy-input-delta), so the list runs from the last layer to the first; reverse it (`cost_partials.reverse()`) before it is paired with `layer_outputs[:-1]` and `self.layers`, which run from the first.",
        "program",
    ),
    Item(
        "toy-input-delta",
        "Program: a delta for the input layer",
        (
            *_at(148, r"# Backward pass - compute \partial C/\partial z^m for m in {L, ..., 1}"),
            *_at(
                150,
                "for layer, layer_output in zip(reversed(self.layers), reversed(layer_outputs[:-1])):",
            ),
        ),
        r"The backward loop computes $\partial C / \partial z^m$ for $m = L, \ldots, 1$, as its comment says.",
        r"It computes one more, $(W^{1\top}\delta^1) \circ a^0 \circ (1 - a^0)$ for the input layer, which has no $z^0$ and for which $a^0(1 - a^0)$ is no derivative (on the XOR inputs, 0 and 1, it is 0): wasted work, and the reason the program slices `cost_partials[1:]`. Loop over layers $L, \ldots, 2$ (`zip(reversed(self.layers[1:]), reversed(layer_outputs[1:-1]))`) and use the whole list.",
        "program",
    ),
    Item(
        "toy-weight-update-loop",
        "Program: weight gradients",
        (
            *_at(152, "# Compute weight gradient step"),
            *_at(
                154, "for cost_partial, layer_output in zip(cost_partials[1:], layer_outputs[:-1]):"
            ),
        ),
        r"Lines 152-154 compute the weight gradients into `W_updates`.",
        r"The loop of line 154 has no body; it needs `W_updates.append(cost_partial.dot(layer_output.T)/X.shape[1])`.",
        "program",
    ),
    Item(
        "toy-averaging",
        "Program: averaging over samples",
        (
            *_at(156, "cost_partial.mean(axis=1)"),
            *_at(158, "layer.W -= W_update*learning_rate"),
            *_at(159, "layer.b -= b_update*learning_rate"),
        ),
        r"One call of `train` is one gradient-descent step on the mean cross-entropy over the samples (the columns of `X`).",
        None,
        "program",
    ),
    Item(
        "toy-xor-table",
        "Program: the XOR result",
        (
            *_at(174, "nn.train(X, y, learning_rate=1.)"),
            *_at(178, "[0, 0]\t0.0143\t[0]"),
            *_at(179, "[1, 0]\t0.9888\t[1]"),
            *_at(180, "[0, 1]\t0.9892\t[1]"),
            *_at(181, "[1, 1]\t0.0124\t[0]"),
        ),
        r"1,000 full-batch steps at learning rate 1 from the program's standard-normal initialisation learn XOR, with outputs like the printed 0.0143, 0.9888, 0.9892, 0.0124.",
        r"The initialisation is unseeded, so the table is one draw: the run learns XOR from about two initialisations in three (the figures give the rate with its interval), and the printed outputs are one outcome among the successful runs'. Seed the generator (`np.random.seed(...)`) and give the rate.",
        "empirical",
    ),
)

_BY_ID = {item.id: item for item in ITEMS}
# Item ids of earlier audits that now name another item (the same statement, one verdict).
ITEM_ALIASES = {"example-output-delta-as-written": "example-output-delta"}


def get_item(item_id: str) -> Item:
    """The item called ``item_id`` (or, for an id of an earlier audit, the item that replaced it)."""
    try:
        return _BY_ID[ITEM_ALIASES.get(item_id, item_id)]
    except KeyError:
        raise ValueError(f"item_id must be one of the audit's item ids, got {item_id!r}") from None
