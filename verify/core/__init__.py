"""The checking core: finite differences that trust only the loss, and the comparison that names
what is wrong. Every other room of ``verify`` builds on these two.

- ``finite_differences``: ``numerical_gradient`` of any loss and ``directional_check`` (and, for
  old imports, everything of ``network_gradient`` and ``estimators``);
- ``network_gradient``: the fast path for a ``numeric.Network``, ``network_gradient`` and
  ``network_loss``;
- ``estimators``: the central, complex-step and Richardson estimators (``METHODS``), their steps
  and error estimates;
- ``complex_step``: Im f(x + ih) / h, the one complex-step derivative;
- ``compare``: ``compare_gradients``, one ``Finding`` (``findings``) per parameter; ``summary``:
  ``summarize``, ``describe_factor``, ``findings_table`` (all importable from ``compare`` too);
- ``params``: a list of arrays or of (W, b) pairs, flattened and named one way; ``tree``: any
  nesting of arrays and numbers in lists, tuples and dicts, taken apart and put back as it came,
  and ``guard``, which reads what foreign code returned without recursing or allocating forever;
- ``blackbox``: the reference of a black-box loss that measures the loss's precision, steps
  around kinks and jumps, checks kinks beside them and says which entries it cannot resolve;
- ``validation``: argument checks, "`name` must be <expected>, got <value>";
- ``problems``: parameters and data to check gradients on.
"""
