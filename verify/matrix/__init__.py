"""The cross-check matrix: every activation/cost pair, three sources of the gradient, under the
corrected conventions and the reference document's literal ones, and its report."""
