"""The document's defects: each a fault with one fix, grouping the audit items it shows in.

An audit item (``verify.audit.items``) is one statement of the document; a **defect** is one fault
of the document with one fix, and the items whose verdict it explains are its **symptoms**: the
sigmoid written ``1/(1 + e^{z})`` makes the function row wrong, and with it the derivative row (which
is right for the intended function) and the example's output delta. Every item whose verdict is not
"holds" is the symptom of exactly one defect; the items that hold are symptoms of none.

Each defect has a **kind** (``KINDS``: what sort of fault it is) and a **severity** (``SEVERITIES``:
what it costs a reader). Both are judgements and are typed here, with the defect; the verdicts of
the symptoms are computed by the checks, and the tests hold the two together (a defect whose
following changes numbers has a symptom that is wrong, a defect of high severity has one too).
"""
# ruff: noqa: E501
# (fixes and summaries are kept on one line each: long lines)

from __future__ import annotations

from dataclasses import dataclass

from verify.audit.items import get_item

__all__ = [
    "DEFECTS",
    "KINDS",
    "SEVERITIES",
    "Defect",
    "defect_of",
    "format_lines",
    "get_defect",
]

KINDS = {
    "changes numbers": "following the text as written gives different numbers (a wrong formula, range or procedure)",
    "sign convention": "a sign that belongs to another convention than the document's own (its update rule subtracts the gradient)",
    "notation": "right once read as intended, but as written undefined, ambiguous, or naming the wrong thing",
    "typesetting": "how the text is printed: rendering, spelling, grammar, a missing reference",
    "transcription of the code": "the printed program differs from a working program, or from what the text says of it",
    "empirical claim": "a statement about behaviour that only experiments settle",
}

SEVERITIES = {
    "high": "a reader who follows the text gets wrong numbers or a program that does not run",
    "medium": "a reader is misled or must guess, and a wrong guess costs (an undefined expression, a failure, a claim that holds only sometimes); the derivation's results stand",
    "low": "wording, typesetting or an unstated choice: nothing computed changes",
}


@dataclass(frozen=True)
class Defect:
    """One fault of the document.

    Attributes
    ----------
    id : str
    name : str
        A short name (Markdown), for tables and headings.
    title : str
        The fault, in a sentence or two (Markdown).
    kind : str
        A key of ``KINDS``.
    severity : str
        A key of ``SEVERITIES``.
    fix : str
        The fix, in one line (Markdown).
    symptoms : tuple of str
        The ids of the audit items whose verdict it explains, in document order.
    """

    id: str
    name: str
    title: str
    kind: str
    severity: str
    fix: str
    symptoms: tuple[str, ...]

    @property
    def lines(self) -> list[int]:
        """The document lines (1-based) of all its symptoms."""
        return sorted({line for item_id in self.symptoms for line in get_item(item_id).lines})


DEFECTS: tuple[Defect, ...] = (
    # -- high --------------------------------------------------------------------------------------
    Defect(
        "sigmoid-sign",
        r"The sigmoid's sign",
        r"The sigmoid is written $\frac{1}{1 + e^{z}}$, a decreasing function, where the derivative row, the example and the program use the logistic $\frac{1}{1 + e^{-z}}$.",
        "changes numbers",
        "high",
        r"Write $\sigma(z) = \frac{1}{1 + e^{-z}}$ on lines 90 and 107; $a(1 - a)$ and $\delta^L = a^L - y$ then hold as printed.",
        ("sigmoid-function", "sigmoid-derivative", "example-output-delta"),
    ),
    Defect(
        "squared-error-sign",
        r"The squared error's derivative: its sign",
        r"The squared error's derivative is written $y - a^L$, the negative of $\frac{\partial C}{\partial a^L}$ (the “error” of the delta rule, whose update adds it); with the document's update, which subtracts the gradient, descent climbs the cost.",
        "sign convention",
        "high",
        r"Write $\frac{\partial C}{\partial a^L} = a^L - y$ on line 97.",
        ("squared-error-derivative",),
    ),
    Defect(
        "sum-range",
        r"The range of the sum in $z^m_k$",
        r"The sum in $z^m_k = \sum_l W^m_{kl} a^{m-1}_l + b^m_k$ runs to $N^m$, the size of layer $m$, instead of $N^{m-1}$, the number of columns of $W^m$.",
        "changes numbers",
        "high",
        r"Let $l$ run from 1 to $N^{m-1}$ on lines 39, 41 and 57.",
        ("z-sum-range",),
    ),
    Defect(
        "lost-code",
        r"Code lost in transcription",
        r"Five pieces of the program were lost in transcription: the docstring's quotes, `self.W.dot(X)`, the forward loop's body, half of the backward line, the weight-gradient loop's body. The program does not compile, and then does not run.",
        "transcription of the code",
        "high",
        r"Restore the lost code (the diff under “The repaired program”).",
        (
            "toy-layer-output",
            "toy-docstring",
            "toy-forward-loop",
            "toy-backward-line",
            "toy-weight-update-loop",
        ),
    ),
    Defect(
        "delta-order",
        r"The order of the program's deltas",
        r"The program's backward loop leaves the deltas in reverse order, from layer $L$ down, where the lines after it need them from layer 1 up; it also computes a meaningless delta for the input layer.",
        "transcription of the code",
        "high",
        r"Add `cost_partials.reverse()` after the loop of line 150, and let that loop stop at layer 2 (the input has no delta).",
        ("toy-missing-reverse", "toy-input-delta"),
    ),
    # -- medium ------------------------------------------------------------------------------------
    Defect(
        "elementwise-products",
        r"Elementwise products written as plain products",
        r"Elementwise products of vectors are written as plain products (juxtaposition), the same as the matrix product, without parentheses: the reader must guess which product is meant and in which order.",
        "notation",
        "medium",
        r"Write $\circ$ for every elementwise product and bracket the matrix product: $\delta^{L-1} = \left(W^{L\top}(a^L - y)\right) \circ a^{L-1} \circ (1 - a^{L-1})$.",
        (
            "output-delta-vector",
            "table-elementwise-products",
            "example-delta-precedence",
            "example-dW-precedence",
        ),
    ),
    Defect(
        "collapse-reason",
        r"Why the sum over $k$ collapses",
        r"The derivation says the sum over $k$ collapses because $\frac{\partial C}{\partial a^m_k}$ is 0 for $k \ne i$; that is false, and it is $\frac{\partial z^m_k}{\partial W^m_{ij}}$ that is 0.",
        "notation",
        "medium",
        r"Line 43: “The fact that $\frac{\partial z^m_k}{\partial W^m_{ij}}$ is 0 unless $k = i$…”.",
        ("collapse-reason",),
    ),
    Defect(
        "cross-entropy-sum",
        r"The cross-entropy of several outputs",
        r"The cross-entropy is written for one output unit; for $N^L > 1$ units the expression is a vector, not a cost.",
        "notation",
        "medium",
        r"$C = -\sum_{k=1}^{N^L}\left[y_k \log a^L_k + (1 - y_k)\log(1 - a^L_k)\right]$ on lines 98 and 107.",
        ("cross-entropy-function",),
    ),
    Defect(
        "per-sample-procedure",
        r"Per sample in the text, full batch in the program",
        r"The procedure is stated per training sample; the program takes one full-batch step on the mean cost per pass, and the text never says so.",
        "changes numbers",
        "medium",
        r"Line 100: the gradient of a batch's mean cost is the mean of the samples' gradients, and the program takes one step per pass (full-batch descent).",
        ("per-sample-procedure",),
    ),
    Defect(
        "sigmoid-range",
        r"The sigmoid's range, and saturation",
        r"The sigmoid's range is given as $[0, 1]$; it is the open interval $(0, 1)$, but in floating point the outputs do reach 0 and 1, and there the cross-entropy is infinite.",
        "notation",
        "medium",
        r"“…to the range $(0, 1)$”, and compute the cross-entropy from $z$ (or clip $a$) where outputs saturate.",
        ("sigmoid-range",),
    ),
    Defect(
        "program-description",
        r"What the program lets the user supply",
        r"The program is said to take user-supplied nonlinearities, layer sizes and cost; it takes the layer sizes only (sigmoid layers, cross-entropy's output delta built in).",
        "transcription of the code",
        "medium",
        r"Line 111: “…with user-supplied layer sizes (sigmoid layers, cross-entropy cost)”.",
        ("toy-description",),
    ),
    Defect(
        "one-dimensional-arrays",
        r"One-dimensional inputs and targets in the program",
        r"The program reads a one-dimensional `X` as one sample but a one-dimensional `y` as a row of samples; one sample with several outputs, or several samples of one input, fails.",
        "transcription of the code",
        "medium",
        r"Read a 1-d array by the layer's size: `X.reshape(N^0, -1)`, `y.reshape(N^L, -1)` (lines 127, 142, 144, 164).",
        ("toy-1d-inputs",),
    ),
    Defect(
        "xor-table",
        r"The XOR table: one unseeded draw",
        r"The printed XOR table is one unseeded draw, shown as the program's result; the run learns XOR from about two initialisations in three.",
        "empirical claim",
        "medium",
        r"Seed the generator, and give the success rate with the table.",
        ("toy-xor-table",),
    ),
    # -- low ---------------------------------------------------------------------------------------
    Defect(
        "relu-depth",
        r"ReLU in deep networks",
        r"ReLU's use in deep networks rests on an initialisation scaled to the layers' width, which the note does not say; with the document's standard normal initialisation ReLU's (and tanh's) deltas explode.",
        "empirical claim",
        "low",
        r"Line 92: “…with many layers, with an initialisation scaled to the width (He)”.",
        ("relu-depth",),
    ),
    Defect(
        "tanh-relation",
        r"Tanh and the sigmoid",
        r"Tanh is called equivalent to the sigmoid “up to scaling”; it also needs a shift.",
        "notation",
        "low",
        r"Line 91: $\tanh z = 2\sigma(2z) - 1$, the sigmoid scaled and shifted.",
        ("tanh-sigmoid-relation",),
    ),
    Defect(
        "relu-kink",
        r"ReLU's derivative at 0",
        r"ReLU's derivative is given as 1 at $z = 0$, where it has none; 1 is one choice of subgradient among $[0, 1]$ (common libraries take 0).",
        "notation",
        "low",
        r"Line 92: say that at $z = 0$ the value is a choice.",
        ("relu-derivative",),
    ),
    Defect(
        "undefined-h",
        r"The undefined $h^m$",
        r"$a^m = \sigma^m(h^m)$ uses a symbol $h^m$ that is never defined.",
        "notation",
        "low",
        r"Line 22: $a^m = \sigma^m(z^m)$.",
        ("notation-undefined-h",),
    ),
    Defect(
        "gradient-wording",
        r"The gradient, reversed",
        r"“The gradient of each of the parameters with respect to the cost” reverses the derivative.",
        "notation",
        "low",
        r"Line 30: “the gradient of $C$ with respect to each parameter”.",
        ("gradient-wording",),
    ),
    Defect(
        "bias-cases",
        r"The biases' case equation",
        r"The case equation for the biases has $\frac{\partial z^m_i}{\partial b^m_i}$ on the left and cases in $k$ on the right.",
        "notation",
        "low",
        r"Line 57: $\frac{\partial z^m_k}{\partial b^m_i}$ on the left.",
        ("dz-db-cases",),
    ),
    Defect(
        "column-vector",
        r"The column-vector convention",
        r"The column-vector convention is stated of the entry $\frac{\partial C}{\partial z^{m+1}_l}$, a scalar, and given as the reason for an index identity that needs none.",
        "notation",
        "low",
        r"Line 79: the vector $\frac{\partial C}{\partial z^{m+1}}$ is a column by convention, which gives the vector form.",
        ("column-vector-convention",),
    ),
    Defect(
        "stray-index",
        r"A stray subscript in the summary",
        r"The summary's $\frac{\partial C}{\partial W^m} = \frac{\partial C}{\partial z^m_i} a^{m-1\top}$ carries a stray subscript $i$.",
        "notation",
        "low",
        r"Line 103: $\frac{\partial C}{\partial W^m} = \frac{\partial C}{\partial z^m} a^{m-1\top}$.",
        ("summary-stray-index",),
    ),
    Defect(
        "updates-wording",
        r"Gradients called updates",
        r"The summary calls the gradients “the updates”.",
        "notation",
        "low",
        r"Line 103: “…to obtain the gradients”; the updates are $-\lambda$ times them.",
        ("updates-wording",),
    ),
    Defect(
        "align-breaks",
        r"The example's line breaks",
        r"The example's aligned equations break their rows with `\ ` (a space) instead of `\\`, so each chain renders on one line.",
        "typesetting",
        "low",
        r"Line 107: `\\` between the rows.",
        ("example-align-breaks",),
    ),
    Defect(
        "affine-called-linear",
        r"“Linear” where the map is affine",
        r"$z^m = W^m a^{m-1} + b^m$ is called a “linear mix”; it is affine.",
        "notation",
        "low",
        r"Lines 20 and 35: “affine mix” (or “pre-activation”).",
        ("affine-called-linear",),
    ),
    Defect(
        "layer-count",
        r"The number of layers",
        r"$L$ is called the number of layers, while the layers are numbered $0, \ldots, L$.",
        "notation",
        "low",
        r"Line 10: “$L$ - Number of layers with weights (the network has $L + 1$ layers with the input)”.",
        ("notation-layer-count",),
    ),
    Defect(
        "previous-layer",
        r"“The previous layer”",
        r"“Computed from the previous layer” means layer $m + 1$, the next in the document's numbering.",
        "notation",
        "low",
        r"Line 83: “computed for the next layer, $m + 1$”.",
        ("previous-layer",),
    ),
    Defect(
        "dangling-reference",
        r"A missing reference",
        r"The introduction recommends a tutorial and stops at “please see”.",
        "typesetting",
        "low",
        r"Line 1: give the tutorial's title or link, or drop the sentence.",
        ("dangling-reference",),
    ),
    Defect(
        "spelling-grammar",
        r"Spelling and grammar",
        r"Four slips of spelling and grammar.",
        "typesetting",
        "low",
        r"“with respect to” (35), “including” (75), “two tables list some” (87), “a stopping criterion is” (107).",
        ("spelling-grammar",),
    ),
)

_BY_ID = {defect.id: defect for defect in DEFECTS}
_BY_SYMPTOM = {item_id: defect for defect in DEFECTS for item_id in defect.symptoms}


def get_defect(defect_id: str) -> Defect:
    """The defect called ``defect_id``."""
    try:
        return _BY_ID[defect_id]
    except KeyError:
        raise ValueError(
            f"defect_id must be one of the audit's defect ids, got {defect_id!r}"
        ) from None


def defect_of(item_id: str) -> Defect | None:
    """The defect whose symptom item ``item_id`` is, or None (an item that holds)."""
    get_item(item_id)  # validates
    return _BY_SYMPTOM.get(item_id)


def format_lines(lines) -> str:
    """``[39, 41, 57, 133, 134, 135]`` as ``"39, 41, 57, 133-135"``."""
    lines = sorted(set(lines))
    runs: list[list[int]] = []
    for line in lines:
        if runs and line == runs[-1][-1] + 1:
            runs[-1].append(line)
        else:
            runs.append([line])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)
