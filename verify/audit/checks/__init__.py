"""The audit's checks, one per item of the document, a module per section of it.

Each check takes the shared ``verify.audit.context.Context`` and returns a
``verify.audit.verdicts.Check``; ``@check(item_id)`` registers it in ``CHECKS``. Importing this
package imports every section module (and ``wording``, the text's spelling and grammar across
sections), so that ``CHECKS`` holds all of them.
"""

from verify.audit.checks import (
    chain_rule,
    costs,
    example,
    general_deltas,
    general_parameters,
    introduction,
    nonlinearities,
    notation,
    procedure,
    toy_program,
    wording,
)
from verify.audit.checks.registry import CHECKS, check

__all__ = ["CHECKS", "SECTION_MODULES", "check"]

# In the order of the document; ``wording`` (spelling and grammar) spans all of it.
SECTION_MODULES = (
    introduction,
    chain_rule,
    notation,
    general_parameters,
    general_deltas,
    nonlinearities,
    costs,
    procedure,
    example,
    toy_program,
    wording,
)
